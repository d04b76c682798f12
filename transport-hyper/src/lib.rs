//! Sends partcopy's signed requests over HTTP with hyper and drives copy jobs on tokio.
//!
//! It is not the place for copy logic (that is `partcopy-core`) nor for wire formats (that is
//! `partcopy-protocol`): a small [`Transport`] trait is the seam where another HTTP stack plugs in,
//! and [`HyperTransport`] is the implementation partcopy ships. [`driver::drive`] runs a
//! [`CopyJob`](partcopy_core::job::CopyJob) through a [`Wire`] (operations ↔ HTTP, supplied by the
//! caller) and a transport, persisting checkpoint records to a [`Journal`].
//!
//! ```no_run
//! # async fn copy() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use partcopy_core::job::{CopyJob, JobConfig, JobSpec};
//! use partcopy_core::plan::Limits;
//! use partcopy_protocol::credentials::Credentials;
//! use partcopy_protocol::endpoint::{ObjectAddress, Provider};
//! use partcopy_protocol::sign::Signer;
//! use partcopy_transport_hyper::{drive, CancelSignal, HyperConfig, HyperTransport, NoJournal, ProtocolWire};
//!
//! let source = ObjectAddress::new(Provider::Cos, "ap-guangzhou", "src-1250000000", "big.iso");
//! let destination = ObjectAddress::new(Provider::Cos, "ap-guangzhou", "dst-1250000000", "big.iso");
//! let signer = Signer::cos(Credentials::new("AKID…", "secret…"));
//! let wire = Arc::new(ProtocolWire::new(source, destination, signer));
//! let transport = Arc::new(HyperTransport::new(HyperConfig::default())?);
//! let job = CopyJob::new(JobSpec::new("src", "dst", Limits::COS), JobConfig::default())?;
//! let outcome = drive(job, transport, wire, &mut NoJournal, |p| eprintln!("{}/{} bytes", p.bytes_done, p.bytes_total), CancelSignal::never()).await?;
//! println!("copied: {}", outcome.etag);
//! # Ok(()) }
//! ```
//!
//! Invariants: a transport returns every HTTP response, whatever its status, as a response; only a
//! missing or incomplete answer is a [`TransportError`]. Every request is bounded in time and every
//! response body in size. The driver performs the job's steps in the order the job emits them, and
//! writes each checkpoint record before it performs any later step.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod driver;
mod hyper_transport;
pub mod journal;
mod pool;
mod transport;
mod wire;

pub use driver::{cancel_pair, drive, exchange, CancelSignal, Canceller, DriveError, Wire};
pub use hyper_transport::{BuildError, HyperConfig, HyperTransport};
pub use journal::{FileJournal, Journal, MemoryJournal, NoJournal};
pub use transport::{SendFuture, Transport, TransportError};
pub use wire::ProtocolWire;
