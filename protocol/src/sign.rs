//! The signer: adds the date, token and `Authorization` headers a provider wants to a request.
//!
//! The pure steps live in [`crate::cos::sign`], [`crate::oss::sign_v1`] and [`crate::oss::sign_v4`];
//! this module only puts their output on the request. Time is a parameter.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http::header::{HeaderName, HeaderValue, AUTHORIZATION, DATE};

use crate::cos::sign as cos;
use crate::credentials::Credentials;
use crate::oss::{sign_v1, sign_v4};
use crate::timestamp::Timestamp;
use crate::view::RequestView;

/// Which signature scheme a signer produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// COS `q-sign-algorithm=sha1`.
    Cos,
    /// OSS V1, `OSS ak:signature` (being retired by Alibaba Cloud).
    OssV1,
    /// OSS V4, `OSS4-HMAC-SHA256`.
    OssV4,
}

/// The OSS signature version to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OssSignature {
    /// V1 (HMAC-SHA1).
    V1,
    /// V4 (HMAC-SHA256), the default.
    #[default]
    V4,
}

/// Errors from signing a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// A value to be put in a header (access key id, token) is not a valid header value.
    #[error("the {0} cannot be sent in an HTTP header")]
    InvalidHeaderValue(&'static str),
}

/// Derived keys of the last signature, which depend only on the secret and on inputs that change
/// rarely: COS's key time (once a second) and OSS V4's date and region (once a day).
#[derive(Default)]
struct KeyCache {
    /// COS: the key time and the MAC keyed with its sign key.
    cos: Mutex<Option<(String, cos::KeyedMac)>>,
    /// OSS V4: the date, the region and the signing key.
    v4: Mutex<Option<(String, String, [u8; 32])>>,
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<signing key cache>")
    }
}

/// Signs requests for one provider with one set of credentials.
///
/// Signing is a pure function of the request, the credentials and the time passed in; the signer
/// only memoizes derived keys (COS: the sign key of the last key time, which changes once a second;
/// OSS V4: the signing key of the last date and region), as deriving them is much of the work of a
/// signature.
#[derive(Debug, Clone)]
pub struct Signer {
    scheme: Scheme,
    credentials: Credentials,
    /// COS: how long a signature stays valid after `now`.
    cos_valid_for: Duration,
    /// COS: how far before `now` the key time starts (tolerates a server clock behind ours).
    cos_backdate: Duration,
    keys: Arc<KeyCache>,
}

/// Where a request is going, as far as signing needs to know.
#[derive(Debug, Clone, Copy)]
pub struct SignTarget<'a> {
    /// The bucket named by the host (virtual-host addressing), `None` for path-style.
    pub bucket_in_host: Option<&'a str>,
    /// The OSS region of the scope (`cn-hangzhou`); unused by COS and OSS V1.
    pub region: &'a str,
}

impl Signer {
    /// A signer for `scheme` with `credentials`. COS signatures are valid from 60 s before to one hour
    /// after the signing time (cos-python-sdk-v5 also starts 60 s early).
    pub fn new(scheme: Scheme, credentials: Credentials) -> Self {
        Signer {
            scheme,
            credentials,
            cos_valid_for: Duration::from_secs(3600),
            cos_backdate: Duration::from_secs(60),
            keys: Arc::default(),
        }
    }

    /// A COS signer.
    pub fn cos(credentials: Credentials) -> Self {
        Self::new(Scheme::Cos, credentials)
    }

    /// An OSS signer of the given version.
    pub fn oss(version: OssSignature, credentials: Credentials) -> Self {
        let scheme = match version {
            OssSignature::V1 => Scheme::OssV1,
            OssSignature::V4 => Scheme::OssV4,
        };
        Self::new(scheme, credentials)
    }

    /// The same signer with another COS validity window: `[now - backdate, now + valid_for]`.
    #[must_use]
    pub fn with_cos_window(mut self, backdate: Duration, valid_for: Duration) -> Self {
        self.cos_backdate = backdate;
        self.cos_valid_for = valid_for;
        self
    }

    /// The scheme this signer produces.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The credentials (their `Debug` is redacted).
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Signs `req` in place at time `now`: adds the scheme's date and token headers, then
    /// `Authorization`. The request must already carry every header to be signed (`Host` for COS).
    ///
    /// # Errors
    /// [`SignError::InvalidHeaderValue`] if the access key id or token cannot be a header value.
    pub fn sign<B>(
        &self,
        req: &mut http::Request<B>,
        target: SignTarget<'_>,
        now: SystemTime,
    ) -> Result<(), SignError> {
        let ts = Timestamp::new(now);
        let auth = match self.scheme {
            Scheme::Cos => {
                if let Some(token) = &self.credentials.session_token {
                    insert(req, "x-cos-security-token", token, "session token")?;
                }
                let start = ts.unix() - self.cos_backdate.as_secs() as i64;
                let end = ts.unix() + self.cos_valid_for.as_secs() as i64;
                let key_time = cos::key_time(start, end);
                let view = RequestView::of(req, target.bucket_in_host);
                let canonical = cos::http_string(&view, cos::Selection::Client);
                let sts = cos::string_to_sign(&key_time, &canonical.http_string);
                let sig = self.cos_signature(&key_time, &sts);
                cos::authorization(&self.credentials.access_key_id, &key_time, &canonical, &sig)
            }
            Scheme::OssV1 => {
                if let Some(token) = &self.credentials.session_token {
                    insert(req, "x-oss-security-token", token, "session token")?;
                }
                req.headers_mut().insert(
                    DATE,
                    HeaderValue::from_str(ts.http_date())
                        .map_err(|_| SignError::InvalidHeaderValue("date"))?,
                );
                let view = RequestView::of(req, target.bucket_in_host);
                let sts = sign_v1::string_to_sign(&view);
                let sig = sign_v1::signature(self.credentials.secret(), &sts);
                sign_v1::authorization(&self.credentials.access_key_id, &sig)
            }
            Scheme::OssV4 => {
                insert(req, "x-oss-date", ts.iso8601(), "date")?;
                req.headers_mut().insert(
                    DATE,
                    HeaderValue::from_str(ts.http_date())
                        .map_err(|_| SignError::InvalidHeaderValue("date"))?,
                );
                if let Some(token) = &self.credentials.session_token {
                    insert(req, "x-oss-security-token", token, "session token")?;
                }
                req.headers_mut().insert(
                    HeaderName::from_static("x-oss-content-sha256"),
                    HeaderValue::from_static(sign_v4::UNSIGNED_PAYLOAD),
                );
                let view = RequestView::of(req, target.bucket_in_host);
                let cr = sign_v4::canonical_request(&view, &[], sign_v4::QueryForm::Normalized);
                let scope = sign_v4::scope(ts.date8(), target.region);
                let sts = sign_v4::string_to_sign(ts.iso8601(), &scope, &cr);
                let key = self.v4_signing_key(ts.date8(), target.region);
                let sig = sign_v4::signature(&key, &sts);
                sign_v4::authorization(&self.credentials.access_key_id, &scope, &[], &sig)
            }
        };
        let value =
            HeaderValue::try_from(auth).map_err(|_| SignError::InvalidHeaderValue("access key id"))?;
        req.headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }
}

impl Signer {
    /// The COS signature of `string_to_sign` under `key_time`, keyed from the memo when it matches.
    fn cos_signature(&self, key_time: &str, string_to_sign: &str) -> String {
        if let Ok(memo) = self.keys.cos.lock() {
            if let Some((time, mac)) = &*memo {
                if time == key_time {
                    return mac.signature(string_to_sign);
                }
            }
        }
        let mac = cos::KeyedMac::new(self.credentials.secret(), key_time);
        let signature = mac.signature(string_to_sign);
        if let Ok(mut memo) = self.keys.cos.lock() {
            *memo = Some((key_time.to_owned(), mac));
        }
        signature
    }

    /// The V4 signing key for (`date8`, `region`), from the memo when it matches.
    fn v4_signing_key(&self, date8: &str, region: &str) -> [u8; 32] {
        if let Ok(memo) = self.keys.v4.lock() {
            if let Some((d, r, key)) = &*memo {
                if d == date8 && r == region {
                    return *key;
                }
            }
        }
        let key = sign_v4::signing_key(self.credentials.secret(), date8, region);
        if let Ok(mut memo) = self.keys.v4.lock() {
            *memo = Some((date8.to_owned(), region.to_owned(), key));
        }
        key
    }
}

fn insert<B>(
    req: &mut http::Request<B>,
    name: &'static str,
    value: &str,
    what: &'static str,
) -> Result<(), SignError> {
    let v = HeaderValue::from_str(value).map_err(|_| SignError::InvalidHeaderValue(what))?;
    req.headers_mut().insert(HeaderName::from_static(name), v);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn signed(signer: &Signer, secs: u64, region: &str) -> String {
        let mut req = http::Request::builder()
            .method("GET")
            .uri("https://b.oss-cn-hangzhou.aliyuncs.com/k")
            .body(())
            .unwrap();
        let target = SignTarget {
            bucket_in_host: Some("b"),
            region,
        };
        signer
            .sign(&mut req, target, UNIX_EPOCH + Duration::from_secs(secs))
            .unwrap();
        req.headers()["authorization"].to_str().unwrap().to_owned()
    }

    #[test]
    fn v4_key_memo_never_changes_a_signature() {
        let creds = Credentials::new("AK", "SK");
        let memo = Signer::oss(OssSignature::V4, creds.clone());
        for (secs, region) in [
            (1_767_323_045, "cn-hangzhou"),
            (1_767_323_046, "cn-hangzhou"),
            (1_767_409_445, "cn-hangzhou"),
            (1_767_409_445, "cn-beijing"),
            (1_767_323_045, "cn-hangzhou"),
        ] {
            let fresh = Signer::oss(OssSignature::V4, creds.clone());
            assert_eq!(signed(&memo, secs, region), signed(&fresh, secs, region));
        }
    }

    #[test]
    fn cos_key_memo_never_changes_a_signature() {
        let creds = Credentials::new("AKID", "SECRET");
        let memo = Signer::cos(creds.clone());
        for secs in [
            1_767_323_045,
            1_767_323_045,
            1_767_323_046,
            1_767_323_045,
            1_767_409_445,
        ] {
            let fresh = Signer::cos(creds.clone());
            let a = signed(&memo, secs, "ap-beijing");
            assert_eq!(a, signed(&fresh, secs, "ap-beijing"));
            // And the same as the pure steps give.
            let key_time = cos::key_time(secs as i64 - 60, secs as i64 + 3600);
            let req = http::Request::builder()
                .method("GET")
                .uri("https://b.oss-cn-hangzhou.aliyuncs.com/k")
                .body(())
                .unwrap();
            let view = RequestView::of(&req, Some("b"));
            let canonical = cos::http_string(&view, cos::Selection::Client);
            let sts = cos::string_to_sign(&key_time, &canonical.http_string);
            let pure = cos::signature(&cos::sign_key("SECRET", &key_time), &sts);
            assert!(a.ends_with(&format!("&q-signature={pure}")), "{a} vs {pure}");
        }
    }

    #[test]
    fn debug_hides_the_secret_and_the_derived_key() {
        let s = Signer::oss(OssSignature::V4, Credentials::new("AK", "TOPSECRET"));
        let _ = signed(&s, 1_767_323_045, "cn-hangzhou");
        let text = format!("{s:?}");
        assert!(!text.contains("TOPSECRET"), "{text}");
        assert!(text.contains("<signing key cache>"), "{text}");
    }
}
