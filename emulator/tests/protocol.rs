//! partcopy-protocol against the emulator: core operations rendered and signed by the protocol crate,
//! sent over HTTP, and the answers parsed back — every operation of a copy job, in both dialects.

mod common;

use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use partcopy_core::ops::{
    ByteRange, CompletedPart, FailureKind, MetadataDirective, ObjectMetadata, Operation, Reply,
};
use partcopy_emulator::{Config, Emulator, FaultKind, FaultPlan, NthFailure, ObjectSpec, OpFaults, Provider};
use partcopy_protocol::credentials::Credentials;
use partcopy_protocol::endpoint::{Endpoint, ObjectAddress};
use partcopy_protocol::provider::Provider as WireProvider;
use partcopy_protocol::render::Renderer;
use partcopy_protocol::response::parse_reply;
use partcopy_protocol::sign::{OssSignature, Signer};

const MIB: u64 = 1024 * 1024;

struct Job<'a> {
    emu: &'a Emulator,
    wire: WireProvider,
    source: ObjectAddress,
    dest: ObjectAddress,
    signer: Signer,
    /// Render with `Renderer::forbid_overwrite`.
    forbid_overwrite: bool,
    /// Render with `Renderer::acl`.
    acl: Option<String>,
}

impl Job<'_> {
    async fn send(&self, op: &Operation) -> Result<Reply, partcopy_core::ops::Failure> {
        let req = Renderer::new(self.source.clone(), self.dest.clone())
            .forbid_overwrite(self.forbid_overwrite)
            .acl(self.acl.clone())
            .render(op, &self.signer, SystemTime::now())
            .unwrap();
        let (parts, body) = req.into_parts();
        let req = http::Request::from_parts(parts, Full::new(body));
        let stream = tokio::net::TcpStream::connect(self.emu.addr()).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let resp = sender.send_request(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let body: Bytes = body.collect().await.unwrap().to_bytes();
        parse_reply(self.wire, op, &http::Response::from_parts(parts, body))
    }
}

fn job<'e>(
    emu: &'e Emulator,
    provider: Provider,
    source: (&str, &str, &str),
    dest: (&str, &str, &str),
) -> Job<'e> {
    let endpoint = Endpoint::parse(&emu.endpoint()).unwrap();
    let wire = match provider {
        Provider::Cos => WireProvider::Cos,
        Provider::Oss => WireProvider::Oss,
    };
    let address = |(region, bucket, key): (&str, &str, &str)| {
        ObjectAddress::new(wire, region, bucket, key).with_endpoint(endpoint.clone())
    };
    let keys = emu.credentials(provider);
    let creds = Credentials::new(keys.access_key_id.clone(), keys.secret.clone());
    let signer = match provider {
        Provider::Cos => Signer::cos(creds),
        Provider::Oss => Signer::oss(OssSignature::V4, creds),
    };
    Job {
        emu,
        wire,
        source: address(source),
        dest: address(dest),
        signer,
        forbid_overwrite: false,
        acl: None,
    }
}

#[tokio::test]
async fn a_copy_job_runs_through_protocol_and_emulator() {
    let emu = Emulator::start(
        Config::default()
            .bucket(Provider::Cos, "src-1250000000", "ap-guangzhou")
            .bucket(Provider::Cos, "dst-1250000000", "ap-beijing")
            .bucket(Provider::Oss, "src", "cn-hangzhou")
            .bucket(Provider::Oss, "dst", "cn-hangzhou"),
    )
    .await
    .unwrap();
    let cases = [
        (
            Provider::Cos,
            ("ap-guangzhou", "src-1250000000"),
            ("ap-beijing", "dst-1250000000"),
        ),
        (Provider::Oss, ("cn-hangzhou", "src"), ("cn-hangzhou", "dst")),
    ];
    for (provider, (src_region, src_bucket), (dst_region, dst_bucket)) in cases {
        let key = "dir/a b+c?%中";
        let p = provider.prefix();
        let info = emu
            .create_object(
                src_bucket,
                key,
                ObjectSpec::generated(5 * MIB + 123, 8)
                    .header("content-type", "text/plain")
                    .header(&format!("{p}-meta-color"), "red")
                    .tag("team", "a b"),
            )
            .unwrap();
        let job = job(
            &emu,
            provider,
            (src_region, src_bucket, key),
            (dst_region, dst_bucket, "out/copy 1"),
        );

        let Reply::Head(head) = job.send(&Operation::HeadSource).await.unwrap() else {
            panic!("not a head reply")
        };
        assert_eq!(head.size, info.size);
        assert_eq!(head.etag.trim_matches('"'), info.etag);
        assert_eq!(head.crc64.map(|c| c.to_string()), Some(info.crc64.clone()));
        assert_eq!(head.metadata.content_type.as_deref(), Some("text/plain"));
        assert_eq!(head.metadata.user, vec![("color".to_string(), "red".to_string())]);
        let tags = job.send(&Operation::GetSourceTagging).await.unwrap();
        assert_eq!(tags, Reply::Tagging(vec![("team".into(), "a b".into())]));

        let Reply::Initiated { upload_id, .. } = job
            .send(&Operation::Initiate {
                metadata: head.metadata.clone(),
                tags: vec![("team".into(), "a b".into())],
                storage_class: None,
                encryption: None,
            })
            .await
            .unwrap()
        else {
            panic!("not initiated")
        };
        let mut parts = Vec::new();
        let ranges = [(0, 2 * MIB - 1), (2 * MIB, 4 * MIB - 1), (4 * MIB, info.size - 1)];
        for (i, (first, last)) in ranges.into_iter().enumerate() {
            let number = i as u32 + 1;
            let reply = job
                .send(&Operation::UploadPartCopy {
                    upload_id: upload_id.clone(),
                    part_number: number,
                    range: ByteRange { first, last },
                    source_etag: head.etag.clone(),
                })
                .await
                .unwrap();
            let Reply::PartCopied { etag, .. } = reply else {
                panic!("not a part copy reply: {reply:?}")
            };
            parts.push(CompletedPart { number, etag });
        }
        // A stale ETag fails as a precondition.
        let stale = job
            .send(&Operation::UploadPartCopy {
                upload_id: upload_id.clone(),
                part_number: 9,
                range: ByteRange { first: 0, last: 9 },
                source_etag: "\"0000\"".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(stale.kind, FailureKind::PreconditionFailed);

        let Reply::Parts {
            parts: page,
            next_marker,
        } = job
            .send(&Operation::ListParts {
                upload_id: upload_id.clone(),
                marker: None,
                max_parts: Some(2),
            })
            .await
            .unwrap()
        else {
            panic!("not a parts reply")
        };
        assert_eq!(page.len(), 2);
        assert_eq!(next_marker, Some(2));
        let Reply::Parts {
            parts: rest,
            next_marker,
        } = job
            .send(&Operation::ListParts {
                upload_id: upload_id.clone(),
                marker: Some(2),
                max_parts: Some(2),
            })
            .await
            .unwrap()
        else {
            panic!("not a parts reply")
        };
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].size, info.size - 4 * MIB);
        assert_eq!(next_marker, None);

        let done = job
            .send(&Operation::Complete {
                upload_id: upload_id.clone(),
                parts: parts.clone().into(),
            })
            .await
            .unwrap();
        let Reply::Completed { etag, crc64 } = done else {
            panic!("not completed: {done:?}")
        };
        assert!(etag.trim_matches('"').ends_with("-3"));
        assert_eq!(crc64.map(|c| c.to_string()), Some(info.crc64.clone()));
        assert!(emu
            .same_content((src_bucket, key), (dst_bucket, "out/copy 1"))
            .unwrap());
        let copied = emu.object_info(dst_bucket, "out/copy 1").unwrap();
        assert_eq!(
            copied.headers.get(&format!("{p}-meta-color")).map(String::as_str),
            Some("red")
        );
        assert_eq!(copied.tags, vec![("team".to_string(), "a b".to_string())]);

        // The upload is gone: Abort and ListParts say NoSuchUpload.
        let gone = job
            .send(&Operation::Abort {
                upload_id: upload_id.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(gone.kind, FailureKind::NoSuchUpload);

        // Single PUT-Copy, with a copy-source condition, then a 200-with-error body.
        let single = job
            .send(&Operation::PutCopy {
                source_etag: Some(head.etag.clone()),
                directive: MetadataDirective::Copy,
                metadata: ObjectMetadata::default(),
                storage_class: None,
                keep_tags: true,
                tags: vec![],
                encryption: None,
            })
            .await
            .unwrap();
        assert!(matches!(single, Reply::Copied { .. }), "{single:?}");
        let mut plan = FaultPlan::default();
        plan.ops.insert(
            partcopy_emulator::Api::CopyObject,
            OpFaults {
                fail_nth: vec![NthFailure {
                    n: emu.stats().count(partcopy_emulator::Api::CopyObject) + 1,
                    kind: FaultKind::Error200,
                }],
                ..OpFaults::default()
            },
        );
        emu.set_faults(plan);
        let hidden = job
            .send(&Operation::PutCopy {
                source_etag: None,
                directive: MetadataDirective::Copy,
                metadata: ObjectMetadata::default(),
                storage_class: None,
                keep_tags: true,
                tags: vec![],
                encryption: None,
            })
            .await
            .unwrap_err();
        assert!(hidden.kind.is_retryable(), "{hidden:?}");
        emu.set_faults(FaultPlan::default());

        // A missing source.
        let missing = self::job(
            &emu,
            provider,
            (src_region, src_bucket, "nope"),
            (dst_region, dst_bucket, "x"),
        );
        let err = missing.send(&Operation::HeadSource).await.unwrap_err();
        assert_eq!(err.kind, FailureKind::NoSuchKey);
    }
}

/// A PUT-Copy onto its own source: COS refuses it under the Copy directive (its docs require
/// Replaced there), and both services take it under Replace, which rewrites the object's metadata
/// and class in place while its content, and its tags when kept, stay.
#[tokio::test]
async fn a_copy_onto_itself_needs_the_replace_directive_on_cos() {
    let emu = Emulator::start(
        Config::default()
            .bucket(Provider::Cos, "b-1250000000", "ap-guangzhou")
            .bucket(Provider::Oss, "b", "cn-hangzhou"),
    )
    .await
    .unwrap();
    for (provider, region, bucket) in [
        (Provider::Cos, "ap-guangzhou", "b-1250000000"),
        (Provider::Oss, "cn-hangzhou", "b"),
    ] {
        let p = provider.prefix();
        let before = emu
            .create_object(
                bucket,
                "k",
                ObjectSpec::generated(1000, 3)
                    .header(&format!("{p}-meta-owner"), "alice")
                    .tag("team", "media"),
            )
            .unwrap();
        let job = job(&emu, provider, (region, bucket, "k"), (region, bucket, "k"));
        let copy = |directive| Operation::PutCopy {
            source_etag: Some(format!("\"{}\"", before.etag)),
            directive,
            metadata: ObjectMetadata {
                user: vec![("owner".into(), "bob".into())],
                ..ObjectMetadata::default()
            },
            storage_class: Some("ARCHIVE".into()),
            keep_tags: true,
            tags: vec![],
            encryption: None,
        };
        let refused = job.send(&copy(MetadataDirective::Copy)).await;
        match provider {
            Provider::Cos => {
                let failure = refused.unwrap_err();
                assert_eq!(
                    (failure.status, failure.code.as_str()),
                    (Some(400), "InvalidRequest")
                );
            }
            Provider::Oss => assert!(refused.is_ok(), "{refused:?}"),
        }
        let copied = job.send(&copy(MetadataDirective::Replace)).await;
        assert!(matches!(copied, Ok(Reply::Copied { .. })), "{copied:?}");
        let after = emu.object_info(bucket, "k").unwrap();
        assert_eq!((after.size, &after.crc64), (before.size, &before.crc64));
        assert_eq!(
            after.headers.get(&format!("{p}-meta-owner")).map(String::as_str),
            Some("bob")
        );
        assert_eq!(
            after
                .headers
                .get(&format!("{p}-storage-class"))
                .map(String::as_str),
            Some("ARCHIVE")
        );
        assert_eq!(after.tags, vec![("team".to_string(), "media".to_string())]);
    }
}

/// SSE-C (COS): the source's key opens it as a copy source and on HEAD, the destination's key goes
/// with Initiate and every part and is what the copy is stored under; a missing or wrong key is
/// refused wherever the data is read or written, and a malformed one is InvalidArgument.
#[tokio::test]
async fn customer_keys_guard_reads_and_writes_on_cos() {
    use partcopy_emulator::sse_c;
    use partcopy_protocol::customer_key::CustomerKey;

    let emu = Emulator::start(
        Config::default()
            .bucket(Provider::Cos, "src-1250000000", "ap-guangzhou")
            .bucket(Provider::Cos, "dst-1250000000", "ap-guangzhou"),
    )
    .await
    .unwrap();
    let (source_key, dest_key, wrong) = (
        CustomerKey::new([1; 32]),
        CustomerKey::new([2; 32]),
        CustomerKey::new([3; 32]),
    );
    let [algorithm, md5] = sse_c::stored_headers(source_key.key_md5());
    let info = emu
        .create_object(
            "src-1250000000",
            "k",
            ObjectSpec::generated(3 * MIB, 4)
                .header(&algorithm.0, &algorithm.1)
                .header(&md5.0, &md5.1),
        )
        .unwrap();
    let at = |src: Option<&CustomerKey>, dst: Option<&CustomerKey>| {
        let mut job = job(
            &emu,
            Provider::Cos,
            ("ap-guangzhou", "src-1250000000", "k"),
            ("ap-guangzhou", "dst-1250000000", "out"),
        );
        if let Some(key) = src {
            job.source = job.source.clone().with_customer_key(key.clone());
        }
        if let Some(key) = dst {
            job.dest = job.dest.clone().with_customer_key(key.clone());
        }
        job
    };
    let refused = |result: Result<Reply, partcopy_core::ops::Failure>| {
        let failure = result.unwrap_err();
        assert_eq!(failure.status, Some(400), "{failure:?}");
    };
    let keyed = at(Some(&source_key), Some(&dest_key));

    // HEAD of the source: only with its key.
    refused(at(None, None).send(&Operation::HeadSource).await);
    refused(at(Some(&wrong), None).send(&Operation::HeadSource).await);
    let Reply::Head(head) = keyed.send(&Operation::HeadSource).await.unwrap() else {
        panic!("not a head reply")
    };
    assert_eq!(head.size, info.size);

    let initiate = plain_initiate();
    let Reply::Initiated { upload_id, .. } = keyed.send(&initiate).await.unwrap() else {
        panic!("not initiated")
    };
    let part = |number: u32, first: u64, last: u64| Operation::UploadPartCopy {
        upload_id: upload_id.clone(),
        part_number: number,
        range: ByteRange { first, last },
        source_etag: head.etag.clone(),
    };
    // Each part needs both keys, right.
    refused(at(Some(&source_key), None).send(&part(1, 0, 2 * MIB - 1)).await);
    refused(
        at(Some(&source_key), Some(&wrong))
            .send(&part(1, 0, 2 * MIB - 1))
            .await,
    );
    refused(at(None, Some(&dest_key)).send(&part(1, 0, 2 * MIB - 1)).await);
    let mut parts = Vec::new();
    for (number, first, last) in [(1, 0, 2 * MIB - 1), (2, 2 * MIB, info.size - 1)] {
        let Reply::PartCopied { etag, .. } = keyed.send(&part(number, first, last)).await.unwrap() else {
            panic!("not a part copy")
        };
        parts.push(CompletedPart { number, etag });
    }
    keyed
        .send(&Operation::Complete {
            upload_id: upload_id.clone(),
            parts: parts.into(),
        })
        .await
        .unwrap();
    assert!(emu
        .same_content(("src-1250000000", "k"), ("dst-1250000000", "out"))
        .unwrap());
    let copy = emu.object_info("dst-1250000000", "out").unwrap();
    assert_eq!(
        copy.headers.get(sse_c::KEY_MD5_HEADER).map(String::as_str),
        Some(dest_key.key_md5())
    );
    assert!(
        !copy.headers.values().any(|v| v == dest_key.key_base64()),
        "the key itself is never stored"
    );
    refused(at(None, None).send(&Operation::HeadDestination).await);
    assert!(matches!(
        keyed.send(&Operation::HeadDestination).await.unwrap(),
        Reply::Head(_)
    ));

    // One PUT-Copy: re-keyed under the destination's key; a key for an unkeyed object is refused.
    let put_copy = plain_put_copy();
    refused(at(None, Some(&dest_key)).send(&put_copy).await);
    keyed.send(&put_copy).await.unwrap();
    emu.create_object("src-1250000000", "plain", ObjectSpec::generated(1000, 5))
        .unwrap();
    let mut plain = at(Some(&source_key), None);
    plain.source.key = "plain".into();
    refused(plain.send(&put_copy).await);

    // A malformed key: the MD5 is not the key's.
    let call = common::Call::new(Provider::Cos, http::Method::GET, "src-1250000000", "k")
        .header("x-cos-server-side-encryption-customer-algorithm", "AES256")
        .header(
            "x-cos-server-side-encryption-customer-key",
            source_key.key_base64(),
        )
        .header("x-cos-server-side-encryption-customer-key-MD5", wrong.key_md5())
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(call.status, http::StatusCode::BAD_REQUEST);
    assert!(call.text().contains("InvalidArgument"), "{}", call.text());
}

/// `x-*-forbid-overwrite: true` (`Renderer::forbid_overwrite`): PUT-Copy, Initiate and Complete
/// refuse to replace an existing destination with 409 FileAlreadyExists, in both dialects; a
/// destination that appears between Initiate and Complete is caught at Complete, the upload left
/// open; without the header the same Complete replaces it; a bucket with versioning ignores it.
#[tokio::test]
async fn forbid_overwrite_refuses_to_replace_the_destination() {
    let emu = two_buckets_each().await;
    for (provider, region, src, dst) in [
        (Provider::Cos, "ap-guangzhou", "src-1250000000", "dst-1250000000"),
        (Provider::Oss, "cn-hangzhou", "src", "dst"),
    ] {
        let source = emu
            .create_object(src, "k", ObjectSpec::generated(3 * MIB, 2))
            .unwrap();
        let guarded = |key: &str| {
            let mut job = job(&emu, provider, (region, src, "k"), (region, dst, key));
            job.forbid_overwrite = true;
            job
        };
        let conflict = |result: Result<Reply, partcopy_core::ops::Failure>| {
            let failure = result.unwrap_err();
            assert_eq!(
                (failure.status, failure.code.as_str()),
                (Some(409), "FileAlreadyExists"),
                "{provider:?}"
            );
        };
        let put_copy = plain_put_copy();
        let initiate = plain_initiate();
        // The destination is free: the first copy goes through; then it is there.
        let first = guarded("out");
        first.send(&put_copy).await.unwrap();
        conflict(first.send(&put_copy).await);
        conflict(first.send(&initiate).await);

        // Appearing while the upload runs: caught at Complete, the upload left open.
        let late = guarded("late");
        let complete = initiate_one_part(&late, &source).await;
        let Operation::Complete { upload_id, .. } = &complete else {
            unreachable!()
        };
        let upload_id = upload_id.clone();
        emu.create_object(dst, "late", ObjectSpec::generated(10, 9))
            .unwrap();
        conflict(late.send(&complete).await);
        assert_eq!(emu.object_info(dst, "late").unwrap().size, 10, "not replaced");
        assert!(emu.uploads().iter().any(|u| u.upload_id == upload_id));
        let unguarded = job(&emu, provider, (region, src, "k"), (region, dst, "late"));
        unguarded.send(&complete).await.unwrap();
        assert!(emu.same_content((src, "k"), (dst, "late")).unwrap());

        // With versioning the header is ignored.
        emu.set_versioning(dst, true).unwrap();
        first.send(&put_copy).await.unwrap();
        emu.set_versioning(dst, false).unwrap();
    }
}

/// A canned ACL reaches the copy whichever request each service takes it on (COS Initiate, OSS
/// Complete, both PUT-Copy); a value the provider does not know is InvalidArgument; without one
/// the copy has none of its own (the source's is not carried).
#[tokio::test]
async fn a_canned_acl_reaches_the_copy() {
    let emu = two_buckets_each().await;
    for (provider, region, src, dst, unknown) in [
        (
            Provider::Cos,
            "ap-guangzhou",
            "src-1250000000",
            "dst-1250000000",
            "public-read-write",
        ),
        (Provider::Oss, "cn-hangzhou", "src", "dst", "public"),
    ] {
        let source = emu
            .create_object(src, "k", ObjectSpec::generated(2 * MIB, 3))
            .unwrap();
        let with_acl = |key: &str, acl: Option<&str>| {
            let mut job = job(&emu, provider, (region, src, "k"), (region, dst, key));
            job.acl = acl.map(str::to_string);
            job
        };
        let put_copy = plain_put_copy();
        with_acl("single", Some("public-read"))
            .send(&put_copy)
            .await
            .unwrap();
        assert_eq!(
            emu.object_info(dst, "single").unwrap().acl.as_deref(),
            Some("public-read")
        );
        with_acl("plain", None).send(&put_copy).await.unwrap();
        assert_eq!(emu.object_info(dst, "plain").unwrap().acl, None);
        let refused = with_acl("bad", Some(unknown)).send(&put_copy).await.unwrap_err();
        assert_eq!(
            (refused.status, refused.code.as_str()),
            (Some(400), "InvalidArgument")
        );

        let job = with_acl("multi", Some("private"));
        let complete = initiate_one_part(&job, &source).await;
        job.send(&complete).await.unwrap();
        assert_eq!(
            emu.object_info(dst, "multi").unwrap().acl.as_deref(),
            Some("private"),
            "{provider:?}"
        );
    }
}

/// An emulator with a source and a destination bucket per provider, all in one region each.
async fn two_buckets_each() -> Emulator {
    Emulator::start(
        Config::default()
            .bucket(Provider::Cos, "src-1250000000", "ap-guangzhou")
            .bucket(Provider::Cos, "dst-1250000000", "ap-guangzhou")
            .bucket(Provider::Oss, "src", "cn-hangzhou")
            .bucket(Provider::Oss, "dst", "cn-hangzhou"),
    )
    .await
    .unwrap()
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

/// Initiates an upload for `job` and copies the whole `source` as its one part; returns the
/// Complete that would finish it.
async fn initiate_one_part(job: &Job<'_>, source: &partcopy_emulator::ObjectInfo) -> Operation {
    let Reply::Initiated { upload_id, .. } = job.send(&plain_initiate()).await.unwrap() else {
        panic!("not initiated")
    };
    let Reply::PartCopied { etag, .. } = job
        .send(&Operation::UploadPartCopy {
            upload_id: upload_id.clone(),
            part_number: 1,
            range: ByteRange {
                first: 0,
                last: source.size - 1,
            },
            source_etag: format!("\"{}\"", source.etag),
        })
        .await
        .unwrap()
    else {
        panic!("not a part copy")
    };
    Operation::Complete {
        upload_id,
        parts: vec![CompletedPart { number: 1, etag }].into(),
    }
}
