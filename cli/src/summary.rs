//! The summary of one `cp`: printed as one JSON object with `--json`, as a line otherwise.

use serde::Serialize;

use crate::size::format_size;

/// What `--json` prints (fields as DESIGN.md lists them, plus `error` on failure).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `copied`, `failed`, `planned` (dry run) or `skipped` (see `skipped_because`).
    pub status: &'static str,
    /// Why nothing was copied: `exists` (`--no-overwrite`) or `identical` (`--skip-identical`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_because: Option<&'static str>,
    /// `single` or `multipart`.
    pub mode: Option<&'static str>,
    /// The source URL.
    pub source: String,
    /// The destination URL.
    pub destination: String,
    /// Object size in bytes.
    pub size: Option<u64>,
    /// Part size of a multipart copy.
    pub part_size: Option<u64>,
    /// Parts of a multipart copy (0 for a single copy).
    pub parts: Option<u32>,
    /// Parts found done from a checkpoint.
    pub resumed_parts: Option<u32>,
    /// ETag of the new object.
    pub etag: Option<String>,
    /// The multipart upload id.
    pub upload_id: Option<String>,
    /// Wall time of the copy.
    pub elapsed_ms: u64,
    /// Requests sent.
    pub requests: u64,
    /// Retries among them.
    pub retries: u64,
    /// `true` when `--verify` HEADed both ends and found size, metadata and CRC-64 matching
    /// (absent without `--verify`; a failed verification is an error instead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Set when Complete's answer never arrived (lost, or sent by an earlier run that was
    /// stopped) and a HEAD of the destination showed the completed upload: what showed it,
    /// `crc64` or `modified_after_initiate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<&'static str>,
    /// A checkpoint was found but not resumed, and the copy started over: why —
    /// `source_changed`, `plan_changed`, `upload_gone` or `options_changed` (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarted: Option<&'static str>,
    /// Initiate attempts whose answer never arrived (or was a 5xx) before one succeeded: each may
    /// have left an empty multipart upload at the destination (absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertain_initiates: Option<u32>,
    /// Why the copy failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Dry run: the first part's source range, `bytes=first-last`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_range: Option<String>,
    /// Dry run: the last part's source range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_range: Option<String>,
    /// Dry run with `--no-overwrite`: whether DST exists, so that the copy would be skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub would_skip: Option<bool>,
    /// Dry run: the source's storage class when its data is archived and not restored (the copy
    /// would be refused until a restore finishes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs_restore: Option<String>,
    /// `--move`: `true` once the source was deleted (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_deleted: Option<bool>,
}

impl Summary {
    /// The summary as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"status\":\"failed\",\"error\":\"{e}\"}}"))
    }

    /// The summary for people.
    pub fn to_text(&self) -> String {
        if self.status == "skipped" {
            let why = match self.skipped_because {
                Some("identical") => "the destination already holds the same object (--skip-identical)",
                _ => "the destination exists and --no-overwrite keeps it",
            };
            let moved = match self.source_deleted {
                Some(true) => "; the source was deleted (--move)",
                _ => "",
            };
            return format!(
                "skipped {} -> {}: {why} ({} requests){moved}",
                self.source, self.destination, self.requests
            );
        }
        let size = self.size.map(format_size).unwrap_or_else(|| "?".into());
        let how = match (self.mode, self.parts, self.part_size) {
            (Some("multipart"), Some(parts), Some(part_size)) => {
                let mut how = format!("multipart, {parts} parts of {}", format_size(part_size));
                if let Some(resumed @ 1..) = self.resumed_parts {
                    how.push_str(&format!(", {resumed} resumed"));
                }
                how
            }
            (Some(mode), _, _) => mode.to_string(),
            _ => "?".to_string(),
        };
        format!(
            "{} {} -> {} ({size}, {how}) in {:.1} s, {} requests, {} retries; ETag {}",
            match self.source_deleted {
                Some(true) => "moved",
                _ => "copied",
            },
            self.source,
            self.destination,
            self.elapsed_ms as f64 / 1000.0,
            self.requests,
            self.retries,
            self.etag.as_deref().unwrap_or("?"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_every_documented_field() {
        let summary = Summary {
            status: "copied",
            mode: Some("multipart"),
            source: "cos://a-1/k".into(),
            destination: "cos://b-1/k".into(),
            size: Some(100),
            part_size: Some(10),
            parts: Some(10),
            resumed_parts: Some(0),
            etag: Some("\"e-10\"".into()),
            upload_id: Some("u".into()),
            elapsed_ms: 5,
            requests: 13,
            retries: 1,
            verified: None,
            confirmed: None,
            restarted: None,
            uncertain_initiates: None,
            error: None,
            first_range: None,
            last_range: None,
            would_skip: None,
            skipped_because: None,
            needs_restore: None,
            source_deleted: None,
        };
        let value: serde_json::Value = serde_json::from_str(&summary.to_json()).unwrap();
        for field in [
            "status",
            "mode",
            "source",
            "destination",
            "size",
            "part_size",
            "parts",
            "resumed_parts",
            "etag",
            "upload_id",
            "elapsed_ms",
            "requests",
            "retries",
        ] {
            assert!(value.get(field).is_some(), "{field}");
        }
        assert_eq!(value["etag"], "\"e-10\"");
        assert!(value.get("error").is_none());
        assert!(value.get("confirmed").is_none());
        assert!(value.get("uncertain_initiates").is_none());
        assert!(summary.to_text().contains("10 parts of 10 B"));
    }
}
