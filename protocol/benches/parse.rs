//! Parsing speed of the two hot documents: a CopyPartResult (one per part) and a 1,000-part
//! ListPartsResult page (resume and verification).

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use partcopy_core::ops::{ByteRange, Operation};
use partcopy_protocol::documents::{parse_copy_part, parse_list_parts};
use partcopy_protocol::provider::Provider;
use partcopy_protocol::response::parse_reply;

const COPY_PART: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyPartResult>\n  \
    <LastModified>2026-01-02T03:04:05.000Z</LastModified>\n  \
    <ETag>\"3E1A1B2C0F5F3B4D5B6A7C8D9E0F1A2B\"</ETag>\n</CopyPartResult>\n";

fn list_parts_page(parts: u32) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListPartsResult>\n  <Bucket>examplebucket-1250000000</Bucket>\n  \
         <Key>dir/big.bin</Key>\n  <UploadId>1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361</UploadId>\n  \
         <PartNumberMarker>0</PartNumberMarker>\n",
    );
    for n in 1..=parts {
        s.push_str(&format!(
            "  <Part>\n    <PartNumber>{n}</PartNumber>\n    <LastModified>2026-03-25T10:07:15.000Z</LastModified>\n    \
             <ETag>\"{n:032x}\"</ETag>\n    <Size>67108864</Size>\n  </Part>\n"
        ));
    }
    s.push_str(&format!(
        "  <NextPartNumberMarker>{parts}</NextPartNumberMarker>\n  <MaxParts>{parts}</MaxParts>\n  \
         <IsTruncated>true</IsTruncated>\n</ListPartsResult>\n"
    ));
    s
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(COPY_PART.len() as u64));
    g.bench_function("copy_part_result", |b| {
        b.iter(|| parse_copy_part(black_box(COPY_PART.as_bytes())).unwrap())
    });
    let response = http::Response::builder()
        .status(200)
        .header("x-cos-hash-crc64ecma", "16749565679157681890")
        .body(Bytes::from_static(COPY_PART.as_bytes()))
        .unwrap();
    let op = Operation::UploadPartCopy {
        upload_id: "u".into(),
        part_number: 7,
        range: ByteRange {
            first: 0,
            last: 67108863,
        },
        source_etag: "\"e\"".into(),
    };
    g.bench_function("upload_part_copy_reply", |b| {
        b.iter(|| parse_reply(Provider::Cos, black_box(&op), black_box(&response)).unwrap())
    });

    let page = list_parts_page(1000);
    g.throughput(Throughput::Bytes(page.len() as u64));
    g.bench_function("list_parts_1000", |b| {
        b.iter(|| parse_list_parts(black_box(page.as_bytes())).unwrap())
    });
    // Baseline: only pulling quick-xml's events over the same page, no parsing of ours.
    g.bench_function("list_parts_1000_quick_xml_events_only", |b| {
        b.iter(|| {
            let mut reader = quick_xml::Reader::from_str(black_box(page.as_str()));
            let mut n = 0usize;
            loop {
                match reader.read_event().unwrap() {
                    quick_xml::events::Event::Eof => break n,
                    _ => n += 1,
                }
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
