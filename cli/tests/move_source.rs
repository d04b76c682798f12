//! `--move`: the source is deleted only once its copy is done and checked — single and multipart,
//! both clouds, and under `cp -r`; a failed DELETE leaves both and says how to finish; a failed
//! verification, and a destination kept by `--no-overwrite`, leave the source alone.

mod harness;

use harness::*;
use partcopy_emulator::{Api, FaultKind, FaultPlan, NthFailure, ObjectSpec, OpFaults, Provider};
use serde_json::Value;

/// The JSON summary of a run that exited 0 having skipped the copy.
fn skipped(output: &std::process::Output) -> Value {
    let summary = succeeded(output);
    assert_eq!(summary["status"], "skipped", "{summary}");
    summary
}

/// Whether the source bucket still holds `key`.
fn source_exists(world: &World, provider: Provider, key: &str) -> bool {
    world.emu.object_info(buckets(provider).0, key).is_ok()
}

#[test]
fn a_moved_object_is_at_dst_and_gone_from_src() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        let part = min_part_bytes(provider);
        for (key, size, mode, extra) in [
            ("mv-single", 1000, "single", vec![]),
            (
                "mv-multi",
                3 * part + 7,
                "multipart",
                smallest_parts(provider).to_vec(),
            ),
        ] {
            world.object(provider, key, size, 5);
            let crc = world.emu.object_info(src, key).unwrap().crc64;
            let args = [&["--move"][..], &extra].concat();
            let summary = copied(&world.cp(provider, key, &args));
            assert_eq!(summary["mode"], mode, "{provider:?} {key}");
            assert_eq!(summary["source_deleted"], true, "{summary}");
            assert_eq!(summary["verified"], true, "--move checks first: {summary}");
            assert!(!source_exists(&world, provider, key), "{provider:?} {key}");
            assert_eq!(
                world.emu.object_info(dst, key).unwrap().crc64,
                crc,
                "{provider:?} {key}"
            );
        }
    }
}

#[test]
fn a_failed_delete_keeps_the_source_and_a_rerun_finishes_the_move() {
    let world = World::new();
    let provider = Provider::Oss;
    world.object(provider, "mv-del", 500, 2);
    let fail_all = OpFaults {
        fail_nth: (1..=10)
            .map(|n| NthFailure {
                n,
                kind: FaultKind::InternalError,
            })
            .collect(),
        ..OpFaults::default()
    };
    world.emu.set_faults(only(Api::DeleteObject, fail_all));
    world.emu.reset_stats();
    let output = world.cp(provider, "mv-del", &["--move", "--max-attempts", "2"]);
    world.emu.set_faults(FaultPlan::default());
    let stderr = failed(&output, 1);
    assert!(
        stderr.contains("deleting the source failed after 2 attempt(s)"),
        "{stderr}"
    );
    assert!(stderr.contains("--skip-identical to finish the move"), "{stderr}");
    assert_eq!(world.count(Api::DeleteObject), 2);
    assert!(source_exists(&world, provider, "mv-del"));
    assert!(world.same(provider, "mv-del"));

    world.emu.reset_stats();
    let output = world.cp(provider, "mv-del", &["--move", "--skip-identical"]);
    let summary = skipped(&output);
    assert_eq!(summary["source_deleted"], true, "{summary}");
    assert_eq!(world.count(Api::CopyObject), 0);
    assert!(!source_exists(&world, provider, "mv-del"));
}

#[test]
fn a_copy_that_fails_verification_is_not_moved() {
    let world = World::new();
    let provider = Provider::Cos;
    world.object(provider, "mv-bad", 3000, 4);
    // The destination is swapped for other bytes of the same size before the checks read it.
    let output = run_against(
        &world,
        provider,
        "mv-bad",
        "mv-bad",
        &["--move"],
        ObjectSpec::generated(3000, 99),
    );
    let stderr = failed(&output, 1);
    assert!(stderr.contains("verification failed"), "{stderr}");
    assert!(source_exists(&world, provider, "mv-bad"));
    assert_eq!(world.count(Api::DeleteObject), 0);
}

#[test]
fn a_destination_kept_by_no_overwrite_keeps_the_source() {
    let world = World::new();
    let provider = Provider::Cos;
    let (_, dst) = buckets(provider);
    world.object(provider, "mv-keep", 100, 1);
    world
        .emu
        .create_object(dst, "mv-keep", ObjectSpec::generated(7, 2))
        .unwrap();
    let output = world.cp(provider, "mv-keep", &["--move", "--no-overwrite"]);
    let summary = skipped(&output);
    assert!(summary["source_deleted"].is_null(), "{summary}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("was not moved"), "{stderr}");
    assert!(source_exists(&world, provider, "mv-keep"));
}

#[test]
fn a_prefix_is_moved_with_cp_r() {
    let world = World::new();
    let provider = Provider::Oss;
    let (src, dst) = buckets(provider);
    for n in 0..5 {
        world.object(provider, &format!("old/{n}"), 10 + n, n);
    }
    world.object(provider, "oldest", 1, 1);
    let output = world
        .command_to(provider, "old/", dst, "new/", &["-r", "--move"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (summary["copied"].as_u64(), summary["sources_deleted"].as_u64()),
        (Some(5), Some(5)),
        "{summary}"
    );
    for n in 0..5 {
        assert!(!source_exists(&world, provider, &format!("old/{n}")));
        assert!(world.emu.object_info(dst, &format!("new/{n}")).is_ok());
    }
    assert!(world.emu.object_info(src, "oldest").is_ok(), "outside the prefix");
}

#[test]
fn move_usage_errors_send_nothing() {
    let world = World::new();
    let provider = Provider::Cos;
    let (src, _) = buckets(provider);
    world.object(provider, "mv-u", 10, 1);
    for (to_bucket, args, says) in [
        (src, &["--move", "--storage-class", "STANDARD_IA"][..], "the same"),
        (
            buckets(provider).1,
            &["--move", "--src-version-id", "v1"][..],
            "--src-version-id",
        ),
    ] {
        world.emu.reset_stats();
        let output = world
            .command_to(provider, "mv-u", to_bucket, "mv-u", args)
            .output()
            .unwrap();
        let stderr = failed(&output, 2);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        let sent: u64 = world.emu.stats().requests.values().sum();
        assert_eq!(sent, 0);
        assert!(source_exists(&world, provider, "mv-u"));
    }
}

/// A PUT-Copy whose answer was lost under --no-overwrite (the retry refused with 409, the object
/// recognised as this copy) is compared in full before the source is deleted.
#[test]
fn a_copy_recognised_after_a_lost_answer_is_moved() {
    let world = World::new();
    let provider = Provider::Cos;
    world.object(provider, "mv-lost", 1000, 8);
    world.emu.set_faults(only(Api::CopyObject, lose_first_answer()));
    world.emu.reset_stats();
    let output = world.cp(provider, "mv-lost", &["--no-overwrite", "--move"]);
    world.emu.set_faults(FaultPlan::default());
    let summary = copied(&output);
    assert_eq!(summary["confirmed"], "crc64", "{summary}");
    assert_eq!(summary["verified"], true, "{summary}");
    assert_eq!(summary["source_deleted"], true, "{summary}");
    assert!(!source_exists(&world, provider, "mv-lost"));
}
