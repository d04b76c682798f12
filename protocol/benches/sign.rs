//! Rendering + signing an UploadPartCopy for COS, OSS V1 and OSS V4, against the same request signed
//! by reqsign's COS and OSS signers (`reqsign-tencent-cos`, `reqsign-aliyun-oss`, as OpenDAL uses).
//!
//! Groups: `upload_part_copy/<scheme>/ours_render_sign` (operation → signed request),
//! `.../ours_sign` (sign a ready request) and `.../reqsign_sign` (reqsign signs the same ready
//! request). Run: `cargo bench -p partcopy-protocol --bench sign`.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, Criterion};
use partcopy_core::ops::{ByteRange, Operation};
use partcopy_protocol::credentials::Credentials;
use partcopy_protocol::endpoint::{ObjectAddress, Provider};
use partcopy_protocol::render::{render, Renderer};
use partcopy_protocol::sign::{Scheme, SignTarget, Signer};
use reqsign_core::{Context, SignRequest};

const AK: &str = "AKIDEXAMPLE00000000";
const SK: &str = "SeCrEtExAmPlE/+=0123456789abcdef";

/// Drives a future that never waits (reqsign's signers do no I/O with static credentials).
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = TaskContext::from_waker(Waker::noop());
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("signing future was not ready"),
    }
}

fn op() -> Operation {
    Operation::UploadPartCopy {
        upload_id: "1767323045a1b2c3d4e5f60718293a4b5c6d7e8f".into(),
        part_number: 42,
        range: ByteRange {
            first: 42 * 64 * 1024 * 1024,
            last: 43 * 64 * 1024 * 1024 - 1,
        },
        source_etag: "\"9bb58f26192e4ba00f01e2e7b136bbd8-17\"".into(),
    }
}

fn addresses(provider: Provider) -> (ObjectAddress, ObjectAddress) {
    let (region, src, dst) = match provider {
        Provider::Cos => ("ap-guangzhou", "source-1250000000", "dest-1250000000"),
        Provider::Oss => ("cn-hangzhou", "source-bucket", "dest-bucket"),
    };
    (
        ObjectAddress::new(provider, region, src, "data/2026/01/02/big object (1).bin"),
        ObjectAddress::new(provider, region, dst, "backup/data/2026/01/02/big object (1).bin"),
    )
}

/// The rendered request without the headers a signer adds, as a request head.
fn unsigned_parts(provider: Provider, signer: &Signer) -> http::request::Parts {
    let (src, dst) = addresses(provider);
    let req = render(&op(), &src, &dst, signer, SystemTime::now()).unwrap();
    let (mut parts, _) = req.into_parts();
    for h in ["authorization", "date", "x-oss-date", "x-oss-content-sha256"] {
        parts.headers.remove(h);
    }
    parts
}

fn bench(c: &mut Criterion) {
    let now = SystemTime::now();
    let ctx = Context::new();
    let cases = [
        ("cos", Provider::Cos, Scheme::Cos),
        ("oss_v1", Provider::Oss, Scheme::OssV1),
        ("oss_v4", Provider::Oss, Scheme::OssV4),
    ];
    for (name, provider, scheme) in cases {
        let signer = Signer::new(scheme, Credentials::new(AK, SK));
        let (src, dst) = addresses(provider);
        let operation = op();
        let mut g = c.benchmark_group(format!("upload_part_copy/{name}"));
        // As a copy job renders its requests: with one Renderer for the job's two addresses.
        let renderer = Renderer::new(src.clone(), dst.clone());
        let render_sign = || black_box(renderer.render(black_box(&operation), &signer, now).unwrap());
        if !looped(&format!("{name}/ours_render_sign"), || {
            render_sign();
        }) {
            g.bench_function("ours_render_sign", |b| b.iter(render_sign));
        }
        let parts = unsigned_parts(provider, &signer);
        let bucket = dst.bucket.clone();
        let sign = || {
            let mut req = http::Request::from_parts(parts.clone(), ());
            signer
                .sign(
                    &mut req,
                    SignTarget {
                        bucket_in_host: Some(&bucket),
                        region: "cn-hangzhou",
                    },
                    now,
                )
                .unwrap();
            black_box(req)
        };
        if !looped(&format!("{name}/ours_sign"), || {
            sign();
        }) {
            g.bench_function("ours_sign", |b| b.iter(sign));
        }
        match scheme {
            Scheme::Cos => {
                let rs = reqsign_tencent_cos::RequestSigner::new();
                let cred = reqsign_tencent_cos::Credential {
                    secret_id: AK.into(),
                    secret_key: SK.into(),
                    security_token: None,
                    expires_in: None,
                };
                let sign = || {
                    let mut p = parts.clone();
                    ready(rs.sign_request(&ctx, &mut p, Some(&cred), None)).unwrap();
                    black_box(p)
                };
                if !looped(&format!("{name}/reqsign_sign"), || {
                    sign();
                }) {
                    g.bench_function("reqsign_sign", |b| b.iter(sign));
                }
            }
            _ => {
                let version = if scheme == Scheme::OssV1 {
                    reqsign_aliyun_oss::SigningVersion::V1
                } else {
                    reqsign_aliyun_oss::SigningVersion::V4
                };
                let rs = reqsign_aliyun_oss::RequestSigner::new(&bucket)
                    .with_region("cn-hangzhou")
                    .with_signing_version(version);
                let cred = reqsign_aliyun_oss::Credential {
                    access_key_id: AK.into(),
                    access_key_secret: SK.into(),
                    security_token: None,
                    expires_in: None,
                };
                let sign = || {
                    let mut p = parts.clone();
                    ready(rs.sign_request(&ctx, &mut p, Some(&cred), None)).unwrap();
                    black_box(p)
                };
                if !looped(&format!("{name}/reqsign_sign"), || {
                    sign();
                }) {
                    g.bench_function("reqsign_sign", |b| b.iter(sign));
                }
            }
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = bench
}
/// `PARTCOPY_SIGN_LOOP=<scheme>/<variant>:<iterations>` runs one variant that many times and exits,
/// for counting instructions with `perf stat -e instructions:u`, which (unlike wall time) a busy
/// machine does not disturb. Otherwise the criterion benches run.
fn main() {
    if let Ok(spec) = std::env::var("PARTCOPY_SIGN_LOOP") {
        let (name, n) = spec.split_once(':').expect("<scheme>/<variant>:<n>");
        let n: u64 = n.parse().expect("iterations");
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_millis(1))
            .measurement_time(Duration::from_millis(1))
            .sample_size(10);
        LOOP.with(|l| *l.borrow_mut() = Some((name.to_owned(), n)));
        bench(&mut c);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

thread_local! {
    static LOOP: std::cell::RefCell<Option<(String, u64)>> = const { std::cell::RefCell::new(None) };
}

/// In loop mode, runs `f` the requested number of times if `id` is the requested variant and
/// returns true; otherwise returns false.
fn looped(id: &str, mut f: impl FnMut()) -> bool {
    LOOP.with(|l| match &*l.borrow() {
        Some((name, n)) => {
            if name == id {
                for _ in 0..*n {
                    f();
                }
            }
            true
        }
        None => false,
    })
}
