//! `--meta key=value`: user metadata given on the command line, checked before anything is sent.
//!
//! Keys become header names (`x-cos-meta-<key>` / `x-oss-meta-<key>`), so they must be HTTP header
//! tokens; both services store them in lower case, so they are lower-cased here. Values become header
//! values: printable ASCII only (a service would reject or mangle anything else).

/// Why a `--meta` argument was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetaError {
    /// No `=` in the argument.
    #[error("--meta '{0}' needs the form key=value")]
    NoEquals(String),
    /// The key is empty or has characters a header name cannot have.
    #[error("--meta key '{0}' is not valid: use letters, digits, '-', '_' and '.'")]
    BadKey(String),
    /// The value has characters a header value cannot carry.
    #[error("--meta value for '{0}' must be printable ASCII (no control or non-ASCII characters)")]
    BadValue(String),
    /// The same key was given twice.
    #[error("--meta key '{0}' is given more than once")]
    Duplicate(String),
    /// All metadata together is over the provider's limit.
    #[error("user metadata totals {total} bytes; {provider} allows at most {max}")]
    TooLarge {
        /// Sum of key and value lengths.
        total: usize,
        /// The provider's limit.
        max: usize,
        /// COS or OSS.
        provider: &'static str,
    },
}

/// Parses one `key=value` argument: the key lower-cased, the value verbatim.
///
/// # Errors
/// [`MetaError::NoEquals`], [`MetaError::BadKey`] or [`MetaError::BadValue`].
pub fn parse_meta(text: &str) -> Result<(String, String), MetaError> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| MetaError::NoEquals(text.to_string()))?;
    let key_ok = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !key_ok {
        return Err(MetaError::BadKey(key.to_string()));
    }
    if !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(MetaError::BadValue(key.to_string()));
    }
    Ok((key.to_ascii_lowercase(), value.to_string()))
}

/// Checks a set of parsed pairs together: no key twice, total size within `max` bytes; returns
/// them sorted by key.
///
/// # Errors
/// [`MetaError::Duplicate`] or [`MetaError::TooLarge`].
pub fn check_meta(
    mut pairs: Vec<(String, String)>,
    max: usize,
    provider: &'static str,
) -> Result<Vec<(String, String)>, MetaError> {
    pairs.sort();
    if let Some(pair) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(MetaError::Duplicate(pair[0].0.clone()));
    }
    let total = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > max {
        return Err(MetaError::TooLarge { total, max, provider });
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_key_value_pairs() {
        assert_eq!(parse_meta("Owner=alice"), Ok(("owner".into(), "alice".into())));
        assert_eq!(parse_meta("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert_eq!(parse_meta("empty="), Ok(("empty".into(), String::new())));
        assert_eq!(
            parse_meta("x-trace.id_2=some value; with: punctuation"),
            Ok(("x-trace.id_2".into(), "some value; with: punctuation".into()))
        );
    }

    #[test]
    fn rejects_bad_pairs() {
        assert_eq!(parse_meta("novalue"), Err(MetaError::NoEquals("novalue".into())));
        assert_eq!(parse_meta("=v"), Err(MetaError::BadKey(String::new())));
        assert_eq!(parse_meta("a b=v"), Err(MetaError::BadKey("a b".into())));
        assert_eq!(parse_meta("ключ=v"), Err(MetaError::BadKey("ключ".into())));
        assert_eq!(parse_meta("k=line\nbreak"), Err(MetaError::BadValue("k".into())));
        assert_eq!(parse_meta("k=café"), Err(MetaError::BadValue("k".into())));
    }

    #[test]
    fn checks_duplicates_and_total_size() {
        let pairs = vec![("b".into(), "2".into()), ("a".into(), "1".into())];
        assert_eq!(
            check_meta(pairs, 100, "COS"),
            Ok(vec![("a".into(), "1".into()), ("b".into(), "2".into())])
        );
        let dup = vec![("a".into(), "1".into()), ("a".into(), "2".into())];
        assert_eq!(check_meta(dup, 100, "COS"), Err(MetaError::Duplicate("a".into())));
        let big = vec![("k".into(), "v".repeat(2048))];
        assert!(matches!(
            check_meta(big, 2048, "COS"),
            Err(MetaError::TooLarge { total: 2049, .. })
        ));
    }
}
