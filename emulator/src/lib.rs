//! A local server that speaks the COS and OSS object APIs partcopy uses, for tests and the demo.
//!
//! It is not a storage system: objects are virtual (content is a function of a seed and an offset,
//! see [`content`]), and copies compose segment lists instead of moving bytes (see [`segments`]), so
//! a 50 GiB object costs a few bytes of memory and GET generates only the bytes asked for.
//!
//! What it serves (one listener, both dialects, chosen per request from the Host, Authorization
//! scheme and `x-cos-*` / `x-oss-*` headers; path-style or virtual-host addressing; also absolute-form
//! request lines, so it can stand as an HTTP proxy for the real host names): PUT / HEAD / GET (Range)
//! / DELETE object, PUT-Copy, Initiate, Upload Part, Upload Part - Copy, List Parts, Complete, Abort,
//! List Multipart Uploads, GET `?tagging`, HEAD bucket and a minimal list objects — with the
//! services' limits, status codes and error documents. Every request's signature is checked, and a
//! temporary key pair ([`Credentials::with_session_token`]) is accepted only with its token.
//!
//! Invariants: every object's CRC-64 is computed by combining segment CRCs, never by reading bytes;
//! injected faults are decided before an operation runs and leave the state untouched; the emulator
//! holds no secrets beyond the key pairs it was given or generated, and never prints secrets in `Debug`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), partcopy_emulator::StartError> {
//! use partcopy_emulator::{Config, Emulator, ObjectSpec, Provider};
//! let emu = Emulator::start(Config::default().bucket(Provider::Cos, "src-1250000000", "ap-guangzhou")).await?;
//! emu.create_object("src-1250000000", "big", ObjectSpec::generated(50 << 30, 7)).unwrap();
//! println!("{} {:?}", emu.endpoint(), emu.credentials(Provider::Cos));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod api;
pub mod archive;
pub mod auth;
pub mod config;
pub mod content;
pub mod crc64;
mod delay;
pub mod dialect;
pub mod faults;
mod fixtures;
pub mod ops;
pub mod request;
pub mod segments;
mod server;
pub mod sse_c;
pub mod stats;
pub mod store;
pub mod xml;

pub use api::Api;
pub use config::{BucketSpec, Config, Credentials, Limits};
pub use dialect::Provider;
pub use faults::{FaultKind, FaultPlan, NthFailure, OpFaults, Overwrite};
pub use fixtures::{
    FixtureError, ObjectInfo, ObjectSpec, SegmentInfo, UploadInfo, MAX_OBJECT_SIZE, MAX_READ,
};
pub use stats::{DelayStats, Stats, TurnaroundStats};

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::server::Shared;
use crate::store::Store;

/// The emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A listener could not bind.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// A configured bucket is invalid or duplicated.
    #[error("bad bucket {0}")]
    Bucket(#[from] FixtureError),
}

/// A running emulator: its endpoint, keys, and fixture/introspection methods. Stops when dropped.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    admin_addr: Option<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .field("admin_addr", &self.admin_addr)
            .finish_non_exhaustive()
    }
}

/// Generates a key pair for `provider` from `seed`, shaped like the real ones.
fn generated_credentials(provider: Provider, seed: u64) -> Credentials {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = faults::Rng::new(seed ^ (provider as u64 + 1).wrapping_mul(0xA5A5_5A5A_1234_5678));
    let mut text = |n: usize| -> String {
        (0..n)
            .map(|_| ALPHABET[(rng.next_u64() % ALPHABET.len() as u64) as usize] as char)
            .collect()
    };
    let (access_key_id, secret) = match provider {
        Provider::Cos => (format!("AKID{}", text(32)), text(32)),
        Provider::Oss => (format!("LTAI{}", text(20)), text(30)),
    };
    Credentials::new(provider, access_key_id, secret)
}

/// Connections that may wait to be accepted. The standard 128 makes a burst of a few hundred
/// connects (a copy at concurrency 256) lose SYNs and stall a second on the client's retransmit.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds a listener with [`LISTEN_BACKLOG`].
fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    let fail = |source| StartError::Bind { addr, source };
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(fail)?;
    socket.set_reuseaddr(true).map_err(fail)?;
    socket.bind(addr).map_err(fail)?;
    socket.listen(LISTEN_BACKLOG).map_err(fail)
}

impl Emulator {
    /// Starts an emulator: binds `config.listen` (and `config.admin_listen`), creates the configured
    /// buckets and serves on the current tokio runtime.
    ///
    /// # Errors
    /// [`StartError`] when a port cannot be bound or a bucket is invalid.
    pub async fn start(config: Config) -> Result<Emulator, StartError> {
        let mut keys = config.credentials.clone();
        for provider in [Provider::Cos, Provider::Oss] {
            if !keys.iter().any(|k| k.provider == provider) {
                keys.push(generated_credentials(provider, config.seed));
            }
        }
        let listener = bind(config.listen)?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let admin_listener = match config.admin_listen {
            Some(admin) => Some(bind(admin)?),
            None => None,
        };
        let buckets = config.buckets.clone();
        let header_cases = server::header_case_template().await;
        let shared = Arc::new(Shared::new(config, keys, Store::default(), header_cases));
        let mut emulator = Emulator {
            shared: Arc::clone(&shared),
            addr,
            admin_addr: None,
            tasks: vec![tokio::spawn(server::serve(listener, Arc::clone(&shared)))],
        };
        for bucket in buckets {
            emulator.create_bucket(bucket.provider, &bucket.name, &bucket.region)?;
        }
        if let Some(admin_listener) = admin_listener {
            emulator.admin_addr = admin_listener.local_addr().ok();
            let admin = admin::Admin {
                shared,
                endpoint: emulator.endpoint(),
            };
            emulator
                .tasks
                .push(tokio::spawn(admin::serve(admin_listener, Arc::new(admin))));
        }
        Ok(emulator)
    }

    /// The bound address of the object API.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The object API endpoint, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The admin API endpoint, when one was configured.
    pub fn admin_endpoint(&self) -> Option<String> {
        self.admin_addr.map(|a| format!("http://{a}"))
    }

    /// The key pair that signs for `provider`.
    pub fn credentials(&self, provider: Provider) -> &Credentials {
        // Start guarantees one pair per provider.
        self.shared
            .keys
            .iter()
            .find(|k| k.provider == provider)
            .unwrap_or(&self.shared.keys[0])
    }

    /// Stops serving (also done on drop).
    pub fn shutdown(self) {}
}

impl Drop for Emulator {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        // Connections still open fall back to tokio's timer for injected latency.
        self.shared.delays.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropping_the_emulator_stops_the_delay_thread() {
        let emulator = Emulator::start(Config::default()).await.unwrap();
        let shared = Arc::clone(&emulator.shared);
        assert!(shared.delays.running());
        drop(emulator);
        // Joined, not just told to stop: no thread outlives the emulator.
        assert!(!shared.delays.running());
    }
}
