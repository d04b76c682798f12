//! Plugging another HTTP stack into partcopy: a bare-bones HTTP/1.1 transport written on a tokio
//! `TcpStream` (one connection per request, plain HTTP only), driving a real multipart copy against
//! the emulator started in-process.
//!
//! ```text
//! cargo run -p partcopy-transport-hyper --example custom_transport
//! ```
//!
//! Everything above the [`Transport`] trait — the job, the driver, rendering and signing — is
//! unchanged; only `send` is ours.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use partcopy_core::job::{CopyJob, JobConfig, JobSpec};
use partcopy_core::plan::{Limits, PlanOptions};
use partcopy_emulator::{Config, Emulator, ObjectSpec, Provider as EmuProvider};
use partcopy_protocol::credentials::Credentials;
use partcopy_protocol::endpoint::{Endpoint, ObjectAddress, Provider};
use partcopy_protocol::sign::Signer;
use partcopy_transport_hyper::{
    drive, CancelSignal, NoJournal, ProtocolWire, SendFuture, Transport, TransportError,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One TCP connection per request, `Connection: close`, the response read to the end.
struct PlainTcpTransport {
    timeout: Duration,
}

impl Transport for PlainTcpTransport {
    fn send(&self, request: http::Request<Bytes>) -> SendFuture {
        let timeout = self.timeout;
        Box::pin(async move {
            let authority = request
                .uri()
                .authority()
                .map(|a| a.to_string())
                .unwrap_or_default();
            match tokio::time::timeout(timeout, exchange(request, &authority)).await {
                Ok(result) => result,
                Err(_) => Err(TransportError::Timeout {
                    authority,
                    after: timeout,
                }),
            }
        })
    }
}

async fn exchange(
    request: http::Request<Bytes>,
    authority: &str,
) -> Result<http::Response<Bytes>, TransportError> {
    if request.uri().scheme_str() != Some("http") {
        return Err(TransportError::InvalidRequest {
            reason: "this transport speaks plain http only".into(),
        });
    }
    let io = |e: std::io::Error| TransportError::Io {
        authority: authority.into(),
        detail: e.to_string(),
    };
    let mut stream = TcpStream::connect(authority)
        .await
        .map_err(|e| TransportError::Connect {
            authority: authority.into(),
            detail: e.to_string(),
        })?;
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut head = format!("{} {target} HTTP/1.1\r\n", request.method());
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap_or_default()));
    }
    if !request.headers().contains_key(http::header::HOST) {
        head.push_str(&format!("host: {authority}\r\n"));
    }
    if !request.headers().contains_key(http::header::CONTENT_LENGTH) {
        head.push_str(&format!("content-length: {}\r\n", request.body().len()));
    }
    head.push_str("connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.map_err(io)?;
    stream.write_all(request.body()).await.map_err(io)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.map_err(io)?;
    parse_response(&raw, request.method() == http::Method::HEAD).ok_or_else(|| TransportError::Io {
        authority: authority.into(),
        detail: "malformed response".into(),
    })
}

/// Parses a whole HTTP/1.1 response (`Content-Length`, chunked, or delimited by the close).
fn parse_response(raw: &[u8], head_only: bool) -> Option<http::Response<Bytes>> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut response = http::Response::builder().status(status);
    let mut chunked = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        chunked |= name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked");
        response = response.header(name.trim(), value.trim());
    }
    let mut body = Vec::new();
    if head_only {
    } else if chunked {
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n")?;
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..end]).ok()?.trim(), 16).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(rest.get(end + 2..end + 2 + size)?);
            rest = rest.get(end + 4 + size..)?;
        }
    } else {
        body.extend_from_slice(rest);
    }
    response.body(Bytes::from(body)).ok()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A local COS with a 3 GiB virtual object (no memory: content is generated from a seed).
    let config = Config::default()
        .bucket(EmuProvider::Cos, "src-1250000000", "ap-guangzhou")
        .bucket(EmuProvider::Cos, "dst-1250000000", "ap-guangzhou");
    let emulator = Emulator::start(config).await?;
    emulator.create_object("src-1250000000", "big.bin", ObjectSpec::generated(3 << 30, 42))?;
    let keys = emulator.credentials(EmuProvider::Cos);

    let endpoint = Endpoint::parse(&emulator.endpoint())?;
    let source = ObjectAddress::new(Provider::Cos, "ap-guangzhou", "src-1250000000", "big.bin")
        .with_endpoint(endpoint.clone());
    let destination = ObjectAddress::new(Provider::Cos, "ap-guangzhou", "dst-1250000000", "copy.bin")
        .with_endpoint(endpoint);
    let signer = Signer::cos(Credentials::new(&keys.access_key_id, &keys.secret));
    let wire = Arc::new(ProtocolWire::new(source, destination, signer));

    let mut spec = JobSpec::new(
        "cos://src-1250000000/big.bin",
        "cos://dst-1250000000/copy.bin",
        Limits::COS,
    );
    spec.plan = PlanOptions {
        part_size: Some(256 << 20),
        threshold: Some(1 << 30),
    };
    let job = CopyJob::new(
        spec,
        JobConfig {
            concurrency: 8,
            ..JobConfig::default()
        },
    )?;

    let transport = Arc::new(PlainTcpTransport {
        timeout: Duration::from_secs(30),
    });
    let outcome = drive(
        job,
        transport,
        wire,
        &mut NoJournal,
        |_| {},
        CancelSignal::never(),
    )
    .await?;
    println!(
        "copied {} bytes in {} parts over a hand-written transport: ETag {}, {} requests",
        outcome.size, outcome.parts, outcome.etag, outcome.requests
    );
    let same = emulator.same_content(("src-1250000000", "big.bin"), ("dst-1250000000", "copy.bin"))?;
    println!("the emulator says the copy is identical: {same}");
    assert!(same);
    Ok(())
}
