//! Objects in an archive storage class, readable only once restored.
//!
//! COS (`ARCHIVE`, `DEEP_ARCHIVE`) and OSS (`Archive`, `ColdArchive`, `DeepColdArchive`) keep such
//! an object's data offline: HEAD answers, but reading it — GET, or using it as the source of a
//! PUT-Copy or Upload Part - Copy — is `403 InvalidObjectState` until a restore has finished, which
//! the object shows by its restore header (`x-cos-restore` / `x-oss-restore`) saying
//! `ongoing-request="false"`. The emulator has no restore operation: a test gives an object that
//! header to have it restored. (OSS can be set up to read Archive objects in real time; not
//! modelled.)

use std::collections::BTreeMap;

use http::StatusCode;

use crate::dialect::{Provider, ServiceError};

/// Whether `class` is one of `provider`'s archive storage classes.
pub fn is_archive_class(provider: Provider, class: &str) -> bool {
    match provider {
        Provider::Cos => matches!(class, "ARCHIVE" | "DEEP_ARCHIVE"),
        Provider::Oss => matches!(class, "Archive" | "ColdArchive" | "DeepColdArchive"),
    }
}

/// Checks that an object with these stored headers can be read: not archived, or restored.
///
/// # Errors
/// `403 InvalidObjectState` for an archived object whose restore has not finished.
pub fn check_readable(provider: Provider, headers: &BTreeMap<String, String>) -> Result<(), ServiceError> {
    let class = headers
        .get(&provider.header("storage-class"))
        .map(String::as_str)
        .unwrap_or_default();
    if !is_archive_class(provider, class) {
        return Ok(());
    }
    let restored = headers
        .get(&provider.header("restore"))
        .is_some_and(|state| state.contains("ongoing-request=\"false\""));
    if restored {
        return Ok(());
    }
    Err(ServiceError::new(
        StatusCode::FORBIDDEN,
        "InvalidObjectState",
        "The operation is not valid for the object's state",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn archived_objects_need_a_finished_restore() {
        let cos = |class: &str, restore: Option<&str>| {
            let mut h = headers(&[("x-cos-storage-class", class)]);
            if let Some(r) = restore {
                h.insert("x-cos-restore".into(), r.into());
            }
            check_readable(Provider::Cos, &h)
        };
        assert!(cos("STANDARD", None).is_ok());
        assert!(cos("STANDARD_IA", None).is_ok());
        let refused = cos("ARCHIVE", None).unwrap_err();
        assert_eq!(
            (refused.status, refused.code),
            (StatusCode::FORBIDDEN, "InvalidObjectState")
        );
        assert!(cos("DEEP_ARCHIVE", Some("ongoing-request=\"true\"")).is_err());
        assert!(cos(
            "ARCHIVE",
            Some("ongoing-request=\"false\", expiry-date=\"Sat, 05 Dec 2026 00:00:00 GMT\"")
        )
        .is_ok());
        let oss = headers(&[("x-oss-storage-class", "ColdArchive")]);
        assert!(check_readable(Provider::Oss, &oss).is_err());
        // OSS's class names are not COS's.
        assert!(check_readable(Provider::Oss, &headers(&[("x-oss-storage-class", "ARCHIVE")])).is_ok());
        assert!(check_readable(Provider::Cos, &headers(&[])).is_ok());
    }
}
