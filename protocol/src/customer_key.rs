//! Encryption keys a customer supplies with each request (SSE-C), for COS.
//!
//! An object stored under SSE-C is encrypted with a 256-bit AES key the service never keeps: every
//! request that reads or writes its data carries the key (`…-customer-key`, base64), its MD5
//! (`…-customer-key-MD5`, base64) and the algorithm (`AES256`). A copy names the source's key
//! with the `x-cos-copy-source-server-side-encryption-customer-*` headers and the destination's
//! with `x-cos-server-side-encryption-customer-*`; a multipart destination needs its key on
//! Initiate and on every Upload Part - Copy, and HEAD needs it too. OSS has no such keys.
//!
//! A [`CustomerKey`] is attached to an [`ObjectAddress`](crate::endpoint::ObjectAddress) with
//! [`with_customer_key`](crate::endpoint::ObjectAddress::with_customer_key); the renderer then
//! sends the right headers on the requests that need them. The key is a secret: its `Debug` shows
//! only the MD5, which the service itself returns on HEAD.

use std::fmt;

use base64::Engine as _;
use md5::{Digest, Md5};

/// The only SSE-C algorithm either service knows.
pub const ALGORITHM: &str = "AES256";

/// Why bytes are not a customer key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CustomerKeyError {
    /// Neither 32 raw bytes nor base64 of 32 bytes.
    #[error(
        "an SSE-C key must be 32 bytes (AES-256): either the 32 raw bytes or their base64 text \
         (44 characters); got {0} bytes"
    )]
    Length(usize),
    /// Base64 text that does not decode.
    #[error("an SSE-C key in text must be base64 of 32 bytes; this text is not valid base64")]
    Base64,
}

/// A 256-bit AES key for SSE-C, kept in the forms the headers carry.
///
/// ```
/// use partcopy_protocol::customer_key::CustomerKey;
///
/// let key = CustomerKey::new([7; 32]);
/// assert_eq!(key.key_md5().len(), 24);
/// assert!(!format!("{key:?}").contains(key.key_base64()));
/// // A key file may hold the raw bytes or their base64 text.
/// assert_eq!(CustomerKey::parse(key.key_base64().as_bytes()).unwrap(), key);
/// assert_eq!(CustomerKey::parse(&[7; 32]).unwrap(), key);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CustomerKey {
    /// The key, base64.
    key: String,
    /// MD5 of the key, base64.
    md5: String,
}

impl CustomerKey {
    /// The key of these 32 bytes.
    pub fn new(key: [u8; 32]) -> CustomerKey {
        let b64 = base64::engine::general_purpose::STANDARD;
        CustomerKey {
            key: b64.encode(key),
            md5: b64.encode(Md5::digest(key)),
        }
    }

    /// A key from the contents of a key file: exactly 32 raw bytes, or the base64 text of 32 bytes
    /// (surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`CustomerKeyError`] for anything else; the error never shows the bytes.
    pub fn parse(bytes: &[u8]) -> Result<CustomerKey, CustomerKeyError> {
        if let Ok(raw) = <[u8; 32]>::try_from(bytes) {
            // 32 bytes of base64 text would decode to 24 bytes, so 32 bytes are always raw.
            return Ok(CustomerKey::new(raw));
        }
        let text = bytes.trim_ascii();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| CustomerKeyError::Base64)?;
        let raw =
            <[u8; 32]>::try_from(decoded.as_slice()).map_err(|_| CustomerKeyError::Length(decoded.len()))?;
        Ok(CustomerKey::new(raw))
    }

    /// The key as the `…-customer-key` header carries it (base64). A secret.
    pub fn key_base64(&self) -> &str {
        &self.key
    }

    /// The key's MD5 as the `…-customer-key-MD5` header carries it (base64). Not a secret: the
    /// service returns it on HEAD.
    pub fn key_md5(&self) -> &str {
        &self.md5
    }
}

impl fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomerKey")
            .field("key", &"<redacted>")
            .field("md5", &self.md5)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_a_key() {
        // 32 bytes 0..31: base64 and MD5 computed independently (Python's base64 and hashlib).
        let raw: [u8; 32] = std::array::from_fn(|i| i as u8);
        let key = CustomerKey::new(raw);
        assert_eq!(key.key_base64(), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
        assert_eq!(key.key_md5(), "tP/LI3N87DFaSk0aoqYgzg==");
        assert_eq!(CustomerKey::parse(&raw).unwrap(), key);
        let text = format!("  {}\n", key.key_base64());
        assert_eq!(CustomerKey::parse(text.as_bytes()).unwrap(), key);
    }

    #[test]
    fn bad_keys_are_typed_errors_that_hide_the_bytes() {
        assert_eq!(CustomerKey::parse(&[1; 31]), Err(CustomerKeyError::Base64));
        assert_eq!(CustomerKey::parse(b"AAEC"), Err(CustomerKeyError::Length(3)));
        assert_eq!(CustomerKey::parse(b""), Err(CustomerKeyError::Length(0)));
        assert_eq!(CustomerKey::parse(b"not base64!"), Err(CustomerKeyError::Base64));
        let error = CustomerKey::parse(b"c2VjcmV0").unwrap_err().to_string();
        assert!(
            !error.contains("c2VjcmV0") && !error.contains("secret"),
            "{error}"
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let key = CustomerKey::new([9; 32]);
        let shown = format!("{key:?}");
        assert!(!shown.contains(key.key_base64()), "{shown}");
        assert!(shown.contains(key.key_md5()), "{shown}");
    }
}
