//! partcopy-protocol reads the response fixtures in `testdata/responses/` exactly as the vendors'
//! official Python SDKs do. `expected.json` holds what cos-python-sdk-v5, oss2 and
//! alibabacloud-oss-v2 read from each fixture; `sdk_read.py` beside it regenerates it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use partcopy_core::ops::{
    ByteRange, CompletedPart, FailureKind, ListedUpload, MetadataDirective, ObjectMetadata, Operation, Reply,
    UploadMarker,
};
use partcopy_protocol::documents::{
    parse_complete, parse_copy_object, parse_copy_part, parse_initiate, parse_list_parts, parse_list_uploads,
    parse_tagging,
};
use partcopy_protocol::failure::{failure_from_response, parse_error_document};
use partcopy_protocol::provider::Provider;
use partcopy_protocol::response::parse_reply;
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/responses")
}

fn ok(body: &[u8]) -> http::Response<Bytes> {
    http::Response::builder()
        .status(200)
        .body(Bytes::copy_from_slice(body))
        .unwrap()
}

fn s(case: &Value, field: &str) -> Option<String> {
    case[field].as_str().map(str::to_owned)
}

fn u(case: &Value, field: &str) -> Option<u64> {
    case[field].as_u64()
}

fn tags(case: &Value) -> Vec<(String, String)> {
    case["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t[0].as_str().unwrap().to_owned(),
                t[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn check(provider: Provider, case: &Value, body: &[u8]) {
    let file = case["file"].as_str().unwrap();
    match case["kind"].as_str().unwrap() {
        "initiate" => {
            let r = parse_initiate(body).unwrap();
            assert_eq!(Some(r.upload_id.clone()), s(case, "upload_id"), "{file}");
            let op = Operation::Initiate {
                metadata: ObjectMetadata::default(),
                tags: vec![],
                storage_class: None,
                encryption: None,
            };
            assert_eq!(
                parse_reply(provider, &op, &ok(body)).unwrap(),
                Reply::Initiated {
                    upload_id: r.upload_id,
                    date: None,
                }
            );
        }
        "copy_object" => {
            let r = parse_copy_object(body).unwrap();
            assert_eq!(r.etag, s(case, "etag"), "{file}");
            assert_eq!(r.last_modified, s(case, "last_modified"), "{file}");
            assert_eq!(r.crc64, u(case, "crc64"), "{file}");
            let op = Operation::PutCopy {
                source_etag: None,
                directive: MetadataDirective::Copy,
                metadata: ObjectMetadata::default(),
                storage_class: None,
                keep_tags: true,
                tags: vec![],
                encryption: None,
            };
            assert_eq!(
                parse_reply(provider, &op, &ok(body)).unwrap(),
                Reply::Copied {
                    etag: s(case, "etag").unwrap(),
                    crc64: u(case, "crc64")
                },
                "{file}"
            );
        }
        "copy_part" => {
            let r = parse_copy_part(body).unwrap();
            assert_eq!(r.etag, s(case, "etag"), "{file}");
            assert_eq!(r.last_modified, s(case, "last_modified"), "{file}");
            let op = Operation::UploadPartCopy {
                upload_id: "u".into(),
                part_number: 1,
                range: ByteRange { first: 0, last: 9 },
                source_etag: "\"e\"".into(),
            };
            assert_eq!(
                parse_reply(provider, &op, &ok(body)).unwrap(),
                Reply::PartCopied {
                    etag: s(case, "etag").unwrap(),
                    crc64: None
                },
                "{file}"
            );
        }
        "complete" => {
            let r = parse_complete(body).unwrap();
            assert_eq!(r.etag, s(case, "etag"), "{file}");
            assert_eq!(r.location, s(case, "location"), "{file}");
            assert_eq!(r.bucket, s(case, "bucket"), "{file}");
            assert_eq!(r.key, s(case, "key"), "{file}");
            let op = Operation::Complete {
                upload_id: "u".into(),
                parts: vec![CompletedPart {
                    number: 1,
                    etag: "\"e\"".into(),
                }]
                .into(),
            };
            assert_eq!(
                parse_reply(provider, &op, &ok(body)).unwrap(),
                Reply::Completed {
                    etag: s(case, "etag").unwrap(),
                    crc64: None
                },
                "{file}"
            );
        }
        "list_parts" => {
            let r = parse_list_parts(body).unwrap();
            let want: Vec<(u32, String, u64)> = case["parts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_u64().unwrap() as u32,
                        p[1].as_str().unwrap().to_owned(),
                        p[2].as_u64().unwrap(),
                    )
                })
                .collect();
            let got: Vec<_> = r
                .parts
                .iter()
                .map(|p| (p.number, p.etag.clone(), p.size))
                .collect();
            assert_eq!(got, want, "{file}");
            assert_eq!(r.is_truncated, case["is_truncated"].as_bool().unwrap(), "{file}");
            let next = u(case, "next_marker").map(|n| n as u32);
            assert_eq!(r.next_part_number_marker, next, "{file}");
            assert_eq!(r.max_parts.map(u64::from), u(case, "max_parts"), "{file}");
            if let Some(crcs) = case["crc64"].as_array() {
                let got: Vec<_> = r.parts.iter().map(|p| p.crc64).collect();
                let want: Vec<_> = crcs.iter().map(Value::as_u64).collect();
                assert_eq!(got, want, "{file}");
            }
            let op = Operation::ListParts {
                upload_id: "u".into(),
                marker: None,
                max_parts: None,
            };
            let Reply::Parts { parts, next_marker } = parse_reply(provider, &op, &ok(body)).unwrap() else {
                panic!("{file}: not a Parts reply");
            };
            assert_eq!(parts.len(), want.len(), "{file}");
            assert_eq!(next_marker, if r.is_truncated { next } else { None }, "{file}");
        }
        "tagging" => {
            assert_eq!(parse_tagging(body).unwrap(), tags(case), "{file}");
            assert_eq!(
                parse_reply(provider, &Operation::GetSourceTagging, &ok(body)).unwrap(),
                Reply::Tagging(tags(case)),
                "{file}"
            );
        }
        "list_uploads" => {
            // The page as the SDKs read it, keys decoded; our reply decodes them likewise.
            let op = Operation::ListUploads {
                prefix: "video/big file".into(),
                after: None,
                max_uploads: Some(2),
            };
            let Reply::Uploads { uploads, next } = parse_reply(provider, &op, &ok(body)).unwrap() else {
                panic!("{file}: not an Uploads reply");
            };
            let want: Vec<ListedUpload> = case["uploads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| ListedUpload {
                    key: u[0].as_str().unwrap().to_owned(),
                    upload_id: u[1].as_str().unwrap().to_owned(),
                    initiated: u[2].as_str().map(str::to_owned),
                    storage_class: u[3].as_str().map(str::to_owned),
                })
                .collect();
            assert_eq!(uploads, want, "{file}");
            assert!(case["is_truncated"].as_bool().unwrap(), "{file}");
            let marker = &case["next"];
            assert_eq!(
                next,
                Some(UploadMarker {
                    key: marker[0].as_str().unwrap().to_owned(),
                    upload_id: marker[1].as_str().unwrap().to_owned(),
                }),
                "{file}"
            );
            let raw = parse_list_uploads(body).unwrap();
            assert_eq!(raw.encoding_type.as_deref(), Some("url"), "{file}");
            assert!(raw.uploads[0].key.contains("%20"), "{file}: sent encoded");
        }
        "error" => {
            let d = parse_error_document(body).unwrap();
            assert_eq!(d.code, s(case, "code"), "{file}");
            assert_eq!(d.message, s(case, "message"), "{file}");
            assert_eq!(d.request_id, s(case, "request_id"), "{file}");
            if provider == Provider::Cos {
                assert_eq!(d.resource, s(case, "resource"), "{file}");
                assert_eq!(d.trace_id, s(case, "trace_id"), "{file}");
            } else {
                assert_eq!(d.host_id, s(case, "host_id"), "{file}");
                assert_eq!(d.ec, s(case, "ec"), "{file}");
            }
            let response = http::Response::builder()
                .status(403)
                .body(Bytes::copy_from_slice(body))
                .unwrap();
            let f = failure_from_response(provider, false, &response);
            assert_eq!(Some(f.code), s(case, "code"), "{file}");
            assert_eq!(f.request_id, s(case, "request_id"), "{file}");
            assert!(f.message.starts_with(&s(case, "message").unwrap()), "{file}");
        }
        "head_error" => {
            let response = http::Response::builder()
                .status(404)
                .header("x-oss-err", case["x_oss_err"].as_str().unwrap())
                .body(Bytes::new())
                .unwrap();
            let f = failure_from_response(provider, true, &response);
            assert_eq!(Some(f.code.clone()), s(case, "code"), "{file}");
            assert_eq!(f.kind, FailureKind::NoSuchKey, "{file}");
            assert_eq!(f.request_id, s(case, "request_id"), "{file}");
            let ec = s(case, "ec").unwrap();
            assert_eq!(
                f.message,
                format!("{} (EC {ec})", s(case, "message").unwrap()),
                "{file}"
            );
            // The fixture itself is the document the header carries.
            assert_eq!(parse_error_document(body).unwrap().code, s(case, "code"));
        }
        other => panic!("{file}: unknown kind {other}"),
    }
}

#[test]
fn fixtures_read_as_the_vendor_sdks_read_them() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("expected.json")).unwrap()).unwrap();
    let mut covered = BTreeSet::new();
    for case in expected["cases"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let provider = match file.split('/').next() {
            Some("cos") => Provider::Cos,
            Some("oss") => Provider::Oss,
            _ => panic!("{file}: no provider directory"),
        };
        let body = std::fs::read(dir().join(file)).unwrap();
        check(provider, case, &body);
        covered.insert(file.to_owned());
    }
    // Every fixture on disk was read by the SDKs (regenerate expected.json after adding one).
    let mut on_disk = BTreeSet::new();
    for sub in ["cos", "oss"] {
        for entry in std::fs::read_dir(dir().join(sub)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            on_disk.insert(format!("{sub}/{name}"));
        }
    }
    assert_eq!(covered, on_disk);
    assert_eq!(covered.len(), 17);
}
