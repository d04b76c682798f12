//! The emulator's state: buckets, objects and multipart uploads (all in memory, all virtual-capable).

use std::collections::BTreeMap;

use md5::{Digest, Md5};

use crate::dialect::Provider;
use crate::segments::Content;

/// One stored object.
#[derive(Debug, Clone)]
pub struct Object {
    /// The bytes, as segments.
    pub content: Content,
    /// Metadata response headers (lower-case names): content-type, cache-control, …, and
    /// `x-cos-meta-*` / `x-oss-meta-*`.
    pub headers: BTreeMap<String, String>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// ETag without quotes.
    pub etag: String,
    /// Last-modified, Unix milliseconds.
    pub last_modified: i64,
    /// Its version id, in a bucket with versioning (set by [`Bucket::put`]).
    pub version_id: Option<String>,
    /// The canned ACL its write asked for (`x-cos-acl` / `x-oss-object-acl`), if any; without
    /// one the object has the bucket's.
    pub acl: Option<String>,
}

/// One uploaded part of a multipart upload.
#[derive(Debug, Clone)]
pub struct Part {
    /// The part's bytes.
    pub content: Content,
    /// The part's ETag without quotes (hex of `digest`).
    pub etag: String,
    /// The digest of its content ([`Content::digest`]), kept so that Complete hashes the parts'
    /// binary digests without decoding 10,000 hex ETags.
    pub digest: [u8; 16],
    /// When it was uploaded, Unix milliseconds.
    pub last_modified: i64,
}

/// An initiated, not yet completed or aborted, multipart upload.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Upload id.
    pub id: String,
    /// Destination key.
    pub key: String,
    /// When it was initiated, Unix milliseconds.
    pub initiated: i64,
    /// Metadata headers given at Initiate, stored on the object at Complete.
    pub headers: BTreeMap<String, String>,
    /// Tags given at Initiate.
    pub tags: Vec<(String, String)>,
    /// The canned ACL given at Initiate (COS; OSS takes it at Complete).
    pub acl: Option<String>,
    /// Parts by number.
    pub parts: BTreeMap<u32, Part>,
}

/// A bucket: provider, region, objects and uploads.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Which service it belongs to.
    pub provider: Provider,
    /// Its region.
    pub region: String,
    /// Objects by key.
    pub objects: BTreeMap<String, Object>,
    /// Open multipart uploads by upload id.
    pub uploads: BTreeMap<String, Upload>,
    /// Whether writes keep the versions they replace.
    pub versioning: bool,
    /// With versioning, the versions each key had before its current one, oldest first.
    pub noncurrent: BTreeMap<String, Vec<Object>>,
    /// Versions created so far (the version ids' sequence).
    pub versions_created: u64,
}

impl Bucket {
    /// An empty bucket of `provider` in `region`, without versioning.
    pub fn new(provider: Provider, region: &str) -> Bucket {
        Bucket {
            provider,
            region: region.to_string(),
            objects: BTreeMap::new(),
            uploads: BTreeMap::new(),
            versioning: false,
            noncurrent: BTreeMap::new(),
            versions_created: 0,
        }
    }

    /// Stores `object` as the current version of `key`. With versioning it gets a new version id
    /// and the version it replaces is kept (readable by its id); without, it replaces it. Returns
    /// the new version id, if any.
    pub fn put(&mut self, key: &str, mut object: Object) -> Option<String> {
        object.version_id = None;
        if self.versioning {
            self.versions_created += 1;
            let mut md5 = Md5::new();
            md5.update(self.versions_created.to_be_bytes());
            md5.update(key.as_bytes());
            object.version_id = Some(format!("v{}", hex::encode(&md5.finalize()[..12])));
        }
        let id = object.version_id.clone();
        if let Some(old) = self.objects.insert(key.to_string(), object) {
            if self.versioning {
                self.noncurrent.entry(key.to_string()).or_default().push(old);
            }
        }
        id
    }

    /// The current version of `key`, or with `version_id` that version (current or not).
    pub fn get(&self, key: &str, version_id: Option<&str>) -> Option<&Object> {
        let current = self.objects.get(key);
        let Some(wanted) = version_id else {
            return current;
        };
        current
            .into_iter()
            .chain(self.noncurrent.get(key).into_iter().flatten())
            .find(|o| o.version_id.as_deref() == Some(wanted))
    }
}

/// All buckets, by name (names are unique across providers).
#[derive(Debug, Default)]
pub struct Store {
    /// Buckets by name.
    pub buckets: BTreeMap<String, Bucket>,
    next_upload: u64,
}

impl Store {
    /// A fresh upload id (unique within this emulator).
    pub fn new_upload_id(&mut self, provider: Provider) -> String {
        self.next_upload += 1;
        let mut md5 = Md5::new();
        md5.update(self.next_upload.to_be_bytes());
        let digest = md5.finalize();
        match provider {
            Provider::Cos => format!("{}{}", crate::dialect::now_millis(), hex::encode(digest)),
            Provider::Oss => hex::encode_upper(digest),
        }
    }

    /// Open multipart uploads across all buckets.
    pub fn open_uploads(&self) -> usize {
        self.buckets.values().map(|b| b.uploads.len()).sum()
    }
}

/// The ETag of a simple object or part with this content, as `provider` formats it.
pub fn simple_etag(provider: Provider, content: &Content) -> String {
    provider.hex(&content.digest())
}

/// A part with this content: its ETag as `provider` formats it, its digest, uploaded now.
pub fn new_part(provider: Provider, content: Content) -> Part {
    let digest = content.digest();
    Part {
        etag: provider.hex(&digest),
        digest,
        last_modified: crate::dialect::now_millis(),
        content,
    }
}

/// The ETag of a completed multipart upload: hex(MD5(concatenated binary part digests)) + `-N`.
pub fn multipart_etag<'a>(
    provider: Provider,
    part_digests: impl ExactSizeIterator<Item = &'a [u8; 16]>,
) -> String {
    let count = part_digests.len();
    // One buffer, hashed at once: cheaper than 10,000 updates of 16 bytes.
    let mut all = Vec::with_capacity(count * 16);
    for digest in part_digests {
        all.extend_from_slice(digest);
    }
    format!("{}-{count}", provider.hex(&Md5::digest(&all)))
}

/// Whether two ETags name the same content: equal once surrounding spaces and quotes are stripped,
/// ignoring ASCII case.
pub fn etags_match(a: &str, b: &str) -> bool {
    bare_etag(a).eq_ignore_ascii_case(bare_etag(b))
}

fn bare_etag(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_match_ignores_quotes_case_and_spaces() {
        assert!(etags_match("\"ABC\"", " abc "));
        assert!(!etags_match("\"abc\"", "abd"));
        assert!(etags_match(" \"AbC\"", "abc"));
    }

    #[test]
    fn multipart_etag_hashes_binary_md5s() {
        let one: [u8; 16] = hex::decode("0123456789abcdef0123456789abcdef")
            .unwrap()
            .try_into()
            .unwrap();
        let two = [7u8; 16];
        let mut md5 = Md5::new();
        md5.update(one);
        md5.update(two);
        let digest = md5.finalize();
        assert_eq!(
            multipart_etag(Provider::Cos, [one, two].iter()),
            format!("{}-2", Provider::Cos.hex(&digest))
        );
        assert_eq!(
            multipart_etag(Provider::Oss, [one, two].iter()),
            format!("{}-2", Provider::Oss.hex(&digest))
        );
        assert_ne!(
            multipart_etag(Provider::Cos, [two, one].iter()),
            multipart_etag(Provider::Cos, [one, two].iter())
        );
    }
}
