//! The JSON admin API (second port): fixtures and introspection for scripts, documented in the
//! crate README. Loopback use only: `GET /info` returns the key pairs.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::dialect::Provider;
use crate::faults::FaultPlan;
use crate::fixtures::FixtureError;
use crate::request::parse_query;
use crate::segments::Content;
use crate::server::Shared;

/// The admin service's state.
pub(crate) struct Admin {
    pub(crate) shared: Arc<Shared>,
    pub(crate) endpoint: String,
}

#[derive(Deserialize)]
struct NewBucket {
    provider: Provider,
    name: String,
    region: String,
}

#[derive(Deserialize)]
struct NewObject {
    bucket: String,
    key: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    tags: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct ObjectRef {
    bucket: String,
    key: String,
}

#[derive(Deserialize)]
struct SamePair {
    a: ObjectRef,
    b: ObjectRef,
}

type AdminResult = Result<Value, (StatusCode, String)>;

fn bad(e: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, e.to_string())
}

fn fixture(e: FixtureError) -> (StatusCode, String) {
    let status = match e {
        FixtureError::NoSuchBucket(_) | FixtureError::NoSuchKey { .. } => StatusCode::NOT_FOUND,
        FixtureError::BucketExists(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    (status, e.to_string())
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, (StatusCode, String)> {
    serde_json::from_slice(body).map_err(bad)
}

impl Admin {
    fn route(&self, method: &Method, path: &str, query: &str, body: &[u8]) -> AdminResult {
        let shared = &self.shared;
        let params: BTreeMap<String, String> = parse_query(query).into_iter().collect();
        let param = |name: &str| {
            params
                .get(name)
                .cloned()
                .ok_or_else(|| bad(format!("missing query parameter {name}")))
        };
        match (method.clone(), path) {
            (Method::GET, "/info") => {
                let store = shared.store();
                let buckets: Vec<Value> = store
                    .buckets
                    .iter()
                    .map(|(name, b)| json!({"provider": b.provider, "name": name, "region": b.region}))
                    .collect();
                let credentials: Vec<Value> = shared
                    .keys
                    .iter()
                    .map(|k| {
                        json!({
                            "provider": k.provider,
                            "access_key_id": k.access_key_id,
                            "secret": k.secret,
                            "session_token": k.session_token,
                        })
                    })
                    .collect();
                Ok(json!({"endpoint": self.endpoint, "credentials": credentials, "buckets": buckets}))
            }
            (Method::POST, "/buckets") => {
                let b: NewBucket = parse(body)?;
                shared
                    .create_bucket(b.provider, &b.name, &b.region)
                    .map_err(fixture)?;
                Ok(json!({"created": b.name}))
            }
            (Method::POST, "/objects") => {
                let o: NewObject = parse(body)?;
                let info = shared
                    .insert_object(
                        &o.bucket,
                        &o.key,
                        Content::generated(o.seed, o.size),
                        o.headers,
                        o.tags,
                    )
                    .map_err(fixture)?;
                serde_json::to_value(info).map_err(bad)
            }
            (Method::GET, "/object") => {
                let info = shared
                    .object_info(&param("bucket")?, &param("key")?)
                    .map_err(fixture)?;
                serde_json::to_value(info).map_err(bad)
            }
            (Method::POST, "/same-content") => {
                let pair: SamePair = parse(body)?;
                let same = shared
                    .same_content((&pair.a.bucket, &pair.a.key), (&pair.b.bucket, &pair.b.key))
                    .map_err(fixture)?;
                Ok(json!({"same": same}))
            }
            (Method::GET, "/stats") => serde_json::to_value(shared.stats()).map_err(bad),
            (Method::POST, "/stats/reset") => {
                shared.recorder.reset();
                Ok(json!({"reset": true}))
            }
            (Method::GET, "/uploads") => serde_json::to_value(shared.uploads()).map_err(bad),
            (Method::GET, "/faults") => serde_json::to_value(shared.fault_state().plan.clone()).map_err(bad),
            (Method::PUT, "/faults") => {
                let plan: FaultPlan = parse(body)?;
                shared.set_faults(plan);
                Ok(json!({"faults": "set"}))
            }
            (Method::DELETE, "/faults") => {
                shared.set_faults(FaultPlan::default());
                Ok(json!({"faults": "cleared"}))
            }
            _ => Err((StatusCode::NOT_FOUND, format!("no admin route {method} {path}"))),
        }
    }
}

/// Serves the admin API on `listener` until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, admin: Arc<Admin>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let admin = Arc::clone(&admin);
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<Incoming>| {
                let admin = Arc::clone(&admin);
                async move {
                    let (parts, body) = req.into_parts();
                    let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
                    let result = admin.route(
                        &parts.method,
                        parts.uri.path(),
                        parts.uri.query().unwrap_or(""),
                        &body,
                    );
                    let (status, value) = match result {
                        Ok(value) => (StatusCode::OK, value),
                        Err((status, message)) => (status, json!({"error": message})),
                    };
                    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
                    *response.status_mut() = status;
                    response.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
