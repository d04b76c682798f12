//! [`HyperTransport`]: the [`Transport`] built on hyper 1's HTTP/1 connections, our pool and rustls.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use tower_service::Service;

use crate::pool::{Endpoint, Pool};
use crate::transport::{error_chain, SendFuture, Transport, TransportError};

/// Settings of a [`HyperTransport`]; start from [`HyperConfig::default`] and change fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HyperConfig {
    /// How long establishing a TCP connection may take. Default 10 s.
    pub connect_timeout: Duration,
    /// How long one whole exchange may take: connecting, sending, the server's work and reading
    /// the body. Default 10 min, because one Upload Part - Copy of a 5 GiB part is a long server-side
    /// operation and the services answer only when it is done.
    pub request_timeout: Duration,
    /// The largest response body accepted, in bytes. Default 16 MiB; partcopy's largest response
    /// (a List Parts page of 1,000 parts) is a few hundred KiB.
    pub max_response_body: usize,
    /// How long an idle pooled connection is kept for reuse. Default 60 s.
    pub pool_idle_timeout: Duration,
    /// How many idle connections are kept per host. Default 64.
    pub pool_max_idle_per_host: usize,
    /// Accept any server certificate. **Only for test endpoints** (a local emulator with a
    /// self-signed certificate): it removes all protection against impersonation, so building a
    /// transport with it logs a warning. Default false.
    pub insecure_skip_verify: bool,
}

impl Default for HyperConfig {
    fn default() -> Self {
        HyperConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(600),
            max_response_body: 16 << 20,
            pool_idle_timeout: Duration::from_secs(60),
            pool_max_idle_per_host: 64,
            insecure_skip_verify: false,
        }
    }
}

/// Why a [`HyperTransport`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// rustls refused the TLS configuration.
    #[error("cannot configure TLS: {0}")]
    Tls(#[from] rustls::Error),
}

/// A pooled, keep-alive HTTP/1.1 client for `http://` and `https://` endpoints.
///
/// HTTPS uses rustls with the ring provider and the system's trust store (read on the first
/// handshake), with certificate checks on (unless [`HyperConfig::insecure_skip_verify`]). Cloning
/// is cheap and shares the pool.
///
/// Connections are made with hyper-rustls' connector (DNS, TCP with `TCP_NODELAY`, TLS) and driven
/// by hyper's HTTP/1 connection API; the pool of idle connections is partcopy's own (see
/// `pool.rs`): one lookup in a short list per request, where hyper-util's general-purpose client
/// hashes its key, clones its connector and spawns a task to take each connection back. A request
/// that finds its pooled connection closed by the server before it was sent is sent again on
/// another connection; one that was sent is never sent twice here (retrying is the job's call).
#[derive(Clone)]
pub struct HyperTransport {
    inner: Arc<Inner>,
}

/// What every clone of a [`HyperTransport`] shares.
struct Inner {
    connector: HttpsConnector<HttpConnector>,
    pool: Pool<SendRequest<Full<Bytes>>>,
    config: HyperConfig,
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// Builds a transport. Must be called within a tokio runtime only when used, not when built.
    ///
    /// The system trust store is read on the first HTTPS handshake, not here. When it is empty or
    /// unreadable, plain HTTP still works and HTTPS requests fail their certificate check with an
    /// error that says so.
    ///
    /// # Errors
    /// [`BuildError::Tls`] when rustls rejects the configuration (not expected with the defaults).
    pub fn new(config: HyperConfig) -> Result<Self, BuildError> {
        let tls = tls_config(config.insecure_skip_verify)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(config.connect_timeout));
        http.set_nodelay(true);
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let pool = Pool::new(config.pool_max_idle_per_host, config.pool_idle_timeout);
        Ok(HyperTransport {
            inner: Arc::new(Inner {
                connector,
                pool,
                config,
            }),
        })
    }

    /// The settings this transport was built with.
    pub fn config(&self) -> &HyperConfig {
        &self.inner.config
    }

    /// Closes the idle pooled connections beyond the `keep` most recently used per endpoint, for a
    /// caller that knows it needs fewer from now on. The CLI calls it once its copy is down to
    /// Complete: the surplus of a wide window then closes while the service works on Complete,
    /// instead of at exit.
    ///
    /// Inside a tokio runtime the connections are closed by a task that first lets the runtime run
    /// the tasks already woken, so a request the caller is about to send is written before the
    /// closing starts; outside one they are closed at once.
    ///
    /// ```
    /// # use partcopy_transport_hyper::{HyperConfig, HyperTransport};
    /// let transport = HyperTransport::new(HyperConfig::default()).unwrap();
    /// transport.close_idle(1); // nothing pooled yet: nothing to close
    /// ```
    pub fn close_idle(&self, keep: usize) {
        let surplus = self.inner.pool.shrink(keep);
        if surplus.is_empty() {
            return;
        }
        tracing::debug!(connections = surplus.len(), keep, "closing idle connections");
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    tokio::task::yield_now().await;
                    // Dropping a connection's sender ends its task, which closes the socket.
                    drop(surplus);
                });
            }
            Err(_) => drop(surplus),
        }
    }
}

impl Transport for HyperTransport {
    fn send(&self, request: http::Request<Bytes>) -> SendFuture {
        let Some(endpoint) = Endpoint::of(request.uri()) else {
            return Box::pin(std::future::ready(Err(TransportError::InvalidRequest {
                reason: "the URI needs an http or https scheme and a host".to_string(),
            })));
        };
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            let after = inner.config.request_timeout;
            match tokio::time::timeout(after, inner.exchange(&endpoint, request)).await {
                Ok(result) => result,
                Err(_) => Err(TransportError::Timeout {
                    authority: endpoint.authority.to_string(),
                    after,
                }),
            }
        })
    }
}

impl Inner {
    /// Sends `request` on a pooled or new connection, reads the whole response, and gives the
    /// connection back to the pool.
    async fn exchange(
        &self,
        endpoint: &Endpoint,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let head = request.method() == http::Method::HEAD;
        let mut request = origin_form(request, endpoint)?;
        loop {
            let (mut sender, reused) = match self.pool.checkout(endpoint, Instant::now()) {
                Some(sender) => (sender, true),
                // Boxed: making a connection is rare, and its state would otherwise sit in every
                // request's future.
                None => (Box::pin(self.connect(endpoint)).await?, false),
            };
            // A pooled connection the server has closed fails here or in `try_send_request` with
            // the request handed back unsent: then the next one (or a new one) takes it. The
            // pool is finite, so this ends.
            if let Err(error) = sender.ready().await {
                if reused {
                    continue;
                }
                return Err(io_error(&error, endpoint));
            }
            let response = match sender.try_send_request(request).await {
                Ok(response) => response,
                Err(mut error) => match error.take_message() {
                    Some(unsent) if reused => {
                        tracing::debug!(authority = %endpoint.authority, "pooled connection closed before the request was sent; using another");
                        request = unsent;
                        continue;
                    }
                    _ => return Err(io_error(error.error(), endpoint)),
                },
            };
            let response = read_body(response, head, endpoint, &self.config).await?;
            // The body is read, so the exchange is over and the connection can carry the next.
            self.pool.checkin(endpoint, sender, Instant::now());
            return Ok(response);
        }
    }

    /// Connects to `endpoint` (TCP, then TLS for `https`) and starts an HTTP/1 connection on it,
    /// driven by a task of its own until the connection closes.
    async fn connect(&self, endpoint: &Endpoint) -> Result<SendRequest<Full<Bytes>>, TransportError> {
        let uri = http::Uri::builder()
            .scheme(if endpoint.https { "https" } else { "http" })
            .authority(endpoint.authority.clone())
            .path_and_query("/")
            .build()
            .map_err(|e| TransportError::InvalidRequest {
                reason: format!("cannot make a URI to connect to {}: {e}", endpoint.authority),
            })?;
        let mut connector = self.connector.clone();
        let stream = async {
            futures_util::future::poll_fn(|cx| connector.poll_ready(cx)).await?;
            connector.call(uri).await
        }
        .await
        .map_err(|error| connect_error(&*error, endpoint, &self.config))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(stream)
            .await
            .map_err(|error| io_error(&error, endpoint))?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %error_chain(&error), "connection ended with an error");
            }
        });
        tracing::trace!(authority = %endpoint.authority, "connected");
        Ok(sender)
    }
}

/// The request as sent on a connection: the URI in origin form (`/path?query`, the endpoint is the
/// connection's) and a `Host` header (the URI's host, and its port unless the scheme's default)
/// when the request has none.
fn origin_form(
    request: http::Request<Bytes>,
    endpoint: &Endpoint,
) -> Result<http::Request<Full<Bytes>>, TransportError> {
    let (mut parts, body) = request.into_parts();
    if !parts.headers.contains_key(http::header::HOST) {
        let default_port = if endpoint.https { 443 } else { 80 };
        let host = match endpoint.authority.port_u16() {
            Some(port) if port != default_port => endpoint.authority.as_str(),
            _ => endpoint.authority.host(),
        };
        let value = http::HeaderValue::from_str(host).map_err(|_| TransportError::InvalidRequest {
            reason: format!("{host:?} cannot be a Host header"),
        })?;
        parts.headers.insert(http::header::HOST, value);
    }
    parts.uri = match parts.uri.path_and_query() {
        Some(path) if !matches!(path.as_str(), "" | "/") => http::Uri::from(path.clone()),
        _ => http::Uri::default(),
    };
    Ok(http::Request::from_parts(parts, Full::new(body)))
}

/// Reads the body of `response` in full (none is expected for a HEAD), within the size bound.
async fn read_body(
    response: http::Response<Incoming>,
    head: bool,
    endpoint: &Endpoint,
    config: &HyperConfig,
) -> Result<http::Response<Bytes>, TransportError> {
    let (parts, body) = response.into_parts();
    tracing::trace!(authority = %endpoint.authority, status = parts.status.as_u16(), "response head");
    let too_large = || TransportError::BodyTooLarge {
        authority: endpoint.authority.to_string(),
        limit: config.max_response_body,
    };
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if !head && declared.is_some_and(|n| n > config.max_response_body as u64) {
        return Err(too_large());
    }
    let body = Limited::new(body, config.max_response_body)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                too_large()
            } else {
                TransportError::Io {
                    authority: endpoint.authority.to_string(),
                    detail: error_chain(&*e),
                }
            }
        })?
        .to_bytes();
    Ok(http::Response::from_parts(parts, body))
}

/// A failure of an established connection (reset, closed early, malformed HTTP).
fn io_error(error: &hyper::Error, endpoint: &Endpoint) -> TransportError {
    TransportError::Io {
        authority: endpoint.authority.to_string(),
        detail: error_chain(error),
    }
}

/// A failure to connect: a timeout when an I/O timeout is among the causes.
fn connect_error(
    error: &(dyn std::error::Error + 'static),
    endpoint: &Endpoint,
    config: &HyperConfig,
) -> TransportError {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return TransportError::ConnectTimeout {
                    authority: endpoint.authority.to_string(),
                    after: config.connect_timeout,
                };
            }
        }
        cause = e.source();
    }
    TransportError::Connect {
        authority: endpoint.authority.to_string(),
        detail: error_chain(error),
    }
}

fn tls_config(insecure_skip_verify: bool) -> Result<ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder =
        ClientConfig::builder_with_provider(Arc::clone(&provider)).with_safe_default_protocol_versions()?;
    let check = if insecure_skip_verify {
        tracing::warn!(
            "TLS CERTIFICATE VERIFICATION IS OFF (insecure_skip_verify): any server can impersonate \
             the endpoint. Use this only against a local test endpoint, never a real cloud."
        );
        CertificateCheck::accept_any(provider)
    } else {
        CertificateCheck::system_roots(provider)
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(check))
        .with_no_client_auth())
}

/// How server certificates are checked; handshake signatures are always checked with the
/// provider's algorithms.
#[derive(Debug)]
struct CertificateCheck {
    provider: Arc<CryptoProvider>,
    /// `None`: any certificate is accepted (`insecure_skip_verify`). Otherwise rustls' standard
    /// (webpki) verification against the system trust store, which is read on the first
    /// certificate to check: a copy between plain-HTTP endpoints never pays for it.
    system_roots: Option<OnceLock<Arc<WebPkiServerVerifier>>>,
}

impl CertificateCheck {
    fn system_roots(provider: Arc<CryptoProvider>) -> Self {
        CertificateCheck {
            provider,
            system_roots: Some(OnceLock::new()),
        }
    }

    fn accept_any(provider: Arc<CryptoProvider>) -> Self {
        CertificateCheck {
            provider,
            system_roots: None,
        }
    }

    /// The webpki verifier over the system's roots, built on first use.
    fn verifier<'a>(
        &self,
        cell: &'a OnceLock<Arc<WebPkiServerVerifier>>,
    ) -> Result<&'a Arc<WebPkiServerVerifier>, rustls::Error> {
        if let Some(verifier) = cell.get() {
            return Ok(verifier);
        }
        let loaded = rustls_native_certs::load_native_certs();
        for error in &loaded.errors {
            tracing::warn!(%error, "cannot read part of the system trust store");
        }
        let mut roots = rustls::RootCertStore::empty();
        let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
        tracing::debug!(added, ignored, "system trust store read");
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&self.provider))
                .build()
                .map_err(|error| {
                    rustls::Error::General(format!(
                        "no usable certificates in the system trust store ({error}); install the \
                         ca-certificates package"
                    ))
                })?;
        Ok(cell.get_or_init(|| verifier))
    }
}

impl ServerCertVerifier for CertificateCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.system_roots {
            None => Ok(ServerCertVerified::assertion()),
            Some(cell) => self.verifier(cell)?.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trust_store_is_read_on_the_first_check_only() {
        let check = CertificateCheck::system_roots(Arc::new(rustls::crypto::ring::default_provider()));
        let cell = check.system_roots.as_ref().unwrap();
        assert!(cell.get().is_none(), "nothing is read when the config is built");
        let name = ServerName::try_from("example.com").unwrap();
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let result = check.verify_server_cert(&garbage, &[], &name, &[], UnixTime::now());
        assert!(result.is_err(), "a malformed certificate is refused");
        // The store was read (or found unusable, which each later check reports again).
        if let Some(verifier) = cell.get() {
            let again = check.verifier(cell).unwrap();
            assert!(Arc::ptr_eq(verifier, again), "read once, then kept");
        }
    }
}
