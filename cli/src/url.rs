//! Object URLs on the command line: `cos://<bucket>-<appid>/<key>` and `oss://<bucket>/<key>`.
//!
//! The key is everything after the first `/` that follows the bucket, taken verbatim: it is never
//! percent-decoded, and `?`, `#`, `+`, `%`, spaces, unicode, `//` and a trailing `/` are all part of
//! it. Encoding it for the wire is the protocol's job.

use std::fmt;

pub use partcopy_protocol::provider::Provider;

/// A parsed object URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectUrl {
    /// Which cloud.
    pub provider: Provider,
    /// The bucket as the service names it: `examplebucket-1250000000` on COS, `examplebucket` on OSS.
    pub bucket: String,
    /// The object key, verbatim.
    pub key: String,
}

impl fmt::Display for ObjectUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}/{}", self.provider, self.bucket, self.key)
    }
}

/// Why an object URL did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Neither `cos://` nor `oss://`.
    #[error("'{0}' is not an object URL: write cos://<bucket>-<appid>/<key> or oss://<bucket>/<key>")]
    Scheme(String),
    /// No bucket, or no `/<key>` after it.
    #[error("'{url}' names no object key: write {scheme}://<bucket>/<key> (the key cannot be empty)")]
    NoKey {
        /// The URL given.
        url: String,
        /// Its scheme.
        scheme: &'static str,
    },
    /// A COS bucket without its `-<appid>` suffix.
    #[error(
        "COS bucket '{0}' has no appid: COS names buckets <name>-<appid>, \
         e.g. cos://examplebucket-1250000000/key (the appid is in the COS console)"
    )]
    CosAppid(String),
    /// A bucket name with characters the provider does not allow.
    #[error(
        "'{bucket}' is not a valid {provider} bucket name: use lowercase letters, digits and \
         hyphens, not starting or ending with a hyphen{extra}"
    )]
    BucketName {
        /// The bucket as given.
        bucket: String,
        /// COS or OSS.
        provider: &'static str,
        /// A length hint, when that is the problem.
        extra: &'static str,
    },
    /// A key longer than the provider allows.
    #[error("the key is {len} bytes long; {provider} accepts at most {max} bytes")]
    KeyTooLong {
        /// The key's length in UTF-8 bytes.
        len: usize,
        /// The provider's limit.
        max: usize,
        /// COS or OSS.
        provider: &'static str,
    },
}

/// Parses `cos://<bucket>-<appid>/<key>` or `oss://<bucket>/<key>`.
///
/// # Errors
/// A [`UrlError`] naming what is wrong and how to write it.
pub fn parse_object_url(text: &str) -> Result<ObjectUrl, UrlError> {
    parse(text, false)
}

/// Parses a key prefix: `cos://<bucket>-<appid>/<prefix>` or `oss://<bucket>/<prefix>`, where the
/// prefix may be empty (`cos://<bucket>-<appid>/`, or without the slash): the whole bucket.
///
/// # Errors
/// A [`UrlError`] naming what is wrong and how to write it.
pub fn parse_prefix_url(text: &str) -> Result<ObjectUrl, UrlError> {
    parse(text, true)
}

fn parse(text: &str, prefix: bool) -> Result<ObjectUrl, UrlError> {
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| UrlError::Scheme(text.to_string()))?;
    let provider = match scheme.to_ascii_lowercase().as_str() {
        "cos" => Provider::Cos,
        "oss" => Provider::Oss,
        _ => return Err(UrlError::Scheme(text.to_string())),
    };
    let no_key = || UrlError::NoKey {
        url: text.to_string(),
        scheme: provider.scheme(),
    };
    let (bucket, key) = match rest.split_once('/') {
        Some(parts) => parts,
        None if prefix => (rest, ""),
        None => return Err(no_key()),
    };
    if bucket.is_empty() || (key.is_empty() && !prefix) {
        return Err(no_key());
    }
    validate_bucket(provider, bucket)?;
    if key.len() > provider.max_key_len() {
        return Err(UrlError::KeyTooLong {
            len: key.len(),
            max: provider.max_key_len(),
            provider: provider.name(),
        });
    }
    Ok(ObjectUrl {
        provider,
        bucket: bucket.to_string(),
        key: key.to_string(),
    })
}

fn validate_bucket(provider: Provider, bucket: &str) -> Result<(), UrlError> {
    let bad = |extra: &'static str| UrlError::BucketName {
        bucket: bucket.to_string(),
        provider: provider.name(),
        extra,
    };
    let charset_ok = |name: &str| {
        !name.is_empty()
            && !name.starts_with('-')
            && !name.ends_with('-')
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    match provider {
        Provider::Cos => {
            let appid_ok = |appid: &str| !appid.is_empty() && appid.bytes().all(|b| b.is_ascii_digit());
            let Some((name, appid)) = bucket.rsplit_once('-').filter(|(_, a)| appid_ok(a)) else {
                return Err(
                    if charset_ok(bucket) || bucket.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        UrlError::CosAppid(bucket.to_string())
                    } else {
                        bad("")
                    },
                );
            };
            if !charset_ok(name) {
                return Err(bad(""));
            }
            if name.len() + appid.len() + 1 > 60 {
                return Err(bad(" (at most 60 characters with the appid)"));
            }
        }
        Provider::Oss => {
            if !charset_ok(bucket) {
                return Err(bad(""));
            }
            if !(3..=63).contains(&bucket.len()) {
                return Err(bad(" (3 to 63 characters)"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> ObjectUrl {
        parse_object_url(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn cos_urls_split_bucket_appid_and_key() {
        let url = ok("cos://examplebucket-1250000000/dir/file.bin");
        assert_eq!(url.provider, Provider::Cos);
        assert_eq!(url.bucket, "examplebucket-1250000000");
        assert_eq!(url.key, "dir/file.bin");
        assert_eq!(url.to_string(), "cos://examplebucket-1250000000/dir/file.bin");
        // Hyphens inside the name: the appid is after the last one.
        let url = ok("cos://my-data-bucket-1250000000/k");
        assert_eq!(url.bucket, "my-data-bucket-1250000000");
    }

    #[test]
    fn awkward_keys_are_taken_verbatim() {
        for key in [
            "a b",
            "a+b",
            "100%",
            "%2F",
            "what?x=1",
            "frag#ment",
            "日本語/ファイル",
            "a//b",
            "dir/",
            "/leading",
            "~!@$&*()=:;,'[]",
            "tab\there",
        ] {
            for prefix in ["cos://bucket-1250000000/", "oss://bucket/"] {
                let url = ok(&format!("{prefix}{key}"));
                assert_eq!(url.key, key, "{prefix}{key}");
            }
        }
    }

    #[test]
    fn oss_urls() {
        let url = ok("oss://examplebucket/k");
        assert_eq!(url.provider, Provider::Oss);
        assert_eq!(url.bucket, "examplebucket");
        assert_eq!(ok("OSS://abc/k").provider, Provider::Oss);
    }

    #[test]
    fn cos_bucket_without_appid_is_a_clear_error() {
        for bucket in ["examplebucket", "example-bucket", "bucket-abc"] {
            let error = parse_object_url(&format!("cos://{bucket}/k")).unwrap_err();
            assert_eq!(error, UrlError::CosAppid(bucket.to_string()));
            assert!(error.to_string().contains("<name>-<appid>"));
        }
    }

    #[test]
    fn malformed_urls_are_rejected() {
        assert!(matches!(parse_object_url("s3://b/k"), Err(UrlError::Scheme(_))));
        assert!(matches!(
            parse_object_url("/local/file"),
            Err(UrlError::Scheme(_))
        ));
        assert!(matches!(parse_object_url("bucket/key"), Err(UrlError::Scheme(_))));
        assert!(matches!(
            parse_object_url("oss://bucket"),
            Err(UrlError::NoKey { .. })
        ));
        assert!(matches!(
            parse_object_url("oss://bucket/"),
            Err(UrlError::NoKey { .. })
        ));
        assert!(matches!(
            parse_object_url("oss:///key"),
            Err(UrlError::NoKey { .. })
        ));
        assert!(matches!(
            parse_object_url("cos://b-1250000000"),
            Err(UrlError::NoKey { .. })
        ));
        assert!(matches!(
            parse_object_url("oss://Bucket/k"),
            Err(UrlError::BucketName { .. })
        ));
        assert!(matches!(
            parse_object_url("oss://ab/k"),
            Err(UrlError::BucketName { .. })
        ));
        assert!(matches!(
            parse_object_url("oss://-abc/k"),
            Err(UrlError::BucketName { .. })
        ));
        assert!(matches!(
            parse_object_url("oss://a_b/k"),
            Err(UrlError::BucketName { .. })
        ));
        assert!(matches!(
            parse_object_url("cos://Bad_Name-1250000000/k"),
            Err(UrlError::BucketName { .. })
        ));
        assert!(matches!(
            parse_object_url("cos://-1250000000/k"),
            Err(UrlError::BucketName { .. })
        ));
        let long = "k".repeat(851);
        assert!(matches!(
            parse_object_url(&format!("cos://b-1250000000/{long}")),
            Err(UrlError::KeyTooLong { max: 850, .. })
        ));
        assert!(parse_object_url(&format!("oss://bucket/{long}")).is_ok());
    }

    #[test]
    fn a_prefix_may_be_empty_but_its_bucket_is_checked() {
        for text in ["cos://b-1250000000", "cos://b-1250000000/"] {
            let url = parse_prefix_url(text).unwrap();
            assert_eq!((url.bucket.as_str(), url.key.as_str()), ("b-1250000000", ""));
            assert_eq!(url.to_string(), "cos://b-1250000000/");
        }
        assert_eq!(parse_prefix_url("oss://bucket/logs/").unwrap().key, "logs/");
        assert!(matches!(
            parse_prefix_url("oss:///logs/"),
            Err(UrlError::NoKey { .. })
        ));
        assert!(matches!(
            parse_prefix_url("cos://bucket/"),
            Err(UrlError::CosAppid(_))
        ));
        assert!(matches!(parse_prefix_url("s3://b/"), Err(UrlError::Scheme(_))));
    }
}
