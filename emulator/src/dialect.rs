//! The two dialects the emulator speaks: header names, timestamps and error documents of COS and OSS.

use std::cell::RefCell;
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use http::StatusCode;

/// A cloud provider whose object API the emulator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    /// Tencent Cloud COS (`x-cos-*` headers).
    Cos,
    /// Alibaba Cloud OSS (`x-oss-*` headers).
    Oss,
}

impl Provider {
    /// The provider's header prefix without the trailing dash: `x-cos` or `x-oss`.
    pub fn prefix(self) -> &'static str {
        match self {
            Provider::Cos => "x-cos",
            Provider::Oss => "x-oss",
        }
    }

    /// A provider header name, e.g. `header("copy-source")` = `x-cos-copy-source`.
    pub fn header(self, suffix: &str) -> String {
        format!("{}-{suffix}", self.prefix())
    }

    /// Lower-case name: `cos` or `oss`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Cos => "cos",
            Provider::Oss => "oss",
        }
    }

    /// The `Server` header value the service sends.
    pub fn server(self) -> &'static str {
        match self {
            Provider::Cos => "tencent-cos",
            Provider::Oss => "AliyunOSS",
        }
    }

    /// The metadata directive value meaning "copy" (`Copy` / `COPY`).
    pub fn directive_copy(self) -> &'static str {
        match self {
            Provider::Cos => "Copy",
            Provider::Oss => "COPY",
        }
    }

    /// The metadata directive value meaning "replace" (`Replaced` / `REPLACE`).
    pub fn directive_replace(self) -> &'static str {
        match self {
            Provider::Cos => "Replaced",
            Provider::Oss => "REPLACE",
        }
    }

    /// Formats a 16-byte digest as this provider formats ETags (COS lower-case, OSS upper-case hex).
    pub fn hex(self, digest: &[u8]) -> String {
        match self {
            Provider::Cos => hex::encode(digest),
            Provider::Oss => hex::encode_upper(digest),
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Provider {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Provider {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A provider name that is neither `cos` nor `oss`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown provider {0:?} (expected cos or oss)")]
pub struct UnknownProvider(pub String);

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cos" => Ok(Provider::Cos),
            "oss" => Ok(Provider::Oss),
            _ => Err(UnknownProvider(s.to_string())),
        }
    }
}

/// An error answer of the service: status, code and message, rendered per dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status.
    pub status: StatusCode,
    /// The service error code (`NoSuchKey`, `SignatureDoesNotMatch`, …).
    pub code: &'static str,
    /// A human message.
    pub message: String,
    /// OSS's `EC` detail code, when the emulator knows one.
    pub ec: &'static str,
}

impl ServiceError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ServiceError {
            status,
            code,
            message: message.into(),
            ec: "",
        }
    }

    fn with_ec(mut self, ec: &'static str) -> Self {
        self.ec = ec;
        self
    }

    /// 404 NoSuchKey.
    pub fn no_such_key() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        )
        .with_ec("0026-00000001")
    }

    /// 404 NoSuchVersion: the key exists, but not the version asked for.
    pub fn no_such_version() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoSuchVersion",
            "The specified version does not exist.",
        )
    }

    /// 404 NoSuchBucket.
    pub fn no_such_bucket() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist.",
        )
        .with_ec("0015-00000101")
    }

    /// 404 NoSuchUpload.
    pub fn no_such_upload() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        )
        .with_ec("0042-00000002")
    }

    /// 400 InvalidArgument.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
    }

    /// 400 MalformedXML.
    pub fn malformed_xml() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema.",
        )
    }

    /// 403 AccessDenied.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDenied", message).with_ec("0003-00000001")
    }

    /// 403 SignatureDoesNotMatch.
    pub fn signature_mismatch() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
        .with_ec("0002-00000040")
    }

    /// 403 InvalidAccessKeyId.
    pub fn invalid_access_key() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "InvalidAccessKeyId",
            "The access key ID you provided does not exist in our records.",
        )
        .with_ec("0002-00000902")
    }

    /// 403 InvalidSecurityToken (OSS: a temporary key without its session token, or another).
    pub fn invalid_security_token() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "InvalidSecurityToken",
            "The security token you provided is invalid.",
        )
        .with_ec("0002-00000008")
    }

    /// 412 PreconditionFailed.
    pub fn precondition_failed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, "PreconditionFailed", message).with_ec("0016-00000807")
    }

    /// 304 NotModified.
    pub fn not_modified() -> Self {
        Self::new(StatusCode::NOT_MODIFIED, "NotModified", "Not Modified")
    }

    /// 400 InvalidPart.
    pub fn invalid_part(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidPart", message).with_ec("0042-00000215")
    }

    /// 400 InvalidPartOrder.
    pub fn invalid_part_order() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
        )
        .with_ec("0042-00000216")
    }

    /// 400 EntityTooSmall.
    pub fn entity_too_small() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed object size.",
        )
        .with_ec("0042-00000217")
    }

    /// 416 InvalidRange.
    pub fn invalid_range() -> Self {
        Self::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "InvalidRange",
            "The requested range is not satisfiable.",
        )
    }

    /// 500 InternalError.
    pub fn internal_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
        )
    }

    /// 503 SlowDown.
    pub fn slow_down() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            "Please reduce your request rate.",
        )
    }

    /// 501 NotImplemented.
    pub fn not_implemented() -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "The emulator does not implement this operation.",
        )
    }
}

/// Where an error happened, for the error document's `Resource` / `HostId` / `Key`.
#[derive(Debug, Clone, Default)]
pub struct ErrorContext {
    /// The request id sent in the response header.
    pub request_id: String,
    /// The host the request addressed.
    pub host: String,
    /// The bucket, if any.
    pub bucket: String,
    /// The key, if any.
    pub key: String,
}

fn escape(text: &str) -> String {
    quick_xml::escape::partial_escape(text).into_owned()
}

/// Renders the `<Error>` document of `provider` for `error`.
pub fn error_document(provider: Provider, error: &ServiceError, context: &ErrorContext) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n");
    xml.push_str(&format!("  <Code>{}</Code>\n", error.code));
    xml.push_str(&format!("  <Message>{}</Message>\n", escape(&error.message)));
    match provider {
        Provider::Cos => {
            let resource = if context.key.is_empty() {
                context.host.clone()
            } else {
                format!("{}/{}", context.host, context.key)
            };
            xml.push_str(&format!("  <Resource>{}</Resource>\n", escape(&resource)));
            xml.push_str(&format!(
                "  <RequestId>{}</RequestId>\n",
                escape(&context.request_id)
            ));
            xml.push_str(&format!(
                "  <TraceId>{}</TraceId>\n",
                escape(&trace_id(&context.request_id))
            ));
        }
        Provider::Oss => {
            xml.push_str(&format!(
                "  <RequestId>{}</RequestId>\n",
                escape(&context.request_id)
            ));
            xml.push_str(&format!("  <HostId>{}</HostId>\n", escape(&context.host)));
            if !context.bucket.is_empty() {
                xml.push_str(&format!(
                    "  <BucketName>{}</BucketName>\n",
                    escape(&context.bucket)
                ));
            }
            if !context.key.is_empty() {
                xml.push_str(&format!("  <Key>{}</Key>\n", escape(&context.key)));
            }
            if !error.ec.is_empty() {
                xml.push_str(&format!("  <EC>{}</EC>\n", error.ec));
            }
        }
    }
    xml.push_str("</Error>\n");
    xml
}

/// The base64 form of an error document that OSS puts in `x-oss-err` on HEAD responses.
pub fn error_header(document: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(document)
}

fn trace_id(request_id: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("trace-{request_id}"))
}

/// Formats a Unix time as the ISO 8601 form both services use in XML (`2026-01-02T03:04:05.000Z`).
///
/// The milliseconds are always `000`, as the services send them: oss2 parses exactly that form.
pub fn iso8601(unix_millis: i64) -> String {
    thread_local!(static LAST: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) });
    per_second(&LAST, unix_millis, |t| {
        let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].000Z");
        to_datetime(t)
            .format(&format)
            .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".to_string())
    })
}

/// Formats a Unix time as an HTTP date (`Sat, 21 Nov 2026 21:28:05 GMT`).
pub fn http_date(unix_millis: i64) -> String {
    thread_local!(static LAST: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) });
    per_second(&LAST, unix_millis, |t| {
        let format = time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        to_datetime(t)
            .format(&format)
            .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 GMT".to_string())
    })
}

/// A rendering with one-second resolution, remembered per thread for the last second asked: every
/// response carries a date, and formatting one costs more than the rest of a small response.
fn per_second(
    last: &'static std::thread::LocalKey<RefCell<(i64, String)>>,
    unix_millis: i64,
    render: impl FnOnce(i64) -> String,
) -> String {
    let second = unix_millis.div_euclid(1000);
    last.with(|cell| {
        let mut last = cell.borrow_mut();
        if last.0 != second {
            *last = (second, render(second * 1000));
        }
        last.1.clone()
    })
}

/// Parses an HTTP date (RFC 1123) to Unix milliseconds.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let parsed = time::PrimitiveDateTime::parse(text.trim(), &format).ok()?;
    Some((parsed.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

fn to_datetime(unix_millis: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_millis) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Now, in Unix milliseconds.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_render_and_parse() {
        let t = 1_795_000_000_123;
        assert!(iso8601(t).ends_with(":40.000Z"), "{}", iso8601(t));
        let http = http_date(t);
        assert_eq!(parse_http_date(&http), Some(t - 123));
        // Remembered per second: the same second renders the same, the next one moves on.
        assert_eq!(http_date(t + 876), http);
        assert_eq!(parse_http_date(&http_date(t + 877)), Some(t + 877));
        assert_eq!(parse_http_date(&http_date(t - 124)), Some(t - 1123));
        assert!(iso8601(t + 877).ends_with(":41.000Z"));
        assert!(iso8601(t).ends_with(":40.000Z"));
    }

    #[test]
    fn documents_have_dialect_fields() {
        let ctx = ErrorContext {
            request_id: "r1".into(),
            host: "h".into(),
            bucket: "b".into(),
            key: "k&".into(),
        };
        let cos = error_document(Provider::Cos, &ServiceError::no_such_key(), &ctx);
        assert!(cos.contains("<TraceId>") && cos.contains("<Resource>h/k&amp;</Resource>"));
        let oss = error_document(Provider::Oss, &ServiceError::no_such_key(), &ctx);
        assert!(oss.contains("<EC>0026-00000001</EC>") && oss.contains("<HostId>h</HostId>"));
    }
}
