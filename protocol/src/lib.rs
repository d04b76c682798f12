//! The wire layer of partcopy: renders `partcopy-core` operations as signed Tencent Cloud COS and
//! Alibaba Cloud OSS HTTP requests (`http::Request<Bytes>`) and parses responses back into core's
//! replies and typed failures.
//!
//! It does not send anything and holds no connection: time is a parameter of signing, and the bytes
//! go out through whatever transport the caller uses.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
