//! `HyperTransport` against tiny servers on 127.0.0.1: a hyper server and a raw TCP one.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use partcopy_transport_hyper::{HyperConfig, HyperTransport, Transport, TransportError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Starts a hyper server; returns its address and a counter of accepted connections.
async fn hyper_server() -> (SocketAddr, Arc<AtomicUsize>) {
    hyper_server_with(true).await
}

/// [`hyper_server`], with keep-alive on or off (off: every response says `Connection: close`).
async fn hyper_server_with(keep_alive: bool) -> (SocketAddr, Arc<AtomicUsize>) {
    let (addr, accepted, _) = counting_server(keep_alive).await;
    (addr, accepted)
}

/// A hyper server; returns its address and counters of accepted and of ended connections.
async fn counting_server(keep_alive: bool) -> (SocketAddr, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (accepted, ended) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (accepts, ends) = (Arc::clone(&accepted), Arc::clone(&ended));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            accepts.fetch_add(1, Ordering::SeqCst);
            let ends = Arc::clone(&ends);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(keep_alive)
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .await;
                ends.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    (addr, accepted, ended)
}

async fn handle(request: http::Request<Incoming>) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_string();
    let reply = |status: u16, body: Vec<u8>| {
        Ok(http::Response::builder()
            .status(status)
            .header("x-reply", "yes")
            .body(Full::new(Bytes::from(body)))
            .unwrap())
    };
    match path.as_str() {
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            reply(200, b"late".to_vec())
        }
        "/big" => reply(200, vec![b'x'; 2048]),
        "/host" => {
            let host = request.headers().get("host").map(|v| v.as_bytes().to_vec());
            reply(200, host.unwrap_or_else(|| b"(none)".to_vec()))
        }
        "/missing" => reply(404, b"<Error><Code>NoSuchKey</Code></Error>".to_vec()),
        _ => {
            let method = request.method().to_string();
            let uri = request.uri().to_string();
            let header = request
                .headers()
                .get("x-test")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            let body = request.into_body().collect().await.unwrap().to_bytes();
            let text = format!("{method} {uri} {header} {}", String::from_utf8_lossy(&body));
            reply(200, text.into_bytes())
        }
    }
}

/// Reads from `stream` until the end of a request head (or of the stream).
async fn read_head(stream: &mut tokio::net::TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
}

/// Starts a server that reads one request head, writes `raw` verbatim and closes the connection.
async fn raw_server(raw: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            read_head(&mut stream).await;
            let _ = stream.write_all(raw).await;
            let _ = stream.shutdown().await;
        }
    });
    addr
}

fn get(url: String) -> http::Request<Bytes> {
    http::Request::get(url).body(Bytes::new()).unwrap()
}

fn transport(tweak: impl FnOnce(&mut HyperConfig)) -> HyperTransport {
    let mut config = HyperConfig::default();
    tweak(&mut config);
    HyperTransport::new(config).unwrap()
}

#[tokio::test]
async fn sends_method_uri_headers_and_body_and_returns_the_whole_response() {
    let (addr, _) = hyper_server().await;
    let request = http::Request::put(format!("http://{addr}/a%20b/c?uploads&x=1"))
        .header("x-test", "hello")
        .body(Bytes::from_static(b"payload"))
        .unwrap();
    let response = transport(|_| {}).send(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-reply"], "yes");
    assert_eq!(
        response.body().as_ref(),
        b"PUT /a%20b/c?uploads&x=1 hello payload"
    );
}

#[tokio::test]
async fn an_error_status_is_a_response_not_a_transport_error() {
    let (addr, _) = hyper_server().await;
    let response = transport(|_| {})
        .send(get(format!("http://{addr}/missing")))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.body().starts_with(b"<Error>"));
}

#[tokio::test]
async fn connections_are_pooled_and_reused() {
    let (addr, connections) = hyper_server().await;
    let t = transport(|_| {});
    for i in 0..5 {
        let response = t.send(get(format!("http://{addr}/n{i}"))).await.unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_host_header_is_added_only_when_the_request_has_none() {
    let (addr, _) = hyper_server().await;
    let t = transport(|_| {});
    let response = t.send(get(format!("http://{addr}/host"))).await.unwrap();
    assert_eq!(
        response.body().as_ref(),
        addr.to_string().as_bytes(),
        "host and port"
    );
    let own = http::Request::get(format!("http://{addr}/host"))
        .header("host", "bucket.example.com")
        .body(Bytes::new())
        .unwrap();
    let response = t.send(own).await.unwrap();
    assert_eq!(response.body().as_ref(), b"bucket.example.com");
}

#[tokio::test]
async fn a_connection_the_server_closes_is_not_reused() {
    let (addr, connections) = hyper_server_with(false).await;
    let t = transport(|_| {});
    for i in 0..3 {
        let response = t.send(get(format!("http://{addr}/n{i}"))).await.unwrap();
        assert_eq!(response.status(), 200, "request {i}");
    }
    assert_eq!(connections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_pooled_connection_closed_by_the_server_while_idle_is_replaced() {
    // Answers one request per connection with a keep-alive response, and closes the connection
    // when the test says so (after the client has pooled it).
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let close = Arc::new(tokio::sync::Notify::new());
    let (closed_tx, mut closed) = tokio::sync::mpsc::unbounded_channel();
    let connections = Arc::new(AtomicUsize::new(0));
    let (server_close, counter) = (Arc::clone(&close), Arc::clone(&connections));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            read_head(&mut stream).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .await;
            server_close.notified().await;
            drop(stream);
            let _ = closed_tx.send(());
        }
    });
    let t = transport(|_| {});
    for i in 0..3 {
        let response = t.send(get(format!("http://{addr}/n{i}"))).await.unwrap();
        assert_eq!(response.body().as_ref(), b"ok", "request {i}");
        close.notify_one();
        closed.recv().await.unwrap();
        // Give the client's connection task time to read the end of the stream.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        3,
        "each request had a fresh connection"
    );
}

/// Sends `count` GETs one after another, pausing `pause` between them, through one transport made
/// with `tweak`; returns how many connections the server accepted.
async fn connections_for(tweak: impl FnOnce(&mut HyperConfig), count: usize, pause: Duration) -> usize {
    let (addr, connections) = hyper_server().await;
    let t = transport(tweak);
    for i in 0..count {
        if i > 0 {
            tokio::time::sleep(pause).await;
        }
        t.send(get(format!("http://{addr}/n{i}"))).await.unwrap();
    }
    connections.load(Ordering::SeqCst)
}

#[tokio::test]
async fn idle_connections_expire_and_the_idle_bound_is_kept() {
    let expiring = |c: &mut HyperConfig| c.pool_idle_timeout = Duration::from_millis(20);
    let pause = Duration::from_millis(200);
    assert_eq!(
        connections_for(expiring, 2, pause).await,
        2,
        "the first connection expired"
    );
    assert_eq!(
        connections_for(|_| {}, 2, pause).await,
        1,
        "kept for 60 s by default"
    );
    let none = |c: &mut HyperConfig| c.pool_max_idle_per_host = 0;
    assert_eq!(
        connections_for(none, 2, Duration::ZERO).await,
        2,
        "no connection is kept"
    );

    // Two requests at once need two connections; with one kept, the later ones reuse it.
    let (addr, connections) = hyper_server().await;
    let t = transport(|c| c.pool_max_idle_per_host = 1);
    let (a, b) = tokio::join!(
        t.send(get(format!("http://{addr}/x"))),
        t.send(get(format!("http://{addr}/x")))
    );
    assert_eq!(
        (a.unwrap().status().as_u16(), b.unwrap().status().as_u16()),
        (200, 200)
    );
    assert_eq!(connections.load(Ordering::SeqCst), 2);
    t.send(get(format!("http://{addr}/c"))).await.unwrap();
    t.send(get(format!("http://{addr}/d"))).await.unwrap();
    assert_eq!(
        connections.load(Ordering::SeqCst),
        2,
        "the kept one serves the rest"
    );
}

#[tokio::test]
async fn close_idle_closes_the_surplus_and_the_kept_connection_carries_on() {
    let (addr, accepted, ended) = counting_server(true).await;
    let t = transport(|_| {});
    let url = |p: &str| format!("http://{addr}/{p}");
    let (a, b, c) = tokio::join!(
        t.send(get(url("a"))),
        t.send(get(url("b"))),
        t.send(get(url("c")))
    );
    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        3,
        "three at once need three connections"
    );

    t.close_idle(1);
    // The next request takes the kept connection while the other two close.
    let d = t.send(get(url("d"))).await.unwrap();
    assert_eq!(d.status().as_u16(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while ended.load(Ordering::SeqCst) < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(ended.load(Ordering::SeqCst), 2, "the surplus was closed");
    t.send(get(url("e"))).await.unwrap();
    assert_eq!(accepted.load(Ordering::SeqCst), 3, "the kept one served the rest");
    assert_eq!(ended.load(Ordering::SeqCst), 2, "and is still open");

    t.close_idle(0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while ended.load(Ordering::SeqCst) < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(ended.load(Ordering::SeqCst), 3, "keep 0 closes the last one");
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let (addr, _) = hyper_server().await;
    let t = transport(|c| c.request_timeout = Duration::from_millis(200));
    let started = std::time::Instant::now();
    let error = t.send(get(format!("http://{addr}/slow"))).await.unwrap_err();
    assert!(matches!(error, TransportError::Timeout { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_body_over_the_bound_is_refused() {
    let (addr, _) = hyper_server().await;
    let t = transport(|c| c.max_response_body = 1024);
    let error = t.send(get(format!("http://{addr}/big"))).await.unwrap_err();
    assert!(
        matches!(error, TransportError::BodyTooLarge { limit: 1024, .. }),
        "{error:?}"
    );
    // A chunked body (no Content-Length) is bounded as it streams.
    let addr = raw_server(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n\
          xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
          xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
          xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
          xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
          xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
          xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
          xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
          xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
          xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
          xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
          xxxxxxxxxxxxxxxxxxxxxxxx\r\n0\r\n\r\n",
    )
    .await;
    let t = transport(|c| c.max_response_body = 512);
    let error = t.send(get(format!("http://{addr}/"))).await.unwrap_err();
    assert!(
        matches!(error, TransportError::BodyTooLarge { limit: 512, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let error = transport(|_| {})
        .send(get(format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Connect { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert!(error.to_string().contains(&addr.to_string()));
}

#[tokio::test]
async fn a_response_cut_short_is_an_io_error() {
    let addr = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a few bytes").await;
    let error = transport(|_| {})
        .send(get(format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Io { .. }), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_response_head_larger_than_the_read_buffer_is_read() {
    // OSS allows 8 KB of user metadata, which a HEAD returns as headers: the response head can be
    // larger than hyper's first 8 KiB read buffer (and must not be cut at any fixed small size).
    let mut raw = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n".to_vec();
    for i in 0..40 {
        raw.extend_from_slice(format!("x-oss-meta-m{i:02}: {}\r\n", "v".repeat(500)).as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    assert!(raw.len() > 20_000);
    let addr = raw_server(raw.leak()).await;
    let request = http::Request::head(format!("http://{addr}/"))
        .body(Bytes::new())
        .unwrap();
    let response = transport(|_| {}).send(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().len(), 41);
    assert_eq!(response.headers()["x-oss-meta-m39"].len(), 500);
}

#[tokio::test]
async fn https_to_a_plain_http_server_fails_the_handshake() {
    let (addr, _) = hyper_server().await;
    let error = transport(|_| {})
        .send(get(format!("https://{addr}/")))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Connect { .. }), "{error:?}");
}

#[tokio::test]
async fn a_uri_without_scheme_or_host_is_invalid() {
    let error = transport(|_| {})
        .send(get("/relative".to_string()))
        .await
        .unwrap_err();
    assert!(
        matches!(error, TransportError::InvalidRequest { .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
}

/// Starts a hyper server over TLS with a self-signed certificate for 127.0.0.1; returns its address
/// and a counter of accepted connections.
async fn tls_server() -> (SocketAddr, Arc<AtomicUsize>) {
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = CertificateDer::from(certified.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service_fn(handle))
                    .await;
            });
        }
    });
    (addr, connections)
}

#[tokio::test]
async fn https_checks_certificates_and_the_test_only_opt_out_skips_the_check() {
    let (addr, connections) = tls_server().await;
    let url = format!("https://{addr}/tls-path");
    // A self-signed certificate is not in the system trust store: refused.
    let error = transport(|_| {}).send(get(url.clone())).await.unwrap_err();
    assert!(matches!(error, TransportError::Connect { .. }), "{error:?}");
    assert!(
        error.to_string().to_lowercase().contains("certificate"),
        "{error}"
    );
    // With the opt-out, the same endpoint answers over TLS, and keeps the connection for the next.
    let t = transport(|c| c.insecure_skip_verify = true);
    for _ in 0..3 {
        let response = t.send(get(url.clone())).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.body().as_ref(), b"GET /tls-path  ");
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        2,
        "one refused handshake, then one connection for three requests"
    );
}
