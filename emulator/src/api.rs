//! The operations the emulator serves, named as the services name them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One API operation (the unit of statistics and fault injection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Api {
    /// PUT object.
    PutObject,
    /// HEAD object.
    HeadObject,
    /// GET object (optionally a range).
    GetObject,
    /// DELETE object.
    DeleteObject,
    /// PUT with a copy source.
    CopyObject,
    /// POST `?uploads`.
    InitiateMultipartUpload,
    /// PUT `?partNumber&uploadId`.
    UploadPart,
    /// PUT `?partNumber&uploadId` with a copy source.
    UploadPartCopy,
    /// GET `?uploadId`.
    ListParts,
    /// POST `?uploadId`.
    CompleteMultipartUpload,
    /// DELETE `?uploadId`.
    AbortMultipartUpload,
    /// GET bucket `?uploads`.
    ListMultipartUploads,
    /// GET `?tagging`.
    GetObjectTagging,
    /// HEAD bucket.
    HeadBucket,
    /// GET bucket (list objects).
    ListObjects,
    /// Anything else (answered NotImplemented).
    Other,
}

impl Api {
    /// Every operation, in declaration order.
    pub const ALL: [Api; 16] = [
        Api::PutObject,
        Api::HeadObject,
        Api::GetObject,
        Api::DeleteObject,
        Api::CopyObject,
        Api::InitiateMultipartUpload,
        Api::UploadPart,
        Api::UploadPartCopy,
        Api::ListParts,
        Api::CompleteMultipartUpload,
        Api::AbortMultipartUpload,
        Api::ListMultipartUploads,
        Api::GetObjectTagging,
        Api::HeadBucket,
        Api::ListObjects,
        Api::Other,
    ];

    /// The operation's name, e.g. `UploadPartCopy`.
    pub fn name(self) -> &'static str {
        match self {
            Api::PutObject => "PutObject",
            Api::HeadObject => "HeadObject",
            Api::GetObject => "GetObject",
            Api::DeleteObject => "DeleteObject",
            Api::CopyObject => "CopyObject",
            Api::InitiateMultipartUpload => "InitiateMultipartUpload",
            Api::UploadPart => "UploadPart",
            Api::UploadPartCopy => "UploadPartCopy",
            Api::ListParts => "ListParts",
            Api::CompleteMultipartUpload => "CompleteMultipartUpload",
            Api::AbortMultipartUpload => "AbortMultipartUpload",
            Api::ListMultipartUploads => "ListMultipartUploads",
            Api::GetObjectTagging => "GetObjectTagging",
            Api::HeadBucket => "HeadBucket",
            Api::ListObjects => "ListObjects",
            Api::Other => "Other",
        }
    }

    /// Index into per-operation tables.
    pub fn index(self) -> usize {
        Api::ALL.iter().position(|a| *a == self).unwrap_or(0)
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An operation name the emulator does not know.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown operation {0:?}")]
pub struct UnknownApi(pub String);

impl FromStr for Api {
    type Err = UnknownApi;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Api::ALL
            .iter()
            .copied()
            .find(|a| a.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownApi(s.to_string()))
    }
}
