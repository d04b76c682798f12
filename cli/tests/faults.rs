//! Faults end to end: the real binary against the emulator with injected errors, dropped
//! connections, latency, `Retry-After`, timeouts, exhausted retries and a source overwritten
//! mid-copy. Every success is checked with the emulator's content comparison.

mod harness;

use harness::*;
use partcopy_emulator::{Api, FaultKind, FaultPlan, NthFailure, OpFaults, Overwrite, Provider};

/// 5 % 500s, 2 % SlowDown, 1 % dropped connections, 1 % 200-with-error-body and latency jitter on
/// every operation: single and multipart copies on both providers complete, identical to their
/// sources.
#[test]
fn every_copy_completes_under_random_faults() {
    let world = World::with_seed(0xFA17);
    world.emu.set_faults(everywhere(OpFaults {
        latency_ms: 1,
        jitter_ms: 8,
        internal_error: 0.05,
        slow_down: 0.02,
        drop_connection: 0.01,
        error_200: 0.01,
        ..OpFaults::default()
    }));
    for provider in [Provider::Cos, Provider::Oss] {
        let part = min_part_bytes(provider);
        let mut retries = 0;
        for (key, size) in [
            ("small", 1000),
            ("parts-40", 40 * part),
            ("parts-61-and-a-bit", 61 * part + 7),
        ] {
            world.object(provider, key, size, size ^ 0xF);
            // Eight attempts: a 9 % fault rate fails one operation eight times in a row with odds
            // of 4e-9, so the test does not flake, while hundreds of requests meet faults.
            let summary = copied(&world.cp(
                provider,
                key,
                &[
                    "--threshold",
                    min_part(provider),
                    "--part-size",
                    min_part(provider),
                    "-j",
                    "8",
                    "--max-attempts",
                    "8",
                ],
            ));
            assert_eq!(summary["size"], size);
            assert!(world.same(provider, key), "{provider:?} {key}");
            retries += summary["retries"].as_u64().unwrap();
        }
        assert!(retries > 0, "{provider:?}: faults were injected and retried");
        assert_eq!(world.open_uploads(provider), 0, "{provider:?}");
    }
}

/// Every part copy fails: with retries exhausted the copy fails with exit status 1; without a
/// checkpoint the upload is aborted, with one it is kept for a later resume.
#[test]
fn exhausted_retries_fail_and_abort_or_keep_the_upload() {
    let world = World::new();
    let dir = TempDir::new("faults-exhausted");
    for provider in [Provider::Cos, Provider::Oss] {
        let key = "exhausted";
        world.object(provider, key, 4 * min_part_bytes(provider), 3);
        world.emu.set_faults(only(
            Api::UploadPartCopy,
            OpFaults {
                internal_error: 1.0,
                ..OpFaults::default()
            },
        ));
        let args = [
            "--threshold",
            min_part(provider),
            "--part-size",
            min_part(provider),
            "--max-attempts",
            "3",
        ];
        world.emu.reset_stats();
        let stderr = failed(&world.cp(provider, key, &args), 1);
        assert!(stderr.contains("after 3 attempt(s)"), "{stderr}");
        assert!(stderr.contains("InternalError (HTTP 500)"), "{stderr}");
        assert!(stderr.contains("the multipart upload was aborted"), "{stderr}");
        assert_eq!(world.open_uploads(provider), 0, "aborted");
        assert_eq!(world.count(Api::AbortMultipartUpload), 1);
        assert!(!world.exists(provider, key));

        let with_checkpoint = [&args[..], &["--checkpoint-dir", dir.arg()]].concat();
        let stderr = failed(&world.cp(provider, key, &with_checkpoint), 1);
        assert!(stderr.contains("was kept so the copy can be resumed"), "{stderr}");
        assert!(
            stderr.contains("run the same command again to resume"),
            "{stderr}"
        );
        assert_eq!(world.open_uploads(provider), 1, "kept");
        assert!(!world.exists(provider, key));

        // The service recovers: the same command finishes the kept upload.
        world.emu.set_faults(FaultPlan::default());
        copied(&world.cp(provider, key, &with_checkpoint));
        assert!(world.same(provider, key));
        assert_eq!(world.open_uploads(provider), 0);
        assert!(dir.files().is_empty(), "the checkpoint is removed after Complete");
    }
}

/// The first Initiate takes effect but its answer is lost: the retry starts a second upload and the
/// copy succeeds, and partcopy says that an empty upload may be left over (it cannot abort one whose
/// id it never learnt), on stderr and as `uncertain_initiates` in the JSON summary.
#[test]
fn a_lost_initiate_answer_is_reported_as_a_possible_leftover_upload() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let key = "lost-initiate";
        world.object(provider, key, 3 * min_part_bytes(provider), 4);
        world.emu.reset_stats();
        world
            .emu
            .set_faults(only(Api::InitiateMultipartUpload, lose_first_answer()));
        let args = smallest_parts(provider);
        let output = world.cp(provider, key, &args);
        let summary = copied(&output);
        assert_eq!(summary["uncertain_initiates"], 1, "{summary}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("may hold an empty multipart upload"), "{stderr}");
        assert!(world.same(provider, key));
        assert_eq!(world.count(Api::InitiateMultipartUpload), 2);
        assert_eq!(
            world.open_uploads(provider),
            1,
            "the leftover the warning is about"
        );
        // The warning's own `partcopy uploads` command finds it, and `partcopy abort` removes it.
        let command = stderr.split('`').nth(1).expect("a command in backticks");
        let words: Vec<&str> = command.split_whitespace().skip(1).collect();
        assert_eq!(words[0], "uploads", "{command}");
        let listing = world
            .partcopy(provider, &[&words[..], &["--json"]].concat())
            .output()
            .unwrap();
        let listed: serde_json::Value = serde_json::from_slice(&listing.stdout).unwrap();
        let leftover = listed["uploads"][0]["upload_id"]
            .as_str()
            .expect("one upload")
            .to_string();
        assert_eq!(listed["uploads"].as_array().unwrap().len(), 1, "{listed}");
        let abort = [&["abort"][..], &words[1..], &[leftover.as_str()]].concat();
        assert!(world
            .partcopy(provider, &abort)
            .output()
            .unwrap()
            .status
            .success());
        assert_eq!(world.open_uploads(provider), 0);

        // Without the fault: no warning, no field.
        world.emu.set_faults(FaultPlan::default());
        let output = world.cp(provider, key, &args);
        assert!(copied(&output).get("uncertain_initiates").is_none());
        assert!(!String::from_utf8_lossy(&output.stderr).contains("empty multipart upload"));
    }
}

/// A 503 with `Retry-After: 1` on the first part copy delays its retry by at least a second (the
/// backoff alone would wait about 200 ms).
#[test]
fn retry_after_is_honoured() {
    let world = World::new();
    let provider = Provider::Oss;
    world.object(provider, "later", 2 * min_part_bytes(provider), 5);
    world.emu.set_faults(only(
        Api::UploadPartCopy,
        OpFaults {
            fail_nth: vec![NthFailure {
                n: 1,
                kind: FaultKind::SlowDown,
            }],
            retry_after_secs: Some(1),
            ..OpFaults::default()
        },
    ));
    let started = std::time::Instant::now();
    let summary = copied(&world.cp(
        provider,
        "later",
        &[
            "--threshold",
            min_part(provider),
            "--part-size",
            min_part(provider),
        ],
    ));
    assert_eq!(summary["retries"], 1);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert!(summary["elapsed_ms"].as_u64().unwrap() >= 1000, "{summary}");
    assert!(world.same(provider, "later"));
}

/// A part copy slower than `--request-timeout` times out, is retried, and with attempts exhausted
/// the copy fails naming the timeout.
#[test]
fn a_request_over_the_timeout_is_retried_then_fails() {
    let world = World::new();
    let provider = Provider::Cos;
    world.object(provider, "slow", 2 * MIB, 6);
    world.emu.set_faults(only(
        Api::UploadPartCopy,
        OpFaults {
            latency_ms: 3000,
            ..OpFaults::default()
        },
    ));
    let started = std::time::Instant::now();
    let stderr = failed(
        &world.cp(
            provider,
            "slow",
            &[
                "--threshold",
                "1MiB",
                "--part-size",
                "1MiB",
                "--request-timeout",
                "300ms",
                "--max-attempts",
                "2",
            ],
        ),
        1,
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "timed out, not waited out"
    );
    assert!(stderr.contains("RequestTimeout"), "{stderr}");
    assert!(stderr.contains("within 300ms"), "{stderr}");
    assert!(stderr.contains("after 2 attempt(s)"), "{stderr}");
    assert!(!world.exists(provider, "slow"));
}

/// The source is overwritten after a few part copies read it: the copy fails with exit status 1
/// and "source changed during copy", the upload is aborted (even with a checkpoint: it could never
/// be completed into a correct object), and nothing appears at the destination.
#[test]
fn a_source_overwritten_mid_copy_fails_and_leaves_no_object() {
    let world = World::new();
    let dir = TempDir::new("faults-overwrite");
    for (provider, checkpoint) in [(Provider::Cos, false), (Provider::Oss, true)] {
        let (src, _) = buckets(provider);
        world.object(provider, "moving", 12 * min_part_bytes(provider), 8);
        let plan = FaultPlan {
            overwrite: Some(Overwrite {
                bucket: src.to_string(),
                key: "moving".to_string(),
                after_part_copies: 3,
                seed: 99,
            }),
            ..FaultPlan::default()
        };
        world.emu.set_faults(plan);
        let mut args = vec![
            "--threshold",
            min_part(provider),
            "--part-size",
            min_part(provider),
            "-j",
            "2",
        ];
        if checkpoint {
            args.extend(["--checkpoint-dir", dir.arg()]);
        }
        let output = world.cp(provider, "moving", &args);
        let stderr = failed(&output, 1);
        assert!(stderr.contains("source changed during copy"), "{stderr}");
        assert!(stderr.contains("the multipart upload was aborted"), "{stderr}");
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["status"], "failed");
        assert!(summary["error"]
            .as_str()
            .unwrap()
            .contains("source changed during copy"));
        assert!(
            !world.exists(provider, "moving"),
            "{provider:?}: no object completed"
        );
        assert_eq!(world.open_uploads(provider), 0, "{provider:?}: upload aborted");

        // Run again: the new version is copied (the checkpoint's upload is gone, so it starts over).
        world.emu.set_faults(FaultPlan::default());
        copied(&world.cp(provider, "moving", &args));
        assert!(world.same(provider, "moving"));
    }
}

/// The retry and timeout options refuse values that cannot work, with exit status 2 and nothing
/// sent.
#[test]
fn retry_options_refuse_bad_values() {
    let world = World::new();
    world.object(Provider::Cos, "opts", 10, 1);
    for (args, needle) in [
        (&["--max-attempts", "0"][..], "--max-attempts"),
        (&["--max-attempts", "many"], "--max-attempts"),
        (&["--request-timeout", "0s"], "out of range"),
        (&["--request-timeout", "soon"], "not a duration"),
        (&["--request-timeout", "2w"], "not a duration"),
        (&["--request-timeout", "2d"], "out of range"),
    ] {
        let stderr = failed(&world.cp(Provider::Cos, "opts", args), 2);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    assert_eq!(world.count(Api::HeadObject), 0);
}

/// A hostile or broken endpoint: HEAD answers normally, then the PUT-Copy's answer is an endless
/// 200 body. The copy is refused with a clear error once the body passes the bound (16 MiB).
#[test]
fn an_oversized_response_body_is_refused() {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut line = String::new();
                    while reader.read_line(&mut line).unwrap_or(0) > 2 {
                        line.clear();
                    }
                    if request_line.starts_with("HEAD") {
                        let head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nETag: \"0123\"\r\n\
                                    Last-Modified: Sat, 21 Nov 2026 22:00:00 GMT\r\n\r\n";
                        if writer.write_all(head.as_bytes()).is_err() {
                            return;
                        }
                    } else {
                        let head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n";
                        let _ = writer.write_all(head.as_bytes());
                        let chunk = vec![b'x'; 64 << 10];
                        while writer.write_all(&chunk).is_ok() {}
                        return;
                    }
                }
            });
        }
    });
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_partcopy"))
        .args([
            "cp",
            "cos://src-1250000000/k",
            "cos://dst-1250000000/k",
            "--endpoint",
            &endpoint,
            "--region",
            "ap-guangzhou",
            "--no-progress",
        ])
        .env("COS_SECRET_ID", "AKIDexample")
        .env("COS_SECRET_KEY", "example-secret")
        .env_remove("COS_SESSION_TOKEN")
        .output()
        .unwrap();
    let stderr = failed(&output, 1);
    assert!(stderr.contains("ResponseTooLarge"), "{stderr}");
    assert!(stderr.contains("larger than 16777216 bytes"), "{stderr}");
}
