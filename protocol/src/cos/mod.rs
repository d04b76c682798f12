//! Tencent Cloud COS: the `q-sign-algorithm=sha1` signature.

pub mod sign;
