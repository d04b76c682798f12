//! Turns the HTTP answer to an [`Operation`] into core's [`Reply`] or [`Failure`].
//!
//! A non-2xx status is a failure ([`failure_from_response`]). A 2xx is parsed per operation, and
//! an `<Error>` document in a 2xx body is a failure too: COS documents that for PUT-Copy, and its
//! Complete answers `200` at once, pads with whitespace while it merges and puts the result, or an
//! `<Error>`, at the end. A 2xx whose body or headers cannot be read is a retryable failure with
//! code [`INVALID_RESPONSE`](crate::failure::INVALID_RESPONSE).
//!
//! CRC-64 values come from the `x-cos-hash-crc64ecma` / `x-oss-hash-crc64ecma` header (decimal),
//! or for COS PUT-Copy from the `<CRC64>` element when the header is absent.

use bytes::Bytes;
use http::{HeaderMap, Response};
use partcopy_core::job::OperationKind;
use partcopy_core::ops::{
    Encryption, Failure, ListedObject, ListedPart, ListedUpload, ObjectMetadata, Operation, Reply,
    SourceInfo, UploadMarker,
};

use crate::documents::{
    parse_complete, parse_copy_object, parse_copy_part, parse_initiate, parse_list_objects, parse_list_parts,
    parse_list_uploads, parse_tagging,
};
use crate::failure::{
    failure_from_error_body, failure_from_response, invalid_response, parse_error_document,
};
use crate::provider::Provider;
use crate::xml::XmlError;

/// Parses the `response` to `op`, sent to `provider`, into a [`Reply`].
///
/// # Errors
/// The [`Failure`] the response stands for: a non-2xx status, an `<Error>` document in a 2xx body,
/// or a 2xx answer that cannot be read (missing ETag, malformed XML, a body over
/// [`MAX_BODY_BYTES`](crate::xml::MAX_BODY_BYTES), …).
pub fn parse_reply(provider: Provider, op: &Operation, response: &Response<Bytes>) -> Result<Reply, Failure> {
    let head = matches!(op, Operation::HeadSource | Operation::HeadDestination);
    if !response.status().is_success() {
        return Err(failure_from_response(provider, head, response));
    }
    let reader = Answer {
        provider,
        what: OperationKind::of(op),
        status: response.status().as_u16(),
        headers: response.headers(),
        body: response.body(),
    };
    match op {
        Operation::HeadSource | Operation::HeadDestination => {
            reader.head().map(|info| Reply::Head(Box::new(info)))
        }
        Operation::GetSourceTagging => reader.document(parse_tagging).map(Reply::Tagging),
        Operation::PutCopy { .. } => reader.copied(),
        Operation::Initiate { .. } => {
            let initiated = reader.document(parse_initiate)?;
            // An unreadable Date is taken as absent: failing the answer would make the job send
            // Initiate again and leave the upload this answer names behind.
            Ok(Reply::Initiated {
                upload_id: initiated.upload_id,
                date: reader.text("date").ok().flatten(),
            })
        }
        Operation::UploadPartCopy { .. } => reader.part_copied(),
        Operation::ListParts { marker, .. } => reader.parts(*marker),
        Operation::Complete { .. } => reader.completed(),
        Operation::Abort { .. } => reader.no_content(Reply::Aborted),
        Operation::ListUploads { after, .. } => reader.uploads(after.as_ref()),
        Operation::ListObjects { marker, .. } => reader.objects(marker.as_deref()),
        Operation::DeleteSource => reader.no_content(Reply::Deleted),
    }
}

/// A 2xx answer being read.
struct Answer<'a> {
    provider: Provider,
    what: OperationKind,
    status: u16,
    headers: &'a HeaderMap,
    body: &'a Bytes,
}

impl Answer<'_> {
    fn invalid(&self, reason: impl std::fmt::Display) -> Failure {
        invalid_response(
            self.provider,
            &self.what.to_string(),
            self.status,
            self.headers,
            reason,
        )
    }

    /// The failure for an `<Error>` body, or for a body that could not be read at all.
    fn body_failure(&self, err: XmlError) -> Failure {
        if err.is_error_document() {
            if let Ok(doc) = parse_error_document(self.body) {
                return failure_from_error_body(self.provider, self.status, self.headers, doc);
            }
        }
        self.invalid(err)
    }

    /// Parses the body with `parse`; an `<Error>` body or an unreadable one is a failure.
    fn document<T>(&self, parse: fn(&[u8]) -> Result<T, XmlError>) -> Result<T, Failure> {
        parse(self.body).map_err(|e| self.body_failure(e))
    }

    /// Parses the body with `parse` when there is one: `Ok(None)` for an empty body.
    fn optional_document<T>(&self, parse: fn(&[u8]) -> Result<T, XmlError>) -> Result<Option<T>, Failure> {
        match parse(self.body) {
            Ok(doc) => Ok(Some(doc)),
            Err(XmlError::Empty) => Ok(None),
            Err(e) => Err(self.body_failure(e)),
        }
    }

    /// A header as UTF-8 text; `Ok(None)` when absent. Several values are joined with `,`.
    fn text(&self, name: &str) -> Result<Option<String>, Failure> {
        let mut values = self.headers.get_all(name).iter();
        let Some(first) = values.next() else {
            return Ok(None);
        };
        let utf8 = |v: &http::HeaderValue| {
            std::str::from_utf8(v.as_bytes())
                .map(str::to_owned)
                .map_err(|_| self.invalid(format_args!("header {name} is not UTF-8")))
        };
        let mut out = utf8(first)?;
        for v in values {
            out.push(',');
            out.push_str(&utf8(v)?);
        }
        Ok(Some(out))
    }

    /// The `x-*-hash-crc64ecma` header as a number.
    fn crc64_header(&self) -> Result<Option<u64>, Failure> {
        let name = match self.provider {
            Provider::Cos => "x-cos-hash-crc64ecma",
            Provider::Oss => "x-oss-hash-crc64ecma",
        };
        match self.text(name)? {
            None => Ok(None),
            Some(v) => decimal(v.trim())
                .map(Some)
                .ok_or_else(|| self.invalid(format_args!("header {name} is not a decimal u64"))),
        }
    }

    /// The `ETag` header, when present and non-empty.
    fn etag_header(&self) -> Result<Option<String>, Failure> {
        Ok(self.text("etag")?.filter(|s| !s.trim().is_empty()))
    }

    fn head(&self) -> Result<SourceInfo, Failure> {
        let prefix = self.provider.header_prefix();
        let size = self
            .text("content-length")?
            .ok_or_else(|| self.invalid("no Content-Length header"))?;
        let size = decimal(size.trim()).ok_or_else(|| self.invalid("Content-Length is not a decimal u64"))?;
        let etag = self
            .etag_header()?
            .ok_or_else(|| self.invalid("no ETag header"))?;
        let meta_prefix = self.provider.meta_prefix();
        let mut user = Vec::new();
        for name in self.headers.keys() {
            // `http` keeps header names in lower case.
            if let Some(key) = name.as_str().strip_prefix(meta_prefix) {
                if let Some(value) = self.text(name.as_str())? {
                    user.push((key.to_owned(), value));
                }
            }
        }
        user.sort();
        let storage_class = self.text(&format!("{prefix}storage-class"))?;
        let needs_restore = match storage_class.as_deref() {
            Some(class) if offline_class(self.provider, class) => !self
                .text(&format!("{prefix}restore"))?
                .is_some_and(|state| state.contains("ongoing-request=\"false\"")),
            _ => false,
        };
        Ok(SourceInfo {
            size,
            etag,
            last_modified: self.text("last-modified")?,
            version_id: self.text(&format!("{prefix}version-id"))?,
            storage_class,
            crc64: self.crc64_header()?,
            metadata: ObjectMetadata {
                content_type: self.text("content-type")?,
                cache_control: self.text("cache-control")?,
                content_disposition: self.text("content-disposition")?,
                content_encoding: self.text("content-encoding")?,
                content_language: self.text("content-language")?,
                expires: self.text("expires")?,
                user,
            },
            encryption: self.encryption()?,
            needs_restore,
        })
    }

    /// The server-side encryption a HEAD reports (see [`Encryption`]).
    fn encryption(&self) -> Result<Option<Encryption>, Failure> {
        let (algorithm, key) = match self.provider {
            Provider::Cos => (
                "x-cos-server-side-encryption",
                "x-cos-server-side-encryption-cos-kms-key-id",
            ),
            Provider::Oss => (
                "x-oss-server-side-encryption",
                "x-oss-server-side-encryption-key-id",
            ),
        };
        let Some(algorithm) = self.text(algorithm)? else {
            return Ok(None);
        };
        let data_algorithm = match self.provider {
            Provider::Cos => None,
            Provider::Oss => self.text("x-oss-server-side-data-encryption")?,
        };
        Ok(Some(Encryption {
            algorithm,
            kms_key_id: self.text(key)?,
            data_algorithm,
        }))
    }

    fn copied(&self) -> Result<Reply, Failure> {
        let doc = self.optional_document(parse_copy_object)?;
        let (etag, crc64) = self.etag_and_crc(doc.map(|d| (d.etag, d.crc64)))?;
        Ok(Reply::Copied { etag, crc64 })
    }

    fn part_copied(&self) -> Result<Reply, Failure> {
        let doc = self.optional_document(parse_copy_part)?;
        let (etag, crc64) = self.etag_and_crc(doc.map(|d| (d.etag, d.crc64)))?;
        Ok(Reply::PartCopied { etag, crc64 })
    }

    /// The ETag and CRC-64 of a copy result: the ETag from the XML, else the `ETag` header (oss2
    /// reads the header; the XML is the documented place for both); the CRC-64 from the header,
    /// else the XML (COS's `<CRC64>`).
    fn etag_and_crc(
        &self,
        xml: Option<(Option<String>, Option<u64>)>,
    ) -> Result<(String, Option<u64>), Failure> {
        let (xml_etag, xml_crc) = xml.unwrap_or_default();
        let etag = match xml_etag {
            Some(e) => e,
            None => self
                .etag_header()?
                .ok_or_else(|| self.invalid("no ETag in the body or headers"))?,
        };
        Ok((etag, self.crc64_header()?.or(xml_crc)))
    }

    fn parts(&self, asked_marker: Option<u32>) -> Result<Reply, Failure> {
        let page = self.document(parse_list_parts)?;
        let parts: Vec<ListedPart> = page
            .parts
            .iter()
            .map(|p| ListedPart {
                number: p.number,
                etag: p.etag.clone(),
                size: p.size,
            })
            .collect();
        let next_marker = if page.is_truncated {
            // S3 semantics: without NextPartNumberMarker, the next page starts after the last part.
            let next = page
                .next_part_number_marker
                .or_else(|| parts.iter().map(|p| p.number).max())
                .ok_or_else(|| self.invalid("a truncated page without NextPartNumberMarker or parts"))?;
            // A marker that does not move forward would make the caller list forever.
            if next <= asked_marker.unwrap_or(0) {
                return Err(self.invalid(format_args!(
                    "NextPartNumberMarker {next} does not advance past {}",
                    asked_marker.unwrap_or(0)
                )));
            }
            Some(next)
        } else {
            None
        };
        Ok(Reply::Parts { parts, next_marker })
    }

    fn completed(&self) -> Result<Reply, Failure> {
        let doc = self.optional_document(parse_complete)?;
        let etag = match doc.and_then(|d| d.etag) {
            Some(e) => e,
            None => self
                .etag_header()?
                .ok_or_else(|| self.invalid("no ETag in the body or headers"))?,
        };
        Ok(Reply::Completed {
            etag,
            crc64: self.crc64_header()?,
        })
    }

    /// A key (or key marker) as a listing sent it: percent-decoded when the page says `encoded`
    /// (`<EncodingType>url</EncodingType>`), as is otherwise.
    fn listed_key(&self, encoded: bool, text: String) -> Result<String, Failure> {
        if !encoded {
            return Ok(text);
        }
        percent_encoding::percent_decode_str(&text)
            .decode_utf8()
            .map(|key| key.into_owned())
            .map_err(|_| self.invalid(format_args!("the key {text:?} is not percent-encoded UTF-8")))
    }

    /// One page of List Multipart Uploads, keys decoded when the page says they are encoded.
    fn uploads(&self, asked: Option<&UploadMarker>) -> Result<Reply, Failure> {
        let page = self.document(parse_list_uploads)?;
        let encoded = page.encoding_type.as_deref() == Some("url");
        let decode = |text: String| self.listed_key(encoded, text);
        let mut uploads = Vec::with_capacity(page.uploads.len());
        for upload in page.uploads {
            uploads.push(ListedUpload {
                key: decode(upload.key)?,
                upload_id: upload.upload_id,
                initiated: upload.initiated,
                storage_class: upload.storage_class,
            });
        }
        let next = if page.is_truncated {
            // S3 semantics: without the next markers, the next page starts after the last upload.
            let last = uploads.last();
            let key = match page.next_key_marker.filter(|k| !k.is_empty()) {
                Some(key) => decode(key)?,
                None => last.map(|u| u.key.clone()).unwrap_or_default(),
            };
            let upload_id = page
                .next_upload_id_marker
                .or_else(|| last.map(|u| u.upload_id.clone()))
                .unwrap_or_default();
            let next = UploadMarker { key, upload_id };
            // A marker that does not move forward would make the caller list forever.
            let moved = match asked {
                None => !next.key.is_empty() || !next.upload_id.is_empty(),
                Some(asked) => (&next.key, &next.upload_id) > (&asked.key, &asked.upload_id),
            };
            if !moved {
                return Err(self.invalid("a truncated page whose next marker does not advance"));
            }
            Some(next)
        } else {
            None
        };
        Ok(Reply::Uploads { uploads, next })
    }

    /// One page of List Objects, keys decoded when the page says they are encoded.
    fn objects(&self, asked: Option<&str>) -> Result<Reply, Failure> {
        let page = self.document(parse_list_objects)?;
        let encoded = page.encoding_type.as_deref() == Some("url");
        let decode = |text: String| self.listed_key(encoded, text);
        let mut objects = Vec::with_capacity(page.objects.len());
        for object in page.objects {
            objects.push(ListedObject {
                key: decode(object.key)?,
                size: object.size,
                etag: object.etag,
                last_modified: object.last_modified,
                storage_class: object.storage_class,
            });
        }
        let next = if page.is_truncated {
            // Without a NextMarker (a listing with no delimiter may leave it out), the next page
            // starts after the last key.
            let next = match page.next_marker.filter(|m| !m.is_empty()) {
                Some(marker) => decode(marker)?,
                None => objects.last().map(|o| o.key.clone()).unwrap_or_default(),
            };
            // A marker that does not move forward would make the caller list forever.
            if next.as_str() <= asked.unwrap_or("") {
                return Err(self.invalid("a truncated page whose next marker does not advance"));
            }
            Some(next)
        } else {
            None
        };
        Ok(Reply::Objects { objects, next })
    }

    /// `reply` for an answer with nothing to read: Abort and DELETE answer 204 (COS, OSS) or 200
    /// with no body; only an `<Error>` body changes that.
    fn no_content(&self, reply: Reply) -> Result<Reply, Failure> {
        match parse_error_document(self.body) {
            Ok(doc) => Err(failure_from_error_body(
                self.provider,
                self.status,
                self.headers,
                doc,
            )),
            Err(_) => Ok(reply),
        }
    }
}

/// A plain decimal `u64` (no sign, no spaces).
fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Whether `class` keeps an object's data offline until a restore finishes, whatever the bucket:
/// COS `ARCHIVE` and `DEEP_ARCHIVE`, OSS `ColdArchive` and `DeepColdArchive`. (OSS `Archive` is
/// left out: a bucket may allow reading it in real time.) The restore header
/// (`x-cos-restore` / `x-oss-restore`) says `ongoing-request="false"` once a restored copy can be
/// read.
fn offline_class(provider: Provider, class: &str) -> bool {
    match provider {
        Provider::Cos => matches!(class, "ARCHIVE" | "DEEP_ARCHIVE"),
        Provider::Oss => matches!(class, "ColdArchive" | "DeepColdArchive"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use partcopy_core::ops::{ByteRange, CompletedPart, Encryption, FailureKind, MetadataDirective};

    fn response(status: u16, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Response<Bytes> {
        let mut b = Response::builder().status(status);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(body.into()).unwrap()
    }

    fn put_copy() -> Operation {
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

    fn part_copy() -> Operation {
        Operation::UploadPartCopy {
            upload_id: "u".into(),
            part_number: 3,
            range: ByteRange { first: 0, last: 9 },
            source_etag: "\"e\"".into(),
        }
    }

    fn list(marker: Option<u32>) -> Operation {
        Operation::ListParts {
            upload_id: "u".into(),
            marker,
            max_parts: None,
        }
    }

    fn complete() -> Operation {
        Operation::Complete {
            upload_id: "u".into(),
            parts: vec![CompletedPart {
                number: 1,
                etag: "\"a\"".into(),
            }]
            .into(),
        }
    }

    #[test]
    fn head_extracts_cos_headers_and_metadata() {
        let r = response(
            200,
            &[
                ("Content-Length", "5368709120"),
                ("ETag", "\"9a4802d5c99dafe1c04da0a8e7e166bf-5\""),
                ("Last-Modified", "Wed, 28 Oct 2026 20:30:00 GMT"),
                ("Content-Type", "image/jpeg"),
                ("Cache-Control", "max-age=3600"),
                ("Content-Disposition", "attachment; filename=\"a b.jpg\""),
                ("Content-Encoding", "gzip"),
                ("Content-Language", "zh-CN"),
                ("Expires", "Thu, 01 Dec 2026 16:00:00 GMT"),
                ("x-cos-hash-crc64ecma", "16749565679157681890"),
                ("x-cos-storage-class", "STANDARD_IA"),
                ("x-cos-version-id", "MTg0NDUxNTc1NjIzMTQ1MDAwODg"),
                ("x-cos-meta-Zeta", "last"),
                ("x-cos-meta-alpha", "first"),
                ("x-cos-meta-utf8", "中文"),
                ("x-oss-meta-other", "not ours"),
                ("x-cos-request-id", "NjQ2"),
            ],
            Bytes::new(),
        );
        let Reply::Head(info) = parse_reply(Provider::Cos, &Operation::HeadSource, &r).unwrap() else {
            panic!("not a Head reply");
        };
        assert_eq!(info.size, 5368709120);
        assert_eq!(info.etag, "\"9a4802d5c99dafe1c04da0a8e7e166bf-5\"");
        assert_eq!(
            info.last_modified.as_deref(),
            Some("Wed, 28 Oct 2026 20:30:00 GMT")
        );
        assert_eq!(info.version_id.as_deref(), Some("MTg0NDUxNTc1NjIzMTQ1MDAwODg"));
        assert_eq!(info.storage_class.as_deref(), Some("STANDARD_IA"));
        assert_eq!(info.crc64, Some(16749565679157681890));
        let m = &info.metadata;
        assert_eq!(m.content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(m.cache_control.as_deref(), Some("max-age=3600"));
        assert_eq!(
            m.content_disposition.as_deref(),
            Some("attachment; filename=\"a b.jpg\"")
        );
        assert_eq!(m.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(m.content_language.as_deref(), Some("zh-CN"));
        assert_eq!(m.expires.as_deref(), Some("Thu, 01 Dec 2026 16:00:00 GMT"));
        assert_eq!(
            m.user,
            vec![
                ("alpha".to_string(), "first".to_string()),
                ("utf8".to_string(), "中文".to_string()),
                ("zeta".to_string(), "last".to_string()),
            ]
        );
    }

    #[test]
    fn head_extracts_oss_headers() {
        let r = response(
            200,
            &[
                ("Content-Length", "0"),
                ("ETag", "\"D41D8CD98F00B204E9800998ECF8427E\""),
                ("x-oss-hash-crc64ecma", "0"),
                ("x-oss-storage-class", "Standard"),
                ("x-oss-meta-Owner", "ops"),
                ("x-cos-meta-ignored", "x"),
            ],
            Bytes::new(),
        );
        let Reply::Head(info) = parse_reply(Provider::Oss, &Operation::HeadSource, &r).unwrap() else {
            panic!("not a Head reply");
        };
        assert_eq!((info.size, info.crc64), (0, Some(0)));
        assert_eq!(info.storage_class.as_deref(), Some("Standard"));
        assert_eq!(info.metadata.user, vec![("owner".to_string(), "ops".to_string())]);
        assert_eq!(info.metadata.content_type, None);
        assert_eq!(info.version_id, None);
        assert_eq!(info.encryption, None);
    }

    #[test]
    fn head_says_whether_an_archived_object_must_be_restored_first() {
        let restored = "ongoing-request=\"false\", expiry-date=\"Sat, 05 Dec 2026 00:00:00 GMT\"";
        let restoring = "ongoing-request=\"true\"";
        for (provider, class, restore, expected) in [
            (Provider::Cos, "ARCHIVE", None, true),
            (Provider::Cos, "DEEP_ARCHIVE", Some(restoring), true),
            (Provider::Cos, "DEEP_ARCHIVE", Some(restored), false),
            (Provider::Cos, "STANDARD_IA", None, false),
            (Provider::Oss, "ColdArchive", None, true),
            (Provider::Oss, "DeepColdArchive", Some(restoring), true),
            (Provider::Oss, "ColdArchive", Some(restored), false),
            // A bucket may allow reading Archive objects in real time: not certain, not marked.
            (Provider::Oss, "Archive", None, false),
            (Provider::Oss, "Standard", None, false),
        ] {
            let prefix = provider.header_prefix();
            let (class_header, restore_header) =
                (format!("{prefix}storage-class"), format!("{prefix}restore"));
            let mut headers = vec![
                ("Content-Length", "1"),
                ("ETag", "\"e\""),
                (class_header.as_str(), class),
            ];
            if let Some(state) = restore {
                headers.push((restore_header.as_str(), state));
            }
            let r = response(200, &headers, Bytes::new());
            let Reply::Head(info) = parse_reply(provider, &Operation::HeadSource, &r).unwrap() else {
                panic!("not a Head reply");
            };
            assert_eq!(info.needs_restore, expected, "{provider:?} {class} {restore:?}");
        }
    }

    #[test]
    fn head_extracts_server_side_encryption() {
        let base = [("Content-Length", "1"), ("ETag", "\"e\"")];
        for (provider, headers, expected) in [
            (
                Provider::Cos,
                vec![
                    ("x-cos-server-side-encryption", "cos/kms"),
                    ("x-cos-server-side-encryption-cos-kms-key-id", "48ba38aa-26c5"),
                    // Not COS's: ignored.
                    ("x-oss-server-side-data-encryption", "SM4"),
                ],
                Encryption {
                    algorithm: "cos/kms".into(),
                    kms_key_id: Some("48ba38aa-26c5".into()),
                    data_algorithm: None,
                },
            ),
            (
                Provider::Oss,
                vec![
                    ("x-oss-server-side-encryption", "KMS"),
                    ("x-oss-server-side-encryption-key-id", "9468da86-3509"),
                    ("x-oss-server-side-data-encryption", "SM4"),
                ],
                Encryption {
                    algorithm: "KMS".into(),
                    kms_key_id: Some("9468da86-3509".into()),
                    data_algorithm: Some("SM4".into()),
                },
            ),
            (
                Provider::Oss,
                vec![("x-oss-server-side-encryption", "AES256")],
                Encryption {
                    algorithm: "AES256".into(),
                    ..Encryption::default()
                },
            ),
        ] {
            let all: Vec<(&str, &str)> = base.iter().copied().chain(headers).collect();
            let r = response(200, &all, Bytes::new());
            let Reply::Head(info) = parse_reply(provider, &Operation::HeadSource, &r).unwrap() else {
                panic!("not a Head reply");
            };
            assert_eq!(info.encryption, Some(expected));
        }
    }

    #[test]
    fn head_without_size_or_etag_or_with_a_bad_crc_is_invalid() {
        for headers in [
            vec![("ETag", "\"e\"")],
            vec![("Content-Length", "12")],
            vec![("Content-Length", "-1"), ("ETag", "\"e\"")],
            vec![
                ("Content-Length", "12"),
                ("ETag", "\"e\""),
                ("x-cos-hash-crc64ecma", "0x12"),
            ],
        ] {
            let r = response(200, &headers, Bytes::new());
            let f = parse_reply(Provider::Cos, &Operation::HeadSource, &r).unwrap_err();
            assert_eq!(
                (f.kind, f.code.as_str()),
                (FailureKind::Retryable, "InvalidResponse"),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn head_404_is_no_such_key() {
        let r = response(404, &[("x-cos-request-id", "id")], Bytes::new());
        let f = parse_reply(Provider::Cos, &Operation::HeadSource, &r).unwrap_err();
        assert_eq!(f.kind, FailureKind::NoSuchKey);
    }

    #[test]
    fn put_copy_cos_crc_from_xml_and_header_precedence() {
        let body = "<CopyObjectResult><ETag>\"abc\"</ETag><CRC64>42</CRC64><LastModified>x</LastModified></CopyObjectResult>";
        let r = response(200, &[], body);
        assert_eq!(
            parse_reply(Provider::Cos, &put_copy(), &r).unwrap(),
            Reply::Copied {
                etag: "\"abc\"".into(),
                crc64: Some(42)
            }
        );
        let r = response(200, &[("x-cos-hash-crc64ecma", "43")], body);
        assert_eq!(
            parse_reply(Provider::Cos, &put_copy(), &r).unwrap(),
            Reply::Copied {
                etag: "\"abc\"".into(),
                crc64: Some(43)
            }
        );
    }

    #[test]
    fn put_copy_oss_etag_falls_back_to_the_header() {
        let r = response(
            200,
            &[("ETag", "\"HDR\""), ("x-oss-hash-crc64ecma", "7")],
            "<CopyObjectResult><LastModified>x</LastModified></CopyObjectResult>",
        );
        assert_eq!(
            parse_reply(Provider::Oss, &put_copy(), &r).unwrap(),
            Reply::Copied {
                etag: "\"HDR\"".into(),
                crc64: Some(7)
            }
        );
        let r = response(200, &[], Bytes::new());
        let f = parse_reply(Provider::Oss, &put_copy(), &r).unwrap_err();
        assert_eq!(f.code, "InvalidResponse");
    }

    #[test]
    fn two_hundred_with_error_body_is_a_failure() {
        let body = "<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>InternalError</Code>\
                    <Message>We encountered an internal error. Please try again.</Message>\
                    <RequestId>NjQ3</RequestId><TraceId>T</TraceId></Error>";
        let r = response(200, &[("x-cos-request-id", "hdr")], body);
        for op in [
            put_copy(),
            part_copy(),
            complete(),
            Operation::Abort {
                upload_id: "u".into(),
            },
        ] {
            let f = parse_reply(Provider::Cos, &op, &r).unwrap_err();
            assert_eq!(f.kind, FailureKind::Retryable, "{op:?}");
            assert_eq!(f.status, Some(200));
            assert_eq!(f.code, "InternalError");
            assert_eq!(f.request_id.as_deref(), Some("NjQ3"));
        }
        let denied = "<Error><Code>AccessDenied</Code><Message>no</Message></Error>";
        let f = parse_reply(Provider::Cos, &put_copy(), &response(200, &[], denied)).unwrap_err();
        assert_eq!(f.kind, FailureKind::AccessDenied);
    }

    #[test]
    fn cos_complete_pads_with_whitespace_then_answers() {
        let mut ok = " ".repeat(4096).into_bytes();
        ok.extend_from_slice(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult>\
              <Location>b-125.cos.ap-beijing.myqcloud.com/k</Location><Bucket>b-125</Bucket><Key>k</Key>\
              <ETag>\"aa259a62513358f69e98e72e59856d88-3\"</ETag></CompleteMultipartUploadResult>",
        );
        let r = response(200, &[("x-cos-hash-crc64ecma", "123")], ok);
        assert_eq!(
            parse_reply(Provider::Cos, &complete(), &r).unwrap(),
            Reply::Completed {
                etag: "\"aa259a62513358f69e98e72e59856d88-3\"".into(),
                crc64: Some(123)
            }
        );
        let mut bad = "\n".repeat(4096).into_bytes();
        bad.extend_from_slice(b"<Error><Code>InvalidPart</Code><Message>part 2</Message></Error>");
        let f = parse_reply(Provider::Cos, &complete(), &response(200, &[], bad)).unwrap_err();
        assert_eq!((f.kind, f.code.as_str()), (FailureKind::Fatal, "InvalidPart"));
        // Whitespace only: the merge never finished.
        let f = parse_reply(Provider::Cos, &complete(), &response(200, &[], "   \n")).unwrap_err();
        assert_eq!(f.code, "InvalidResponse");
    }

    #[test]
    fn part_copy_etag_from_xml_then_header() {
        let r = response(
            200,
            &[("ETag", "\"hdr\""), ("x-cos-hash-crc64ecma", "99")],
            "<CopyPartResult><ETag>\"xml\"</ETag></CopyPartResult>",
        );
        assert_eq!(
            parse_reply(Provider::Cos, &part_copy(), &r).unwrap(),
            Reply::PartCopied {
                etag: "\"xml\"".into(),
                crc64: Some(99)
            }
        );
        let r = response(200, &[("ETag", "\"hdr\"")], Bytes::new());
        assert_eq!(
            parse_reply(Provider::Oss, &part_copy(), &r).unwrap(),
            Reply::PartCopied {
                etag: "\"hdr\"".into(),
                crc64: None
            }
        );
        let r = response(200, &[("ETag", "\"hdr\"")], "<CopyPartResult><ETag>");
        let f = parse_reply(Provider::Oss, &part_copy(), &r).unwrap_err();
        assert_eq!(f.code, "InvalidResponse");
    }

    #[test]
    fn part_copy_412_is_precondition_failed() {
        let body = "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>";
        let f = parse_reply(Provider::Oss, &part_copy(), &response(412, &[], body)).unwrap_err();
        assert_eq!(f.kind, FailureKind::PreconditionFailed);
    }

    fn page(truncated: bool, next: Option<u32>, numbers: &[u32]) -> String {
        let mut s = String::from("<ListPartsResult><UploadId>u</UploadId>");
        if let Some(n) = next {
            s.push_str(&format!("<NextPartNumberMarker>{n}</NextPartNumberMarker>"));
        }
        s.push_str(&format!("<IsTruncated>{truncated}</IsTruncated>"));
        for n in numbers {
            s.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>\"e{n}\"</ETag><Size>{}</Size></Part>",
                n * 10
            ));
        }
        s.push_str("</ListPartsResult>");
        s
    }

    #[test]
    fn list_parts_next_marker_only_when_truncated() {
        let r = response(200, &[], page(true, Some(2), &[1, 2]));
        let Reply::Parts { parts, next_marker } = parse_reply(Provider::Cos, &list(None), &r).unwrap() else {
            panic!("not Parts");
        };
        assert_eq!(next_marker, Some(2));
        assert_eq!(
            parts[1],
            ListedPart {
                number: 2,
                etag: "\"e2\"".into(),
                size: 20
            }
        );
        let r = response(200, &[], page(false, Some(4), &[3, 4]));
        let Reply::Parts { next_marker, .. } = parse_reply(Provider::Oss, &list(Some(2)), &r).unwrap() else {
            panic!("not Parts");
        };
        assert_eq!(next_marker, None);
        // Truncated without a marker: after the last part listed.
        let r = response(200, &[], page(true, None, &[5, 6]));
        let Reply::Parts { next_marker, .. } = parse_reply(Provider::Oss, &list(Some(4)), &r).unwrap() else {
            panic!("not Parts");
        };
        assert_eq!(next_marker, Some(6));
    }

    #[test]
    fn list_parts_marker_must_advance() {
        let r = response(200, &[], page(true, Some(2), &[]));
        let f = parse_reply(Provider::Cos, &list(Some(2)), &r).unwrap_err();
        assert_eq!(f.code, "InvalidResponse");
        let r = response(200, &[], page(true, None, &[]));
        assert!(parse_reply(Provider::Cos, &list(None), &r).is_err());
    }

    fn uploads_op(after: Option<(&str, &str)>) -> Operation {
        Operation::ListUploads {
            prefix: "k".into(),
            after: after.map(|(key, id)| UploadMarker {
                key: key.into(),
                upload_id: id.into(),
            }),
            max_uploads: None,
        }
    }

    fn uploads_page(
        truncated: bool,
        encoded: bool,
        next: Option<(&str, &str)>,
        uploads: &[(&str, &str)],
    ) -> String {
        let mut xml = String::from("<ListMultipartUploadsResult><Bucket>b</Bucket>");
        if encoded {
            xml.push_str("<EncodingType>url</EncodingType>");
        }
        if let Some((key, id)) = next {
            xml.push_str(&format!(
                "<NextKeyMarker>{key}</NextKeyMarker><NextUploadIdMarker>{id}</NextUploadIdMarker>"
            ));
        }
        xml.push_str(&format!("<IsTruncated>{truncated}</IsTruncated>"));
        for (key, id) in uploads {
            xml.push_str(&format!(
                "<Upload><Key>{key}</Key><UploadId>{id}</UploadId></Upload>"
            ));
        }
        xml + "</ListMultipartUploadsResult>"
    }

    /// (key, upload id) of each upload on a page, and where the next page starts.
    type UploadsPage = (Vec<(String, String)>, Option<UploadMarker>);

    fn uploads_reply(op: &Operation, body: String) -> Result<UploadsPage, Failure> {
        match parse_reply(Provider::Cos, op, &response(200, &[], body))? {
            Reply::Uploads { uploads, next } => {
                Ok((uploads.into_iter().map(|u| (u.key, u.upload_id)).collect(), next))
            }
            other => panic!("not Uploads: {other:?}"),
        }
    }

    #[test]
    fn list_uploads_decodes_keys_only_when_encoded_and_pages_forward() {
        let marker = |key: &str, id: &str| UploadMarker {
            key: key.into(),
            upload_id: id.into(),
        };
        // Encoded: keys and the next key marker are decoded (`+` stays a plus).
        let body = uploads_page(
            true,
            true,
            Some(("a%20b%2B", "u2")),
            &[("a%20b", "u1"), ("a%20b%2B", "u2")],
        );
        let (uploads, next) = uploads_reply(&uploads_op(None), body).unwrap();
        assert_eq!(
            uploads,
            [("a b".into(), "u1".into()), ("a b+".into(), "u2".into())]
        );
        assert_eq!(next, Some(marker("a b+", "u2")));
        // Not encoded: as sent.
        let body = uploads_page(false, false, None, &[("a%20b", "u1")]);
        assert_eq!(
            uploads_reply(&uploads_op(None), body).unwrap(),
            (vec![("a%20b".into(), "u1".into())], None)
        );
        // Truncated without next markers: after the last upload listed.
        let body = uploads_page(true, false, None, &[("k", "u3")]);
        assert_eq!(
            uploads_reply(&uploads_op(Some(("k", "u2"))), body).unwrap().1,
            Some(marker("k", "u3"))
        );
        // A next marker that does not advance past the one asked for is an invalid answer.
        let body = uploads_page(true, false, Some(("k", "u2")), &[]);
        let f = uploads_reply(&uploads_op(Some(("k", "u2"))), body).unwrap_err();
        assert_eq!(f.code, "InvalidResponse");
        let body = uploads_page(true, false, None, &[]);
        assert!(uploads_reply(&uploads_op(None), body).is_err());
        // A key that is not percent-encoded UTF-8, and an upload without an id.
        let body = uploads_page(false, true, None, &[("%FF", "u1")]);
        assert!(uploads_reply(&uploads_op(None), body).is_err());
        let body = uploads_page(false, false, None, &[("k", "")]);
        assert!(uploads_reply(&uploads_op(None), body).is_err());
    }

    fn objects_reply(
        marker: Option<&str>,
        body: String,
    ) -> Result<(Vec<ListedObject>, Option<String>), Failure> {
        let op = Operation::ListObjects {
            prefix: "k".into(),
            marker: marker.map(str::to_string),
            max_keys: None,
        };
        match parse_reply(Provider::Oss, &op, &response(200, &[], body))? {
            Reply::Objects { objects, next } => Ok((objects, next)),
            other => panic!("not Objects: {other:?}"),
        }
    }

    fn objects_page(truncated: bool, encoded: bool, next: Option<&str>, objects: &[(&str, &str)]) -> String {
        let mut xml = String::from("<ListBucketResult><Name>b</Name><Prefix>k</Prefix>");
        if encoded {
            xml.push_str("<EncodingType>url</EncodingType>");
        }
        if let Some(next) = next {
            xml.push_str(&format!("<NextMarker>{next}</NextMarker>"));
        }
        xml.push_str(&format!("<IsTruncated>{truncated}</IsTruncated>"));
        for (key, size) in objects {
            xml.push_str(&format!(
                "<Contents><Key>{key}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified>\
                 <ETag>\"e\"</ETag><Size>{size}</Size><StorageClass>IA</StorageClass></Contents>"
            ));
        }
        xml + "<CommonPrefixes><Prefix>k/d/</Prefix></CommonPrefixes></ListBucketResult>"
    }

    #[test]
    fn list_objects_decodes_keys_only_when_encoded_and_pages_forward() {
        // Encoded: keys and the next marker are decoded (`+` stays a plus); every field is read.
        let body = objects_page(
            true,
            true,
            Some("k%2B%20"),
            &[("k%20a", "0"), ("k%2B%20", "5368709121")],
        );
        let (objects, next) = objects_reply(None, body).unwrap();
        assert_eq!(
            objects[1],
            ListedObject {
                key: "k+ ".into(),
                size: 5_368_709_121,
                etag: Some("\"e\"".into()),
                last_modified: Some("2026-01-02T03:04:05.000Z".into()),
                storage_class: Some("IA".into()),
            }
        );
        assert_eq!(objects[0].key, "k a");
        assert_eq!(next.as_deref(), Some("k+ "));
        // Not encoded: as sent. The common prefixes are not objects.
        let (objects, next) =
            objects_reply(None, objects_page(false, false, None, &[("k%20a", "1")])).unwrap();
        assert_eq!((objects.len(), objects[0].key.as_str(), next), (1, "k%20a", None));
        // Truncated without a next marker: after the last key listed.
        let body = objects_page(true, false, None, &[("k1", "1"), ("k2", "1")]);
        assert_eq!(objects_reply(Some("k0"), body).unwrap().1.as_deref(), Some("k2"));
        // A next marker that does not advance past the one asked for is an invalid answer.
        let f = objects_reply(Some("k2"), objects_page(true, false, Some("k2"), &[])).unwrap_err();
        assert_eq!(f.code, "InvalidResponse");
        assert!(objects_reply(None, objects_page(true, false, None, &[])).is_err());
        // A key that is not percent-encoded UTF-8, an object without a size or with a bad one.
        assert!(objects_reply(None, objects_page(false, true, None, &[("%FF", "1")])).is_err());
        assert!(objects_reply(None, objects_page(false, false, None, &[("k", "-1")])).is_err());
        let body = "<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>".to_string();
        assert!(objects_reply(None, body).is_err());
    }

    #[test]
    fn list_parts_no_such_upload() {
        let body = "<Error><Code>NoSuchUpload</Code><Message>gone</Message><RequestId>r</RequestId></Error>";
        let f = parse_reply(Provider::Oss, &list(None), &response(404, &[], body)).unwrap_err();
        assert_eq!(f.kind, FailureKind::NoSuchUpload);
    }

    #[test]
    fn initiate_and_tagging() {
        let r = response(
            200,
            &[("date", "Sun, 22 Nov 2026 05:30:00 GMT")],
            "<InitiateMultipartUploadResult xmlns=\"http://doc.oss-cn-hangzhou.aliyuncs.com\"><Bucket>b</Bucket>\
             <Key>k</Key><UploadId>0004B9894A22E5B1888A1E29F823</UploadId></InitiateMultipartUploadResult>",
        );
        let op = Operation::Initiate {
            metadata: ObjectMetadata::default(),
            tags: vec![],
            storage_class: None,
            encryption: None,
        };
        assert_eq!(
            parse_reply(Provider::Oss, &op, &r).unwrap(),
            Reply::Initiated {
                upload_id: "0004B9894A22E5B1888A1E29F823".into(),
                date: Some("Sun, 22 Nov 2026 05:30:00 GMT".into()),
            }
        );
        // A Date that is not text does not cost the upload: it is read as absent.
        let mut r = r;
        r.headers_mut().insert(
            "date",
            http::HeaderValue::from_bytes(b"Sun, 22 Nov \xff").unwrap(),
        );
        assert_eq!(
            parse_reply(Provider::Oss, &op, &r).unwrap(),
            Reply::Initiated {
                upload_id: "0004B9894A22E5B1888A1E29F823".into(),
                date: None,
            }
        );
        let r = response(
            200,
            &[],
            "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>",
        );
        assert_eq!(
            parse_reply(Provider::Cos, &Operation::GetSourceTagging, &r).unwrap(),
            Reply::Tagging(vec![("a".into(), "1".into())])
        );
        let r = response(200, &[], Bytes::new());
        assert!(parse_reply(Provider::Cos, &op, &r).is_err());
    }

    #[test]
    fn abort_accepts_204_and_200() {
        let op = Operation::Abort {
            upload_id: "u".into(),
        };
        assert_eq!(
            parse_reply(Provider::Cos, &op, &response(204, &[], Bytes::new())),
            Ok(Reply::Aborted)
        );
        assert_eq!(
            parse_reply(Provider::Oss, &op, &response(200, &[], Bytes::new())),
            Ok(Reply::Aborted)
        );
        let f = parse_reply(Provider::Oss, &op, &response(404, &[], Bytes::new())).unwrap_err();
        assert_eq!(f.kind, FailureKind::Fatal);
    }

    #[test]
    fn oversized_bodies_are_refused() {
        let body = vec![b' '; crate::xml::MAX_BODY_BYTES + 1];
        let f = parse_reply(Provider::Cos, &list(None), &response(200, &[], body)).unwrap_err();
        assert_eq!(f.code, "InvalidResponse");
        assert!(f.message.contains("exceeds"), "{}", f.message);
    }
}
