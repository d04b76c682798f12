//! End to end: the real `partcopy` binary against the emulator (started in-process for each test),
//! every success checked through the emulator's content comparison, not just the exit code.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use partcopy_emulator::{
    Api, Config, Emulator, FaultKind, FaultPlan, NthFailure, ObjectSpec, OpFaults, Overwrite, Provider,
};
use serde_json::Value;

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

const COS_SRC: &str = "src-1250000000";
const COS_DST: &str = "dst-1250000000";
const COS_FAR: &str = "far-1250000000";
const OSS_SRC: &str = "src-oss";
const OSS_DST: &str = "dst-oss";
const OSS_FAR: &str = "far-oss";

/// An emulator on its own runtime, with buckets in two regions per provider.
struct World {
    emu: Emulator,
    _runtime: tokio::runtime::Runtime,
}

impl World {
    fn new() -> World {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let config = Config::default()
            .bucket(Provider::Cos, COS_SRC, "ap-guangzhou")
            .bucket(Provider::Cos, COS_DST, "ap-guangzhou")
            .bucket(Provider::Cos, COS_FAR, "ap-beijing")
            .bucket(Provider::Oss, OSS_SRC, "cn-hangzhou")
            .bucket(Provider::Oss, OSS_DST, "cn-hangzhou")
            .bucket(Provider::Oss, OSS_FAR, "cn-beijing");
        let emu = runtime.block_on(Emulator::start(config)).unwrap();
        World {
            emu,
            _runtime: runtime,
        }
    }

    fn object(&self, bucket: &str, key: &str, spec: ObjectSpec) {
        self.emu.create_object(bucket, key, spec).unwrap();
    }

    /// Runs `partcopy cp SRC DST --endpoint <emulator> [args]` with the provider's credentials.
    fn cp(&self, provider: Provider, src: &str, dst: &str, args: &[&str]) -> Output {
        self.cp_with(provider, src, dst, args, None)
    }

    fn cp_with(
        &self,
        provider: Provider,
        src: &str,
        dst: &str,
        args: &[&str],
        secret: Option<&str>,
    ) -> Output {
        let keys = self.emu.credentials(provider);
        let (id_var, secret_var) = match provider {
            Provider::Cos => ("COS_SECRET_ID", "COS_SECRET_KEY"),
            Provider::Oss => ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"),
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_partcopy"));
        command
            .args([
                "cp",
                src,
                dst,
                "--endpoint",
                &self.emu.endpoint(),
                "--json",
                "--no-progress",
            ])
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("COS_SESSION_TOKEN")
            .env_remove("OSS_SESSION_TOKEN")
            .env(id_var, &keys.access_key_id)
            .env(secret_var, secret.unwrap_or(&keys.secret));
        command.output().unwrap()
    }

    fn same(&self, a: (&str, &str), b: (&str, &str)) -> bool {
        self.emu.same_content(a, b).unwrap()
    }
}

fn region(provider: Provider) -> &'static str {
    match provider {
        Provider::Cos => "ap-guangzhou",
        Provider::Oss => "cn-hangzhou",
    }
}

fn buckets(provider: Provider) -> (&'static str, &'static str) {
    match provider {
        Provider::Cos => (COS_SRC, COS_DST),
        Provider::Oss => (OSS_SRC, OSS_DST),
    }
}

fn url(provider: Provider, bucket: &str, key: &str) -> String {
    match provider {
        Provider::Cos => format!("cos://{bucket}/{key}"),
        Provider::Oss => format!("oss://{bucket}/{key}"),
    }
}

fn meta(provider: Provider, key: &str) -> String {
    match provider {
        Provider::Cos => format!("x-cos-meta-{key}"),
        Provider::Oss => format!("x-oss-meta-{key}"),
    }
}

/// The JSON summary of a successful run (asserting exit 0).
fn copied(output: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    let summary: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    assert_eq!(summary["status"], "copied");
    summary
}

fn failed(output: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    stderr
}

/// Copies an object of `size` bytes and checks mode, parts and content.
fn copy_size(world: &World, provider: Provider, size: u64, extra: &[&str]) -> Value {
    let (src, dst) = buckets(provider);
    let key = format!("size-{size}");
    world.object(src, &key, ObjectSpec::generated(size, size ^ 0x5eed));
    let output = world.cp(
        provider,
        &url(provider, src, &key),
        &url(provider, dst, &key),
        &[&["--region", region(provider)], extra].concat(),
    );
    let summary = copied(&output);
    assert_eq!(summary["size"], size);
    assert!(world.same((src, &key), (dst, &key)), "{provider:?} {size}");
    summary
}

#[test]
fn sizes_around_the_threshold_and_the_edges() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let threshold = match provider {
            Provider::Cos => 5 * GIB,
            Provider::Oss => GIB,
        };
        for (size, mode) in [
            (0, "single"),
            (1, "single"),
            (threshold, "single"),
            (threshold + 1, "multipart"),
        ] {
            let summary = copy_size(&world, provider, size, &[]);
            assert_eq!(summary["mode"], mode, "{provider:?} {size}");
            if mode == "single" {
                // One PUT-Copy has no parts, as it has no part size or upload.
                for field in ["part_size", "parts", "resumed_parts", "upload_id"] {
                    assert!(summary[field].is_null(), "{provider:?} {size}: {field} {summary}");
                }
            } else {
                assert!(
                    summary["parts"].as_u64() > Some(1),
                    "{provider:?} {size}: {summary}"
                );
            }
        }
    }
}

#[test]
fn ten_gib_multipart_on_both_providers() {
    let world = World::new();
    // A little latency per part copy, so that copies overlap even on a busy machine and the
    // concurrency window shows in the emulator's in-flight peak.
    let mut slow = FaultPlan::default();
    slow.ops.insert(
        Api::UploadPartCopy,
        OpFaults {
            latency_ms: 5,
            ..OpFaults::default()
        },
    );
    world.emu.set_faults(slow);
    for provider in [Provider::Cos, Provider::Oss] {
        let summary = copy_size(&world, provider, 10 * GIB, &["-j", "16"]);
        assert_eq!(summary["mode"], "multipart");
        assert_eq!(summary["part_size"], 64 * MIB);
        assert_eq!(summary["parts"], 160);
        assert!(summary["etag"].as_str().unwrap().ends_with("-160\""));
        assert!(world.emu.stats().max_in_flight_of(Api::UploadPartCopy) > 1);
    }
}

#[test]
fn the_part_size_is_raised_past_10000_parts() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        // 10,001 MiB in parts of 1 MiB would be 10,001 parts: raised to 2 MiB, 5,001 parts.
        let summary = copy_size(
            &world,
            provider,
            10_001 * MIB,
            &["--part-size", "1MiB", "-j", "64"],
        );
        assert_eq!(summary["part_size"], 2 * MIB);
        assert_eq!(summary["parts"], 5_001);
    }
}

#[test]
fn awkward_keys_single_and_multipart() {
    let world = World::new();
    let keys = [
        "with space",
        "plus+sign",
        "per%25cent%",
        "what?x=1&y",
        "hash#frag",
        "日本語/ファイル ü",
        "a//b",
        "trailing/",
    ];
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        for key in keys {
            for (size, args) in [
                (1000, &[][..]),
                (3 * MIB + 7, &["--threshold", "1MiB", "--part-size", "1MiB"][..]),
            ] {
                world.object(src, key, ObjectSpec::generated(size, 99));
                let dst_key = format!("copy/{key}");
                let output = world.cp(
                    provider,
                    &url(provider, src, key),
                    &url(provider, dst, &dst_key),
                    &[&["--region", region(provider)], args].concat(),
                );
                let summary = copied(&output);
                assert_eq!(summary["source"], url(provider, src, key));
                assert!(
                    world.same((src, key), (dst, &dst_key)),
                    "{provider:?} {key:?} {size}"
                );
            }
        }
    }
}

/// Tags follow the metadata directive the same way whatever the object's size: kept under Copy,
/// dropped under Replace (a single PUT-Copy says so with the tagging directive, since both services
/// copy tags by default; a multipart copy passes no tags to Initiate).
#[test]
fn single_and_multipart_copies_treat_tags_alike() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        let spec = ObjectSpec::generated(3 * MIB, 21).tag("team", "media");
        world.object(src, "tagged", spec);
        let source_tags = vec![("team".to_string(), "media".to_string())];
        for (mode, sizes) in [
            ("single", &["--threshold", "1GiB"][..]),
            ("multipart", &["--threshold", "1MiB", "--part-size", "1MiB"][..]),
        ] {
            for (directive, expected) in [("copy", source_tags.clone()), ("replace", vec![])] {
                let key = format!("tags-{mode}-{directive}");
                let args = [
                    &["--region", region(provider), "--metadata-directive", directive][..],
                    sizes,
                ]
                .concat();
                let output = world.cp(
                    provider,
                    &url(provider, src, "tagged"),
                    &url(provider, dst, &key),
                    &args,
                );
                assert_eq!(copied(&output)["mode"], mode, "{provider:?} {key}");
                assert!(world.same((src, "tagged"), (dst, key.as_str())));
                let info = world.emu.object_info(dst, &key).unwrap();
                assert_eq!(info.tags, expected, "{provider:?} {key}");
            }
        }
    }
}

#[test]
fn multipart_copies_carry_metadata_and_replace_changes_it() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        let spec = ObjectSpec::generated(5 * MIB, 3)
            .header("content-type", "video/mp4")
            .header("cache-control", "max-age=60")
            .header(&meta(provider, "owner"), "alice")
            .tag("team", "media");
        world.object(src, "meta", spec);
        let multipart = [
            "--region",
            region(provider),
            "--threshold",
            "1MiB",
            "--part-size",
            "1MiB",
        ];
        let output = world.cp(
            provider,
            &url(provider, src, "meta"),
            &url(provider, dst, "kept"),
            &multipart,
        );
        assert_eq!(copied(&output)["mode"], "multipart");
        assert!(world.same((src, "meta"), (dst, "kept")));
        let info = world.emu.object_info(dst, "kept").unwrap();
        assert_eq!(
            info.headers.get("content-type").map(String::as_str),
            Some("video/mp4")
        );
        assert_eq!(
            info.headers.get("cache-control").map(String::as_str),
            Some("max-age=60")
        );
        assert_eq!(
            info.headers.get(&meta(provider, "owner")).map(String::as_str),
            Some("alice")
        );
        assert_eq!(info.tags, vec![("team".to_string(), "media".to_string())]);

        let replace = [
            &multipart[..],
            &[
                "--metadata-directive",
                "replace",
                "--meta",
                "Stage=final",
                "--content-type",
                "text/plain",
                "--verify",
            ],
        ]
        .concat();
        let output = world.cp(
            provider,
            &url(provider, src, "meta"),
            &url(provider, dst, "replaced"),
            &replace,
        );
        copied(&output);
        assert!(world.same((src, "meta"), (dst, "replaced")));
        let info = world.emu.object_info(dst, "replaced").unwrap();
        let user: BTreeMap<_, _> = info
            .headers
            .iter()
            .filter(|(k, _)| k.contains("-meta-"))
            .collect();
        assert_eq!(user.len(), 1, "{user:?}");
        assert_eq!(
            info.headers.get(&meta(provider, "stage")).map(String::as_str),
            Some("final")
        );
        assert_eq!(
            info.headers.get("content-type").map(String::as_str),
            Some("text/plain")
        );

        // A single copy with replace too.
        let output = world.cp(
            provider,
            &url(provider, src, "meta"),
            &url(provider, dst, "replaced-single"),
            &[
                "--region",
                region(provider),
                "--metadata-directive",
                "replace",
                "--meta",
                "a=1",
            ],
        );
        assert_eq!(copied(&output)["mode"], "single");
        let info = world.emu.object_info(dst, "replaced-single").unwrap();
        assert_eq!(
            info.headers.get(&meta(provider, "a")).map(String::as_str),
            Some("1")
        );
        assert!(!info.headers.contains_key(&meta(provider, "owner")));
    }
}

#[test]
fn same_bucket_and_cross_bucket_copies() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        world.object(src, "orig", ObjectSpec::generated(2 * MIB, 5));
        for (bucket, key) in [(src, "same-bucket"), (dst, "other-bucket")] {
            let output = world.cp(
                provider,
                &url(provider, src, "orig"),
                &url(provider, bucket, key),
                &[
                    "--region",
                    region(provider),
                    "--threshold",
                    "1MiB",
                    "--part-size",
                    "1MiB",
                ],
            );
            copied(&output);
            assert!(world.same((src, "orig"), (bucket, key)));
        }
    }
}

#[test]
fn cross_region_cos_succeeds_and_oss_is_refused() {
    let world = World::new();
    world.object(COS_SRC, "far", ObjectSpec::generated(3 * MIB, 8));
    for args in [&[][..], &["--threshold", "1MiB", "--part-size", "1MiB"][..]] {
        let output = world.cp(
            Provider::Cos,
            &url(Provider::Cos, COS_SRC, "far"),
            &url(Provider::Cos, COS_FAR, "far"),
            &[
                &["--src-region", "ap-guangzhou", "--dst-region", "ap-beijing"],
                args,
            ]
            .concat(),
        );
        copied(&output);
        assert!(world.same((COS_SRC, "far"), (COS_FAR, "far")));
    }
    world.object(OSS_SRC, "far", ObjectSpec::generated(3 * MIB, 8));
    world.emu.reset_stats();
    let output = world.cp(
        Provider::Oss,
        &url(Provider::Oss, OSS_SRC, "far"),
        &url(Provider::Oss, OSS_FAR, "far"),
        &["--src-region", "cn-hangzhou", "--dst-region", "cn-beijing"],
    );
    let stderr = failed(&output, 2);
    assert!(
        stderr.contains("OSS copies objects only within one region"),
        "{stderr}"
    );
    assert!(world.emu.object_info(OSS_FAR, "far").is_err());
    assert_eq!(world.emu.stats().count(Api::HeadObject), 0, "nothing was sent");
}

#[test]
fn wrong_secret_and_missing_source_fail_with_the_service_message() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        world.object(src, "k", ObjectSpec::generated(10, 1));
        let output = world.cp_with(
            provider,
            &url(provider, src, "k"),
            &url(provider, dst, "k"),
            &["--region", region(provider)],
            Some("not-the-secret"),
        );
        let stderr = failed(&output, 1);
        assert!(
            stderr.contains("SignatureDoesNotMatch") || stderr.contains("AccessDenied"),
            "{stderr}"
        );
        assert!(stderr.contains("HTTP 403"), "{stderr}");
        assert!(!stderr.contains("not-the-secret"));
        let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["status"], "failed");

        let output = world.cp(
            provider,
            &url(provider, src, "no such key"),
            &url(provider, dst, "k"),
            &["--region", region(provider)],
        );
        let stderr = failed(&output, 1);
        assert!(stderr.contains("not found"), "{stderr}");
        assert!(world.emu.object_info(dst, "k").is_err());
    }
}

#[test]
fn bad_usage_exits_2_without_sending_anything() {
    let world = World::new();
    for args in [
        &["--region", "ap-guangzhou", "--part-size", "512KiB"][..],
        &["--region", "ap-guangzhou", "--threshold", "6GiB"],
        &["--region", "ap-guangzhou", "--meta", "a=1"],
        &["--region", "ap-guangzhou", "--bogus"],
    ] {
        let output = world.cp(
            Provider::Cos,
            "cos://src-1250000000/k",
            "cos://dst-1250000000/k",
            args,
        );
        failed(&output, 2);
    }
    assert_eq!(world.emu.stats().count(Api::HeadObject), 0);
}

#[test]
fn dry_run_prints_the_plan_and_copies_nothing() {
    let world = World::new();
    world.object(COS_SRC, "plan", ObjectSpec::generated(20 * GIB, 1));
    let output = world.cp(
        Provider::Cos,
        "cos://src-1250000000/plan",
        "cos://dst-1250000000/plan",
        &["--region", "ap-guangzhou", "--dry-run"],
    );
    assert_eq!(output.status.code(), Some(0));
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["status"], "planned");
    assert_eq!(plan["mode"], "multipart");
    assert_eq!(plan["parts"], 320);
    assert_eq!(plan["first_range"], "bytes=0-67108863");
    assert_eq!(
        plan["last_range"],
        format!("bytes={}-{}", 20 * GIB - 64 * MIB, 20 * GIB - 1)
    );
    assert!(world.emu.object_info(COS_DST, "plan").is_err());
}

#[test]
fn an_interrupted_copy_resumes_from_the_checkpoint() {
    let world = World::new();
    let dir = std::env::temp_dir().join(format!("partcopy-e2e-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    world.object(OSS_SRC, "resume", ObjectSpec::generated(20 * MIB, 4));
    // Every part copy from the 8th request on fails, so (one part at a time) parts 1-7 are done
    // when a part has used up its attempts; the first run fails and keeps its upload.
    let mut plan = FaultPlan::default();
    plan.ops.insert(
        Api::UploadPartCopy,
        OpFaults {
            fail_nth: (8..=100)
                .map(|n| NthFailure {
                    n,
                    kind: FaultKind::InternalError,
                })
                .collect(),
            ..OpFaults::default()
        },
    );
    world.emu.set_faults(plan);
    let args = [
        "--region",
        "cn-hangzhou",
        "--threshold",
        "1MiB",
        "--part-size",
        "1MiB",
        "-j",
        "1",
        "--checkpoint-dir",
        dir.to_str().unwrap(),
    ];
    let src = url(Provider::Oss, OSS_SRC, "resume");
    let dst = url(Provider::Oss, OSS_DST, "resume");
    let output = world.cp(Provider::Oss, &src, &dst, &args);
    let stderr = failed(&output, 1);
    assert!(stderr.contains("InternalError"), "{stderr}");
    assert!(stderr.contains("resume"), "{stderr}");
    assert_eq!(world.emu.uploads().len(), 1, "the upload is kept");
    world.emu.set_faults(FaultPlan::default());
    let summary = copied(&world.cp(Provider::Oss, &src, &dst, &args));
    assert_eq!(summary["resumed_parts"], 7);
    assert_eq!(summary["parts"], 20);
    assert!(world.same((OSS_SRC, "resume"), (OSS_DST, "resume")));
    assert!(world.emu.uploads().is_empty());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "the checkpoint is removed"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_source_overwritten_mid_copy_fails_clearly_and_leaves_no_upload() {
    let world = World::new();
    world.object(COS_SRC, "moving", ObjectSpec::generated(20 * MIB, 6));
    world.emu.set_faults(FaultPlan {
        overwrite: Some(Overwrite {
            bucket: COS_SRC.to_string(),
            key: "moving".to_string(),
            after_part_copies: 5,
            seed: 77,
        }),
        ..FaultPlan::default()
    });
    let output = world.cp(
        Provider::Cos,
        "cos://src-1250000000/moving",
        "cos://dst-1250000000/moving",
        &[
            "--region",
            "ap-guangzhou",
            "--threshold",
            "1MiB",
            "--part-size",
            "1MiB",
            "-j",
            "2",
        ],
    );
    let stderr = failed(&output, 1);
    assert!(stderr.contains("source changed"), "{stderr}");
    assert!(
        world.emu.object_info(COS_DST, "moving").is_err(),
        "no mixed object"
    );
    assert!(world.emu.uploads().is_empty(), "the upload was aborted");
}

#[test]
fn an_object_over_the_provider_limit_is_refused() {
    let world = World::new();
    world.object(COS_SRC, "huge", ObjectSpec::generated(50_001 * GIB, 1));
    let output = world.cp(
        Provider::Cos,
        "cos://src-1250000000/huge",
        "cos://dst-1250000000/huge",
        &["--region", "ap-guangzhou"],
    );
    let stderr = failed(&output, 1);
    assert!(
        stderr.contains("maximum object size") || stderr.contains("over the"),
        "{stderr}"
    );
    assert_eq!(world.emu.stats().count(Api::InitiateMultipartUpload), 0);
}

#[test]
fn ctrl_c_stops_the_copy_and_the_same_command_resumes_it() {
    let world = World::new();
    let dir = std::env::temp_dir().join(format!("partcopy-e2e-sigint-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    world.object(COS_SRC, "slow", ObjectSpec::generated(40 * MIB, 9));
    let mut slow = FaultPlan::default();
    slow.ops.insert(
        Api::UploadPartCopy,
        OpFaults {
            latency_ms: 100,
            ..OpFaults::default()
        },
    );
    world.emu.set_faults(slow);
    let keys = world.emu.credentials(Provider::Cos);
    let args = [
        "cp",
        "cos://src-1250000000/slow",
        "cos://dst-1250000000/slow",
        "--endpoint",
        &world.emu.endpoint(),
        "--region",
        "ap-guangzhou",
        "--threshold",
        "1MiB",
        "--part-size",
        "1MiB",
        "-j",
        "2",
        "--checkpoint-dir",
        dir.to_str().unwrap(),
        "--json",
        "--no-progress",
    ];
    let child = Command::new(env!("CARGO_BIN_EXE_partcopy"))
        .args(args)
        .env("COS_SECRET_ID", &keys.access_key_id)
        .env("COS_SECRET_KEY", &keys.secret)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while world.emu.stats().count(Api::UploadPartCopy) < 6 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the copy did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = failed(&output, 130);
    assert!(stderr.contains("cancelled"), "{stderr}");
    assert!(
        stderr.contains("run the same command again to resume"),
        "{stderr}"
    );
    assert_eq!(world.emu.uploads().len(), 1, "the upload is kept for the resume");
    assert!(world.emu.object_info(COS_DST, "slow").is_err());

    world.emu.set_faults(FaultPlan::default());
    let output = Command::new(env!("CARGO_BIN_EXE_partcopy"))
        .args(args)
        .env("COS_SECRET_ID", &keys.access_key_id)
        .env("COS_SECRET_KEY", &keys.secret)
        .output()
        .unwrap();
    let summary = copied(&output);
    let resumed = summary["resumed_parts"].as_u64().unwrap();
    assert!((5..40).contains(&resumed), "{summary}");
    assert!(world.same((COS_SRC, "slow"), (COS_DST, "slow")));
    assert!(world.emu.uploads().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn oss_v1_signatures_work_too() {
    let world = World::new();
    world.object(OSS_SRC, "v1", ObjectSpec::generated(3 * MIB, 12));
    for (key, args) in [
        ("v1-single", &[][..]),
        (
            "v1-multipart",
            &["--threshold", "1MiB", "--part-size", "1MiB"][..],
        ),
    ] {
        let output = world.cp(
            Provider::Oss,
            &url(Provider::Oss, OSS_SRC, "v1"),
            &url(Provider::Oss, OSS_DST, key),
            &[
                &["--region", "cn-hangzhou", "--oss-signature", "v1", "--verify"],
                args,
            ]
            .concat(),
        );
        copied(&output);
        assert!(world.same((OSS_SRC, "v1"), (OSS_DST, key)));
    }
}

#[test]
fn verbose_logs_go_to_stderr_and_never_show_secrets() {
    let world = World::new();
    world.object(COS_SRC, "logged", ObjectSpec::generated(3 * MIB, 13));
    let output = world.cp(
        Provider::Cos,
        "cos://src-1250000000/logged",
        "cos://dst-1250000000/logged",
        &[
            "--region",
            "ap-guangzhou",
            "--threshold",
            "1MiB",
            "--part-size",
            "1MiB",
            "-vvv",
        ],
    );
    copied(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Upload Part - Copy"), "{stderr}");
    let secret = &world.emu.credentials(Provider::Cos).secret;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stderr.contains(secret.as_str()) && !stdout.contains(secret.as_str()));
    assert!(
        !stderr.contains("q-signature"),
        "no Authorization header in the logs"
    );
}

#[test]
fn the_storage_class_is_set_on_multipart_copies() {
    let world = World::new();
    for (provider, class) in [(Provider::Cos, "STANDARD_IA"), (Provider::Oss, "IA")] {
        let (src, dst) = buckets(provider);
        world.object(src, "classy", ObjectSpec::generated(3 * MIB, 14));
        // Multipart only: the emulator keeps the source's headers on a PUT-Copy with the Copy
        // directive and ignores `x-*-storage-class` there (the real services apply it).
        let output = world.cp(
            provider,
            &url(provider, src, "classy"),
            &url(provider, dst, "multipart"),
            &[
                "--region",
                region(provider),
                "--storage-class",
                class,
                "--threshold",
                "1MiB",
                "--part-size",
                "1MiB",
            ],
        );
        copied(&output);
        assert!(world.same((src, "classy"), (dst, "multipart")));
        let header = match provider {
            Provider::Cos => "x-cos-storage-class",
            Provider::Oss => "x-oss-storage-class",
        };
        let info = world.emu.object_info(dst, "multipart").unwrap();
        assert_eq!(
            info.headers.get(header).map(String::as_str),
            Some(class),
            "{provider:?}: {:?}",
            info.headers
        );
    }
}

#[test]
fn faults_are_retried_through_the_real_stack() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        world.object(src, "faulty", ObjectSpec::generated(48 * MIB + 3, 15));
        let mut plan = FaultPlan::default();
        // Roughly one part copy in eight fails: 500, 503 SlowDown, a dropped connection, or a
        // 200 whose body is an <Error>.
        plan.ops.insert(
            Api::UploadPartCopy,
            OpFaults {
                internal_error: 0.03,
                slow_down: 0.03,
                drop_connection: 0.03,
                error_200: 0.03,
                fail_nth: vec![NthFailure {
                    n: 1,
                    kind: FaultKind::DropConnection,
                }],
                ..OpFaults::default()
            },
        );
        // The first Complete answers 200 with an error document; the retry succeeds.
        plan.ops.insert(
            Api::CompleteMultipartUpload,
            OpFaults {
                fail_nth: vec![NthFailure {
                    n: 1,
                    kind: FaultKind::Error200,
                }],
                ..OpFaults::default()
            },
        );
        world.emu.set_faults(plan);
        world.emu.reset_stats();
        let output = world.cp(
            provider,
            &url(provider, src, "faulty"),
            &url(provider, dst, "faulty"),
            &[
                "--region",
                region(provider),
                "--threshold",
                "1MiB",
                "--part-size",
                "1MiB",
                "-j",
                "8",
            ],
        );
        let summary = copied(&output);
        assert_eq!(summary["parts"], 49);
        assert!(summary["retries"].as_u64().unwrap() >= 2, "{summary}");
        assert!(world.same((src, "faulty"), (dst, "faulty")));
        assert_eq!(world.emu.stats().count(Api::CompleteMultipartUpload), 2);
        world.emu.set_faults(FaultPlan::default());
    }
}
