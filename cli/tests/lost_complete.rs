//! A Complete whose answer is lost (the service completed the upload, the connection closed before
//! the answer): the retried Complete finds the upload gone, and the job HEADs the destination to
//! decide. It takes the copy as done only when the destination is the completed upload
//! (`partcopy_core::confirm`).

mod harness;

use std::time::{Duration, Instant};

use harness::*;
use partcopy_emulator::{Api, FaultPlan, ObjectSpec, OpFaults, Provider};

fn multipart_args(provider: Provider) -> Vec<&'static str> {
    vec![
        "--threshold",
        min_part(provider),
        "--part-size",
        min_part(provider),
    ]
}

#[test]
fn lost_complete_answer_is_confirmed_by_head() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let key = "lost-complete";
        world.object(provider, key, 4 * min_part_bytes(provider) + 5, 0x10C);
        // `fail_nth` counts requests since the last reset.
        world.emu.reset_stats();
        world
            .emu
            .set_faults(only(Api::CompleteMultipartUpload, lose_first_answer()));
        let output = world.cp(provider, key, &multipart_args(provider));
        let summary = copied(&output);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("the destination is the completed upload (its CRC-64 equals the source's)"),
            "{provider:?}: {stderr}"
        );
        assert_eq!(summary["mode"], "multipart", "{provider:?}");
        assert_eq!(summary["confirmed"], "crc64", "{provider:?}");
        assert!(world.same(provider, key), "{provider:?}");
        assert!(
            world.count(Api::CompleteMultipartUpload) >= 2,
            "{provider:?}: the Complete was retried"
        );
        // The source's HEAD, then the destination's to confirm the lost Complete.
        assert!(
            world.count(Api::HeadObject) >= 2,
            "{provider:?}: the destination was checked"
        );
        assert_eq!(world.open_uploads(provider), 0, "{provider:?}");
        world.emu.set_faults(FaultPlan::default());
    }
}

/// The same lost answer, but by the time the job HEADs the destination another writer has replaced
/// it with an ordinary object of the same size: the copy must not be claimed.
#[test]
fn lost_complete_with_a_different_destination_fails() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let key = "lost-replaced";
        let size = 4 * min_part_bytes(provider) + 5;
        world.object(provider, key, size, 0x20C);
        // `fail_nth` counts requests since the last reset.
        world.emu.reset_stats();
        let mut plan = only(Api::CompleteMultipartUpload, lose_first_answer());
        // Every HEAD waits, so the test can replace the destination between the lost Complete
        // and the confirming HEAD.
        plan.ops.insert(
            Api::HeadObject,
            OpFaults {
                latency_ms: 600,
                ..OpFaults::default()
            },
        );
        world.emu.set_faults(plan);
        let child = world
            .command(provider, key, key, &multipart_args(provider))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let dst = buckets(provider).1;
        let started = Instant::now();
        while !world.exists(provider, key) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{provider:?}: never completed"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        world
            .emu
            .create_object(dst, key, ObjectSpec::generated(size, 0xBAD))
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let stderr = failed(&output, 1);
        assert!(
            stderr.contains("upload is gone")
                && stderr.contains("is not that of a 5-part upload")
                && stderr.contains("check the destination"),
            "{provider:?}: {stderr}"
        );
        world.emu.set_faults(FaultPlan::default());
    }
}
