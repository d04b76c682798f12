//! Shared by the reliability tests (faults, resume, crash, secrets): an emulator started in the test
//! process and the real `partcopy` binary run against it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use partcopy_emulator::{
    Api, Config, Credentials, Emulator, FaultKind, FaultPlan, NthFailure, ObjectSpec, OpFaults, Provider,
};
use serde_json::Value;

pub const MIB: u64 = 1 << 20;
pub const KIB: u64 = 1 << 10;

pub const COS_SRC: &str = "src-1250000000";
pub const COS_DST: &str = "dst-1250000000";
pub const OSS_SRC: &str = "src-oss";
pub const OSS_DST: &str = "dst-oss";

/// An emulator on its own runtime (two worker threads), with a source and a destination bucket per
/// provider.
pub struct World {
    pub emu: Emulator,
    _runtime: tokio::runtime::Runtime,
}

impl World {
    pub fn new() -> World {
        World::with_seed(0x5eed)
    }

    /// An emulator whose fault injection draws from `seed`.
    pub fn with_seed(seed: u64) -> World {
        World::with_config(seed, |_| {})
    }

    /// An emulator whose key pairs are temporary: every request must carry `token`, as with STS
    /// credentials (the tests set `COS_SESSION_TOKEN` / `OSS_SESSION_TOKEN` themselves).
    pub fn with_temporary_keys(token: &str) -> World {
        World::with_config(0x5eed, |config| {
            config.credentials = vec![
                Credentials::new(
                    Provider::Cos,
                    "AKIDTemporaryKeyForTests0123456789",
                    "TmpCosSecret0123456789abcdef",
                )
                .with_session_token(token),
                Credentials::new(
                    Provider::Oss,
                    "STS.TemporaryKeyForTests",
                    "TmpOssSecret0123456789abcdef",
                )
                .with_session_token(token),
            ];
        })
    }

    /// An emulator whose list pages hold at most `keys` keys, whatever a client asks for.
    pub fn with_list_pages_of(keys: u32) -> World {
        World::with_config(0x5eed, |config| {
            config.cos_limits.max_keys_per_page = keys;
            config.oss_limits.max_keys_per_page = keys;
        })
    }

    fn with_config(seed: u64, tweak: impl FnOnce(&mut Config)) -> World {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = Config::default()
            .bucket(Provider::Cos, COS_SRC, "ap-guangzhou")
            .bucket(Provider::Cos, COS_DST, "ap-guangzhou")
            .bucket(Provider::Oss, OSS_SRC, "cn-hangzhou")
            .bucket(Provider::Oss, OSS_DST, "cn-hangzhou");
        config.seed = seed;
        tweak(&mut config);
        let emu = runtime.block_on(Emulator::start(config)).unwrap();
        World {
            emu,
            _runtime: runtime,
        }
    }

    /// `partcopy cp SRC DST --endpoint <emulator> --region R --json --no-progress [args]` with the
    /// provider's credentials in the environment, ready to run or spawn.
    pub fn command(&self, provider: Provider, key: &str, dst_key: &str, args: &[&str]) -> Command {
        self.command_to(provider, key, buckets(provider).1, dst_key, args)
    }

    /// Like [`World::command`], into any bucket of the provider (the source bucket for a copy in
    /// place).
    pub fn command_to(
        &self,
        provider: Provider,
        key: &str,
        dst_bucket: &str,
        dst_key: &str,
        args: &[&str],
    ) -> Command {
        let mut command = self.partcopy(provider, &[]);
        command
            .args([
                "cp",
                &url(provider, buckets(provider).0, key),
                &url(provider, dst_bucket, dst_key),
                "--endpoint",
                &self.emu.endpoint(),
                "--region",
                region(provider),
                "--json",
                "--no-progress",
            ])
            .args(args);
        command
    }

    /// `partcopy <args>` with the provider's credentials in the environment (and nothing else
    /// added): for the subcommands other than `cp`.
    pub fn partcopy(&self, provider: Provider, args: &[&str]) -> Command {
        let keys = self.emu.credentials(provider);
        let (id_var, secret_var) = match provider {
            Provider::Cos => ("COS_SECRET_ID", "COS_SECRET_KEY"),
            Provider::Oss => ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"),
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_partcopy"));
        command
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("COS_SESSION_TOKEN")
            .env_remove("OSS_SESSION_TOKEN")
            .env(id_var, &keys.access_key_id)
            .env(secret_var, &keys.secret);
        command
    }

    /// Creates the source object `key` with generated content.
    pub fn object(&self, provider: Provider, key: &str, size: u64, seed: u64) {
        self.emu
            .create_object(buckets(provider).0, key, ObjectSpec::generated(size, seed))
            .unwrap();
    }

    /// Runs `partcopy cp` from the source bucket's `key` to the destination bucket's `key`.
    pub fn cp(&self, provider: Provider, key: &str, args: &[&str]) -> Output {
        self.command(provider, key, key, args).output().unwrap()
    }

    /// Whether the destination's `key` has the same content as the source's.
    pub fn same(&self, provider: Provider, key: &str) -> bool {
        let (src, dst) = buckets(provider);
        self.emu.same_content((src, key), (dst, key)).unwrap()
    }

    /// Whether the destination bucket holds `key`.
    pub fn exists(&self, provider: Provider, key: &str) -> bool {
        self.emu.object_info(buckets(provider).1, key).is_ok()
    }

    pub fn count(&self, api: Api) -> u64 {
        self.emu.stats().count(api)
    }

    /// Open multipart uploads in the destination bucket.
    pub fn open_uploads(&self, provider: Provider) -> usize {
        let dst = buckets(provider).1;
        self.emu.uploads().iter().filter(|u| u.bucket == dst).count()
    }
}

/// A fault plan applying `faults` to every operation partcopy sends.
pub fn everywhere(faults: OpFaults) -> FaultPlan {
    let mut plan = FaultPlan::default();
    for api in [
        Api::HeadObject,
        Api::GetObjectTagging,
        Api::CopyObject,
        Api::InitiateMultipartUpload,
        Api::UploadPartCopy,
        Api::ListParts,
        Api::CompleteMultipartUpload,
        Api::AbortMultipartUpload,
    ] {
        plan.ops.insert(api, faults.clone());
    }
    plan
}

/// The first request of an operation (e.g. Complete) runs and its answer is lost (the connection
/// closes unanswered); later ones are answered. `fail_nth` counts requests since the last
/// `reset_stats`.
pub fn lose_first_answer() -> OpFaults {
    OpFaults {
        fail_nth: vec![NthFailure {
            n: 1,
            kind: FaultKind::DropResponse,
        }],
        ..OpFaults::default()
    }
}

/// A fault plan for one operation.
pub fn only(api: Api, faults: OpFaults) -> FaultPlan {
    let mut plan = FaultPlan::default();
    plan.ops.insert(api, faults);
    plan
}

/// Every Upload Part - Copy from the `from`th request on answers 500: a copy that stops part-way.
pub fn part_copies_fail_from(from: u64) -> FaultPlan {
    only(
        Api::UploadPartCopy,
        OpFaults {
            fail_nth: (from..from + 200)
                .map(|n| NthFailure {
                    n,
                    kind: FaultKind::InternalError,
                })
                .collect(),
            ..OpFaults::default()
        },
    )
}

pub fn region(provider: Provider) -> &'static str {
    match provider {
        Provider::Cos => "ap-guangzhou",
        Provider::Oss => "cn-hangzhou",
    }
}

pub fn buckets(provider: Provider) -> (&'static str, &'static str) {
    match provider {
        Provider::Cos => (COS_SRC, COS_DST),
        Provider::Oss => (OSS_SRC, OSS_DST),
    }
}

pub fn url(provider: Provider, bucket: &str, key: &str) -> String {
    match provider {
        Provider::Cos => format!("cos://{bucket}/{key}"),
        Provider::Oss => format!("oss://{bucket}/{key}"),
    }
}

/// The provider's smallest part size, as a `--part-size` value.
pub fn min_part(provider: Provider) -> &'static str {
    match provider {
        Provider::Cos => "1MiB",
        Provider::Oss => "100KiB",
    }
}

/// `--threshold` and `--part-size` at the provider's smallest part: multipart from one part up.
pub fn smallest_parts(provider: Provider) -> [&'static str; 4] {
    let part = min_part(provider);
    ["--threshold", part, "--part-size", part]
}

/// The provider's smallest part size in bytes.
pub fn min_part_bytes(provider: Provider) -> u64 {
    match provider {
        Provider::Cos => MIB,
        Provider::Oss => 100 * KIB,
    }
}

/// The JSON summary of a successful run (asserting exit 0), whatever its status.
pub fn succeeded(output: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

/// The JSON summary of a successful run (asserting exit 0) that copied.
pub fn copied(output: &Output) -> Value {
    let summary = succeeded(output);
    assert_eq!(summary["status"], "copied");
    summary
}

/// The stderr of a run that exited with `code` (asserted).
pub fn failed(output: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    stderr
}

/// A fresh, empty directory under the system's temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("partcopy-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// The checkpoint files in the directory (not a run's `.lock`, which a killed run leaves).
    pub fn files(&self) -> Vec<PathBuf> {
        self.all()
            .into_iter()
            .filter(|p| p.extension().is_none_or(|e| e != "lock"))
            .collect()
    }

    /// Every file in the directory.
    pub fn all(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(&self.0) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The one checkpoint file in the directory.
    pub fn journal(&self) -> PathBuf {
        let files = self.files();
        assert_eq!(files.len(), 1, "{files:?}");
        files.into_iter().next().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a verified copy while every HEAD and GET `?tagging` is slowed, and swaps the destination
/// for `replacement` once the copy has written it: the verifying reads see the replacement.
pub fn run_against(
    world: &World,
    provider: Provider,
    key: &str,
    dst_key: &str,
    extra: &[&str],
    replacement: ObjectSpec,
) -> std::process::Output {
    world.emu.set_faults({
        let mut plan = FaultPlan::default();
        // The verifying reads (HEAD and GET ?tagging) must come after the swap.
        for api in [Api::HeadObject, Api::GetObjectTagging] {
            plan.ops.insert(
                api,
                OpFaults {
                    latency_ms: 600,
                    ..OpFaults::default()
                },
            );
        }
        plan
    });
    let args = [&["--verify"][..], extra].concat();
    let child = world
        .command(provider, key, dst_key, &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !world.exists(provider, dst_key) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{provider:?}: never copied"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    world
        .emu
        .create_object(buckets(provider).1, dst_key, replacement)
        .unwrap();
    let output = child.wait_with_output().unwrap();
    world.emu.set_faults(FaultPlan::default());
    output
}
