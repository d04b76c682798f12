//! Drives a `CopyJob` by hand against a tiny fake service: no network, no async, no clock.
//!
//! Run with `cargo run -p partcopy-core --example by_hand`. It copies a 2.5 GiB "object" with
//! 1 GiB parts, three at a time; the fake service throttles the first attempt at part 2, so the
//! job backs off and retries it. Every step the job asks for is printed.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use partcopy_core::checkpoint::{self, Record};
use partcopy_core::job::{CopyJob, JobConfig, JobSpec, RequestId, Step};
use partcopy_core::ops::{Failure, FailureKind, ObjectMetadata, Operation, Reply, SourceInfo};
use partcopy_core::plan::{Limits, PlanOptions};

const GIB: u64 = 1 << 30;

/// Just enough of a COS bucket pair to answer a multipart copy.
struct FakeService {
    parts: BTreeMap<u32, String>,
    throttled_once: bool,
}

impl FakeService {
    fn answer(&mut self, op: &Operation) -> Result<Reply, Failure> {
        match op {
            Operation::HeadSource => Ok(Reply::Head(Box::new(SourceInfo {
                size: 5 * GIB / 2,
                etag: "\"9b2cf535f27731c974343645a3985328\"".into(),
                last_modified: Some("Sat, 21 Nov 2026 10:00:00 GMT".into()),
                metadata: ObjectMetadata {
                    content_type: Some("video/mp4".into()),
                    ..ObjectMetadata::default()
                },
                ..SourceInfo::default()
            }))),
            Operation::GetSourceTagging => Ok(Reply::Tagging(vec![("team".into(), "a".into())])),
            Operation::Initiate { .. } => Ok(Reply::Initiated {
                upload_id: "1700000000abcdef".into(),
                date: Some("Sat, 21 Nov 2026 10:00:05 GMT".into()),
            }),
            Operation::UploadPartCopy { part_number, .. } => {
                if *part_number == 2 && !self.throttled_once {
                    self.throttled_once = true;
                    return Err(Failure {
                        kind: FailureKind::Throttled,
                        status: Some(503),
                        code: "SlowDown".into(),
                        message: "Please reduce your request rate.".into(),
                        request_id: None,
                        retry_after: Some(Duration::from_secs(1)),
                    });
                }
                let etag = format!("\"etag-of-part-{part_number}\"");
                self.parts.insert(*part_number, etag.clone());
                Ok(Reply::PartCopied { etag, crc64: None })
            }
            Operation::Complete { parts, .. } => {
                assert!(parts.iter().all(|p| self.parts.get(&p.number) == Some(&p.etag)));
                Ok(Reply::Completed {
                    etag: format!("\"final-{}\"", parts.len()),
                    crc64: None,
                })
            }
            other => panic!("the example does not expect {other:?}"),
        }
    }
}

fn main() {
    let mut spec = JobSpec::new(
        "cos://src-1250000000/movie.mp4@ap-guangzhou",
        "cos://dst-1250000000/movie.mp4@ap-guangzhou",
        Limits::COS,
    );
    spec.plan = PlanOptions {
        part_size: Some(GIB),
        threshold: Some(GIB),
    };
    let config = JobConfig {
        concurrency: 3,
        resumable: true,
        ..JobConfig::default()
    };
    let mut job = CopyJob::new(spec, config).expect("valid options");
    let mut service = FakeService {
        parts: BTreeMap::new(),
        throttled_once: false,
    };
    let mut journal: Vec<u8> = Vec::new();
    let mut in_flight: VecDeque<(RequestId, Operation)> = VecDeque::new();
    // Our own notion of time: it only moves when we say so.
    let mut now = Duration::ZERO;

    let outcome = 'run: loop {
        // Drain the job's steps until it waits or finishes.
        let wait = loop {
            match job.poll(now) {
                Step::Send { id, op } => {
                    println!("{now:>6.1?}  send {id}: {}", short(&op));
                    in_flight.push_back((id, op));
                }
                Step::Persist(record) => {
                    println!("{now:>6.1?}  persist {}", describe(&record));
                    journal.extend(checkpoint::encode(&record));
                }
                Step::Wait { until } => break until,
                Step::Finished(Ok(outcome)) => break 'run outcome,
                Step::Finished(Err(error)) => {
                    eprintln!("copy failed: {error}");
                    std::process::exit(1);
                }
            }
        };
        // Answer the oldest request, or sleep until the wake-up time when nothing is in flight.
        match in_flight.pop_front() {
            Some((id, op)) => {
                now += Duration::from_millis(100);
                let reply = service.answer(&op);
                let shown = match &reply {
                    Ok(_) => "ok".to_string(),
                    Err(f) => format!("{} {}", f.status.unwrap_or(0), f.code),
                };
                println!("{now:>6.1?}  reply {id}: {shown}");
                job.handle(id, reply, now);
            }
            None => {
                let until = wait.expect("nothing in flight, so the job names a wake-up time");
                println!("{now:>6.1?}  sleep until {until:.1?}");
                now = until;
            }
        }
    };

    let (records, valid) = checkpoint::decode_journal(&journal).expect("journal reads back");
    println!(
        "copied {} bytes in {} parts of {} bytes: ETag {}, {} requests, {} retries; journal: {} records in {valid} bytes",
        outcome.size,
        outcome.parts,
        outcome.part_size.unwrap_or(0),
        outcome.etag,
        outcome.requests,
        outcome.retries,
        records.len(),
    );
}

fn short(op: &Operation) -> String {
    match op {
        Operation::UploadPartCopy {
            part_number, range, ..
        } => format!(
            "UploadPartCopy part {part_number} bytes={}-{}",
            range.first, range.last
        ),
        Operation::Complete { parts, .. } => format!("Complete with {} parts", parts.len()),
        Operation::Initiate { metadata, tags, .. } => format!(
            "Initiate (content-type {:?}, {} tag(s))",
            metadata.content_type.as_deref().unwrap_or("-"),
            tags.len()
        ),
        other => format!("{other:?}"),
    }
}

fn describe(record: &Record) -> String {
    match record {
        Record::Header(h) => format!("header: upload {} part size {}", h.upload_id, h.part_size),
        Record::Part { number, etag } => format!("part {number} {etag}"),
    }
}
