//! Percent-encoding rules for object keys, query strings and the signers' canonical forms.
//!
//! Every rule here is "encode every byte except the RFC 3986 unreserved set" (`A-Z a-z 0-9 - _ . ~`),
//! optionally keeping `/`, with upper-case hex. That is what Python's `quote(s, safe)` does and what
//! the vendors' SDKs send, so a key encoded here and decoded by a server gives back the same bytes.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// Which bytes stay unencoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Set {
    /// Only `A-Z a-z 0-9 - _ . ~` (query keys and values, COS signing values).
    Unreserved = 0,
    /// Those and `/` (object keys in a path or copy source).
    Key = 1,
}

impl Set {
    /// The same set as a `percent_encoding` set (everything it lists is encoded).
    pub fn ascii_set(self) -> &'static AsciiSet {
        match self {
            Set::Unreserved => UNRESERVED_ASCII,
            Set::Key => KEY_ASCII,
        }
    }

    /// Whether byte `c` is left as it is.
    #[inline]
    pub(crate) fn keeps(self, c: u8) -> bool {
        KEEP[usize::from(c)] & (self as u8 + 1) != 0
    }
}

/// Per byte: bit 0 set when [`Set::Unreserved`] keeps it, bit 1 when [`Set::Key`] does.
const KEEP: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' || b == b'~' {
            t[c] = 0b11;
        } else if b == b'/' {
            t[c] = 0b10;
        }
        c += 1;
    }
    t
};

const UNRESERVED_ASCII: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
const KEY_ASCII: &AsciiSet = &UNRESERVED_ASCII.remove(b'/');

/// Encodes everything except `A-Z a-z 0-9 - _ . ~` (query keys and values, COS signing values).
pub const UNRESERVED: Set = Set::Unreserved;

/// Like [`UNRESERVED`] but keeps `/` (object keys in a path or copy source).
pub const KEY: Set = Set::Key;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the bytes `b` percent-encoded with `set` (upper- or lower-case hex).
fn push_bytes(out: &mut String, b: &[u8], set: Set, lower: bool) {
    out.reserve(b.len());
    for &c in b {
        if set.keeps(c) {
            out.push(char::from(c));
        } else {
            let (hi, lo) = (HEX_UPPER[usize::from(c >> 4)], HEX_UPPER[usize::from(c & 15)]);
            out.push('%');
            if lower {
                out.push(char::from(hi.to_ascii_lowercase()));
                out.push(char::from(lo.to_ascii_lowercase()));
            } else {
                out.push(char::from(hi));
                out.push(char::from(lo));
            }
        }
    }
}

/// Appends `bytes` as lower-case hex.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &c in bytes {
        out.push(char::from(HEX_LOWER[usize::from(c >> 4)]));
        out.push(char::from(HEX_LOWER[usize::from(c & 15)]));
    }
}

/// `bytes` as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

/// Appends `s` percent-encoded with `set` to `out`, copying runs of kept characters whole.
pub fn push_encoded(out: &mut String, s: &str, set: Set) {
    out.reserve(s.len());
    let mut run = 0;
    for (i, &c) in s.as_bytes().iter().enumerate() {
        if set.keeps(c) {
            continue;
        }
        // Kept bytes are ASCII, so `run` and `i` are on character boundaries.
        out.push_str(s.get(run..i).unwrap_or_default());
        let (hi, lo) = (HEX_UPPER[usize::from(c >> 4)], HEX_UPPER[usize::from(c & 15)]);
        out.push('%');
        out.push(char::from(hi));
        out.push(char::from(lo));
        run = i + 1;
    }
    out.push_str(s.get(run..).unwrap_or_default());
}

/// Appends the bytes `b` percent-encoded with `set` to `out` (for header values, which may not be UTF-8).
pub fn push_encoded_bytes(out: &mut String, b: &[u8], set: Set) {
    match std::str::from_utf8(b) {
        Ok(s) => push_encoded(out, s, set),
        Err(_) => push_bytes(out, b, set, false),
    }
}

/// `s` percent-encoded with `set`.
pub fn encoded(s: &str, set: Set) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    push_encoded(&mut out, s, set);
    out
}

/// Appends `s` percent-encoded with `set`, with every letter in lower case (COS lower-cases encoded
/// names, escapes included).
pub fn push_encoded_lower(out: &mut String, s: &str, set: Set) {
    for &c in s.as_bytes() {
        if set.keeps(c) {
            out.push(char::from(c.to_ascii_lowercase()));
        } else {
            push_bytes(out, &[c], set, true);
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
    fn agrees_with_the_percent_encoding_crate_on_every_byte() {
        for set in [UNRESERVED, KEY] {
            let all: Vec<u8> = (0..=255u8).collect();
            let mut ours = String::new();
            push_encoded_bytes(&mut ours, &all, set);
            let theirs = percent_encoding::percent_encode(&all, set.ascii_set()).to_string();
            assert_eq!(ours, theirs);
        }
        let s = "a b/中+~";
        assert_eq!(
            encoded(s, KEY),
            percent_encoding::utf8_percent_encode(s, KEY.ascii_set()).to_string()
        );
    }

    #[test]
    fn hex_matches_the_hex_crate() {
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(hex(&all), ::hex::encode(&all));
    }

    #[test]
    fn lower_case_hex() {
        let mut s = String::new();
        push_encoded_lower(&mut s, "X-A/b", UNRESERVED);
        assert_eq!(s, "x-a%2fb");
    }
}
