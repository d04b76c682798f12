//! `--verify` end to end: it passes on faithful copies (single and multipart, both providers) and
//! fails when the destination is not what the copy wrote (content, metadata, storage class, tags),
//! so a verify that always passes is caught.

mod harness;

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
                stderr.contains("verified: size, metadata, tags and CRC-64 match"),
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

/// [`run_against`], expecting verification to fail: returns the run's standard error.
fn verify_against(
    world: &World,
    provider: Provider,
    key: &str,
    dst_key: &str,
    extra: &[&str],
    replacement: ObjectSpec,
) -> String {
    let output = run_against(world, provider, key, dst_key, extra, replacement);
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

            // HTTP metadata lost on the way: the source has a Cache-Control, the copy not.
            world
                .emu
                .create_object(
                    buckets(provider).0,
                    key,
                    ObjectSpec::generated(size, seed).header("cache-control", "max-age=60"),
                )
                .unwrap();
            let stderr = verify_against(
                &world,
                provider,
                key,
                &format!("{key}-cache"),
                &extra,
                ObjectSpec::generated(size, seed),
            );
            assert!(
                stderr.contains("verification failed")
                    && stderr.contains("Cache-Control differs: expected Some(\"max-age=60\"), found None"),
                "{provider:?} {key}: {stderr}"
            );
        }
    }
}

/// With `--storage-class`, verification also compares the class: a destination without it fails,
/// and a COS object whose HEAD names no class counts as STANDARD (COS leaves the header out).
#[test]
fn verify_checks_the_storage_class_when_one_was_asked_for() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (asked, default) = match provider {
            Provider::Cos => ("STANDARD_IA", "STANDARD"),
            Provider::Oss => ("IA", "Standard"),
        };
        for (key, size, _, extra) in cases(provider) {
            let seed = size ^ 0x5A;
            world.object(provider, key, size, seed);
            let args = [&["--storage-class", asked][..], &extra].concat();
            let stderr = verify_against(
                &world,
                provider,
                key,
                &format!("{key}-class"),
                &args,
                ObjectSpec::generated(size, seed),
            );
            let expected = format!("storage class differs: expected {asked}, found {default}");
            assert!(
                stderr.contains("verification failed") && stderr.contains(&expected),
                "{provider:?} {key}: {stderr}"
            );
            assert!(
                !stderr.contains("CRC-64") && !stderr.contains("metadata differs"),
                "{provider:?} {key}: {stderr}"
            );
            // The provider's default class, asked for in other letter case, matches an object
            // whose HEAD names none (COS) or names the default (OSS).
            let lower = default.to_ascii_lowercase();
            let args = [&["--storage-class", lower.as_str()][..], &extra].concat();
            let output = run_against(
                &world,
                provider,
                key,
                &format!("{key}-default"),
                &args,
                ObjectSpec::generated(size, seed),
            );
            let summary = copied(&output);
            assert_eq!(summary["verified"], true, "{provider:?} {key}");
        }
    }
}

/// Verification compares the tags: the source's under the Copy directive, none under Replace.
#[test]
fn verify_compares_the_tags() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, _) = buckets(provider);
        for (key, size, _, extra) in cases(provider) {
            let seed = size ^ 0x2B;
            let source = ObjectSpec::generated(size, seed).tag("team", "media");
            world.emu.create_object(src, key, source).unwrap();
            // Copy: the destination lost the source's tags.
            let stderr = verify_against(
                &world,
                provider,
                key,
                &format!("{key}-untagged"),
                &extra,
                ObjectSpec::generated(size, seed),
            );
            assert!(
                stderr.contains("verification failed") && stderr.contains("tags differ"),
                "{provider:?} {key}: {stderr}"
            );
            assert!(!stderr.contains("CRC-64"), "{provider:?} {key}: {stderr}");
            // Replace: the destination should have no tags, and has one.
            let replace = [&["--metadata-directive", "replace"][..], &extra].concat();
            let stderr = verify_against(
                &world,
                provider,
                key,
                &format!("{key}-retagged"),
                &replace,
                ObjectSpec::generated(size, seed).tag("team", "media"),
            );
            assert!(
                stderr.contains("verification failed") && stderr.contains("tags differ"),
                "{provider:?} {key}: {stderr}"
            );
        }
    }
}

/// Tags that cannot be read (GET `?tagging` refused) are not compared: verification warns and
/// still passes on the rest.
#[test]
fn verify_skips_tags_it_cannot_read() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let key = "v-tags-unreadable";
        world.object(provider, key, 1000, 0x11);
        world.emu.set_faults({
            let mut plan = FaultPlan::default();
            plan.ops.insert(
                Api::GetObjectTagging,
                OpFaults {
                    internal_error: 1.0,
                    ..OpFaults::default()
                },
            );
            plan
        });
        let output = world
            .command(provider, key, key, &["--verify"])
            .env("RUST_LOG", "info")
            .output()
            .unwrap();
        world.emu.set_faults(FaultPlan::default());
        let summary = copied(&output);
        assert_eq!(summary["verified"], true, "{provider:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("tags not compared")
                && stderr.contains("verified: size, metadata and CRC-64 match"),
            "{provider:?}: {stderr}"
        );
    }
}

/// `RUST_LOG` takes `target=level` directives: the CLI's own info lines show under `partcopy=info`
/// and not when only another target is raised; one that cannot be read is reported, the default
/// used, and the copy still runs.
#[test]
fn rust_log_directives_filter_by_target_and_a_bad_one_is_reported() {
    let world = World::new();
    let provider = Provider::Cos;
    world.object(provider, "logged", 4096, 11);
    let run = |rust_log: &str| {
        let output = world
            .command(provider, "logged", "logged", &["--verify"])
            .env("RUST_LOG", rust_log)
            .output()
            .unwrap();
        assert_eq!(copied(&output)["verified"], true, "RUST_LOG={rust_log}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let line = "verified: size, metadata, tags and CRC-64 match";
    let stderr = run("warn,partcopy=info");
    assert!(stderr.contains(line), "{stderr}");
    let stderr = run("partcopy_transport_hyper=info");
    assert!(!stderr.contains(line), "{stderr}");
    let stderr = run("partcopy=loudest");
    assert!(stderr.contains("ignoring RUST_LOG"), "{stderr}");
    assert!(!stderr.contains(line), "the default (warn) applies: {stderr}");
}
