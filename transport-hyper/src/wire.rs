//! [`ProtocolWire`]: the [`Wire`] built on `partcopy-protocol` — what the CLI and most embedders use.

use std::time::SystemTime;

use bytes::Bytes;
use partcopy_core::ops::{Failure, FailureKind, Operation, Reply};
use partcopy_protocol::clock::ServiceClock;
use partcopy_protocol::endpoint::ObjectAddress;
use partcopy_protocol::render::Renderer;
use partcopy_protocol::sign::Signer;

use crate::driver::Wire;

/// Renders, signs and parses one copy job's requests with `partcopy-protocol`.
///
/// It holds the job's fixed source and destination addresses (as a [`Renderer`], which works out
/// what all their requests share once), the signer for their provider, and the service's clock
/// its requests are signed with (see [`exchange`](crate::exchange)).
#[derive(Debug, Clone)]
pub struct ProtocolWire {
    renderer: Renderer,
    signer: Signer,
    clock: ServiceClock,
}

impl ProtocolWire {
    /// A wire for copies from `source` to `destination`, signed by `signer`.
    pub fn new(source: ObjectAddress, destination: ObjectAddress, signer: Signer) -> Self {
        ProtocolWire {
            renderer: Renderer::new(source, destination),
            signer,
            clock: ServiceClock::new(),
        }
    }

    /// The same wire signing with `clock` (for wires that talk to the same service: what one
    /// learns of its time, the others use).
    #[must_use]
    pub fn with_clock(mut self, clock: ServiceClock) -> Self {
        self.clock = clock;
        self
    }

    /// The same wire asking the service, when `on`, not to replace an existing destination
    /// (see [`Renderer::forbid_overwrite`]).
    #[must_use]
    pub fn forbid_overwrite(mut self, on: bool) -> Self {
        self.renderer = self.renderer.forbid_overwrite(on);
        self
    }

    /// The same wire giving the destination a canned ACL (see [`Renderer::acl`]).
    #[must_use]
    pub fn acl(mut self, acl: Option<String>) -> Self {
        self.renderer = self.renderer.acl(acl);
        self
    }

    /// The source address.
    pub fn source(&self) -> &ObjectAddress {
        self.renderer.source()
    }

    /// The destination address.
    pub fn destination(&self) -> &ObjectAddress {
        self.renderer.destination()
    }

    /// The signer.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The service's clock its requests are signed with.
    pub fn service_clock(&self) -> &ServiceClock {
        &self.clock
    }
}

impl Wire for ProtocolWire {
    fn request(&self, op: &Operation, now: SystemTime) -> Result<http::Request<Bytes>, Failure> {
        self.renderer
            .render(op, &self.signer, now)
            .map_err(|error| Failure {
                kind: FailureKind::Fatal,
                status: None,
                code: "InvalidRequest".to_string(),
                message: format!("cannot build the request: {error}"),
                request_id: None,
                retry_after: None,
            })
    }

    fn reply(&self, op: &Operation, response: &http::Response<Bytes>) -> Result<Reply, Failure> {
        let target = match op {
            Operation::HeadSource | Operation::GetSourceTagging => self.source(),
            // HeadDestination and everything that writes.
            _ => self.destination(),
        };
        partcopy_protocol::response::parse_reply(target.provider, op, response)
    }

    fn clock(&self) -> Option<&ServiceClock> {
        Some(&self.clock)
    }
}
