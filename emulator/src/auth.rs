//! Request authentication: who signed a request, and whether the signature holds.
//!
//! [`authenticate`] is the single seam where signature verification plugs in. The signing algorithms
//! themselves live in `partcopy-protocol` (which also verifies); the emulator never implements them.

use crate::config::Credentials;
use crate::dialect::{Provider, ServiceError};
use crate::request::Request;

/// The access key id a request claims, from its Authorization header or presigned query.
fn claimed_access_key(req: &Request) -> Option<String> {
    if let Some(auth) = req.header("authorization") {
        let auth = auth.trim();
        if auth.starts_with("q-sign-algorithm") {
            return auth
                .split('&')
                .find_map(|p| p.strip_prefix("q-ak="))
                .map(str::to_string);
        }
        if let Some(rest) = auth.strip_prefix("OSS4-HMAC-SHA256") {
            return rest
                .split(',')
                .find_map(|p| p.trim().strip_prefix("Credential="))
                .and_then(|c| c.split('/').next())
                .map(str::to_string);
        }
        if let Some(rest) = auth.strip_prefix("OSS ") {
            return rest.split(':').next().map(|s| s.trim().to_string());
        }
        return None;
    }
    ["q-ak", "OSSAccessKeyId", "x-oss-credential"]
        .iter()
        .find_map(|name| req.param(name))
        .map(|v| v.split('/').next().unwrap_or(v).to_string())
}

/// Checks that `req` is signed by the key pair of its provider; returns the access key id.
///
/// THE VERIFICATION SEAM. Until `partcopy-protocol` provides server-side verification, this checks
/// only that the request carries credentials naming the provider's configured access key id.
///
/// # Errors
/// 403 `AccessDenied` for an unsigned request; 403 `InvalidAccessKeyId` (OSS) / `AccessDenied`
/// (COS) for an unknown key; 403 `SignatureDoesNotMatch` for a wrong signature.
pub fn authenticate(req: &Request, keys: &[Credentials]) -> Result<String, ServiceError> {
    let Some(access_key) = claimed_access_key(req) else {
        return Err(ServiceError::access_denied(match req.provider {
            Provider::Cos => "Access Denied.",
            Provider::Oss => "AccessDenied: anonymous access is not allowed.",
        }));
    };
    let known = keys
        .iter()
        .any(|k| k.provider == req.provider && k.access_key_id == access_key);
    if !known {
        return Err(match req.provider {
            Provider::Cos => ServiceError::access_denied("Access Denied."),
            Provider::Oss => ServiceError::invalid_access_key(),
        });
    }
    Ok(access_key)
}
