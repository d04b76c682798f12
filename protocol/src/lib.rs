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
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cos;
pub mod credentials;
pub mod encode;
pub mod endpoint;
pub mod oss;
pub mod render;
pub mod sign;
pub mod timestamp;
pub mod verify;
pub mod view;
