//! How an emulator is set up: its buckets, keys, per-provider limits and fault seed.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use crate::dialect::Provider;

/// A bucket to create at start: provider, name (COS names carry the `-appid` suffix) and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSpec {
    /// Which service the bucket belongs to.
    pub provider: Provider,
    /// Bucket name, e.g. `demo-1250000000` (COS) or `demo` (OSS).
    pub name: String,
    /// Region, e.g. `ap-guangzhou` or `cn-hangzhou`.
    pub region: String,
}

/// A `--bucket` value that is not `provider:name:region`.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum BucketSpecError {
    /// Not three colon-separated fields.
    #[error("bucket spec {0:?} is not provider:name:region")]
    Shape(String),
    /// Unknown provider.
    #[error(transparent)]
    Provider(#[from] crate::dialect::UnknownProvider),
}

impl FromStr for BucketSpec {
    type Err = BucketSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fields: Vec<&str> = s.split(':').collect();
        match fields.as_slice() {
            [provider, name, region] if !name.is_empty() && !region.is_empty() => Ok(BucketSpec {
                provider: provider.parse()?,
                name: (*name).to_string(),
                region: (*region).to_string(),
            }),
            _ => Err(BucketSpecError::Shape(s.to_string())),
        }
    }
}

/// An access key pair for one provider, and for a temporary (STS) pair its session token. The
/// secret and the token never appear in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The provider these keys sign for.
    pub provider: Provider,
    /// Access key id (COS SecretId / OSS AccessKeyId).
    pub access_key_id: String,
    /// Secret key (COS SecretKey / OSS AccessKeySecret).
    pub secret: String,
    /// For a temporary key pair: the session token every request it signs must carry
    /// (`x-cos-security-token` / `x-oss-security-token`), as with STS credentials. `None` for a
    /// permanent pair, whose requests are not checked for a token.
    pub session_token: Option<String>,
}

impl Credentials {
    /// A permanent key pair.
    pub fn new(provider: Provider, access_key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Credentials {
            provider,
            access_key_id: access_key_id.into(),
            secret: secret.into(),
            session_token: None,
        }
    }

    /// The same pair, made temporary: valid only with `token`.
    #[must_use]
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(token.into());
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("provider", &self.provider)
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The service limits the emulator enforces for one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest source a single PUT-Copy accepts.
    pub max_copy_size: u64,
    /// Smallest part allowed at Complete (except the last part).
    pub min_part_size: u64,
    /// Largest part (Upload Part or Upload Part - Copy range).
    pub max_part_size: u64,
    /// Highest part number.
    pub max_parts: u32,
    /// Whether a copy may read a bucket in another region.
    pub cross_region_copy: bool,
    /// Most keys one List Objects page holds, whatever `max-keys` asks: 1,000, as the services
    /// cap it. Lower it to test a client's paging with few objects (a service may return fewer
    /// keys than asked; a client must go on from the marker).
    pub max_keys_per_page: u32,
}

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

impl Limits {
    /// The defaults of a provider: COS 5 GiB single copy, 1 MiB minimum part, cross-region allowed;
    /// OSS 1 GiB single copy, 100 KiB minimum part, same region only. Both: 5 GiB parts, 10,000 parts,
    /// 1,000 keys per List Objects page.
    pub fn for_provider(provider: Provider) -> Limits {
        match provider {
            Provider::Cos => Limits {
                max_copy_size: 5 * GIB,
                min_part_size: MIB,
                max_part_size: 5 * GIB,
                max_parts: 10_000,
                cross_region_copy: true,
                max_keys_per_page: 1000,
            },
            Provider::Oss => Limits {
                max_copy_size: GIB,
                min_part_size: 100 * 1024,
                max_part_size: 5 * GIB,
                max_parts: 10_000,
                cross_region_copy: false,
                max_keys_per_page: 1000,
            },
        }
    }
}

/// Everything [`Emulator::start`](crate::Emulator::start) needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address of the S3-style API; port 0 picks a free one. Default `127.0.0.1:0`.
    pub listen: SocketAddr,
    /// Address of the JSON admin API, if wanted.
    pub admin_listen: Option<SocketAddr>,
    /// Buckets created at start.
    pub buckets: Vec<BucketSpec>,
    /// Key pairs; a provider without one gets a generated pair.
    pub credentials: Vec<Credentials>,
    /// COS limits.
    pub cos_limits: Limits,
    /// OSS limits.
    pub oss_limits: Limits,
    /// Seed of the fault-injection random numbers (and of generated keys).
    pub seed: u64,
    /// Whether requests must carry a valid signature (default true).
    pub verify_signatures: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_listen: None,
            buckets: Vec::new(),
            credentials: Vec::new(),
            cos_limits: Limits::for_provider(Provider::Cos),
            oss_limits: Limits::for_provider(Provider::Oss),
            seed: 0x0005_eed0,
            verify_signatures: true,
        }
    }
}

impl Config {
    /// Adds a bucket (builder style).
    pub fn bucket(mut self, provider: Provider, name: &str, region: &str) -> Self {
        self.buckets.push(BucketSpec {
            provider,
            name: name.to_string(),
            region: region.to_string(),
        });
        self
    }

    /// The limits of `provider`.
    pub fn limits(&self, provider: Provider) -> Limits {
        match provider {
            Provider::Cos => self.cos_limits,
            Provider::Oss => self.oss_limits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_specs_parse() {
        let spec: BucketSpec = "cos:demo-1250000000:ap-guangzhou".parse().unwrap();
        assert_eq!(spec.provider, Provider::Cos);
        assert_eq!(spec.name, "demo-1250000000");
        assert!("ftp:a:b".parse::<BucketSpec>().is_err());
        assert!("cos:a".parse::<BucketSpec>().is_err());
    }

    #[test]
    fn secrets_are_redacted() {
        let c = Credentials::new(Provider::Oss, "id", "hunter2").with_session_token("tok3n");
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("tok3n"), "{shown}");
    }
}
