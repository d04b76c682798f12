//! OSS signature V1, as pure steps: [`string_to_sign`] → [`signature`] → [`authorization`].
//!
//! StringToSign = `VERB\nContent-MD5\nContent-Type\nDate\n` + CanonicalizedOSSHeaders +
//! CanonicalizedResource, where the headers are every `x-oss-*` header as `name:value\n` (name lower
//! case, sorted) and the resource is `/bucket/key` (not encoded) plus the sub-resource parameters
//! (`?partNumber=1&uploadId=…`, sorted). The signature is base64(HMAC-SHA1(secret, StringToSign)).
//! Matches oss2 (`auth.py`, `ProviderAuth`) and alibabacloud-oss-v2 (`signer/v1.py`).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::percent_decode_str;
use sha1::Sha1;

use super::push_resource_path;
use crate::view::RequestView;

/// Query parameters that are part of the signed resource (the union of both Python SDKs' lists).
pub const SUB_RESOURCES: &[&str] = &[
    "accessPoint",
    "accessPointPolicy",
    "acl",
    "append",
    "asyncFetch",
    "bucketArchiveDirectRead",
    "bucketInfo",
    "callback",
    "callback-var",
    "cloudboxes",
    "cname",
    "comp",
    "continuation-token",
    "cors",
    "delete",
    "encryption",
    "endTime",
    "group",
    "httpsConfig",
    "inventory",
    "inventoryId",
    "lifecycle",
    "link",
    "live",
    "location",
    "logging",
    "metaQuery",
    "objectInfo",
    "objectMeta",
    "partNumber",
    "policy",
    "position",
    "publicAccessBlock",
    "qos",
    "qosInfo",
    "qosRequester",
    "redundancyTransition",
    "referer",
    "regionList",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "requesterQosInfo",
    "requestPayment",
    "resourceGroup",
    "resourcePool",
    "resourcePoolBuckets",
    "resourcePoolInfo",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "security-token",
    "sequential",
    "startTime",
    "stat",
    "status",
    "style",
    "styleName",
    "symlink",
    "tagging",
    "transferAcceleration",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "vod",
    "website",
    "worm",
    "wormExtend",
    "wormId",
    "x-oss-ac-forward-allow",
    "x-oss-ac-source-ip",
    "x-oss-ac-subnet-mask",
    "x-oss-ac-vpc-id",
    "x-oss-access-point-name",
    "x-oss-async-process",
    "x-oss-process",
    "x-oss-redundancy-transition-taskid",
    "x-oss-request-payer",
    "x-oss-target-redundancy-type",
    "x-oss-traffic-limit",
    "x-oss-write-get-object-response",
];

/// Whether query parameter `name` is a signed sub-resource.
pub fn is_sub_resource(name: &str) -> bool {
    SUB_RESOURCES.contains(&name)
}

/// The StringToSign of `req` (bytes: header values need not be UTF-8).
///
/// The date is `x-oss-date` when present, else `Date`.
pub fn string_to_sign(req: &RequestView<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(req.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(req.header("content-md5").unwrap_or_default());
    out.push(b'\n');
    out.extend_from_slice(req.header("content-type").unwrap_or_default());
    out.push(b'\n');
    let date = req
        .header("x-oss-date")
        .filter(|d| !d.is_empty())
        .or_else(|| req.header("date"))
        .unwrap_or_default();
    out.extend_from_slice(date);
    out.push(b'\n');
    let mut oss: Vec<(&str, &[u8])> = req
        .headers
        .iter()
        .filter(|(n, _)| n.as_str().starts_with("x-oss-"))
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    oss.sort_by(|a, b| a.0.cmp(b.0));
    for (n, v) in oss {
        out.extend_from_slice(n.as_bytes());
        out.push(b':');
        out.extend_from_slice(v);
        out.push(b'\n');
    }
    push_resource_path(&mut out, req);
    // Decode values only for the sub-resources.
    let mut subs: Vec<_> = req
        .raw_query_pairs()
        .filter_map(|(k, v)| {
            let k = percent_decode_str(k).decode_utf8_lossy();
            is_sub_resource(&k).then(|| (k, percent_decode_str(v).decode_utf8_lossy()))
        })
        .collect();
    subs.sort();
    for (i, (k, v)) in subs.iter().enumerate() {
        out.push(if i == 0 { b'?' } else { b'&' });
        out.extend_from_slice(k.as_bytes());
        if !v.is_empty() {
            out.push(b'=');
            out.extend_from_slice(v.as_bytes());
        }
    }
    out
}

/// `base64(HMAC-SHA1(secret, string_to_sign))`.
pub fn signature(secret: &str, string_to_sign: &[u8]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(string_to_sign);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `OSS {access_key_id}:{signature}`.
pub fn authorization(access_key_id: &str, signature: &str) -> String {
    let mut s = String::with_capacity(5 + access_key_id.len() + signature.len());
    s.push_str("OSS ");
    s.push_str(access_key_id);
    s.push(':');
    s.push_str(signature);
    s
}

/// Splits `OSS ak:signature` into `(ak, signature)`.
pub fn parse_authorization(value: &str) -> Option<(&str, &str)> {
    let rest = value.strip_prefix("OSS ")?;
    let (ak, sig) = rest.rsplit_once(':')?;
    (!ak.is_empty() && !sig.is_empty()).then_some((ak.trim(), sig.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue};

    #[test]
    fn sub_resource_list_is_sorted_for_readers() {
        let mut sorted = SUB_RESOURCES.to_vec();
        sorted.sort_unstable_by_key(|s| s.to_ascii_lowercase());
        assert_eq!(sorted, SUB_RESOURCES);
    }

    #[test]
    fn string_to_sign_shape() {
        let mut h = HeaderMap::new();
        h.insert("date", HeaderValue::from_static("Fri, 02 Jan 2026 03:04:05 GMT"));
        h.insert("x-oss-meta-b", HeaderValue::from_static("2"));
        h.insert("x-oss-copy-source", HeaderValue::from_static("/src/a%20b"));
        h.insert("content-type", HeaderValue::from_static("text/plain"));
        let v = RequestView {
            method: "PUT",
            path: "/dir/a%20b",
            query: "uploadId=U1&partNumber=2&max-parts=9",
            headers: &h,
            bucket_in_host: Some("dst"),
        };
        let s = String::from_utf8(string_to_sign(&v)).unwrap();
        assert_eq!(
            s,
            "PUT\n\ntext/plain\nFri, 02 Jan 2026 03:04:05 GMT\n\
             x-oss-copy-source:/src/a%20b\nx-oss-meta-b:2\n/dst/dir/a b?partNumber=2&uploadId=U1"
        );
    }

    #[test]
    fn signature_is_base64_hmac_sha1() {
        // RFC 2202 test case 2, base64 of effcdf6ae5eb2fa2d27416d5f184df9c259a7c79.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "7/zfauXrL6LSdBbV8YTfnCWafHk="
        );
        assert_eq!(parse_authorization("OSS ak:sig"), Some(("ak", "sig")));
        assert_eq!(parse_authorization("OSS :sig"), None);
    }
}
