//! COS request signing (`q-sign-algorithm=sha1`), as pure steps:
//! [`http_string`] (the canonical request) → [`string_to_sign`] → [`sign_key`] / [`signature`] →
//! [`authorization`].
//!
//! The HttpString is `method\npath\nparams\nheaders\n`: the method in lower case; the percent-decoded
//! path; `key=value` pairs joined by `&` for the query parameters and for the signed headers, where
//! each key is percent-encoded and lower-cased and each value percent-encoded (everything but
//! `A-Za-z0-9-_.~`), sorted by key. That is what cos-python-sdk-v5 (`cos_auth.py`) computes; see
//! <https://cloud.tencent.com/document/product/436/7778>.

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};

use crate::encode::{push_encoded_bytes, push_encoded_lower, UNRESERVED};
use crate::view::RequestView;

type HmacSha1 = Hmac<Sha1>;

/// Headers COS signs when present besides every `x-cos-*` / `x-ci-*` one (cos-python-sdk-v5's list).
pub const SIGNED_HEADERS: &[&str] = &[
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-length",
    "content-md5",
    "content-type",
    "expect",
    "expires",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-unmodified-since",
    "origin",
    "range",
    "transfer-encoding",
    "pic-operations",
];

/// Whether a client signs header `name` (lower case).
pub fn is_signed_header(name: &str) -> bool {
    name.starts_with("x-cos-") || name.starts_with("x-ci-") || SIGNED_HEADERS.contains(&name)
}

/// Which headers and parameters go into the HttpString.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// A client signing: every query parameter and every header for which [`is_signed_header`] holds.
    Client,
    /// A server verifying: exactly the names of `q-header-list` and `q-url-param-list` (`;`-separated).
    Listed {
        /// `q-header-list`.
        headers: &'a str,
        /// `q-url-param-list`.
        params: &'a str,
    },
}

/// The HttpString and the two name lists of the `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    /// `method\npath\nparams\nheaders\n`.
    pub http_string: String,
    /// `q-header-list`: the signed header names, sorted, `;`-separated.
    pub header_list: String,
    /// `q-url-param-list`: the signed parameter names, sorted, `;`-separated.
    pub param_list: String,
}

/// The `key=value` entries of one list (parameters or headers), encoded into one buffer: `text`
/// holds every key followed by its value, and each span is (key start, key end = value start,
/// value end). Two allocations for the whole list instead of two per entry.
struct Entries {
    text: String,
    spans: Vec<(usize, usize, usize)>,
}

impl Entries {
    fn with_capacity(entries: usize) -> Self {
        Entries {
            text: String::with_capacity(entries * 48),
            spans: Vec::with_capacity(entries),
        }
    }

    /// Adds an entry whose key is appended by `key` and whose value is `value`, encoded.
    fn push(&mut self, key: impl FnOnce(&mut String), value: &[u8]) {
        let start = self.text.len();
        key(&mut self.text);
        let middle = self.text.len();
        push_encoded_bytes(&mut self.text, value, UNRESERVED);
        self.spans.push((start, middle, self.text.len()));
    }

    fn key(&self, (start, middle, _): (usize, usize, usize)) -> &str {
        &self.text[start..middle]
    }

    fn value(&self, (_, middle, end): (usize, usize, usize)) -> &str {
        &self.text[middle..end]
    }

    /// Sorts the entries by key, then value, and appends them to `out` as `k=v` joined by `&`
    /// and their keys to `list` joined by `;`.
    fn push_sorted(mut self, out: &mut String, list: &mut String) {
        let mut spans = std::mem::take(&mut self.spans);
        spans.sort_unstable_by(|&a, &b| {
            self.key(a)
                .cmp(self.key(b))
                .then_with(|| self.value(a).cmp(self.value(b)))
        });
        for (i, &span) in spans.iter().enumerate() {
            if i > 0 {
                out.push('&');
                list.push(';');
            }
            out.push_str(self.key(span));
            out.push('=');
            out.push_str(self.value(span));
            list.push_str(self.key(span));
        }
    }

    /// Bytes the entries take as `k=v&…`, and as `k;…`.
    fn lengths(&self) -> (usize, usize) {
        let keys: usize = self.spans.iter().map(|&s| self.key(s).len() + 1).sum();
        (self.text.len() + 2 * self.spans.len(), keys)
    }
}

/// Appends `name` as an entry key: percent-encoded and lower-cased.
fn push_key(out: &mut String, name: &str) {
    push_encoded_lower(out, name, UNRESERVED);
}

fn entry_key(name: &str) -> String {
    let mut k = String::with_capacity(name.len());
    push_key(&mut k, name);
    k
}

/// Whether `key` is what [`entry_key`] makes of itself: lower-case letters, digits and `-_.~`.
fn is_plain_key(key: &str) -> bool {
    key.bytes()
        .all(|c| UNRESERVED.keeps(c) && !c.is_ascii_uppercase())
}

/// Builds the HttpString of `req` for the given selection.
///
/// With [`Selection::Listed`], a listed header or parameter that the request lacks is signed as an
/// empty value (so the signature will not match unless the signer did the same).
pub fn http_string(req: &RequestView<'_>, selection: Selection<'_>) -> Canonical {
    let mut params;
    let mut headers = Entries::with_capacity(0);
    // Fast path for a client: header names that need no encoding are written straight from the
    // map, sorted by name, without an owned copy per header.
    let mut plain_headers: Vec<(&str, &[u8])> = Vec::new();
    match selection {
        Selection::Client => {
            params = Entries::with_capacity(req.raw_query_pairs().count());
            for (k, v) in req.query_pairs() {
                params.push(|out| push_key(out, &k), v.as_bytes());
            }
            plain_headers.reserve(req.headers.len());
            let mut all_plain = true;
            for (name, value) in req.headers {
                if is_signed_header(name.as_str()) {
                    all_plain &= is_plain_key(name.as_str());
                    plain_headers.push((name.as_str(), value.as_bytes()));
                }
            }
            if !all_plain {
                headers = Entries::with_capacity(plain_headers.len());
                for (n, v) in plain_headers.drain(..) {
                    headers.push(|out| push_key(out, n), v);
                }
            }
        }
        Selection::Listed {
            headers: hl,
            params: pl,
        } => {
            headers = Entries::with_capacity(hl.split(';').filter(|n| !n.is_empty()).count());
            for name in hl.split(';').filter(|n| !n.is_empty()) {
                // A plain listed name is its own encoded key, and header names are lower case:
                // one map lookup instead of encoding every header's name.
                let value = if is_plain_key(name) {
                    req.headers.get(name).map(|v| v.as_bytes())
                } else {
                    req.headers
                        .iter()
                        .find(|(n, _)| entry_key(n.as_str()) == name)
                        .map(|(_, v)| v.as_bytes())
                }
                .unwrap_or_default();
                headers.push(|out| out.push_str(name), value);
            }
            params = Entries::with_capacity(pl.split(';').filter(|n| !n.is_empty()).count());
            for name in pl.split(';').filter(|n| !n.is_empty()) {
                // For a plain listed name, a parameter's encoded key equals it exactly when the
                // parameter's name equals it ignoring ASCII case.
                let plain = is_plain_key(name);
                let value = req.query_pairs().find(|(k, _)| {
                    if plain {
                        k.eq_ignore_ascii_case(name)
                    } else {
                        entry_key(k) == name
                    }
                });
                let value = value.as_ref().map_or(&b""[..], |(_, v)| v.as_bytes());
                params.push(|out| out.push_str(name), value);
            }
        }
    }
    let path = req.decoded_path();
    let (params_len, param_list_len) = params.lengths();
    let (headers_len, header_list_len) = headers.lengths();
    let mut out = String::with_capacity(
        8 + req.method.len() + path.len() + params_len + headers_len + plain_headers.len() * 64,
    );
    for c in req.method.chars() {
        out.push(c.to_ascii_lowercase());
    }
    out.push('\n');
    out.push_str(&path);
    out.push('\n');
    let mut param_list = String::with_capacity(param_list_len);
    params.push_sorted(&mut out, &mut param_list);
    out.push('\n');
    let mut header_list = String::with_capacity(
        header_list_len + plain_headers.iter().map(|(n, _)| n.len() + 1).sum::<usize>(),
    );
    if plain_headers.is_empty() {
        headers.push_sorted(&mut out, &mut header_list);
    } else {
        plain_headers.sort_unstable_by(|a, b| a.0.cmp(b.0).then_with(|| a.1.cmp(b.1)));
        for (i, (n, v)) in plain_headers.iter().enumerate() {
            if i > 0 {
                out.push('&');
                header_list.push(';');
            }
            out.push_str(n);
            out.push('=');
            push_encoded_bytes(&mut out, v, UNRESERVED);
            header_list.push_str(n);
        }
    }
    out.push('\n');
    Canonical {
        http_string: out,
        header_list,
        param_list,
    }
}

/// `sha1\n{sign_time}\n{hex(sha1(http_string))}\n`.
pub fn string_to_sign(sign_time: &str, http_string: &str) -> String {
    let digest = Sha1::digest(http_string.as_bytes());
    let mut s = String::with_capacity(6 + sign_time.len() + 41);
    s.push_str("sha1\n");
    s.push_str(sign_time);
    s.push('\n');
    crate::encode::push_hex(&mut s, &digest);
    s.push('\n');
    s
}

/// `hex(HMAC-SHA1(secret, key_time))`.
pub fn sign_key(secret: &str, key_time: &str) -> String {
    crate::encode::hex(&hmac_sha1(secret.as_bytes(), key_time.as_bytes()))
}

/// `hex(HMAC-SHA1(sign_key, string_to_sign))`.
pub fn signature(sign_key: &str, string_to_sign: &str) -> String {
    crate::encode::hex(&hmac_sha1(sign_key.as_bytes(), string_to_sign.as_bytes()))
}

/// HMAC-SHA1 keyed with a sign key, ready to sign many strings: keying costs two SHA-1 blocks, so a
/// signer that keeps one per key time saves them on every request after the first.
#[derive(Clone)]
pub struct KeyedMac(HmacSha1);

impl KeyedMac {
    /// Derives the sign key of `key_time` from `secret` ([`sign_key`]) and keys the MAC with it.
    pub fn new(secret: &str, key_time: &str) -> Self {
        let key = sign_key(secret, key_time);
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        KeyedMac(HmacSha1::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!()))
    }

    /// The same as [`signature`] with this MAC's sign key.
    pub fn signature(&self, string_to_sign: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(string_to_sign.as_bytes());
        let digest: [u8; 20] = mac.finalize().into_bytes().into();
        crate::encode::hex(&digest)
    }
}

impl std::fmt::Debug for KeyedMac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedMac(<secret>)")
    }
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = HmacSha1::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The key / sign time `start;end` in Unix seconds.
pub fn key_time(start: i64, end: i64) -> String {
    let mut s = String::with_capacity(24);
    let _ = write!(s, "{start};{end}");
    s
}

/// The whole `Authorization` header value.
pub fn authorization(access_key_id: &str, key_time: &str, canonical: &Canonical, signature: &str) -> String {
    let mut s = String::with_capacity(
        // The fixed field names (≈130 bytes), two key times (≤ 2 × 21) and the signature (40).
        220 + access_key_id.len() + canonical.header_list.len() + canonical.param_list.len(),
    );
    s.push_str("q-sign-algorithm=sha1&q-ak=");
    s.push_str(access_key_id);
    s.push_str("&q-sign-time=");
    s.push_str(key_time);
    s.push_str("&q-key-time=");
    s.push_str(key_time);
    s.push_str("&q-header-list=");
    s.push_str(&canonical.header_list);
    s.push_str("&q-url-param-list=");
    s.push_str(&canonical.param_list);
    s.push_str("&q-signature=");
    s.push_str(signature);
    s
}

/// The fields of a COS `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedAuthorization<'a> {
    /// `q-sign-algorithm` (only `sha1` exists).
    pub algorithm: &'a str,
    /// `q-ak`.
    pub access_key_id: &'a str,
    /// `q-sign-time`.
    pub sign_time: &'a str,
    /// `q-key-time`.
    pub key_time: &'a str,
    /// `q-header-list`.
    pub header_list: &'a str,
    /// `q-url-param-list`.
    pub param_list: &'a str,
    /// `q-signature`.
    pub signature: &'a str,
}

/// Parses a COS `Authorization` value; `None` if a field is missing.
pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization<'_>> {
    let mut f = [None::<&str>; 7];
    for pair in value.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let i = match k.trim() {
            "q-sign-algorithm" => 0,
            "q-ak" => 1,
            "q-sign-time" => 2,
            "q-key-time" => 3,
            "q-header-list" => 4,
            "q-url-param-list" => 5,
            "q-signature" => 6,
            _ => continue,
        };
        f[i] = Some(v);
    }
    Some(ParsedAuthorization {
        algorithm: f[0]?,
        access_key_id: f[1]?,
        sign_time: f[2]?,
        key_time: f[3]?,
        header_list: f[4].unwrap_or(""),
        param_list: f[5].unwrap_or(""),
        signature: f[6]?,
    })
}

/// Parses `start;end` Unix seconds.
pub fn parse_time_window(s: &str) -> Option<(i64, i64)> {
    let (a, b) = s.split_once(';')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue};

    fn view<'a>(headers: &'a HeaderMap, path: &'a str, query: &'a str) -> RequestView<'a> {
        RequestView {
            method: "PUT",
            path,
            query,
            headers,
            bucket_in_host: None,
        }
    }

    #[test]
    fn http_string_encodes_sorts_and_lowercases() {
        let mut h = HeaderMap::new();
        h.insert(
            "host",
            HeaderValue::from_static("b-125.cos.ap-guangzhou.myqcloud.com"),
        );
        h.insert(
            "x-cos-copy-source",
            HeaderValue::from_static("b-125.cos.ap-guangzhou.myqcloud.com/a%20b"),
        );
        h.insert("content-length", HeaderValue::from_static("0"));
        h.insert("user-agent", HeaderValue::from_static("not-signed"));
        let v = view(&h, "/dir/a%20b", "uploadId=u%2F1&partNumber=2");
        let c = http_string(&v, Selection::Client);
        assert_eq!(
            c.http_string,
            "put\n/dir/a b\npartnumber=2&uploadid=u%2F1\n\
             content-length=0&host=b-125.cos.ap-guangzhou.myqcloud.com&\
             x-cos-copy-source=b-125.cos.ap-guangzhou.myqcloud.com%2Fa%2520b\n"
        );
        assert_eq!(c.header_list, "content-length;host;x-cos-copy-source");
        assert_eq!(c.param_list, "partnumber;uploadid");
        // A server listing the same names rebuilds the same string.
        let listed = http_string(
            &v,
            Selection::Listed {
                headers: &c.header_list,
                params: &c.param_list,
            },
        );
        assert_eq!(listed, c);
    }

    fn entry_value(value: &[u8]) -> String {
        let mut v = String::new();
        push_encoded_bytes(&mut v, value, UNRESERVED);
        v
    }

    #[test]
    fn listed_names_are_matched_by_their_encoded_keys() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("h"));
        h.insert("x-cos-meta-a", HeaderValue::from_static("1"));
        h.append("x-cos-meta-a", HeaderValue::from_static("2"));
        let v = view(&h, "/k", "partNumber=3&a%20b=x&UPLOADID=u");
        // The reference: every header's and parameter's encoded key compared with the listed name.
        let reference = |listed: &str, headers: bool| -> String {
            if headers {
                let found = h.iter().find(|(n, _)| entry_key(n.as_str()) == listed);
                entry_value(found.map(|(_, v)| v.as_bytes()).unwrap_or_default())
            } else {
                let found = v.query_pairs().find(|(k, _)| entry_key(k) == listed);
                found.map(|(_, v)| entry_value(v.as_bytes())).unwrap_or_default()
            }
        };
        let headers = ["host", "Host", "x-cos-meta-a", "absent", "ho%73t"];
        let params = ["partnumber", "partNumber", "a%20b", "uploadid", "versionid"];
        for name in headers {
            let c = http_string(
                &v,
                Selection::Listed {
                    headers: name,
                    params: "",
                },
            );
            let line = c.http_string.lines().nth(3).unwrap_or_default().to_string();
            assert_eq!(line, format!("{name}={}", reference(name, true)), "header {name}");
        }
        for name in params {
            let c = http_string(
                &v,
                Selection::Listed {
                    headers: "",
                    params: name,
                },
            );
            let line = c.http_string.lines().nth(2).unwrap_or_default().to_string();
            assert_eq!(line, format!("{name}={}", reference(name, false)), "param {name}");
        }
        // The plain names found their values; the others (upper case, encoded) did not.
        assert_eq!(reference("x-cos-meta-a", true), "1");
        assert_eq!(reference("partnumber", false), "3");
        assert_eq!(reference("uploadid", false), "u");
        assert_eq!(reference("a%20b", false), "x");
        assert_eq!(reference("Host", true), "");
    }

    #[test]
    fn documented_key_and_signature_steps() {
        // Steps are plain HMAC-SHA1 / SHA1 hex; check them against independently known digests.
        assert_eq!(
            string_to_sign("1;2", ""),
            "sha1\n1;2\nda39a3ee5e6b4b0d3255bfef95601890afd80709\n"
        );
        // RFC 2202 test case 2: HMAC-SHA1("Jefe", "what do ya want for nothing?").
        assert_eq!(
            sign_key("Jefe", "what do ya want for nothing?"),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            signature("Jefe", "what do ya want for nothing?"),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn parses_authorization() {
        let a = "q-sign-algorithm=sha1&q-ak=AK&q-sign-time=1;2&q-key-time=1;2&q-header-list=host&q-url-param-list=&q-signature=ab";
        let p = parse_authorization(a).unwrap();
        assert_eq!(p.access_key_id, "AK");
        assert_eq!(p.header_list, "host");
        assert_eq!(p.param_list, "");
        assert_eq!(parse_time_window(p.sign_time), Some((1, 2)));
        assert!(parse_authorization("q-ak=AK").is_none());
        assert_eq!(parse_time_window("x;2"), None);
    }
}
