//! A deterministic, in-memory model of a COS/OSS bucket pair and a driver that runs a `CopyJob`
//! against it with scripted faults. Shared by the job tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use partcopy_core::checkpoint::Record;
use partcopy_core::job::{CopyJob, JobError, Outcome, RequestId, Step};
use partcopy_core::ops::{
    ByteRange, CompletedPart, Failure, FailureKind, ListedPart, Operation, Reply, SourceInfo,
};

/// A completed destination object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub etag: String,
    /// `None` for a PUT-Copy; the ranges of the parts, in order, for a multipart copy.
    pub parts: Option<Vec<ByteRange>>,
    pub size: u64,
    pub upload_id: Option<String>,
}

/// One upload's parts: number → (ETag, range).
pub type Parts = BTreeMap<u32, (String, ByteRange)>;

/// The service: a source object, multipart uploads and the destination object.
#[derive(Debug, Clone)]
pub struct Service {
    pub source: SourceInfo,
    pub source_tags: Vec<(String, String)>,
    pub uploads: BTreeMap<String, Parts>,
    pub object: Option<Object>,
    /// Every operation applied (not those that failed before reaching the service).
    pub applied: Vec<Operation>,
    /// Times Complete succeeded.
    pub completions: u32,
    counter: u64,
    /// Page size when ListParts names none.
    pub default_page: u32,
}

impl Service {
    pub fn new(size: u64) -> Service {
        Service {
            source: source_info(size, "\"src-v1\""),
            source_tags: vec![("team".into(), "storage".into())],
            uploads: BTreeMap::new(),
            object: None,
            applied: Vec::new(),
            completions: 0,
            counter: 0,
            default_page: 1000,
        }
    }

    /// Overwrites the source with new content of `size` bytes.
    pub fn change_source(&mut self, size: u64) {
        self.counter += 1;
        self.source = source_info(size, &format!("\"src-v{}\"", self.counter + 1));
        self.source.last_modified = Some(format!("modified {}", self.counter));
    }

    /// Applies `op` as a correct service would.
    pub fn apply(&mut self, op: &Operation) -> Result<Reply, Failure> {
        self.applied.push(op.clone());
        self.counter += 1;
        let n = self.counter;
        match op {
            Operation::HeadSource => Ok(Reply::Head(Box::new(self.source.clone()))),
            Operation::GetSourceTagging => Ok(Reply::Tagging(self.source_tags.clone())),
            Operation::PutCopy { source_etag, .. } => {
                if source_etag.as_ref().is_some_and(|e| *e != self.source.etag) {
                    return Err(failure(FailureKind::PreconditionFailed, 412));
                }
                assert!(self.source.size <= 1 << 40);
                let etag = format!("\"obj-{n}\"");
                self.object = Some(Object {
                    etag: etag.clone(),
                    parts: None,
                    size: self.source.size,
                    upload_id: None,
                });
                Ok(Reply::Copied { etag, crc64: None })
            }
            Operation::Initiate { .. } => {
                let upload_id = format!("up-{n}");
                self.uploads.insert(upload_id.clone(), BTreeMap::new());
                Ok(Reply::Initiated { upload_id })
            }
            Operation::UploadPartCopy {
                upload_id,
                part_number,
                range,
                source_etag,
            } => {
                if *source_etag != self.source.etag {
                    return Err(failure(FailureKind::PreconditionFailed, 412));
                }
                assert!(range.last < self.source.size, "range beyond the source");
                assert!((1..=10_000).contains(part_number));
                let Some(upload) = self.uploads.get_mut(upload_id) else {
                    return Err(failure(FailureKind::NoSuchUpload, 404));
                };
                let etag = format!("\"{upload_id}-p{part_number}-{n}\"");
                upload.insert(*part_number, (etag.clone(), *range));
                Ok(Reply::PartCopied { etag, crc64: None })
            }
            Operation::ListParts {
                upload_id,
                marker,
                max_parts,
            } => {
                let Some(upload) = self.uploads.get(upload_id) else {
                    return Err(failure(FailureKind::NoSuchUpload, 404));
                };
                let page = max_parts.unwrap_or(self.default_page).max(1) as usize;
                let after: Vec<ListedPart> = upload
                    .range(marker.map_or(0, |m| m + 1)..)
                    .map(|(&number, (etag, range))| ListedPart {
                        number,
                        etag: etag.clone(),
                        size: range.len(),
                    })
                    .collect();
                let truncated = after.len() > page;
                let parts: Vec<ListedPart> = after.into_iter().take(page).collect();
                let next_marker = if truncated {
                    parts.last().map(|p| p.number)
                } else {
                    None
                };
                Ok(Reply::Parts { parts, next_marker })
            }
            Operation::Complete { upload_id, parts } => {
                let Some(upload) = self.uploads.get(upload_id) else {
                    return Err(failure(FailureKind::NoSuchUpload, 404));
                };
                let mut ranges = Vec::new();
                let mut previous = 0;
                for CompletedPart { number, etag } in parts.iter() {
                    let ok = *number > previous && upload.get(number).is_some_and(|(e, _)| e == etag);
                    if !ok {
                        return Err(failure(FailureKind::Fatal, 400));
                    }
                    previous = *number;
                    ranges.push(upload[number].1);
                }
                let size = ranges.iter().map(ByteRange::len).sum();
                let etag = format!("\"mp-{n}-{}\"", parts.len());
                self.uploads.remove(upload_id);
                self.object = Some(Object {
                    etag: etag.clone(),
                    parts: Some(ranges),
                    size,
                    upload_id: Some(upload_id.clone()),
                });
                self.completions += 1;
                Ok(Reply::Completed { etag, crc64: None })
            }
            Operation::Abort { upload_id } => match self.uploads.remove(upload_id) {
                Some(_) => Ok(Reply::Aborted),
                None => Err(failure(FailureKind::NoSuchUpload, 404)),
            },
        }
    }
}

pub fn source_info(size: u64, etag: &str) -> SourceInfo {
    SourceInfo {
        size,
        etag: etag.into(),
        last_modified: Some("Sat, 21 Nov 2026 10:00:00 GMT".into()),
        version_id: None,
        storage_class: None,
        crc64: Some(0x1234),
        metadata: partcopy_core::ops::ObjectMetadata {
            content_type: Some("video/mp4".into()),
            cache_control: Some("no-cache".into()),
            user: vec![("owner".into(), "alice".into())],
            ..Default::default()
        },
    }
}

pub fn failure(kind: FailureKind, status: u16) -> Failure {
    Failure {
        kind,
        status: Some(status),
        code: format!("{kind:?}"),
        message: "simulated".into(),
        request_id: Some("req-1".into()),
        retry_after: None,
    }
}

/// What the simulated network does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Deliver it and its reply.
    None,
    /// A 500 before the service acts.
    Retryable,
    /// A 503 SlowDown before the service acts, maybe with Retry-After (ms).
    Throttled(Option<u16>),
    /// The connection fails before the service acts.
    Transport,
    /// The service acts but the reply is lost (a timeout).
    LostReply,
    /// A 400 before the service acts.
    Fatal,
    /// A 412 (only on part copies and PUT-Copy; otherwise like `None`).
    Precondition,
    /// Deliver the reply twice.
    Duplicate,
}

impl Fault {
    pub fn outcome(self, service: &mut Service, op: &Operation) -> Result<Reply, Failure> {
        match self {
            Fault::None | Fault::Duplicate => service.apply(op),
            Fault::Retryable => Err(failure(FailureKind::Retryable, 500)),
            Fault::Throttled(after) => {
                let mut f = failure(FailureKind::Throttled, 503);
                f.retry_after = after.map(|ms| Duration::from_millis(ms.into()));
                Err(f)
            }
            Fault::Transport => Err(Failure {
                status: None,
                ..failure(FailureKind::Transport, 0)
            }),
            Fault::LostReply => {
                let _ = service.apply(op);
                Err(Failure {
                    status: None,
                    ..failure(FailureKind::Transport, 0)
                })
            }
            Fault::Fatal => Err(failure(FailureKind::Fatal, 400)),
            Fault::Precondition => match op {
                Operation::UploadPartCopy { .. } | Operation::PutCopy { .. } => {
                    Err(failure(FailureKind::PreconditionFailed, 412))
                }
                _ => service.apply(op),
            },
        }
    }
}

/// A record of one run.
#[derive(Debug, Default)]
pub struct Run {
    /// Every operation sent, in order.
    pub sent: Vec<(RequestId, Operation)>,
    /// Every record persisted, in order.
    pub records: Vec<Record>,
    /// The result, if the run finished.
    pub result: Option<Result<Outcome, JobError>>,
    /// Most part copies in flight at once.
    pub max_parts_in_flight: usize,
    /// Part copies in flight whenever Complete was sent (all must be 0).
    pub parts_in_flight_at_complete: Vec<usize>,
    /// Requests sent but not answered when the run stopped.
    pub pending: Vec<(RequestId, Operation)>,
    /// Steps taken.
    pub steps: usize,
    /// How many operations had been sent when the job was cancelled.
    pub sent_before_cancel: Option<usize>,
}

/// Drives `job` against `service`. `faults[k]` applies to the k-th reply; `choices[k]` picks
/// which pending request is answered next (reordering) and whether time jumps to the job's wake
/// time first. Stops after `stop_after` deliveries, if given (an interruption).
pub fn drive(
    job: &mut CopyJob,
    service: &mut Service,
    faults: &[Fault],
    choices: &[u8],
    stop_after: Option<usize>,
) -> Run {
    drive_with(job, service, faults, choices, stop_after, None)
}

/// [`drive`], calling `job.cancel()` once `cancel_after` replies were delivered.
pub fn drive_with(
    job: &mut CopyJob,
    service: &mut Service,
    faults: &[Fault],
    choices: &[u8],
    stop_after: Option<usize>,
    cancel_after: Option<usize>,
) -> Run {
    let mut run = Run::default();
    let mut now = Duration::ZERO;
    let mut pending: Vec<(RequestId, Operation)> = Vec::new();
    let mut answered: Vec<RequestId> = Vec::new();
    let mut delivered = 0usize;
    loop {
        run.steps += 1;
        assert!(run.steps < 100_000, "the job does not terminate");
        let until = loop {
            match job.poll(now) {
                Step::Send { id, op } => {
                    let parts_in_flight = pending
                        .iter()
                        .filter(|(_, op)| matches!(op, Operation::UploadPartCopy { .. }))
                        .count();
                    if matches!(op, Operation::Complete { .. }) {
                        run.parts_in_flight_at_complete.push(parts_in_flight);
                    }
                    pending.push((id, op.clone()));
                    run.sent.push((id, op));
                    let parts = pending
                        .iter()
                        .filter(|(_, op)| matches!(op, Operation::UploadPartCopy { .. }))
                        .count();
                    run.max_parts_in_flight = run.max_parts_in_flight.max(parts);
                }
                Step::Persist(record) => run.records.push(record),
                Step::Wait { until } => break until,
                Step::Finished(result) => {
                    assert!(pending.is_empty(), "finished with requests in flight");
                    // Polling again gives the same result.
                    assert_eq!(job.poll(now), Step::Finished(result.clone()));
                    run.result = Some(result);
                    return run;
                }
            }
        };
        if cancel_after == Some(delivered) && run.sent_before_cancel.is_none() {
            run.sent_before_cancel = Some(run.sent.len());
            job.cancel();
            continue;
        }
        if stop_after.is_some_and(|limit| delivered >= limit) {
            run.pending = pending;
            return run;
        }
        let choice = choices.get(delivered).copied().unwrap_or(0);
        if let Some(until) = until {
            assert!(until > now, "Wait until {until:?} is not after now {now:?}");
            if pending.is_empty() || choice % 5 == 4 {
                now = until;
                continue;
            }
        }
        assert!(
            !pending.is_empty(),
            "the job waits for nothing: no request in flight and no wake time"
        );
        let (id, op) = pending.remove(usize::from(choice) % pending.len());
        let fault = faults.get(delivered).copied().unwrap_or(Fault::None);
        delivered += 1;
        now += Duration::from_millis(1);
        let result = fault.outcome(service, &op);
        job.handle(id, result.clone(), now);
        if fault == Fault::Duplicate {
            job.handle(id, result, now);
        }
        // A reply for an id answered long ago changes nothing either.
        if let Some(&old) = answered.first() {
            job.handle(old, Ok(Reply::Aborted), now);
        }
        answered.push(id);
    }
}

/// The operations of `run` of one kind.
pub fn count(run: &Run, pred: impl Fn(&Operation) -> bool) -> usize {
    run.sent.iter().filter(|(_, op)| pred(op)).count()
}
