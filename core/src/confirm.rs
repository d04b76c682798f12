//! Whether the destination is the object a multipart upload completed, when the answer to
//! Complete never arrived — or, for a copy in place, the object a lost PUT-Copy answer wrote.
//!
//! Two ways to get there: a Complete whose answer was lost (a timeout, a reset connection) is
//! retried and the retry meets `NoSuchUpload`; or a run was killed after it sent Complete, and the
//! next run, resuming from a checkpoint that records every part, finds the upload gone. Either
//! way the service has said only that the upload no longer exists. That is also what it says when
//! someone else removed the upload (an Abort from another tool, a lifecycle rule), and then the
//! destination may hold an older object — for example an earlier copy of an earlier version of the
//! same source, with the same size and part count.
//!
//! So the job HEADs the destination and [`judge`]s it. It is the completed upload only when:
//! - its size is the source's, and its ETag is a multipart ETag of the planned part count
//!   (`"…-N"`);
//! - its user metadata and `Content-Type` are the ones the copy gave it, and its storage class the
//!   one it asked for, when it asked;
//! - and either its CRC-64 equals the source's (it holds the source's bytes: this decides whenever
//!   both ends report one), or, when there is no CRC-64 to compare, its `Last-Modified` is no
//!   earlier than the `Date` of the service's answer to Initiate (both by the service's clock, so
//!   an object written before this upload began cannot pass).
//!
//! A single PUT-Copy in place whose answer was lost is judged the same way without the ETag form
//! and without dates (there is no Initiate): only a CRC-64 can show it, and the metadata or storage
//! class it changed tell it from the object as it was.
//!
//! The multipart ETag itself is not recomputed: OSS documents it as opaque, and the MD5-of-MD5s
//! formula some S3-compatible services use is not a promise either service makes.

use std::fmt;
use std::time::SystemTime;

use crate::ops::{ObjectMetadata, SourceInfo};

/// What the completed upload's object must look like.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The source as HEAD described it when the copy was planned: its size and CRC-64.
    pub source: &'a SourceInfo,
    /// The number of parts the upload was completed with; 0 for a single PUT-Copy (no ETag form
    /// is required, and only a CRC-64 can show it).
    pub parts: u32,
    /// The metadata the copy gave the destination (the source's, or the replacement).
    pub metadata: &'a ObjectMetadata,
    /// The `Date` of the answer to Initiate, verbatim, when known.
    pub initiated: Option<&'a str>,
    /// The storage class the copy asked for, if it asked. A HEAD without a class passes only for
    /// `STANDARD` (COS leaves the header out for it; OSS always sends it).
    pub storage_class: Option<&'a str>,
}

/// What showed that the destination is the completed upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Evidence {
    /// The destination's CRC-64 equals the source's: it holds the source's bytes.
    Crc64,
    /// No CRC-64 to compare, but the destination was last modified no earlier than the upload
    /// began, by the service's clock.
    ModifiedAfterInitiate,
}

impl Evidence {
    /// A short machine-readable name: `crc64` or `modified_after_initiate`.
    pub fn name(self) -> &'static str {
        match self {
            Evidence::Crc64 => "crc64",
            Evidence::ModifiedAfterInitiate => "modified_after_initiate",
        }
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Evidence::Crc64 => "its CRC-64 equals the source's",
            Evidence::ModifiedAfterInitiate => "it was last modified after the upload began",
        })
    }
}

/// Why the destination cannot be taken as the completed upload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Doubt {
    /// There is no destination object.
    #[error("the destination does not exist")]
    Missing,
    /// The HEAD of the destination failed.
    #[error("the destination cannot be read: {0}")]
    Unreadable(String),
    /// The destination's size is not the source's.
    #[error("the destination is {found} bytes, not {expected}")]
    Size {
        /// The source's size.
        expected: u64,
        /// The destination's.
        found: u64,
    },
    /// The destination's ETag is not a multipart ETag of the planned part count.
    #[error("the destination's ETag {etag} is not that of a {parts}-part upload")]
    NotMultipart {
        /// The destination's ETag.
        etag: String,
        /// The planned part count.
        parts: u32,
    },
    /// The destination's user metadata or `Content-Type` differ from the copy's.
    #[error("the destination's metadata differs from the copy's")]
    Metadata,
    /// The destination's storage class is not the one the copy asked for.
    #[error("the destination's storage class is {}, not {expected}", found.as_deref().unwrap_or("the default"))]
    StorageClass {
        /// The class the copy asked for.
        expected: String,
        /// The destination's, when HEAD reported one.
        found: Option<String>,
    },
    /// The destination's CRC-64 differs from the source's.
    #[error("the destination's CRC-64 {found} differs from the source's {expected}")]
    Crc64 {
        /// The source's CRC-64.
        expected: u64,
        /// The destination's.
        found: u64,
    },
    /// The destination was last modified before the upload began.
    #[error("the destination was last modified ({last_modified}) before the upload began ({initiated})")]
    Older {
        /// The destination's `Last-Modified`.
        last_modified: String,
        /// The `Date` of the answer to Initiate.
        initiated: String,
    },
    /// The copy was cancelled before the destination could be read.
    #[error("the copy was cancelled before the destination could be checked")]
    Cancelled,
    /// Neither a CRC-64 on both ends nor the two dates were available.
    #[error("neither a CRC-64 nor the dates needed to tell it from an older object were reported")]
    NoEvidence,
}

/// Judges whether `dest` (a HEAD of the destination) is the object completed from the upload
/// described by `expected`; see the [module documentation](self) for the rules.
///
/// # Errors
/// The first rule `dest` breaks, as a [`Doubt`].
///
/// # Example
/// ```
/// use partcopy_core::confirm::{judge, Doubt, Evidence, Expected};
/// use partcopy_core::ops::{ObjectMetadata, SourceInfo};
///
/// let source = SourceInfo { size: 100, crc64: Some(7), ..SourceInfo::default() };
/// let metadata = ObjectMetadata::default();
/// let expected = Expected { source: &source, parts: 4, metadata: &metadata, initiated: None, storage_class: None };
/// let dest = SourceInfo { size: 100, etag: "\"9f3c-4\"".into(), crc64: Some(7), ..SourceInfo::default() };
/// assert_eq!(judge(&dest, &expected), Ok(Evidence::Crc64));
/// let stale = SourceInfo { crc64: Some(8), ..dest };
/// assert!(matches!(judge(&stale, &expected), Err(Doubt::Crc64 { .. })));
/// ```
pub fn judge(dest: &SourceInfo, expected: &Expected<'_>) -> Result<Evidence, Doubt> {
    if dest.size != expected.source.size {
        return Err(Doubt::Size {
            expected: expected.source.size,
            found: dest.size,
        });
    }
    if expected.parts > 0 && !is_multipart_etag(&dest.etag, expected.parts) {
        return Err(Doubt::NotMultipart {
            etag: dest.etag.clone(),
            parts: expected.parts,
        });
    }
    let content_type_differs = expected
        .metadata
        .content_type
        .as_ref()
        .is_some_and(|wanted| Some(wanted) != dest.metadata.content_type.as_ref());
    if content_type_differs || expected.metadata.user != dest.metadata.user {
        return Err(Doubt::Metadata);
    }
    if let Some(asked) = expected.storage_class {
        let same = match dest.storage_class.as_deref() {
            Some(found) => found.eq_ignore_ascii_case(asked),
            None => asked.eq_ignore_ascii_case("STANDARD"),
        };
        if !same {
            return Err(Doubt::StorageClass {
                expected: asked.to_string(),
                found: dest.storage_class.clone(),
            });
        }
    }
    if let (Some(wanted), Some(found)) = (expected.source.crc64, dest.crc64) {
        return if wanted == found {
            Ok(Evidence::Crc64)
        } else {
            Err(Doubt::Crc64 {
                expected: wanted,
                found,
            })
        };
    }
    let initiated = expected.initiated.filter(|_| expected.parts > 0);
    let (Some(initiated), Some(last_modified)) = (initiated, dest.last_modified.as_deref()) else {
        return Err(Doubt::NoEvidence);
    };
    let (Some(began), Some(modified)) = (http_date(initiated), http_date(last_modified)) else {
        return Err(Doubt::NoEvidence);
    };
    if modified >= began {
        Ok(Evidence::ModifiedAfterInitiate)
    } else {
        Err(Doubt::Older {
            last_modified: last_modified.to_string(),
            initiated: initiated.to_string(),
        })
    }
}

/// Whether `etag` (quotes optional) ends in `-<parts>`, the form of a multipart ETag.
fn is_multipart_etag(etag: &str, parts: u32) -> bool {
    let etag = etag.trim_matches('"');
    match etag.rsplit_once('-') {
        Some((head, count)) => {
            !head.is_empty()
                && !count.starts_with('0')
                && count.bytes().all(|b| b.is_ascii_digit())
                && count.parse::<u32>().ok() == Some(parts)
        }
        None => false,
    }
}

/// An HTTP date (`Sat, 21 Nov 2026 10:00:00 GMT` and the two obsolete forms).
fn http_date(text: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> SourceInfo {
        SourceInfo {
            size: 100,
            etag: "\"src\"".into(),
            crc64: Some(7),
            metadata: ObjectMetadata {
                content_type: Some("video/mp4".into()),
                user: vec![("owner".into(), "alice".into())],
                ..ObjectMetadata::default()
            },
            ..SourceInfo::default()
        }
    }

    /// The completed object, as a HEAD describes it.
    fn completed() -> SourceInfo {
        SourceInfo {
            etag: "\"0123abcd-4\"".into(),
            last_modified: Some("Sun, 22 Nov 2026 05:00:10 GMT".into()),
            ..source()
        }
    }

    fn check(dest: &SourceInfo, crc64: bool, initiated: Option<&str>) -> Result<Evidence, Doubt> {
        let mut source = source();
        if !crc64 {
            source.crc64 = None;
        }
        let metadata = source.metadata.clone();
        judge(
            dest,
            &Expected {
                source: &source,
                parts: 4,
                metadata: &metadata,
                initiated,
                storage_class: None,
            },
        )
    }

    const BEGAN: Option<&str> = Some("Sun, 22 Nov 2026 05:00:10 GMT");

    #[test]
    fn the_crc64_decides_when_both_ends_report_one() {
        assert_eq!(check(&completed(), true, None), Ok(Evidence::Crc64));
        let other = SourceInfo {
            crc64: Some(8),
            ..completed()
        };
        assert_eq!(
            check(&other, true, BEGAN),
            Err(Doubt::Crc64 {
                expected: 7,
                found: 8
            }),
            "a recent date does not outweigh a different CRC-64"
        );
    }

    #[test]
    fn without_crc64_the_dates_decide() {
        let no_crc = SourceInfo {
            crc64: None,
            ..completed()
        };
        // The same second counts (Last-Modified and Date have whole seconds).
        assert_eq!(check(&no_crc, true, BEGAN), Ok(Evidence::ModifiedAfterInitiate));
        assert_eq!(
            check(&completed(), false, BEGAN),
            Ok(Evidence::ModifiedAfterInitiate)
        );
        let older = SourceInfo {
            last_modified: Some("Sun, 22 Nov 2026 05:00:09 GMT".into()),
            ..no_crc.clone()
        };
        assert!(matches!(check(&older, true, BEGAN), Err(Doubt::Older { .. })));
        assert_eq!(check(&no_crc, true, None), Err(Doubt::NoEvidence));
        assert_eq!(check(&no_crc, true, Some("yesterday")), Err(Doubt::NoEvidence));
        let undated = SourceInfo {
            last_modified: None,
            ..no_crc
        };
        assert_eq!(check(&undated, true, BEGAN), Err(Doubt::NoEvidence));
    }

    #[test]
    fn size_part_count_and_metadata_must_match_first() {
        let small = SourceInfo {
            size: 99,
            ..completed()
        };
        assert_eq!(
            check(&small, true, BEGAN),
            Err(Doubt::Size {
                expected: 100,
                found: 99
            })
        );
        let single = SourceInfo {
            etag: "\"0123abcd\"".into(),
            ..completed()
        };
        assert!(matches!(
            check(&single, true, BEGAN),
            Err(Doubt::NotMultipart { parts: 4, .. })
        ));
        let mut relabelled = completed();
        relabelled.metadata.user = vec![("owner".into(), "bob".into())];
        assert_eq!(check(&relabelled, true, BEGAN), Err(Doubt::Metadata));
        let mut retyped = completed();
        retyped.metadata.content_type = Some("text/plain".into());
        assert_eq!(check(&retyped, true, BEGAN), Err(Doubt::Metadata));
        // A copy that asked for no Content-Type accepts the service's default.
        let source = source();
        let metadata = ObjectMetadata {
            content_type: None,
            ..source.metadata.clone()
        };
        let expected = Expected {
            source: &source,
            parts: 4,
            metadata: &metadata,
            initiated: None,
            storage_class: None,
        };
        assert_eq!(judge(&retyped, &expected), Ok(Evidence::Crc64));
        // A class asked for must be there; a HEAD without one is STANDARD.
        let archived = SourceInfo {
            storage_class: Some("archive".into()),
            ..completed()
        };
        let asked = |class| Expected {
            storage_class: Some(class),
            ..expected
        };
        assert_eq!(judge(&archived, &asked("ARCHIVE")), Ok(Evidence::Crc64));
        assert_eq!(
            judge(&archived, &asked("STANDARD_IA")),
            Err(Doubt::StorageClass {
                expected: "STANDARD_IA".into(),
                found: Some("archive".into())
            })
        );
        assert_eq!(judge(&completed(), &asked("Standard")), Ok(Evidence::Crc64));
        assert!(matches!(
            judge(&completed(), &asked("IA")),
            Err(Doubt::StorageClass { found: None, .. })
        ));
    }

    #[test]
    fn a_single_copy_needs_no_multipart_etag_but_a_crc64() {
        let source = source();
        let expected = Expected {
            source: &source,
            parts: 0,
            metadata: &source.metadata,
            initiated: BEGAN,
            storage_class: None,
        };
        let copied = SourceInfo {
            etag: "\"0123abcd\"".into(),
            ..completed()
        };
        assert_eq!(judge(&copied, &expected), Ok(Evidence::Crc64));
        // No Initiate: without a CRC-64 the dates prove nothing, whatever they say.
        let no_crc = SourceInfo {
            crc64: None,
            ..copied
        };
        assert_eq!(judge(&no_crc, &expected), Err(Doubt::NoEvidence));
    }

    #[test]
    fn multipart_etags() {
        assert!(is_multipart_etag("\"abc-10\"", 10));
        assert!(is_multipart_etag("ABC-10", 10));
        assert!(!is_multipart_etag("\"abc-110\"", 10));
        assert!(!is_multipart_etag("\"abc-9\"", 10));
        assert!(!is_multipart_etag("\"abc-010\"", 10));
        assert!(!is_multipart_etag("\"abc\"", 10));
        assert!(!is_multipart_etag("\"-10\"", 10));
        assert!(!is_multipart_etag("\"abc-+10\"", 10));
    }
}
