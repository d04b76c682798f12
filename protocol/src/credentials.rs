//! Access keys and temporary (STS) credentials, with the secret kept out of `Debug`.

use std::fmt;

/// An access key pair, optionally with a session token from a temporary-credentials service.
///
/// `Debug` prints the access key id and whether a token is present, never the secret or the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The public access key id (COS `SecretId`, OSS `AccessKeyId`).
    pub access_key_id: String,
    secret: String,
    /// The session token of temporary credentials (`x-cos-security-token` / `x-oss-security-token`).
    pub session_token: Option<String>,
}

impl Credentials {
    /// Long-term credentials: an access key id and its secret.
    pub fn new(access_key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret: secret.into(),
            session_token: None,
        }
    }

    /// The same credentials with a session token (temporary credentials).
    #[must_use]
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(token.into());
        self
    }

    /// The secret key. Only signing code should read it.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_secret_or_token() {
        let c = Credentials::new("AKIDexample", "s3cr3t-VALUE").with_session_token("tok-VALUE");
        let text = format!("{c:?} {c:#?}");
        assert!(text.contains("AKIDexample"));
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(!text.contains("tok-VALUE"), "{text}");
        assert!(text.contains("<redacted>"));
    }
}
