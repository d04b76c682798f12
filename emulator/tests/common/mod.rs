//! A small signed HTTP client for the emulator tests (hyper's client, partcopy-protocol's signer).
#![allow(dead_code)]

use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use partcopy_emulator::{Emulator, Provider};
use partcopy_protocol::credentials::Credentials;
use partcopy_protocol::sign::{OssSignature, SignTarget, Signer};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters kept unescaped in keys.
const KEY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a key for a path or copy source.
pub fn encode(key: &str) -> String {
    utf8_percent_encode(key, KEY).to_string()
}

/// A received response.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The text of the first `<name>` element of the body.
    pub fn xml(&self, name: &str) -> String {
        let text = self.text();
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        text.split_once(&open)
            .and_then(|(_, rest)| rest.split_once(&close))
            .map(|(v, _)| v.to_string())
            .unwrap_or_default()
    }

    /// All `<name>` element texts of the body.
    pub fn xml_all(&self, name: &str) -> Vec<String> {
        let text = self.text();
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        text.split(&open)
            .skip(1)
            .filter_map(|s| s.split_once(&close).map(|(v, _)| v.to_string()))
            .collect()
    }
}

/// How a request is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// With the emulator's key pair for the provider.
    Good,
    /// Unsigned.
    None,
    /// With the right id and a wrong secret.
    WrongSecret,
    /// With an unknown id.
    UnknownKey,
}

/// One request to send.
pub struct Call<'a> {
    pub provider: Provider,
    pub method: Method,
    pub bucket: &'a str,
    pub key: &'a str,
    pub query: &'a str,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub auth: Auth,
    /// Host header to send instead of the endpoint's (virtual-host addressing); the path then omits
    /// the bucket.
    pub virtual_host: Option<String>,
    /// Send the request line in absolute form (`GET http://host/path`).
    pub absolute: bool,
    pub region: &'a str,
}

impl<'a> Call<'a> {
    pub fn new(provider: Provider, method: Method, bucket: &'a str, key: &'a str) -> Self {
        Call {
            provider,
            method,
            bucket,
            key,
            query: "",
            headers: Vec::new(),
            body: Bytes::new(),
            auth: Auth::Good,
            virtual_host: None,
            absolute: false,
            region: "cn-hangzhou",
        }
    }

    pub fn query(mut self, query: &'a str) -> Self {
        self.query = query;
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    pub fn virtual_host(mut self, host: &str) -> Self {
        self.virtual_host = Some(host.to_string());
        self
    }

    pub fn absolute(mut self) -> Self {
        self.absolute = true;
        self
    }

    /// Sends the call; `Err` when the connection failed or was dropped.
    pub async fn send(self, emu: &Emulator) -> Result<Resp, String> {
        let addr = emu.addr();
        let host = self.virtual_host.clone().unwrap_or_else(|| addr.to_string());
        let mut path = if self.virtual_host.is_some() {
            format!("/{}", encode(self.key))
        } else if self.key.is_empty() {
            format!("/{}", self.bucket)
        } else {
            format!("/{}/{}", self.bucket, encode(self.key))
        };
        if !self.query.is_empty() {
            path = format!("{path}?{}", self.query);
        }
        let uri = if self.absolute {
            format!("http://{host}{path}")
        } else {
            path
        };
        let mut req = http::Request::builder()
            .method(self.method.clone())
            .uri(uri)
            .body(Full::new(self.body.clone()))
            .map_err(|e| e.to_string())?;
        req.headers_mut()
            .insert("host", HeaderValue::from_str(&host).unwrap());
        for (name, value) in &self.headers {
            req.headers_mut().insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        if self.auth != Auth::None {
            let keys = emu.credentials(self.provider);
            let (id, secret) = match self.auth {
                Auth::Good => (keys.access_key_id.clone(), keys.secret.clone()),
                Auth::WrongSecret => (keys.access_key_id.clone(), "wrong-secret".to_string()),
                _ => ("AKIDnobody".to_string(), keys.secret.clone()),
            };
            let creds = Credentials::new(id, secret);
            let signer = match self.provider {
                Provider::Cos => Signer::cos(creds),
                Provider::Oss => Signer::oss(OssSignature::V4, creds),
            };
            let bucket_in_host = self.virtual_host.as_ref().map(|_| self.bucket);
            signer
                .sign(
                    &mut req,
                    SignTarget {
                        bucket_in_host,
                        region: self.region,
                    },
                    SystemTime::now(),
                )
                .map_err(|e| e.to_string())?;
        }
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Resp {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}
