//! Renders core's operations as signed `http::Request<Bytes>` for COS or OSS.
//!
//! A [`Renderer`] holds a job's two addresses and renders its operations: [`Operation::HeadSource`]
//! and [`Operation::GetSourceTagging`] go to the source, every other operation to the destination;
//! [`render`] does the same for a single request. [`head_object`], [`get_object`], [`put_object`]
//! and [`get_object_tagging`] are the plain requests used for verification and cross-cloud copies.
//!
//! The requests carry what the vendors' own SDKs send (cos-python-sdk-v5 for COS,
//! alibabacloud-oss-v2 for OSS), so the golden vectors compare them header for header: keys encoded
//! with everything but `A-Za-z0-9-_.~/` escaped, copy sources in each provider's form,
//! `Content-Length` on every PUT/POST/DELETE, OSS's `Content-MD5` on every request but object
//! HEAD/GET, and
//! `encoding-type=url` where the SDKs ask for it.
//!
//! What a job's requests carry beyond its operations comes from the addresses and the renderer:
//! an address's SSE-C key ([`ObjectAddress::with_customer_key`](crate::endpoint::ObjectAddress::with_customer_key))
//! goes with every request that reads or writes that object's data, and
//! [`Renderer::forbid_overwrite`] and [`Renderer::acl`] add their headers to the writes that create
//! the destination.

use std::time::SystemTime;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_LENGTH, CONTENT_TYPE,
    EXPIRES, HOST, RANGE,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use md5::{Digest, Md5};
use partcopy_core::ops::{
    ByteRange, CompletedPart, Encryption, MetadataDirective, ObjectMetadata, Operation,
};

use crate::customer_key::{self, CustomerKey};
use crate::encode::{push_encoded, KEY, UNRESERVED};
use crate::endpoint::{oss_region, ObjectAddress, Provider};
use crate::sign::{Scheme, SignError, SignTarget, Signer};

/// Content-MD5 of an empty body.
const EMPTY_MD5: &str = "1B2M2Y8AsgTpgAmY7PhCfg==";

/// Why a request could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The object key is empty.
    #[error("the object key is empty")]
    EmptyKey,
    /// The signer is for another provider than the address.
    #[error("a {scheme:?} signer cannot sign a request to {provider}")]
    WrongSigner {
        /// The signer's scheme.
        scheme: Scheme,
        /// The address's provider.
        provider: Provider,
    },
    /// A server-side copy between two providers was asked for.
    #[error("cannot copy server-side from {source_provider} to {dest_provider}")]
    CrossProvider {
        /// The source's provider.
        source_provider: Provider,
        /// The destination's provider.
        dest_provider: Provider,
    },
    /// A part number outside 1..=10000.
    #[error("part number {0} is outside 1..=10000")]
    PartNumber(u32),
    /// A byte range whose last byte is before its first.
    #[error("invalid byte range {first}-{last}")]
    Range {
        /// First byte.
        first: u64,
        /// Last byte.
        last: u64,
    },
    /// A header name or value (metadata, tags, ETag, upload id) that HTTP cannot carry.
    #[error("{0} cannot be sent in an HTTP header")]
    InvalidHeader(String),
    /// The URL could not be built (should not happen with encoded keys).
    #[error("cannot build the request URL: {0}")]
    Url(String),
    /// An SSE-C key on an address of a provider without SSE-C (OSS).
    #[error("{0} has no customer-provided encryption keys (SSE-C)")]
    CustomerKeyUnsupported(Provider),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// Renders `op` for the job's `source` and `dest` objects and signs it with `signer` at `now`.
///
/// A one-off: it works out both addresses' shared parts for this one request. A driver sending a
/// job's many requests keeps a [`Renderer`] instead.
///
/// # Errors
/// A [`RenderError`] for an empty key, a signer of the wrong provider, a copy across providers, a part
/// number or range out of bounds, or metadata that cannot be an HTTP header.
pub fn render(
    op: &Operation,
    source: &ObjectAddress,
    dest: &ObjectAddress,
    signer: &Signer,
    now: SystemTime,
) -> Result<http::Request<Bytes>, RenderError> {
    Renderer::new(source.clone(), dest.clone()).render(op, signer, now)
}

/// One copy job's requests, with what they all share worked out once: each address's URL up to
/// the query (the key percent-encoded), its `Host` value and signing target, and the copy-source
/// header. A 10,000-part copy renders 10,000 Upload Part - Copy requests that differ only in their
/// part number and range.
///
/// ```
/// use std::time::SystemTime;
/// use partcopy_core::ops::Operation;
/// use partcopy_protocol::credentials::Credentials;
/// use partcopy_protocol::endpoint::{ObjectAddress, Provider};
/// use partcopy_protocol::render::Renderer;
/// use partcopy_protocol::sign::Signer;
///
/// let source = ObjectAddress::new(Provider::Cos, "ap-beijing", "src-1250000000", "big.bin");
/// let dest = ObjectAddress::new(Provider::Cos, "ap-guangzhou", "dst-1250000000", "big.bin");
/// let renderer = Renderer::new(source, dest);
/// let signer = Signer::cos(Credentials::new("AKID", "secret"));
/// let head = renderer.render(&Operation::HeadSource, &signer, SystemTime::now()).unwrap();
/// assert_eq!(head.uri(), "https://src-1250000000.cos.ap-beijing.myqcloud.com/big.bin");
/// ```
#[derive(Debug, Clone)]
pub struct Renderer {
    source: ObjectAddress,
    dest: ObjectAddress,
    source_target: Target,
    dest_target: Target,
    /// The destination's bucket, for bucket-level requests (List Multipart Uploads).
    dest_bucket: Target,
    /// The source's bucket, for List Objects.
    source_bucket: Target,
    /// The source in the destination's copy-source form; `None` when it cannot be a header value.
    copy_source: Option<HeaderValue>,
    /// Ask the service not to replace an existing destination (see [`Renderer::forbid_overwrite`]).
    forbid_overwrite: bool,
    /// The destination's canned ACL (see [`Renderer::acl`]).
    acl: Option<String>,
}

impl Renderer {
    /// A renderer for copies from `source` to `dest`.
    pub fn new(source: ObjectAddress, dest: ObjectAddress) -> Renderer {
        Renderer {
            source_target: Target::of(&source),
            dest_target: Target::of(&dest),
            dest_bucket: Target::bucket(&dest),
            source_bucket: Target::bucket(&source),
            copy_source: HeaderValue::try_from(copy_source(&source)).ok(),
            source,
            dest,
            forbid_overwrite: false,
            acl: None,
        }
    }

    /// The same renderer giving the destination a canned ACL (COS `x-cos-acl`: `default`,
    /// `private`, `public-read`; OSS `x-oss-object-acl`: also `public-read-write`), sent where each
    /// service takes it for a new object: COS on PUT-Copy and Initiate, OSS on PUT-Copy and Complete.
    /// `None` sends nothing, and the copy gets the bucket's ACL whatever the source's.
    #[must_use]
    pub fn acl(mut self, acl: Option<String>) -> Renderer {
        self.acl = acl;
        self
    }

    /// The same renderer asking, when `on`, that the writes which create the destination — PUT-Copy,
    /// Initiate and Complete — fail rather than replace an object already there
    /// (`x-cos-forbid-overwrite` / `x-oss-forbid-overwrite: true`; both services answer 409 and
    /// ignore the header in a bucket with versioning).
    #[must_use]
    pub fn forbid_overwrite(mut self, on: bool) -> Renderer {
        self.forbid_overwrite = on;
        self
    }

    /// The source address.
    pub fn source(&self) -> &ObjectAddress {
        &self.source
    }

    /// The destination address.
    pub fn destination(&self) -> &ObjectAddress {
        &self.dest
    }

    /// Renders `op` and signs it with `signer` at `now`: [`Operation::HeadSource`],
    /// [`Operation::GetSourceTagging`], [`Operation::DeleteSource`] and
    /// [`Operation::ListObjects`] go to the source (its bucket for the listing), everything else
    /// to the destination.
    ///
    /// # Errors
    /// As [`render`].
    pub fn render(
        &self,
        op: &Operation,
        signer: &Signer,
        now: SystemTime,
    ) -> Result<http::Request<Bytes>, RenderError> {
        let (source, dest) = (&self.source, &self.dest);
        let at_dest = |method| Draft::new(dest, &self.dest_target, method);
        match op {
            Operation::HeadSource => head_draft(source, &self.source_target)?.finish(signer, now),
            Operation::HeadDestination => head_draft(dest, &self.dest_target)?.finish(signer, now),
            Operation::GetSourceTagging => tagging_draft(source, &self.source_target)?.finish(signer, now),
            Operation::DeleteSource => {
                let mut d = Draft::new(source, &self.source_target, Method::DELETE)?;
                d.version();
                d.finish(signer, now)
            }
            Operation::PutCopy {
                source_etag,
                directive,
                metadata,
                storage_class,
                keep_tags,
                tags,
                encryption,
            } => {
                let mut d = at_dest(Method::PUT)?;
                d.copy_source(source, self.copy_source.as_ref())?;
                d.copy_source_key(&self.source_target)?;
                d.customer_key()?;
                if let Some(etag) = source_etag {
                    d.header(
                        d.h("x-cos-copy-source-if-match", "x-oss-copy-source-if-match"),
                        etag,
                    )?;
                }
                let directive_header = d.h("x-cos-metadata-directive", "x-oss-metadata-directive");
                match (directive, dest.provider) {
                    (MetadataDirective::Copy, Provider::Cos) => d.header(directive_header, "Copy")?,
                    // OSS's default is COPY; alibabacloud-oss-v2 sends no header for it.
                    (MetadataDirective::Copy, Provider::Oss) => {}
                    (MetadataDirective::Replace, Provider::Cos) => {
                        d.header(directive_header, "Replaced")?;
                        d.metadata(metadata)?;
                    }
                    (MetadataDirective::Replace, Provider::Oss) => {
                        d.header(directive_header, "REPLACE")?;
                        d.metadata(metadata)?;
                    }
                }
                // Both services copy the tags by default whatever the metadata directive; dropping them
                // (as a multipart copy under Replace does, passing no tags to Initiate) takes the
                // tagging directive.
                if !keep_tags {
                    match dest.provider {
                        Provider::Cos => {
                            d.header(HeaderName::from_static("x-cos-tagging-directive"), "Replaced")?
                        }
                        Provider::Oss => {
                            d.header(HeaderName::from_static("x-oss-tagging-directive"), "REPLACE")?
                        }
                    }
                    if !tags.is_empty() {
                        d.header(d.h("x-cos-tagging", "x-oss-tagging"), &tagging_header(tags))?;
                    }
                }
                d.storage_class(storage_class.as_deref())?;
                d.encryption(encryption.as_ref())?;
                self.no_overwrite(&mut d);
                self.canned_acl(&mut d, true)?;
                d.finish(signer, now)
            }
            Operation::Initiate {
                metadata,
                tags,
                storage_class,
                encryption,
            } => {
                let mut d = at_dest(Method::POST)?;
                d.query("uploads", "");
                if dest.provider == Provider::Oss {
                    d.query("encoding-type", "url");
                }
                d.customer_key()?;
                d.metadata(metadata)?;
                d.storage_class(storage_class.as_deref())?;
                if !tags.is_empty() {
                    d.header(d.h("x-cos-tagging", "x-oss-tagging"), &tagging_header(tags))?;
                }
                d.encryption(encryption.as_ref())?;
                self.no_overwrite(&mut d);
                self.canned_acl(&mut d, dest.provider == Provider::Cos)?;
                d.finish(signer, now)
            }
            Operation::UploadPartCopy {
                upload_id,
                part_number,
                range,
                source_etag,
            } => {
                if !(1..=10_000).contains(part_number) {
                    return Err(RenderError::PartNumber(*part_number));
                }
                check_range(range)?;
                let mut d = at_dest(Method::PUT)?;
                let mut number = String::with_capacity(5);
                push_u64(&mut number, u64::from(*part_number));
                d.query("partNumber", &number);
                d.query("uploadId", upload_id);
                d.copy_source(source, self.copy_source.as_ref())?;
                d.copy_source_key(&self.source_target)?;
                d.customer_key()?;
                d.header_owned(
                    d.h("x-cos-copy-source-range", "x-oss-copy-source-range"),
                    range_value(range),
                )?;
                d.header(
                    d.h("x-cos-copy-source-if-match", "x-oss-copy-source-if-match"),
                    source_etag,
                )?;
                d.finish(signer, now)
            }
            Operation::ListParts {
                upload_id,
                marker,
                max_parts,
            } => {
                let mut d = at_dest(Method::GET)?;
                d.query("uploadId", upload_id);
                if let Some(m) = marker {
                    d.query("part-number-marker", &m.to_string());
                }
                if let Some(m) = max_parts {
                    d.query("max-parts", &m.to_string());
                }
                d.query("encoding-type", "url");
                d.finish(signer, now)
            }
            Operation::Complete { upload_id, parts } => {
                let mut d = at_dest(Method::POST)?;
                d.query("uploadId", upload_id);
                if dest.provider == Provider::Oss {
                    d.query("encoding-type", "url");
                } else {
                    d.headers
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
                }
                d.body = Bytes::from(complete_body(parts));
                d.md5 = true;
                self.no_overwrite(&mut d);
                self.canned_acl(&mut d, dest.provider == Provider::Oss)?;
                d.finish(signer, now)
            }
            Operation::Abort { upload_id } => {
                let mut d = at_dest(Method::DELETE)?;
                d.query("uploadId", upload_id);
                d.finish(signer, now)
            }
            Operation::ListUploads {
                prefix,
                after,
                max_uploads,
            } => {
                let mut d = Draft::at(dest, &self.dest_bucket, Method::GET);
                d.query("uploads", "");
                // cos-python-sdk-v5 always sends (and signs) the prefix, an empty delimiter and
                // both markers, empty when it has none; alibabacloud-oss-v2 sends only what is
                // set. So do we, to ask for exactly what they ask for.
                let cos = dest.provider == Provider::Cos;
                if cos || !prefix.is_empty() {
                    d.query("prefix", prefix);
                }
                if cos {
                    d.query("delimiter", "");
                }
                match after {
                    Some(after) => {
                        d.query("key-marker", &after.key);
                        d.query("upload-id-marker", &after.upload_id);
                    }
                    None if cos => {
                        d.query("key-marker", "");
                        d.query("upload-id-marker", "");
                    }
                    None => {}
                }
                if let Some(max) = max_uploads {
                    d.query("max-uploads", &max.to_string());
                }
                d.query("encoding-type", "url");
                d.finish(signer, now)
            }
            Operation::ListObjects {
                prefix,
                marker,
                max_keys,
            } => {
                let mut d = Draft::at(source, &self.source_bucket, Method::GET);
                // As for List Multipart Uploads: cos-python-sdk-v5 always sends (and signs) the
                // prefix, an empty delimiter and the marker, empty when it has none;
                // alibabacloud-oss-v2 sends only what is set.
                let cos = source.provider == Provider::Cos;
                if cos || !prefix.is_empty() {
                    d.query("prefix", prefix);
                }
                if cos {
                    d.query("delimiter", "");
                }
                match marker {
                    Some(marker) => d.query("marker", marker),
                    None if cos => d.query("marker", ""),
                    None => {}
                }
                if let Some(max) = max_keys {
                    d.query("max-keys", &max.to_string());
                }
                d.query("encoding-type", "url");
                if !cos {
                    // alibabacloud-oss-v2's ListObjects sends (and so signs) this Content-Type.
                    d.headers
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
                }
                d.finish(signer, now)
            }
        }
    }
}

impl Renderer {
    /// The canned-ACL header, when one is asked for and `here` (this request is where the
    /// provider takes it).
    fn canned_acl(&self, d: &mut Draft<'_>, here: bool) -> Result<(), RenderError> {
        match &self.acl {
            Some(acl) if here => d.header(d.h("x-cos-acl", "x-oss-object-acl"), acl),
            _ => Ok(()),
        }
    }

    /// The forbid-overwrite header, when asked for.
    fn no_overwrite(&self, d: &mut Draft<'_>) {
        if self.forbid_overwrite {
            let name = d.h("x-cos-forbid-overwrite", "x-oss-forbid-overwrite");
            d.headers.insert(name, HeaderValue::from_static("true"));
        }
    }
}

/// HEAD an object (its version, if the address names one).
///
/// # Errors
/// As [`render`].
pub fn head_object(
    addr: &ObjectAddress,
    signer: &Signer,
    now: SystemTime,
) -> Result<http::Request<Bytes>, RenderError> {
    head_draft(addr, &Target::of(addr))?.finish(signer, now)
}

/// GET an object, or the inclusive byte `range` of it (`Range: bytes=first-last`).
///
/// # Errors
/// As [`render`].
pub fn get_object(
    addr: &ObjectAddress,
    range: Option<ByteRange>,
    signer: &Signer,
    now: SystemTime,
) -> Result<http::Request<Bytes>, RenderError> {
    let target = Target::of(addr);
    let mut d = Draft::new(addr, &target, Method::GET)?;
    d.oss_empty_md5 = false;
    d.version();
    d.customer_key()?;
    if let Some(r) = range {
        check_range(&r)?;
        d.header_owned(RANGE, range_value(&r))?;
    }
    d.finish(signer, now)
}

/// PUT an object with `body` and `metadata` (sent with its `Content-MD5`).
///
/// # Errors
/// As [`render`].
pub fn put_object(
    addr: &ObjectAddress,
    body: Bytes,
    metadata: &ObjectMetadata,
    signer: &Signer,
    now: SystemTime,
) -> Result<http::Request<Bytes>, RenderError> {
    let target = Target::of(addr);
    let mut d = Draft::new(addr, &target, Method::PUT)?;
    d.customer_key()?;
    d.metadata(metadata)?;
    d.body = body;
    d.md5 = true;
    d.finish(signer, now)
}

/// GET an object's tags (`?tagging`).
///
/// # Errors
/// As [`render`].
pub fn get_object_tagging(
    addr: &ObjectAddress,
    signer: &Signer,
    now: SystemTime,
) -> Result<http::Request<Bytes>, RenderError> {
    tagging_draft(addr, &Target::of(addr))?.finish(signer, now)
}

fn head_draft<'a>(addr: &'a ObjectAddress, target: &'a Target) -> Result<Draft<'a>, RenderError> {
    let mut d = Draft::new(addr, target, Method::HEAD)?;
    d.oss_empty_md5 = false;
    d.version();
    d.customer_key()?;
    Ok(d)
}

fn tagging_draft<'a>(addr: &'a ObjectAddress, target: &'a Target) -> Result<Draft<'a>, RenderError> {
    let mut d = Draft::new(addr, target, Method::GET)?;
    d.query("tagging", "");
    d.version();
    Ok(d)
}

/// The `x-*-tagging` value: `k=v&k=v`, keys and values percent-encoded.
pub fn tagging_header(tags: &[(String, String)]) -> String {
    let mut s = String::new();
    for (i, (k, v)) in tags.iter().enumerate() {
        if i > 0 {
            s.push('&');
        }
        push_encoded(&mut s, k, UNRESERVED);
        s.push('=');
        push_encoded(&mut s, v, UNRESERVED);
    }
    s
}

/// The Complete Multipart Upload body: `<CompleteMultipartUpload><Part><PartNumber>…</PartNumber>
/// <ETag>…</ETag></Part>…</CompleteMultipartUpload>`, ETags verbatim (XML-escaped).
pub fn complete_body(parts: &[CompletedPart]) -> String {
    let mut s = String::with_capacity(48 + parts.len() * 90);
    s.push_str("<CompleteMultipartUpload>");
    for p in parts {
        s.push_str("<Part><PartNumber>");
        push_u64(&mut s, u64::from(p.number));
        s.push_str("</PartNumber><ETag>");
        // ETags rarely hold a character to escape: copy runs between them whole.
        let mut run = 0;
        for (i, b) in p.etag.bytes().enumerate() {
            let escaped = match b {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                _ => continue,
            };
            // The escaped bytes are ASCII, so `run` and `i` are on character boundaries.
            s.push_str(p.etag.get(run..i).unwrap_or_default());
            s.push_str(escaped);
            run = i + 1;
        }
        s.push_str(p.etag.get(run..).unwrap_or_default());
        s.push_str("</ETag></Part>");
    }
    s.push_str("</CompleteMultipartUpload>");
    s
}

/// The copy-source header value for `source` in its provider's form: COS
/// `<bucket>.cos.<region>.myqcloud.com/<encoded key>`, OSS `/<bucket>/<encoded key>`, each with
/// `?versionId=<id>` when the address names a version.
pub fn copy_source(source: &ObjectAddress) -> String {
    let mut s = String::with_capacity(source.bucket.len() + source.key.len() * 3 + 48);
    match source.provider {
        Provider::Cos => {
            s.push_str(&source.bucket);
            s.push_str(".cos.");
            s.push_str(&source.region);
            s.push_str(".myqcloud.com/");
        }
        Provider::Oss => {
            s.push('/');
            s.push_str(&source.bucket);
            s.push('/');
        }
    }
    push_encoded(&mut s, &source.key, KEY);
    if let Some(v) = &source.version_id {
        s.push_str("?versionId=");
        s.push_str(v);
    }
    s
}

fn range_value(r: &ByteRange) -> String {
    let mut s = String::with_capacity(48);
    s.push_str("bytes=");
    push_u64(&mut s, r.first);
    s.push('-');
    push_u64(&mut s, r.last);
    s
}

/// Appends the decimal digits of `n`.
fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // The digits are ASCII.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

fn check_range(r: &ByteRange) -> Result<(), RenderError> {
    if r.last < r.first {
        return Err(RenderError::Range {
            first: r.first,
            last: r.last,
        });
    }
    Ok(())
}

/// What every request to one address shares.
#[derive(Debug, Clone)]
struct Target {
    /// `scheme://authority/[bucket/]encoded-key`: the URL up to the query.
    url: String,
    /// The `Host` value; `None` when the authority cannot be one.
    host: Option<HeaderValue>,
    /// The bucket when it is in the host name (virtual-host addressing).
    bucket_in_host: Option<String>,
    /// The region the signature names (OSS V4's short form for OSS).
    region: String,
    /// The address's SSE-C key as header values, when it has one.
    key: Option<KeyValues>,
}

/// An SSE-C key as header values: the key (marked sensitive) and its MD5.
#[derive(Debug, Clone)]
struct KeyValues {
    key: HeaderValue,
    md5: HeaderValue,
}

impl KeyValues {
    fn of(key: &CustomerKey) -> KeyValues {
        // Base64 is always a valid header value; were it not, the service would refuse the empty
        // value, never use another key.
        let value = |text: &str| HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""));
        let mut secret = value(key.key_base64());
        secret.set_sensitive(true);
        KeyValues {
            key: secret,
            md5: value(key.key_md5()),
        }
    }
}

impl Target {
    /// The address's object.
    fn of(addr: &ObjectAddress) -> Target {
        Target::with_path(addr, &addr.key)
    }

    /// The address's bucket: `…/` (or `…/bucket/` path-style), no key.
    fn bucket(addr: &ObjectAddress) -> Target {
        Target::with_path(addr, "")
    }

    fn with_path(addr: &ObjectAddress, key: &str) -> Target {
        let loc = addr.location();
        let mut url = String::with_capacity(
            loc.scheme.len() + loc.authority.len() + addr.bucket.len() + addr.key.len() * 3 + 8,
        );
        url.push_str(loc.scheme);
        url.push_str("://");
        url.push_str(&loc.authority);
        url.push('/');
        if loc.bucket_in_host.is_none() {
            url.push_str(&addr.bucket);
            url.push('/');
        }
        push_encoded(&mut url, key, KEY);
        let region = match addr.provider {
            Provider::Cos => addr.region.clone(),
            Provider::Oss => oss_region(&addr.region).to_string(),
        };
        Target {
            url,
            host: HeaderValue::from_str(&loc.authority).ok(),
            bucket_in_host: loc.bucket_in_host,
            region,
            key: addr.customer_key.as_ref().map(KeyValues::of),
        }
    }
}

/// A request being assembled for one address.
struct Draft<'a> {
    addr: &'a ObjectAddress,
    target: &'a Target,
    method: Method,
    query: String,
    headers: HeaderMap,
    body: Bytes,
    /// Send the body's Content-MD5 (computed).
    md5: bool,
    /// OSS: send the empty body's Content-MD5, as alibabacloud-oss-v2 does on every request but
    /// HEAD/GET/PUT of object data.
    oss_empty_md5: bool,
}

impl<'a> Draft<'a> {
    /// A request for `addr`'s object, which must have a key.
    fn new(addr: &'a ObjectAddress, target: &'a Target, method: Method) -> Result<Self, RenderError> {
        if addr.key.is_empty() {
            return Err(RenderError::EmptyKey);
        }
        Ok(Draft::at(addr, target, method))
    }

    /// A request for `target`, one of `addr`'s (its object or its bucket).
    fn at(addr: &'a ObjectAddress, target: &'a Target, method: Method) -> Self {
        Draft {
            addr,
            target,
            method,
            query: String::with_capacity(96),
            headers: HeaderMap::with_capacity(12),
            body: Bytes::new(),
            md5: false,
            oss_empty_md5: true,
        }
    }

    /// The new object's storage class, when one is asked for.
    fn storage_class(&mut self, class: Option<&str>) -> Result<(), RenderError> {
        match class {
            Some(class) => self.header(self.h("x-cos-storage-class", "x-oss-storage-class"), class),
            None => Ok(()),
        }
    }

    /// Server-side encryption headers for the new object (see [`Encryption`]); none when the new
    /// object has an SSE-C key, which is its encryption.
    fn encryption(&mut self, encryption: Option<&Encryption>) -> Result<(), RenderError> {
        let Some(e) = encryption else {
            return Ok(());
        };
        if self.addr.customer_key.is_some() {
            return Ok(());
        }
        self.header(
            self.h("x-cos-server-side-encryption", "x-oss-server-side-encryption"),
            &e.algorithm,
        )?;
        if let Some(key) = &e.kms_key_id {
            let name = self.h(
                "x-cos-server-side-encryption-cos-kms-key-id",
                "x-oss-server-side-encryption-key-id",
            );
            self.header(name, key)?;
        }
        // COS has no separate data algorithm.
        if let (Some(data), Provider::Oss) = (&e.data_algorithm, self.addr.provider) {
            self.header(HeaderName::from_static("x-oss-server-side-data-encryption"), data)?;
        }
        Ok(())
    }

    /// The SSE-C headers of this draft's own address, when it has a key.
    fn customer_key(&mut self) -> Result<(), RenderError> {
        self.key_headers(
            self.target,
            [
                "x-cos-server-side-encryption-customer-algorithm",
                "x-cos-server-side-encryption-customer-key",
                "x-cos-server-side-encryption-customer-key-md5",
            ],
        )
    }

    /// The copy-source SSE-C headers: the key of the source (whose shared parts are `source`), when
    /// it has one.
    fn copy_source_key(&mut self, source: &Target) -> Result<(), RenderError> {
        // The source's provider is the draft's (checked by `copy_source`).
        self.key_headers(
            source,
            [
                "x-cos-copy-source-server-side-encryption-customer-algorithm",
                "x-cos-copy-source-server-side-encryption-customer-key",
                "x-cos-copy-source-server-side-encryption-customer-key-md5",
            ],
        )
    }

    /// Inserts `target`'s key as the headers `names` (algorithm, key, MD5), when it has one.
    fn key_headers(&mut self, target: &Target, names: [&'static str; 3]) -> Result<(), RenderError> {
        let Some(values) = &target.key else {
            return Ok(());
        };
        if self.addr.provider != Provider::Cos {
            return Err(RenderError::CustomerKeyUnsupported(self.addr.provider));
        }
        let [algorithm, key, md5] = names.map(HeaderName::from_static);
        self.headers
            .insert(algorithm, HeaderValue::from_static(customer_key::ALGORITHM));
        self.headers.insert(key, values.key.clone());
        self.headers.insert(md5, values.md5.clone());
        Ok(())
    }

    /// The provider's variant of a header name.
    fn h(&self, cos: &'static str, oss: &'static str) -> HeaderName {
        HeaderName::from_static(match self.addr.provider {
            Provider::Cos => cos,
            Provider::Oss => oss,
        })
    }

    fn query(&mut self, key: &str, value: &str) {
        if !self.query.is_empty() {
            self.query.push('&');
        }
        push_encoded(&mut self.query, key, UNRESERVED);
        if !value.is_empty() {
            self.query.push('=');
            push_encoded(&mut self.query, value, UNRESERVED);
        }
    }

    fn version(&mut self) {
        if let Some(v) = &self.addr.version_id {
            let v = v.clone();
            self.query("versionId", &v);
        }
    }

    fn header(&mut self, name: HeaderName, value: &str) -> Result<(), RenderError> {
        let v = HeaderValue::from_str(value).map_err(|_| RenderError::InvalidHeader(name.to_string()))?;
        self.headers.insert(name, v);
        Ok(())
    }

    /// Like [`Draft::header`] for an owned value (no copy).
    fn header_owned(&mut self, name: HeaderName, value: String) -> Result<(), RenderError> {
        let v = HeaderValue::try_from(value).map_err(|_| RenderError::InvalidHeader(name.to_string()))?;
        self.headers.insert(name, v);
        Ok(())
    }

    /// The copy-source header: `value` is [`copy_source`] of `source` as a header value (`None`
    /// when it cannot be one).
    fn copy_source(
        &mut self,
        source: &ObjectAddress,
        value: Option<&HeaderValue>,
    ) -> Result<(), RenderError> {
        if source.key.is_empty() {
            return Err(RenderError::EmptyKey);
        }
        if source.provider != self.addr.provider {
            return Err(RenderError::CrossProvider {
                source_provider: source.provider,
                dest_provider: self.addr.provider,
            });
        }
        let name = self.h("x-cos-copy-source", "x-oss-copy-source");
        let value = value.ok_or_else(|| RenderError::InvalidHeader(name.to_string()))?;
        self.headers.insert(name, value.clone());
        Ok(())
    }

    fn metadata(&mut self, m: &ObjectMetadata) -> Result<(), RenderError> {
        let standard = [
            (CONTENT_TYPE, &m.content_type),
            (CACHE_CONTROL, &m.cache_control),
            (CONTENT_DISPOSITION, &m.content_disposition),
            (CONTENT_ENCODING, &m.content_encoding),
            (CONTENT_LANGUAGE, &m.content_language),
            (EXPIRES, &m.expires),
        ];
        for (name, value) in standard {
            if let Some(v) = value {
                self.header(name, v)?;
            }
        }
        let prefix = match self.addr.provider {
            Provider::Cos => "x-cos-meta-",
            Provider::Oss => "x-oss-meta-",
        };
        for (k, v) in &m.user {
            let name = format!("{prefix}{}", k.to_ascii_lowercase());
            let name =
                HeaderName::try_from(name.as_str()).map_err(|_| RenderError::InvalidHeader(name.clone()))?;
            self.header(name, v)?;
        }
        Ok(())
    }

    fn finish(mut self, signer: &Signer, now: SystemTime) -> Result<http::Request<Bytes>, RenderError> {
        let provider = self.addr.provider;
        match (signer.scheme(), provider) {
            (Scheme::Cos, Provider::Cos) | (Scheme::OssV1 | Scheme::OssV4, Provider::Oss) => {}
            (scheme, provider) => return Err(RenderError::WrongSigner { scheme, provider }),
        }
        // Sized exactly, so the URI takes the buffer over without copying it.
        let query_len = if self.query.is_empty() {
            0
        } else {
            1 + self.query.len()
        };
        let mut uri = String::with_capacity(self.target.url.len() + query_len);
        uri.push_str(&self.target.url);
        if !self.query.is_empty() {
            uri.push('?');
            uri.push_str(&self.query);
        }
        let uri = http::Uri::try_from(uri).map_err(|e| RenderError::Url(e.to_string()))?;
        let host = self
            .target
            .host
            .clone()
            .ok_or_else(|| RenderError::InvalidHeader("host".into()))?;
        self.headers.insert(HOST, host);
        if matches!(self.method, Method::PUT | Method::POST | Method::DELETE) {
            let length = match self.body.len() {
                0 => HeaderValue::from_static("0"),
                n => HeaderValue::from(n),
            };
            self.headers.insert(CONTENT_LENGTH, length);
        }
        if self.md5 && !self.body.is_empty() {
            let digest = Md5::digest(&self.body);
            let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
            self.headers.insert(
                HeaderName::from_static("content-md5"),
                HeaderValue::try_from(b64).map_err(|_| RenderError::InvalidHeader("content-md5".into()))?,
            );
        } else if provider == Provider::Oss && self.oss_empty_md5 {
            // alibabacloud-oss-v2 sends the MD5 of the (empty) body on every request.
            self.headers.insert(
                HeaderName::from_static("content-md5"),
                HeaderValue::from_static(EMPTY_MD5),
            );
        }
        let mut req = http::Request::new(self.body);
        *req.method_mut() = self.method;
        *req.uri_mut() = uri;
        *req.headers_mut() = self.headers;
        signer.sign(
            &mut req,
            SignTarget {
                bucket_in_host: self.target.bucket_in_host.as_deref(),
                region: &self.target.region,
            },
            now,
        )?;
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Credentials;
    use crate::endpoint::Endpoint;
    use crate::sign::OssSignature;
    use crate::verify::verify;
    use crate::view::RequestView;
    use std::time::{Duration, UNIX_EPOCH};

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_767_323_045)
    }

    fn cos(key: &str) -> ObjectAddress {
        ObjectAddress::new(Provider::Cos, "ap-guangzhou", "dst-1250000000", key)
    }

    fn oss(key: &str) -> ObjectAddress {
        ObjectAddress::new(Provider::Oss, "cn-hangzhou", "dst", key)
    }

    fn upc() -> Operation {
        Operation::UploadPartCopy {
            upload_id: "U+1/=".into(),
            part_number: 3,
            range: ByteRange { first: 10, last: 19 },
            source_etag: "\"e\"".into(),
        }
    }

    #[test]
    fn copy_source_forms() {
        let s = cos("a b/c+d?").with_version("v1");
        assert_eq!(
            copy_source(&s),
            "dst-1250000000.cos.ap-guangzhou.myqcloud.com/a%20b/c%2Bd%3F?versionId=v1"
        );
        assert_eq!(copy_source(&oss("dir//x/")), "/dst/dir//x/");
        assert_eq!(copy_source(&oss("中")), "/dst/%E4%B8%AD");
    }

    #[test]
    fn decimal_digits() {
        for n in [0, 7, 10, 10_000, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn tagging_and_complete_body() {
        let tags = vec![("k 1".to_string(), "v&=".to_string()), ("a".into(), "".into())];
        assert_eq!(tagging_header(&tags), "k%201=v%26%3D&a=");
        let parts = vec![
            CompletedPart {
                number: 1,
                etag: "\"a&b\"".into(),
            },
            CompletedPart {
                number: 2,
                etag: "\"c\"".into(),
            },
            CompletedPart {
                number: 10_000,
                etag: "<é>&".into(),
            },
        ];
        assert_eq!(
            complete_body(&parts),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a&amp;b\"</ETag></Part>\
             <Part><PartNumber>2</PartNumber><ETag>\"c\"</ETag></Part>\
             <Part><PartNumber>10000</PartNumber><ETag>&lt;é&gt;&amp;</ETag></Part></CompleteMultipartUpload>"
        );
    }

    #[test]
    fn upload_part_copy_cos() {
        let signer = Signer::cos(Credentials::new("AK", "SK"));
        let req = render(&upc(), &cos("src key"), &cos("dst/key"), &signer, now()).unwrap();
        assert_eq!(req.method(), Method::PUT);
        assert_eq!(
            req.uri().to_string(),
            "https://dst-1250000000.cos.ap-guangzhou.myqcloud.com/dst/key?partNumber=3&uploadId=U%2B1%2F%3D"
        );
        let h = req.headers();
        assert_eq!(h["host"], "dst-1250000000.cos.ap-guangzhou.myqcloud.com");
        assert_eq!(
            h["x-cos-copy-source"],
            "dst-1250000000.cos.ap-guangzhou.myqcloud.com/src%20key"
        );
        assert_eq!(h["x-cos-copy-source-range"], "bytes=10-19");
        assert_eq!(h["x-cos-copy-source-if-match"], "\"e\"");
        assert_eq!(h["content-length"], "0");
        assert!(h["authorization"]
            .to_str()
            .unwrap()
            .starts_with("q-sign-algorithm=sha1&q-ak=AK&"));
        let v = verify(
            &RequestView::of(&req, Some("dst-1250000000")),
            now(),
            |_: &str| Some("SK"),
        );
        assert!(v.is_ok(), "{v:?}");
    }

    #[test]
    fn put_copy_tagging_directive_follows_keep_tags() {
        let metadata = ObjectMetadata {
            content_type: Some("text/plain".into()),
            user: vec![("owner".into(), "alice".into())],
            ..Default::default()
        };
        let op = |directive, keep_tags| Operation::PutCopy {
            source_etag: None,
            directive,
            metadata: metadata.clone(),
            storage_class: Some("IA".into()),
            keep_tags,
            tags: vec![],
            encryption: None,
        };
        let cos_signer = Signer::cos(Credentials::new("AK", "SK"));
        let oss_signer = Signer::oss(OssSignature::V4, Credentials::new("AK", "SK"));
        for (address, signer, meta, tagging, replace) in [
            (
                cos("k"),
                cos_signer,
                "x-cos-metadata-directive",
                "x-cos-tagging-directive",
                "Replaced",
            ),
            (
                oss("k"),
                oss_signer,
                "x-oss-metadata-directive",
                "x-oss-tagging-directive",
                "REPLACE",
            ),
        ] {
            let headers = |directive, keep_tags| {
                let req = render(&op(directive, keep_tags), &address, &address, &signer, now());
                req.unwrap().headers().clone()
            };
            let has_meta = |h: &HeaderMap| h.keys().any(|k| k.as_str().ends_with("-meta-owner"));
            // In place: metadata restated under Replace, tags kept (no tagging directive).
            let h = headers(MetadataDirective::Replace, true);
            assert_eq!(h[meta], replace);
            assert!(!h.contains_key(tagging), "{h:?}");
            assert_eq!(h["content-type"], "text/plain");
            assert!(has_meta(&h), "{h:?}");
            // Replace as asked: the tags go too.
            assert_eq!(headers(MetadataDirective::Replace, false)[tagging], replace);
            // Copy: no metadata headers rendered, tags kept.
            let h = headers(MetadataDirective::Copy, true);
            assert!(!h.contains_key(tagging) && !has_meta(&h), "{h:?}");
        }
    }

    #[test]
    fn encryption_headers_on_put_copy_and_initiate() {
        let kms = Encryption {
            algorithm: "KMS".into(),
            kms_key_id: Some("key-1".into()),
            data_algorithm: Some("SM4".into()),
        };
        let ops = |encryption: Option<Encryption>| {
            [
                Operation::PutCopy {
                    source_etag: None,
                    directive: MetadataDirective::Copy,
                    metadata: ObjectMetadata::default(),
                    storage_class: None,
                    keep_tags: true,
                    tags: vec![],
                    encryption: encryption.clone(),
                },
                Operation::Initiate {
                    metadata: ObjectMetadata::default(),
                    tags: vec![],
                    storage_class: None,
                    encryption,
                },
            ]
        };
        let cos_signer = Signer::cos(Credentials::new("AK", "SK"));
        let oss_signer = Signer::oss(OssSignature::V4, Credentials::new("AK", "SK"));
        for op in ops(Some(kms.clone())) {
            let req = render(&op, &cos("s"), &cos("d"), &cos_signer, now()).unwrap();
            let h = req.headers();
            assert_eq!(h["x-cos-server-side-encryption"], "KMS");
            assert_eq!(h["x-cos-server-side-encryption-cos-kms-key-id"], "key-1");
            // COS has no data algorithm header.
            assert!(!h.keys().any(|k| k.as_str().contains("data-encryption")), "{h:?}");
            let v = verify(
                &RequestView::of(&req, Some("dst-1250000000")),
                now(),
                |_: &str| Some("SK"),
            );
            assert!(v.is_ok(), "{v:?}");
            let req = render(&op, &oss("s"), &oss("d"), &oss_signer, now()).unwrap();
            let h = req.headers();
            assert_eq!(h["x-oss-server-side-encryption"], "KMS");
            assert_eq!(h["x-oss-server-side-encryption-key-id"], "key-1");
            assert_eq!(h["x-oss-server-side-data-encryption"], "SM4");
            let v = verify(&RequestView::of(&req, Some("dst")), now(), |_: &str| Some("SK"));
            assert!(v.is_ok(), "{v:?}");
        }
        for op in ops(None) {
            let req = render(&op, &oss("s"), &oss("d"), &oss_signer, now()).unwrap();
            assert!(!req.headers().keys().any(|k| k.as_str().contains("encryption")));
        }
    }

    #[test]
    fn every_operation_renders_and_verifies_on_both_providers_and_styles() {
        let ops = vec![
            Operation::HeadSource,
            Operation::HeadDestination,
            Operation::GetSourceTagging,
            Operation::PutCopy {
                source_etag: Some("\"e\"".into()),
                directive: MetadataDirective::Replace,
                metadata: ObjectMetadata {
                    content_type: Some("text/plain".into()),
                    user: vec![("Color".into(), "blue".into())],
                    ..Default::default()
                },
                storage_class: Some("STANDARD".into()),
                keep_tags: false,
                tags: vec![],
                encryption: None,
            },
            plain_put_copy(),
            Operation::Initiate {
                metadata: ObjectMetadata::default(),
                tags: vec![("k".into(), "v".into())],
                storage_class: None,
                encryption: None,
            },
            upc(),
            Operation::ListParts {
                upload_id: "u".into(),
                marker: Some(5),
                max_parts: Some(2),
            },
            Operation::Complete {
                upload_id: "u".into(),
                parts: vec![CompletedPart {
                    number: 1,
                    etag: "\"e\"".into(),
                }]
                .into(),
            },
            Operation::Abort {
                upload_id: "u".into(),
            },
        ];
        let ep = Endpoint::parse("http://127.0.0.1:9000").unwrap();
        for (src, dst, signer) in [
            (cos("s"), cos("d k"), Signer::cos(Credentials::new("AK", "SK"))),
            (
                oss("s"),
                oss("d k"),
                Signer::oss(OssSignature::V4, Credentials::new("AK", "SK")),
            ),
            (
                oss("s"),
                oss("d k"),
                Signer::oss(OssSignature::V1, Credentials::new("AK", "SK")),
            ),
            (
                cos("s").with_endpoint(ep.clone()),
                cos("d k").with_endpoint(ep.clone()),
                Signer::cos(Credentials::new("AK", "SK").with_session_token("T")),
            ),
            (
                oss("s").with_endpoint(ep.clone()),
                oss("d k").with_endpoint(ep.clone()),
                Signer::oss(
                    OssSignature::V4,
                    Credentials::new("AK", "SK").with_session_token("T"),
                ),
            ),
        ] {
            // A renderer kept for the job renders every operation, again and again, exactly as the
            // one-off `render` does.
            let renderer = Renderer::new(src.clone(), dst.clone());
            for op in ops.iter().chain(&ops) {
                let kept = renderer.render(op, &signer, now()).unwrap();
                let once = render(op, &src, &dst, &signer, now()).unwrap();
                assert_eq!(
                    (kept.method(), kept.uri(), kept.headers(), kept.body()),
                    (once.method(), once.uri(), once.headers(), once.body()),
                    "{op:?}"
                );
            }
            for op in &ops {
                let req = render(op, &src, &dst, &signer, now()).unwrap();
                let target = if matches!(op, Operation::HeadSource | Operation::GetSourceTagging) {
                    &src
                } else {
                    &dst
                };
                let loc = target.location();
                let view = RequestView::of(&req, loc.bucket_in_host.as_deref());
                let v = verify(&view, now(), |_: &str| Some("SK"));
                assert!(v.is_ok(), "{op:?} {v:?}");
                if matches!(op, Operation::HeadDestination) {
                    assert_eq!(req.method(), http::Method::HEAD);
                    assert!(req.uri().path().ends_with("/d%20k"), "{}", req.uri());
                }
                if loc.bucket_in_host.is_none() {
                    assert!(
                        req.uri().path().starts_with(&format!("/{}/", target.bucket)),
                        "{}",
                        req.uri()
                    );
                    assert_eq!(req.uri().authority().unwrap().as_str(), "127.0.0.1:9000");
                }
            }
        }
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let signer = Signer::cos(Credentials::new("AK", "SK"));
        let oss_signer = Signer::oss(OssSignature::V4, Credentials::new("AK", "SK"));
        assert!(matches!(
            render(&upc(), &cos("s"), &cos(""), &signer, now()),
            Err(RenderError::EmptyKey)
        ));
        assert!(matches!(
            render(&upc(), &oss("s"), &cos("d"), &signer, now()),
            Err(RenderError::CrossProvider { .. })
        ));
        assert!(matches!(
            render(&upc(), &cos("s"), &cos("d"), &oss_signer, now()),
            Err(RenderError::WrongSigner { .. })
        ));
        let bad_part = Operation::UploadPartCopy {
            upload_id: "u".into(),
            part_number: 10_001,
            range: ByteRange { first: 0, last: 1 },
            source_etag: "e".into(),
        };
        assert!(matches!(
            render(&bad_part, &cos("s"), &cos("d"), &signer, now()),
            Err(RenderError::PartNumber(10_001))
        ));
        let bad_range = Operation::UploadPartCopy {
            upload_id: "u".into(),
            part_number: 1,
            range: ByteRange { first: 5, last: 1 },
            source_etag: "e".into(),
        };
        assert!(matches!(
            render(&bad_range, &cos("s"), &cos("d"), &signer, now()),
            Err(RenderError::Range { .. })
        ));
        let bad_meta = Operation::Initiate {
            metadata: ObjectMetadata {
                user: vec![("bad key".into(), "v".into())],
                ..Default::default()
            },
            tags: vec![],
            storage_class: None,
            encryption: None,
        };
        assert!(matches!(
            render(&bad_meta, &cos("s"), &cos("d"), &signer, now()),
            Err(RenderError::InvalidHeader(_))
        ));
        let bad_value = Operation::Initiate {
            metadata: ObjectMetadata {
                content_type: Some("a\nb".into()),
                ..Default::default()
            },
            tags: vec![],
            storage_class: None,
            encryption: None,
        };
        assert!(matches!(
            render(&bad_value, &cos("s"), &cos("d"), &signer, now()),
            Err(RenderError::InvalidHeader(_))
        ));
    }

    #[test]
    fn sse_c_keys_go_only_where_the_data_is_read_or_written() {
        let signer = Signer::cos(Credentials::new("AK", "SK"));
        let (src_key, dst_key) = (CustomerKey::new([1; 32]), CustomerKey::new([2; 32]));
        let renderer = Renderer::new(
            cos("s").with_customer_key(src_key.clone()),
            cos("d").with_customer_key(dst_key.clone()),
        );
        let own = "x-cos-server-side-encryption-customer-key";
        let copy = "x-cos-copy-source-server-side-encryption-customer-key";
        let keys_of = |op: &Operation| {
            let r = renderer.render(op, &signer, now()).unwrap();
            let get = |name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_string());
            if let Some(value) = r.headers().get(own) {
                assert!(value.is_sensitive(), "{op:?}");
            }
            (get(own), get(copy))
        };
        let (src, dst) = (
            Some(src_key.key_base64().to_string()),
            Some(dst_key.key_base64().to_string()),
        );
        assert_eq!(keys_of(&Operation::HeadSource), (src.clone(), None));
        assert_eq!(keys_of(&Operation::HeadDestination), (dst.clone(), None));
        assert_eq!(keys_of(&upc()), (dst.clone(), src.clone()));
        let initiate = Operation::Initiate {
            metadata: ObjectMetadata::default(),
            tags: vec![],
            storage_class: None,
            encryption: Some(Encryption {
                algorithm: "AES256".into(),
                ..Encryption::default()
            }),
        };
        assert_eq!(keys_of(&initiate), (dst.clone(), None));
        // The destination's key is its encryption: the source's managed one is not asked for too.
        let r = renderer.render(&initiate, &signer, now()).unwrap();
        assert!(r.headers().get("x-cos-server-side-encryption").is_none());
        assert_eq!(
            r.headers()["x-cos-server-side-encryption-customer-key-md5"],
            dst_key.key_md5()
        );
        assert_eq!(
            r.headers()["x-cos-server-side-encryption-customer-algorithm"],
            "AES256"
        );
        for op in [
            Operation::GetSourceTagging,
            Operation::ListParts {
                upload_id: "u".into(),
                marker: None,
                max_parts: None,
            },
            one_part_complete(),
            Operation::Abort {
                upload_id: "u".into(),
            },
        ] {
            assert_eq!(keys_of(&op), (None, None), "{op:?}");
        }
        // OSS has no SSE-C: a key on either end is a typed error, never a request without it.
        let oss_signer = Signer::oss(OssSignature::V4, Credentials::new("AK", "SK"));
        let keyed = oss("k").with_customer_key(src_key);
        assert!(matches!(
            head_object(&keyed, &oss_signer, now()),
            Err(RenderError::CustomerKeyUnsupported(Provider::Oss))
        ));
        assert!(matches!(
            render(&upc(), &keyed, &oss("d"), &oss_signer, now()),
            Err(RenderError::CustomerKeyUnsupported(Provider::Oss))
        ));
    }

    /// A PUT-Copy with every default.
    fn plain_put_copy() -> Operation {
        Operation::PutCopy {
            source_etag: None,
            directive: MetadataDirective::Copy,
            metadata: ObjectMetadata::default(),
            storage_class: None,
            keep_tags: true,
            tags: vec![],
            encryption: None,
        }
    }

    /// An Initiate with every default.
    fn plain_initiate() -> Operation {
        Operation::Initiate {
            metadata: ObjectMetadata::default(),
            tags: vec![],
            storage_class: None,
            encryption: None,
        }
    }

    /// A Complete of upload `u` with one part.
    fn one_part_complete() -> Operation {
        Operation::Complete {
            upload_id: "u".into(),
            parts: vec![CompletedPart {
                number: 1,
                etag: "e".into(),
            }]
            .into(),
        }
    }

    #[test]
    fn a_canned_acl_goes_where_each_provider_takes_it() {
        let (initiate, complete, put_copy) = (plain_initiate(), one_part_complete(), plain_put_copy());
        let cases = [
            (
                cos("s"),
                cos("d"),
                Signer::cos(Credentials::new("AK", "SK")),
                "x-cos-acl",
                [true, true, false],
            ),
            (
                oss("s"),
                oss("d"),
                Signer::oss(OssSignature::V4, Credentials::new("AK", "SK")),
                "x-oss-object-acl",
                [true, false, true],
            ),
        ];
        for (source, dest, signer, name, wanted) in cases {
            let renderer = Renderer::new(source, dest).acl(Some("private".into()));
            for (op, wanted) in [&put_copy, &initiate, &complete].into_iter().zip(wanted) {
                let r = renderer.render(op, &signer, now()).unwrap();
                assert_eq!(r.headers().contains_key(name), wanted, "{name} {op:?}");
            }
            for op in [upc(), Operation::HeadDestination] {
                let r = renderer.render(&op, &signer, now()).unwrap();
                assert!(!r.headers().contains_key(name), "{op:?}");
            }
        }
        let bad = Renderer::new(cos("s"), cos("d")).acl(Some("a\nb".into()));
        let signer = Signer::cos(Credentials::new("AK", "SK"));
        assert!(matches!(
            bad.render(&initiate, &signer, now()),
            Err(RenderError::InvalidHeader(_))
        ));
    }

    #[test]
    fn plain_requests() {
        let signer = Signer::oss(OssSignature::V4, Credentials::new("AK", "SK"));
        let a = oss("k").with_version("v 1");
        let r = get_object(&a, Some(ByteRange { first: 0, last: 9 }), &signer, now()).unwrap();
        assert_eq!(r.headers()["range"], "bytes=0-9");
        assert_eq!(r.uri().query(), Some("versionId=v%201"));
        let r = head_object(&a, &signer, now()).unwrap();
        assert_eq!(r.method(), Method::HEAD);
        let r = get_object_tagging(&a, &signer, now()).unwrap();
        assert_eq!(r.uri().query(), Some("tagging&versionId=v%201"));
        let r = put_object(
            &oss("k"),
            Bytes::from_static(b"hello"),
            &ObjectMetadata::default(),
            &signer,
            now(),
        )
        .unwrap();
        assert_eq!(r.headers()["content-md5"], "XUFAKrxLKna5cZ2REBfFkg==");
        assert_eq!(r.headers()["content-length"], "5");
        assert_eq!(r.body().as_ref(), b"hello");
    }
}
