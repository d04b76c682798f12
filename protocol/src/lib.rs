//! The wire layer of partcopy: renders `partcopy-core` operations as signed Tencent Cloud COS and
//! Alibaba Cloud OSS HTTP requests (`http::Request<Bytes>`) and parses responses back into core's
//! replies and typed failures.
//!
//! It does not send anything and holds no connection: time is a parameter of signing, and the bytes
//! go out through whatever transport the caller uses.
//!
//! Requests: [`endpoint`] (where a bucket lives, addressing), [`render`] (operations → requests),
//! [`sign`] (adds `Authorization`), built from the pure steps in [`cos::sign`], [`oss::sign_v1`] and
//! [`oss::sign_v4`]. [`verify`] checks received requests' signatures (for the emulator) with the
//! same canonicalization. Invariants: every signature is a pure function of the request and the
//! time passed in; secrets never appear in `Debug` output or errors.
//!
//! Responses: [`response::parse_reply`] turns the answer to a core operation into a
//! [`Reply`](partcopy_core::ops::Reply) or a classified [`Failure`](partcopy_core::ops::Failure);
//! [`documents`] and [`failure`] hold the XML documents of both dialects and the error
//! classification; [`xml`] bounds what the parsers accept (never panicking on any input).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cos;
pub mod credentials;
pub mod documents;
pub mod encode;
pub mod endpoint;
pub mod failure;
pub mod oss;
pub mod provider;
pub mod render;
pub mod response;
pub mod sign;
pub mod timestamp;
pub mod verify;
pub mod view;
pub mod xml;
