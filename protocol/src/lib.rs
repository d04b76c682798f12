//! The wire layer of partcopy: renders `partcopy-core` operations as signed Tencent Cloud COS and
//! Alibaba Cloud OSS HTTP requests (`http::Request<Bytes>`) and parses responses back into core's
//! replies and typed failures.
//!
//! It does not send anything and holds no connection: time is a parameter of signing, and the bytes
//! go out through whatever transport the caller uses.
//!
//! Responses: [`response::parse_reply`] turns the answer to a core operation into a
//! [`Reply`](partcopy_core::ops::Reply) or a classified [`Failure`](partcopy_core::ops::Failure);
//! [`documents`] and [`failure`] hold the XML documents of both dialects and the error
//! classification; [`xml`] bounds what the parsers accept (never panicking on any input).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod documents;
pub mod failure;
pub mod provider;
pub mod response;
pub mod xml;
