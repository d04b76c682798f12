//! End-to-end tests of the emulator over HTTP: signed requests from hyper's client, in both dialects.

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{encode, Auth, Call};
use http::{Method, StatusCode};
use partcopy_emulator::crc64;
use partcopy_emulator::{
    Api, Config, Emulator, FaultKind, FaultPlan, NthFailure, ObjectSpec, OpFaults, Overwrite, Provider,
};

const COS_SRC: &str = "src-1250000000";
const COS_DST: &str = "dst-1250000000";
const COS_FAR: &str = "far-1250000000";
const OSS_SRC: &str = "src";
const OSS_DST: &str = "dst";
const OSS_FAR: &str = "far";
const MIB: u64 = 1024 * 1024;

async fn emulator() -> Emulator {
    emulator_with(|c| c).await
}

async fn emulator_with(tweak: impl FnOnce(Config) -> Config) -> Emulator {
    let config = Config::default()
        .bucket(Provider::Cos, COS_SRC, "ap-guangzhou")
        .bucket(Provider::Cos, COS_DST, "ap-guangzhou")
        .bucket(Provider::Cos, COS_FAR, "ap-beijing")
        .bucket(Provider::Oss, OSS_SRC, "cn-hangzhou")
        .bucket(Provider::Oss, OSS_DST, "cn-hangzhou")
        .bucket(Provider::Oss, OSS_FAR, "cn-beijing");
    Emulator::start(tweak(config)).await.unwrap()
}

fn copy_source(provider: Provider, bucket: &str, key: &str) -> (String, String) {
    match provider {
        Provider::Cos => (
            "x-cos-copy-source".into(),
            format!("{bucket}.cos.ap-guangzhou.myqcloud.com/{}", encode(key)),
        ),
        Provider::Oss => ("x-oss-copy-source".into(), format!("/{bucket}/{}", encode(key))),
    }
}

fn buckets(provider: Provider) -> (&'static str, &'static str, &'static str) {
    match provider {
        Provider::Cos => (COS_SRC, COS_DST, COS_FAR),
        Provider::Oss => (OSS_SRC, OSS_DST, OSS_FAR),
    }
}

#[tokio::test]
async fn put_head_get_range_in_both_dialects() {
    let emu = emulator().await;
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, _, _) = buckets(provider);
        let p = provider.prefix();
        let key = "dir/a b+c%中.txt";
        let put = Call::new(provider, Method::PUT, src, key)
            .header("content-type", "text/plain")
            .header(&format!("{p}-meta-color"), "blue")
            .body(&b"hello, emulator"[..])
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(put.status, StatusCode::OK, "{}", put.text());
        let md5 = provider.hex(&md5_of(b"hello, emulator"));
        assert_eq!(put.header("etag"), format!("\"{md5}\""));
        let crc = crc64::checksum(b"hello, emulator").to_string();
        assert_eq!(put.header(&format!("{p}-hash-crc64ecma")), crc);
        assert!(!put.header(&format!("{p}-request-id")).is_empty());

        let head = Call::new(provider, Method::HEAD, src, key)
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.header("content-length"), "15");
        assert_eq!(head.header("content-type"), "text/plain");
        assert_eq!(head.header(&format!("{p}-meta-color")), "blue");
        assert_eq!(head.header(&format!("{p}-hash-crc64ecma")), crc);
        assert!(head.header("last-modified").ends_with("GMT"));

        let get = Call::new(provider, Method::GET, src, key)
            .header("range", "bytes=7-14")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(get.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(&get.body[..], b"emulator");
        assert_eq!(get.header("content-range"), "bytes 7-14/15");

        let bad_range = Call::new(provider, Method::GET, src, key)
            .header("range", "bytes=15-")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(bad_range.status, StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(bad_range.xml("Code"), "InvalidRange");

        let bad_md5 = Call::new(provider, Method::PUT, src, "md5")
            .header("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")
            .body(&b"not empty"[..])
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(bad_md5.xml("Code"), "InvalidDigest");

        let untag = Call::new(provider, Method::DELETE, src, key)
            .query("tagging")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(untag.xml("Code"), "NotImplemented");
        let del = Call::new(provider, Method::DELETE, src, key)
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(del.status, StatusCode::NO_CONTENT);
        let gone = Call::new(provider, Method::GET, src, key)
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert_eq!(gone.xml("Code"), "NoSuchKey");
        match provider {
            Provider::Cos => assert!(!gone.xml("TraceId").is_empty() && !gone.xml("Resource").is_empty()),
            Provider::Oss => assert_eq!(gone.xml("EC"), "0026-00000001"),
        }
    }
}

fn md5_of(bytes: &[u8]) -> [u8; 16] {
    use md5::{Digest, Md5};
    Md5::digest(bytes).into()
}

#[tokio::test]
async fn signatures_are_checked() {
    let emu = emulator().await;
    emu.put_bytes(COS_SRC, "k", &b"x"[..]).unwrap();
    emu.put_bytes(OSS_SRC, "k", &b"x"[..]).unwrap();
    let cases = [
        (Provider::Cos, Auth::None, "AccessDenied"),
        (Provider::Cos, Auth::WrongSecret, "SignatureDoesNotMatch"),
        (Provider::Cos, Auth::UnknownKey, "InvalidAccessKeyId"),
        (Provider::Oss, Auth::None, "AccessDenied"),
        (Provider::Oss, Auth::WrongSecret, "SignatureDoesNotMatch"),
        (Provider::Oss, Auth::UnknownKey, "InvalidAccessKeyId"),
    ];
    for (provider, auth, code) in cases {
        let (src, _, _) = buckets(provider);
        let resp = Call::new(provider, Method::GET, src, "k")
            .auth(auth)
            .header(&format!("{}-meta-x", provider.prefix()), "1")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(resp.status, StatusCode::FORBIDDEN, "{provider} {auth:?}");
        assert_eq!(resp.xml("Code"), code, "{provider} {auth:?}");
    }
    // OSS HEAD errors carry the document base64-encoded in x-oss-err.
    let head = Call::new(Provider::Oss, Method::HEAD, OSS_SRC, "k")
        .auth(Auth::WrongSecret)
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(head.status, StatusCode::FORBIDDEN);
    let doc = base64::engine::general_purpose::STANDARD
        .decode(head.header("x-oss-err"))
        .unwrap();
    assert!(String::from_utf8(doc)
        .unwrap()
        .contains("<Code>SignatureDoesNotMatch</Code>"));
}

#[tokio::test]
async fn virtual_host_and_proxy_addressing() {
    let emu = emulator().await;
    emu.put_bytes(COS_SRC, "v/k", &b"cos bytes"[..]).unwrap();
    emu.put_bytes(OSS_SRC, "v/k", &b"oss bytes"[..]).unwrap();
    let cos_host = format!("{COS_SRC}.cos.ap-guangzhou.myqcloud.com");
    let cos = Call::new(Provider::Cos, Method::GET, COS_SRC, "v/k")
        .virtual_host(&cos_host)
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(&cos.body[..], b"cos bytes", "{}", cos.text());
    // Absolute-form request line: the emulator standing in as an HTTP proxy for the real host.
    let proxied = Call::new(Provider::Cos, Method::HEAD, COS_SRC, "v/k")
        .virtual_host(&cos_host)
        .absolute()
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(proxied.status, StatusCode::OK);
    assert_eq!(proxied.header("content-length"), "9");
    let oss = Call::new(Provider::Oss, Method::GET, OSS_SRC, "v/k")
        .virtual_host(&format!("{OSS_SRC}.oss-cn-hangzhou.aliyuncs.com"))
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(&oss.body[..], b"oss bytes", "{}", oss.text());
    // `<bucket>.<anything>` for the listen host.
    let any = Call::new(Provider::Oss, Method::GET, OSS_SRC, "v/k")
        .virtual_host(&format!("{OSS_SRC}.localhost"))
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(&any.body[..], b"oss bytes", "{}", any.text());
    // A bucket host naming the wrong region.
    let wrong_cos = Call::new(Provider::Cos, Method::GET, COS_SRC, "v/k")
        .virtual_host(&format!("{COS_SRC}.cos.ap-shanghai.myqcloud.com"))
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(wrong_cos.xml("Code"), "NoSuchBucket");
    let wrong_oss = Call::new(Provider::Oss, Method::GET, OSS_SRC, "v/k")
        .virtual_host(&format!("{OSS_SRC}.oss-cn-shanghai.aliyuncs.com"))
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(wrong_oss.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong_oss.xml("Code"), "AccessDenied");
}

#[tokio::test]
async fn virtual_objects_are_cheap_and_consistent() {
    let emu = emulator().await;
    let size = 50u64 << 30;
    let info = emu
        .create_object(COS_SRC, "huge", ObjectSpec::generated(size, 42))
        .unwrap();
    let head = Call::new(Provider::Cos, Method::HEAD, COS_SRC, "huge")
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(head.header("content-length"), size.to_string());
    assert_eq!(head.header("x-cos-hash-crc64ecma"), info.crc64);
    let offset = size - 5000;
    let get = Call::new(Provider::Cos, Method::GET, COS_SRC, "huge")
        .header("range", format!("bytes={offset}-{}", size - 1))
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(get.body.len(), 5000);
    assert_eq!(
        &get.body[..],
        &emu.read(COS_SRC, "huge", offset, 5000).unwrap()[..]
    );
    // A small virtual object: the CRC header matches the CRC of the bytes served.
    emu.create_object(OSS_SRC, "small", ObjectSpec::generated(3 * MIB + 17, 9))
        .unwrap();
    let whole = Call::new(Provider::Oss, Method::GET, OSS_SRC, "small")
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(whole.body.len() as u64, 3 * MIB + 17);
    assert_eq!(
        whole.header("x-oss-hash-crc64ecma"),
        crc64::checksum(&whole.body).to_string()
    );
}

#[tokio::test]
async fn put_copy_rules() {
    let emu = emulator_with(|mut c| {
        c.cos_limits.max_copy_size = 4 * MIB;
        c.oss_limits.max_copy_size = 2 * MIB;
        c
    })
    .await;
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst, far) = buckets(provider);
        let p = provider.prefix();
        let source = emu
            .create_object(
                src,
                "s",
                ObjectSpec::generated(2 * MIB, 5)
                    .header("content-type", "image/png")
                    .header(&format!("{p}-meta-a"), "1"),
            )
            .unwrap();
        let (name, value) = copy_source(provider, src, "s");
        let copy = Call::new(provider, Method::PUT, dst, "c")
            .header(&name, value.clone())
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(copy.status, StatusCode::OK, "{}", copy.text());
        assert_eq!(copy.xml("ETag"), format!("\"{}\"", source.etag));
        let copied = emu.object_info(dst, "c").unwrap();
        assert_eq!(copied.headers, source.headers);
        assert_eq!(copied.crc64, source.crc64);
        assert!(emu.same_content((src, "s"), (dst, "c")).unwrap());

        // Replace metadata.
        let replaced = Call::new(provider, Method::PUT, dst, "r")
            .header(&name, value.clone())
            .header(&format!("{p}-metadata-directive"), provider.directive_replace())
            .header("content-type", "text/csv")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text());
        let info = emu.object_info(dst, "r").unwrap();
        assert_eq!(info.headers.get("content-type").unwrap(), "text/csv");
        assert!(!info.headers.contains_key(&format!("{p}-meta-a")));
        let bad_directive = Call::new(provider, Method::PUT, dst, "r")
            .header(&name, value.clone())
            .header(&format!("{p}-metadata-directive"), "Sideways")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(bad_directive.xml("Code"), "InvalidArgument");

        // Conditions.
        let stale = Call::new(provider, Method::PUT, dst, "x")
            .header(&name, value.clone())
            .header(&format!("{p}-copy-source-if-match"), "\"0000\"")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(stale.xml("Code"), "PreconditionFailed");
        let fresh = Call::new(provider, Method::PUT, dst, "x")
            .header(&name, value.clone())
            .header(
                &format!("{p}-copy-source-if-match"),
                format!("\"{}\"", source.etag),
            )
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(fresh.status, StatusCode::OK);

        // Size limit per provider.
        emu.create_object(src, "big", ObjectSpec::generated(5 * MIB, 1))
            .unwrap();
        let (name_big, value_big) = copy_source(provider, src, "big");
        let too_big = Call::new(provider, Method::PUT, dst, "big")
            .header(&name_big, value_big)
            .send(&emu)
            .await
            .unwrap();
        match provider {
            Provider::Cos => {
                assert_eq!(too_big.status, StatusCode::METHOD_NOT_ALLOWED);
                assert_eq!(too_big.xml("Code"), "MethodNotAllowed");
            }
            Provider::Oss => assert_eq!(too_big.xml("Code"), "EntityTooLarge"),
        }

        // Cross-region: COS allows, OSS refuses.
        let cross = Call::new(provider, Method::PUT, far, "x")
            .header(&name, value.clone())
            .send(&emu)
            .await
            .unwrap();
        match provider {
            Provider::Cos => assert_eq!(cross.status, StatusCode::OK, "{}", cross.text()),
            Provider::Oss => {
                assert_eq!(cross.status, StatusCode::FORBIDDEN);
                assert_eq!(cross.xml("Code"), "AccessDenied");
            }
        }
        let missing = Call::new(provider, Method::PUT, dst, "x")
            .header(&name, copy_source(provider, src, "nope").1)
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(missing.xml("Code"), "NoSuchKey");
        if provider == Provider::Cos {
            let wrong_region = Call::new(provider, Method::PUT, dst, "x")
                .header(&name, format!("{src}.cos.ap-chengdu.myqcloud.com/s"))
                .send(&emu)
                .await
                .unwrap();
            assert_eq!(wrong_region.xml("Code"), "NoSuchBucket");
        }
    }
}

#[tokio::test]
async fn put_copy_applies_storage_class_under_copy_directive() {
    let emu = emulator().await;
    for (provider, class) in [(Provider::Cos, "STANDARD_IA"), (Provider::Oss, "IA")] {
        let (src, dst, _) = buckets(provider);
        let p = provider.prefix();
        let class_header = format!("{p}-storage-class");
        let source = emu
            .create_object(
                src,
                "sc",
                ObjectSpec::generated(MIB, 3).header(&format!("{p}-meta-a"), "1"),
            )
            .unwrap();
        let (name, value) = copy_source(provider, src, "sc");
        for directive in [None, Some(provider.directive_copy())] {
            let mut call = Call::new(provider, Method::PUT, dst, "sc")
                .header(&name, value.clone())
                .header(&class_header, class);
            if let Some(directive) = directive {
                call = call.header(&format!("{p}-metadata-directive"), directive);
            }
            let copy = call.send(&emu).await.unwrap();
            assert_eq!(copy.status, StatusCode::OK, "{}", copy.text());
            let info = emu.object_info(dst, "sc").unwrap();
            assert_eq!(
                info.headers.get(&class_header).map(String::as_str),
                Some(class),
                "{directive:?}"
            );
            // The rest of the metadata is still the source's.
            assert_eq!(
                info.headers.get(&format!("{p}-meta-a")).map(String::as_str),
                Some("1")
            );
            assert_eq!(info.crc64, source.crc64);
            let head = Call::new(provider, Method::HEAD, dst, "sc")
                .send(&emu)
                .await
                .unwrap();
            assert_eq!(head.header(&class_header), class);
        }
        // Without the header the class is the source's (none set: the service default).
        let plain = Call::new(provider, Method::PUT, dst, "plain")
            .header(&name, value.clone())
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(plain.status, StatusCode::OK);
        assert!(!emu
            .object_info(dst, "plain")
            .unwrap()
            .headers
            .contains_key(&class_header));
    }
}

/// Initiates an upload and returns its id.
async fn initiate(emu: &Emulator, provider: Provider, bucket: &str, key: &str) -> String {
    let p = provider.prefix();
    let init = Call::new(provider, Method::POST, bucket, key)
        .query("uploads")
        .header("content-type", "video/mp4")
        .header(&format!("{p}-meta-origin"), "test")
        .header(&format!("{p}-tagging"), "team=storage&tier=hot")
        .send(emu)
        .await
        .unwrap();
    assert_eq!(init.status, StatusCode::OK, "{}", init.text());
    init.xml("UploadId")
}

async fn part_copy(
    emu: &Emulator,
    provider: Provider,
    (bucket, key, upload): (&str, &str, &str),
    number: u32,
    (src, src_key): (&str, &str),
    range: Option<(u64, u64)>,
    if_match: Option<&str>,
) -> common::Resp {
    let (name, value) = copy_source(provider, src, src_key);
    let query = format!("partNumber={number}&uploadId={upload}");
    let mut call = Call::new(provider, Method::PUT, bucket, key)
        .query(&query)
        .header(&name, value);
    if let Some((first, last)) = range {
        call = call.header(
            &format!("{}-copy-source-range", provider.prefix()),
            format!("bytes={first}-{last}"),
        );
    }
    if let Some(etag) = if_match {
        call = call.header(&format!("{}-copy-source-if-match", provider.prefix()), etag);
    }
    call.send(emu).await.unwrap()
}

fn complete_body(parts: &[(u32, String)]) -> String {
    let mut body = String::from("<CompleteMultipartUpload>");
    for (n, etag) in parts {
        body.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    body.push_str("</CompleteMultipartUpload>");
    body
}

async fn complete(
    emu: &Emulator,
    provider: Provider,
    (bucket, key, upload): (&str, &str, &str),
    parts: &[(u32, String)],
) -> common::Resp {
    Call::new(provider, Method::POST, bucket, key)
        .query(&format!("uploadId={upload}"))
        .body(complete_body(parts))
        .send(emu)
        .await
        .unwrap()
}

#[tokio::test]
async fn multipart_copy_composes_and_lists() {
    let emu = emulator().await;
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst, _) = buckets(provider);
        let p = provider.prefix();
        let size = 50u64 << 30;
        let source = emu
            .create_object(src, "huge", ObjectSpec::generated(size, 77))
            .unwrap();
        let upload = initiate(&emu, provider, dst, "copy").await;
        let target = (dst, "copy", upload.as_str());
        // Ten parts of 5 GiB (the largest allowed), sent out of order.
        let part_size = 5u64 << 30;
        let too_big = part_copy(
            &emu,
            provider,
            target,
            1,
            (src, "huge"),
            Some((0, part_size)),
            None,
        )
        .await;
        assert_eq!(too_big.xml("Code"), "EntityTooLarge");
        let mut parts = Vec::new();
        for number in [3u32, 1, 5, 2, 4, 10, 9, 6, 8, 7] {
            let first = (u64::from(number) - 1) * part_size;
            let resp = part_copy(
                &emu,
                provider,
                target,
                number,
                (src, "huge"),
                Some((first, first + part_size - 1)),
                Some(&format!("\"{}\"", source.etag)),
            )
            .await;
            assert_eq!(resp.status, StatusCode::OK, "{}", resp.text());
            assert_eq!(resp.header("etag"), resp.xml("ETag"));
            parts.push((number, resp.header("etag").to_string()));
        }
        parts.sort();

        // List Parts with pagination.
        let page1 = Call::new(provider, Method::GET, dst, "copy")
            .query(&format!("uploadId={upload}&max-parts=2"))
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(page1.xml_all("PartNumber"), ["1", "2"]);
        assert_eq!(page1.xml("IsTruncated"), "true");
        assert_eq!(page1.xml("NextPartNumberMarker"), "2");
        let page2 = Call::new(provider, Method::GET, dst, "copy")
            .query(&format!("uploadId={upload}&max-parts=2&part-number-marker=9"))
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(page2.xml_all("PartNumber"), ["10"]);
        assert_eq!(page2.xml("IsTruncated"), "false");
        assert_eq!(page2.xml_all("Size"), [part_size.to_string()]);
        let default_page = Call::new(provider, Method::GET, dst, "copy")
            .query(&format!("uploadId={upload}"))
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(default_page.xml("MaxParts"), "1000");
        assert_eq!(default_page.xml_all("PartNumber").len(), 10);

        let uploads = Call::new(provider, Method::GET, dst, "")
            .query("uploads")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(uploads.xml_all("UploadId"), vec![upload.clone()]);

        let done = complete(&emu, provider, target, &parts).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text());
        let etag = done.xml("ETag");
        assert!(etag.ends_with("-10\""), "{etag}");
        assert_eq!(done.header(&format!("{p}-hash-crc64ecma")), source.crc64);
        assert!(emu.same_content((src, "huge"), (dst, "copy")).unwrap());

        let head = Call::new(provider, Method::HEAD, dst, "copy")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(head.header("etag"), etag);
        assert_eq!(head.header("content-type"), "video/mp4");
        assert_eq!(head.header(&format!("{p}-meta-origin")), "test");
        let tags = Call::new(provider, Method::GET, dst, "copy")
            .query("tagging")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(tags.xml_all("Key"), ["team", "tier"]);
        assert_eq!(emu.stats().open_uploads, 0);

        // The upload is gone.
        let after = Call::new(provider, Method::GET, dst, "copy")
            .query(&format!("uploadId={upload}"))
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(after.xml("Code"), "NoSuchUpload");
    }
}

#[tokio::test]
async fn complete_and_part_rules() {
    let emu = emulator().await;
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst, _) = buckets(provider);
        let min = match provider {
            Provider::Cos => MIB,
            Provider::Oss => 100 * 1024,
        };
        let source = emu
            .create_object(src, "s", ObjectSpec::generated(4 * MIB, 3))
            .unwrap();
        let upload = initiate(&emu, provider, dst, "m").await;
        let target = (dst, "m", upload.as_str());
        let small = part_copy(&emu, provider, target, 1, (src, "s"), Some((0, min - 2)), None).await;
        let full = part_copy(&emu, provider, target, 2, (src, "s"), Some((0, min - 1)), None).await;
        let last = part_copy(&emu, provider, target, 3, (src, "s"), Some((0, 9)), None).await;
        let etag = |r: &common::Resp| r.header("etag").to_string();

        let order = complete(&emu, provider, target, &[(2, etag(&full)), (1, etag(&small))]).await;
        assert_eq!(order.xml("Code"), "InvalidPartOrder");
        let wrong = complete(&emu, provider, target, &[(2, "\"beef\"".into())]).await;
        assert_eq!(wrong.xml("Code"), "InvalidPart");
        let missing = complete(&emu, provider, target, &[(7, etag(&full))]).await;
        assert_eq!(missing.xml("Code"), "InvalidPart");
        let too_small = complete(&emu, provider, target, &[(1, etag(&small)), (2, etag(&full))]).await;
        assert_eq!(too_small.status, StatusCode::BAD_REQUEST);
        assert_eq!(too_small.xml("Code"), "EntityTooSmall");
        let malformed = Call::new(provider, Method::POST, dst, "m")
            .query(&format!("uploadId={upload}"))
            .body("<nope")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(malformed.xml("Code"), "MalformedXML");

        let out_of_range = part_copy(&emu, provider, target, 4, (src, "s"), Some((0, 4 * MIB)), None).await;
        assert_eq!(out_of_range.xml("Code"), "InvalidArgument");
        let bad_number = part_copy(&emu, provider, target, 10_001, (src, "s"), None, None).await;
        assert_eq!(bad_number.xml("Code"), "InvalidArgument");
        let stale = part_copy(&emu, provider, target, 4, (src, "s"), None, Some("\"00\"")).await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
        let ok = part_copy(
            &emu,
            provider,
            target,
            4,
            (src, "s"),
            None,
            Some(&format!("\"{}\"", source.etag)),
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK);

        // A real uploaded part, then a good Complete: full part + last small part.
        let upload_part = Call::new(provider, Method::PUT, dst, "m")
            .query(&format!("partNumber=5&uploadId={upload}"))
            .body(vec![7u8; 1000])
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(upload_part.status, StatusCode::OK);
        let good = complete(
            &emu,
            provider,
            target,
            &[(2, etag(&full)), (3, etag(&last)), (5, etag(&upload_part))],
        )
        .await;
        // Part 3 (10 bytes) is not last: too small.
        assert_eq!(good.xml("Code"), "EntityTooSmall");
        let good = complete(
            &emu,
            provider,
            target,
            &[(2, etag(&full)), (4, etag(&ok)), (5, etag(&upload_part))],
        )
        .await;
        assert_eq!(good.status, StatusCode::OK, "{}", good.text());
        let bytes = Call::new(provider, Method::GET, dst, "m")
            .send(&emu)
            .await
            .unwrap();
        let mut expected = emu.read(src, "s", 0, min).unwrap();
        expected.extend(emu.read(src, "s", 0, 4 * MIB).unwrap());
        expected.extend(vec![7u8; 1000]);
        assert_eq!(bytes.body.len(), expected.len());
        assert!(bytes.body[..] == expected[..]);
        assert_eq!(
            bytes.header(&format!("{}-hash-crc64ecma", provider.prefix())),
            crc64::checksum(&expected).to_string()
        );

        // Abort: NoSuchUpload afterwards.
        let upload = initiate(&emu, provider, dst, "aborted").await;
        let abort = Call::new(provider, Method::DELETE, dst, "aborted")
            .query(&format!("uploadId={upload}"))
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(abort.status, StatusCode::NO_CONTENT);
        let again = Call::new(provider, Method::DELETE, dst, "aborted")
            .query(&format!("uploadId={upload}"))
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        assert_eq!(again.xml("Code"), "NoSuchUpload");
    }
}

#[tokio::test]
async fn injected_faults() {
    let emu = emulator().await;
    emu.put_bytes(COS_SRC, "k", &b"data"[..]).unwrap();
    let mut plan = FaultPlan::default();
    plan.ops.insert(
        Api::GetObject,
        OpFaults {
            fail_nth: vec![
                NthFailure {
                    n: 2,
                    kind: FaultKind::SlowDown,
                },
                NthFailure {
                    n: 3,
                    kind: FaultKind::InternalError,
                },
                NthFailure {
                    n: 4,
                    kind: FaultKind::Error200,
                },
                NthFailure {
                    n: 5,
                    kind: FaultKind::DropConnection,
                },
            ],
            retry_after_secs: Some(3),
            ..OpFaults::default()
        },
    );
    plan.ops.insert(
        Api::HeadObject,
        OpFaults {
            latency_ms: 150,
            ..OpFaults::default()
        },
    );
    emu.set_faults(plan);
    let get = || Call::new(Provider::Cos, Method::GET, COS_SRC, "k").send(&emu);
    assert_eq!(get().await.unwrap().status, StatusCode::OK);
    let slow = get().await.unwrap();
    assert_eq!(
        (slow.status, slow.xml("Code").as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "SlowDown")
    );
    assert_eq!(slow.header("retry-after"), "3");
    let internal = get().await.unwrap();
    assert_eq!(
        (internal.status, internal.xml("Code").as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, "InternalError")
    );
    let hidden = get().await.unwrap();
    assert_eq!(hidden.status, StatusCode::OK);
    assert!(hidden.text().contains("<Error>"));
    assert!(get().await.is_err(), "the 5th GET should lose its connection");
    assert_eq!(get().await.unwrap().status, StatusCode::OK);

    // Latency, and the in-flight peak under concurrency.
    let start = Instant::now();
    let head = || Call::new(Provider::Cos, Method::HEAD, COS_SRC, "k").send(&emu);
    let (a, b, c, d) = tokio::join!(head(), head(), head(), head());
    for result in [a, b, c, d] {
        assert_eq!(result.unwrap().status, StatusCode::OK);
    }
    assert!(start.elapsed() >= Duration::from_millis(150));
    // No upper time bound (the machine may be loaded): the in-flight peak below proves the overlap.
    let stats = emu.stats();
    assert_eq!(stats.count(Api::GetObject), 6);
    assert_eq!(stats.count(Api::HeadObject), 4);
    assert_eq!(stats.max_in_flight_of(Api::HeadObject), 4);
    assert!(stats.max_in_flight >= 4);

    // Probabilities: all-or-nothing checks.
    let mut plan = FaultPlan::default();
    plan.ops.insert(
        Api::PutObject,
        OpFaults {
            internal_error: 1.0,
            ..OpFaults::default()
        },
    );
    emu.set_faults(plan);
    let put = Call::new(Provider::Cos, Method::PUT, COS_SRC, "new")
        .body(&b"x"[..])
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(put.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        emu.object_info(COS_SRC, "new").is_err(),
        "a faulted request changes nothing"
    );

    // A lost reply: the PUT happens, the client sees a dropped connection.
    let mut plan = FaultPlan::default();
    plan.ops.insert(
        Api::PutObject,
        OpFaults {
            fail_nth: vec![NthFailure {
                n: 2,
                kind: FaultKind::DropResponse,
            }],
            ..OpFaults::default()
        },
    );
    emu.set_faults(plan);
    let lost = Call::new(Provider::Cos, Method::PUT, COS_SRC, "lost")
        .body(&b"y"[..])
        .send(&emu)
        .await;
    assert!(lost.is_err());
    assert_eq!(emu.object_info(COS_SRC, "lost").unwrap().size, 1);
}

#[tokio::test]
async fn source_overwritten_mid_copy() {
    let emu = emulator().await;
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst, _) = buckets(provider);
        let source = emu
            .create_object(src, "moving", ObjectSpec::generated(3 * MIB, 1))
            .unwrap();
        emu.set_faults(FaultPlan {
            overwrite: Some(Overwrite {
                bucket: src.to_string(),
                key: "moving".to_string(),
                after_part_copies: 2,
                seed: 99,
            }),
            ..FaultPlan::default()
        });
        let upload = initiate(&emu, provider, dst, "t").await;
        let target = (dst, "t", upload.as_str());
        let pinned = format!("\"{}\"", source.etag);
        for number in 1..=2u32 {
            let first = u64::from(number - 1) * MIB;
            let r = part_copy(
                &emu,
                provider,
                target,
                number,
                (src, "moving"),
                Some((first, first + MIB - 1)),
                Some(&pinned),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK);
        }
        let third = part_copy(
            &emu,
            provider,
            target,
            3,
            (src, "moving"),
            Some((2 * MIB, 3 * MIB - 1)),
            Some(&pinned),
        )
        .await;
        assert_eq!(third.status, StatusCode::PRECONDITION_FAILED, "{}", third.text());
        let now = emu.object_info(src, "moving").unwrap();
        assert_ne!(now.etag, source.etag);
        assert_eq!(now.size, source.size);
        assert_eq!(emu.uploads().len(), 1);
        assert_eq!(emu.stats().open_uploads, 1);
        let abort = Call::new(provider, Method::DELETE, dst, "t")
            .query(&format!("uploadId={upload}"))
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(abort.status, StatusCode::NO_CONTENT);
    }
}

/// Sends one admin API request and returns (status, JSON).
async fn admin(emu: &Emulator, method: Method, path: &str, body: &str) -> (StatusCode, serde_json::Value) {
    use http_body_util::{BodyExt, Full};
    let addr = emu
        .admin_endpoint()
        .unwrap()
        .trim_start_matches("http://")
        .to_string();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr)
        .body(Full::new(bytes::Bytes::from(body.to_string())))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn admin_api_fixtures_and_introspection() {
    let emu = emulator_with(|mut c| {
        c.admin_listen = Some("127.0.0.1:0".parse().unwrap());
        c
    })
    .await;
    let (status, info) = admin(&emu, Method::GET, "/info", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["endpoint"], emu.endpoint());
    assert_eq!(info["credentials"].as_array().unwrap().len(), 2);
    let (status, _) = admin(
        &emu,
        Method::POST,
        "/buckets",
        r#"{"provider":"oss","name":"extra","region":"cn-shanghai"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = admin(
        &emu,
        Method::POST,
        "/buckets",
        r#"{"provider":"oss","name":"extra","region":"cn-shanghai"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, created) = admin(
        &emu,
        Method::POST,
        "/objects",
        r#"{"bucket":"extra","key":"a b+c","size":1048576,"seed":3,"headers":{"x-oss-meta-k":"v"},"tags":[["t","1"]]}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["size"], 1_048_576);
    let (_, object) = admin(&emu, Method::GET, "/object?bucket=extra&key=a%20b%2Bc", "").await;
    assert_eq!(object["etag"], created["etag"]);
    assert_eq!(object["segments"][0]["kind"], "generated");
    let expected_crc = crc64::checksum(&emu.read("extra", "a b+c", 0, 1_048_576).unwrap());
    assert_eq!(object["crc64"], expected_crc.to_string());
    let (_, same) = admin(
        &emu,
        Method::POST,
        "/same-content",
        r#"{"a":{"bucket":"extra","key":"a b+c"},"b":{"bucket":"extra","key":"a b+c"}}"#,
    )
    .await;
    assert_eq!(same["same"], true);
    let (status, _) = admin(
        &emu,
        Method::PUT,
        "/faults",
        r#"{"ops":{"GetObject":{"fail_nth":[{"n":1,"kind":"slow_down"}]}}}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let get = Call::new(Provider::Oss, Method::GET, "extra", "a b+c")
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(get.xml("Code"), "SlowDown");
    let (_, stats) = admin(&emu, Method::GET, "/stats", "").await;
    assert_eq!(stats["requests"]["GetObject"], 1);
    let (status, missing) = admin(&emu, Method::GET, "/object?bucket=extra&key=nope", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
}

/// Injected latency is served from the request's arrival, never shorter than asked, and the
/// overshoot figures count exactly the delayed requests, and the emulator's own time per request
/// leaves the latency out (in the library and on the admin API).
#[tokio::test]
async fn injected_latency_is_measured() {
    let emu = emulator_with(|mut c| {
        c.admin_listen = Some("127.0.0.1:0".parse().unwrap());
        c
    })
    .await;
    emu.put_bytes(COS_SRC, "k", &b"data"[..]).unwrap();
    let (status, _) = admin(
        &emu,
        Method::PUT,
        "/faults",
        r#"{"ops":{"HeadObject":{"latency_ms":25}}}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..3 {
        let start = Instant::now();
        let head = Call::new(Provider::Cos, Method::HEAD, COS_SRC, "k")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert!(start.elapsed() >= Duration::from_millis(25));
    }
    // Undelayed requests are not counted.
    let get = Call::new(Provider::Cos, Method::GET, COS_SRC, "k")
        .send(&emu)
        .await
        .unwrap();
    assert_eq!(get.status, StatusCode::OK);
    let delays = emu.stats().delays;
    assert_eq!(delays.count, 3);
    assert!(delays.mean_overshoot_us <= delays.max_overshoot_us);
    assert!(delays.p50_overshoot_us <= delays.p99_overshoot_us);
    // The emulator's own time per request leaves the injected latency out: a HEAD's is far below
    // the 25 ms it was delayed (≥ 25,000 µs would mean the wait was counted).
    let served = &emu.stats().max_service_us_by_op;
    let head_us = served[&Api::HeadObject];
    assert!(head_us > 0 && head_us < 25_000, "{served:?}");
    assert!(served.contains_key(&Api::GetObject), "{served:?}");
    let (_, stats) = admin(&emu, Method::GET, "/stats", "").await;
    assert_eq!(stats["delays"]["count"], 3, "{stats}");
    assert_eq!(stats["max_service_us_by_op"]["HeadObject"], head_us, "{stats}");
    for field in [
        "mean_overshoot_us",
        "p50_overshoot_us",
        "p99_overshoot_us",
        "max_overshoot_us",
    ] {
        assert!(stats["delays"][field].is_u64(), "{field} in {stats}");
    }
    let (status, _) = admin(&emu, Method::POST, "/stats/reset", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(emu.stats().delays.count, 0);
    assert!(emu.stats().max_service_us_by_op.is_empty());
}

/// Sends an unsigned HEAD on `stream` and reads its answer's head (a HEAD answer has no body).
async fn raw_head(stream: &mut tokio::net::TcpStream, host: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = format!("HEAD /{COS_SRC}/k HTTP/1.1\r\nhost: {host}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the emulator closed the connection");
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 "), "{answer:?}");
}

#[tokio::test]
async fn the_time_between_an_answer_and_the_next_request_is_measured() {
    let emu = emulator_with(|mut c| {
        c.admin_listen = Some("127.0.0.1:0".parse().unwrap());
        c
    })
    .await;
    let host = emu.addr().to_string();
    let mut kept = tokio::net::TcpStream::connect(emu.addr()).await.unwrap();
    raw_head(&mut kept, &host).await;
    // The client "thinks" for 30 ms before its next request on the same connection.
    tokio::time::sleep(Duration::from_millis(30)).await;
    raw_head(&mut kept, &host).await;
    // A new connection's first request follows no answer: not counted.
    let mut fresh = tokio::net::TcpStream::connect(emu.addr()).await.unwrap();
    raw_head(&mut fresh, &host).await;
    let turnaround = emu.stats().turnaround;
    assert_eq!(turnaround.count, 1, "{turnaround:?}");
    assert!(
        turnaround.mean_us >= 30_000 && turnaround.mean_us < 5_000_000,
        "the 30 ms pause, and the emulator's reading: {turnaround:?}"
    );
    assert_eq!(turnaround.max_us, turnaround.mean_us);
    let (_, stats) = admin(&emu, Method::GET, "/stats", "").await;
    assert_eq!(stats["turnaround"]["count"], 1, "{stats}");
    assert_eq!(stats["turnaround"]["mean_us"], turnaround.mean_us, "{stats}");
    let (status, _) = admin(&emu, Method::POST, "/stats/reset", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(emu.stats().turnaround.count, 0);
    raw_head(&mut kept, &host).await;
    assert_eq!(emu.stats().turnaround.count, 1, "counted again after the reset");
}

mod composition {
    use partcopy_emulator::crc64;
    use partcopy_emulator::segments::{Content, Segment};
    use proptest::prelude::*;

    fn content() -> impl Strategy<Value = Content> {
        proptest::collection::vec(
            prop_oneof![
                (0u64..4, 0u64..3_000_000, 0u64..300_000).prop_map(|(seed, offset, len)| Segment::Virtual {
                    seed,
                    offset,
                    len
                }),
                proptest::collection::vec(any::<u8>(), 0..64)
                    .prop_map(|b| Segment::Literal(bytes::Bytes::from(b))),
            ],
            1..5,
        )
        .prop_map(Content::from_segments)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Cutting an object into parts and completing them gives back the same content, ETag-digest and
        /// CRC — and the combined CRC is the CRC of the bytes.
        #[test]
        fn parts_recompose(c in content(), cuts in proptest::collection::vec(0.0f64..1.0, 0..6)) {
            let len = c.len();
            let mut points: Vec<u64> = cuts.iter().map(|f| (f * len as f64) as u64).collect();
            points.push(0);
            points.push(len);
            points.sort_unstable();
            let parts: Vec<Content> = points.windows(2).map(|w| c.slice(w[0], w[1] - w[0])).collect();
            let whole = Content::concat(parts.iter());
            prop_assert!(whole.same_as(&c));
            prop_assert_eq!(whole.digest(), c.digest());
            prop_assert_eq!(whole.crc64(), crc64::checksum(&c.to_vec()));
        }
    }
}

#[tokio::test]
async fn open_connections_are_counted_until_they_close() {
    let emu = emulator().await;
    let wait_for = |want: u64| {
        let emu = &emu;
        async move {
            let deadline = Instant::now() + Duration::from_secs(5);
            while emu.stats().open_connections != want && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            emu.stats().open_connections
        }
    };
    assert_eq!(emu.stats().open_connections, 0);
    let first = tokio::net::TcpStream::connect(emu.addr()).await.unwrap();
    let second = tokio::net::TcpStream::connect(emu.addr()).await.unwrap();
    assert_eq!(wait_for(2).await, 2);
    drop(first);
    assert_eq!(wait_for(1).await, 1);
    drop(second);
    assert_eq!(wait_for(0).await, 0);
}

#[tokio::test]
async fn list_objects_pages_from_the_marker_and_may_hold_fewer_than_asked() {
    let emu = emulator_with(|mut c| {
        c.cos_limits.max_keys_per_page = 2;
        c
    })
    .await;
    let oss = emulator().await;
    for (emu, provider) in [(&emu, Provider::Cos), (&oss, Provider::Oss)] {
        let (src, _, _) = buckets(provider);
        for key in ["p/a", "p/b", "p/c", "p/d", "p/e", "q/z"] {
            emu.create_object(src, key, ObjectSpec::generated(3, 1)).unwrap();
        }
        let list = |query: &'static str| Call::new(provider, Method::GET, src, "").query(query).send(emu);
        // COS here serves two keys a page whatever is asked; OSS as many as asked.
        let first = list("prefix=p%2F&max-keys=3").await.unwrap();
        assert_eq!(first.status, StatusCode::OK, "{}", first.text());
        assert_eq!(first.xml("MaxKeys"), "3");
        assert_eq!(first.xml("IsTruncated"), "true");
        let keys = first.xml_all("Key");
        let expected: &[&str] = match provider {
            Provider::Cos => &["p/a", "p/b"],
            Provider::Oss => &["p/a", "p/b", "p/c"],
        };
        assert_eq!(keys, expected);
        assert_eq!(first.xml("NextMarker"), *expected.last().unwrap());
        let rest = list("prefix=p%2F&max-keys=3&marker=p%2Fc").await.unwrap();
        assert_eq!(rest.xml_all("Key"), ["p/d", "p/e"]);
        assert_eq!(rest.xml("IsTruncated"), "false");
        assert!(!rest.text().contains("NextMarker"), "{}", rest.text());
        let refused = list("max-keys=0").await.unwrap();
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn set_header_changes_a_header_and_keeps_the_object_as_it_was() {
    let emu = emulator().await;
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, _, _) = buckets(provider);
        let p = provider.prefix();
        let created = emu
            .create_object(src, "cold", ObjectSpec::generated(5000, 9))
            .unwrap();
        emu.backdate_object(src, "cold", Duration::from_secs(3600))
            .unwrap();
        let before = emu.object_info(src, "cold").unwrap();
        let class = format!("{p}-storage-class");
        let after = emu
            .set_header(src, "cold", &class.to_uppercase(), "ARCHIVE")
            .unwrap();
        assert_eq!(after.etag, created.etag);
        assert_eq!(after.last_modified, before.last_modified);
        assert_eq!(after.size, 5000);
        let head = Call::new(provider, Method::HEAD, src, "cold")
            .send(&emu)
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.header(&class), "ARCHIVE", "the name is stored lower case");
        assert!(emu.set_header(src, "missing", &class, "ARCHIVE").is_err());
        assert!(emu
            .set_header("no-such-bucket", "cold", &class, "ARCHIVE")
            .is_err());
    }
}
