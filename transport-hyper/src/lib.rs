//! Sends partcopy's signed requests over HTTP with hyper and drives copy jobs on tokio.
//!
//! It is not the place for copy logic (that is `partcopy-core`) nor for wire formats (that is
//! `partcopy-protocol`): a small `Transport` trait is the seam where another HTTP stack plugs in.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
