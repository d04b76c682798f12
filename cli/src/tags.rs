//! `--tag K=V`: the tags the copy gets instead of its source's, checked against what both clouds
//! allow for an object (at most 10 tags, keys of 1 to 128 characters, values up to 256, no key
//! twice); sent URL-encoded in `x-*-tagging`, so any other character may be used.

use crate::error::CliError;

/// Most tags on one object (COS and OSS alike).
pub const MAX_TAGS: usize = 10;
/// Longest tag key, in characters.
pub const MAX_KEY: usize = 128;
/// Longest tag value, in characters.
pub const MAX_VALUE: usize = 256;

/// Parses one `--tag` value: `key=value` (split at the first `=`; the value may be empty).
///
/// # Errors
/// A message for clap when there is no `=`, the key is empty, or either part holds a control
/// character.
pub fn parse_tag(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not KEY=VALUE"))?;
    if key.is_empty() {
        return Err(format!("'{text}' has an empty tag key"));
    }
    if text.chars().any(char::is_control) {
        return Err("a tag cannot hold control characters".to_string());
    }
    Ok((key.to_string(), value.to_string()))
}

/// Checks the tags together and returns them sorted by key.
///
/// # Errors
/// [`CliError::Usage`] for more than [`MAX_TAGS`] tags, a key or value too long, or a key twice.
pub fn check_tags(mut tags: Vec<(String, String)>) -> Result<Vec<(String, String)>, CliError> {
    if tags.len() > MAX_TAGS {
        return Err(CliError::Usage(format!(
            "--tag given {} times: an object holds at most {MAX_TAGS} tags",
            tags.len()
        )));
    }
    for (key, value) in &tags {
        if key.chars().count() > MAX_KEY {
            return Err(CliError::Usage(format!(
                "--tag key '{key}' is longer than {MAX_KEY} characters"
            )));
        }
        if value.chars().count() > MAX_VALUE {
            return Err(CliError::Usage(format!(
                "--tag {key}: the value is longer than {MAX_VALUE} characters"
            )));
        }
    }
    tags.sort();
    if let Some(pair) = tags.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(CliError::Usage(format!(
            "--tag key '{}' is given twice",
            pair[0].0
        )));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_and_check() {
        assert_eq!(parse_tag("a b=c=d"), Ok(("a b".into(), "c=d".into())));
        assert_eq!(parse_tag("k="), Ok(("k".into(), String::new())));
        assert!(parse_tag("novalue").is_err());
        assert!(parse_tag("=v").is_err());
        assert!(parse_tag("k=a\nb").is_err());
        let pairs = |n: usize| {
            (0..n)
                .map(|i| (format!("k{i:02}"), "v".to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(check_tags(pairs(10)).unwrap().len(), 10);
        assert!(check_tags(pairs(11)).is_err());
        assert!(check_tags(vec![("k".repeat(129), String::new())]).is_err());
        assert!(check_tags(vec![("k".into(), "v".repeat(257))]).is_err());
        assert!(check_tags(vec![("中".repeat(128), "值".repeat(256))]).is_ok());
        let twice = vec![
            ("b".into(), "1".into()),
            ("a".into(), "".into()),
            ("b".into(), "2".into()),
        ];
        assert!(check_tags(twice)
            .unwrap_err()
            .to_string()
            .contains("'b' is given twice"));
        let sorted = check_tags(vec![("b".into(), "".into()), ("a".into(), "".into())]).unwrap();
        assert_eq!(sorted[0].0, "a");
    }
}
