//! A local server that speaks the COS and OSS object APIs partcopy uses, for tests and the demo.
//!
//! It is not a storage system: objects are virtual (content is a function of a seed and an offset),
//! and copies compose ranges instead of moving bytes, so a 50 GiB object costs a few bytes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
