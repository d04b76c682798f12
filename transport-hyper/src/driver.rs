//! The driver: runs one [`CopyJob`] to completion on tokio.
//!
//! The loop is core's: drain [`CopyJob::poll`] until [`Step::Wait`] or [`Step::Finished`] —
//! starting every [`Step::Send`] at once (so the job's concurrency window stays full) and writing
//! every [`Step::Persist`] to the [`Journal`] before going on, and [syncing](Journal::sync) it
//! before a Complete is sent — then wait for the first of: a reply,
//! the `until` of the wait, or a cancel; feed what happened back with [`CopyJob::handle`] or
//! [`CopyJob::cancel`]; repeat. Time given to core is the time elapsed since [`drive`] started
//! (tokio's clock, so paused-time tests work).
//!
//! The driver knows nothing of HTTP formats: a [`Wire`] turns operations into requests and
//! responses into replies (the CLI's wire uses `partcopy-protocol`), and a [`Transport`] sends them.
//! Retries, backoff and aborting are the job's decisions; timeouts are the transport's.
//!
//! Requests in flight are futures the driver's own task polls (a `FuturesUnordered`), not spawned
//! tasks: a reply reaches the job without a hop through the runtime's queue, and nothing is
//! allocated per request for a task. (The transport's connections still run as their own tasks.)
//! A request that panics is caught and fed to the job as a fatal failure, so the job still ends
//! cleanly — aborting its upload — instead of taking the program down.

use std::collections::BTreeSet;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use partcopy_core::job::{CopyJob, JobError, OperationKind, Outcome, Progress, RequestId, Step};
use partcopy_core::ops::{Failure, FailureKind, Operation, Reply};
use partcopy_protocol::clock::ServiceClock;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::journal::Journal;
use crate::transport::Transport;

/// Turns operations into HTTP requests and HTTP responses into replies: the protocol seam.
///
/// Implementations hold the job's fixed source and destination addresses and a signer.
pub trait Wire: Send + Sync + 'static {
    /// Renders and signs `op` for sending at wall-clock time `now`.
    ///
    /// # Errors
    /// A [`Failure`] (normally [`FailureKind::Fatal`]) when the operation cannot be rendered.
    fn request(&self, op: &Operation, now: SystemTime) -> Result<http::Request<Bytes>, Failure>;

    /// Reads the response to `op`: the reply, or the failure the service reported.
    ///
    /// # Errors
    /// The [`Failure`] the response describes (status, error code, message, request id).
    fn reply(&self, op: &Operation, response: &http::Response<Bytes>) -> Result<Reply, Failure>;

    /// The service's clock, when the wire signs with one (see [`exchange`]); `None` (the default)
    /// signs with the local time as it is.
    fn clock(&self) -> Option<&ServiceClock> {
        None
    }
}

/// Renders, signs, sends and reads one operation — what [`drive`] does for each of a job's
/// requests, and what a caller sending one outside a job (a HEAD, an Abort) should do too.
///
/// With a [wire clock](Wire::clock), the request is signed with the service's time as the clock
/// knows it, and a refusal the clock puts down to the time the request was signed at
/// ([`ServiceClock::learn`]) comes back as [`FailureKind::ClockSkewed`] — retryable, and the
/// retry is signed with the service's time — after a warning naming the difference.
///
/// # Errors
/// The [`Failure`] the wire read from the response, or the transport's when there was none.
pub async fn exchange<T, W>(transport: &T, wire: &W, op: &Operation) -> Result<Reply, Failure>
where
    T: Transport + ?Sized,
    W: Wire + ?Sized,
{
    let clock = wire.clock();
    let signed_offset_ms = clock.map_or(0, ServiceClock::offset_ms);
    let now = SystemTime::now();
    let request = wire.request(op, clock.map_or(now, |c| c.service_time(now)))?;
    let response = transport.send(request).await.map_err(|e| e.to_failure())?;
    let mut reply = wire.reply(op, &response);
    if let (Err(failure), Some(clock)) = (&mut reply, clock) {
        let date = response.headers().get(http::header::DATE);
        if let Some(offset_ms) = clock.learn(response.status(), date, SystemTime::now(), signed_offset_ms) {
            let off = skew_text(offset_ms);
            tracing::warn!(
                "{} was refused ({}) for its time: this machine's clock is {off} the service's; \
                 signing with the service's time from now on (set the clock right: NTP)",
                OperationKind::of(op),
                failure.code
            );
            failure.kind = FailureKind::ClockSkewed;
            failure.message = format!(
                "{} (this machine's clock is {off} the service's)",
                failure.message
            );
        }
    }
    reply
}

/// `offset_ms` (the service's time minus the local time) in words: "125 s behind", "2 s ahead of".
fn skew_text(offset_ms: i64) -> String {
    let secs = offset_ms.unsigned_abs().div_ceil(1000);
    if offset_ms > 0 {
        format!("{secs} s behind")
    } else {
        format!("{secs} s ahead of")
    }
}

/// Creates a linked pair: the [`Canceller`] asks, the [`CancelSignal`] given to [`drive`] hears.
pub fn cancel_pair() -> (Canceller, CancelSignal) {
    let (sender, receiver) = watch::channel(false);
    (
        Canceller(Arc::new(sender)),
        CancelSignal(receiver, CancelSignal::GRACE),
    )
}

/// Asks a running [`drive`] to stop (cheap to clone; e.g. called from a Ctrl-C handler).
#[derive(Debug, Clone)]
pub struct Canceller(Arc<watch::Sender<bool>>);

impl Canceller {
    /// Requests cancellation: the job sends nothing new, lets requests in flight finish (within
    /// the signal's grace period), aborts or keeps its upload as configured, and finishes with
    /// [`JobError::Cancelled`].
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }
}

/// The receiving side of [`cancel_pair`], given to [`drive`].
///
/// After a cancel, requests in flight get a grace period ([`CancelSignal::GRACE`] unless changed
/// with [`CancelSignal::with_grace`]) to finish; those still unanswered then are given up (counted
/// as failed, their outcome unknown), so that the job can abort its upload or stop promptly.
#[derive(Debug, Clone)]
pub struct CancelSignal(watch::Receiver<bool>, Duration);

impl CancelSignal {
    /// How long requests in flight may take to finish after a cancel, by default.
    pub const GRACE: Duration = Duration::from_secs(15);

    /// A signal that never fires.
    pub fn never() -> CancelSignal {
        // With its sender gone the channel can never say "cancelled"; `cancelled` then pends.
        let (_, receiver) = watch::channel(false);
        CancelSignal(receiver, CancelSignal::GRACE)
    }

    /// The same signal with another grace period for requests in flight after a cancel.
    #[must_use]
    pub fn with_grace(mut self, grace: Duration) -> CancelSignal {
        self.1 = grace;
        self
    }

    /// Whether the canceller has asked already: for a caller that runs several drives with
    /// clones of one signal and should start no more after a cancel.
    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the canceller has asked (at once if it has already); never when the
    /// canceller is dropped without asking. For a caller that waits on other work beside its
    /// drives and should stop waiting on a cancel.
    pub async fn cancelled(&mut self) {
        if self.0.wait_for(|cancelled| *cancelled).await.is_err() {
            // The canceller is gone: it can never fire.
            std::future::pending::<()>().await;
        }
    }
}

/// Why [`drive`] did not produce an outcome.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriveError {
    /// The job failed (or was cancelled); the message says why and what became of the upload.
    #[error(transparent)]
    Job(#[from] JobError),
    /// A checkpoint record could not be written, so the job was cancelled.
    #[error("cannot write the checkpoint: {source}; the copy was stopped ({job})")]
    Journal {
        /// The I/O error.
        #[source]
        source: std::io::Error,
        /// How the job ended after being cancelled.
        job: JobError,
    },
    /// The job waits for nothing while nothing is in flight (a bug in the job).
    #[error("the copy job stalled: it waits with no request in flight and no wake-up time")]
    Stalled,
}

/// Runs `job` to completion: sends its operations through `wire` and `transport`, persists its
/// records to `journal`, calls `on_progress` whenever its progress changes, and cancels it when
/// `cancel` fires.
///
/// Every request the job asks for is started right away, at most 16 before the runtime gets to
/// run (so the first requests of a wide window are on the wire while the rest are rendered), and
/// the window of up to the job's concurrency requests is in flight together; they run inside the
/// task that awaits `drive`, which must be within a tokio runtime (the transport and the timers
/// use it). `journal.finish`
/// is called at the end (success removes a file journal); a failure to finish the journal is
/// logged, not returned.
///
/// # Errors
/// [`DriveError::Job`] when the job fails or is cancelled, [`DriveError::Journal`] when a record
/// cannot be written, [`DriveError::Stalled`] on a job bug.
pub async fn drive<T, W>(
    mut job: CopyJob,
    transport: Arc<T>,
    wire: Arc<W>,
    journal: &mut dyn Journal,
    mut on_progress: impl FnMut(&Progress),
    mut cancel: CancelSignal,
) -> Result<Outcome, DriveError>
where
    T: Transport + ?Sized,
    W: Wire + ?Sized,
{
    let start = Instant::now();
    let mut in_flight = FuturesUnordered::new();
    // The ids of the requests in `in_flight` (given up together after a cancel's grace period).
    let mut unanswered = BTreeSet::new();
    let mut journal_error: Option<std::io::Error> = None;
    let mut cancelled = false;
    // After a cancel: when requests still in flight are given up.
    let mut give_up_at: Option<Instant> = None;
    let mut last_progress: Option<Progress> = None;
    loop {
        let now = start.elapsed();
        // Whether the job has more to send than this turn started (see `STARTS_PER_TURN`).
        let mut more = false;
        let mut started = 0;
        let until = loop {
            if started == STARTS_PER_TURN {
                more = true;
                break None;
            }
            match job.poll(now) {
                Step::Send { id, op } => {
                    started += 1;
                    if matches!(op, Operation::Complete { .. }) && journal_error.is_none() {
                        // Every part on record before the upload can be completed: see
                        // `Journal::sync`. Failing that costs only a resume's certainty.
                        if let Err(error) = journal.sync() {
                            tracing::warn!(%error, "cannot sync the checkpoint before completing");
                        }
                    }
                    in_flight.push(guarded(id, op, Arc::clone(&transport), Arc::clone(&wire)));
                    unanswered.insert(id);
                }
                Step::Persist(record) => {
                    if journal_error.is_none() {
                        if let Err(error) = journal.append(&record) {
                            tracing::error!(%error, "cannot write the checkpoint; stopping the copy");
                            journal_error = Some(error);
                            job.cancel();
                        }
                    }
                }
                Step::Wait { until } => break until,
                Step::Finished(result) => {
                    let progress = job.progress();
                    if last_progress.as_ref() != Some(&progress) {
                        on_progress(&progress);
                    }
                    // Requests still in flight belong to nobody now; don't leave them running.
                    drop(in_flight);
                    if let Err(error) = journal.finish(result.is_ok()) {
                        tracing::warn!(%error, "cannot finish the checkpoint journal");
                    }
                    return match (result, journal_error) {
                        (Ok(outcome), _) => Ok(outcome),
                        (Err(job), Some(source)) => Err(DriveError::Journal { source, job }),
                        (Err(job), None) => Err(DriveError::Job(job)),
                    };
                }
            }
        };
        let progress = job.progress();
        if last_progress.as_ref() != Some(&progress) {
            on_progress(&progress);
            last_progress = Some(progress);
        }
        if let Err(error) = journal.idle() {
            if journal_error.is_none() {
                tracing::error!(%error, "cannot sync the checkpoint; stopping the copy");
                journal_error = Some(error);
                job.cancel();
                continue;
            }
        }
        if in_flight.is_empty() && until.is_none() && !cancelled && !more {
            return Err(DriveError::Stalled);
        }
        let deadline = until.map(|u| start + u);
        tokio::select! {
            () = cancel.cancelled(), if !cancelled => {
                tracing::info!("cancelling the copy");
                cancelled = true;
                give_up_at = Some(Instant::now() + cancel.1);
                job.cancel();
            }
            () = sleep_until(give_up_at), if give_up_at.is_some() => {
                give_up_at = None;
                if !unanswered.is_empty() {
                    tracing::warn!(
                        requests = unanswered.len(),
                        "requests still unanswered after the cancel's grace period; giving them up"
                    );
                }
                in_flight.clear();
                let now = start.elapsed();
                for id in std::mem::take(&mut unanswered) {
                    job.handle(id, Err(given_up(cancel.1)), now);
                }
            }
            Some((id, result)) = in_flight.next() => {
                unanswered.remove(&id);
                job.handle(id, result, start.elapsed());
                // Take every other reply that is already there before polling the job again.
                while let Some((id, result)) = ready_reply(&mut in_flight).await {
                    unanswered.remove(&id);
                    job.handle(id, result, start.elapsed());
                }
            }
            () = sleep_until(deadline), if deadline.is_some() => {}
            // The requests just started are polled first (their connections begin); the yield
            // lets the runtime make progress on them before the next batch is rendered.
            () = tokio::task::yield_now(), if more => {}
            else => return Err(DriveError::Stalled),
        }
    }
}

/// Most requests the driver starts in one turn. A wide window (the first parts of a copy, or the
/// next ones after a burst of replies) then goes out a batch at a time: the runtime connects and
/// writes one batch while the driver renders the next, instead of every request waiting until
/// the whole window has been rendered and its connections begun.
const STARTS_PER_TURN: usize = 16;

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The next reply of `in_flight` if one is ready now, without waiting for one.
async fn ready_reply<F: Future>(in_flight: &mut FuturesUnordered<F>) -> Option<F::Output> {
    std::future::poll_fn(|cx| match in_flight.poll_next_unpin(cx) {
        Poll::Ready(reply) => Poll::Ready(reply),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

/// [`perform`] with a panic (a bug in a wire or transport) turned into a fatal failure of the
/// request, so that the job can still end cleanly.
fn guarded<T, W>(
    id: RequestId,
    op: Operation,
    transport: Arc<T>,
    wire: Arc<W>,
) -> impl Future<Output = (RequestId, Result<Reply, Failure>)>
where
    T: Transport + ?Sized,
    W: Wire + ?Sized,
{
    AssertUnwindSafe(perform(id, op, transport, wire))
        .catch_unwind()
        .map(move |ended| ended.unwrap_or_else(|panic| (id, Err(internal_failure(&*panic)))))
}

/// Renders, sends and reads one operation.
async fn perform<T, W>(
    id: RequestId,
    op: Operation,
    transport: Arc<T>,
    wire: Arc<W>,
) -> (RequestId, Result<Reply, Failure>)
where
    T: Transport + ?Sized,
    W: Wire + ?Sized,
{
    let started = Instant::now();
    let result = exchange(&*transport, &*wire, &op).await;
    tracing::debug!(
        %id, status = ?result.as_ref().err().map(|f| f.status),
        elapsed_ms = started.elapsed().as_millis() as u64,
        ok = result.is_ok(), "{}", OperationKind::of(&op)
    );
    if let Err(failure) = &result {
        if failure.kind.is_retryable() {
            tracing::info!(
                %id, code = %failure.code, status = ?failure.status,
                "{} failed; the job may retry it", OperationKind::of(&op)
            );
        }
    }
    (id, result)
}

fn given_up(grace: Duration) -> Failure {
    Failure {
        kind: FailureKind::Transport,
        status: None,
        code: "Cancelled".to_string(),
        message: format!("given up: no answer within {grace:?} of the cancel"),
        request_id: None,
        retry_after: None,
    }
}

fn internal_failure(panic: &(dyn std::any::Any + Send)) -> Failure {
    let what = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    Failure {
        kind: FailureKind::Fatal,
        status: None,
        code: "InternalError".to_string(),
        message: format!("a request panicked (a bug in partcopy or its wire): {what}"),
        request_id: None,
        retry_after: None,
    }
}
