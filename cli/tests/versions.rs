//! `--src-version-id`: copy an older version of a source in a bucket with versioning, single and
//! multipart, elsewhere or onto its own key (which restores it), both providers; a version that
//! does not exist is a clear failure; a restore rerun with `--skip-identical` writes nothing.

mod harness;

use harness::*;
use partcopy_emulator::{ObjectInfo, ObjectSpec, Provider};

/// Writes two versions of the source bucket's `key`; returns (first, second).
fn two_versions(world: &World, provider: Provider, key: &str, size: u64) -> (ObjectInfo, ObjectInfo) {
    let src = buckets(provider).0;
    world.emu.set_versioning(src, true).unwrap();
    let first = world
        .emu
        .create_object(
            src,
            key,
            ObjectSpec::generated(size, 1).header("content-type", "text/old"),
        )
        .unwrap();
    let second = world
        .emu
        .create_object(src, key, ObjectSpec::generated(size, 2))
        .unwrap();
    assert_ne!(first.crc64, second.crc64);
    assert!(first.version_id.is_some() && first.version_id != second.version_id);
    (first, second)
}

#[test]
fn an_older_version_is_copied_single_and_multipart() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let dst = buckets(provider).1;
        let part = min_part_bytes(provider);
        let multipart = smallest_parts(provider).to_vec();
        for (key, size, extra) in [
            ("v-single", 3000, vec![]),
            ("v-multipart", 3 * part + 9, multipart),
        ] {
            let (first, second) = two_versions(&world, provider, key, size);
            let version = first.version_id.clone().unwrap();
            let args = [&["--src-version-id", version.as_str(), "--verify"][..], &extra].concat();
            let summary = copied(&world.cp(provider, key, &args));
            assert_eq!(summary["verified"], true, "{provider:?} {key}");
            let copy = world.emu.object_info(dst, key).unwrap();
            assert_eq!(
                copy.crc64, first.crc64,
                "{provider:?} {key}: the older version's bytes"
            );
            assert_ne!(copy.crc64, second.crc64);
            assert_eq!(
                copy.headers.get("content-type").map(String::as_str),
                Some("text/old")
            );
        }
    }
}

#[test]
fn an_older_version_copied_onto_its_key_restores_it() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let src = buckets(provider).0;
        let key = "v-restore";
        let (first, second) = two_versions(&world, provider, key, 3 * min_part_bytes(provider) + 1);
        let version = first.version_id.clone().unwrap();
        let args = [
            &["--src-version-id", version.as_str()][..],
            &smallest_parts(provider),
        ]
        .concat();
        let output = world.command_to(provider, key, src, key, &args).output().unwrap();
        copied(&output);
        let current = world.emu.object_info(src, key).unwrap();
        assert_eq!(current.crc64, first.crc64, "{provider:?}");
        assert_ne!(current.version_id, second.version_id, "a new current version");

        // Restored already: with --skip-identical the rerun writes no new version.
        let args = [&args[..], &["--skip-identical"]].concat();
        let output = world.command_to(provider, key, src, key, &args).output().unwrap();
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["skipped_because"], "identical", "{provider:?}: {summary}");
        assert_eq!(
            world.emu.object_info(src, key).unwrap().version_id,
            current.version_id,
            "{provider:?}: no new version"
        );
    }
}

#[test]
fn a_version_that_does_not_exist_fails_clearly() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        two_versions(&world, provider, "v-missing", 1000);
        let err = failed(&world.cp(provider, "v-missing", &["--src-version-id", "nope"]), 1);
        // A HEAD's 404 has no body: OSS names the code in a header, COS says nothing, and then
        // the hint names the option.
        match provider {
            Provider::Oss => assert!(err.contains("NoSuchVersion"), "{err}"),
            Provider::Cos => assert!(
                err.contains("not found") && err.contains("--src-version-id"),
                "{err}"
            ),
        }
    }
    let world = World::new();
    let err = failed(&world.cp(Provider::Cos, "any", &["--src-version-id", "a b"]), 2);
    assert!(err.contains("--src-version-id"), "{err}");
}
