//! Percent-encoding rules for object keys, query strings and the signers' canonical forms.
//!
//! Every rule here is "encode every byte except the RFC 3986 unreserved set" (`A-Z a-z 0-9 - _ . ~`),
//! optionally keeping `/`, with upper-case hex. That is what Python's `quote(s, safe)` does and what
//! the vendors' SDKs send, so a key encoded here and decoded by a server gives back the same bytes.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Encodes everything except `A-Z a-z 0-9 - _ . ~` (query keys and values, COS signing values).
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Like [`UNRESERVED`] but keeps `/` (object keys in a path or copy source).
pub const KEY: &AsciiSet = &UNRESERVED.remove(b'/');

/// Appends `s` percent-encoded with `set` to `out`.
pub fn push_encoded(out: &mut String, s: &str, set: &'static AsciiSet) {
    for chunk in utf8_percent_encode(s, set) {
        out.push_str(chunk);
    }
}

/// Appends the bytes `b` percent-encoded with `set` to `out` (for header values, which may not be UTF-8).
pub fn push_encoded_bytes(out: &mut String, b: &[u8], set: &'static AsciiSet) {
    for chunk in percent_encoding::percent_encode(b, set) {
        out.push_str(chunk);
    }
}

/// `s` percent-encoded with `set`.
pub fn encoded(s: &str, set: &'static AsciiSet) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    push_encoded(&mut out, s, set);
    out
}

/// Appends `s` percent-encoded with `set`, hex digits in lower case (COS lower-cases encoded names).
pub fn push_encoded_lower(out: &mut String, s: &str, set: &'static AsciiSet) {
    for chunk in utf8_percent_encode(s, set) {
        for c in chunk.chars() {
            out.push(c.to_ascii_lowercase());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_encoding_table() {
        // (key, encoded path form) — what Python's quote(key, '/-_.~') gives.
        let table = [
            ("plain.txt", "plain.txt"),
            ("a b", "a%20b"),
            ("a+b", "a%2Bb"),
            ("100%", "100%25"),
            ("what?", "what%3F"),
            ("#hash", "%23hash"),
            ("a&b=c", "a%26b%3Dc"),
            ("dir//x", "dir//x"),
            ("trailing/", "trailing/"),
            ("中文 キー", "%E4%B8%AD%E6%96%87%20%E3%82%AD%E3%83%BC"),
            ("tilde~_-.", "tilde~_-."),
            ("semi;colon:at@", "semi%3Bcolon%3Aat%40"),
        ];
        for (key, want) in table {
            assert_eq!(encoded(key, KEY), want, "{key:?}");
        }
        assert_eq!(encoded("a/b c", UNRESERVED), "a%2Fb%20c");
    }

    #[test]
    fn lower_case_hex() {
        let mut s = String::new();
        push_encoded_lower(&mut s, "X-A/b", UNRESERVED);
        assert_eq!(s, "x-a%2fb");
    }
}
