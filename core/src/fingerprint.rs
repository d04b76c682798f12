//! What a checkpoint records of the options a multipart upload was begun with.
//!
//! Initiate Multipart Upload fixes the new object's metadata, storage class and tags (and whatever
//! the caller renders into it, such as a COS ACL): Complete cannot change them. A resumed job whose
//! options differ from its checkpoint's would finish an object with the first run's options, so
//! the job records a fingerprint of them in the [`Header`](crate::checkpoint::Header) and a resume
//! under different ones starts over ([`RestartReason::OptionsChanged`]).
//!
//! The fingerprint is built from the spec (what the user asked for), not from what Initiate carried:
//! what comes from the source (its metadata and encryption under the copy directive) is pinned by
//! the source's ETag, which a resume checks anyway. The source's tags are the exception: changing
//! them changes neither the ETag nor the last-modified time, so when Initiate carried them the
//! fingerprint ends with them ([`with_source_tags`]) and a resume reads them again to compare.
//!
//! [`RestartReason::OptionsChanged`]: crate::job::RestartReason::OptionsChanged

use crate::job::{JobSpec, TagsHandling};
use crate::ops::MetadataDirective;

/// The fingerprint of `spec`'s Initiate options: a canonical text, each item `name` and `value`
/// length-prefixed (`<len>:<text>`), so that no two different option sets share one. It is stable
/// across versions of this crate: changing it makes every earlier checkpoint start over.
pub(crate) fn initiate_options(spec: &JobSpec) -> String {
    let mut out = String::new();
    let mut put = |name: &str, value: &str| put_item(&mut out, name, value);
    match spec.directive {
        MetadataDirective::Copy => put("directive", "copy"),
        MetadataDirective::Replace => {
            put("directive", "replace");
            let m = &spec.metadata;
            for (name, value) in [
                ("content-type", &m.content_type),
                ("cache-control", &m.cache_control),
                ("content-disposition", &m.content_disposition),
                ("content-encoding", &m.content_encoding),
                ("content-language", &m.content_language),
                ("expires", &m.expires),
            ] {
                if let Some(value) = value {
                    put(name, value);
                }
            }
            for (key, value) in &m.user {
                put("meta", key);
                put("meta-value", value);
            }
        }
    }
    if let Some(class) = &spec.storage_class {
        put("storage-class", class);
    }
    match &spec.tags {
        TagsHandling::FollowDirective => put("tags", "follow"),
        TagsHandling::Skip => put("tags", "skip"),
        TagsHandling::Set(tags) => {
            put("tags", "set");
            for (key, value) in tags {
                put("tag", key);
                put("tag-value", value);
            }
        }
    }
    if let Some(encryption) = &spec.encryption {
        put("encryption", &encryption.algorithm);
        if let Some(key) = &encryption.kms_key_id {
            put("kms-key", key);
        }
        if let Some(data) = &encryption.data_algorithm {
            put("data-encryption", data);
        }
    }
    for (name, value) in &spec.extra_options {
        put("extra", name);
        put("extra-value", value);
    }
    out
}

/// The name of the item that opens the source-tags section of a fingerprint.
const SOURCE_TAGS: &str = "source-tags";

/// Appends one length-prefixed item to a fingerprint (see [`initiate_options`]).
fn put_item(out: &mut String, name: &str, value: &str) {
    for text in [name, value] {
        out.push_str(&text.len().to_string());
        out.push(':');
        out.push_str(text);
    }
    out.push('\n');
}

/// `options` (from [`initiate_options`]) followed by the source's tags that Initiate carried,
/// sorted, so that the order a service lists them in does not matter.
pub(crate) fn with_source_tags(options: &str, tags: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = tags.iter().collect();
    sorted.sort();
    let mut out = options.to_string();
    put_item(&mut out, SOURCE_TAGS, &sorted.len().to_string());
    for (key, value) in sorted {
        put_item(&mut out, "tag", key);
        put_item(&mut out, "tag-value", value);
    }
    out
}

/// How a checkpoint's recorded fingerprint compares with a resumed job's spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recorded {
    /// The same options (or none recorded: a checkpoint from before they were).
    Same,
    /// The same options, and the source's tags as Initiate carried them: the same only if the
    /// source still has those tags ([`with_source_tags`] of what it has now equals `recorded`).
    SameIfSourceTags,
    /// Other options.
    Other,
}

/// Compares `recorded` (a checkpoint header's fingerprint) with `spec`'s options.
pub(crate) fn compare(recorded: Option<&str>, spec: &JobSpec) -> Recorded {
    let Some(recorded) = recorded else {
        return Recorded::Same;
    };
    let options = initiate_options(spec);
    if recorded == options {
        return Recorded::Same;
    }
    // The section's first item, up to its value (the count of tags).
    let marker = format!("{}:{SOURCE_TAGS}", SOURCE_TAGS.len());
    match recorded.strip_prefix(options.as_str()) {
        Some(rest) if rest.starts_with(&marker) => Recorded::SameIfSourceTags,
        _ => Recorded::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Limits;

    fn spec() -> JobSpec {
        JobSpec::new("s", "d", Limits::COS)
    }

    /// The text is pinned: a change here makes every checkpoint written before it start over.
    #[test]
    fn the_fingerprint_is_stable() {
        assert_eq!(initiate_options(&spec()), "9:directive4:copy\n4:tags6:follow\n");
        let mut s = spec();
        s.directive = MetadataDirective::Replace;
        s.metadata.content_type = Some("text/plain".into());
        s.metadata.user = vec![("a".into(), "1".into())];
        s.storage_class = Some("ARCHIVE".into());
        s.tags = TagsHandling::Set(vec![("k".into(), "v".into())]);
        s.extra_options = vec![("acl".into(), "private".into())];
        assert_eq!(
            initiate_options(&s),
            "9:directive7:replace\n12:content-type10:text/plain\n4:meta1:a\n10:meta-value1:1\n\
             13:storage-class7:ARCHIVE\n4:tags3:set\n3:tag1:k\n9:tag-value1:v\n\
             5:extra3:acl\n11:extra-value7:private\n"
        );
    }

    /// Every option the spec holds for Initiate changes the fingerprint, and values cannot be
    /// shifted between items to forge another set.
    #[test]
    fn each_option_changes_it() {
        let base = initiate_options(&spec());
        fn encryption(algorithm: &str, key: Option<&str>) -> crate::ops::Encryption {
            crate::ops::Encryption {
                algorithm: algorithm.into(),
                kms_key_id: key.map(Into::into),
                data_algorithm: None,
            }
        }
        let changes: [fn(&mut JobSpec); 7] = [
            |s| s.directive = MetadataDirective::Replace,
            |s| s.storage_class = Some("STANDARD_IA".into()),
            |s| s.tags = TagsHandling::Skip,
            |s| s.tags = TagsHandling::Set(Vec::new()),
            |s| s.extra_options = vec![("acl".into(), "private".into())],
            |s| s.encryption = Some(encryption("AES256", None)),
            |s| s.encryption = Some(encryption("KMS", Some("k1"))),
        ];
        let mut seen = std::collections::BTreeSet::from([base.clone()]);
        for change in &changes {
            let mut s = spec();
            change(&mut s);
            assert!(seen.insert(initiate_options(&s)), "{s:?}");
        }
        let mut a = spec();
        a.directive = MetadataDirective::Replace;
        let mut b = a.clone();
        a.metadata.user = vec![("a".into(), "b:c".into())];
        b.metadata.user = vec![("a:b".into(), "c".into())];
        assert_ne!(initiate_options(&a), initiate_options(&b));
        let mut c = a.clone();
        c.metadata.user = vec![("a".into(), "b".into()), ("c".into(), String::new())];
        assert_ne!(initiate_options(&a), initiate_options(&c));
        // Replacement metadata is not sent under the copy directive: it does not count there.
        let mut d = spec();
        d.metadata.content_type = Some("text/plain".into());
        assert_eq!(initiate_options(&d), base);
    }

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The source's tags follow the spec's options, sorted, counted, each length-prefixed.
    #[test]
    fn source_tags_are_appended_sorted() {
        let base = initiate_options(&spec());
        assert_eq!(
            with_source_tags(&base, &tags(&[("z", "1"), ("a", "x:y")])),
            format!("{base}11:source-tags1:2\n3:tag1:a\n9:tag-value3:x:y\n3:tag1:z\n9:tag-value1:1\n")
        );
        assert_eq!(with_source_tags(&base, &[]), format!("{base}11:source-tags1:0\n"));
        assert_eq!(
            with_source_tags(&base, &tags(&[("a", "1"), ("b", "2")])),
            with_source_tags(&base, &tags(&[("b", "2"), ("a", "1")]))
        );
        // Keys and values cannot be shifted between tags.
        assert_ne!(
            with_source_tags(&base, &tags(&[("a", "b:c")])),
            with_source_tags(&base, &tags(&[("a:b", "c")]))
        );
    }

    #[test]
    fn a_recorded_fingerprint_is_compared_with_the_spec() {
        let s = spec();
        let base = initiate_options(&s);
        assert_eq!(compare(None, &s), Recorded::Same);
        assert_eq!(compare(Some(&base), &s), Recorded::Same);
        let with_tags = with_source_tags(&base, &tags(&[("k", "v")]));
        assert_eq!(compare(Some(&with_tags), &s), Recorded::SameIfSourceTags);
        // The spec's options decide first: other ones are other, whatever the tags.
        let mut other = spec();
        other.storage_class = Some("ARCHIVE".into());
        assert_eq!(compare(Some(&with_tags), &other), Recorded::Other);
        let other_tags = with_source_tags(&initiate_options(&other), &[]);
        assert_eq!(compare(Some(&other_tags), &s), Recorded::Other);
        // A longer spec whose start is this spec's is not mistaken for a tags section.
        let mut extra = spec();
        extra.extra_options = vec![("acl".into(), "private".into())];
        assert_eq!(compare(Some(&initiate_options(&extra)), &s), Recorded::Other);
    }
}
