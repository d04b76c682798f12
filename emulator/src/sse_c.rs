//! Customer-provided encryption keys (SSE-C), as COS serves them.
//!
//! The emulator stores no data, so it encrypts nothing; it keeps what the service's behaviour
//! depends on. An object written with a key (PUT, PUT-Copy, a completed upload whose Initiate named
//! one) stores the algorithm and the key's MD5 among its headers, as COS returns them on HEAD, and
//! never the key. Reading it — HEAD, GET, or as a copy source — then needs the same key, named by
//! the `x-cos-server-side-encryption-customer-*` headers (the copy-source form for a copy source);
//! an upload begun with a key needs it on every part. A key on an object stored without one is
//! refused too. Malformed key headers are `400 InvalidArgument`; a missing, wrong or needless key
//! is `400 InvalidRequest` (a HEAD answer has no body, so the status is what a client sees).
//! OSS has no SSE-C: its requests are not checked.

use std::collections::BTreeMap;

use base64::Engine as _;
use http::StatusCode;
use md5::{Digest, Md5};

use crate::dialect::{Provider, ServiceError};
use crate::request::Request;

/// The stored header naming an object's SSE-C algorithm (COS).
pub const ALGORITHM_HEADER: &str = "x-cos-server-side-encryption-customer-algorithm";
/// The stored header holding the MD5 of an object's SSE-C key, base64 (COS).
pub const KEY_MD5_HEADER: &str = "x-cos-server-side-encryption-customer-key-md5";

/// Where a request names a key: for the object it addresses, or for its copy source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFor {
    /// `x-cos-server-side-encryption-customer-*`.
    Object,
    /// `x-cos-copy-source-server-side-encryption-customer-*`.
    CopySource,
}

impl KeyFor {
    /// The algorithm, key and key-MD5 header names (static: checked on every part copy).
    fn names(self) -> [&'static str; 3] {
        match self {
            KeyFor::Object => [
                ALGORITHM_HEADER,
                "x-cos-server-side-encryption-customer-key",
                KEY_MD5_HEADER,
            ],
            KeyFor::CopySource => [
                "x-cos-copy-source-server-side-encryption-customer-algorithm",
                "x-cos-copy-source-server-side-encryption-customer-key",
                "x-cos-copy-source-server-side-encryption-customer-key-md5",
            ],
        }
    }
}

/// The key a request names for `what`, checked: the base64 MD5 of the key, or `None` when the
/// request names none (and always for OSS).
///
/// # Errors
/// `400 InvalidArgument` when the headers are incomplete, the algorithm is not `AES256`, the key
/// is not base64 of 32 bytes, or the MD5 is not the key's.
pub fn requested_key(req: &Request, what: KeyFor) -> Result<Option<String>, ServiceError> {
    if req.provider != Provider::Cos {
        return Ok(None);
    }
    let names = what.names();
    let [algorithm, key, md5] = names.map(|name| req.header(name));
    if algorithm.is_none() && key.is_none() && md5.is_none() {
        return Ok(None);
    }
    let invalid = |why: &str| {
        let prefix = names[0].trim_end_matches("algorithm");
        Err(ServiceError::invalid_argument(format!("{prefix}*: {why}")))
    };
    let (Some(algorithm), Some(key), Some(md5)) = (algorithm, key, md5) else {
        return invalid("the algorithm, the key and the key's MD5 must all be given");
    };
    if algorithm != "AES256" {
        return invalid("the algorithm must be AES256");
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let raw = match b64.decode(key.trim()) {
        Ok(raw) if raw.len() == 32 => raw,
        _ => return invalid("the key must be base64 of 32 bytes"),
    };
    let digest = b64.encode(Md5::digest(&raw));
    if digest != md5.trim() {
        return invalid("the key's MD5 does not match the key");
    }
    Ok(Some(digest))
}

/// Checks that `given` (from [`requested_key`]) opens an object or upload with these stored
/// headers.
///
/// # Errors
/// `400 InvalidRequest` when the object has a key and the request names none or another one, or
/// the request names a key for an object stored without one.
pub fn check_access(stored: &BTreeMap<String, String>, given: Option<&str>) -> Result<(), ServiceError> {
    let refused = |message: &str| {
        Err(ServiceError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            message.to_string(),
        ))
    };
    match (stored.get(KEY_MD5_HEADER).map(String::as_str), given) {
        (None, None) => Ok(()),
        (Some(_), None) => refused(
            "The object is encrypted with a customer-provided key (SSE-C); the request must give the key.",
        ),
        (Some(stored), Some(given)) if stored == given => Ok(()),
        (Some(_), Some(_)) => refused("The customer-provided key (SSE-C) is not the object's key."),
        (None, Some(_)) => refused("The object is not encrypted with a customer-provided key (SSE-C)."),
    }
}

/// The headers an object written with the key whose MD5 is `md5` stores.
pub fn stored_headers(md5: &str) -> [(String, String); 2] {
    [
        (ALGORITHM_HEADER.to_string(), "AES256".to_string()),
        (KEY_MD5_HEADER.to_string(), md5.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(md5: &str) -> BTreeMap<String, String> {
        stored_headers(md5).into_iter().collect()
    }

    #[test]
    fn access_needs_the_stored_key_and_only_it() {
        assert!(check_access(&BTreeMap::new(), None).is_ok());
        assert!(check_access(&stored("m"), Some("m")).is_ok());
        for (headers, given) in [
            (stored("m"), None),
            (stored("m"), Some("other")),
            (BTreeMap::new(), Some("m")),
        ] {
            let error = check_access(&headers, given).unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST);
            assert_eq!(error.code, "InvalidRequest");
        }
    }
}
