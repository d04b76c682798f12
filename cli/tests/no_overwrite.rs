//! `--no-overwrite`: an existing destination is never replaced. A HEAD finds it first and nothing
//! is copied (exit 0, `"status": "skipped"`); one that appears during the copy is refused by the
//! service (the forbid-overwrite header on PUT-Copy, Initiate and Complete) and the copy fails
//! without replacing it; a rerun then skips, aborting an upload kept for resuming.

mod harness;

use std::process::Stdio;
use std::time::{Duration, Instant};

use harness::*;
use partcopy_emulator::{Api, FaultPlan, ObjectSpec, OpFaults, Provider};

#[test]
fn an_existing_destination_is_skipped_and_kept() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        let multipart = smallest_parts(provider);
        world.object(provider, "fresh", 3 * min_part_bytes(provider) + 1, 3);
        let args = [&multipart[..], &["--no-overwrite"]].concat();

        // Absent: copied as usual.
        let summary = copied(&world.cp(provider, "fresh", &args));
        assert_eq!(summary["mode"], "multipart", "{provider:?}");
        assert!(world.same(provider, "fresh"));
        let etag = world.emu.object_info(dst, "fresh").unwrap().etag;

        // Present: one HEAD, nothing copied, the object untouched.
        let copies = world.count(Api::UploadPartCopy);
        let output = world.cp(provider, "fresh", &args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["status"], "skipped", "{provider:?}");
        assert_eq!(summary["requests"], 1, "{provider:?}");
        assert_eq!(world.count(Api::UploadPartCopy), copies);
        assert_eq!(world.emu.object_info(dst, "fresh").unwrap().etag, etag);

        // Another object already there, single copy, text output: skipped, kept.
        world.object(provider, "other", 100, 4);
        world
            .emu
            .create_object(dst, "other", ObjectSpec::generated(7, 5))
            .unwrap();
        // (`World::command` asks for `--json`: this one is built without it.)
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_partcopy"));
        let keys = world.emu.credentials(provider);
        let (id_var, secret_var) = match provider {
            Provider::Cos => ("COS_SECRET_ID", "COS_SECRET_KEY"),
            Provider::Oss => ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"),
        };
        let output = command
            .args([
                "cp",
                &url(provider, buckets(provider).0, "other"),
                &url(provider, dst, "other"),
                "--endpoint",
                &world.emu.endpoint(),
                "--region",
                region(provider),
                "--no-progress",
                "--no-overwrite",
            ])
            .env(id_var, &keys.access_key_id)
            .env(secret_var, &keys.secret)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{stdout}");
        assert!(
            stdout.starts_with("skipped ") && stdout.contains("--no-overwrite"),
            "{stdout}"
        );
        assert_eq!(world.emu.object_info(dst, "other").unwrap().size, 7);
    }
}

#[test]
fn in_place_cannot_be_no_overwrite() {
    let world = World::new();
    world.object(Provider::Cos, "k", 10, 1);
    let output = world
        .command_to(
            Provider::Cos,
            "k",
            COS_SRC,
            "k",
            &["--storage-class", "STANDARD_IA", "--no-overwrite"],
        )
        .output()
        .unwrap();
    let stderr = failed(&output, 2);
    assert!(stderr.contains("--no-overwrite"), "{stderr}");
}

/// A destination created while the parts are being copied: Complete is refused (409), the object
/// stays as the other writer left it, and the upload is aborted — or, with a checkpoint, kept until
/// the rerun, which finds the destination, aborts the upload, removes the checkpoint and skips.
#[test]
fn a_destination_that_appears_mid_copy_is_not_replaced() {
    let world = World::new();
    let dir = TempDir::new("no-overwrite-race");
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        for checkpoint in [false, true] {
            let key = format!("race-{checkpoint}");
            world.object(provider, &key, 4 * min_part_bytes(provider), 6);
            let mut args = vec!["--no-overwrite", "-j", "1"];
            args.extend(smallest_parts(provider));
            if checkpoint {
                args.extend(["--checkpoint-dir", dir.arg()]);
            }
            world.emu.set_faults(only(
                Api::UploadPartCopy,
                OpFaults {
                    latency_ms: 300,
                    ..OpFaults::default()
                },
            ));
            let before = world.count(Api::UploadPartCopy);
            let child = world
                .command(provider, &key, &key, &args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // The first part copy is under way: three more (≥ 900 ms) before Complete.
            let deadline = Instant::now() + Duration::from_secs(20);
            while world.count(Api::UploadPartCopy) == before {
                assert!(Instant::now() < deadline, "no part copy started");
                std::thread::sleep(Duration::from_millis(5));
            }
            world
                .emu
                .create_object(dst, &key, ObjectSpec::generated(11, 7))
                .unwrap();
            let output = child.wait_with_output().unwrap();
            world.emu.set_faults(FaultPlan::default());
            let stderr = failed(&output, 1);
            assert!(stderr.contains("HTTP 409"), "{provider:?}: {stderr}");
            assert!(stderr.contains("--no-overwrite"), "{stderr}");
            assert_eq!(world.emu.object_info(dst, &key).unwrap().size, 11, "not replaced");
            assert_eq!(
                world.open_uploads(provider),
                usize::from(checkpoint),
                "{provider:?}"
            );

            let output = world.cp(provider, &key, &args);
            let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(
                summary["status"],
                "skipped",
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert_eq!(world.open_uploads(provider), 0, "the kept upload is aborted");
            assert!(dir.files().is_empty(), "the checkpoint is removed");
            assert_eq!(world.emu.object_info(dst, &key).unwrap().size, 11);
        }
    }
}

/// A PUT-Copy that took effect but whose answer was lost: its retry is refused (409, the object is
/// there), and partcopy recognises the object as this copy (size and CRC-64 of the source) instead
/// of failing. A refusal on the first attempt is never taken for this copy's own.
#[test]
fn a_refusal_caused_by_a_lost_answer_is_recognised() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        world.object(provider, "lost", 1000, 8);
        world.emu.reset_stats();
        world.emu.set_faults(only(Api::CopyObject, lose_first_answer()));
        let output = world.cp(provider, "lost", &["--no-overwrite", "--verify"]);
        world.emu.set_faults(FaultPlan::default());
        let summary = copied(&output);
        assert_eq!(summary["confirmed"], "crc64", "{provider:?}");
        assert_eq!(summary["verified"], true, "{provider:?}");
        assert_eq!(summary["mode"], "single");
        assert!(world.same(provider, "lost"));
        assert!(String::from_utf8_lossy(&output.stderr).contains("an earlier attempt of this copy"));

        // The same content, but already there before: refused at once, a failure (one attempt).
        world.object(provider, "twin", 1000, 8);
        world
            .emu
            .create_object(dst, "twin", ObjectSpec::generated(1000, 8))
            .unwrap();
        world.emu.set_faults(only(
            Api::HeadObject,
            OpFaults {
                fail_nth: vec![partcopy_emulator::NthFailure {
                    n: 1,
                    kind: partcopy_emulator::FaultKind::InternalError,
                }],
                ..OpFaults::default()
            },
        ));
        world.emu.reset_stats();
        let output = world.cp(provider, "twin", &["--no-overwrite", "--max-attempts", "1"]);
        world.emu.set_faults(FaultPlan::default());
        let stderr = failed(&output, 1);
        assert!(stderr.contains("HTTP 409"), "{provider:?}: {stderr}");
    }
}

/// `--dry-run --no-overwrite` says whether the copy would be skipped, and copies nothing.
#[test]
fn a_dry_run_says_whether_it_would_skip() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        world.object(provider, "dry", 100, 2);
        let plan = |args: &[&str]| -> serde_json::Value {
            let output = world.cp(provider, "dry", args);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            serde_json::from_slice(&output.stdout).unwrap()
        };
        let absent = plan(&["--dry-run", "--no-overwrite"]);
        assert_eq!(
            (&absent["status"], &absent["would_skip"]),
            (&"planned".into(), &false.into())
        );
        assert!(plan(&["--dry-run"]).get("would_skip").is_none());
        world
            .emu
            .create_object(dst, "dry", ObjectSpec::generated(5, 1))
            .unwrap();
        let present = plan(&["--dry-run", "--no-overwrite"]);
        assert_eq!(present["would_skip"], true, "{provider:?}");
        assert_eq!(world.emu.object_info(dst, "dry").unwrap().size, 5);
    }
}
