//! Sends partcopy's signed requests over HTTP with hyper and drives copy jobs on tokio.
//!
//! It is not the place for copy logic (that is `partcopy-core`) nor for wire formats (that is
//! `partcopy-protocol`): a small [`Transport`] trait is the seam where another HTTP stack plugs in,
//! and [`HyperTransport`] is the implementation partcopy ships.
//!
//! Invariants: a transport returns every HTTP response, whatever its status, as a response; only a
//! missing or incomplete answer is a [`TransportError`]. Every request is bounded in time and every
//! response body in size.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod hyper_transport;
mod transport;

pub use hyper_transport::{BuildError, HyperConfig, HyperTransport};
pub use transport::{SendFuture, Transport, TransportError};
