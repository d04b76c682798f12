//! The provider-neutral operations a copy job asks its driver to perform, and their outcomes.
//!
//! These types are the contract between `core` (which decides), `protocol` (which renders them as
//! signed COS/OSS requests and parses the responses back into [`Reply`] / [`Failure`]) and a driver
//! (which sends them). Every operation is self-contained: it names the upload id and part it acts on,
//! so a renderer needs only the job's fixed [source and destination](crate::ops) addresses besides it.

use std::sync::Arc;
use std::time::Duration;

/// An inclusive byte range `first..=last` of the source object, as sent in
/// `x-cos-copy-source-range` / `x-oss-copy-source-range: bytes=first-last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteRange {
    /// Offset of the first byte.
    pub first: u64,
    /// Offset of the last byte (inclusive).
    pub last: u64,
}

impl ByteRange {
    /// Number of bytes in the range (`last - first + 1`).
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Always false: an inclusive range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Whether the destination's metadata is copied from the source or replaced by the job's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetadataDirective {
    /// Keep the source's metadata (COS `Copy`, OSS `COPY`). For a multipart copy the job HEADs the
    /// source and passes its metadata and tags to Initiate.
    #[default]
    Copy,
    /// Use the metadata given in the job (COS `Replaced`, OSS `REPLACE`), and no tags: a PUT-Copy
    /// sends the tagging directive `Replaced` / `REPLACE` with none, as a multipart copy passes no
    /// tags to Initiate. (Tags set with [`TagsHandling::Set`](crate::job::TagsHandling::Set) are
    /// given under either directive.)
    Replace,
}

/// The metadata a copy carries to its destination: the standard headers and user metadata.
///
/// User metadata keys are stored without their provider prefix (`x-cos-meta-` / `x-oss-meta-`) and in
/// lower case, as the services return them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectMetadata {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Expires`, verbatim.
    pub expires: Option<String>,
    /// User metadata as (key without prefix, value), sorted by key.
    pub user: Vec<(String, String)>,
}

/// Server-side encryption at rest, as HEAD reports it and as a copy asks for it.
///
/// A copy does not inherit its source's encryption: COS documents that a PUT-Copy without the
/// header is stored unencrypted whatever the source, a new multipart upload has only what Initiate
/// asks for, and OSS documents no inheritance either. So a job passes the source's on to PUT-Copy
/// and Initiate; asking for the encryption an object already has is harmless. Keys a customer
/// supplies per request (SSE-C) are not a job's concern: they are secrets that go with every
/// request for the object's data, so the renderer that signs the requests holds them
/// (`partcopy-protocol`'s `customer_key`), and HEAD reports no `Encryption` for such an object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Encryption {
    /// `x-cos-server-side-encryption` (`AES256`, `cos/kms`) or `x-oss-server-side-encryption`
    /// (`AES256`, `KMS`, `SM4`).
    pub algorithm: String,
    /// The KMS key: `x-cos-server-side-encryption-cos-kms-key-id` or
    /// `x-oss-server-side-encryption-key-id`, when the object names one.
    pub kms_key_id: Option<String>,
    /// OSS only: the algorithm of the data under KMS (`x-oss-server-side-data-encryption`, `SM4`).
    pub data_algorithm: Option<String>,
}

/// What the job asks the driver to do; rendered by `protocol` for the job's provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// HEAD the source object: its size, ETag, last-modified, metadata, CRC-64.
    HeadSource,
    /// GET the source's tags (`?tagging`), to carry them to a multipart destination.
    GetSourceTagging,
    /// HEAD the destination object, to learn whether an upload whose Complete answer never
    /// arrived was completed (see [`confirm`](crate::confirm)). Answered with [`Reply::Head`].
    HeadDestination,
    /// One PUT-Copy request for the whole object.
    PutCopy {
        /// Copy only if the source still has this ETag (`x-*-copy-source-if-match`).
        source_etag: Option<String>,
        /// Copy or replace metadata.
        directive: MetadataDirective,
        /// The metadata to set when `directive` is `Replace` (ignored for `Copy`).
        metadata: ObjectMetadata,
        /// Storage class of the destination, if set.
        storage_class: Option<String>,
        /// Keep the source's tags (both services' default); `false` replaces them with `tags`
        /// (the tagging directive `Replaced` / `REPLACE`). The job keeps them under
        /// [`MetadataDirective::Copy`] and drops them under `Replace`, except in place (see
        /// [`JobSpec::in_place`](crate::job::JobSpec::in_place)), where a `Copy` is sent as a
        /// `Replace` that restates the source's metadata and keeps its tags; tags set with
        /// [`TagsHandling::Set`](crate::job::TagsHandling::Set) always replace them.
        keep_tags: bool,
        /// With `keep_tags` false, the tags the copy gets instead (`x-*-tagging`), as (key, value);
        /// empty for none.
        tags: Vec<(String, String)>,
        /// Encryption of the destination (the source's), if any.
        encryption: Option<Encryption>,
    },
    /// Initiate Multipart Upload at the destination.
    Initiate {
        /// Metadata of the new object (the source's, or the replacement).
        metadata: ObjectMetadata,
        /// Tags of the new object as (key, value), sent as `x-*-tagging`.
        tags: Vec<(String, String)>,
        /// Storage class of the destination, if set.
        storage_class: Option<String>,
        /// Encryption of the destination (the source's), if any.
        encryption: Option<Encryption>,
    },
    /// Upload Part - Copy: copy `range` of the source into part `part_number`.
    UploadPartCopy {
        /// The upload this part belongs to.
        upload_id: String,
        /// Part number, 1..=10,000.
        part_number: u32,
        /// Source bytes to copy.
        range: ByteRange,
        /// Copy only if the source still has this ETag (`x-*-copy-source-if-match`).
        source_etag: String,
    },
    /// List Parts of an upload, one page.
    ListParts {
        /// The upload to list.
        upload_id: String,
        /// List parts with numbers greater than this (`part-number-marker`), if any.
        marker: Option<u32>,
        /// Page size (`max-parts`), if set.
        max_parts: Option<u32>,
    },
    /// Complete Multipart Upload with the given parts, ascending.
    Complete {
        /// The upload to complete.
        upload_id: String,
        /// Every part, in ascending order, with the ETag the service returned for it. Shared, so
        /// that handing the operation out again (a retry) does not copy a list of 10,000 parts.
        parts: Arc<[CompletedPart]>,
    },
    /// Abort Multipart Upload.
    Abort {
        /// The upload to abort.
        upload_id: String,
    },
    /// List Multipart Uploads in the destination's bucket whose keys start with `prefix`, one
    /// page, in key then upload order. A copy job never sends it: it is for tools that look for
    /// what copies left behind (`partcopy uploads`).
    ListUploads {
        /// Only uploads of keys that start with this (`prefix`); the destination's key to list
        /// its own uploads (and those of longer keys, which the caller filters out).
        prefix: String,
        /// Continue after this upload (`key-marker` and `upload-id-marker`): the previous page's
        /// [`Reply::Uploads`] `next`.
        after: Option<UploadMarker>,
        /// Page size (`max-uploads`), if set.
        max_uploads: Option<u32>,
    },
    /// DELETE the source object: `partcopy cp --move` once the copy is done and checked. A copy
    /// job never sends it. Answered with [`Reply::Deleted`] (the services answer 204 whether or
    /// not the object was there).
    DeleteSource,
    /// List Objects (version 1) in the source's bucket whose keys start with `prefix`, one page,
    /// in key order, with no delimiter (every key under the prefix, at any depth). A copy job
    /// never sends it: it is for tools that copy many objects (`partcopy cp --recursive`).
    ListObjects {
        /// Only keys that start with this (`prefix`); empty for the whole bucket.
        prefix: String,
        /// Continue after this key (`marker`): the previous page's [`Reply::Objects`] `next`.
        marker: Option<String>,
        /// Page size (`max-keys`), if set.
        max_keys: Option<u32>,
    },
}

/// An object as List Objects reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    /// The object's key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its ETag, quotes included, when reported.
    pub etag: Option<String>,
    /// When it was last modified (`LastModified`, ISO 8601), verbatim.
    pub last_modified: Option<String>,
    /// Its storage class, when reported.
    pub storage_class: Option<String>,
}

/// Where a page of List Multipart Uploads ended: its last upload's key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadMarker {
    /// `NextKeyMarker`.
    pub key: String,
    /// `NextUploadIdMarker`.
    pub upload_id: String,
}

/// A multipart upload in progress, as List Multipart Uploads reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedUpload {
    /// The key the upload would create.
    pub key: String,
    /// The upload's id.
    pub upload_id: String,
    /// When it was initiated (`Initiated`, ISO 8601), verbatim.
    pub initiated: Option<String>,
    /// Its storage class, when reported.
    pub storage_class: Option<String>,
}

/// A part as named in Complete Multipart Upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    /// Part number.
    pub number: u32,
    /// The part's ETag exactly as the service returned it (quotes included).
    pub etag: String,
}

/// What HEAD says about an object: the source, or the destination for
/// [`Operation::HeadDestination`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceInfo {
    /// Size in bytes (`Content-Length`).
    pub size: u64,
    /// ETag exactly as returned (quotes included).
    pub etag: String,
    /// `Last-Modified`, verbatim.
    pub last_modified: Option<String>,
    /// Version id, when versioning is on.
    pub version_id: Option<String>,
    /// Storage class, when reported.
    pub storage_class: Option<String>,
    /// CRC-64/XZ of the whole object, when reported.
    pub crc64: Option<u64>,
    /// Standard headers and user metadata.
    pub metadata: ObjectMetadata,
    /// Server-side encryption, when reported.
    pub encryption: Option<Encryption>,
    /// The data is archived and not restored, so nothing can be read from it (GET, or a copy from
    /// it) until a restore finishes. Set only where that is certain — COS `ARCHIVE` /
    /// `DEEP_ARCHIVE`, OSS `ColdArchive` / `DeepColdArchive`, whose restore header does not say
    /// `ongoing-request="false"` —, not for OSS `Archive`, which a bucket may let be read at once.
    pub needs_restore: bool,
}

/// A part as reported by List Parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPart {
    /// Part number.
    pub number: u32,
    /// The part's ETag exactly as returned.
    pub etag: String,
    /// The part's size in bytes.
    pub size: u64,
}

/// A successful outcome of an [`Operation`], parsed from the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Answer to [`Operation::HeadSource`] and [`Operation::HeadDestination`].
    Head(Box<SourceInfo>),
    /// Answer to [`Operation::GetSourceTagging`]: (key, value) pairs.
    Tagging(Vec<(String, String)>),
    /// Answer to [`Operation::PutCopy`].
    Copied {
        /// ETag of the new object.
        etag: String,
        /// CRC-64 of the new object, when reported.
        crc64: Option<u64>,
    },
    /// Answer to [`Operation::Initiate`].
    Initiated {
        /// The new upload id.
        upload_id: String,
        /// The answer's `Date` header, verbatim: when the upload began, by the service's clock.
        /// Kept in the checkpoint header, so that a completed object can later be told from an
        /// older one by its `Last-Modified` (see [`confirm`](crate::confirm)).
        date: Option<String>,
    },
    /// Answer to [`Operation::UploadPartCopy`].
    PartCopied {
        /// ETag of the part.
        etag: String,
        /// CRC-64 of the part, when reported.
        crc64: Option<u64>,
    },
    /// Answer to [`Operation::ListParts`]: one page.
    Parts {
        /// Parts on this page.
        parts: Vec<ListedPart>,
        /// `NextPartNumberMarker` when `IsTruncated` is true; `None` on the last page.
        next_marker: Option<u32>,
    },
    /// Answer to [`Operation::Complete`].
    Completed {
        /// ETag of the new object.
        etag: String,
        /// CRC-64 of the new object, when reported.
        crc64: Option<u64>,
    },
    /// Answer to [`Operation::Abort`].
    Aborted,
    /// Answer to [`Operation::ListUploads`]: one page.
    Uploads {
        /// Uploads on this page.
        uploads: Vec<ListedUpload>,
        /// Where to continue when `IsTruncated` is true; `None` on the last page.
        next: Option<UploadMarker>,
    },
    /// Answer to [`Operation::DeleteSource`].
    Deleted,
    /// Answer to [`Operation::ListObjects`]: one page.
    Objects {
        /// Objects on this page, in key order.
        objects: Vec<ListedObject>,
        /// The marker of the next page when `IsTruncated` is true; `None` on the last page.
        next: Option<String>,
    },
}

/// What kind of failure an operation met; decides retry and abort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// Worth retrying: 5xx, InternalError, RequestTimeout, a `200` with an error body of that kind.
    Retryable,
    /// The service asks us to slow down (503 SlowDown and throttling codes): retry with backoff.
    Throttled,
    /// The request never got a complete answer: connection refused/reset, a timeout. Retryable.
    Transport,
    /// A copy-source condition failed (412): the source changed since it was HEADed.
    PreconditionFailed,
    /// The source object does not exist (NoSuchKey / 404 on HEAD).
    NoSuchKey,
    /// The multipart upload is gone (NoSuchUpload).
    NoSuchUpload,
    /// A bucket does not exist (NoSuchBucket).
    NoSuchBucket,
    /// Access denied (403): wrong credentials, signature or permissions.
    AccessDenied,
    /// Refused for the time it was signed at (a 403 whose `Date` is far from the signing clock),
    /// and the wire has since learnt the service's time: retryable, and not carried out.
    ClockSkewed,
    /// Any other client error: not worth retrying.
    Fatal,
}

impl FailureKind {
    /// Whether a request that failed this way may have been carried out by the service all the
    /// same: its answer never arrived ([`Transport`](FailureKind::Transport)) or the service
    /// failed while handling it ([`Retryable`](FailureKind::Retryable)). A throttled or refused
    /// request was not carried out.
    pub fn may_have_taken_effect(self) -> bool {
        matches!(self, FailureKind::Retryable | FailureKind::Transport)
    }

    /// Whether an operation that failed this way may be sent again.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            FailureKind::Retryable
                | FailureKind::Throttled
                | FailureKind::Transport
                | FailureKind::ClockSkewed
        )
    }
}

/// A failed operation, with what the service said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// How the job should treat it.
    pub kind: FailureKind,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// The service's error code (`NoSuchKey`, `SlowDown`, …), or a transport description.
    pub code: String,
    /// The service's message.
    pub message: String,
    /// The service's request id, for support tickets.
    pub request_id: Option<String>,
    /// A `Retry-After` the service sent, if any.
    pub retry_after: Option<Duration>,
}
