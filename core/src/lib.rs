//! The sans-IO heart of partcopy: the part planner and the state machines that drive a
//! server-side copy on Tencent Cloud COS or Alibaba Cloud OSS.
//!
//! This crate decides *what* to send and *what it means*; it never sends anything. It has no I/O,
//! no async runtime, no clock, no randomness of its own and no HTTP types: a driver feeds it the
//! current time (a [`std::time::Duration`] since an origin the driver picks) and the outcome of each
//! operation, and performs the [`ops::Operation`]s it asks for. `partcopy-protocol` renders those
//! operations as signed COS/OSS requests; `partcopy-transport-hyper` is one driver.
//!
//! Invariants: the same inputs always produce the same outputs; a finished multipart copy names
//! every planned part exactly once, in ascending order, with the ETag the service returned for it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checkpoint;
pub mod job;
pub mod ops;
pub mod plan;
pub mod retry;

pub use checkpoint::{decode_journal, encode, Header, JournalError, Record};
pub use job::{
    CopyJob, CopyMode, JobConfig, JobError, JobSpec, Outcome, Progress, RequestId, ResumeError, Step,
    UploadFate,
};
pub use plan::{plan, Limits, Plan, PlanError, PlanOptions, DEFAULT_PART_SIZE};
