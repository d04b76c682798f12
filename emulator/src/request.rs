//! A received request, parsed: dialect, addressing (bucket and key from Host or path), query.

use bytes::Bytes;
use http::{HeaderMap, Method};
use percent_encoding::percent_decode_str;

use crate::dialect::Provider;

/// A request as the operation handlers see it.
#[derive(Debug, Clone)]
pub struct Request {
    /// HTTP method.
    pub method: Method,
    /// The dialect chosen for this request.
    pub provider: Provider,
    /// The addressed host, lower case, without port.
    pub host: String,
    /// The bucket ("" for a service-level request).
    pub bucket: String,
    /// The object key, decoded ("" for a bucket-level request).
    pub key: String,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Request headers.
    pub headers: HeaderMap,
    /// The request body.
    pub body: Bytes,
    /// The path as received (still percent-encoded), for signature checking.
    pub raw_path: String,
    /// The query as received, for signature checking.
    pub raw_query: String,
    /// Whether the bucket came from the Host (virtual-host addressing) rather than the path.
    pub virtual_host: bool,
}

impl Request {
    /// The value of query parameter `name`, if present ("" for a bare `?name`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of header `name` as text, if present and valid.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The value of this dialect's header `x-<p>-<suffix>`.
    pub fn provider_header(&self, suffix: &str) -> Option<&str> {
        // Assembled on the stack: handlers look up several of these per request.
        let prefix = self.provider.prefix().as_bytes();
        let mut buf = [0u8; 64];
        let len = prefix.len() + 1 + suffix.len();
        let Some(name) = buf.get_mut(..len) else {
            return self.header(&self.provider.header(suffix));
        };
        name[..prefix.len()].copy_from_slice(prefix);
        name[prefix.len()] = b'-';
        name[prefix.len() + 1..].copy_from_slice(suffix.as_bytes());
        self.header(std::str::from_utf8(name).ok()?)
    }
}

/// Decodes a percent-encoded string (invalid UTF-8 replaced).
pub fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// Parses a raw query string into decoded (name, value) pairs. A query is form-encoded: `+` is a
/// space (the SDKs' HTTP library sends a space in a value so, and signs the space).
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    let form = |text: &str| decode(&text.replace('+', " "));
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (form(k), form(v)),
            None => (form(pair), String::new()),
        })
        .collect()
}

/// Splits `host[:port]` into the lower-case host name.
pub fn host_name(authority: &str) -> String {
    let authority = authority.trim().to_ascii_lowercase();
    if let Some(rest) = authority.strip_prefix('[') {
        // [v6]:port
        return rest.split(']').next().unwrap_or("").to_string();
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host.to_string(),
        _ => authority,
    }
}

/// What a Host header says about the bucket, for virtual-host addressing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostStyle {
    /// `<bucket>.cos.<region>.myqcloud.com`.
    Cos {
        /// The bucket.
        bucket: String,
        /// The region.
        region: String,
    },
    /// `<bucket>.oss-<region>[-internal].aliyuncs.com`.
    Oss {
        /// The bucket.
        bucket: String,
        /// The region.
        region: String,
    },
    /// Anything else: `<first label>.<rest>` or an IP/localhost.
    Other,
}

/// Recognizes the providers' virtual-host names.
pub fn host_style(host: &str) -> HostStyle {
    if let Some(rest) = host.strip_suffix(".myqcloud.com") {
        if let Some((bucket, region)) = rest.split_once(".cos.") {
            if !bucket.is_empty() && !bucket.contains('.') {
                return HostStyle::Cos {
                    bucket: bucket.to_string(),
                    region: region.to_string(),
                };
            }
        }
    }
    if let Some(rest) = host.strip_suffix(".aliyuncs.com") {
        if let Some((bucket, endpoint)) = rest.split_once('.') {
            if let Some(region) = endpoint.strip_prefix("oss-") {
                return HostStyle::Oss {
                    bucket: bucket.to_string(),
                    region: region.trim_end_matches("-internal").to_string(),
                };
            }
        }
    }
    HostStyle::Other
}

fn is_ip_or_localhost(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok()
}

/// Resolves bucket and decoded key from the host and raw path; the flag says virtual-host addressing.
///
/// Virtual-host style when the host is a COS/OSS bucket host, or when its first label names a known
/// bucket; path style (`/<bucket>/<key>`) otherwise.
pub fn resolve(host: &str, raw_path: &str, is_bucket: impl Fn(&str) -> bool) -> (String, String, bool) {
    let path = raw_path.strip_prefix('/').unwrap_or(raw_path);
    let virtual_bucket = match host_style(host) {
        HostStyle::Cos { bucket, .. } | HostStyle::Oss { bucket, .. } => Some(bucket),
        HostStyle::Other if !is_ip_or_localhost(host) => host
            .split_once('.')
            .map(|(first, _)| first.to_string())
            .filter(|first| is_bucket(first)),
        HostStyle::Other => None,
    };
    match virtual_bucket {
        Some(bucket) => (bucket, decode(path), true),
        None => {
            let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
            (decode(bucket), decode(key), false)
        }
    }
}

/// Picks the dialect of a request from its host, Authorization scheme, query and headers;
/// `bucket_provider` is the fallback when nothing in the request says.
pub fn detect_provider(
    host: &str,
    headers: &HeaderMap,
    query: &[(String, String)],
    bucket_provider: Option<Provider>,
) -> Provider {
    match host_style(host) {
        HostStyle::Cos { .. } => return Provider::Cos,
        HostStyle::Oss { .. } => return Provider::Oss,
        HostStyle::Other => {}
    }
    if let Some(auth) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if auth.starts_with("q-sign-algorithm") {
            return Provider::Cos;
        }
        if auth.starts_with("OSS ") || auth.starts_with("OSS4-") {
            return Provider::Oss;
        }
    }
    for (name, _) in query {
        if name.starts_with("q-sign-algorithm") {
            return Provider::Cos;
        }
        if name == "OSSAccessKeyId" || name.starts_with("x-oss-") {
            return Provider::Oss;
        }
    }
    let mut cos = false;
    let mut oss = false;
    for name in headers.keys() {
        cos |= name.as_str().starts_with("x-cos-");
        oss |= name.as_str().starts_with("x-oss-");
    }
    match (cos, oss) {
        (true, false) => Provider::Cos,
        (false, true) => Provider::Oss,
        _ => bucket_provider.unwrap_or(Provider::Cos),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_styles() {
        assert_eq!(
            host_style("demo-1250000000.cos.ap-guangzhou.myqcloud.com"),
            HostStyle::Cos {
                bucket: "demo-1250000000".into(),
                region: "ap-guangzhou".into()
            }
        );
        assert_eq!(
            host_style("demo.oss-cn-hangzhou.aliyuncs.com"),
            HostStyle::Oss {
                bucket: "demo".into(),
                region: "cn-hangzhou".into()
            }
        );
        assert_eq!(host_style("127.0.0.1"), HostStyle::Other);
    }

    #[test]
    fn addressing() {
        let known = |b: &str| b == "demo";
        assert_eq!(
            resolve("127.0.0.1", "/demo/a%20b/c", known),
            ("demo".into(), "a b/c".into(), false)
        );
        assert_eq!(
            resolve("demo.localhost", "/a%2Bb", known),
            ("demo".into(), "a+b".into(), true)
        );
        assert_eq!(
            resolve("x.cos.ap-beijing.myqcloud.com", "/k", known),
            ("x".into(), "k".into(), true)
        );
        assert_eq!(
            resolve("127.0.0.1", "/demo", known),
            ("demo".into(), "".into(), false)
        );
        assert_eq!(host_name("Example.COM:9000"), "example.com");
        assert_eq!(host_name("[::1]:80"), "::1");
    }

    #[test]
    fn queries_decode() {
        assert_eq!(
            parse_query("uploads&prefix=a%2Fb+c%2Bd"),
            vec![("uploads".into(), "".into()), ("prefix".into(), "a/b c+d".into())]
        );
    }
}
