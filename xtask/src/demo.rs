//! `cargo xtask demo`: partcopy end to end on a laptop, with nothing but cargo.
//!
//! Starts the emulator in-process (COS and OSS buckets on 127.0.0.1), creates a 20 GiB virtual COS
//! object and a 3 GiB virtual OSS object (their content is generated from a seed, so they cost no
//! memory or disk), builds the real `partcopy` binary and runs it to copy each one (multipart,
//! concurrency 16, progress bar on stderr), then a small object (one PUT-Copy), printing each JSON
//! summary; runs the first copy again with `--skip-identical`, which copies nothing; copies a whole
//! prefix of four objects with `cp -r`. Finally it asks the emulator whether every copy is
//! identical to its source.

use crate::paths::{target_dir, workspace_root};
use std::process::{Command, Stdio};
use std::time::Instant;

use partcopy_emulator::{Api, Config, Emulator, FaultPlan, ObjectSpec, OpFaults, Provider};

const GIB: u64 = 1 << 30;

/// One copy the demo makes.
struct Copy {
    provider: Provider,
    region: &'static str,
    source: (&'static str, &'static str),
    destination: (&'static str, &'static str),
    what: &'static str,
}

impl Copy {
    fn url((bucket, key): (&str, &str), provider: Provider) -> String {
        match provider {
            Provider::Cos => format!("cos://{bucket}/{key}"),
            Provider::Oss => format!("oss://{bucket}/{key}"),
        }
    }
}

/// Runs the demo.
pub fn demo() -> Result<(), String> {
    let root = workspace_root();
    eprintln!("$ cargo build -p partcopy");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "-q", "-p", "partcopy"])
        .current_dir(&root)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building partcopy failed with {status}"));
    }
    let binary = target_dir(&root)
        .join("debug")
        .join(format!("partcopy{}", std::env::consts::EXE_SUFFIX));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let config = Config::default()
        .bucket(Provider::Cos, "media-1250000000", "ap-guangzhou")
        .bucket(Provider::Cos, "archive-1250000000", "ap-guangzhou")
        .bucket(Provider::Oss, "backups", "cn-hangzhou")
        .bucket(Provider::Oss, "backups-copy", "cn-hangzhou");
    let emulator = runtime
        .block_on(Emulator::start(config))
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    println!("emulator listening on {}", emulator.endpoint());
    // Like a real service, take a while over each part copy, so the progress bar has something to show.
    let mut pace = FaultPlan::default();
    pace.ops.insert(
        Api::UploadPartCopy,
        OpFaults {
            latency_ms: 150,
            jitter_ms: 100,
            ..OpFaults::default()
        },
    );
    emulator.set_faults(pace);
    println!("(each Upload Part - Copy takes 150-250 ms, as on a real service)");

    let fixtures = [
        (
            "media-1250000000",
            "videos/2026 launch/master.mov",
            ObjectSpec::generated(20 * GIB, 20)
                .header("content-type", "video/quicktime")
                .header("x-cos-meta-project", "launch")
                .tag("retention", "7y"),
        ),
        (
            "backups",
            "db/nightly+full 2026-11-21.tar",
            ObjectSpec::generated(3 * GIB, 3)
                .header("content-type", "application/x-tar")
                .header("x-oss-meta-source", "db-1"),
        ),
        (
            "media-1250000000",
            "notes/README (final).txt",
            ObjectSpec::generated(4096, 4).header("content-type", "text/plain"),
        ),
    ];
    for (bucket, key, spec) in fixtures {
        let size = spec.size;
        emulator
            .create_object(bucket, key, spec)
            .map_err(|e| format!("cannot create {bucket}/{key}: {e}"))?;
        println!("created {bucket}/{key} ({size} bytes, virtual)");
    }

    let copies = [
        Copy {
            provider: Provider::Cos,
            region: "ap-guangzhou",
            source: ("media-1250000000", "videos/2026 launch/master.mov"),
            destination: ("archive-1250000000", "2026/master.mov"),
            what: "20 GiB on COS, multipart",
        },
        Copy {
            provider: Provider::Oss,
            region: "cn-hangzhou",
            source: ("backups", "db/nightly+full 2026-11-21.tar"),
            destination: ("backups-copy", "db/nightly+full 2026-11-21.tar"),
            what: "3 GiB on OSS, multipart",
        },
        Copy {
            provider: Provider::Cos,
            region: "ap-guangzhou",
            source: ("media-1250000000", "notes/README (final).txt"),
            destination: ("archive-1250000000", "notes/README (final).txt"),
            what: "4 KiB on COS, one PUT-Copy",
        },
    ];
    // Runs `partcopy cp` for `copy` with `extra` options, printing the command and its summary.
    let run = |copy: &Copy, extra: &[&str]| -> Result<String, String> {
        let keys = emulator.credentials(copy.provider);
        let (id_var, secret_var) = match copy.provider {
            Provider::Cos => ("COS_SECRET_ID", "COS_SECRET_KEY"),
            Provider::Oss => ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"),
        };
        let source = Copy::url(copy.source, copy.provider);
        let destination = Copy::url(copy.destination, copy.provider);
        let more: String = extra.iter().map(|option| format!(" {option}")).collect();
        println!(
            "$ partcopy cp '{source}' '{destination}' --region {} --endpoint {} -j 16 --json{more}",
            copy.region,
            emulator.endpoint(),
        );
        let started = Instant::now();
        let output = Command::new(&binary)
            .args(["cp", &source, &destination, "--region", copy.region])
            .args(["--endpoint", &emulator.endpoint(), "-j", "16", "--json"])
            .args(extra)
            .env(id_var, &keys.access_key_id)
            .env(secret_var, &keys.secret)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        let summary = String::from_utf8_lossy(&output.stdout).trim().to_string();
        println!("{summary}");
        if !output.status.success() {
            return Err(format!("partcopy failed with {}", output.status));
        }
        println!("(took {:.2} s)", started.elapsed().as_secs_f64());
        Ok(summary)
    };
    for copy in &copies {
        println!("\n== {}", copy.what);
        run(copy, &[])?;
    }

    println!("\n== the same 20 GiB copy again, with --skip-identical: nothing to copy");
    let before = emulator.stats().count(Api::UploadPartCopy);
    let summary = run(&copies[0], &["--skip-identical"])?;
    if !summary.contains("\"skipped_because\":\"identical\"")
        || emulator.stats().count(Api::UploadPartCopy) != before
    {
        return Err("the rerun with --skip-identical copied again".to_string());
    }

    println!("\n== a whole prefix with cp -r: 4 objects at a time, one of them multipart");
    let photos = [
        "photos/2026/a b.jpg",
        "photos/2026/c+d.jpg",
        "photos/raw/e.dng",
        "photos/中文.png",
    ];
    for (n, key) in photos.iter().enumerate() {
        let size = if n == 2 { 6 * GIB } else { 300_000 + n as u64 };
        let spec = ObjectSpec::generated(size, 40 + n as u64).header("content-type", "image/jpeg");
        emulator
            .create_object("media-1250000000", key, spec)
            .map_err(|e| format!("cannot create {key}: {e}"))?;
    }
    let keys = emulator.credentials(Provider::Cos);
    let (from, to) = (
        "cos://media-1250000000/photos/",
        "cos://archive-1250000000/mirror/photos/",
    );
    println!(
        "$ partcopy cp -r {from} {to} --region ap-guangzhou --endpoint {} --jobs 4 --no-progress",
        emulator.endpoint()
    );
    let status = Command::new(&binary)
        .args(["cp", "-r", from, to, "--region", "ap-guangzhou"])
        .args(["--endpoint", &emulator.endpoint(), "--jobs", "4", "--no-progress"])
        .env("COS_SECRET_ID", &keys.access_key_id)
        .env("COS_SECRET_KEY", &keys.secret)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    if !status.success() {
        return Err(format!("partcopy cp -r failed with {status}"));
    }
    for key in photos {
        let mirrored = format!("mirror/{key}");
        let same = emulator
            .same_content(("media-1250000000", key), ("archive-1250000000", &mirrored))
            .map_err(|e| format!("cannot compare {mirrored}: {e}"))?;
        if !same {
            return Err(format!("cp -r: {mirrored} differs from its source"));
        }
    }
    println!("(each of the {} objects identical to its source)", photos.len());

    println!("\n== the emulator compares every copy with its source");
    for copy in &copies {
        let same = emulator
            .same_content(copy.source, copy.destination)
            .map_err(|e| format!("cannot compare: {e}"))?;
        let source = emulator
            .object_info(copy.source.0, copy.source.1)
            .map_err(|e| e.to_string())?;
        let copied = emulator
            .object_info(copy.destination.0, copy.destination.1)
            .map_err(|e| e.to_string())?;
        let headers_same = source.headers == copied.headers;
        println!(
            "{} -> {}: content {}, CRC-64 {} / {}, metadata {}",
            Copy::url(copy.source, copy.provider),
            Copy::url(copy.destination, copy.provider),
            if same { "identical" } else { "DIFFERENT" },
            source.crc64,
            copied.crc64,
            if headers_same { "identical" } else { "DIFFERENT" },
        );
        if !same || source.crc64 != copied.crc64 || !headers_same {
            return Err("a copy differs from its source".to_string());
        }
    }
    println!("\nall copies identical.");
    Ok(())
}
