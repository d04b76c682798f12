//! Alibaba Cloud OSS: the V1 (`OSS ak:signature`) and V4 (`OSS4-HMAC-SHA256`) signatures.

pub mod sign_v1;
pub mod sign_v4;

use std::borrow::Cow;

use crate::encode::{push_encoded, KEY};

use crate::view::RequestView;

/// The signed resource path `/bucket/key`, percent-decoded: the bucket from the host (virtual-host
/// addressing) followed by the decoded path, or the decoded path itself (path-style). A bare
/// `/bucket` gets its trailing `/`, as the SDKs sign it.
pub fn resource_path<'a>(req: &RequestView<'a>) -> Cow<'a, str> {
    let path = req.decoded_path();
    match req.bucket_in_host {
        Some(bucket) => {
            let mut s = String::with_capacity(bucket.len() + path.len() + 2);
            s.push('/');
            s.push_str(bucket);
            if !path.starts_with('/') {
                s.push('/');
            }
            s.push_str(&path);
            Cow::Owned(s)
        }
        None => {
            let segments = path.trim_start_matches('/');
            if !segments.is_empty() && !segments.contains('/') {
                Cow::Owned(format!("/{segments}/"))
            } else {
                path
            }
        }
    }
}

/// Appends [`resource_path`] of `req` to `out`, percent-encoded keeping `/` (OSS V4's canonical URI),
/// without building the decoded path separately when the bucket is in the host.
pub fn push_encoded_resource_path(out: &mut String, req: &RequestView<'_>) {
    match req.bucket_in_host {
        Some(bucket) => {
            let path = req.decoded_path();
            out.push('/');
            push_encoded(out, bucket, KEY);
            if !path.starts_with('/') {
                out.push('/');
            }
            push_encoded(out, &path, KEY);
        }
        None => push_encoded(out, &resource_path(req), KEY),
    }
}

/// Appends [`resource_path`] of `req` to `out` as bytes (OSS V1's resource).
pub fn push_resource_path(out: &mut Vec<u8>, req: &RequestView<'_>) {
    match req.bucket_in_host {
        Some(bucket) => {
            let path = req.decoded_path();
            out.push(b'/');
            out.extend_from_slice(bucket.as_bytes());
            if !path.starts_with('/') {
                out.push(b'/');
            }
            out.extend_from_slice(path.as_bytes());
        }
        None => out.extend_from_slice(resource_path(req).as_bytes()),
    }
}
