//! The operation handlers: each takes the parsed request and the store and returns a reply or a
//! service error, following the services' rules and limits.

use std::collections::BTreeMap;

use http::{Method, StatusCode};

use crate::api::Api;
use crate::archive;
use crate::config::Limits;
use crate::dialect::{http_date, iso8601, now_millis, parse_http_date, Provider, ServiceError};
use crate::request::{decode, host_style, parse_query, HostStyle, Request};
use crate::segments::Content;
use crate::sse_c::{self, KeyFor};
use crate::store::{etags_match, multipart_etag, new_part, simple_etag, Bucket, Object, Part, Store, Upload};
use crate::xml::{parse_complete, XmlWriter};

/// A successful answer.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: ReplyBody,
}

/// What a reply carries.
#[derive(Debug)]
pub enum ReplyBody {
    /// Nothing.
    Empty,
    /// An XML document.
    Xml(String),
    /// Object bytes `[start, start + len)` of a content, generated while sending.
    Content {
        /// The content.
        content: Content,
        /// First byte.
        start: u64,
        /// Number of bytes.
        len: u64,
    },
}

impl Reply {
    fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Empty,
        }
    }

    fn xml(document: String) -> Reply {
        Reply {
            status: StatusCode::OK,
            headers: vec![("content-type".into(), "application/xml".into())],
            body: ReplyBody::Xml(document),
        }
    }

    fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Which operation a request is.
pub fn classify(req: &Request) -> Api {
    let has = |name: &str| req.param(name).is_some();
    let copy = req.provider_header("copy-source").is_some();
    if req.bucket.is_empty() {
        return Api::Other;
    }
    if req.key.is_empty() {
        return match req.method {
            Method::GET if has("uploads") => Api::ListMultipartUploads,
            Method::HEAD => Api::HeadBucket,
            Method::GET if req.query.iter().all(|(k, _)| is_list_param(k)) => Api::ListObjects,
            _ => Api::Other,
        };
    }
    // Sub-resources the emulator does not serve must not fall through to the object operation
    // (a DELETE `?tagging` must not delete the object).
    if ["acl", "restore", "symlink", "torrent", "cors", "policy"]
        .iter()
        .any(|name| has(name))
    {
        return Api::Other;
    }
    match req.method {
        Method::PUT if has("uploadId") && has("partNumber") => {
            if copy {
                Api::UploadPartCopy
            } else {
                Api::UploadPart
            }
        }
        Method::PUT if has("tagging") => Api::Other,
        Method::PUT if copy => Api::CopyObject,
        Method::PUT => Api::PutObject,
        Method::GET if has("tagging") => Api::GetObjectTagging,
        Method::GET if has("uploadId") => Api::ListParts,
        Method::GET => Api::GetObject,
        Method::HEAD => Api::HeadObject,
        Method::DELETE if has("uploadId") => Api::AbortMultipartUpload,
        Method::DELETE if has("tagging") => Api::Other,
        Method::DELETE => Api::DeleteObject,
        Method::POST if has("uploads") => Api::InitiateMultipartUpload,
        Method::POST if has("uploadId") => Api::CompleteMultipartUpload,
        _ => Api::Other,
    }
}

fn is_list_param(name: &str) -> bool {
    matches!(
        name,
        "prefix" | "marker" | "max-keys" | "delimiter" | "encoding-type"
    )
}

/// What the handlers need besides the store: the limits of the request's provider.
pub struct Context<'a> {
    /// The limits of the request's provider.
    pub limits: Limits,
    /// The request.
    pub req: &'a Request,
}

/// Runs operation `api`.
///
/// # Errors
/// The service error the real service would answer.
pub fn run(api: Api, ctx: &Context<'_>, store: &mut Store) -> Result<Reply, ServiceError> {
    let req = ctx.req;
    let provider = req.provider;
    check_bucket(req, store)?;
    match api {
        Api::PutObject => put_object(ctx, store),
        Api::HeadObject => get_object(ctx, store, true),
        Api::GetObject => get_object(ctx, store, false),
        Api::DeleteObject => {
            bucket_mut(store, &req.bucket)?.objects.remove(&req.key);
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        Api::CopyObject => copy_object(ctx, store),
        Api::InitiateMultipartUpload => initiate(ctx, store),
        Api::UploadPart => upload_part(ctx, store),
        Api::UploadPartCopy => upload_part_copy(ctx, store).map(|(reply, _)| reply),
        Api::ListParts => list_parts(ctx, store),
        Api::CompleteMultipartUpload => complete(ctx, store),
        Api::AbortMultipartUpload => {
            let upload_id = req.param("uploadId").unwrap_or_default();
            let bucket = bucket_mut(store, &req.bucket)?;
            match bucket.uploads.get(upload_id) {
                Some(upload) if upload.key == req.key => {
                    bucket.uploads.remove(upload_id);
                    Ok(Reply::empty(StatusCode::NO_CONTENT))
                }
                _ => Err(ServiceError::no_such_upload()),
            }
        }
        Api::ListMultipartUploads => list_uploads(ctx, store),
        Api::GetObjectTagging => {
            let object = object(store, req)?;
            let mut xml = XmlWriter::new();
            xml.open("Tagging").open("TagSet");
            for (k, v) in &object.tags {
                xml.open("Tag").element("Key", k).element("Value", v).close("Tag");
            }
            xml.close("TagSet").close("Tagging");
            Ok(Reply::xml(xml.finish()))
        }
        Api::HeadBucket => {
            let region = store
                .buckets
                .get(&req.bucket)
                .map(|b| b.region.clone())
                .unwrap_or_default();
            Ok(Reply::empty(StatusCode::OK).header(provider.header("bucket-region"), region))
        }
        Api::ListObjects => list_objects(ctx, store),
        Api::Other => Err(ServiceError::not_implemented()),
    }
}

/// Checks that the addressed bucket exists and belongs to the request's provider.
///
/// # Errors
/// NoSuchBucket otherwise.
/// A bucket host naming another region than the bucket's answers as that region's endpoint
/// would: COS `NoSuchBucket`, OSS `AccessDenied` (must be addressed using the specified endpoint).
pub(crate) fn check_bucket(req: &Request, store: &Store) -> Result<(), ServiceError> {
    let bucket = match store.buckets.get(&req.bucket) {
        Some(bucket) if bucket.provider == req.provider => bucket,
        _ => return Err(ServiceError::no_such_bucket()),
    };
    match host_style(&req.host) {
        HostStyle::Cos { region, .. } if region != bucket.region => {
            Err(ServiceError::no_such_bucket())
        }
        HostStyle::Oss { region, .. } if region != bucket.region => {
            Err(ServiceError::access_denied(format!(
                "The bucket you are attempting to access must be addressed using the specified endpoint: {}.oss-{}.aliyuncs.com.",
                req.bucket, bucket.region
            )))
        }
        _ => Ok(()),
    }
}

fn bucket_mut<'s>(store: &'s mut Store, name: &str) -> Result<&'s mut Bucket, ServiceError> {
    store
        .buckets
        .get_mut(name)
        .ok_or_else(ServiceError::no_such_bucket)
}

/// The object a request names: its key, and the version its `versionId` parameter names.
fn object<'s>(store: &'s Store, req: &Request) -> Result<&'s Object, ServiceError> {
    let bucket = store
        .buckets
        .get(&req.bucket)
        .ok_or_else(ServiceError::no_such_bucket)?;
    stored(bucket, &req.key, req.param("versionId"))
}

/// `key` in `bucket` (the given version, else the current one); NoSuchVersion or NoSuchKey.
fn stored<'s>(bucket: &'s Bucket, key: &str, version: Option<&str>) -> Result<&'s Object, ServiceError> {
    bucket.get(key, version).ok_or_else(|| match version {
        Some(_) => ServiceError::no_such_version(),
        None => ServiceError::no_such_key(),
    })
}

fn upload_mut<'s>(store: &'s mut Store, req: &Request) -> Result<&'s mut Upload, ServiceError> {
    let upload_id = req.param("uploadId").unwrap_or_default();
    match bucket_mut(store, &req.bucket)?.uploads.get_mut(upload_id) {
        Some(upload) if upload.key == req.key => Ok(upload),
        _ => Err(ServiceError::no_such_upload()),
    }
}

const STANDARD_HEADERS: [&str; 6] = [
    "content-type",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

/// Whether `name` is one of the server-side encryption headers an object keeps and HEAD returns
/// (the algorithm, the KMS key id, OSS's data algorithm, SSE-C's algorithm and key MD5); the SSE-C
/// key itself is not (see [`sse_c`]; a request's key headers are checked before they are kept).
fn is_encryption_header(provider: Provider, name: &str) -> bool {
    match provider {
        Provider::Cos => matches!(
            name,
            "x-cos-server-side-encryption"
                | "x-cos-server-side-encryption-cos-kms-key-id"
                | sse_c::ALGORITHM_HEADER
                | sse_c::KEY_MD5_HEADER
        ),
        Provider::Oss => matches!(
            name,
            "x-oss-server-side-encryption"
                | "x-oss-server-side-encryption-key-id"
                | "x-oss-server-side-data-encryption"
        ),
    }
}

/// The encryption headers of a request (see [`is_encryption_header`]).
fn encryption_from(req: &Request) -> impl Iterator<Item = (String, String)> + '_ {
    req.headers.iter().filter_map(|(name, value)| {
        let name = name.as_str();
        let value = value.to_str().ok()?;
        is_encryption_header(req.provider, name).then(|| (name.to_string(), value.to_string()))
    })
}

/// The metadata headers a request sets: the standard ones, user metadata, storage class and
/// server-side encryption.
fn metadata_from(req: &Request) -> BTreeMap<String, String> {
    let meta_prefix = req.provider.header("meta-");
    let storage_class = req.provider.header("storage-class");
    let mut headers = BTreeMap::new();
    for (name, value) in &req.headers {
        let name = name.as_str();
        if STANDARD_HEADERS.contains(&name)
            || name.starts_with(&meta_prefix)
            || name == storage_class
            || is_encryption_header(req.provider, name)
        {
            if let Ok(value) = value.to_str() {
                headers.insert(name.to_string(), value.to_string());
            }
        }
    }
    headers
        .entry("content-type".to_string())
        .or_insert_with(|| "application/octet-stream".to_string());
    headers
}

/// Tags from the `x-*-tagging` header (`k1=v1&k2=v2`, URL-encoded).
fn tags_from(req: &Request) -> Vec<(String, String)> {
    req.provider_header("tagging")
        .map(parse_query)
        .unwrap_or_default()
}

fn crc_header(provider: Provider) -> String {
    provider.header("hash-crc64ecma")
}

/// A write's answer, with the new version's id when the bucket keeps versions.
fn with_version(reply: Reply, provider: Provider, version: Option<String>) -> Reply {
    match version {
        Some(id) => reply.header(provider.header("version-id"), id),
        None => reply,
    }
}

/// Refuses a write that would replace the object `req` names when the request forbids it
/// (`x-*-forbid-overwrite: true`), as both services do in a bucket without versioning (with
/// versioning the header is ignored: the old object stays as a version). `complete` picks OSS's
/// detail code for Complete.
fn check_overwrite(req: &Request, store: &Store, complete: bool) -> Result<(), ServiceError> {
    let forbidden = req
        .provider_header("forbid-overwrite")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if !forbidden {
        return Ok(());
    }
    let bucket = store
        .buckets
        .get(&req.bucket)
        .ok_or_else(ServiceError::no_such_bucket)?;
    if bucket.versioning || !bucket.objects.contains_key(&req.key) {
        return Ok(());
    }
    let mut error = ServiceError::new(
        StatusCode::CONFLICT,
        "FileAlreadyExists",
        "The object already exists, and the request forbids overwriting it.",
    );
    if req.provider == Provider::Oss && complete {
        error.ec = "0042-00000214";
    }
    Err(error)
}

/// The canned ACL a write asks for (`x-cos-acl` / `x-oss-object-acl`), checked against the
/// provider's values for objects.
///
/// # Errors
/// InvalidArgument for any other value.
fn acl_from(req: &Request) -> Result<Option<String>, ServiceError> {
    let (name, allowed): (&str, &[&str]) = match req.provider {
        Provider::Cos => ("x-cos-acl", &["default", "private", "public-read"]),
        Provider::Oss => (
            "x-oss-object-acl",
            &["default", "private", "public-read", "public-read-write"],
        ),
    };
    match req.header(name) {
        None => Ok(None),
        Some(acl) if allowed.contains(&acl) => Ok(Some(acl.to_string())),
        Some(acl) => Err(ServiceError::invalid_argument(format!(
            "{name} must be one of {}, not {acl:?}.",
            allowed.join(", ")
        ))),
    }
}

fn quoted(etag: &str) -> String {
    format!("\"{etag}\"")
}

fn put_object(ctx: &Context<'_>, store: &mut Store) -> Result<Reply, ServiceError> {
    let req = ctx.req;
    if req.body.len() as u64 > ctx.limits.max_part_size {
        return Err(entity_too_large());
    }
    check_content_md5(req)?;
    sse_c::requested_key(req, KeyFor::Object)?;
    check_overwrite(req, store, false)?;
    let acl = acl_from(req)?;
    let content = Content::literal(req.body.clone());
    let object = Object {
        etag: simple_etag(req.provider, &content),
        headers: metadata_from(req),
        tags: tags_from(req),
        last_modified: now_millis(),
        content,
        version_id: None,
        acl,
    };
    let reply = Reply::empty(StatusCode::OK)
        .header("etag", quoted(&object.etag))
        .header(crc_header(req.provider), object.content.crc64().to_string());
    let version = bucket_mut(store, &req.bucket)?.put(&req.key, object);
    Ok(with_version(reply, req.provider, version))
}

/// Checks a `Content-MD5` header against the body, when one was sent.
fn check_content_md5(req: &Request) -> Result<(), ServiceError> {
    use base64::Engine as _;
    use md5::{Digest, Md5};
    match req.header("content-md5") {
        Some(expected)
            if base64::engine::general_purpose::STANDARD.encode(Md5::digest(&req.body))
                != expected.trim() =>
        {
            Err(ServiceError::new(
                StatusCode::BAD_REQUEST,
                "InvalidDigest",
                "The Content-MD5 you specified did not match what we received.",
            ))
        }
        _ => Ok(()),
    }
}

fn entity_too_large() -> ServiceError {
    ServiceError::new(
        StatusCode::BAD_REQUEST,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed object size.",
    )
}

/// Evaluates GET/HEAD conditional headers against an object.
fn check_conditions(req: &Request, object: &Object) -> Result<(), ServiceError> {
    let seconds = object.last_modified / 1000 * 1000;
    if let Some(expected) = req.header("if-match") {
        if !etags_match(expected, &object.etag) {
            return Err(ServiceError::precondition_failed(
                "At least one of the pre-conditions you specified did not hold.",
            ));
        }
    }
    if let Some(since) = req.header("if-unmodified-since").and_then(parse_http_date) {
        if seconds > since {
            return Err(ServiceError::precondition_failed(
                "At least one of the pre-conditions you specified did not hold.",
            ));
        }
    }
    if let Some(expected) = req.header("if-none-match") {
        if etags_match(expected, &object.etag) {
            return Err(ServiceError::not_modified());
        }
    }
    if let Some(since) = req.header("if-modified-since").and_then(parse_http_date) {
        if seconds <= since {
            return Err(ServiceError::not_modified());
        }
    }
    Ok(())
}

/// Parses a `Range: bytes=…` header against an object of `size` bytes; `None` = whole object.
fn parse_range(value: &str, size: u64) -> Result<Option<(u64, u64)>, ServiceError> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        let Ok(suffix) = last.parse::<u64>() else {
            return Ok(None);
        };
        if suffix == 0 || size == 0 {
            return Err(ServiceError::invalid_range());
        }
        (size.saturating_sub(suffix), size - 1)
    } else {
        let Ok(first) = first.parse::<u64>() else {
            return Ok(None);
        };
        let last = if last.is_empty() {
            u64::MAX
        } else {
            match last.parse::<u64>() {
                Ok(l) if l >= first => l,
                _ => return Ok(None),
            }
        };
        if first >= size {
            return Err(ServiceError::invalid_range());
        }
        (first, last.min(size - 1))
    };
    Ok(Some(range))
}

fn object_headers(provider: Provider, object: &Object) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = object
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    headers.push(("etag".into(), quoted(&object.etag)));
    headers.push(("last-modified".into(), http_date(object.last_modified)));
    headers.push(("accept-ranges".into(), "bytes".into()));
    if let Some(version) = &object.version_id {
        headers.push((provider.header("version-id"), version.clone()));
    }
    headers.push((crc_header(provider), object.content.crc64().to_string()));
    if provider == Provider::Oss {
        let kind = if object.etag.contains('-') {
            "Multipart"
        } else {
            "Normal"
        };
        headers.push(("x-oss-object-type".into(), kind.into()));
        if !object.headers.contains_key("x-oss-storage-class") {
            headers.push(("x-oss-storage-class".into(), "Standard".into()));
        }
    }
    if !object.tags.is_empty() {
        headers.push((provider.header("tagging-count"), object.tags.len().to_string()));
    }
    headers
}

fn get_object(ctx: &Context<'_>, store: &Store, head: bool) -> Result<Reply, ServiceError> {
    let req = ctx.req;
    let object = object(store, req)?;
    sse_c::check_access(
        &object.headers,
        sse_c::requested_key(req, KeyFor::Object)?.as_deref(),
    )?;
    if !head {
        archive::check_readable(req.provider, &object.headers)?;
    }
    check_conditions(req, object)?;
    let size = object.content.len();
    let range = match req.header("range") {
        Some(value) if !head => parse_range(value, size)?,
        _ => None,
    };
    let mut reply = Reply {
        status: StatusCode::OK,
        headers: object_headers(req.provider, object),
        body: ReplyBody::Empty,
    };
    let (start, len) = match range {
        Some((first, last)) => {
            reply.status = StatusCode::PARTIAL_CONTENT;
            reply
                .headers
                .push(("content-range".into(), format!("bytes {first}-{last}/{size}")));
            (first, last - first + 1)
        }
        None => (0, size),
    };
    reply.headers.push(("content-length".into(), len.to_string()));
    if !head {
        reply.body = ReplyBody::Content {
            content: object.content.clone(),
            start,
            len,
        };
    }
    Ok(reply)
}

/// A parsed copy source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    /// Source bucket.
    pub bucket: String,
    /// Source key (decoded).
    pub key: String,
    /// Region named by a COS source host, if any.
    pub region: Option<String>,
    /// The version named by `?versionId=`, if any.
    pub version_id: Option<String>,
}

/// Parses `x-cos-copy-source` (`<bucket-appid>.cos.<region>.myqcloud.com/<key>[?versionId=]`, or
/// `/<bucket>/<key>`) or `x-oss-copy-source` (`/<bucket>/<key>[?versionId=]`).
///
/// # Errors
/// InvalidArgument when the value has no bucket or key.
pub fn parse_copy_source(provider: Provider, value: &str) -> Result<CopySource, ServiceError> {
    let invalid = || ServiceError::invalid_argument(format!("Invalid copy source: {value}"));
    let value = value.trim();
    let (value, query) = value.split_once('?').unwrap_or((value, ""));
    let version_id = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("versionId="))
        .map(decode);
    let value = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .unwrap_or(value);
    let (bucket, key, region) = if let Some(path) = value.strip_prefix('/') {
        let (bucket, key) = path.split_once('/').ok_or_else(invalid)?;
        (decode(bucket), decode(key), None)
    } else {
        if provider == Provider::Oss {
            return Err(invalid());
        }
        let (host, key) = value.split_once('/').ok_or_else(invalid)?;
        let host = crate::request::host_name(host);
        match host_style(&host) {
            HostStyle::Cos { bucket, region } => (bucket, decode(key), Some(region)),
            _ => {
                let bucket = host.split('.').next().unwrap_or_default().to_string();
                (bucket, decode(key), None)
            }
        }
    };
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid());
    }
    Ok(CopySource {
        bucket,
        key,
        region,
        version_id,
    })
}

/// Finds and checks a copy source: bucket of the same provider, region rule, copy conditions.
fn resolve_source<'s>(ctx: &Context<'_>, store: &'s Store) -> Result<(CopySource, &'s Object), ServiceError> {
    let req = ctx.req;
    let provider = req.provider;
    let raw = req.provider_header("copy-source").unwrap_or_default();
    let source = parse_copy_source(provider, raw)?;
    let source_bucket = store
        .buckets
        .get(&source.bucket)
        .filter(|b| b.provider == provider)
        // A COS source host naming another region reaches that region, where the bucket is not.
        .filter(|b| source.region.as_ref().is_none_or(|r| *r == b.region))
        .ok_or_else(ServiceError::no_such_bucket)?;
    let dest_region = store
        .buckets
        .get(&req.bucket)
        .map(|b| b.region.as_str())
        .unwrap_or_default();
    if source_bucket.region != dest_region && !ctx.limits.cross_region_copy {
        return Err(match provider {
            Provider::Oss => ServiceError::access_denied(
                "The bucket you are attempting to access must be addressed using the specified endpoint. Copy across regions is not supported.",
            ),
            Provider::Cos => ServiceError::invalid_argument("Cross-region copy is not allowed."),
        });
    }
    let object = stored(source_bucket, &source.key, source.version_id.as_deref())?;
    sse_c::check_access(
        &object.headers,
        sse_c::requested_key(req, KeyFor::CopySource)?.as_deref(),
    )?;
    archive::check_readable(provider, &object.headers)?;
    check_copy_conditions(req, object)?;
    Ok((source, object))
}

fn check_copy_conditions(req: &Request, object: &Object) -> Result<(), ServiceError> {
    let provider = req.provider;
    let seconds = object.last_modified / 1000 * 1000;
    let failed = || {
        ServiceError::precondition_failed("At least one of the pre-conditions you specified did not hold.")
    };
    // COS answers every failed copy condition with 412; OSS answers if-none-match and
    // if-modified-since with 304, like a GET.
    let not_modified = || match provider {
        Provider::Cos => failed(),
        Provider::Oss => ServiceError::not_modified(),
    };
    if let Some(expected) = req.provider_header("copy-source-if-match") {
        if !etags_match(expected, &object.etag) {
            return Err(failed());
        }
    }
    if let Some(since) = req
        .provider_header("copy-source-if-unmodified-since")
        .and_then(parse_http_date)
    {
        if seconds > since {
            return Err(failed());
        }
    }
    if let Some(expected) = req.provider_header("copy-source-if-none-match") {
        if etags_match(expected, &object.etag) {
            return Err(not_modified());
        }
    }
    if let Some(since) = req
        .provider_header("copy-source-if-modified-since")
        .and_then(parse_http_date)
    {
        if seconds <= since {
            return Err(not_modified());
        }
    }
    Ok(())
}

/// Whether the request's `x-*-<name>-directive` says replace; InvalidArgument for unknown values.
fn replaces(req: &Request, name: &str) -> Result<bool, ServiceError> {
    match req.provider_header(&format!("{name}-directive")) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case(req.provider.directive_copy()) => Ok(false),
        Some(v) if v.eq_ignore_ascii_case(req.provider.directive_replace()) => Ok(true),
        Some(v) => Err(ServiceError::invalid_argument(format!(
            "Unknown {name} directive: {v}"
        ))),
    }
}

/// The metadata of a copy under the Copy directive: the source's, except that a storage class in
/// the request applies to the new object (both services change the class this way: COS's "modify
/// storage class" copy, OSS CopyObject's class change), and that the encryption is the request's,
/// not the source's (COS documents that a copy is unencrypted unless the request asks).
fn copied_metadata(req: &Request, source: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut headers: BTreeMap<String, String> = source
        .iter()
        .filter(|(name, _)| !is_encryption_header(req.provider, name))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let storage_class = req.provider.header("storage-class");
    if let Some(class) = req.provider_header("storage-class") {
        headers.insert(storage_class, class.to_string());
    }
    headers.extend(encryption_from(req));
    headers
}

fn copy_object(ctx: &Context<'_>, store: &mut Store) -> Result<Reply, ServiceError> {
    let req = ctx.req;
    let provider = req.provider;
    let replace_meta = replaces(req, "metadata")?;
    let replace_tags = replaces(req, "tagging")?;
    sse_c::requested_key(req, KeyFor::Object)?;
    check_overwrite(req, store, false)?;
    let (source_address, source) = resolve_source(ctx, store)?;
    // COS documents that a copy onto its own source must use the Replaced directive. (The error
    // code is S3's for the same rule; COS's own is not documented.)
    // (A copy of an older version onto its key restores it: not the same object.)
    if provider == Provider::Cos
        && !replace_meta
        && source_address.bucket == req.bucket
        && source_address.key == req.key
        && source_address.version_id.is_none()
    {
        return Err(ServiceError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "Copying an object onto itself needs x-cos-metadata-directive: Replaced.",
        ));
    }
    if source.content.len() > ctx.limits.max_copy_size {
        return Err(match provider {
            Provider::Cos => ServiceError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!(
                    "The specified copy source is larger than the maximum allowable size for a copy source: {} bytes, please use UploadPart-Copy.",
                    ctx.limits.max_copy_size
                ),
            ),
            Provider::Oss => ServiceError::new(
                StatusCode::BAD_REQUEST,
                "EntityTooLarge",
                format!(
                    "The source object is larger than {} bytes; use UploadPartCopy.",
                    ctx.limits.max_copy_size
                ),
            ),
        });
    }
    let content = source.content.clone();
    let object = Object {
        etag: simple_etag(provider, &content),
        headers: if replace_meta {
            metadata_from(req)
        } else {
            copied_metadata(req, &source.headers)
        },
        tags: if replace_tags {
            tags_from(req)
        } else {
            source.tags.clone()
        },
        last_modified: now_millis(),
        content,
        version_id: None,
        // A copy gets the ACL its request asks for, not the source's.
        acl: acl_from(req)?,
    };
    let mut xml = XmlWriter::new();
    xml.open("CopyObjectResult")
        .element("ETag", quoted(&object.etag))
        .element("LastModified", iso8601(object.last_modified));
    if provider == Provider::Cos {
        xml.element("CRC64", object.content.crc64().to_string());
    }
    xml.close("CopyObjectResult");
    let reply = Reply::xml(xml.finish())
        .header("etag", quoted(&object.etag))
        .header(crc_header(provider), object.content.crc64().to_string());
    let version = bucket_mut(store, &req.bucket)?.put(&req.key, object);
    Ok(with_version(reply, provider, version))
}

fn initiate(ctx: &Context<'_>, store: &mut Store) -> Result<Reply, ServiceError> {
    let req = ctx.req;
    sse_c::requested_key(req, KeyFor::Object)?;
    check_overwrite(req, store, false)?;
    let id = store.new_upload_id(req.provider);
    let upload = Upload {
        id: id.clone(),
        key: req.key.clone(),
        initiated: now_millis(),
        headers: metadata_from(req),
        tags: tags_from(req),
        parts: BTreeMap::new(),
        acl: match req.provider {
            Provider::Cos => acl_from(req)?,
            Provider::Oss => None,
        },
    };
    bucket_mut(store, &req.bucket)?.uploads.insert(id.clone(), upload);
    let url = req.param("encoding-type") == Some("url");
    let mut xml = XmlWriter::new();
    xml.open("InitiateMultipartUploadResult")
        .element("Bucket", &req.bucket)
        .element("Key", response_key(&req.key, url))
        .element("UploadId", &id);
    if url {
        xml.element("EncodingType", "url");
    }
    xml.close("InitiateMultipartUploadResult");
    Ok(Reply::xml(xml.finish()))
}

/// A key as it goes into a response document: URL-encoded when the request asked `encoding-type=url`.
fn response_key(key: &str, url: bool) -> String {
    if url {
        const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'_')
            .remove(b'.')
            .remove(b'~')
            .remove(b'/');
        percent_encoding::utf8_percent_encode(key, KEEP).to_string()
    } else {
        key.to_string()
    }
}

fn part_number(ctx: &Context<'_>) -> Result<u32, ServiceError> {
    let max = ctx.limits.max_parts;
    match ctx.req.param("partNumber").map(str::parse::<u32>) {
        Some(Ok(n)) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ServiceError::invalid_argument(format!(
            "Part number must be an integer between 1 and {max}, inclusive."
        ))),
    }
}

fn upload_part(ctx: &Context<'_>, store: &mut Store) -> Result<Reply, ServiceError> {
    let req = ctx.req;
    let number = part_number(ctx)?;
    if req.body.len() as u64 > ctx.limits.max_part_size {
        return Err(entity_too_large());
    }
    check_content_md5(req)?;
    let key = sse_c::requested_key(req, KeyFor::Object)?;
    sse_c::check_access(&upload_mut(store, req)?.headers, key.as_deref())?;
    let content = Content::literal(req.body.clone());
    let part = new_part(req.provider, content);
    let reply = Reply::empty(StatusCode::OK)
        .header("etag", quoted(&part.etag))
        .header(crc_header(req.provider), part.content.crc64().to_string());
    upload_mut(store, req)?.parts.insert(number, part);
    Ok(reply)
}

/// Parses `x-*-copy-source-range: bytes=first-last` against a source of `size` bytes.
fn parse_copy_range(value: &str, size: u64) -> Result<(u64, u64), ServiceError> {
    let invalid = || {
        ServiceError::invalid_argument(format!(
            "The specified copy source range {value:?} is not valid for a source of {size} bytes."
        ))
    };
    let spec = value.trim().strip_prefix("bytes=").ok_or_else(invalid)?;
    let (first, last) = spec.split_once('-').ok_or_else(invalid)?;
    let first: u64 = first.trim().parse().map_err(|_| invalid())?;
    let last: u64 = last.trim().parse().map_err(|_| invalid())?;
    if first > last || last >= size {
        return Err(invalid());
    }
    Ok((first, last - first + 1))
}

/// Upload Part - Copy; also returns the source it read, for the overwrite fault.
pub(crate) fn upload_part_copy(
    ctx: &Context<'_>,
    store: &mut Store,
) -> Result<(Reply, CopySource), ServiceError> {
    let req = ctx.req;
    let provider = req.provider;
    let number = part_number(ctx)?;
    let key = sse_c::requested_key(req, KeyFor::Object)?;
    sse_c::check_access(&upload_mut(store, req)?.headers, key.as_deref())?;
    let (source, object) = resolve_source(ctx, store)?;
    let size = object.content.len();
    let (start, len) = match req.provider_header("copy-source-range") {
        Some(value) => parse_copy_range(value, size)?,
        None => (0, size),
    };
    if len > ctx.limits.max_part_size {
        return Err(entity_too_large());
    }
    let content = object.content.slice(start, len);
    let part = new_part(provider, content);
    let mut xml = XmlWriter::new();
    xml.open("CopyPartResult")
        .element("LastModified", iso8601(part.last_modified))
        .element("ETag", quoted(&part.etag));
    if provider == Provider::Cos {
        xml.element("CRC64", part.content.crc64().to_string());
    }
    xml.close("CopyPartResult");
    let mut reply = Reply::xml(xml.finish()).header("etag", quoted(&part.etag));
    if provider == Provider::Cos {
        reply = reply.header(crc_header(provider), part.content.crc64().to_string());
    }
    upload_mut(store, req)?.parts.insert(number, part);
    Ok((reply, source))
}

fn bounded_param(req: &Request, name: &str, default: u32) -> Result<u32, ServiceError> {
    match req.param(name) {
        None | Some("") => Ok(default),
        Some(v) => match v.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(n.min(default)),
            _ => Err(ServiceError::invalid_argument(format!(
                "Argument {name} must be an integer between 1 and {default}."
            ))),
        },
    }
}

fn list_parts(ctx: &Context<'_>, store: &mut Store) -> Result<Reply, ServiceError> {
    let req = ctx.req;
    let provider = req.provider;
    let max = bounded_param(req, "max-parts", 1000)?;
    let marker: u32 = match req.param("part-number-marker") {
        None | Some("") => 0,
        Some(v) => v
            .parse()
            .map_err(|_| ServiceError::invalid_argument("Invalid part-number-marker."))?,
    };
    let url = req.param("encoding-type") == Some("url");
    let upload = upload_mut(store, req)?;
    let mut after = upload.parts.range(marker.saturating_add(1)..);
    let listed: Vec<(&u32, &Part)> = after.by_ref().take(max as usize).collect();
    let truncated = after.next().is_some();
    let next_marker = listed.last().map(|(n, _)| **n).unwrap_or(marker);
    let mut xml = XmlWriter::new();
    xml.open("ListPartsResult")
        .element("Bucket", &req.bucket)
        .element("Key", response_key(&req.key, url))
        .element("UploadId", &upload.id);
    if url {
        xml.element("EncodingType", "url");
    }
    if provider == Provider::Cos {
        xml.open("Initiator")
            .element("ID", "emulator")
            .element("DisplayName", "emulator")
            .close("Initiator");
        xml.open("Owner")
            .element("ID", "emulator")
            .element("DisplayName", "emulator")
            .close("Owner");
        xml.element("StorageClass", "STANDARD");
    }
    xml.element("PartNumberMarker", marker.to_string())
        .element("NextPartNumberMarker", next_marker.to_string())
        .element("MaxParts", max.to_string())
        .element("IsTruncated", truncated.to_string());
    if provider == Provider::Oss {
        xml.element("StorageClass", "Standard");
    }
    for (number, part) in listed {
        xml.open("Part")
            .element("PartNumber", number.to_string())
            .element("LastModified", iso8601(part.last_modified))
            .element("ETag", quoted(&part.etag))
            .element("Size", part.content.len().to_string());
        if provider == Provider::Oss {
            xml.element("HashCrc64ecma", part.content.crc64().to_string());
        }
        xml.close("Part");
    }
    xml.close("ListPartsResult");
    Ok(Reply::xml(xml.finish()))
}

fn complete(ctx: &Context<'_>, store: &mut Store) -> Result<Reply, ServiceError> {
    let req = ctx.req;
    let provider = req.provider;
    let limits = ctx.limits;
    let complete_all = provider == Provider::Oss
        && req
            .provider_header("complete-all")
            .is_some_and(|v| v.eq_ignore_ascii_case("yes"));
    upload_mut(store, req)?;
    check_overwrite(req, store, true)?;
    let upload = upload_mut(store, req)?;
    let chosen: Vec<(u32, String)> = if complete_all {
        if !req.body.is_empty() {
            return Err(ServiceError::invalid_argument(
                "Should not specify both complete-all header and body.",
            ));
        }
        upload.parts.iter().map(|(n, p)| (*n, p.etag.clone())).collect()
    } else {
        parse_complete(&req.body)
            .map_err(|_| ServiceError::malformed_xml())?
            .into_iter()
            .map(|p| (p.number, p.etag))
            .collect()
    };
    if chosen.is_empty() {
        return Err(ServiceError::malformed_xml());
    }
    if chosen.len() > limits.max_parts as usize {
        return Err(ServiceError::invalid_argument(format!(
            "A multipart upload has at most {} parts.",
            limits.max_parts
        )));
    }
    if chosen.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(ServiceError::invalid_part_order());
    }
    // The chosen numbers ascend (checked above), like the map's keys: one walk finds them all.
    let mut uploaded = upload.parts.iter().peekable();
    let mut parts = Vec::with_capacity(chosen.len());
    for (number, etag) in &chosen {
        while uploaded.next_if(|(n, _)| *n < number).is_some() {}
        let part = match uploaded.next_if(|(n, _)| *n == number) {
            Some((_, part)) => part,
            None => {
                return Err(ServiceError::invalid_part(format!(
                    "One or more of the specified parts could not be found: part {number}."
                )))
            }
        };
        if !etags_match(etag, &part.etag) {
            return Err(ServiceError::invalid_part(format!(
                "The specified entity tag of part {number} does not match the part's entity tag."
            )));
        }
        parts.push(part);
    }
    if parts[..parts.len() - 1]
        .iter()
        .any(|p| p.content.len() < limits.min_part_size)
    {
        return Err(ServiceError::entity_too_small());
    }
    let content = Content::concat(parts.iter().map(|p| &p.content));
    let acl = match provider {
        Provider::Cos => upload.acl.clone(),
        Provider::Oss => acl_from(req)?,
    };
    let object = Object {
        etag: multipart_etag(provider, parts.iter().map(|p| &p.digest)),
        headers: upload.headers.clone(),
        tags: upload.tags.clone(),
        last_modified: now_millis(),
        content,
        version_id: None,
        acl,
    };
    let upload_id = upload.id.clone();
    let url = req.param("encoding-type") == Some("url");
    let mut xml = XmlWriter::new();
    xml.open("CompleteMultipartUploadResult")
        .element("Location", format!("{}/{}", req.host, req.key))
        .element("Bucket", &req.bucket)
        .element("Key", response_key(&req.key, url))
        .element("ETag", quoted(&object.etag));
    if url {
        xml.element("EncodingType", "url");
    }
    if provider == Provider::Cos {
        xml.element("CRC64", object.content.crc64().to_string());
    }
    xml.close("CompleteMultipartUploadResult");
    let reply = Reply::xml(xml.finish())
        .header("etag", quoted(&object.etag))
        .header(crc_header(provider), object.content.crc64().to_string());
    let bucket = bucket_mut(store, &req.bucket)?;
    bucket.uploads.remove(&upload_id);
    let version = bucket.put(&req.key, object);
    Ok(with_version(reply, provider, version))
}

fn list_uploads(ctx: &Context<'_>, store: &mut Store) -> Result<Reply, ServiceError> {
    let req = ctx.req;
    let max = bounded_param(req, "max-uploads", 1000)?;
    let prefix = req.param("prefix").unwrap_or_default();
    let key_marker = req.param("key-marker").unwrap_or_default();
    let id_marker = req.param("upload-id-marker").unwrap_or_default();
    let url = req.param("encoding-type") == Some("url");
    let bucket = bucket_mut(store, &req.bucket)?;
    let mut uploads: Vec<&Upload> = bucket
        .uploads
        .values()
        .filter(|u| u.key.starts_with(prefix))
        .filter(|u| {
            key_marker.is_empty()
                || u.key.as_str() > key_marker
                || (u.key == key_marker && !id_marker.is_empty() && u.id.as_str() > id_marker)
        })
        .collect();
    uploads.sort_by(|a, b| (&a.key, &a.id).cmp(&(&b.key, &b.id)));
    let truncated = uploads.len() > max as usize;
    uploads.truncate(max as usize);
    let mut xml = XmlWriter::new();
    xml.open("ListMultipartUploadsResult")
        .element("Bucket", &req.bucket)
        .element("KeyMarker", response_key(key_marker, url))
        .element("UploadIdMarker", id_marker)
        .element(
            "NextKeyMarker",
            response_key(uploads.last().map(|u| u.key.as_str()).unwrap_or(""), url),
        )
        .element(
            "NextUploadIdMarker",
            uploads.last().map(|u| u.id.as_str()).unwrap_or(""),
        )
        .element("Prefix", response_key(prefix, url))
        .element("MaxUploads", max.to_string())
        .element("IsTruncated", truncated.to_string());
    if url {
        xml.element("EncodingType", "url");
    }
    // The class Initiate asked for, else the provider's default (named as each spells it).
    let class_header = req.provider.header("storage-class");
    let default_class = match req.provider {
        Provider::Cos => "STANDARD",
        Provider::Oss => "Standard",
    };
    for upload in uploads {
        let class = upload
            .headers
            .get(&class_header)
            .map_or(default_class, String::as_str);
        xml.open("Upload")
            .element("Key", response_key(&upload.key, url))
            .element("UploadId", &upload.id)
            .element("StorageClass", class)
            .element("Initiated", iso8601(upload.initiated))
            .close("Upload");
    }
    xml.close("ListMultipartUploadsResult");
    Ok(Reply::xml(xml.finish()))
}

fn list_objects(ctx: &Context<'_>, store: &mut Store) -> Result<Reply, ServiceError> {
    let req = ctx.req;
    let max = bounded_param(req, "max-keys", 1000)?;
    // The page may hold fewer keys than asked; `MaxKeys` still says what was asked.
    let served = max.min(ctx.limits.max_keys_per_page.max(1));
    let prefix = req.param("prefix").unwrap_or_default();
    let marker = req.param("marker").unwrap_or_default();
    let url = req.param("encoding-type") == Some("url");
    let bucket = bucket_mut(store, &req.bucket)?;
    let mut listed = bucket
        .objects
        .iter()
        .filter(|(k, _)| k.starts_with(prefix) && k.as_str() > marker);
    let page: Vec<(&String, &Object)> = listed.by_ref().take(served as usize).collect();
    let truncated = listed.next().is_some();
    let mut xml = XmlWriter::new();
    xml.open("ListBucketResult")
        .element("Name", &req.bucket)
        .element("Prefix", response_key(prefix, url))
        .element("Marker", response_key(marker, url))
        .element("MaxKeys", max.to_string())
        .element("IsTruncated", truncated.to_string());
    if truncated {
        if let Some((last, _)) = page.last() {
            xml.element("NextMarker", response_key(last, url));
        }
    }
    if url {
        xml.element("EncodingType", "url");
    }
    // Each object's class as its HEAD shows it, else the provider's default.
    let class_header = req.provider.header("storage-class");
    let default_class = match req.provider {
        Provider::Cos => "STANDARD",
        Provider::Oss => "Standard",
    };
    for (key, object) in page {
        let class = object
            .headers
            .get(&class_header)
            .map_or(default_class, String::as_str);
        xml.open("Contents")
            .element("Key", response_key(key, url))
            .element("LastModified", iso8601(object.last_modified))
            .element("ETag", quoted(&object.etag))
            .element("Size", object.content.len().to_string())
            .element("StorageClass", class)
            .close("Contents");
    }
    xml.close("ListBucketResult");
    Ok(Reply::xml(xml.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources_parse_per_provider() {
        let cos = parse_copy_source(
            Provider::Cos,
            "src-1250000000.cos.ap-beijing.myqcloud.com/a%20b/c%2Bd?versionId=x",
        )
        .unwrap();
        assert_eq!(cos.bucket, "src-1250000000");
        assert_eq!(cos.key, "a b/c+d");
        assert_eq!(cos.region.as_deref(), Some("ap-beijing"));
        let cos_path = parse_copy_source(Provider::Cos, "/src-1250000000/k").unwrap();
        assert_eq!(cos_path.bucket, "src-1250000000");
        let oss = parse_copy_source(Provider::Oss, "/src/dir/%E4%B8%AD").unwrap();
        assert_eq!((oss.bucket.as_str(), oss.key.as_str()), ("src", "dir/中"));
        assert!(parse_copy_source(Provider::Oss, "src/k").is_err());
        assert!(parse_copy_source(Provider::Oss, "/src/").is_err());
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100).unwrap(), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100).unwrap(), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100).unwrap(), Some((90, 99)));
        assert_eq!(parse_range("bytes=50-500", 100).unwrap(), Some((50, 99)));
        assert!(parse_range("bytes=100-", 100).is_err());
        assert_eq!(parse_range("bytes=9-1", 100).unwrap(), None);
        assert_eq!(parse_copy_range("bytes=0-99", 100).unwrap(), (0, 100));
        assert!(parse_copy_range("bytes=0-100", 100).is_err());
        assert!(parse_copy_range("bytes=5-4", 100).is_err());
        assert!(parse_copy_range("0-4", 100).is_err());
    }

    #[test]
    fn multipart_etag_shape() {
        let e = multipart_etag(Provider::Cos, [[0x90u8; 16]].iter());
        assert!(e.ends_with("-1") && e.len() == 34);
        let o = multipart_etag(Provider::Oss, [[0x90u8; 16]; 3].iter());
        assert!(o.ends_with("-3") && o.chars().take(32).all(|c| !c.is_ascii_lowercase()));
    }
}
