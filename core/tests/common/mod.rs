//! A deterministic, in-memory model of a COS/OSS bucket pair and a driver that runs a `CopyJob`
//! against it with scripted faults. Shared by the job tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use partcopy_core::checkpoint::Record;
use partcopy_core::job::{CopyJob, JobError, Outcome, RequestId, Step};
use partcopy_core::ops::{
    ByteRange, CompletedPart, Failure, FailureKind, ListedPart, MetadataDirective, ObjectMetadata, Operation,
    Reply, SourceInfo,
};

/// A completed destination object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub etag: String,
    /// `None` for a PUT-Copy; the ranges of the parts, in order, for a multipart copy.
    pub parts: Option<Vec<ByteRange>>,
    pub size: u64,
    pub upload_id: Option<String>,
    /// The simulated content's CRC-64 (see [`content_crc`]).
    pub crc64: u64,
    pub metadata: ObjectMetadata,
    /// `Last-Modified`, from the service's clock.
    pub last_modified: String,
    /// The storage class the copy asked for.
    pub storage_class: Option<String>,
}

impl Object {
    /// The object as HEAD describes it.
    pub fn info(&self, report_crc64: bool) -> SourceInfo {
        SourceInfo {
            size: self.size,
            etag: self.etag.clone(),
            last_modified: Some(self.last_modified.clone()),
            version_id: None,
            storage_class: self.storage_class.clone(),
            crc64: report_crc64.then_some(self.crc64),
            metadata: self.metadata.clone(),
            encryption: None,
            needs_restore: false,
        }
    }
}

/// The CRC-64 of a simulated object whose content is `size` bytes of the source version `etag`.
pub fn content_crc(etag: &str, size: u64) -> u64 {
    etag.bytes().fold(size ^ 0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    })
}

/// The service's clock: whole seconds from an origin, one tick per request.
pub fn http_date(tick: u64) -> String {
    httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000 + tick))
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
    /// Whether HEAD reports CRC-64s (the confirmation of a lost Complete falls back on dates).
    pub report_crc64: bool,
    /// Each upload's metadata, from Initiate.
    pub upload_metadata: BTreeMap<String, ObjectMetadata>,
    /// Each upload's storage class, from Initiate.
    pub upload_classes: BTreeMap<String, Option<String>>,
    /// The source version (ETag) each part was copied from, by (upload, part number).
    pub part_sources: BTreeMap<(String, u32), String>,
    counter: u64,
    /// Page size when ListParts names none.
    pub default_page: u32,
    /// The destination is the source (a copy in place): a copy that lands rewrites the source, and
    /// HEAD of the destination is HEAD of the source.
    pub in_place: bool,
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
            report_crc64: true,
            upload_metadata: BTreeMap::new(),
            upload_classes: BTreeMap::new(),
            part_sources: BTreeMap::new(),
            counter: 0,
            default_page: 1000,
            in_place: false,
        }
    }

    /// In place, the object just written is the source from now on.
    fn land(&mut self) {
        if let (true, Some(object)) = (self.in_place, &self.object) {
            self.source = object.info(true);
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
            Operation::HeadSource => {
                let mut info = self.source.clone();
                if !self.report_crc64 {
                    info.crc64 = None;
                }
                Ok(Reply::Head(Box::new(info)))
            }
            Operation::HeadDestination if self.in_place => {
                let mut info = self.source.clone();
                if !self.report_crc64 {
                    info.crc64 = None;
                }
                Ok(Reply::Head(Box::new(info)))
            }
            Operation::HeadDestination => match &self.object {
                Some(object) => Ok(Reply::Head(Box::new(object.info(self.report_crc64)))),
                None => Err(failure(FailureKind::NoSuchKey, 404)),
            },
            Operation::GetSourceTagging => Ok(Reply::Tagging(self.source_tags.clone())),
            Operation::PutCopy {
                source_etag,
                directive,
                metadata,
                storage_class,
                ..
            } => {
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
                    crc64: content_crc(&self.source.etag, self.source.size),
                    metadata: match directive {
                        MetadataDirective::Copy => self.source.metadata.clone(),
                        MetadataDirective::Replace => metadata.clone(),
                    },
                    last_modified: http_date(n),
                    storage_class: storage_class.clone(),
                });
                self.land();
                Ok(Reply::Copied { etag, crc64: None })
            }
            Operation::Initiate {
                metadata,
                storage_class,
                ..
            } => {
                let upload_id = format!("up-{n}");
                self.uploads.insert(upload_id.clone(), BTreeMap::new());
                self.upload_metadata.insert(upload_id.clone(), metadata.clone());
                self.upload_classes
                    .insert(upload_id.clone(), storage_class.clone());
                Ok(Reply::Initiated {
                    upload_id,
                    date: Some(http_date(n)),
                })
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
                self.part_sources
                    .insert((upload_id.clone(), *part_number), self.source.etag.clone());
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
                // The content is one source version's bytes only when every part comes from it
                // and the ranges follow one another from byte 0.
                let versions: Vec<&String> = parts
                    .iter()
                    .filter_map(|p| self.part_sources.get(&(upload_id.clone(), p.number)))
                    .collect();
                let contiguous = ranges
                    .iter()
                    .try_fold(0u64, |at, r| (r.first == at).then_some(r.last + 1))
                    .is_some();
                let crc64 = match versions.first() {
                    Some(first) if contiguous && versions.iter().all(|v| v == first) => {
                        content_crc(first, size)
                    }
                    _ => content_crc("a mix of versions", size) ^ 1,
                };
                self.uploads.remove(upload_id);
                self.object = Some(Object {
                    etag: etag.clone(),
                    parts: Some(ranges),
                    size,
                    upload_id: Some(upload_id.clone()),
                    crc64,
                    metadata: self.upload_metadata.get(upload_id).cloned().unwrap_or_default(),
                    last_modified: http_date(n),
                    storage_class: self.upload_classes.get(upload_id).cloned().flatten(),
                });
                self.completions += 1;
                self.land();
                Ok(Reply::Completed { etag, crc64: None })
            }
            Operation::Abort { upload_id } => match self.uploads.remove(upload_id) {
                Some(_) => Ok(Reply::Aborted),
                None => Err(failure(FailureKind::NoSuchUpload, 404)),
            },
            // A copy job never lists uploads.
            Operation::ListUploads { .. } | Operation::ListObjects { .. } | Operation::DeleteSource => {
                panic!("a job sent {op:?}")
            }
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
        crc64: Some(content_crc(etag, size)),
        metadata: partcopy_core::ops::ObjectMetadata {
            content_type: Some("video/mp4".into()),
            cache_control: Some("no-cache".into()),
            user: vec![("owner".into(), "alice".into())],
            ..Default::default()
        },
        encryption: None,
        needs_restore: false,
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

impl Run {
    /// The operations sent, in order.
    pub fn ops(&self) -> Vec<&Operation> {
        self.sent.iter().map(|(_, op)| op).collect()
    }
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
