//! The copy job: a sans-IO state machine that copies one object, by PUT-Copy or multipart copy.
//!
//! A driver creates a [`CopyJob`] ([`CopyJob::new`], or [`CopyJob::resume`] from checkpoint
//! records), then loops: it drains [`CopyJob::poll`] until [`Step::Wait`] or [`Step::Finished`],
//! performing each [`Step::Send`] and persisting each [`Step::Persist`] in order, and feeds every
//! outcome back through [`CopyJob::handle`]. See the [crate documentation](crate) for the loop.
//!
//! What the job does:
//! - HEAD the source, then [`plan`](crate::plan::plan) the copy.
//! - Single: one PUT-Copy pinned to the source's ETag.
//! - Multipart: GET the source's tags (unless the metadata is replaced or tags are skipped),
//!   Initiate with the source's metadata and tags (or the replacement), persist a
//!   [`Record::Header`], copy the parts through a window of at most
//!   [`JobConfig::concurrency`] requests, each pinned to the source's ETag, persist a
//!   [`Record::Part`] as each one finishes, then Complete with every part ascending and the ETag
//!   the service returned for it.
//! - When the service throttles part copies (503 SlowDown and the like) and
//!   [`JobConfig::adaptive_window`] is on, the window halves (at most once per round trip:
//!   throttles of requests sent before the last cut do not cut again) and grows back by one part
//!   per window's worth of successes, up to [`JobConfig::concurrency`].
//! - Retryable failures ([`FailureKind::is_retryable`]) are retried after an exponential backoff
//!   with seeded jitter (never sooner than a `Retry-After`), up to [`JobConfig::max_attempts`]
//!   attempts per operation.
//! - On a failure that ends the job, nothing new is sent; requests in flight are let finish (parts
//!   that succeed are still persisted), then the upload is aborted unless the job is resumable. A
//!   412 on a part (the source changed) aborts even a resumable upload: it can never be completed
//!   into a correct object.
//! - Resume ([`CopyJob::resume`]) HEADs the source first. A source whose size, ETag,
//!   last-modified or version differs from the header's, or a plan with another part size (or a
//!   single copy now), aborts the old upload and starts over with a new header;
//!   [`Outcome::restart`] says why. When the upload carries the source's tags, they are read
//!   again (retagging changes neither ETag nor date): other tags start over too. Otherwise the
//!   job lists the upload's parts, following every
//!   page: a listed part whose number is planned and whose size matches its range is done, with
//!   the listed ETag. The listing is the truth: a part the journal shows finished but the listing
//!   lacks, or a listed part of the wrong size, is copied again (naming it in Complete would fail
//!   the upload for good). A `NoSuchUpload` from
//!   List Parts starts over cleanly with a new Initiate and header.
//! - A source that disappears (`NoSuchKey`) ends the job and aborts any upload, resumable or not:
//!   it can never be completed.
//! - Complete is retried like anything else. If, after a Complete failed in a way that may have
//!   taken effect (a timeout, a 5xx), a retry of Complete — or the Abort of a job cancelled or
//!   failed meanwhile — meets `NoSuchUpload`, the earlier attempt most likely completed the upload
//!   and its answer was lost; or someone else removed the upload. The job HEADs the destination
//!   and [`judge`](crate::confirm::judge)s it: the completed object finishes the job with
//!   [`Outcome::confirmed`] saying what proved it; anything else ends it with
//!   [`JobError::CompletionUnconfirmed`] and why.
//! - Likewise a resumed job whose upload is gone, with every planned part in its journal (the
//!   previous run may have been stopped after it sent Complete), HEADs the destination before it
//!   starts over: if that is the completed object, nothing is copied again.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::Duration;

use crate::checkpoint::{Header, Record};
use crate::confirm::{self, Doubt, Evidence};
use crate::fingerprint::{self, Recorded};
use crate::ops::{
    CompletedPart, Encryption, Failure, FailureKind, ListedPart, MetadataDirective, ObjectMetadata,
    Operation, Reply, SourceInfo,
};
use crate::plan::{self, Limits, Plan, PlanError, PlanOptions};
use crate::retry::{Backoff, Jitter};

/// Which tags the destination gets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TagsHandling {
    /// Follow the metadata directive: with [`MetadataDirective::Copy`] the source's (a PUT-Copy
    /// keeps them; a multipart copy GETs them and passes them to Initiate); with `Replace`, none.
    #[default]
    FollowDirective,
    /// Never GET the source's tags (for credentials without that permission): a multipart copy
    /// gets none (a PUT-Copy still follows the directive).
    Skip,
    /// Exactly these tags, as (key, value), whatever the directive (an empty list: none): a
    /// PUT-Copy replaces the source's with them, a multipart copy passes them to Initiate.
    Set(Vec<(String, String)>),
}

/// What to copy, where, and how: everything that identifies the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// The source, as an opaque descriptor (e.g. `cos://bucket-appid/key@region`); stored in the
    /// checkpoint header and compared on resume. Never put credentials in it: it is written to disk.
    pub source: String,
    /// The destination, as an opaque descriptor; stored and compared like `source`.
    pub destination: String,
    /// The provider's limits.
    pub limits: Limits,
    /// Part size and threshold choices.
    pub plan: PlanOptions,
    /// Copy the source's metadata or replace it with `metadata`.
    pub directive: MetadataDirective,
    /// The replacement metadata (used only with [`MetadataDirective::Replace`]).
    pub metadata: ObjectMetadata,
    /// Storage class of the destination, if set.
    pub storage_class: Option<String>,
    /// Which tags the destination gets.
    pub tags: TagsHandling,
    /// The destination's server-side encryption, asked of PUT-Copy and Initiate; `None` asks for
    /// the source's (as HEAD reported it: a copy does not inherit it otherwise, see
    /// [`Encryption`]). Set, it encrypts a copy of a plain object, or changes the algorithm or KMS
    /// key — in place too.
    pub encryption: Option<Encryption>,
    /// The destination is the source itself: the copy rewrites one object in place, to change its
    /// storage class or metadata. Both services demand the replace directive for a PUT-Copy onto
    /// its own source (COS documents it as required, OSS as the way to change metadata), so under
    /// [`MetadataDirective::Copy`] the job sends `Replace` with the source's own metadata (from its
    /// HEAD) and keeps its tags. Without a `storage_class`, the object keeps its own (from the
    /// HEAD), where a copy elsewhere gets the service's default. A multipart copy in place needs
    /// nothing else: Initiate carries the metadata and tags anyway, and the object stays as it was
    /// until Complete.
    pub in_place: bool,
    /// Options of the new object that the caller renders into Initiate itself, as (name, value):
    /// say, a canned ACL. The job sends nothing for them; it records them in the checkpoint with
    /// its own Initiate options (metadata, storage class, tags), so that a resume under other ones
    /// starts over ([`RestartReason::OptionsChanged`]) instead of completing an object with the
    /// first run's.
    pub extra_options: Vec<(String, String)>,
}

impl JobSpec {
    /// A spec that copies `source` to `destination` under `limits` with every default: planner
    /// defaults, the source's metadata and tags, the service's default storage class.
    pub fn new(source: impl Into<String>, destination: impl Into<String>, limits: Limits) -> Self {
        JobSpec {
            source: source.into(),
            destination: destination.into(),
            limits,
            plan: PlanOptions::default(),
            directive: MetadataDirective::Copy,
            metadata: ObjectMetadata::default(),
            storage_class: None,
            tags: TagsHandling::FollowDirective,
            encryption: None,
            in_place: false,
            extra_options: Vec::new(),
        }
    }
}

/// How the job runs: concurrency, retries, jitter, resumability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobConfig {
    /// Most Upload Part - Copy requests in flight at once (0 is treated as 1).
    pub concurrency: u32,
    /// Most attempts per operation, the first included (0 is treated as 1).
    pub max_attempts: u32,
    /// Delays between attempts.
    pub backoff: Backoff,
    /// Seed of the jitter generator; the same seed replays the same delays.
    pub jitter_seed: u64,
    /// Keep the multipart upload when the job fails or is cancelled, so a later run can resume it
    /// from the checkpoint records.
    pub resumable: bool,
    /// `max-parts` of each List Parts page when resuming; `None` leaves the service's default.
    pub list_parts_page: Option<u32>,
    /// Shrink the part window when the service throttles, and grow it back as parts succeed.
    pub adaptive_window: bool,
}

impl Default for JobConfig {
    /// 8 parts in flight, 5 attempts, backoff from 200 ms to 20 s, seed 0, not resumable, pages of
    /// 1,000 parts, adaptive window on.
    fn default() -> Self {
        JobConfig {
            concurrency: 8,
            max_attempts: 5,
            backoff: Backoff {
                base: Duration::from_millis(200),
                max: Duration::from_secs(20),
            },
            jitter_seed: 0,
            resumable: false,
            list_parts_page: Some(1000),
            adaptive_window: true,
        }
    }
}

/// Identifies one attempt of one operation; a new id for every attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    /// The id as a number, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What the job asks of its driver next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
// One step at a time is returned by value; boxing the final result would only cost an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Step {
    /// Perform `op` and report its outcome with [`CopyJob::handle`] under `id`.
    Send {
        /// This attempt's id.
        id: RequestId,
        /// What to do.
        op: Operation,
    },
    /// Append this record to the checkpoint journal (before performing later steps).
    Persist(Record),
    /// Nothing to do until a reply arrives or, when `until` is set, until that time (same origin
    /// as `now`); then poll again.
    Wait {
        /// When to poll again even without a reply.
        until: Option<Duration>,
    },
    /// The job is over; polling again returns the same result.
    Finished(Result<Outcome, JobError>),
}

/// How the object was copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CopyMode {
    /// One PUT-Copy.
    Single,
    /// Initiate, Upload Part - Copy × N, Complete.
    Multipart,
}

/// Why a resumed job started over instead of continuing its upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RestartReason {
    /// The source's size, ETag, last-modified or version differs from the checkpoint's, or its
    /// tags do, when the copy carries them (the upload's were fixed by its Initiate).
    SourceChanged,
    /// The plan differs from the checkpoint's (another part size or threshold).
    PlanChanged,
    /// The upload no longer exists (aborted or expired).
    UploadGone,
    /// The options Initiate fixes for the new object (metadata, storage class, tags,
    /// [`JobSpec::extra_options`]) differ from the checkpoint's: continuing would give the object
    /// the first run's.
    OptionsChanged,
}

impl RestartReason {
    /// A short machine-readable name: `source_changed`, `plan_changed`, `upload_gone` or
    /// `options_changed`.
    pub fn name(self) -> &'static str {
        match self {
            RestartReason::SourceChanged => "source_changed",
            RestartReason::PlanChanged => "plan_changed",
            RestartReason::UploadGone => "upload_gone",
            RestartReason::OptionsChanged => "options_changed",
        }
    }
}

impl fmt::Display for RestartReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RestartReason::SourceChanged => "the source changed since the checkpoint",
            RestartReason::PlanChanged => "the plan differs from the checkpoint's",
            RestartReason::UploadGone => "the checkpoint's upload no longer exists",
            RestartReason::OptionsChanged => {
                "the new object's options (metadata, storage class, tags or ACL) differ from the checkpoint's"
            }
        })
    }
}

/// A resumed job that started over, and what became of the old upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restart {
    /// Why it started over.
    pub reason: RestartReason,
    /// The checkpoint's upload id.
    pub old_upload_id: String,
    /// `None` when the old upload was aborted or already gone; the failure when aborting it failed
    /// (it may remain and hold storage).
    pub abort_failure: Option<Failure>,
}

/// A finished copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Single PUT-Copy or multipart.
    pub mode: CopyMode,
    /// Bytes copied.
    pub size: u64,
    /// Part size of a multipart copy.
    pub part_size: Option<u64>,
    /// Number of parts (0 for a single copy).
    pub parts: u32,
    /// Parts found done from the checkpoint and List Parts, not copied in this run.
    pub resumed_parts: u32,
    /// ETag of the new object.
    pub etag: String,
    /// The multipart upload id.
    pub upload_id: Option<String>,
    /// CRC-64 of the new object, when the service reported it.
    pub crc64: Option<u64>,
    /// The source as HEAD described it.
    pub source: SourceInfo,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Retries.
    pub retries: u64,
    /// Set when a resumed job had to start over.
    pub restart: Option<Restart>,
    /// Set when Complete's answer never arrived (lost, or sent by a run that was stopped) and a
    /// HEAD of the destination showed it is the completed object; says what showed it. The ETag
    /// and CRC-64 above are then the HEAD's.
    pub confirmed: Option<Evidence>,
    /// Initiate attempts that failed in a way that may have taken effect (no answer, or a 5xx)
    /// before one succeeded. Each may have created an empty multipart upload at the destination
    /// that nothing will complete or abort: it holds no data, but the service lists it until a
    /// lifecycle rule or a person aborts it. The job cannot abort it safely, since it never learnt
    /// its id (and listing the key's uploads could find another writer's).
    pub uncertain_initiates: u32,
}

/// Which operation failed, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationKind {
    /// [`Operation::HeadSource`].
    HeadSource,
    /// [`Operation::GetSourceTagging`].
    GetSourceTagging,
    /// [`Operation::HeadDestination`].
    HeadDestination,
    /// [`Operation::PutCopy`].
    PutCopy,
    /// [`Operation::Initiate`].
    Initiate,
    /// [`Operation::UploadPartCopy`] of this part.
    UploadPartCopy(u32),
    /// [`Operation::ListParts`].
    ListParts,
    /// [`Operation::Complete`].
    Complete,
    /// [`Operation::Abort`].
    Abort,
    /// [`Operation::ListUploads`].
    ListUploads,
    /// [`Operation::ListObjects`].
    ListObjects,
    /// [`Operation::DeleteSource`].
    DeleteSource,
}

impl OperationKind {
    /// The kind of `op`.
    pub fn of(op: &Operation) -> OperationKind {
        match op {
            Operation::HeadSource => OperationKind::HeadSource,
            Operation::GetSourceTagging => OperationKind::GetSourceTagging,
            Operation::HeadDestination => OperationKind::HeadDestination,
            Operation::PutCopy { .. } => OperationKind::PutCopy,
            Operation::Initiate { .. } => OperationKind::Initiate,
            Operation::UploadPartCopy { part_number, .. } => OperationKind::UploadPartCopy(*part_number),
            Operation::ListParts { .. } => OperationKind::ListParts,
            Operation::Complete { .. } => OperationKind::Complete,
            Operation::Abort { .. } => OperationKind::Abort,
            Operation::ListUploads { .. } => OperationKind::ListUploads,
            Operation::ListObjects { .. } => OperationKind::ListObjects,
            Operation::DeleteSource => OperationKind::DeleteSource,
        }
    }
}

impl fmt::Display for OperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperationKind::HeadSource => f.write_str("HEAD of the source"),
            OperationKind::GetSourceTagging => f.write_str("reading the source's tags"),
            OperationKind::HeadDestination => f.write_str("HEAD of the destination"),
            OperationKind::PutCopy => f.write_str("PUT-Copy"),
            OperationKind::Initiate => f.write_str("Initiate Multipart Upload"),
            OperationKind::UploadPartCopy(n) => write!(f, "Upload Part - Copy of part {n}"),
            OperationKind::ListParts => f.write_str("List Parts"),
            OperationKind::Complete => f.write_str("Complete Multipart Upload"),
            OperationKind::Abort => f.write_str("Abort Multipart Upload"),
            OperationKind::ListUploads => f.write_str("List Multipart Uploads"),
            OperationKind::ListObjects => f.write_str("List Objects"),
            OperationKind::DeleteSource => f.write_str("DELETE of the source"),
        }
    }
}

/// What became of the multipart upload when a job failed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UploadFate {
    /// There was no upload (or it is already gone).
    #[default]
    None,
    /// The upload was aborted.
    Aborted {
        /// Its id.
        upload_id: String,
    },
    /// The upload was kept, so a resumable job can continue it.
    Kept {
        /// Its id.
        upload_id: String,
    },
    /// Aborting the upload failed: it may remain and hold storage until removed.
    AbortFailed {
        /// Its id.
        upload_id: String,
        /// Why the abort failed.
        failure: Failure,
    },
}

/// Renders as a suffix for an error message (empty for [`UploadFate::None`]).
impl fmt::Display for UploadFate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadFate::None => Ok(()),
            UploadFate::Aborted { .. } => f.write_str("; the multipart upload was aborted"),
            UploadFate::Kept { upload_id } => write!(
                f,
                "; multipart upload {upload_id} was kept so the copy can be resumed"
            ),
            UploadFate::AbortFailed { upload_id, failure } => write!(
                f,
                "; aborting multipart upload {upload_id} also failed ({}), so it may remain and hold storage",
                Described(failure)
            ),
        }
    }
}

/// Why a job failed; the message is meant for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// The source changed during the copy (a copy-source condition failed with 412).
    #[error("source changed during copy: it no longer has the ETag {etag}{upload}")]
    SourceChanged {
        /// The ETag the copy was pinned to.
        etag: String,
        /// What became of the upload (aborted: it can never be completed correctly).
        upload: UploadFate,
    },
    /// The source does not exist.
    #[error("source object not found ({}){upload}", Described(.failure))]
    SourceNotFound {
        /// What the service said.
        failure: Failure,
        /// What became of a checkpoint's upload.
        upload: UploadFate,
    },
    /// An operation failed for good: a non-retryable failure, or retries exhausted.
    #[error("{operation} failed after {attempts} attempt(s): {}{upload}", Described(.failure))]
    Service {
        /// What failed.
        operation: OperationKind,
        /// The last failure.
        failure: Failure,
        /// Attempts made.
        attempts: u32,
        /// What became of the upload.
        upload: UploadFate,
    },
    /// No plan fits the source under the limits.
    #[error("cannot plan the copy: {source}{upload}")]
    Plan {
        /// Why.
        source: PlanError,
        /// What became of a checkpoint's upload.
        upload: UploadFate,
    },
    /// The source's data is archived and not restored ([`SourceInfo::needs_restore`]): nothing
    /// was sent for the copy.
    #[error("the source is in the {storage_class} storage class and not restored: it cannot be read until a restore finishes")]
    SourceNeedsRestore {
        /// Its storage class, as HEAD reported it.
        storage_class: String,
    },
    /// The job was cancelled.
    #[error("copy cancelled{upload}")]
    Cancelled {
        /// What became of the upload.
        upload: UploadFate,
    },
    /// A reply of the wrong kind arrived for an operation (a driver or protocol bug).
    #[error("unexpected reply to {operation}{upload}")]
    UnexpectedReply {
        /// The operation.
        operation: OperationKind,
        /// What became of the upload.
        upload: UploadFate,
    },
    /// Complete was retried and the retry found no upload: an earlier attempt probably completed
    /// it, but a HEAD of the destination could not confirm that.
    #[error(
        "Complete Multipart Upload of upload {upload_id} was retried and the upload is gone: an earlier attempt probably completed it, but {doubt}; check the destination"
    )]
    CompletionUnconfirmed {
        /// The upload that was being completed.
        upload_id: String,
        /// Why the destination could not be taken as the completed upload.
        doubt: Doubt,
    },
    /// A PUT-Copy in place was retried after an attempt whose answer never arrived, and the retry
    /// found the object changed: the earlier attempt probably rewrote it, but a HEAD could not
    /// confirm that.
    #[error(
        "PUT-Copy of the object onto itself was retried and the object had changed: an earlier attempt probably rewrote it, but {doubt}; check the object"
    )]
    CopyUnconfirmed {
        /// Why the object could not be taken as this copy.
        doubt: Doubt,
    },
}

impl JobError {
    /// What became of the multipart upload, when the error concerns one.
    pub fn upload(&self) -> Option<&UploadFate> {
        match self {
            JobError::SourceChanged { upload, .. }
            | JobError::SourceNotFound { upload, .. }
            | JobError::Service { upload, .. }
            | JobError::Plan { upload, .. }
            | JobError::Cancelled { upload }
            | JobError::UnexpectedReply { upload, .. } => Some(upload),
            JobError::CompletionUnconfirmed { .. }
            | JobError::CopyUnconfirmed { .. }
            | JobError::SourceNeedsRestore { .. } => None,
        }
    }

    fn upload_mut(&mut self) -> Option<&mut UploadFate> {
        match self {
            JobError::SourceChanged { upload, .. }
            | JobError::SourceNotFound { upload, .. }
            | JobError::Service { upload, .. }
            | JobError::Plan { upload, .. }
            | JobError::Cancelled { upload }
            | JobError::UnexpectedReply { upload, .. } => Some(upload),
            JobError::CompletionUnconfirmed { .. }
            | JobError::CopyUnconfirmed { .. }
            | JobError::SourceNeedsRestore { .. } => None,
        }
    }
}

/// Formats a [`Failure`] for people: code, status, message and request id.
struct Described<'a>(&'a Failure);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failure = self.0;
        f.write_str(&failure.code)?;
        if let Some(status) = failure.status {
            write!(f, " (HTTP {status})")?;
        }
        if !failure.message.is_empty() {
            write!(f, ": {}", failure.message)?;
        }
        if let Some(id) = &failure.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// Why checkpoint records cannot resume a job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeError {
    /// The records hold no header (nothing to resume: start a new job).
    #[error("the checkpoint holds no header record")]
    NoHeader,
    /// The checkpoint is for another source or destination.
    #[error("the checkpoint is for another copy: its {field} is {recorded:?}, not {requested:?}")]
    DifferentJob {
        /// `"source"` or `"destination"`.
        field: &'static str,
        /// What the checkpoint says.
        recorded: String,
        /// What the job asks for.
        requested: String,
    },
    /// The plan options are invalid.
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// What the job is doing, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Phase {
    /// Reading the source's size, ETag and metadata.
    #[default]
    HeadSource,
    /// Copying with one PUT-Copy.
    SingleCopy,
    /// Aborting a checkpoint's upload that cannot be resumed.
    AbortingStale,
    /// Reading the source's tags.
    Tagging,
    /// Initiating the multipart upload.
    Initiating,
    /// Listing the parts of a resumed upload.
    ListingParts,
    /// Copying parts.
    CopyingParts,
    /// Completing the multipart upload.
    Completing,
    /// Checking the destination after Complete's answer never arrived.
    Confirming,
    /// Failing or cancelled: waiting for requests in flight.
    Stopping,
    /// Aborting the upload after a failure or cancellation.
    Aborting,
    /// Finished.
    Done,
}

/// How far the job has got.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Progress {
    /// What the job is doing.
    pub phase: Phase,
    /// Parts planned (0 until planned, and for a single copy).
    pub parts_total: u32,
    /// Parts done, resumed ones included.
    pub parts_done: u32,
    /// Source size (0 until HEAD answered).
    pub bytes_total: u64,
    /// Bytes copied, resumed parts included (a single copy counts when it finishes).
    pub bytes_done: u64,
    /// Parts found done from the checkpoint and List Parts.
    pub resumed_parts: u32,
    /// Part copies in flight now.
    pub parts_in_flight: u32,
    /// Most part copies the job will have in flight now (below the configured concurrency while
    /// the service throttles).
    pub window: u32,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Retries scheduled.
    pub retries: u64,
    /// Set when a resumed job started over.
    pub restarted: Option<RestartReason>,
    /// The upload in use, once initiated or resumed.
    pub upload_id: Option<String>,
}

/// The stage the job is in; each stage has at most one control operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Head,
    PutCopy,
    AbortStale,
    Tagging,
    Initiate,
    ListParts,
    Parts,
    Complete,
    /// HEAD of the destination: was an upload whose Complete answer never arrived completed?
    Confirm,
    /// Failing or cancelled: waiting for requests in flight before aborting or finishing.
    Drain,
    Abort,
    Done,
}

/// One control operation (anything but a part copy) with its retry state.
#[derive(Debug, Clone)]
struct Task {
    op: Operation,
    attempts: u32,
    not_before: Duration,
    in_flight: Option<RequestId>,
}

impl Task {
    fn new(op: Operation, now: Duration) -> Task {
        Task {
            op,
            attempts: 0,
            not_before: now,
            in_flight: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PartState {
    Todo,
    Backoff { attempts: u32, not_before: Duration },
    InFlight { attempts: u32 },
    Done { etag: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Control,
    Part(u32),
}

/// Whether the upload should be aborted once a failing job has drained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AbortWish {
    /// There is no upload to abort (or it is gone).
    Never,
    /// Abort unless the job is resumable.
    UnlessResumable,
    /// Abort even a resumable upload: it can never be completed correctly.
    Always,
}

#[derive(Debug, Clone)]
struct Failing {
    error: JobError,
    abort: AbortWish,
}

/// An upload that is gone, maybe because it was completed: see [`Stage::Confirm`].
#[derive(Debug, Clone)]
struct Confirming {
    upload_id: String,
    /// What follows when the destination is not the completed object.
    otherwise: Otherwise,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Otherwise {
    /// Fail with [`JobError::CompletionUnconfirmed`] (this run's Complete answer was lost).
    Unconfirmed,
    /// Fail with [`JobError::CopyUnconfirmed`] (this run's PUT-Copy in place lost its answer).
    CopyUnconfirmed,
    /// Start over (a resumed upload that is gone).
    Restart,
}

/// What a resumed job knows from its checkpoint.
#[derive(Debug, Clone)]
struct Checkpoint {
    header: Header,
    parts: BTreeMap<u32, String>,
}

/// One object's copy, as a state machine; see the [module documentation](self).
#[derive(Debug)]
pub struct CopyJob {
    spec: JobSpec,
    config: JobConfig,
    jitter: Jitter,
    next_id: u64,
    stage: Stage,
    control: Option<Task>,
    in_flight: BTreeMap<RequestId, Slot>,
    queue: VecDeque<Step>,
    finished: Option<Result<Outcome, JobError>>,
    failing: Option<Failing>,
    cancelled: bool,
    /// A Complete failed in a way that may have taken effect (a retryable failure), or a PUT-Copy
    /// did (no answer, or a 5xx).
    completion_uncertain: bool,
    /// Initiate attempts that failed in a way that may have taken effect (see
    /// [`Outcome::uncertain_initiates`]).
    uncertain_initiates: u32,
    /// Set in [`Stage::Confirm`].
    confirming: Option<Confirming>,
    /// The `Date` of the answer to Initiate (or the checkpoint header's).
    initiated: Option<String>,
    /// In place, on resume: the source as the checkpoint recorded it, when the object HEAD found
    /// is no longer that. Either the earlier run completed its upload (the object is the copy) or
    /// another writer replaced it; List Parts tells which (see `on_head`).
    recorded_source: Option<SourceInfo>,
    source: Option<SourceInfo>,
    plan: Option<Plan>,
    upload_id: Option<String>,
    tags: Vec<(String, String)>,
    /// On resume: the checkpoint's upload, whose listing waits until the source's tags, read
    /// again, are found to be those its Initiate carried (see `on_head`).
    tags_check: Option<String>,
    checkpoint: Option<Checkpoint>,
    restart: Option<Restart>,
    parts: Vec<PartState>,
    /// Index of the first part that may still be `Todo`.
    cursor: usize,
    /// Parts waiting out a backoff, by (not before, number).
    backoff: BTreeSet<(Duration, u32)>,
    /// Parts listed by List Parts on resume: number → ETag, or `None` when the size was wrong.
    listed: BTreeMap<u32, Option<String>>,
    list_marker: Option<u32>,
    parts_in_flight: u32,
    /// The current part window: `1..=concurrency`.
    window: u32,
    /// Successes counted towards growing the window by one.
    window_credit: u32,
    /// Throttles of requests with ids below this one do not shrink the window again.
    window_cut_before: u64,
    parts_done: u32,
    bytes_done: u64,
    resumed_parts: u32,
    requests: u64,
    retries: u64,
}

impl CopyJob {
    /// A new job for `spec`; the first poll asks to HEAD the source.
    ///
    /// # Errors
    /// When the plan options contradict the limits (see [`plan::check_options`]).
    pub fn new(spec: JobSpec, config: JobConfig) -> Result<CopyJob, PlanError> {
        plan::check_options(&spec.limits, &spec.plan)?;
        Ok(CopyJob::build(spec, config, None))
    }

    /// A job that continues the copy recorded in `records` (as decoded from its journal).
    ///
    /// Only the records after the last header count. The first poll HEADs the source; if it still
    /// matches the header and the plan and the new object's options are unchanged, the job lists
    /// the upload's parts (following every page) and copies only what neither the listing nor the
    /// records show done. Otherwise it aborts the old upload and starts over, saying so in
    /// [`Outcome::restart`].
    ///
    /// # Errors
    /// [`ResumeError::NoHeader`] when the records hold no header, [`ResumeError::DifferentJob`]
    /// when they describe another source or destination, and invalid plan options.
    pub fn resume(records: Vec<Record>, spec: JobSpec, config: JobConfig) -> Result<CopyJob, ResumeError> {
        plan::check_options(&spec.limits, &spec.plan)?;
        let start = records
            .iter()
            .rposition(|r| matches!(r, Record::Header(_)))
            .ok_or(ResumeError::NoHeader)?;
        let mut records = records.into_iter().skip(start);
        let Some(Record::Header(header)) = records.next() else {
            return Err(ResumeError::NoHeader);
        };
        for (field, recorded, requested) in [
            ("source", &header.source, &spec.source),
            ("destination", &header.destination, &spec.destination),
        ] {
            if recorded != requested {
                return Err(ResumeError::DifferentJob {
                    field,
                    recorded: recorded.clone(),
                    requested: requested.clone(),
                });
            }
        }
        let mut parts = BTreeMap::new();
        for record in records {
            if let Record::Part { number, etag } = record {
                parts.insert(number, etag);
            }
        }
        let upload_id = header.upload_id.clone();
        let initiated = header.initiated.clone();
        let mut job = CopyJob::build(spec, config, Some(Checkpoint { header, parts }));
        job.upload_id = Some(upload_id);
        job.initiated = initiated;
        Ok(job)
    }

    fn build(spec: JobSpec, mut config: JobConfig, checkpoint: Option<Checkpoint>) -> CopyJob {
        config.concurrency = config.concurrency.max(1);
        config.max_attempts = config.max_attempts.max(1);
        let window = config.concurrency;
        CopyJob {
            jitter: Jitter::new(config.jitter_seed),
            spec,
            config,
            next_id: 1,
            stage: Stage::Head,
            control: Some(Task::new(Operation::HeadSource, Duration::ZERO)),
            in_flight: BTreeMap::new(),
            queue: VecDeque::new(),
            finished: None,
            failing: None,
            cancelled: false,
            completion_uncertain: false,
            uncertain_initiates: 0,
            confirming: None,
            initiated: None,
            recorded_source: None,
            source: None,
            plan: None,
            upload_id: None,
            tags: Vec::new(),
            tags_check: None,
            checkpoint,
            restart: None,
            parts: Vec::new(),
            cursor: 0,
            backoff: BTreeSet::new(),
            listed: BTreeMap::new(),
            list_marker: None,
            parts_in_flight: 0,
            window,
            window_credit: 0,
            window_cut_before: 0,
            parts_done: 0,
            bytes_done: 0,
            resumed_parts: 0,
            requests: 0,
            retries: 0,
        }
    }

    /// The next thing to do. Call it until it returns [`Step::Wait`] or [`Step::Finished`] after
    /// creating the job, after every [`handle`](Self::handle) or [`cancel`](Self::cancel), and when
    /// a `Wait`'s `until` has passed. ([`Step`] is `#[must_use]`.)
    pub fn poll(&mut self, now: Duration) -> Step {
        if let Some(step) = self.queue.pop_front() {
            return step;
        }
        if let Some(result) = &self.finished {
            return Step::Finished(result.clone());
        }
        if let Some(step) = self.send_control(now) {
            return step;
        }
        if let Some(step) = self.send_part(now) {
            return step;
        }
        Step::Wait {
            until: self.wake_time(now),
        }
    }

    /// Feeds the outcome of request `id`. An id the job is not waiting for (unknown, or already
    /// answered) is ignored.
    pub fn handle(&mut self, id: RequestId, result: Result<Reply, Failure>, now: Duration) {
        let Some(slot) = self.in_flight.remove(&id) else {
            return;
        };
        match slot {
            Slot::Control => self.handle_control(result, now),
            Slot::Part(number) => self.handle_part(id, number, result, now),
        }
        self.settle(now);
    }

    /// Stops the job: nothing new is sent, requests in flight are let finish, then the upload is
    /// aborted unless the job is resumable, and the job finishes with [`JobError::Cancelled`]
    /// (or with success, if a Complete already in flight succeeds). If the Abort finds the upload
    /// gone after a Complete whose answer was lost, the destination is HEADed to tell a finished
    /// copy from a failed one, as for any lost Complete.
    pub fn cancel(&mut self) {
        if self.finished.is_some() || self.cancelled {
            return;
        }
        self.cancelled = true;
        if self.stage == Stage::Confirm
            && self
                .confirming
                .as_ref()
                .is_some_and(|c| c.otherwise != Otherwise::Restart)
        {
            // This run's upload is gone and maybe completed (or its PUT-Copy in place maybe took
            // effect): only the HEAD's answer is awaited, and it decides between done and
            // unconfirmed. Without one in flight, stop now.
            if self.control.as_ref().is_some_and(|t| t.in_flight.is_none()) {
                self.not_confirmed(Doubt::Cancelled, Duration::ZERO);
            }
            return;
        }
        self.fail(
            JobError::Cancelled {
                upload: UploadFate::None,
            },
            AbortWish::UnlessResumable,
        );
        self.settle(Duration::ZERO);
    }

    /// How far the job has got.
    pub fn progress(&self) -> Progress {
        Progress {
            phase: match self.stage {
                Stage::Head => Phase::HeadSource,
                Stage::PutCopy => Phase::SingleCopy,
                Stage::AbortStale => Phase::AbortingStale,
                Stage::Tagging => Phase::Tagging,
                Stage::Initiate => Phase::Initiating,
                Stage::ListParts => Phase::ListingParts,
                Stage::Parts => Phase::CopyingParts,
                Stage::Complete => Phase::Completing,
                Stage::Confirm => Phase::Confirming,
                Stage::Drain => Phase::Stopping,
                Stage::Abort => Phase::Aborting,
                Stage::Done => Phase::Done,
            },
            parts_total: self.plan.as_ref().map_or(0, Plan::part_count),
            parts_done: self.parts_done,
            bytes_total: self.source.as_ref().map_or(0, |s| s.size),
            bytes_done: self.bytes_done,
            resumed_parts: self.resumed_parts,
            parts_in_flight: self.parts_in_flight,
            window: self.window,
            requests: self.requests,
            retries: self.retries,
            restarted: self.restart.as_ref().map(|r| r.reason),
            upload_id: self.upload_id.clone(),
        }
    }

    /// The job's specification.
    pub fn spec(&self) -> &JobSpec {
        &self.spec
    }

    /// The plan, once HEAD has answered.
    pub fn plan(&self) -> Option<&Plan> {
        self.plan.as_ref()
    }

    // ---- sending ----

    fn new_id(&mut self, slot: Slot) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        self.requests += 1;
        self.in_flight.insert(id, slot);
        id
    }

    fn send_control(&mut self, now: Duration) -> Option<Step> {
        let task = self.control.as_ref()?;
        if task.in_flight.is_some() || task.not_before > now || self.stage == Stage::Drain {
            return None;
        }
        let id = self.new_id(Slot::Control);
        let task = self.control.as_mut()?;
        task.attempts += 1;
        task.in_flight = Some(id);
        Some(Step::Send {
            id,
            op: task.op.clone(),
        })
    }

    fn send_part(&mut self, now: Duration) -> Option<Step> {
        if self.stage != Stage::Parts || self.parts_in_flight >= self.window {
            return None;
        }
        // Set before the parts stage begins; checked first so nothing below fails half-way.
        let (Some(plan), Some(upload_id), Some(source)) = (&self.plan, &self.upload_id, &self.source) else {
            return None;
        };
        let (upload_id, source_etag) = (upload_id.clone(), source.etag.clone());
        let number = match self.backoff.first() {
            Some(&(not_before, number)) if not_before <= now => {
                self.backoff.remove(&(not_before, number));
                number
            }
            _ => {
                while self.parts.get(self.cursor).is_some_and(|s| *s != PartState::Todo) {
                    self.cursor += 1;
                }
                if self.cursor >= self.parts.len() {
                    return None;
                }
                self.cursor += 1;
                u32::try_from(self.cursor).ok()?
            }
        };
        // `parts` has one state per planned part, and `number` is one of them.
        let index = (number - 1) as usize;
        let range = plan.part(number)?.range;
        let attempts = match self.parts[index] {
            PartState::Backoff { attempts, .. } => attempts,
            _ => 0,
        } + 1;
        self.parts[index] = PartState::InFlight { attempts };
        self.parts_in_flight += 1;
        let op = Operation::UploadPartCopy {
            upload_id,
            part_number: number,
            range,
            source_etag,
        };
        let id = self.new_id(Slot::Part(number));
        Some(Step::Send { id, op })
    }

    fn wake_time(&self, now: Duration) -> Option<Duration> {
        let control = self
            .control
            .as_ref()
            .filter(|t| t.in_flight.is_none() && self.stage != Stage::Drain)
            .map(|t| t.not_before.max(now));
        let part = if self.stage == Stage::Parts && self.parts_in_flight < self.window {
            self.backoff.first().map(|&(t, _)| t.max(now))
        } else {
            None
        };
        match (control, part) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- stage changes ----

    fn enter(&mut self, stage: Stage, op: Option<Operation>, now: Duration) {
        self.stage = stage;
        self.control = op.map(|op| Task::new(op, now));
    }

    fn finish(&mut self, result: Result<Outcome, JobError>) {
        self.stage = Stage::Done;
        self.control = None;
        self.backoff.clear();
        self.finished = Some(result);
    }

    /// Ends the job with `error` once requests in flight are answered (the first error wins; a
    /// later one may only make an abort more necessary).
    fn fail(&mut self, error: JobError, abort: AbortWish) {
        if matches!(self.stage, Stage::Done | Stage::Abort) {
            return;
        }
        match &mut self.failing {
            Some(failing) => failing.abort = failing.abort.max(abort),
            None => {
                self.failing = Some(Failing { error, abort });
            }
        }
        self.stage = Stage::Drain;
        self.backoff.clear();
        if self.control.as_ref().is_some_and(|t| t.in_flight.is_none()) {
            self.control = None;
        }
    }

    /// Takes the transitions that need no reply: a drained failure, all parts done.
    fn settle(&mut self, now: Duration) {
        match self.stage {
            Stage::Drain if self.in_flight.is_empty() => {
                let Some(Failing { mut error, abort }) = self.failing.take() else {
                    return;
                };
                let abort = match abort {
                    AbortWish::Never => false,
                    AbortWish::UnlessResumable => !self.config.resumable,
                    AbortWish::Always => true,
                };
                match (self.upload_id.clone(), abort) {
                    (Some(upload_id), true) => {
                        self.failing = Some(Failing {
                            error,
                            abort: AbortWish::Always,
                        });
                        self.enter(Stage::Abort, Some(Operation::Abort { upload_id }), now);
                    }
                    (upload_id, _) => {
                        // The upload id is cleared whenever the service says the upload is gone.
                        let kept = match upload_id {
                            Some(upload_id) => UploadFate::Kept { upload_id },
                            None => UploadFate::None,
                        };
                        if let Some(fate) = error.upload_mut() {
                            *fate = kept;
                        }
                        self.finish(Err(error));
                    }
                }
            }
            Stage::Parts if self.parts_in_flight == 0 && self.parts_done as usize == self.parts.len() => {
                // The part states move into the operation and are freed: nothing reads them once
                // the job completes (there is no way back from Complete to copying parts, and a
                // fresh start plans its parts anew), and at 10,000 parts they are 320 KiB that
                // need not be held beside the list and the request body built from it.
                let parts = std::mem::take(&mut self.parts)
                    .into_iter()
                    .zip(1u32..)
                    .filter_map(|(state, number)| match state {
                        PartState::Done { etag } => Some(CompletedPart { number, etag }),
                        _ => None,
                    })
                    .collect();
                let Some(upload_id) = self.upload_id.clone() else {
                    return;
                };
                self.enter(
                    Stage::Complete,
                    Some(Operation::Complete { upload_id, parts }),
                    now,
                );
            }
            _ => {}
        }
    }

    /// Whether Initiate carries the source's tags (read from it first).
    fn copies_source_tags(&self) -> bool {
        matches!(
            (&self.spec.tags, self.spec.directive),
            (TagsHandling::FollowDirective, MetadataDirective::Copy)
        )
    }

    /// The fingerprint a header records of what Initiate fixed (see [`fingerprint`]).
    fn options_fingerprint(&self) -> String {
        let options = fingerprint::initiate_options(&self.spec);
        if self.copies_source_tags() {
            fingerprint::with_source_tags(&options, &self.tags)
        } else {
            options
        }
    }

    fn start_multipart(&mut self, now: Duration) {
        if self.copies_source_tags() {
            self.enter(Stage::Tagging, Some(Operation::GetSourceTagging), now);
            return;
        }
        self.tags = match &self.spec.tags {
            TagsHandling::Set(tags) => tags.clone(),
            _ => Vec::new(),
        };
        self.enter_initiate(now);
    }

    fn enter_initiate(&mut self, now: Duration) {
        let metadata = match self.spec.directive {
            MetadataDirective::Copy => self
                .source
                .as_ref()
                .map(|s| s.metadata.clone())
                .unwrap_or_default(),
            MetadataDirective::Replace => self.spec.metadata.clone(),
        };
        let op = Operation::Initiate {
            metadata,
            tags: self.tags.clone(),
            storage_class: self.storage_class(),
            encryption: self.encryption(),
        };
        self.enter(Stage::Initiate, Some(op), now);
    }

    /// The storage class to ask for: the spec's; in place without one, the object's own, so that
    /// changing its metadata does not move it to the default class (neither service keeps the class
    /// of a copy unless asked).
    fn storage_class(&self) -> Option<String> {
        match (&self.spec.storage_class, self.spec.in_place) {
            (Some(class), _) => Some(class.clone()),
            (None, true) => self.source.as_ref().and_then(|s| s.storage_class.clone()),
            (None, false) => None,
        }
    }

    /// The copy's encryption: the one asked for, else the source's (see [`Encryption`]).
    fn encryption(&self) -> Option<Encryption> {
        self.spec
            .encryption
            .clone()
            .or_else(|| self.source.as_ref().and_then(|s| s.encryption.clone()))
    }

    fn enter_put_copy(&mut self, now: Duration) {
        let (directive, metadata, keep_tags) = match (self.spec.directive, self.spec.in_place) {
            (MetadataDirective::Copy, false) => (MetadataDirective::Copy, ObjectMetadata::default(), true),
            // Onto itself: restate the source's metadata under Replace (see `JobSpec::in_place`).
            (MetadataDirective::Copy, true) => (
                MetadataDirective::Replace,
                self.source
                    .as_ref()
                    .map(|s| s.metadata.clone())
                    .unwrap_or_default(),
                true,
            ),
            (MetadataDirective::Replace, _) => {
                (MetadataDirective::Replace, self.spec.metadata.clone(), false)
            }
        };
        let (keep_tags, tags) = match &self.spec.tags {
            TagsHandling::Set(tags) => (false, tags.clone()),
            _ => (keep_tags, Vec::new()),
        };
        let op = Operation::PutCopy {
            source_etag: self.source.as_ref().map(|s| s.etag.clone()),
            directive,
            metadata,
            storage_class: self.storage_class(),
            keep_tags,
            tags,
            encryption: self.encryption(),
        };
        self.enter(Stage::PutCopy, Some(op), now);
    }

    /// Starts the copy from scratch after HEAD (or after giving up on a checkpoint's upload).
    fn start_fresh(&mut self, now: Duration) {
        match self.plan {
            Some(Plan::Single { .. }) => self.enter_put_copy(now),
            Some(Plan::Multipart { .. }) => self.start_multipart(now),
            None => {}
        }
    }

    fn begin_parts(&mut self, done: BTreeMap<u32, String>, now: Duration) {
        let Some(plan) = &self.plan else {
            return;
        };
        let mut parts = vec![PartState::Todo; plan.part_count() as usize];
        let mut bytes = 0;
        let mut count = 0;
        for (number, etag) in done {
            let Some(spec) = plan.part(number) else {
                continue;
            };
            parts[(number - 1) as usize] = PartState::Done { etag };
            bytes += spec.range.len();
            count += 1;
        }
        self.parts = parts;
        self.cursor = 0;
        self.backoff.clear();
        self.parts_done = count;
        self.resumed_parts = count;
        self.bytes_done = bytes;
        self.enter(Stage::Parts, None, now);
    }

    // ---- replies ----

    fn may_retry(&mut self, failure: &Failure, attempts: u32) -> bool {
        failure.kind.is_retryable() && attempts < self.config.max_attempts
    }

    fn handle_control(&mut self, result: Result<Reply, Failure>, now: Duration) {
        let Some(task) = self.control.as_mut() else {
            return;
        };
        task.in_flight = None;
        let attempts = task.attempts;
        let kind = OperationKind::of(&task.op);
        if self.stage == Stage::Drain {
            self.control = None;
            self.handle_control_while_draining(kind, result);
            return;
        }
        let failure = match result {
            Ok(reply) => {
                self.handle_control_reply(kind, reply, now);
                return;
            }
            Err(failure) => failure,
        };
        // Complete after an uncertain attempt: see the module documentation.
        if self.stage == Stage::Complete
            && failure.kind == FailureKind::NoSuchUpload
            && self.completion_uncertain
        {
            let upload_id = self.upload_id.take().unwrap_or_default();
            self.confirm(upload_id, Otherwise::Unconfirmed, now);
            return;
        }
        let stop_confirming = self.cancelled && self.stage == Stage::Confirm;
        if self.may_retry(&failure, attempts) && !stop_confirming {
            let delay = self
                .config
                .backoff
                .delay(attempts, failure.retry_after, &mut self.jitter);
            if let Some(task) = self.control.as_mut() {
                task.not_before = now + delay;
            }
            if kind == OperationKind::Complete
                || (kind == OperationKind::PutCopy && failure.kind.may_have_taken_effect())
            {
                self.completion_uncertain = true;
            }
            if kind == OperationKind::Initiate && failure.kind.may_have_taken_effect() {
                self.uncertain_initiates += 1;
            }
            self.retries += 1;
            return;
        }
        self.control_failed(kind, failure, attempts, now);
    }

    fn handle_control_while_draining(&mut self, kind: OperationKind, result: Result<Reply, Failure>) {
        match result {
            Err(failure) if kind == OperationKind::Complete && failure.kind.is_retryable() => {
                self.completion_uncertain = true;
            }
            Ok(Reply::Initiated { upload_id, date }) => self.on_initiated(upload_id, date),
            Ok(Reply::Completed { etag, crc64 }) => {
                // The copy finished before the cancellation could stop it.
                self.failing = None;
                let outcome = self.outcome(etag, crc64);
                self.finish(Ok(outcome));
            }
            Ok(Reply::Copied { etag, crc64 }) => {
                self.failing = None;
                self.bytes_done = self.source.as_ref().map_or(0, |s| s.size);
                let outcome = self.outcome(etag, crc64);
                self.finish(Ok(outcome));
            }
            _ => {}
        }
    }

    fn control_failed(&mut self, kind: OperationKind, failure: Failure, attempts: u32, now: Duration) {
        let service = |upload| JobError::Service {
            operation: kind,
            failure: failure.clone(),
            attempts,
            upload,
        };
        match self.stage {
            Stage::Head | Stage::Tagging | Stage::PutCopy if failure.kind == FailureKind::NoSuchKey => {
                // A checkpoint's upload (on resume) can never be completed from a deleted source.
                self.fail(
                    JobError::SourceNotFound {
                        failure,
                        upload: UploadFate::None,
                    },
                    AbortWish::Always,
                );
            }
            // In place, an attempt whose answer was lost may have rewritten the object, which
            // changes its ETag: look at it before calling that a change of the source.
            Stage::PutCopy
                if failure.kind == FailureKind::PreconditionFailed
                    && self.spec.in_place
                    && self.completion_uncertain =>
            {
                self.confirm(String::new(), Otherwise::CopyUnconfirmed, now);
            }
            Stage::PutCopy if failure.kind == FailureKind::PreconditionFailed => {
                let etag = self.source_etag();
                self.fail(
                    JobError::SourceChanged {
                        etag,
                        upload: UploadFate::None,
                    },
                    AbortWish::Never,
                );
            }
            Stage::AbortStale => {
                // Best effort: the old upload is useless either way.
                let gone = failure.kind == FailureKind::NoSuchUpload;
                if let Some(restart) = self.restart.as_mut() {
                    restart.abort_failure = (!gone).then_some(failure);
                }
                self.start_fresh(now);
            }
            Stage::ListParts if failure.kind == FailureKind::NoSuchUpload => {
                if self.journal_has_every_part() {
                    // The last run may have sent Complete before it stopped.
                    let upload_id = self.upload_id.take().unwrap_or_default();
                    self.confirm(upload_id, Otherwise::Restart, now);
                } else {
                    self.restart_with(RestartReason::UploadGone, None, now);
                }
            }
            Stage::Confirm => {
                let doubt = if failure.kind == FailureKind::NoSuchKey {
                    Doubt::Missing
                } else {
                    Doubt::Unreadable(Described(&failure).to_string())
                };
                self.not_confirmed(doubt, now);
            }
            Stage::Abort
                if failure.kind == FailureKind::NoSuchUpload
                    && self.completion_uncertain
                    && attempts == 1 =>
            {
                // The upload is gone before our first Abort after a Complete whose outcome we never
                // saw: most likely that Complete took effect, and "aborted" would be wrong. (After
                // a retried Abort, our own earlier attempt is as likely, and "aborted" stands.)
                // The destination decides: the completed object is a success after all.
                let upload_id = self.upload_id.take().unwrap_or_default();
                self.failing = None;
                self.confirm(upload_id, Otherwise::Unconfirmed, now);
            }
            Stage::Abort => {
                let fate = match (self.upload_id.clone(), failure.kind) {
                    (Some(upload_id), FailureKind::NoSuchUpload) => UploadFate::Aborted { upload_id },
                    (Some(upload_id), _) => UploadFate::AbortFailed { upload_id, failure },
                    (None, _) => UploadFate::None,
                };
                self.finish_failing(fate);
            }
            Stage::Complete | Stage::ListParts | Stage::Parts => {
                let wish = if failure.kind == FailureKind::NoSuchUpload {
                    self.upload_id = None;
                    AbortWish::Never
                } else {
                    AbortWish::UnlessResumable
                };
                self.fail(service(UploadFate::None), wish);
            }
            _ => {
                self.fail(service(UploadFate::None), AbortWish::UnlessResumable);
            }
        }
    }

    fn finish_failing(&mut self, fate: UploadFate) {
        let Some(Failing { mut error, .. }) = self.failing.take() else {
            return;
        };
        if let Some(slot) = error.upload_mut() {
            *slot = fate;
        }
        self.finish(Err(error));
    }

    fn handle_control_reply(&mut self, kind: OperationKind, reply: Reply, now: Duration) {
        match (self.stage, reply) {
            (Stage::Head, Reply::Head(info)) => self.on_head(*info, now),
            (Stage::PutCopy, Reply::Copied { etag, crc64 }) => {
                self.bytes_done = self.source.as_ref().map_or(0, |s| s.size);
                let outcome = self.outcome(etag, crc64);
                self.finish(Ok(outcome));
            }
            (Stage::AbortStale, Reply::Aborted) => self.start_fresh(now),
            (Stage::Tagging, Reply::Tagging(tags)) => {
                self.tags = tags;
                match self.tags_check.take() {
                    Some(old) => self.on_resumed_tags(old, now),
                    None => self.enter_initiate(now),
                }
            }
            (Stage::Initiate, Reply::Initiated { upload_id, date }) => {
                self.on_initiated(upload_id, date);
                self.begin_parts(BTreeMap::new(), now);
            }
            (Stage::ListParts, Reply::Parts { parts, next_marker }) => {
                self.on_parts_page(parts, next_marker, now);
            }
            (Stage::Complete, Reply::Completed { etag, crc64 }) => {
                let outcome = self.outcome(etag, crc64);
                self.finish(Ok(outcome));
            }
            (Stage::Confirm, Reply::Head(info)) => self.on_destination(*info, now),
            (Stage::Abort, Reply::Aborted) => {
                let fate = self
                    .upload_id
                    .clone()
                    .map_or(UploadFate::None, |upload_id| UploadFate::Aborted { upload_id });
                self.finish_failing(fate);
            }
            (Stage::Abort, _) => {
                // A wrong reply to Abort: the upload's fate is unknown; say the abort failed.
                let fate =
                    self.upload_id
                        .clone()
                        .map_or(UploadFate::None, |upload_id| UploadFate::AbortFailed {
                            upload_id,
                            failure: unexpected_failure(kind),
                        });
                self.finish_failing(fate);
            }
            _ => self.fail(
                JobError::UnexpectedReply {
                    operation: kind,
                    upload: UploadFate::None,
                },
                AbortWish::UnlessResumable,
            ),
        }
    }

    fn on_head(&mut self, info: SourceInfo, now: Duration) {
        let planned = plan::plan(info.size, &self.spec.limits, &self.spec.plan);
        // On resume: is the source still the one the checkpoint's upload copies from?
        let same_source = self.checkpoint.as_ref().map(|c| {
            let header = &c.header;
            header.size == info.size
                && header.etag == info.etag
                && header.last_modified == info.last_modified
                && header.version_id == info.version_id
        });
        // A fresh copy of a source whose data is offline until restored would fail at its first
        // read, after an Initiate: say so now, having sent nothing. (With a checkpoint the copy
        // goes on as recorded: its parts may all be done, or the object may be this copy, moved
        // to an archive class in place by the earlier run.)
        let offline = (self.checkpoint.is_none() && info.needs_restore)
            .then(|| info.storage_class.clone().unwrap_or_default());
        self.source = Some(info);
        if let Some(storage_class) = offline {
            self.fail(JobError::SourceNeedsRestore { storage_class }, AbortWish::Never);
            return;
        }
        let plan = match planned {
            Ok(plan) => plan,
            Err(source) => {
                // A checkpoint's upload of an older source is useless: abort it.
                let wish = if same_source == Some(false) {
                    AbortWish::Always
                } else {
                    AbortWish::UnlessResumable
                };
                self.fail(
                    JobError::Plan {
                        source,
                        upload: UploadFate::None,
                    },
                    wish,
                );
                return;
            }
        };
        let part_size = plan.part_size();
        self.plan = Some(plan);
        let Some(checkpoint) = &self.checkpoint else {
            self.start_fresh(now);
            return;
        };
        let old = checkpoint.header.upload_id.clone();
        let plan_kept = part_size == Some(checkpoint.header.part_size);
        // A checkpoint written before options were recorded (`None`) resumes as it always did.
        let recorded = fingerprint::compare(checkpoint.header.options.as_deref(), &self.spec);
        let options_kept = recorded != Recorded::Other;
        if same_source == Some(false) && self.spec.in_place && plan_kept && !options_kept {
            // In place, the "changed" object may be this copy, completed by the earlier run with
            // its options, or another: either way only a new copy gives it the options asked for.
            self.restart_with(RestartReason::OptionsChanged, Some(old), now);
        } else if same_source == Some(false) && self.spec.in_place && plan_kept {
            // In place, the "changed" source may be this copy, completed by the earlier run: list
            // the upload first. Still there: the source did change (restart, in `reconcile`).
            // Gone with every part journaled: the object is judged against the source as
            // recorded (by its CRC-64 when the header has it, else by dates; its metadata is its
            // own under Copy, since the source's was not recorded).
            let header = &checkpoint.header;
            let found = self
                .source
                .as_ref()
                .map(|s| s.metadata.clone())
                .unwrap_or_default();
            self.recorded_source = Some(SourceInfo {
                size: header.size,
                etag: header.etag.clone(),
                last_modified: header.last_modified.clone(),
                version_id: header.version_id.clone(),
                storage_class: None,
                crc64: header.crc64,
                metadata: found,
                encryption: None,
                needs_restore: false,
            });
            self.listed.clear();
            self.list_marker = None;
            let op = self.list_parts(old, None);
            self.enter(Stage::ListParts, Some(op), now);
        } else if same_source == Some(false) {
            self.restart_with(RestartReason::SourceChanged, Some(old), now);
        } else if !plan_kept {
            self.restart_with(RestartReason::PlanChanged, Some(old), now);
        } else if !options_kept {
            self.restart_with(RestartReason::OptionsChanged, Some(old), now);
        } else if recorded == Recorded::SameIfSourceTags && self.copies_source_tags() {
            // Retagging the source changes neither its ETag nor its date, and the upload's tags
            // were fixed by its Initiate: read them again before going on with it.
            self.tags_check = Some(old);
            self.enter(Stage::Tagging, Some(Operation::GetSourceTagging), now);
        } else {
            self.list_upload(old, now);
        }
    }

    /// On resume, the source's tags are read again: the same as the checkpoint's upload carries,
    /// it goes on; others, it starts over (completing it would give the copy the old tags).
    fn on_resumed_tags(&mut self, old: String, now: Duration) {
        let recorded = self.checkpoint.as_ref().and_then(|c| c.header.options.as_deref());
        if recorded == Some(self.options_fingerprint().as_str()) {
            self.list_upload(old, now);
        } else {
            self.restart_with(RestartReason::SourceChanged, Some(old), now);
        }
    }

    /// Lists the checkpoint's upload, from its first page, to resume it.
    fn list_upload(&mut self, upload_id: String, now: Duration) {
        self.listed.clear();
        self.list_marker = None;
        let op = self.list_parts(upload_id, None);
        self.enter(Stage::ListParts, Some(op), now);
    }

    /// HEADs the destination to learn whether `upload_id`, which the service says is gone, was
    /// completed; `otherwise` says what follows if it was not.
    fn confirm(&mut self, upload_id: String, otherwise: Otherwise, now: Duration) {
        self.confirming = Some(Confirming { upload_id, otherwise });
        self.enter(Stage::Confirm, Some(Operation::HeadDestination), now);
    }

    /// Whether the checkpoint records every planned part.
    fn journal_has_every_part(&self) -> bool {
        let (Some(checkpoint), Some(plan)) = (&self.checkpoint, &self.plan) else {
            return false;
        };
        let count = plan.part_count();
        count > 0 && (1..=count).all(|n| checkpoint.parts.contains_key(&n))
    }

    fn on_destination(&mut self, dest: SourceInfo, now: Duration) {
        let storage_class = self.storage_class();
        let source = self.recorded_source.as_ref().or(self.source.as_ref());
        let (Some(source), Some(plan)) = (source, &self.plan) else {
            // Not reached: a job confirms only after planning. Never leave it waiting.
            self.not_confirmed(Doubt::NoEvidence, now);
            return;
        };
        let metadata = match self.spec.directive {
            MetadataDirective::Copy => &source.metadata,
            MetadataDirective::Replace => &self.spec.metadata,
        };
        let expected = confirm::Expected {
            source,
            parts: plan.part_count(),
            metadata,
            initiated: self.initiated.as_deref(),
            storage_class: storage_class.as_deref(),
        };
        let (parts, size) = (plan.part_count(), source.size);
        let evidence = match confirm::judge(&dest, &expected) {
            Ok(evidence) => evidence,
            Err(doubt) => return self.not_confirmed(doubt, now),
        };
        let Some(confirming) = self.confirming.take() else {
            return self.lost_track();
        };
        if confirming.otherwise == Otherwise::Restart {
            // Nothing was copied in this run: every part is the previous run's.
            self.resumed_parts = parts;
        }
        self.parts_done = parts;
        self.bytes_done = size;
        self.upload_id = Some(confirming.upload_id);
        let mut outcome = self.outcome(dest.etag, dest.crc64);
        outcome.confirmed = Some(evidence);
        self.finish(Ok(outcome));
    }

    /// The destination is not (or cannot be shown to be) the completed upload.
    fn not_confirmed(&mut self, doubt: Doubt, now: Duration) {
        let Some(Confirming { upload_id, otherwise }) = self.confirming.take() else {
            return self.lost_track();
        };
        match otherwise {
            Otherwise::Unconfirmed => {
                self.finish(Err(JobError::CompletionUnconfirmed { upload_id, doubt }));
            }
            Otherwise::CopyUnconfirmed => self.finish(Err(JobError::CopyUnconfirmed { doubt })),
            // Whatever the destination holds, this upload is gone: copy the object again.
            Otherwise::Restart => self.restart_with(RestartReason::UploadGone, None, now),
        }
    }

    /// Not reached: [`Stage::Confirm`] without its [`Confirming`]. Ends the job rather than
    /// leave it waiting for nothing.
    fn lost_track(&mut self) {
        self.finish(Err(JobError::UnexpectedReply {
            operation: OperationKind::HeadDestination,
            upload: UploadFate::None,
        }));
    }

    /// Gives up on the checkpoint's upload: aborts it when `abort` names it, then starts over.
    fn restart_with(&mut self, reason: RestartReason, abort: Option<String>, now: Duration) {
        // A fresh copy is judged against the source as HEAD found it now.
        self.recorded_source = None;
        let old_upload_id = self
            .checkpoint
            .take()
            .map(|c| c.header.upload_id)
            .unwrap_or_default();
        self.restart = Some(Restart {
            reason,
            old_upload_id,
            abort_failure: None,
        });
        self.upload_id = None;
        match abort {
            Some(upload_id) => {
                self.enter(Stage::AbortStale, Some(Operation::Abort { upload_id }), now);
            }
            None => self.start_fresh(now),
        }
    }

    fn list_parts(&self, upload_id: String, marker: Option<u32>) -> Operation {
        Operation::ListParts {
            upload_id,
            marker,
            max_parts: self.config.list_parts_page,
        }
    }

    fn on_parts_page(&mut self, page: Vec<ListedPart>, next: Option<u32>, now: Duration) {
        for part in page {
            let fits = self
                .plan
                .as_ref()
                .and_then(|p| p.part(part.number))
                .is_some_and(|spec| spec.range.len() == part.size);
            self.listed.insert(part.number, fits.then_some(part.etag));
        }
        // Follow the marker only forwards, so a service repeating itself cannot loop us.
        match next {
            Some(marker) if self.list_marker.is_none_or(|m| marker > m) => {
                self.list_marker = Some(marker);
                let op = self.list_parts(self.upload_id.clone().unwrap_or_default(), Some(marker));
                self.enter(Stage::ListParts, Some(op), now);
            }
            _ => self.reconcile(now),
        }
    }

    /// Decides which parts are done from the listing and the journal, then copies the rest.
    fn reconcile(&mut self, now: Duration) {
        if self.recorded_source.take().is_some() {
            // In place, the upload is still there: its Complete never ran, so the object really
            // was replaced since the checkpoint.
            let old = self.checkpoint.as_ref().map(|c| c.header.upload_id.clone());
            return self.restart_with(RestartReason::SourceChanged, old, now);
        }
        let journal = self
            .checkpoint
            .as_ref()
            .map(|c| c.parts.clone())
            .unwrap_or_default();
        let count = self.plan.as_ref().map_or(0, Plan::part_count);
        let mut done = BTreeMap::new();
        for number in 1..=count {
            match (self.listed.get(&number), journal.get(&number)) {
                // The service's listing is the truth about what it holds.
                (Some(Some(listed)), recorded) => {
                    if recorded != Some(listed) {
                        self.queue.push_back(Step::Persist(Record::Part {
                            number,
                            etag: listed.clone(),
                        }));
                    }
                    done.insert(number, listed.clone());
                }
                // Listed with the wrong size: whatever the journal says, copy it again.
                (Some(None), _) => {}
                // Not listed: whatever the journal says, the service does not hold it (COS and
                // OSS list parts consistently), and naming it in Complete would fail the upload
                // for good (InvalidPart). Copy it again.
                (None, _) => {}
            }
        }
        self.listed.clear();
        self.begin_parts(done, now);
    }

    fn grow_window(&mut self) {
        if self.window >= self.config.concurrency {
            return;
        }
        self.window_credit += 1;
        if self.window_credit >= self.window {
            self.window += 1;
            self.window_credit = 0;
        }
    }

    /// Halves the window for a throttled request `id`, unless it was sent before the last cut.
    fn shrink_window(&mut self, id: RequestId) {
        if !self.config.adaptive_window || id.0 < self.window_cut_before {
            return;
        }
        self.window = (self.window / 2).max(1);
        self.window_credit = 0;
        self.window_cut_before = self.next_id;
    }

    fn handle_part(&mut self, id: RequestId, number: u32, result: Result<Reply, Failure>, now: Duration) {
        let Some(index) = number.checked_sub(1).map(|n| n as usize) else {
            return;
        };
        let Some(PartState::InFlight { attempts }) = self.parts.get(index).cloned() else {
            return;
        };
        self.parts_in_flight -= 1;
        self.parts[index] = PartState::Todo;
        let kind = OperationKind::UploadPartCopy(number);
        match result {
            Ok(Reply::PartCopied { etag, .. }) => {
                self.grow_window();
                self.parts[index] = PartState::Done { etag: etag.clone() };
                self.parts_done += 1;
                self.bytes_done += self
                    .plan
                    .as_ref()
                    .and_then(|p| p.part(number))
                    .map_or(0, |p| p.range.len());
                self.queue.push_back(Step::Persist(Record::Part { number, etag }));
            }
            Ok(_) => self.fail(
                JobError::UnexpectedReply {
                    operation: kind,
                    upload: UploadFate::None,
                },
                AbortWish::UnlessResumable,
            ),
            Err(failure) if self.stage == Stage::Drain => {
                // Already failing: the first error stands, but a changed source still means the
                // upload can never be completed correctly.
                if failure.kind == FailureKind::PreconditionFailed {
                    if let Some(failing) = self.failing.as_mut() {
                        failing.abort = AbortWish::Always;
                    }
                }
            }
            Err(failure) if self.may_retry(&failure, attempts) => {
                if failure.kind == FailureKind::Throttled {
                    self.shrink_window(id);
                }
                let delay = self
                    .config
                    .backoff
                    .delay(attempts, failure.retry_after, &mut self.jitter);
                let not_before = now + delay;
                self.parts[index] = PartState::Backoff { attempts, not_before };
                self.backoff.insert((not_before, number));
                self.retries += 1;
            }
            Err(failure) => match failure.kind {
                FailureKind::PreconditionFailed => {
                    let etag = self.source_etag();
                    self.fail(
                        JobError::SourceChanged {
                            etag,
                            upload: UploadFate::None,
                        },
                        AbortWish::Always,
                    );
                }
                FailureKind::NoSuchKey => {
                    // The source was deleted mid-copy: the upload can never be completed.
                    self.fail(
                        JobError::SourceNotFound {
                            failure,
                            upload: UploadFate::None,
                        },
                        AbortWish::Always,
                    );
                }
                FailureKind::NoSuchUpload => {
                    self.upload_id = None;
                    self.fail(
                        JobError::Service {
                            operation: kind,
                            failure,
                            attempts,
                            upload: UploadFate::None,
                        },
                        AbortWish::Never,
                    );
                }
                _ => self.fail(
                    JobError::Service {
                        operation: kind,
                        failure,
                        attempts,
                        upload: UploadFate::None,
                    },
                    AbortWish::UnlessResumable,
                ),
            },
        }
    }

    // ---- records and results ----

    /// The upload exists (even if the job is stopping): remember it and when it began, and record
    /// its header so that a resumable job can continue or abort it.
    fn on_initiated(&mut self, upload_id: String, date: Option<String>) {
        self.upload_id = Some(upload_id);
        self.initiated = date;
        self.persist_header();
    }

    fn source_etag(&self) -> String {
        self.source.as_ref().map(|s| s.etag.clone()).unwrap_or_default()
    }

    fn persist_header(&mut self) {
        let (Some(source), Some(upload_id)) = (&self.source, &self.upload_id) else {
            return;
        };
        let header = Header {
            source: self.spec.source.clone(),
            destination: self.spec.destination.clone(),
            version_id: source.version_id.clone(),
            size: source.size,
            etag: source.etag.clone(),
            last_modified: source.last_modified.clone(),
            upload_id: upload_id.clone(),
            part_size: self.plan.as_ref().and_then(Plan::part_size).unwrap_or(0),
            initiated: self.initiated.clone(),
            crc64: source.crc64,
            options: Some(self.options_fingerprint()),
        };
        self.queue.push_back(Step::Persist(Record::Header(header)));
    }

    fn outcome(&self, etag: String, crc64: Option<u64>) -> Outcome {
        let source = self.source.clone().unwrap_or_default();
        let multipart = matches!(self.plan, Some(Plan::Multipart { .. }));
        Outcome {
            mode: if multipart {
                CopyMode::Multipart
            } else {
                CopyMode::Single
            },
            size: source.size,
            part_size: self.plan.as_ref().and_then(Plan::part_size),
            parts: self.plan.as_ref().map_or(0, Plan::part_count),
            resumed_parts: self.resumed_parts,
            etag,
            upload_id: if multipart { self.upload_id.clone() } else { None },
            crc64,
            source,
            requests: self.requests,
            retries: self.retries,
            restart: self.restart.clone(),
            confirmed: None,
            uncertain_initiates: self.uncertain_initiates,
        }
    }
}

fn unexpected_failure(kind: OperationKind) -> Failure {
    Failure {
        kind: FailureKind::Fatal,
        status: None,
        code: "UnexpectedReply".into(),
        message: format!("the reply does not answer {kind}"),
        request_id: None,
        retry_after: None,
    }
}
