//! Journal benchmark: appending one part record to a [`FileJournal`] and ending the driver's turn
//! ([`Journal::idle`]), the worst case of one reply per turn: the record's encoding, with the
//! batch's one `write` and `fdatasync` every [`FileJournal::BATCH_RECORDS`] records amortised in.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use partcopy_core::checkpoint::{Header, Record};
use partcopy_transport_hyper::{FileJournal, Journal};

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("partcopy-journal-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("journal");
    let _ = std::fs::remove_file(&path);
    let (mut journal, _) = FileJournal::open(&path).unwrap();
    journal
        .append(&Record::Header(Header {
            source: "cos:ap-beijing:far-1250000000/bench/object".into(),
            destination: "cos:ap-guangzhou:dst-1250000000/bench/copy".into(),
            version_id: None,
            size: 10_000 << 20,
            etag: "\"0123456789abcdef0123456789abcdef-1\"".into(),
            last_modified: Some("Sat, 21 Nov 2026 22:00:00 GMT".into()),
            upload_id: "1700000000a1b2c3d4e5f60718293a4b5c6d7e8f".into(),
            part_size: 1 << 20,
            initiated: Some("Sat, 21 Nov 2026 22:00:01 GMT".into()),
            crc64: Some(0x1234_5678_9ABC_DEF0),
            options: Some("9:directive4:copy\n4:tags6:follow\n".into()),
        }))
        .unwrap();
    let etag = "\"9a0364b9e99bb480dd25e1f0284c8555\"".to_string();
    let mut number = 0u32;
    let mut g = c.benchmark_group("journal");
    g.bench_function("append_part", |b| {
        b.iter(|| {
            // Part numbers stay in the service's range; the file only grows.
            number = number % 10_000 + 1;
            let record = Record::Part {
                number,
                etag: etag.clone(),
            };
            journal.append(black_box(&record)).unwrap();
            journal.idle().unwrap();
        })
    });
    g.finish();
    let _ = journal.finish(true);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = bench
}
criterion_main!(benches);
