//! Server-side signature verification, for the emulator: which scheme signed a received request, is
//! the signature right, and who signed it.
//!
//! The canonicalization is the one the vendors' SDKs use (it is the same code the [`crate::sign`]
//! signer runs), so requests sent by cos-python-sdk-v5, oss2 and alibabacloud-oss-v2 verify; the
//! golden vectors in `testdata/vectors` prove it. Signatures are compared in constant time.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};

use crate::cos::sign as cos;
use crate::oss::{sign_v1, sign_v4};
use crate::sign::Scheme;
use crate::timestamp::Timestamp;
use crate::view::RequestView;

/// How far an OSS request's date may be from the server's clock (OSS allows 15 minutes).
pub const OSS_MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key id that signed it.
    pub access_key_id: String,
    /// The scheme it was signed with.
    pub scheme: Scheme,
    /// The session token it carried (`x-cos-security-token`, `x-oss-security-token`, or for OSS V1
    /// from alibabacloud-oss-v2 a plain `security-token` header), for the caller to check.
    pub session_token: Option<String>,
}

/// Why a request's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No `Authorization` header.
    #[error("the request is not signed (no Authorization header)")]
    Missing,
    /// The `Authorization` header (or a date it depends on) cannot be parsed.
    #[error("malformed signature: {0}")]
    Malformed(&'static str),
    /// The lookup does not know the access key id.
    #[error("unknown access key id {0:?}")]
    UnknownAccessKey(String),
    /// The signature does not match the request.
    #[error("signature mismatch")]
    Mismatch,
    /// COS: the request arrived after the end of `q-sign-time`.
    #[error("the signature expired at {end} (now {now})")]
    Expired {
        /// End of the signature's window, Unix seconds.
        end: i64,
        /// The server's time, Unix seconds.
        now: i64,
    },
    /// COS: the request arrived before the start of `q-sign-time`.
    #[error("the signature is not valid before {start} (now {now})")]
    NotYetValid {
        /// Start of the signature's window, Unix seconds.
        start: i64,
        /// The server's time, Unix seconds.
        now: i64,
    },
    /// OSS: the request's date is more than [`OSS_MAX_SKEW`] away from the server's clock.
    #[error("the request time {request} is too far from the server time {now}")]
    Skewed {
        /// The request's date, Unix seconds.
        request: i64,
        /// The server's time, Unix seconds.
        now: i64,
    },
}

/// Checks the signature of a received request at server time `now`.
///
/// `lookup` maps an access key id to its secret. Works out the scheme from the `Authorization`
/// header: COS (`q-sign-algorithm=sha1&…`), OSS V4 (`OSS4-HMAC-SHA256 …`) or OSS V1 (`OSS ak:sig`).
///
/// # Errors
/// A [`VerifyError`] saying what is wrong: missing, malformed, unknown key, mismatch, expired / not
/// yet valid (COS), skewed (OSS).
pub fn verify<S: AsRef<str>>(
    req: &RequestView<'_>,
    now: SystemTime,
    lookup: impl Fn(&str) -> Option<S>,
) -> Result<Verified, VerifyError> {
    let auth = req
        .header_str("authorization")
        .ok_or(VerifyError::Missing)?
        .trim();
    let now = Timestamp::new(now).unix();
    if auth.starts_with("q-sign-algorithm=") || auth.starts_with("q-ak=") {
        verify_cos(req, auth, now, lookup)
    } else if auth.starts_with(sign_v4::ALGORITHM) {
        verify_oss_v4(req, auth, now, lookup)
    } else if auth.starts_with("OSS ") {
        verify_oss_v1(req, auth, now, lookup)
    } else {
        Err(VerifyError::Malformed("unknown Authorization scheme"))
    }
}

/// The bucket a virtual-hosted `Host` names, for [`RequestView::bucket_in_host`]: the first label
/// when the rest is a COS or OSS service host (`<bucket>.cos.<region>.myqcloud.com`,
/// `<bucket>.oss-<region>.aliyuncs.com`, `<bucket>.oss.<anything>`), or when the host ends with
/// `.<service_host>` (an emulator's own domain, e.g. `localhost` for `<bucket>.localhost:9000`).
/// `None` for IP and `localhost` hosts and anything else (path-style).
pub fn bucket_from_host<'a>(host: &'a str, service_host: Option<&str>) -> Option<&'a str> {
    let name = match host.rsplit_once(':') {
        Some((n, port))
            if !n.ends_with(']') && port.bytes().all(|b| b.is_ascii_digit()) && !n.contains(':') =>
        {
            n
        }
        _ => host,
    };
    if let Some(service) = service_host {
        if let Some(prefix) = name.strip_suffix(service).and_then(|p| p.strip_suffix('.')) {
            return (!prefix.is_empty() && !prefix.contains('.')).then_some(prefix);
        }
    }
    if crate::endpoint::is_ip_or_localhost(name) {
        return None;
    }
    let (first, rest) = name.split_once('.')?;
    let service = rest.starts_with("cos.") || rest.starts_with("oss-") || rest.starts_with("oss.");
    (service && !first.is_empty()).then_some(first)
}

/// [`verify`] for a received request head, the bucket inferred from its `Host` header (or its URI's
/// authority for absolute-form request lines) with [`bucket_from_host`].
///
/// # Errors
/// As [`verify`].
pub fn verify_parts<S: AsRef<str>>(
    parts: &http::request::Parts,
    service_host: Option<&str>,
    now: SystemTime,
    lookup: impl Fn(&str) -> Option<S>,
) -> Result<Verified, VerifyError> {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    let bucket = host.and_then(|h| bucket_from_host(h, service_host));
    let view = RequestView::from_parts(&parts.method, &parts.uri, &parts.headers, bucket);
    verify(&view, now, lookup)
}

fn secret_of<S: AsRef<str>>(ak: &str, lookup: impl Fn(&str) -> Option<S>) -> Result<S, VerifyError> {
    lookup(ak).ok_or_else(|| VerifyError::UnknownAccessKey(ak.to_owned()))
}

fn token(req: &RequestView<'_>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| req.header_str(n)).map(str::to_owned)
}

/// Compares two strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn verify_cos<S: AsRef<str>>(
    req: &RequestView<'_>,
    auth: &str,
    now: i64,
    lookup: impl Fn(&str) -> Option<S>,
) -> Result<Verified, VerifyError> {
    let p =
        cos::parse_authorization(auth).ok_or(VerifyError::Malformed("COS Authorization lacks a field"))?;
    if p.algorithm != "sha1" {
        return Err(VerifyError::Malformed("unsupported q-sign-algorithm"));
    }
    let (start, end) =
        cos::parse_time_window(p.sign_time).ok_or(VerifyError::Malformed("q-sign-time is not start;end"))?;
    cos::parse_time_window(p.key_time).ok_or(VerifyError::Malformed("q-key-time is not start;end"))?;
    if now > end {
        return Err(VerifyError::Expired { end, now });
    }
    if now < start {
        return Err(VerifyError::NotYetValid { start, now });
    }
    let secret = secret_of(p.access_key_id, lookup)?;
    let key = cos::sign_key(secret.as_ref(), p.key_time);
    let check = |view: &RequestView<'_>| {
        let canonical = cos::http_string(
            view,
            cos::Selection::Listed {
                headers: p.header_list,
                params: p.param_list,
            },
        );
        let sts = cos::string_to_sign(p.sign_time, &canonical.http_string);
        constant_time_eq(cos::signature(&key, &sts).as_bytes(), p.signature.as_bytes())
    };
    let mut ok = check(req);
    if !ok && p.header_list.split(';').any(|h| h == "host") {
        // cos-python-sdk-v5 signs the URL's host name without the port, while the Host header
        // carries it: try again with the port stripped.
        if let Some(host) = req.header_str("host") {
            if let Some((name, port)) = host.rsplit_once(':') {
                if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(']') {
                    let mut headers: HeaderMap = req.headers.clone();
                    if let Ok(v) = HeaderValue::from_str(&name.to_ascii_lowercase()) {
                        headers.insert(http::header::HOST, v);
                        ok = check(&RequestView {
                            headers: &headers,
                            ..*req
                        });
                    }
                }
            }
        }
    }
    if !ok {
        return Err(VerifyError::Mismatch);
    }
    Ok(Verified {
        access_key_id: p.access_key_id.to_owned(),
        scheme: Scheme::Cos,
        session_token: token(req, &["x-cos-security-token"]),
    })
}

fn check_skew(request: i64, now: i64) -> Result<(), VerifyError> {
    if request.abs_diff(now) > OSS_MAX_SKEW.as_secs() {
        return Err(VerifyError::Skewed { request, now });
    }
    Ok(())
}

fn verify_oss_v1<S: AsRef<str>>(
    req: &RequestView<'_>,
    auth: &str,
    now: i64,
    lookup: impl Fn(&str) -> Option<S>,
) -> Result<Verified, VerifyError> {
    let (ak, sig) = sign_v1::parse_authorization(auth).ok_or(VerifyError::Malformed(
        "OSS V1 Authorization is not `OSS ak:signature`",
    ))?;
    let date = req
        .header_str("x-oss-date")
        .filter(|d| !d.is_empty())
        .or_else(|| req.header_str("date"))
        .ok_or(VerifyError::Malformed("no Date header"))?;
    let when = Timestamp::parse_http_date(date).ok_or(VerifyError::Malformed("Date is not an HTTP date"))?;
    check_skew(when.unix(), now)?;
    let secret = secret_of(ak, lookup)?;
    let sts = sign_v1::string_to_sign(req);
    if !constant_time_eq(
        sign_v1::signature(secret.as_ref(), &sts).as_bytes(),
        sig.as_bytes(),
    ) {
        return Err(VerifyError::Mismatch);
    }
    Ok(Verified {
        access_key_id: ak.to_owned(),
        scheme: Scheme::OssV1,
        session_token: token(req, &["x-oss-security-token", "security-token"]),
    })
}

fn verify_oss_v4<S: AsRef<str>>(
    req: &RequestView<'_>,
    auth: &str,
    now: i64,
    lookup: impl Fn(&str) -> Option<S>,
) -> Result<Verified, VerifyError> {
    let p = sign_v4::parse_authorization(auth)
        .ok_or(VerifyError::Malformed("OSS V4 Authorization cannot be parsed"))?;
    let datetime = req
        .header_str("x-oss-date")
        .ok_or(VerifyError::Malformed("no x-oss-date header"))?;
    let when = Timestamp::parse_iso8601(datetime)
        .ok_or(VerifyError::Malformed("x-oss-date is not ISO 8601 basic"))?;
    if when.date8() != p.date8 {
        return Err(VerifyError::Malformed(
            "the credential scope's date is not x-oss-date's",
        ));
    }
    check_skew(when.unix(), now)?;
    if p.product != "oss" {
        return Err(VerifyError::Malformed(
            "the credential scope's product is not oss",
        ));
    }
    let secret = secret_of(p.access_key_id, lookup)?;
    let key = sign_v4::signing_key(secret.as_ref(), p.date8, p.region);
    let scope = sign_v4::scope(p.date8, p.region);
    let ok = [sign_v4::QueryForm::Normalized, sign_v4::QueryForm::Raw]
        .into_iter()
        .any(|form| {
            let cr = sign_v4::canonical_request(req, &p.additional, form);
            let sts = sign_v4::string_to_sign(datetime, &scope, &cr);
            constant_time_eq(sign_v4::signature(&key, &sts).as_bytes(), p.signature.as_bytes())
        });
    if !ok {
        return Err(VerifyError::Mismatch);
    }
    Ok(Verified {
        access_key_id: p.access_key_id.to_owned(),
        scheme: Scheme::OssV4,
        session_token: token(req, &["x-oss-security-token"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Credentials;
    use crate::sign::{SignTarget, Signer};
    use std::time::UNIX_EPOCH;

    fn request() -> http::Request<()> {
        http::Request::builder()
            .method("PUT")
            .uri("https://dst.example/dir/a%20b%2Bc?partNumber=2&uploadId=U%2F1")
            .header("host", "dst.example")
            .header("x-cos-copy-source", "src-1.cos.ap-beijing.myqcloud.com/k")
            .header("x-oss-copy-source", "/src/k")
            .header("content-length", "0")
            .body(())
            .unwrap()
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    const NOW: u64 = 1_767_323_045;

    #[test]
    fn own_signatures_verify_and_tampering_is_caught() {
        for (scheme, token) in [
            (Scheme::Cos, None),
            (Scheme::Cos, Some("tok")),
            (Scheme::OssV1, None),
            (Scheme::OssV1, Some("tok")),
            (Scheme::OssV4, None),
            (Scheme::OssV4, Some("tok")),
        ] {
            let mut creds = Credentials::new("AK1", "secret1");
            if let Some(t) = token {
                creds = creds.with_session_token(t);
            }
            let signer = Signer::new(scheme, creds);
            let mut req = request();
            let target = SignTarget {
                bucket_in_host: Some("dst"),
                region: "cn-hangzhou",
            };
            signer.sign(&mut req, target, at(NOW)).unwrap();
            let lookup = |ak: &str| (ak == "AK1").then_some("secret1");
            let v = verify(&RequestView::of(&req, Some("dst")), at(NOW + 30), lookup).unwrap();
            assert_eq!(v.access_key_id, "AK1");
            assert_eq!(v.scheme, scheme);
            assert_eq!(v.session_token.as_deref(), token);

            // Wrong secret.
            let wrong = |_: &str| Some("other");
            assert_eq!(
                verify(&RequestView::of(&req, Some("dst")), at(NOW), wrong),
                Err(VerifyError::Mismatch)
            );
            // Tampered signed header.
            let mut t = req.clone();
            let name = if scheme == Scheme::Cos {
                "x-cos-copy-source"
            } else {
                "x-oss-copy-source"
            };
            t.headers_mut().insert(name, HeaderValue::from_static("/evil"));
            assert_eq!(
                verify(&RequestView::of(&t, Some("dst")), at(NOW), lookup),
                Err(VerifyError::Mismatch),
                "{scheme:?}"
            );
            // Tampered path and query.
            let mut t = req.clone();
            *t.uri_mut() = "https://dst.example/dir/other?partNumber=2&uploadId=U%2F1"
                .parse()
                .unwrap();
            assert_eq!(
                verify(&RequestView::of(&t, Some("dst")), at(NOW), lookup),
                Err(VerifyError::Mismatch)
            );
            let mut t = req.clone();
            *t.uri_mut() = "https://dst.example/dir/a%20b%2Bc?partNumber=3&uploadId=U%2F1"
                .parse()
                .unwrap();
            assert_eq!(
                verify(&RequestView::of(&t, Some("dst")), at(NOW), lookup),
                Err(VerifyError::Mismatch)
            );
            // Unknown key.
            let none = |_: &str| None::<&str>;
            assert_eq!(
                verify(&RequestView::of(&req, Some("dst")), at(NOW), none),
                Err(VerifyError::UnknownAccessKey("AK1".into()))
            );
            // Too late.
            let late = verify(&RequestView::of(&req, Some("dst")), at(NOW + 7200), lookup);
            assert!(
                matches!(
                    late,
                    Err(VerifyError::Expired { .. } | VerifyError::Skewed { .. })
                ),
                "{late:?}"
            );
        }
    }

    #[test]
    fn missing_and_malformed() {
        let req = request();
        let lookup = |_: &str| Some("s");
        assert_eq!(
            verify(&RequestView::of(&req, None), at(NOW), lookup),
            Err(VerifyError::Missing)
        );
        for bad in [
            "Bearer x",
            "q-sign-algorithm=sha1&q-ak=a",
            "q-sign-algorithm=md5&q-ak=a&q-sign-time=1;2&q-key-time=1;2&q-signature=x",
            "q-sign-algorithm=sha1&q-ak=a&q-sign-time=1-2&q-key-time=1;2&q-signature=x",
            "OSS nocolon",
            "OSS4-HMAC-SHA256 Credential=a/b,Signature=c",
        ] {
            let mut r = req.clone();
            r.headers_mut()
                .insert("authorization", HeaderValue::from_static(bad));
            assert!(
                matches!(
                    verify(&RequestView::of(&r, None), at(NOW), lookup),
                    Err(VerifyError::Malformed(_))
                ),
                "{bad}"
            );
        }
        // OSS without a date.
        let mut r = req.clone();
        r.headers_mut()
            .insert("authorization", HeaderValue::from_static("OSS a:b"));
        assert!(matches!(
            verify(&RequestView::of(&r, None), at(NOW), lookup),
            Err(VerifyError::Malformed(_))
        ));
    }

    #[test]
    fn cos_window_is_enforced_both_ways() {
        let signer = Signer::cos(Credentials::new("AK1", "s"));
        let mut req = request();
        signer
            .sign(
                &mut req,
                SignTarget {
                    bucket_in_host: None,
                    region: "",
                },
                at(NOW),
            )
            .unwrap();
        let lookup = |_: &str| Some("s");
        let view = RequestView::of(&req, None);
        assert!(verify(&view, at(NOW - 60), lookup).is_ok());
        assert!(verify(&view, at(NOW + 3600), lookup).is_ok());
        assert!(matches!(
            verify(&view, at(NOW - 61), lookup),
            Err(VerifyError::NotYetValid { .. })
        ));
        assert!(matches!(
            verify(&view, at(NOW + 3601), lookup),
            Err(VerifyError::Expired { .. })
        ));
    }

    #[test]
    fn bucket_inference() {
        assert_eq!(
            bucket_from_host("b-125.cos.ap-guangzhou.myqcloud.com", None),
            Some("b-125")
        );
        assert_eq!(
            bucket_from_host("b.oss-cn-hangzhou.aliyuncs.com", None),
            Some("b")
        );
        assert_eq!(
            bucket_from_host("b.oss-cn-hangzhou.aliyuncs.com:443", None),
            Some("b")
        );
        assert_eq!(bucket_from_host("oss-cn-hangzhou.aliyuncs.com", None), None);
        assert_eq!(bucket_from_host("127.0.0.1:9000", None), None);
        assert_eq!(bucket_from_host("[::1]:9000", None), None);
        assert_eq!(bucket_from_host("localhost:9000", None), None);
        assert_eq!(bucket_from_host("b.localhost:9000", Some("localhost")), Some("b"));
        assert_eq!(bucket_from_host("localhost:9000", Some("localhost")), None);
        assert_eq!(bucket_from_host("example.com", None), None);
    }

    #[test]
    fn verify_parts_infers_the_bucket() {
        let signer = Signer::oss(crate::sign::OssSignature::V4, Credentials::new("AK1", "s"));
        let mut req = http::Request::builder()
            .method("GET")
            .uri("/k%20x?uploadId=1")
            .header("host", "bk.oss-cn-hangzhou.aliyuncs.com")
            .body(())
            .unwrap();
        signer
            .sign(
                &mut req,
                SignTarget {
                    bucket_in_host: Some("bk"),
                    region: "cn-hangzhou",
                },
                at(NOW),
            )
            .unwrap();
        let (parts, ()) = req.into_parts();
        let v = verify_parts(&parts, None, at(NOW), |_: &str| Some("s")).unwrap();
        assert_eq!(v.access_key_id, "AK1");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Whatever a client sends, verification answers with a value, never a panic.
        #[test]
        fn never_panics(
            auth in "(q-sign-algorithm=sha1&q-ak=[a-z]{0,3}&q-sign-time=[0-9;-]{0,12}&q-key-time=[0-9;]{0,12}&q-header-list=[a-z;-]{0,12}&q-url-param-list=[a-z;]{0,8}&q-signature=[0-9a-f]{0,40}|OSS [ -~]{0,30}|OSS4-HMAC-SHA256 [ -~]{0,80}|[ -~]{0,40})",
            path in "/[ -~]{0,20}",
            query in "[ -~&=%]{0,30}",
            date in "[ -~]{0,32}",
        ) {
            let Ok(uri) = format!("{}?{}", path.replace(['?', '#', ' '], "x"), query.replace(['#', ' '], "y")).parse::<http::Uri>() else {
                return Ok(());
            };
            let mut headers = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&auth) {
                headers.insert("authorization", v);
            }
            if let Ok(v) = HeaderValue::from_str(&date) {
                headers.insert("x-oss-date", v.clone());
                headers.insert("date", v);
            }
            headers.insert("host", HeaderValue::from_static("b.oss-cn-hangzhou.aliyuncs.com:80"));
            let method = http::Method::GET;
            let view = RequestView::from_parts(&method, &uri, &headers, Some("b"));
            let _ = verify(&view, at(NOW), |_: &str| Some("s"));
        }
    }

    #[test]
    fn cos_host_signed_without_port_verifies() {
        // cos-python-sdk-v5 signs the URL's host name; the Host header on the wire has the port.
        let signer = Signer::cos(Credentials::new("AK1", "s"));
        let mut req = http::Request::builder()
            .method("GET")
            .uri("http://127.0.0.1:9000/b-1/k")
            .header("host", "127.0.0.1")
            .body(())
            .unwrap();
        signer
            .sign(
                &mut req,
                SignTarget {
                    bucket_in_host: None,
                    region: "",
                },
                at(NOW),
            )
            .unwrap();
        req.headers_mut()
            .insert("host", HeaderValue::from_static("127.0.0.1:9000"));
        let v = verify(&RequestView::of(&req, None), at(NOW), |_: &str| Some("s"));
        assert!(v.is_ok(), "{v:?}");
        req.headers_mut()
            .insert("host", HeaderValue::from_static("127.0.0.2:9000"));
        let v = verify(&RequestView::of(&req, None), at(NOW), |_: &str| Some("s"));
        assert_eq!(v, Err(VerifyError::Mismatch));
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
