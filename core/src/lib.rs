//! The sans-IO heart of partcopy: the part planner and the state machines that drive a
//! server-side copy on Tencent Cloud COS or Alibaba Cloud OSS.
//!
//! This crate decides *what* to send and *what it means*; it never sends anything. It has no I/O,
//! no async runtime, no clock, no randomness of its own and no HTTP types: a driver feeds it the
//! current time (a [`std::time::Duration`] since an origin the driver picks) and the outcome of each
//! operation, and performs the [`ops::Operation`]s it asks for. `partcopy-protocol` renders those
//! operations as signed COS/OSS requests; `partcopy-transport-hyper` is one driver.
//!
//! - [`mod@plan`]: how a source of a given size is copied under a provider's [`Limits`].
//! - [`job`]: [`CopyJob`], the state machine for one object's copy.
//! - [`checkpoint`]: the records a resumable job emits and their journal format.
//! - [`confirm`]: whether the destination is the object an upload completed, when Complete's
//!   answer never arrived.
//! - [`retry`]: backoff and seeded jitter.
//! - [`ops`]: the operations and replies shared with `protocol` and the drivers.
//!
//! # Driving a job
//!
//! ```
//! # use std::time::Duration;
//! # use partcopy_core::{CopyJob, JobConfig, JobSpec, Limits, Step};
//! # use partcopy_core::ops::{Reply, SourceInfo};
//! let spec = JobSpec::new("cos://src-125/a", "cos://dst-125/a", Limits::COS);
//! let mut job = CopyJob::new(spec, JobConfig::default())?;
//! let now = Duration::ZERO; // the driver's clock, e.g. time since the driver started
//! // After creating the job, after every `handle` or `cancel`, and when a `Wait`'s deadline
//! // passes: drain `poll` until it returns `Wait` or `Finished`.
//! let mut sent = Vec::new();
//! let until = loop {
//!     match job.poll(now) {
//!         Step::Send { id, op } => sent.push((id, op)), // perform it, concurrently with others
//!         Step::Persist(record) => { /* append checkpoint::encode(&record) to the journal */ }
//!         Step::Wait { until } => break until,        // wait for a reply, or until `until`
//!         Step::Finished(result) => unreachable!("{result:?}"),
//!     }
//! };
//! assert_eq!(until, None);
//! // Feed every outcome back under its id; an unknown or already answered id is ignored.
//! let (id, _head) = sent.pop().unwrap();
//! let info = SourceInfo { size: 0, etag: "\"e\"".into(), ..SourceInfo::default() };
//! job.handle(id, Ok(Reply::Head(Box::new(info))), now);
//! assert!(matches!(job.poll(now), Step::Send { .. })); // a PUT-Copy of the 0-byte object
//! # Ok::<(), partcopy_core::PlanError>(())
//! ```
//!
//! Rules for drivers: append `Persist` records in the order given (a lost part record costs at most
//! a re-copy, as List Parts finds the part on resume, but without its header an upload cannot be
//! resumed at all); treat request ids as opaque; never retry on your own
//! (retry policy is the job's; timeouts are the transport's, reported as
//! [`ops::FailureKind::Transport`]); on Ctrl-C call [`CopyJob::cancel`] and keep driving until
//! `Finished`. `core/examples/by_hand.rs` is a complete driver in 150 lines.
//!
//! Invariants: the same inputs always produce the same outputs; a finished multipart copy names
//! every planned part exactly once, in ascending order, with the ETag the service returned for it;
//! never more than [`JobConfig::concurrency`] part copies are in flight; every range copy is pinned
//! to the source ETag that HEAD returned.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checkpoint;
pub mod confirm;
mod fingerprint;
pub mod job;
pub mod ops;
pub mod plan;
pub mod retry;

pub use checkpoint::{decode_journal, encode, Header, JournalError, Record};
pub use job::{
    CopyJob, CopyMode, JobConfig, JobError, JobSpec, OperationKind, Outcome, Phase, Progress, RequestId,
    Restart, RestartReason, ResumeError, Step, TagsHandling, UploadFate,
};
pub use plan::{plan, Limits, Plan, PlanError, PlanOptions, DEFAULT_PART_SIZE};
