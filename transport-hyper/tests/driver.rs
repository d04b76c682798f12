//! The driver against a fake service: a `Wire` that carries the operation in the request's
//! extensions and a `Transport` that answers it, so the loop is tested without HTTP formats.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use partcopy_core::checkpoint::Record;
use partcopy_core::job::{CopyJob, CopyMode, JobConfig, JobError, JobSpec, Progress};
use partcopy_core::ops::{Failure, FailureKind, Operation, Reply, SourceInfo};
use partcopy_core::plan::{Limits, PlanOptions};
use partcopy_transport_hyper::{
    cancel_pair, drive, CancelSignal, DriveError, Journal, MemoryJournal, SendFuture, Transport,
    TransportError, Wire,
};

const MIB: u64 = 1 << 20;

/// The fake service's state, shared with the test.
#[derive(Default)]
struct Service {
    size: u64,
    in_flight: usize,
    max_in_flight: usize,
    parts: BTreeMap<u32, u64>,
    completed: Option<Vec<u32>>,
    aborted: bool,
    /// Part numbers whose first attempt fails with 503 SlowDown.
    throttle_once: Vec<u32>,
    /// Part numbers whose attempts never get an answer (connection refused).
    unreachable: Vec<u32>,
    /// Delay of each part copy.
    part_delay: Duration,
    /// Part copies handed to the transport so far.
    part_sends: usize,
}

struct FakeTransport(Arc<Mutex<Service>>);

impl Transport for FakeTransport {
    fn send(&self, request: http::Request<Bytes>) -> SendFuture {
        let service = Arc::clone(&self.0);
        Box::pin(async move {
            let op = request.extensions().get::<Operation>().unwrap().clone();
            let delay = {
                let mut s = service.lock().unwrap();
                s.in_flight += 1;
                s.max_in_flight = s.max_in_flight.max(s.in_flight);
                if matches!(op, Operation::UploadPartCopy { .. }) {
                    s.part_sends += 1;
                }
                s.part_delay
            };
            if matches!(op, Operation::UploadPartCopy { .. }) {
                tokio::time::sleep(delay).await;
            }
            let mut s = service.lock().unwrap();
            s.in_flight -= 1;
            let status = match &op {
                Operation::UploadPartCopy {
                    part_number, range, ..
                } => {
                    if s.unreachable.contains(part_number) {
                        return Err(TransportError::Connect {
                            authority: "fake".into(),
                            detail: "refused".into(),
                        });
                    }
                    if let Some(i) = s.throttle_once.iter().position(|n| n == part_number) {
                        s.throttle_once.remove(i);
                        503
                    } else {
                        s.parts.insert(*part_number, range.len());
                        200
                    }
                }
                Operation::Complete { parts, .. } => {
                    s.completed = Some(parts.iter().map(|p| p.number).collect());
                    200
                }
                Operation::Abort { .. } => {
                    s.aborted = true;
                    204
                }
                _ => 200,
            };
            let mut response = http::Response::builder()
                .status(status)
                .body(Bytes::new())
                .unwrap();
            response.extensions_mut().insert(s.size);
            Ok(response)
        })
    }
}

struct FakeWire;

impl Wire for FakeWire {
    fn request(&self, op: &Operation, _now: SystemTime) -> Result<http::Request<Bytes>, Failure> {
        let mut request = http::Request::new(Bytes::new());
        request.extensions_mut().insert(op.clone());
        Ok(request)
    }

    fn reply(&self, op: &Operation, response: &http::Response<Bytes>) -> Result<Reply, Failure> {
        if response.status() == 503 {
            return Err(Failure {
                kind: FailureKind::Throttled,
                status: Some(503),
                code: "SlowDown".into(),
                message: "slow down".into(),
                request_id: Some("req-1".into()),
                retry_after: None,
            });
        }
        let size = *response.extensions().get::<u64>().unwrap();
        Ok(match op {
            Operation::HeadSource | Operation::HeadDestination => Reply::Head(Box::new(SourceInfo {
                size,
                etag: "\"src\"".into(),
                ..SourceInfo::default()
            })),
            Operation::GetSourceTagging => Reply::Tagging(Vec::new()),
            Operation::PutCopy { .. } => Reply::Copied {
                etag: "\"single\"".into(),
                crc64: None,
            },
            Operation::Initiate { .. } => Reply::Initiated {
                upload_id: "upload-1".into(),
                date: None,
            },
            Operation::UploadPartCopy { part_number, .. } => Reply::PartCopied {
                etag: format!("\"p{part_number}\""),
                crc64: None,
            },
            Operation::ListParts { .. } => Reply::Parts {
                parts: Vec::new(),
                next_marker: None,
            },
            Operation::Complete { .. } => Reply::Completed {
                etag: "\"done-n\"".into(),
                crc64: None,
            },
            Operation::Abort { .. } => Reply::Aborted,
            Operation::ListUploads { .. } => Reply::Uploads {
                uploads: Vec::new(),
                next: None,
            },
            Operation::DeleteSource => Reply::Deleted,
            Operation::ListObjects { .. } => Reply::Objects {
                objects: Vec::new(),
                next: None,
            },
        })
    }
}

fn limits() -> Limits {
    Limits {
        single_copy_max: 4 * MIB,
        min_part_size: MIB,
        ..Limits::COS
    }
}

fn job(concurrency: u32, resumable: bool) -> CopyJob {
    let mut spec = JobSpec::new("src", "dst", limits());
    spec.plan = PlanOptions {
        part_size: Some(MIB),
        threshold: None,
    };
    let config = JobConfig {
        concurrency,
        resumable,
        ..JobConfig::default()
    };
    CopyJob::new(spec, config).unwrap()
}

fn service(size: u64) -> Arc<Mutex<Service>> {
    Arc::new(Mutex::new(Service {
        size,
        part_delay: Duration::from_millis(50),
        ..Service::default()
    }))
}

#[tokio::test(start_paused = true)]
async fn a_multipart_copy_keeps_the_window_full_and_persists_every_part() {
    let state = service(20 * MIB + 5);
    let mut journal = MemoryJournal::default();
    let mut reports: Vec<Progress> = Vec::new();
    let outcome = drive(
        job(4, true),
        Arc::new(FakeTransport(Arc::clone(&state))),
        Arc::new(FakeWire),
        &mut journal,
        |p| reports.push(p.clone()),
        CancelSignal::never(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.mode, CopyMode::Multipart);
    assert_eq!(outcome.parts, 21);
    assert_eq!(outcome.upload_id.as_deref(), Some("upload-1"));
    let s = state.lock().unwrap();
    assert_eq!(s.max_in_flight, 4, "the window of 4 is kept full");
    assert_eq!(s.completed, Some((1..=21).collect()));
    assert_eq!(s.parts.values().sum::<u64>(), 20 * MIB + 5);
    assert!(!s.aborted);
    // One header, then one record per part; the journal is told the copy succeeded.
    assert!(matches!(journal.records[0], Record::Header(_)));
    assert_eq!(journal.records.len(), 22);
    assert_eq!(journal.finished, Some(true));
    // Every record was made durable before Complete went out.
    assert_eq!(journal.synced_at, vec![22]);
    // Progress rose to every byte.
    let last = reports.last().unwrap();
    assert_eq!((last.parts_done, last.bytes_done), (21, 20 * MIB + 5));
    assert!(reports.windows(2).all(|w| w[0].bytes_done <= w[1].bytes_done));
}

#[tokio::test(start_paused = true)]
async fn a_wide_window_goes_out_a_batch_at_a_time() {
    let state = service(64 * MIB);
    // A task of the same (one-thread) runtime, standing for the connections' tasks that write
    // the requests: it runs only when the driver lets the runtime run. It notes how many part
    // copies had been started each time it ran.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let watcher = tokio::spawn({
        let (state, seen) = (Arc::clone(&state), Arc::clone(&seen));
        async move {
            loop {
                let sent = state.lock().unwrap().part_sends;
                if sent > 0 {
                    seen.lock().unwrap().push(sent);
                }
                if sent >= 64 {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
    });
    let outcome = drive(
        job(64, false),
        Arc::new(FakeTransport(Arc::clone(&state))),
        Arc::new(FakeWire),
        &mut MemoryJournal::default(),
        |_| {},
        CancelSignal::never(),
    )
    .await
    .unwrap();
    watcher.await.unwrap();
    assert_eq!(outcome.parts, 64);
    assert_eq!(state.lock().unwrap().max_in_flight, 64, "the window was filled");
    // The runtime ran while the window was being filled, not only once all 64 were started.
    let seen = seen.lock().unwrap();
    assert!(seen[0] < 64, "{seen:?}");
    assert!(seen.len() > 2, "{seen:?}");
}

#[tokio::test(start_paused = true)]
async fn a_small_object_is_one_put_copy() {
    let state = service(3 * MIB);
    let outcome = drive(
        job(4, false),
        Arc::new(FakeTransport(Arc::clone(&state))),
        Arc::new(FakeWire),
        &mut MemoryJournal::default(),
        |_| {},
        CancelSignal::never(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.mode, CopyMode::Single);
    assert_eq!(outcome.etag, "\"single\"");
    assert_eq!(outcome.requests, 2);
}

#[tokio::test(start_paused = true)]
async fn throttled_parts_are_retried_after_a_backoff() {
    let state = service(8 * MIB);
    state.lock().unwrap().throttle_once = vec![2, 5];
    let outcome = drive(
        job(3, false),
        Arc::new(FakeTransport(Arc::clone(&state))),
        Arc::new(FakeWire),
        &mut MemoryJournal::default(),
        |_| {},
        CancelSignal::never(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.retries, 2);
    assert_eq!(state.lock().unwrap().completed, Some((1..=8).collect()));
}

/// Runs a job two parts wide, not resumable, against `state` through `wire`, and returns the
/// service failure it must end with.
async fn service_failure(state: &Arc<Mutex<Service>>, wire: impl Wire) -> Failure {
    let error = drive(
        job(2, false),
        Arc::new(FakeTransport(Arc::clone(state))),
        Arc::new(wire),
        &mut MemoryJournal::default(),
        |_| {},
        CancelSignal::never(),
    )
    .await
    .unwrap_err();
    match error {
        DriveError::Job(JobError::Service { failure, .. }) => failure,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn transport_errors_exhaust_retries_and_the_upload_is_aborted() {
    let state = service(8 * MIB);
    state.lock().unwrap().unreachable = vec![3];
    let failure = service_failure(&state, FakeWire).await;
    assert_eq!(failure.code, "ConnectError");
    assert!(state.lock().unwrap().aborted);
    assert_eq!(state.lock().unwrap().completed, None);
}

#[tokio::test(start_paused = true)]
async fn cancelling_stops_the_copy_and_keeps_a_resumable_upload() {
    let state = service(40 * MIB);
    let (canceller, signal) = cancel_pair();
    let mut journal = MemoryJournal::default();
    let error = drive(
        job(2, true),
        Arc::new(FakeTransport(Arc::clone(&state))),
        Arc::new(FakeWire),
        &mut journal,
        move |p| {
            if p.parts_done >= 5 {
                canceller.cancel();
            }
        },
        signal,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, DriveError::Job(JobError::Cancelled { .. })),
        "{error:?}"
    );
    let s = state.lock().unwrap();
    assert!(!s.aborted, "a resumable upload is kept");
    assert_eq!(s.completed, None);
    assert!(s.parts.len() < 40);
    assert_eq!(journal.finished, Some(false));
    let persisted = journal.records.len() - 1;
    assert_eq!(persisted, s.parts.len(), "every finished part was persisted");
}

/// A journal whose disk fills up after `room` records.
struct FullDisk {
    room: usize,
    finished: Option<bool>,
}

impl Journal for FullDisk {
    fn append(&mut self, _record: &Record) -> std::io::Result<()> {
        if self.room == 0 {
            return Err(std::io::Error::other("no space left on device"));
        }
        self.room -= 1;
        Ok(())
    }

    fn finish(&mut self, succeeded: bool) -> std::io::Result<()> {
        self.finished = Some(succeeded);
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_checkpoint_that_cannot_be_written_stops_the_copy() {
    let state = service(30 * MIB);
    let mut journal = FullDisk {
        room: 4,
        finished: None,
    };
    let error = drive(
        job(2, true),
        Arc::new(FakeTransport(Arc::clone(&state))),
        Arc::new(FakeWire),
        &mut journal,
        |_| {},
        CancelSignal::never(),
    )
    .await
    .unwrap_err();
    let DriveError::Journal { source, job } = &error else {
        panic!("{error:?}");
    };
    assert!(source.to_string().contains("no space"));
    assert!(matches!(job, JobError::Cancelled { .. }), "{job:?}");
    assert!(error.to_string().contains("cannot write the checkpoint"));
    let s = state.lock().unwrap();
    assert_eq!(s.completed, None);
    assert!(s.parts.len() < 30, "the copy stopped early");
    assert_eq!(journal.finished, Some(false));
}

/// Part copies that never answer do not hold a cancel hostage: after the grace period they are
/// given up and the upload of a job that is not resumable is aborted.
#[tokio::test(start_paused = true)]
async fn a_cancel_gives_up_unanswered_requests_after_the_grace_period() {
    let state = service(40 * MIB);
    state.lock().unwrap().part_delay = Duration::from_secs(3600);
    let (canceller, signal) = cancel_pair();
    let started = tokio::time::Instant::now();
    let error = drive(
        job(4, false),
        Arc::new(FakeTransport(Arc::clone(&state))),
        Arc::new(FakeWire),
        &mut MemoryJournal::default(),
        move |p| {
            if p.parts_in_flight >= 4 {
                canceller.cancel();
            }
        },
        signal.with_grace(Duration::from_secs(2)),
    )
    .await
    .unwrap_err();
    let DriveError::Job(JobError::Cancelled { upload }) = &error else {
        panic!("{error:?}");
    };
    assert!(
        matches!(upload, partcopy_core::job::UploadFate::Aborted { .. }),
        "{error}"
    );
    assert!(state.lock().unwrap().aborted);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(60),
        "{waited:?}"
    );
}

/// A wire that panics on the reply to one part copy (a bug), and otherwise is [`FakeWire`].
struct PanickyWire(u32);

impl Wire for PanickyWire {
    fn request(&self, op: &Operation, now: SystemTime) -> Result<http::Request<Bytes>, Failure> {
        FakeWire.request(op, now)
    }

    fn reply(&self, op: &Operation, response: &http::Response<Bytes>) -> Result<Reply, Failure> {
        if matches!(op, Operation::UploadPartCopy { part_number, .. } if *part_number == self.0) {
            panic!("wire bug on part {}", self.0);
        }
        FakeWire.reply(op, response)
    }
}

/// A request that panics fails the job as a fatal error that says so; the driver does not go
/// down with it, and the job still aborts its upload.
#[tokio::test(start_paused = true)]
async fn a_panicking_request_fails_the_job_and_the_upload_is_aborted() {
    let state = service(8 * MIB);
    let failure = service_failure(&state, PanickyWire(3)).await;
    assert_eq!(
        (failure.kind, failure.code.as_str()),
        (FailureKind::Fatal, "InternalError")
    );
    assert!(
        failure.message.contains("wire bug on part 3"),
        "{}",
        failure.message
    );
    let s = state.lock().unwrap();
    assert!(s.aborted, "the upload is aborted");
    assert_eq!(s.completed, None);
}
