//! Request authentication: who signed a request, and whether the signature holds.
//!
//! [`authenticate`] is the single seam where signature verification plugs in; the algorithms and
//! the canonicalization are `partcopy-protocol`'s ([`partcopy_protocol::verify`]), the same code its
//! signer runs and that the vendors' SDK vectors check. The emulator implements none of it.

use std::time::SystemTime;

use http::StatusCode;
use partcopy_protocol::verify::{verify, VerifyError};
use partcopy_protocol::view::RequestView;

use crate::config::Credentials;
use crate::dialect::{Provider, ServiceError};
use crate::request::Request;

/// Maps a verification failure to the error the provider answers.
fn service_error(provider: Provider, error: &VerifyError) -> ServiceError {
    match error {
        VerifyError::Missing => ServiceError::access_denied(match provider {
            Provider::Cos => "Access Denied.",
            Provider::Oss => "You have no right to access this object because of bucket acl.",
        }),
        VerifyError::UnknownAccessKey(_) => ServiceError::invalid_access_key(),
        VerifyError::Mismatch => ServiceError::signature_mismatch(),
        VerifyError::Expired { .. } => ServiceError::access_denied("Request has expired"),
        VerifyError::NotYetValid { .. } | VerifyError::Skewed { .. } => ServiceError::new(
            StatusCode::FORBIDDEN,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        ),
        VerifyError::Malformed(what) => {
            ServiceError::access_denied(format!("The Authorization header is invalid: {what}."))
        }
        _ => ServiceError::access_denied("Access Denied."),
    }
}

/// Checks that `req` is correctly signed by the key pair of its provider, at `now`; returns the
/// access key id that signed it.
///
/// # Errors
/// 403 with the provider's code: `AccessDenied` (unsigned, malformed, expired),
/// `InvalidAccessKeyId` (unknown key), `SignatureDoesNotMatch` (wrong signature or secret),
/// `RequestTimeTooSkewed`.
pub fn authenticate(req: &Request, keys: &[Credentials], now: SystemTime) -> Result<String, ServiceError> {
    let view = RequestView {
        method: req.method.as_str(),
        path: &req.raw_path,
        query: &req.raw_query,
        headers: &req.headers,
        bucket_in_host: req.virtual_host.then_some(req.bucket.as_str()),
    };
    let lookup = |access_key_id: &str| {
        keys.iter()
            .find(|k| k.provider == req.provider && k.access_key_id == access_key_id)
            .map(|k| k.secret.as_str())
    };
    verify(&view, now, lookup)
        .map(|verified| verified.access_key_id)
        .map_err(|e| service_error(req.provider, &e))
}
