//! The success documents COS and OSS send for the copy operations, and their parsers.
//!
//! Both services use the same element names (S3's), so one parser serves both dialects; elements a
//! dialect adds (COS `<CRC64>`, `<Initiator>`, `<Owner>`, OSS `<EncodingType>`, …) are read when
//! useful and otherwise ignored. Values are trimmed of surrounding whitespace except tag keys and
//! values, which are kept verbatim. ETags are kept exactly as sent, quotes included.

use crate::xml::{boolean, non_empty, number, scan_flat, walk, Visit, XmlError};

/// `<InitiateMultipartUploadResult>`: the answer to Initiate Multipart Upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitiateResult {
    /// `<Bucket>`, when present.
    pub bucket: Option<String>,
    /// `<Key>`, when present.
    pub key: Option<String>,
    /// `<UploadId>`: the new upload.
    pub upload_id: String,
}

/// `<CopyObjectResult>`: the answer to PUT Object - Copy (CopyObject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyObjectResult {
    /// `<ETag>` of the new object, when present (oss2 reads the `ETag` header instead).
    pub etag: Option<String>,
    /// `<LastModified>`, verbatim.
    pub last_modified: Option<String>,
    /// COS `<CRC64>`: CRC-64/XZ of the new object, when the source has one.
    pub crc64: Option<u64>,
}

/// `<CopyPartResult>`: the answer to Upload Part - Copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPartResult {
    /// `<ETag>` of the part, when present.
    pub etag: Option<String>,
    /// `<LastModified>`, verbatim.
    pub last_modified: Option<String>,
    /// `<CRC64>` of the part, when present.
    pub crc64: Option<u64>,
}

/// `<CompleteMultipartUploadResult>`: the answer to Complete Multipart Upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteResult {
    /// `<Location>`: URL of the new object.
    pub location: Option<String>,
    /// `<Bucket>`.
    pub bucket: Option<String>,
    /// `<Key>`.
    pub key: Option<String>,
    /// `<ETag>` of the new object.
    pub etag: Option<String>,
}

/// One `<Part>` of a `<ListPartsResult>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartEntry {
    /// `<PartNumber>`.
    pub number: u32,
    /// `<ETag>`, verbatim.
    pub etag: String,
    /// `<Size>` in bytes.
    pub size: u64,
    /// `<LastModified>`, verbatim.
    pub last_modified: Option<String>,
    /// OSS `<HashCrc64ecma>` of the part, when present.
    pub crc64: Option<u64>,
}

/// `<ListPartsResult>`: one page of List Parts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListPartsResult {
    /// `<Bucket>`.
    pub bucket: Option<String>,
    /// `<Key>`.
    pub key: Option<String>,
    /// `<UploadId>`.
    pub upload_id: Option<String>,
    /// `<PartNumberMarker>`: the marker this page starts after.
    pub part_number_marker: Option<u32>,
    /// `<NextPartNumberMarker>`: the marker for the next page.
    pub next_part_number_marker: Option<u32>,
    /// `<MaxParts>`: the page size.
    pub max_parts: Option<u32>,
    /// `<IsTruncated>`: whether more pages follow (false when absent).
    pub is_truncated: bool,
    /// The parts on this page, in document order.
    pub parts: Vec<PartEntry>,
}

/// One `<Upload>` of a `<ListMultipartUploadsResult>`, as sent (a key still percent-encoded when
/// the page says `<EncodingType>url</EncodingType>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadEntry {
    /// `<Key>`.
    pub key: String,
    /// `<UploadId>`.
    pub upload_id: String,
    /// `<Initiated>`, verbatim.
    pub initiated: Option<String>,
    /// `<StorageClass>`.
    pub storage_class: Option<String>,
}

/// `<ListMultipartUploadsResult>`: one page of List Multipart Uploads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListUploadsResult {
    /// `<EncodingType>`: `url` when keys and key markers are percent-encoded.
    pub encoding_type: Option<String>,
    /// `<NextKeyMarker>`.
    pub next_key_marker: Option<String>,
    /// `<NextUploadIdMarker>`.
    pub next_upload_id_marker: Option<String>,
    /// `<IsTruncated>`: whether more pages follow (false when absent).
    pub is_truncated: bool,
    /// The uploads on this page, in document order.
    pub uploads: Vec<UploadEntry>,
}

/// One `<Contents>` of a `<ListBucketResult>`, as sent (a key still percent-encoded when the page
/// says `<EncodingType>url</EncodingType>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    /// `<Key>`.
    pub key: String,
    /// `<Size>`.
    pub size: u64,
    /// `<ETag>`, verbatim (quotes included).
    pub etag: Option<String>,
    /// `<LastModified>`, verbatim.
    pub last_modified: Option<String>,
    /// `<StorageClass>`.
    pub storage_class: Option<String>,
}

/// `<ListBucketResult>`: one page of List Objects (version 1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListObjectsResult {
    /// `<EncodingType>`: `url` when keys and markers are percent-encoded.
    pub encoding_type: Option<String>,
    /// `<NextMarker>`: where the next page starts (sent only with a delimiter by some services).
    pub next_marker: Option<String>,
    /// `<IsTruncated>`: whether more pages follow (false when absent).
    pub is_truncated: bool,
    /// The objects on this page, in document order.
    pub objects: Vec<ObjectEntry>,
}

/// Parses a `<ListBucketResult>` page. Every `<Contents>` must have `<Key>` and `<Size>`; keys
/// are returned as sent (see [`ListObjectsResult::encoding_type`]). `<CommonPrefixes>` are not
/// read: partcopy lists without a delimiter.
///
/// # Errors
/// An [`XmlError`]: a missing object field is [`XmlError::MissingElement`], a bad number or
/// boolean [`XmlError::InvalidValue`].
pub fn parse_list_objects(body: &[u8]) -> Result<ListObjectsResult, XmlError> {
    let mut out = ListObjectsResult::default();
    // Key, size, ETag, last-modified, storage class of the `<Contents>` being read.
    type Draft = (
        Option<String>,
        Option<u64>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let mut draft: Option<Draft> = None;
    walk(body, "ListBucketResult", |visit, path, text| {
        match (visit, path) {
            (Visit::Open, [contents]) if contents == "Contents" => draft = Some(Default::default()),
            (Visit::Close, [contents]) if contents == "Contents" => {
                if let Some((key, size, etag, last_modified, class)) = draft.take() {
                    out.objects.push(ObjectEntry {
                        key: key.ok_or(XmlError::MissingElement("Key"))?,
                        size: size.ok_or(XmlError::MissingElement("Size"))?,
                        etag,
                        last_modified,
                        storage_class: class,
                    });
                }
            }
            (Visit::Close, [contents, leaf]) if contents == "Contents" => {
                if let Some(d) = draft.as_mut() {
                    match leaf.as_str() {
                        "Key" => d.0 = Some(text.to_string()),
                        "Size" => d.1 = Some(number("Size", text)?),
                        "ETag" => d.2 = non_empty(text),
                        "LastModified" => d.3 = non_empty(text),
                        "StorageClass" => d.4 = non_empty(text),
                        _ => {}
                    }
                }
            }
            (Visit::Close, [leaf]) => match leaf.as_str() {
                "EncodingType" => out.encoding_type = non_empty(text),
                "NextMarker" => out.next_marker = Some(text.to_string()),
                "IsTruncated" => out.is_truncated = boolean("IsTruncated", text)?,
                _ => {}
            },
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

/// Parses a `<ListMultipartUploadsResult>` page. Every `<Upload>` must have `<Key>` and
/// `<UploadId>`; keys are returned as sent (see [`ListUploadsResult::encoding_type`]).
///
/// # Errors
/// An [`XmlError`]: a missing upload field is [`XmlError::MissingElement`], a bad boolean
/// [`XmlError::InvalidValue`].
pub fn parse_list_uploads(body: &[u8]) -> Result<ListUploadsResult, XmlError> {
    let mut out = ListUploadsResult::default();
    // Key, upload id, initiated, storage class of the `<Upload>` being read.
    let mut draft: Option<[Option<String>; 4]> = None;
    walk(body, "ListMultipartUploadsResult", |visit, path, text| {
        match (visit, path) {
            (Visit::Open, [upload]) if upload == "Upload" => draft = Some(Default::default()),
            (Visit::Close, [upload]) if upload == "Upload" => {
                if let Some([key, id, initiated, class]) = draft.take() {
                    out.uploads.push(UploadEntry {
                        // A key may be empty in principle; the id may not.
                        key: key.ok_or(XmlError::MissingElement("Key"))?,
                        upload_id: id
                            .filter(|id| !id.is_empty())
                            .ok_or(XmlError::MissingElement("UploadId"))?,
                        initiated,
                        storage_class: class,
                    });
                }
            }
            (Visit::Close, [upload, leaf]) if upload == "Upload" => {
                if let Some(d) = draft.as_mut() {
                    match leaf.as_str() {
                        "Key" => d[0] = Some(text.to_string()),
                        "UploadId" => d[1] = non_empty(text),
                        "Initiated" => d[2] = non_empty(text),
                        "StorageClass" => d[3] = non_empty(text),
                        _ => {}
                    }
                }
            }
            (Visit::Close, [leaf]) => match leaf.as_str() {
                "EncodingType" => out.encoding_type = non_empty(text),
                "NextKeyMarker" => out.next_key_marker = Some(text.to_string()),
                "NextUploadIdMarker" => out.next_upload_id_marker = non_empty(text),
                "IsTruncated" => out.is_truncated = boolean("IsTruncated", text)?,
                _ => {}
            },
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

/// Parses an `<InitiateMultipartUploadResult>`.
///
/// # Errors
/// An [`XmlError`]; [`XmlError::MissingElement`] when `<UploadId>` is absent or empty.
pub fn parse_initiate(body: &[u8]) -> Result<InitiateResult, XmlError> {
    let (mut bucket, mut key, mut upload_id) = (None, None, None);
    walk(body, "InitiateMultipartUploadResult", |visit, path, text| {
        if visit == Visit::Close {
            match path {
                [leaf] if leaf == "Bucket" => bucket = non_empty(text),
                [leaf] if leaf == "Key" => key = non_empty(text),
                [leaf] if leaf == "UploadId" => upload_id = non_empty(text),
                _ => {}
            }
        }
        Ok(())
    })?;
    Ok(InitiateResult {
        bucket,
        key,
        upload_id: upload_id.ok_or(XmlError::MissingElement("UploadId"))?,
    })
}

/// The fields `<CopyObjectResult>` and `<CopyPartResult>` share.
fn parse_copy_fields(body: &[u8], root: &'static str) -> Result<CopyObjectResult, XmlError> {
    let (mut etag, mut last_modified, mut crc64) = (None, None, None);
    let mut leaf = |name: &str, text: &str| -> Result<(), XmlError> {
        match name {
            "ETag" => etag = non_empty(text),
            "LastModified" => last_modified = non_empty(text),
            "CRC64" => {
                crc64 = match non_empty(text) {
                    Some(t) => Some(number("CRC64", &t)?),
                    None => None,
                }
            }
            _ => {}
        }
        Ok(())
    };
    // Every part's answer takes the fast path; anything unusual is read in full.
    match scan_flat(body, root, &mut leaf) {
        Some(result) => result?,
        None => walk(body, root, |visit, path, text| match (visit, path) {
            (Visit::Close, [name]) => leaf(name, text),
            _ => Ok(()),
        })?,
    }
    Ok(CopyObjectResult {
        etag,
        last_modified,
        crc64,
    })
}

/// Parses a `<CopyObjectResult>` (COS adds `<CRC64>`; OSS sends only `<ETag>` and `<LastModified>`).
///
/// # Errors
/// An [`XmlError`]; an invalid `<CRC64>` is [`XmlError::InvalidValue`].
pub fn parse_copy_object(body: &[u8]) -> Result<CopyObjectResult, XmlError> {
    parse_copy_fields(body, "CopyObjectResult")
}

/// Parses a `<CopyPartResult>`.
///
/// # Errors
/// An [`XmlError`]; an invalid `<CRC64>` is [`XmlError::InvalidValue`].
pub fn parse_copy_part(body: &[u8]) -> Result<CopyPartResult, XmlError> {
    let CopyObjectResult {
        etag,
        last_modified,
        crc64,
    } = parse_copy_fields(body, "CopyPartResult")?;
    Ok(CopyPartResult {
        etag,
        last_modified,
        crc64,
    })
}

/// Parses a `<CompleteMultipartUploadResult>`, after any whitespace COS sent while merging.
///
/// # Errors
/// An [`XmlError`]; [`XmlError::UnexpectedRoot`] (see [`XmlError::is_error_document`]) when COS put
/// an `<Error>` at the end of the body instead.
pub fn parse_complete(body: &[u8]) -> Result<CompleteResult, XmlError> {
    let mut out = CompleteResult {
        location: None,
        bucket: None,
        key: None,
        etag: None,
    };
    walk(body, "CompleteMultipartUploadResult", |visit, path, text| {
        if visit == Visit::Close {
            match path {
                [leaf] if leaf == "Location" => out.location = non_empty(text),
                [leaf] if leaf == "Bucket" => out.bucket = non_empty(text),
                [leaf] if leaf == "Key" => out.key = non_empty(text),
                [leaf] if leaf == "ETag" => out.etag = non_empty(text),
                _ => {}
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// A `<Part>` being read: its fields arrive one element at a time.
#[derive(Default)]
struct PartDraft {
    number: Option<u32>,
    etag: Option<String>,
    size: Option<u64>,
    last_modified: Option<String>,
    crc64: Option<u64>,
}

impl PartDraft {
    fn finish(self) -> Result<PartEntry, XmlError> {
        Ok(PartEntry {
            number: self.number.ok_or(XmlError::MissingElement("PartNumber"))?,
            etag: self.etag.ok_or(XmlError::MissingElement("ETag"))?,
            size: self.size.ok_or(XmlError::MissingElement("Size"))?,
            last_modified: self.last_modified,
            crc64: self.crc64,
        })
    }
}

/// Parses a `<ListPartsResult>` page.
///
/// Every `<Part>` must have `<PartNumber>`, `<ETag>` and `<Size>`. `<NextPartNumberMarker>` is
/// reported as sent; whether it matters depends on `<IsTruncated>`.
///
/// # Errors
/// An [`XmlError`]: a missing part field is [`XmlError::MissingElement`], a bad number or boolean
/// [`XmlError::InvalidValue`].
pub fn parse_list_parts(body: &[u8]) -> Result<ListPartsResult, XmlError> {
    let mut out = ListPartsResult::default();
    let mut draft: Option<PartDraft> = None;
    walk(body, "ListPartsResult", |visit, path, text| {
        match (visit, path) {
            (Visit::Open, [part]) if part == "Part" => draft = Some(PartDraft::default()),
            (Visit::Close, [part]) if part == "Part" => {
                if let Some(d) = draft.take() {
                    out.parts.push(d.finish()?);
                }
            }
            (Visit::Close, [part, leaf]) if part == "Part" => {
                if let Some(d) = draft.as_mut() {
                    match leaf.as_str() {
                        "PartNumber" => d.number = Some(number("PartNumber", text)?),
                        "ETag" => d.etag = non_empty(text),
                        "Size" => d.size = Some(number("Size", text)?),
                        "LastModified" => d.last_modified = non_empty(text),
                        "HashCrc64ecma" | "CRC64" => {
                            d.crc64 = match non_empty(text) {
                                Some(t) => Some(number("HashCrc64ecma", &t)?),
                                None => None,
                            }
                        }
                        _ => {}
                    }
                }
            }
            (Visit::Close, [leaf]) => match leaf.as_str() {
                "Bucket" => out.bucket = non_empty(text),
                "Key" => out.key = non_empty(text),
                "UploadId" => out.upload_id = non_empty(text),
                "PartNumberMarker" => out.part_number_marker = optional_number("PartNumberMarker", text)?,
                "NextPartNumberMarker" => {
                    out.next_part_number_marker = optional_number("NextPartNumberMarker", text)?
                }
                "MaxParts" => out.max_parts = optional_number("MaxParts", text)?,
                "IsTruncated" => out.is_truncated = boolean("IsTruncated", text)?,
                _ => {}
            },
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

/// An empty element is absent; otherwise it must be a number.
fn optional_number<T: std::str::FromStr>(element: &'static str, text: &str) -> Result<Option<T>, XmlError> {
    match non_empty(text) {
        Some(t) => number(element, &t).map(Some),
        None => Ok(None),
    }
}

/// Parses a `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>` document into
/// (key, value) pairs in document order.
///
/// Keys and values are kept verbatim (not trimmed): tags may hold spaces. A tag without `<Key>`
/// is an error; one without `<Value>` has an empty value.
///
/// # Errors
/// An [`XmlError`]; [`XmlError::MissingElement`] for a `<Tag>` without `<Key>`.
pub fn parse_tagging(body: &[u8]) -> Result<Vec<(String, String)>, XmlError> {
    let mut tags = Vec::new();
    let mut current: Option<(Option<String>, String)> = None;
    walk(body, "Tagging", |visit, path, text| {
        match (visit, path) {
            (Visit::Open, [set, tag]) if set == "TagSet" && tag == "Tag" => {
                current = Some((None, String::new()));
            }
            (Visit::Close, [set, tag]) if set == "TagSet" && tag == "Tag" => {
                if let Some((key, value)) = current.take() {
                    tags.push((key.ok_or(XmlError::MissingElement("Key"))?, value));
                }
            }
            (Visit::Close, [set, tag, leaf]) if set == "TagSet" && tag == "Tag" => {
                if let Some((key, value)) = current.as_mut() {
                    match leaf.as_str() {
                        "Key" => *key = Some(text.to_owned()),
                        "Value" => *value = text.to_owned(),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Samples are written after the vendors' API documentation (COS 436/7742, 436/8287, 436/7747,
    // OSS CompleteMultipartUpload, UploadPartCopy, ListParts), with our own values.

    #[test]
    fn initiate_in_both_dialects() {
        let cos = br#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult>
    <Bucket>examplebucket-1250000000</Bucket>
    <Key>dir/a b+c.bin</Key>
    <UploadId>1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361</UploadId>
</InitiateMultipartUploadResult>"#;
        let r = parse_initiate(cos).unwrap();
        assert_eq!(r.bucket.as_deref(), Some("examplebucket-1250000000"));
        assert_eq!(r.key.as_deref(), Some("dir/a b+c.bin"));
        assert!(r.upload_id.starts_with("1585130821cbb7"));

        let oss = br#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
  <Bucket>dst-bucket</Bucket>
  <Key>video/big.mp4</Key>
  <UploadId>0004B9894A22E5B1888A1E29F823****</UploadId>
</InitiateMultipartUploadResult>"#;
        let r = parse_initiate(oss).unwrap();
        assert_eq!(r.upload_id, "0004B9894A22E5B1888A1E29F823****");

        let missing = b"<InitiateMultipartUploadResult><Bucket>b</Bucket><UploadId> </UploadId></InitiateMultipartUploadResult>";
        assert_eq!(parse_initiate(missing), Err(XmlError::MissingElement("UploadId")));
    }

    #[test]
    fn copy_object_cos_with_crc_and_oss_without() {
        let cos = br#"<?xml version='1.0' encoding='utf-8' ?>
<CopyObjectResult>
	<ETag>"ee8de918d05640145b18f70f4c3aa602"</ETag>
	<CRC64>16749565679157681890</CRC64>
	<LastModified>2026-03-04T05:06:07Z</LastModified>
	<VersionId>MTg0NDUxNTc1NjIzMTQ1MDAwODg</VersionId>
</CopyObjectResult>"#;
        let r = parse_copy_object(cos).unwrap();
        assert_eq!(r.etag.as_deref(), Some("\"ee8de918d05640145b18f70f4c3aa602\""));
        assert_eq!(r.crc64, Some(16749565679157681890));
        assert_eq!(r.last_modified.as_deref(), Some("2026-03-04T05:06:07Z"));

        let oss = br#"<?xml version="1.0" encoding="UTF-8"?>
<CopyObjectResult>
  <ETag>&quot;5B3C1A2E053D763E1B002CC607C5A0FE&quot;</ETag>
  <LastModified>2026-03-04T05:06:07.000Z</LastModified>
</CopyObjectResult>"#;
        let r = parse_copy_object(oss).unwrap();
        assert_eq!(r.etag.as_deref(), Some("\"5B3C1A2E053D763E1B002CC607C5A0FE\""));
        assert_eq!(r.crc64, None);

        let bad = b"<CopyObjectResult><CRC64>-5</CRC64></CopyObjectResult>";
        assert!(matches!(
            parse_copy_object(bad),
            Err(XmlError::InvalidValue { element: "CRC64", .. })
        ));
    }

    #[test]
    fn copy_part_in_both_dialects() {
        let cos = br#"<CopyPartResult><ETag>"ba82b57cfdfda8bd17ad4e5879ebb4fe"</ETag><LastModified>2026-01-02T03:04:05Z</LastModified></CopyPartResult>"#;
        let r = parse_copy_part(cos).unwrap();
        assert_eq!(r.etag.as_deref(), Some("\"ba82b57cfdfda8bd17ad4e5879ebb4fe\""));
        let oss = br#"<?xml version="1.0" encoding="UTF-8"?>
<CopyPartResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
    <LastModified>2026-01-02T03:04:05.000Z</LastModified>
    <ETag>"3E1A1B2C0F5F3B4D5B6A7C8D9E0F1A2B"</ETag>
</CopyPartResult>"#;
        let r = parse_copy_part(oss).unwrap();
        assert_eq!(r.etag.as_deref(), Some("\"3E1A1B2C0F5F3B4D5B6A7C8D9E0F1A2B\""));
        assert_eq!(r.last_modified.as_deref(), Some("2026-01-02T03:04:05.000Z"));
        // A CopyObjectResult is not a CopyPartResult.
        assert!(matches!(
            parse_copy_part(b"<CopyObjectResult/>"),
            Err(XmlError::UnexpectedRoot { .. })
        ));
    }

    #[test]
    fn complete_after_cos_whitespace_padding() {
        let mut body = Vec::new();
        for _ in 0..50 {
            body.extend_from_slice(b" \n");
        }
        body.extend_from_slice(
            br#"<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult>
    <Location>examplebucket-1250000000.cos.ap-beijing.myqcloud.com/exampleobject</Location>
    <Bucket>examplebucket-1250000000</Bucket>
    <Key>exampleobject</Key>
    <ETag>"aa259a62513358f69e98e72e59856d88-3"</ETag>
</CompleteMultipartUploadResult>"#,
        );
        let r = parse_complete(&body).unwrap();
        assert_eq!(r.etag.as_deref(), Some("\"aa259a62513358f69e98e72e59856d88-3\""));
        assert_eq!(r.key.as_deref(), Some("exampleobject"));
        assert!(r.location.unwrap().starts_with("examplebucket-1250000000.cos."));

        let oss = br#"<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
  <EncodingType>url</EncodingType>
  <Location>http://oss-example.oss-cn-hangzhou.aliyuncs.com/multipart.data</Location>
  <Bucket>oss-example</Bucket>
  <Key>multipart.data</Key>
  <ETag>"B864DB6A936D376F9F8D3ED3BBE540DD-3"</ETag>
</CompleteMultipartUploadResult>"#;
        assert_eq!(
            parse_complete(oss).unwrap().bucket.as_deref(),
            Some("oss-example")
        );

        let mut err = b"       ".to_vec();
        err.extend_from_slice(b"<Error><Code>InternalError</Code></Error>");
        assert!(parse_complete(&err).unwrap_err().is_error_document());
    }

    #[test]
    fn list_parts_cos_truncated_with_owner_and_initiator() {
        let cos = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult>
    <Bucket>examplebucket-1250000000</Bucket>
    <Encoding-type/>
    <Key>exampleobject</Key>
    <UploadId>1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361</UploadId>
    <Initiator>
        <ID>qcs::cam::uin/100000000001:uin/100000000001</ID>
        <DisplayName>100000000001</DisplayName>
    </Initiator>
    <Owner>
        <ID>qcs::cam::uin/100000000001:uin/100000000001</ID>
        <DisplayName>100000000001</DisplayName>
    </Owner>
    <PartNumberMarker>0</PartNumberMarker>
    <Part>
        <PartNumber>1</PartNumber>
        <LastModified>2026-03-25T10:07:15.000Z</LastModified>
        <ETag>"6dd55b63a8fa1ac1b1e1b1e8cd6f7e2b"</ETag>
        <Size>1048576</Size>
    </Part>
    <Part>
        <PartNumber>2</PartNumber>
        <LastModified>2026-03-25T10:07:16.000Z</LastModified>
        <ETag>"a1e1b1e8cd6f7e2b6dd55b63a8fa1ac1"</ETag>
        <Size>1048576</Size>
    </Part>
    <NextPartNumberMarker>2</NextPartNumberMarker>
    <StorageClass>STANDARD</StorageClass>
    <MaxParts>2</MaxParts>
    <IsTruncated>true</IsTruncated>
</ListPartsResult>"#;
        let r = parse_list_parts(cos).unwrap();
        assert!(r.is_truncated);
        assert_eq!(r.part_number_marker, Some(0));
        assert_eq!(r.next_part_number_marker, Some(2));
        assert_eq!(r.max_parts, Some(2));
        assert_eq!(r.parts.len(), 2);
        assert_eq!(
            r.parts[1],
            PartEntry {
                number: 2,
                etag: "\"a1e1b1e8cd6f7e2b6dd55b63a8fa1ac1\"".into(),
                size: 1048576,
                last_modified: Some("2026-03-25T10:07:16.000Z".into()),
                crc64: None,
            }
        );
    }

    #[test]
    fn list_parts_oss_last_page_with_crc() {
        let oss = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
    <Bucket>multipart_upload</Bucket>
    <Key>multipart.data</Key>
    <UploadId>0004B999EF5A239BB9138C6227D6****</UploadId>
    <NextPartNumberMarker>5</NextPartNumberMarker>
    <MaxParts>1000</MaxParts>
    <IsTruncated>false</IsTruncated>
    <Part>
        <PartNumber>1</PartNumber>
        <LastModified>2026-02-01T10:11:12.000Z</LastModified>
        <ETag>"3349DC700140D7F86A0784842780****"</ETag>
        <HashCrc64ecma>1637249283629117413</HashCrc64ecma>
        <Size>6291456</Size>
    </Part>
    <Part>
        <PartNumber>5</PartNumber>
        <LastModified>2026-02-01T10:11:13.000Z</LastModified>
        <ETag>"7265F4D211B56873A381D321F586****"</ETag>
        <Size>1024</Size>
    </Part>
</ListPartsResult>"#;
        let r = parse_list_parts(oss).unwrap();
        assert!(!r.is_truncated);
        assert_eq!(r.parts.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 5]);
        assert_eq!(r.parts[0].crc64, Some(1637249283629117413));
        assert_eq!(r.parts[1].size, 1024);
        assert_eq!(r.upload_id.as_deref(), Some("0004B999EF5A239BB9138C6227D6****"));
    }

    #[test]
    fn list_parts_rejects_incomplete_parts_and_bad_values() {
        let no_etag =
            b"<ListPartsResult><Part><PartNumber>1</PartNumber><Size>3</Size></Part></ListPartsResult>";
        assert_eq!(parse_list_parts(no_etag), Err(XmlError::MissingElement("ETag")));
        let bad_size = b"<ListPartsResult><Part><PartNumber>1</PartNumber><ETag>x</ETag><Size>3x</Size></Part></ListPartsResult>";
        assert!(matches!(
            parse_list_parts(bad_size),
            Err(XmlError::InvalidValue { element: "Size", .. })
        ));
        let bad_bool = b"<ListPartsResult><IsTruncated>maybe</IsTruncated></ListPartsResult>";
        assert!(matches!(
            parse_list_parts(bad_bool),
            Err(XmlError::InvalidValue {
                element: "IsTruncated",
                ..
            })
        ));
        let empty = b"<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>";
        assert_eq!(parse_list_parts(empty).unwrap().parts, vec![]);
    }

    #[test]
    fn tagging_keeps_keys_and_values_verbatim() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Tagging>
  <TagSet>
    <Tag><Key>team</Key><Value>storage &amp; backup</Value></Tag>
    <Tag><Key> padded </Key><Value></Value></Tag>
    <Tag><Key>&#x4e2d;&#25991;</Key><Value><![CDATA[a<b]]></Value></Tag>
  </TagSet>
</Tagging>"#;
        let tags = parse_tagging(body).unwrap();
        assert_eq!(
            tags,
            vec![
                ("team".to_string(), "storage & backup".to_string()),
                (" padded ".to_string(), String::new()),
                ("中文".to_string(), "a<b".to_string()),
            ]
        );
        assert_eq!(parse_tagging(b"<Tagging><TagSet/></Tagging>").unwrap(), vec![]);
        let keyless = b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>";
        assert_eq!(parse_tagging(keyless), Err(XmlError::MissingElement("Key")));
    }

    #[test]
    fn unknown_elements_anywhere_are_ignored() {
        let body = br#"<ns:CopyPartResult xmlns:ns="urn:x" ns:attr="1">
  <Future><ETag>"not this one"</ETag></Future>
  <ns:ETag>"this one"</ns:ETag>
  <Extra a="b"/>
</ns:CopyPartResult>"#;
        assert_eq!(
            parse_copy_part(body).unwrap().etag.as_deref(),
            Some("\"this one\"")
        );
    }
}
