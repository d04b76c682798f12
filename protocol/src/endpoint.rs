//! Where an object lives: provider, region, bucket, key, and the endpoint and addressing style used
//! to reach it.
//!
//! Default hosts are COS `<bucket-appid>.cos.<region>.myqcloud.com` and OSS
//! `<bucket>.oss-<region>.aliyuncs.com` over HTTPS (virtual-host addressing). A custom endpoint
//! (`http://127.0.0.1:9000`, `https://oss-cn-hangzhou-internal.aliyuncs.com`) names the service;
//! buckets are addressed on it virtual-host style (`<bucket>.<endpoint host>`), except for IP and
//! `localhost` endpoints, or when asked, which use path-style (`<endpoint>/<bucket>/<key>`).

use std::fmt::Write as _;
use std::net::IpAddr;

use crate::customer_key::CustomerKey;

pub use crate::provider::Provider;

/// How buckets are addressed on an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Addressing {
    /// `https://<bucket>.<host>/<key>`.
    VirtualHost,
    /// `https://<host>/<bucket>/<key>`.
    PathStyle,
}

/// Errors in an endpoint URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The text is not a URL or host name.
    #[error("invalid endpoint {0:?}: {1}")]
    Invalid(String, &'static str),
}

/// A custom service endpoint: scheme, host and port, and the addressing style to use on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    https: bool,
    host: String,
    port: Option<u16>,
    addressing: Addressing,
}

impl Endpoint {
    /// Parses `http[s]://host[:port][/]` or a bare `host[:port]` (HTTPS). IP and `localhost` hosts get
    /// path-style addressing, others virtual-host.
    ///
    /// # Errors
    /// [`EndpointError::Invalid`] for anything else (a path, query, user info, unknown scheme).
    pub fn parse(text: &str) -> Result<Self, EndpointError> {
        let bad = |why| EndpointError::Invalid(text.to_owned(), why);
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("https://{text}")
        };
        let uri: http::Uri = with_scheme.parse().map_err(|_| bad("not a URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(bad("the scheme must be http or https")),
        };
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(bad("an endpoint has no path or query"));
        }
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("user info is not allowed"));
        }
        let host = authority.host().to_ascii_lowercase();
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let addressing = if is_ip_or_localhost(&host) {
            Addressing::PathStyle
        } else {
            Addressing::VirtualHost
        };
        Ok(Endpoint {
            https,
            host,
            port: authority.port_u16(),
            addressing,
        })
    }

    /// The same endpoint with path-style addressing.
    #[must_use]
    pub fn path_style(mut self) -> Self {
        self.addressing = Addressing::PathStyle;
        self
    }

    /// The addressing style used on this endpoint.
    pub fn addressing(&self) -> Addressing {
        self.addressing
    }

    /// The host name (or IP literal, IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }
}

/// Whether `host` is an IP literal or `localhost` (path-style addressing is used for those).
pub fn is_ip_or_localhost(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.parse::<IpAddr>().is_ok() || h.eq_ignore_ascii_case("localhost") || h.ends_with(".localhost")
}

/// Strips an `oss-` prefix, so `oss-cn-hangzhou` and `cn-hangzhou` name the same OSS region.
pub fn oss_region(region: &str) -> &str {
    region.strip_prefix("oss-").unwrap_or(region)
}

/// An object: provider, region, bucket (COS: `name-appid`), key, optional version, optional custom
/// endpoint, optional SSE-C key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectAddress {
    /// The provider.
    pub provider: Provider,
    /// The region (`ap-guangzhou`, `cn-hangzhou`).
    pub region: String,
    /// The bucket; for COS including the APPID suffix (`examplebucket-1250000000`).
    pub bucket: String,
    /// The object key, any UTF-8.
    pub key: String,
    /// A version id to read (source only).
    pub version_id: Option<String>,
    /// A custom endpoint instead of the provider's public one.
    pub endpoint: Option<Endpoint>,
    /// The key the object's data is (or is to be) encrypted with, SSE-C (COS only): sent on every
    /// request that reads or writes the data (see [`customer_key`](crate::customer_key)).
    pub customer_key: Option<CustomerKey>,
}

/// Where to send a request for an address: the resolved scheme, authority and path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// `https` or `http`.
    pub scheme: &'static str,
    /// `host[:port]`, also the `Host` header.
    pub authority: String,
    /// The bucket when it is in the host name (virtual-host), `None` for path-style.
    pub bucket_in_host: Option<String>,
}

impl ObjectAddress {
    /// An object at the provider's public endpoint.
    pub fn new(
        provider: Provider,
        region: impl Into<String>,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        ObjectAddress {
            provider,
            region: region.into(),
            bucket: bucket.into(),
            key: key.into(),
            version_id: None,
            endpoint: None,
            customer_key: None,
        }
    }

    /// The same address with a custom endpoint.
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = Some(endpoint);
        self
    }

    /// The same address reading a given version.
    #[must_use]
    pub fn with_version(mut self, version_id: impl Into<String>) -> Self {
        self.version_id = Some(version_id.into());
        self
    }

    /// The same address with the object's SSE-C key (COS only: rendering a request to an OSS
    /// address with a key is an error).
    #[must_use]
    pub fn with_customer_key(mut self, key: CustomerKey) -> Self {
        self.customer_key = Some(key);
        self
    }

    /// The provider's public host for this bucket (`b-125.cos.ap-guangzhou.myqcloud.com`,
    /// `b.oss-cn-hangzhou.aliyuncs.com`). Also the host part of a COS copy source.
    pub fn public_host(&self) -> String {
        let mut s = String::with_capacity(self.bucket.len() + self.region.len() + 24);
        s.push_str(&self.bucket);
        match self.provider {
            Provider::Cos => {
                s.push_str(".cos.");
                s.push_str(&self.region);
                s.push_str(".myqcloud.com");
            }
            Provider::Oss => {
                s.push_str(".oss-");
                s.push_str(oss_region(&self.region));
                s.push_str(".aliyuncs.com");
            }
        }
        s
    }

    /// The resolved scheme, authority and addressing.
    pub fn location(&self) -> Location {
        match &self.endpoint {
            None => Location {
                scheme: "https",
                authority: self.public_host(),
                bucket_in_host: Some(self.bucket.clone()),
            },
            Some(ep) => {
                let scheme = if ep.https { "https" } else { "http" };
                let default_port = if ep.https { 443 } else { 80 };
                // Built with pushes: this runs for every request, and `format!` cost more than the rest.
                let mut authority = String::with_capacity(self.bucket.len() + ep.host.len() + 7);
                let virtual_host = ep.addressing == Addressing::VirtualHost;
                if virtual_host {
                    authority.push_str(&self.bucket);
                    authority.push('.');
                }
                authority.push_str(&ep.host);
                if let Some(p) = ep.port.filter(|&p| p != default_port) {
                    let _ = write!(authority, ":{p}");
                }
                Location {
                    scheme,
                    authority,
                    bucket_in_host: virtual_host.then(|| self.bucket.clone()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_hosts() {
        let cos = ObjectAddress::new(Provider::Cos, "ap-guangzhou", "b-1250000000", "k");
        assert_eq!(
            cos.location(),
            Location {
                scheme: "https",
                authority: "b-1250000000.cos.ap-guangzhou.myqcloud.com".into(),
                bucket_in_host: Some("b-1250000000".into()),
            }
        );
        let oss = ObjectAddress::new(Provider::Oss, "oss-cn-hangzhou", "b", "k");
        assert_eq!(oss.location().authority, "b.oss-cn-hangzhou.aliyuncs.com");
        let oss = ObjectAddress::new(Provider::Oss, "cn-hangzhou", "b", "k");
        assert_eq!(oss.public_host(), "b.oss-cn-hangzhou.aliyuncs.com");
    }

    #[test]
    fn custom_endpoints() {
        let ep = Endpoint::parse("http://127.0.0.1:9000").unwrap();
        assert_eq!(ep.addressing(), Addressing::PathStyle);
        let a = ObjectAddress::new(Provider::Oss, "cn-hangzhou", "b", "k").with_endpoint(ep);
        assert_eq!(
            a.location(),
            Location {
                scheme: "http",
                authority: "127.0.0.1:9000".into(),
                bucket_in_host: None
            }
        );
        let ep = Endpoint::parse("oss-cn-hangzhou-internal.aliyuncs.com").unwrap();
        assert_eq!(ep.addressing(), Addressing::VirtualHost);
        let a = ObjectAddress::new(Provider::Oss, "cn-hangzhou", "b", "k").with_endpoint(ep.clone());
        assert_eq!(a.location().authority, "b.oss-cn-hangzhou-internal.aliyuncs.com");
        assert_eq!(a.location().scheme, "https");
        let a = a.with_endpoint(ep.path_style());
        assert_eq!(a.location().authority, "oss-cn-hangzhou-internal.aliyuncs.com");
        assert_eq!(a.location().bucket_in_host, None);
        for (text, style) in [
            ("http://localhost:8080/", Addressing::PathStyle),
            ("https://[::1]:9443", Addressing::PathStyle),
            ("https://cos.ap-beijing.myqcloud.com:443", Addressing::VirtualHost),
        ] {
            assert_eq!(Endpoint::parse(text).unwrap().addressing(), style, "{text}");
        }
        let a = ObjectAddress::new(Provider::Cos, "ap-beijing", "b-1", "k")
            .with_endpoint(Endpoint::parse("https://cos.ap-beijing.myqcloud.com:443").unwrap());
        assert_eq!(a.location().authority, "b-1.cos.ap-beijing.myqcloud.com");
        let a = a.with_endpoint(Endpoint::parse("http://cos.example.com:8080").unwrap());
        assert_eq!(a.location().authority, "b-1.cos.example.com:8080");
        let a = a.with_endpoint(Endpoint::parse("https://[::1]:9443").unwrap());
        assert_eq!(a.location().authority, "[::1]:9443");
        for bad in [
            "ftp://h",
            "https://h/path",
            "https://h?q",
            "https://u@h",
            "://",
            "",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad:?}");
        }
    }
}
