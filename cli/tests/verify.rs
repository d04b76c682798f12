//! `--verify` end to end: it passes on faithful copies (single and multipart, both providers) and
//! fails when the destination is not what the copy wrote, so a verify that always passes is caught.

mod harness;

use std::time::{Duration, Instant};

use harness::*;
use partcopy_emulator::{Api, FaultPlan, ObjectSpec, OpFaults, Provider};

fn cases(provider: Provider) -> [(&'static str, u64, &'static str, Vec<&'static str>); 2] {
    let part = min_part_bytes(provider);
    [
        ("v-single", 1000, "single", vec![]),
        (
            "v-multipart",
            3 * part + 9,
            "multipart",
            vec![
                "--threshold",
                min_part(provider),
                "--part-size",
                min_part(provider),
            ],
        ),
    ]
}

/// Verification runs (its log line says what was compared) and passes on faithful copies.
#[test]
fn verify_passes_on_faithful_copies() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        for (key, size, mode, extra) in cases(provider) {
            world.object(provider, key, size, size ^ 0x7E);
            world.emu.reset_stats();
            let args = [&["--verify"][..], &extra].concat();
            let output = world
                .command(provider, key, key, &args)
                .env("RUST_LOG", "info")
                .output()
                .unwrap();
            let summary = copied(&output);
            assert_eq!(summary["mode"], mode, "{provider:?} {key}");
            assert_eq!(summary["verified"], true, "{provider:?} {key}");
            assert!(world.same(provider, key), "{provider:?} {key}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains("verified: size, metadata and CRC-64 match"),
                "{provider:?} {key}: {stderr}"
            );
            // One HEAD of the source before the copy, then one of each end to verify.
            assert!(
                world.count(Api::HeadObject) >= 3,
                "{provider:?} {key}: {} HEADs",
                world.count(Api::HeadObject)
            );
        }
    }
}

/// Runs a verified copy while every HEAD is slowed, and swaps the destination for `replacement`
/// once the copy has written it: the verifying HEAD sees the replacement.
fn verify_against(
    world: &World,
    provider: Provider,
    key: &str,
    dst_key: &str,
    extra: &[&str],
    replacement: ObjectSpec,
) -> String {
    world.emu.set_faults({
        let mut plan = FaultPlan::default();
        plan.ops.insert(
            Api::HeadObject,
            OpFaults {
                latency_ms: 600,
                ..OpFaults::default()
            },
        );
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
    failed(&output, 1)
}

/// A destination with other content of the same size fails on CRC-64; one with the same content
/// but other user metadata fails on metadata.
#[test]
fn verify_fails_when_the_destination_differs() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        for (key, size, _, extra) in cases(provider) {
            let seed = size ^ 0x3E;
            world.object(provider, key, size, seed);
            let stderr = verify_against(
                &world,
                provider,
                key,
                &format!("{key}-crc"),
                &extra,
                ObjectSpec::generated(size, seed + 1),
            );
            assert!(
                stderr.contains("verification failed") && stderr.contains("CRC-64"),
                "{provider:?} {key}: {stderr}"
            );
            let meta = format!("{}-meta-intruder", provider.prefix());
            let stderr = verify_against(
                &world,
                provider,
                key,
                &format!("{key}-meta"),
                &extra,
                ObjectSpec::generated(size, seed).header(&meta, "yes"),
            );
            assert!(
                stderr.contains("verification failed") && stderr.contains("user metadata differs"),
                "{provider:?} {key}: {stderr}"
            );
            assert!(!stderr.contains("CRC-64"), "{provider:?} {key}: {stderr}");
        }
    }
}
