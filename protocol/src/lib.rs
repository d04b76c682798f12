//! The wire layer of partcopy: renders `partcopy-core` operations as signed Tencent Cloud COS and
//! Alibaba Cloud OSS HTTP requests (`http::Request<Bytes>`) and parses responses back into core's
//! replies and typed failures.
//!
//! It does not send anything and holds no connection: time is a parameter of signing, and the bytes
//! go out through whatever transport the caller uses.
//!
//! Requests: [`endpoint`] says where an object lives (provider, region, bucket, key, a custom
//! endpoint; virtual-host addressing by default, path-style for IP/`localhost` endpoints or on
//! request; a [`customer_key::CustomerKey`] for an object encrypted with the customer's own key,
//! SSE-C). [`render::render`] turns a core [`Operation`](partcopy_core::ops::Operation) into a
//! signed `http::Request<Bytes>`; [`render::head_object`], [`render::get_object`],
//! [`render::put_object`] and [`render::get_object_tagging`] are the plain requests. A
//! [`sign::Signer`] (COS `q-sign-algorithm=sha1`, OSS V1, OSS V4 — the default) adds the
//! `Authorization` header; it is built from the pure steps of [`cos::sign`], [`oss::sign_v1`] and
//! [`oss::sign_v4`] (canonical request → string to sign → signature), each tested on its own.
//! [`verify::verify`] / [`verify::verify_parts`] check the signature of a *received* request with the
//! same canonicalization, for the emulator.
//!
//! Responses: [`response::parse_reply`] turns the answer to a core operation into a
//! [`Reply`](partcopy_core::ops::Reply) or a classified [`Failure`](partcopy_core::ops::Failure);
//! [`documents`] and [`failure`] hold the XML documents of both dialects and the error
//! classification; [`xml`] bounds what the parsers accept (never panicking on any input).
//!
//! Proof: `testdata/vectors/` holds requests made by the vendors' own Python SDKs
//! (cos-python-sdk-v5, oss2, alibabacloud-oss-v2, pinned; regenerate with `cargo xtask vectors`).
//! The tests check that every one of them verifies, that re-signing it reproduces the SDK's
//! `Authorization` (and logged canonical strings) byte for byte, and that rendering the same operation
//! gives the SDK's path, query, signed headers and `Authorization`.
//!
//! Invariants:
//! - Every signature is a pure function of the request, the credentials and the time passed in; no
//!   clock is read here.
//! - Secret keys and session tokens never appear in `Debug` output or errors.
//! - Bad input (empty key, out-of-range part, header-unsafe metadata, a signer for the wrong provider)
//!   is a typed error, never a panic.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod cos;
pub mod credentials;
pub mod customer_key;
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
