//! Error documents of both dialects, and how a failed response becomes core's [`Failure`].
//!
//! COS sends `<Error><Code/><Message/><Resource/><RequestId/><TraceId/></Error>`; OSS sends
//! `<Error><Code/><Message/><RequestId/><HostId/><EC/>…</Error>`. A response to HEAD has no body:
//! OSS then puts the error document, base64-encoded, in an `x-oss-err` header; COS gives only the
//! status and an `x-cos-request-id` header.
//!
//! Classification ([`classify`]) looks at the service's code first and the HTTP status second:
//!
//! | code or status | kind |
//! |---|---|
//! | `SlowDown`, OSS `*QpsLimitExceeded`, `*TrafficRateLimitExceeded`, `ActiveRequestLimitExceeded`, `CpuLimitExceeded`; status 429 | [`FailureKind::Throttled`] |
//! | `PreconditionFailed`; status 412 | [`FailureKind::PreconditionFailed`] |
//! | `NoSuchKey`; status 404 on HEAD without a code | [`FailureKind::NoSuchKey`] |
//! | `NoSuchUpload` | [`FailureKind::NoSuchUpload`] |
//! | `NoSuchBucket` | [`FailureKind::NoSuchBucket`] |
//! | `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`; status 401, 403 | [`FailureKind::AccessDenied`] |
//! | `InternalError`, `ServiceUnavailable`, `RequestTimeout`; status 5xx; an `<Error>` in a 2xx with a code not named here | [`FailureKind::Retryable`] |
//! | `InvalidArgument`, `InvalidRequest`, `InvalidPart`, `InvalidPartOrder`, `EntityTooSmall`, `EntityTooLarge`, `MalformedXML`, `InvalidDigest`, `InvalidObjectState`, `MethodNotAllowed`, `KeyTooLong` (unless the status is 5xx); anything else (other 4xx, 3xx) | [`FailureKind::Fatal`] |
//!
//! Sources: OSS's 503 codes are listed at help.aliyun.com "HTTP status code 503"; COS's `SlowDown`
//! and the 200-with-`<Error>` answers at cloud.tencent.com/document/product/436/7730 and 436/7742.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, Response};
use partcopy_core::ops::{Failure, FailureKind};

use crate::provider::Provider;
use crate::xml::{excerpt, non_empty, walk, Visit, XmlError};

/// Codes that ask the client to slow down.
const THROTTLING_CODES: &[&str] = &[
    // COS and OSS (S3's code).
    "SlowDown",
    // OSS, status 503.
    "TotalQpsLimitExceeded",
    "MetaOperationQpsLimitExceeded",
    "ActiveRequestLimitExceeded",
    "DownloadTrafficRateLimitExceeded",
    "UploadTrafficRateLimitExceeded",
    "CpuLimitExceeded",
];

/// Codes of transient server-side failures.
const RETRYABLE_CODES: &[&str] = &["InternalError", "ServiceUnavailable", "RequestTimeout"];

/// Codes that mean the credentials or signature were refused (normally with status 403).
const ACCESS_CODES: &[&str] = &["AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId"];

/// Codes of requests the service will refuse however often they are sent. They matter only in a
/// 2xx answer's `<Error>` (with a 4xx status they are fatal anyway): COS reports a Complete with a
/// bad part list this way.
const CLIENT_CODES: &[&str] = &[
    "InvalidArgument",
    "InvalidRequest",
    "InvalidPart",
    "InvalidPartOrder",
    "EntityTooSmall",
    "EntityTooLarge",
    "MalformedXML",
    "InvalidDigest",
    "InvalidObjectState",
    "MethodNotAllowed",
    "KeyTooLong",
];

/// Code of a failure built from a response this crate could not understand.
pub const INVALID_RESPONSE: &str = "InvalidResponse";

/// Code of a failure built by [`transport_failure`].
pub const TRANSPORT: &str = "Transport";

/// An `<Error>` document, in either dialect.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorDocument {
    /// `<Code>`: `NoSuchKey`, `SlowDown`, …
    pub code: Option<String>,
    /// `<Message>`.
    pub message: Option<String>,
    /// `<RequestId>`.
    pub request_id: Option<String>,
    /// `<Resource>` (COS).
    pub resource: Option<String>,
    /// `<TraceId>` (COS).
    pub trace_id: Option<String>,
    /// `<HostId>` (OSS).
    pub host_id: Option<String>,
    /// `<EC>` (OSS): the detailed error code, like `0002-00000080`.
    pub ec: Option<String>,
}

/// Parses an `<Error>` document of either dialect, after any leading whitespace.
///
/// # Errors
/// An [`XmlError`]; [`XmlError::UnexpectedRoot`] when the root is not `<Error>`.
pub fn parse_error_document(body: &[u8]) -> Result<ErrorDocument, XmlError> {
    let mut doc = ErrorDocument::default();
    walk(body, "Error", |visit, path, text| {
        if let (Visit::Close, [leaf]) = (visit, path) {
            let slot = match leaf.as_str() {
                "Code" => &mut doc.code,
                "Message" => &mut doc.message,
                "RequestId" => &mut doc.request_id,
                "Resource" => &mut doc.resource,
                "TraceId" => &mut doc.trace_id,
                "HostId" => &mut doc.host_id,
                "EC" => &mut doc.ec,
                _ => return Ok(()),
            };
            *slot = non_empty(text);
        }
        Ok(())
    })?;
    Ok(doc)
}

/// Decodes the base64 `<Error>` document OSS puts in the `x-oss-err` header of a HEAD error.
///
/// Returns `None` when the header is absent, not base64 or not an error document.
pub fn decode_oss_err_header(headers: &HeaderMap) -> Option<ErrorDocument> {
    let value = headers.get("x-oss-err")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(value.as_bytes())
        .ok()?;
    parse_error_document(&raw).ok()
}

/// Classifies a failed answer by the service's `code` (when known), its HTTP `status`, and whether
/// it answered a HEAD (`head`), following the table in the [module docs](self).
pub fn classify(status: u16, code: Option<&str>, head: bool) -> FailureKind {
    if let Some(code) = code {
        if THROTTLING_CODES.contains(&code) {
            return FailureKind::Throttled;
        }
        match code {
            "PreconditionFailed" => return FailureKind::PreconditionFailed,
            "NoSuchKey" => return FailureKind::NoSuchKey,
            "NoSuchUpload" => return FailureKind::NoSuchUpload,
            "NoSuchBucket" => return FailureKind::NoSuchBucket,
            _ => {}
        }
        if ACCESS_CODES.contains(&code) {
            return FailureKind::AccessDenied;
        }
        if RETRYABLE_CODES.contains(&code) {
            return FailureKind::Retryable;
        }
        if CLIENT_CODES.contains(&code) && status < 500 {
            return FailureKind::Fatal;
        }
    }
    match status {
        429 => FailureKind::Throttled,
        412 => FailureKind::PreconditionFailed,
        404 if head && code.is_none() => FailureKind::NoSuchKey,
        401 | 403 => FailureKind::AccessDenied,
        500..=599 => FailureKind::Retryable,
        // The service accepted the request and then reported a failure in the body.
        200..=299 => FailureKind::Retryable,
        _ => FailureKind::Fatal,
    }
}

/// A failure for a request that never got a complete answer (connection refused or reset, a
/// timeout, …): kind [`FailureKind::Transport`], code [`TRANSPORT`], no status.
pub fn transport_failure(description: impl Into<String>) -> Failure {
    Failure {
        kind: FailureKind::Transport,
        status: None,
        code: TRANSPORT.to_owned(),
        message: description.into(),
        request_id: None,
        retry_after: None,
    }
}

/// The failure a non-2xx `response` stands for, with the service's code, message and request id
/// taken from the body, the `x-oss-err` header (OSS HEAD) or the headers.
///
/// `head` says whether the request was a HEAD (a 404 without a code then means `NoSuchKey`).
pub fn failure_from_response(provider: Provider, head: bool, response: &Response<Bytes>) -> Failure {
    let headers = response.headers();
    let body = response.body();
    let doc = match parse_error_document(body) {
        Ok(doc) => Some(doc),
        Err(_) if body.is_empty() && provider == Provider::Oss => decode_oss_err_header(headers),
        Err(_) => None,
    };
    failure_from_document(provider, head, response.status().as_u16(), headers, doc)
}

/// The failure an `<Error>` document in a `2xx` answer stands for (COS PUT-Copy and Complete).
pub(crate) fn failure_from_error_body(
    provider: Provider,
    status: u16,
    headers: &HeaderMap,
    doc: ErrorDocument,
) -> Failure {
    failure_from_document(provider, false, status, headers, Some(doc))
}

fn failure_from_document(
    provider: Provider,
    head: bool,
    status: u16,
    headers: &HeaderMap,
    doc: Option<ErrorDocument>,
) -> Failure {
    let doc = doc.unwrap_or_default();
    // COS vector buckets (and some gateways) put the code in a header; the COS SDK reads it too.
    let code = doc
        .code
        .or_else(|| header_text(headers, &format!("{}error-code", provider.header_prefix())));
    let kind = classify(status, code.as_deref(), head);
    let code = code.unwrap_or_else(|| {
        if kind == FailureKind::NoSuchKey {
            "NoSuchKey".to_owned()
        } else {
            format!("Http{status}")
        }
    });
    let mut message = doc.message.unwrap_or_else(|| {
        http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("unknown status")
            .to_owned()
    });
    let ec = doc.ec.or_else(|| header_text(headers, "x-oss-ec"));
    if let (Provider::Oss, Some(ec)) = (provider, ec) {
        message.push_str(" (EC ");
        message.push_str(&ec);
        message.push(')');
    }
    Failure {
        kind,
        status: Some(status),
        code,
        message,
        request_id: doc.request_id.or_else(|| request_id_header(provider, headers)),
        retry_after: retry_after(headers),
    }
}

/// The failure for a response this crate could not understand: kind [`FailureKind::Retryable`],
/// code [`INVALID_RESPONSE`].
pub(crate) fn invalid_response(
    provider: Provider,
    what: &str,
    status: u16,
    headers: &HeaderMap,
    reason: impl std::fmt::Display,
) -> Failure {
    Failure {
        kind: FailureKind::Retryable,
        status: Some(status),
        code: INVALID_RESPONSE.to_owned(),
        message: format!("cannot read the answer to {what}: {reason}"),
        request_id: request_id_header(provider, headers),
        retry_after: retry_after(headers),
    }
}

/// The `x-cos-request-id` / `x-oss-request-id` header.
pub(crate) fn request_id_header(provider: Provider, headers: &HeaderMap) -> Option<String> {
    header_text(headers, &format!("{}request-id", provider.header_prefix()))
}

/// A header's value as trimmed, non-empty, short text; `None` if absent or not visible ASCII.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let v = headers.get(name)?.to_str().ok()?;
    non_empty(v).map(|s| excerpt(&s))
}

/// `Retry-After` in seconds. The HTTP-date form is ignored: this crate has no clock.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response<Bytes> {
        let mut b = Response::builder().status(status);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Bytes::from(body.to_owned())).unwrap()
    }

    const COS_NO_SUCH_UPLOAD: &str = r#"<?xml version='1.0' encoding='utf-8' ?>
<Error>
	<Code>NoSuchUpload</Code>
	<Message>The specified multipart upload does not exist.</Message>
	<Resource>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/big.bin</Resource>
	<RequestId>NjQ2ZjBmNTZfNmE0MjU4MDlfMjlmYzZfYWJj</RequestId>
	<TraceId>OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVmMDAxODc0OWRkZjk0ZDM1NmI1M2E2MTRlY2MzZDhmNmI5MWI1OTBjYzE2MjAxN2M1MzJiOTdkZjMxMDVlYTZjN2FiMmI0</TraceId>
</Error>"#;

    const OSS_ACCESS_DENIED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>AccessDenied</Code>
  <Message>The bucket you are attempting to access must be addressed using OSS V4 signature.</Message>
  <RequestId>65F1A2B3C4D5E6F708192A3B</RequestId>
  <HostId>dst-bucket.oss-cn-hangzhou.aliyuncs.com</HostId>
  <EC>0002-00000080</EC>
  <RecommendDoc>https://api.aliyun.com/troubleshoot?q=0002-00000080</RecommendDoc>
</Error>"#;

    #[test]
    fn parses_cos_error_document() {
        let d = parse_error_document(COS_NO_SUCH_UPLOAD.as_bytes()).unwrap();
        assert_eq!(d.code.as_deref(), Some("NoSuchUpload"));
        assert_eq!(
            d.request_id.as_deref(),
            Some("NjQ2ZjBmNTZfNmE0MjU4MDlfMjlmYzZfYWJj")
        );
        assert!(d.resource.unwrap().ends_with("/big.bin"));
        assert!(d.trace_id.unwrap().starts_with("OGVmYzZi"));
        assert_eq!(d.ec, None);
    }

    #[test]
    fn parses_oss_error_document_ignoring_unknown_elements() {
        let d = parse_error_document(OSS_ACCESS_DENIED.as_bytes()).unwrap();
        assert_eq!(d.code.as_deref(), Some("AccessDenied"));
        assert_eq!(
            d.host_id.as_deref(),
            Some("dst-bucket.oss-cn-hangzhou.aliyuncs.com")
        );
        assert_eq!(d.ec.as_deref(), Some("0002-00000080"));
        assert!(d.message.unwrap().contains("V4 signature"));
    }

    #[test]
    fn error_document_with_entities_and_cdata() {
        let body = "<Error><Code>InvalidArgument</Code><Message>bad &lt;Part&gt; &amp; <![CDATA[<x>]]></Message></Error>";
        let d = parse_error_document(body.as_bytes()).unwrap();
        assert_eq!(d.message.as_deref(), Some("bad <Part> & <x>"));
        assert!(matches!(
            parse_error_document(b"<CopyObjectResult/>"),
            Err(XmlError::UnexpectedRoot { .. })
        ));
    }

    #[test]
    fn classification_table() {
        use FailureKind::*;
        let cases: &[(u16, Option<&str>, bool, FailureKind)] = &[
            (500, Some("InternalError"), false, Retryable),
            (500, None, false, Retryable),
            (502, None, false, Retryable),
            (503, Some("ServiceUnavailable"), false, Retryable),
            (400, Some("RequestTimeout"), false, Retryable),
            (200, Some("InternalError"), false, Retryable),
            (200, Some("SomethingNew"), false, Retryable),
            (200, None, false, Retryable),
            (503, Some("SlowDown"), false, Throttled),
            (503, Some("TotalQpsLimitExceeded"), false, Throttled),
            (503, Some("MetaOperationQpsLimitExceeded"), false, Throttled),
            (503, Some("ActiveRequestLimitExceeded"), false, Throttled),
            (503, Some("UploadTrafficRateLimitExceeded"), false, Throttled),
            (503, Some("DownloadTrafficRateLimitExceeded"), false, Throttled),
            (429, None, false, Throttled),
            (429, Some("TooManyRequests"), false, Throttled),
            (200, Some("SlowDown"), false, Throttled),
            (412, Some("PreconditionFailed"), false, PreconditionFailed),
            (412, None, false, PreconditionFailed),
            (404, Some("NoSuchKey"), false, NoSuchKey),
            (404, Some("NoSuchKey"), true, NoSuchKey),
            (404, None, true, NoSuchKey),
            (404, None, false, Fatal),
            (404, Some("NoSuchUpload"), false, NoSuchUpload),
            (404, Some("NoSuchBucket"), false, NoSuchBucket),
            (404, Some("NoSuchBucket"), true, NoSuchBucket),
            (403, Some("AccessDenied"), false, AccessDenied),
            (403, Some("SignatureDoesNotMatch"), false, AccessDenied),
            (403, Some("InvalidAccessKeyId"), false, AccessDenied),
            (403, Some("RequestTimeTooSkewed"), false, AccessDenied),
            (403, None, true, AccessDenied),
            (401, None, false, AccessDenied),
            (200, Some("AccessDenied"), false, AccessDenied),
            (400, Some("InvalidArgument"), false, Fatal),
            (400, Some("EntityTooLarge"), false, Fatal),
            (400, Some("InvalidPart"), false, Fatal),
            (200, Some("InvalidPart"), false, Fatal),
            (200, Some("EntityTooSmall"), false, Fatal),
            (500, Some("InvalidArgument"), false, Retryable),
            (405, Some("MethodNotAllowed"), false, Fatal),
            (409, None, false, Fatal),
            (301, Some("PermanentRedirect"), false, Fatal),
        ];
        for &(status, code, head, want) in cases {
            assert_eq!(
                classify(status, code, head),
                want,
                "{status} {code:?} head={head}"
            );
        }
    }

    #[test]
    fn failure_keeps_code_message_request_id_and_retry_after() {
        let r = response(
            404,
            &[
                ("x-cos-request-id", "header-id"),
                ("content-type", "application/xml"),
            ],
            COS_NO_SUCH_UPLOAD,
        );
        let f = failure_from_response(Provider::Cos, false, &r);
        assert_eq!(f.kind, FailureKind::NoSuchUpload);
        assert_eq!(f.status, Some(404));
        assert_eq!(f.code, "NoSuchUpload");
        assert_eq!(f.message, "The specified multipart upload does not exist.");
        // The body's id wins over the header's.
        assert_eq!(
            f.request_id.as_deref(),
            Some("NjQ2ZjBmNTZfNmE0MjU4MDlfMjlmYzZfYWJj")
        );
        assert_eq!(f.retry_after, None);

        let slow = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
        let r = response(503, &[("Retry-After", "7"), ("x-oss-request-id", "rid-9")], slow);
        let f = failure_from_response(Provider::Oss, false, &r);
        assert_eq!(f.kind, FailureKind::Throttled);
        assert_eq!(f.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(f.request_id.as_deref(), Some("rid-9"));

        let r = response(503, &[("Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT")], slow);
        assert_eq!(failure_from_response(Provider::Cos, false, &r).retry_after, None);
    }

    #[test]
    fn oss_message_carries_the_ec() {
        let r = response(403, &[], OSS_ACCESS_DENIED);
        let f = failure_from_response(Provider::Oss, false, &r);
        assert_eq!(f.kind, FailureKind::AccessDenied);
        assert!(f.message.ends_with("(EC 0002-00000080)"), "{}", f.message);
        assert_eq!(f.request_id.as_deref(), Some("65F1A2B3C4D5E6F708192A3B"));
    }

    #[test]
    fn oss_head_error_comes_from_the_x_oss_err_header() {
        let doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>NoSuchBucket</Code>\n  \
                   <Message>The specified bucket does not exist.</Message>\n  <RequestId>65F1000000000000000000AA</RequestId>\n  \
                   <HostId>nobucket.oss-cn-hangzhou.aliyuncs.com</HostId>\n  <BucketName>nobucket</BucketName>\n  \
                   <EC>0015-00000101</EC>\n</Error>\n";
        let encoded = base64::engine::general_purpose::STANDARD.encode(doc);
        let r = response(
            404,
            &[
                ("x-oss-err", &encoded),
                ("x-oss-request-id", "65F1000000000000000000AA"),
            ],
            "",
        );
        let f = failure_from_response(Provider::Oss, true, &r);
        assert_eq!(f.kind, FailureKind::NoSuchBucket);
        assert_eq!(f.code, "NoSuchBucket");
        assert_eq!(
            f.message,
            "The specified bucket does not exist. (EC 0015-00000101)"
        );

        // Garbage in the header: fall back to the status.
        let r = response(404, &[("x-oss-err", "%%%not base64")], "");
        let f = failure_from_response(Provider::Oss, true, &r);
        assert_eq!((f.kind, f.code.as_str()), (FailureKind::NoSuchKey, "NoSuchKey"));
        assert_eq!(f.message, "Not Found");
    }

    #[test]
    fn cos_head_error_has_only_status_and_request_id() {
        let r = response(404, &[("x-cos-request-id", "NjQ2ZjBm")], "");
        let f = failure_from_response(Provider::Cos, true, &r);
        assert_eq!(f.kind, FailureKind::NoSuchKey);
        assert_eq!(f.code, "NoSuchKey");
        assert_eq!(f.request_id.as_deref(), Some("NjQ2ZjBm"));
        let r = response(403, &[("x-cos-request-id", "abc")], "");
        let f = failure_from_response(Provider::Cos, true, &r);
        assert_eq!((f.kind, f.code.as_str()), (FailureKind::AccessDenied, "Http403"));
        let r = response(404, &[("x-cos-error-code", "NoSuchBucket")], "");
        assert_eq!(
            failure_from_response(Provider::Cos, true, &r).kind,
            FailureKind::NoSuchBucket
        );
    }

    #[test]
    fn non_xml_error_bodies_fall_back_to_the_status() {
        let r = response(502, &[], "<html><body>Bad Gateway</body></html>");
        let f = failure_from_response(Provider::Cos, false, &r);
        assert_eq!((f.kind, f.code.as_str()), (FailureKind::Retryable, "Http502"));
        assert_eq!(f.message, "Bad Gateway");
    }

    #[test]
    fn transport_failures_are_retryable() {
        let f = transport_failure("connection reset by peer");
        assert_eq!(f.kind, FailureKind::Transport);
        assert!(f.kind.is_retryable());
        assert_eq!(f.status, None);
        assert_eq!(f.message, "connection reset by peer");
    }
}
