//! A borrowed view of an HTTP request as signers see it: method, raw path, raw query, headers.
//!
//! The same view serves the client (signing a request it built) and a server (verifying a request it
//! received), so both sides canonicalize identically.

use std::borrow::Cow;

use http::HeaderMap;
use percent_encoding::percent_decode_str;

/// What a signer reads from a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// The method, upper case as sent (`PUT`).
    pub method: &'a str,
    /// The path exactly as on the wire, percent-encoded (`/dir/a%20b`).
    pub path: &'a str,
    /// The query exactly as on the wire, without `?` (empty when there is none).
    pub query: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The bucket named by the host in virtual-host addressing (`bucket.oss-cn-hangzhou.aliyuncs.com`);
    /// `None` for path-style requests, where the path starts with `/bucket`. OSS signs `/bucket/key`
    /// either way, so it needs this; COS signs the path as sent.
    pub bucket_in_host: Option<&'a str>,
}

impl<'a> RequestView<'a> {
    /// A view of `req` (its URI path and query, method and headers).
    pub fn of<B>(req: &'a http::Request<B>, bucket_in_host: Option<&'a str>) -> Self {
        Self::from_parts(req.method(), req.uri(), req.headers(), bucket_in_host)
    }

    /// A view built from the pieces of a request.
    pub fn from_parts(
        method: &'a http::Method,
        uri: &'a http::Uri,
        headers: &'a HeaderMap,
        bucket_in_host: Option<&'a str>,
    ) -> Self {
        RequestView {
            method: method.as_str(),
            path: uri.path(),
            query: uri.query().unwrap_or(""),
            headers,
            bucket_in_host,
        }
    }

    /// The path percent-decoded (`/dir/a b`), as the SDKs put it in COS's HttpString and OSS's resource.
    ///
    /// Invalid UTF-8 after decoding is replaced (the vendors' keys are UTF-8).
    pub fn decoded_path(&self) -> Cow<'a, str> {
        decode(self.path)
    }

    /// The query's `key[=value]` pairs, decoded, in wire order. A pair without `=` has an empty
    /// value; empty pieces (`a&&b`) are skipped. A query is form-encoded, so `+` is a space: the
    /// vendors' SDKs send a space in a value as `+` (their HTTP library form-encodes) and sign the
    /// space, so the services must read it so. (partcopy itself sends `%20` and `%2B`.)
    pub fn query_pairs(&self) -> impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)> + 'a {
        self.raw_query_pairs()
            .map(|(k, v)| (decode_form(k), decode_form(v)))
    }

    /// The query's `key[=value]` pairs exactly as on the wire.
    pub fn raw_query_pairs(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
    }

    /// The first value of header `name` (lower case) as bytes, if present.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers.get(name).map(|v| v.as_bytes())
    }

    /// The first value of header `name` as text, if present and visible ASCII / UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&'a str> {
        self.header(name).and_then(|b| std::str::from_utf8(b).ok())
    }
}

/// `s` form-decoded: `+` as a space, then percent-decoded.
fn decode_form(s: &str) -> Cow<'_, str> {
    if s.as_bytes().contains(&b'+') {
        Cow::Owned(decode(&s.replace('+', " ")).into_owned())
    } else {
        decode(s)
    }
}

/// `s` percent-decoded; text without a `%` is returned as it is, without a scan for UTF-8.
fn decode(s: &str) -> Cow<'_, str> {
    if s.as_bytes().contains(&b'%') {
        percent_decode_str(s).decode_utf8_lossy()
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_path_and_query() {
        let req = http::Request::builder()
            .method("PUT")
            .uri("https://h.example/dir/a+b%2Bc?partNumber=3&uploadId=x%2Fy&uploads&&z=&prefix=a+b%2Bc%20d")
            .body(())
            .unwrap();
        let v = RequestView::of(&req, None);
        // A path's `+` is a plus; a query's is a space (form encoding).
        assert_eq!(v.decoded_path(), "/dir/a+b+c");
        let pairs: Vec<_> = v.query_pairs().collect();
        assert_eq!(
            pairs,
            vec![
                ("partNumber".into(), "3".into()),
                ("uploadId".into(), "x/y".into()),
                ("uploads".into(), "".into()),
                ("z".into(), "".into()),
                ("prefix".into(), "a b+c d".into()),
            ]
        );
    }
}
