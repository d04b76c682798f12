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

/// The answer to a request signed by a temporary key without its session token (or another).
fn bad_token(provider: Provider) -> ServiceError {
    match provider {
        Provider::Cos => {
            ServiceError::access_denied("The security token is missing or does not match the temporary key.")
        }
        Provider::Oss => ServiceError::invalid_security_token(),
    }
}

/// Checks that `req` is correctly signed by the key pair of its provider, at `now`, and that a
/// temporary pair's request carries its session token; returns the access key id that signed it.
///
/// # Errors
/// 403 with the provider's code: `AccessDenied` (unsigned, malformed, expired; COS: a temporary
/// key without its token), `InvalidAccessKeyId` (unknown key), `SignatureDoesNotMatch` (wrong
/// signature or secret), `RequestTimeTooSkewed`, OSS `InvalidSecurityToken`.
pub fn authenticate(req: &Request, keys: &[Credentials], now: SystemTime) -> Result<String, ServiceError> {
    let view = RequestView {
        method: req.method.as_str(),
        path: &req.raw_path,
        query: &req.raw_query,
        headers: &req.headers,
        bucket_in_host: req.virtual_host.then_some(req.bucket.as_str()),
    };
    let key = |access_key_id: &str| {
        keys.iter()
            .find(|k| k.provider == req.provider && k.access_key_id == access_key_id)
    };
    let lookup = |access_key_id: &str| key(access_key_id).map(|k| k.secret.as_str());
    let verified = verify(&view, now, lookup).map_err(|e| service_error(req.provider, &e))?;
    match key(&verified.access_key_id).and_then(|k| k.session_token.as_deref()) {
        Some(token) if verified.session_token.as_deref() != Some(token) => Err(bad_token(req.provider)),
        _ => Ok(verified.access_key_id),
    }
}
