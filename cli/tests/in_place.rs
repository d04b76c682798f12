//! A copy onto its own source rewrites the object in place: to change its storage class (keeping
//! its metadata and tags) or to replace its metadata (keeping its storage class). Single and
//! multipart, both providers, checked
//! with `--verify` and against the emulator's record of the object. A copy in place that would
//! change nothing is refused before any request.

mod harness;

use harness::*;
use partcopy_emulator::{Api, ObjectSpec, Provider};

/// A class the provider knows, other than its default.
fn class(provider: Provider) -> &'static str {
    match provider {
        Provider::Cos => "STANDARD_IA",
        Provider::Oss => "IA",
    }
}

/// `partcopy cp SRC SRC [args]` for the source bucket's `key`.
fn in_place(world: &World, provider: Provider, key: &str, args: &[&str]) -> std::process::Output {
    world
        .command_to(provider, key, buckets(provider).0, key, args)
        .output()
        .unwrap()
}

/// Both sizes: one PUT-Copy, and a multipart copy of four parts.
fn cases(provider: Provider) -> [(&'static str, u64, &'static str, Vec<&'static str>); 2] {
    let part = min_part_bytes(provider);
    let multipart = vec![
        "--threshold",
        min_part(provider),
        "--part-size",
        min_part(provider),
    ];
    [
        ("single", 5000, "single", vec![]),
        ("multipart", 3 * part + 17, "multipart", multipart),
    ]
}

#[test]
fn storage_class_changes_in_place_and_the_rest_stays() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let p = provider.prefix();
        let src = buckets(provider).0;
        for (name, size, mode, extra) in cases(provider) {
            let key = format!("class-{name}");
            let spec = ObjectSpec::generated(size, size ^ 0x33)
                .header("content-type", "video/mp4")
                .header(&format!("{p}-meta-owner"), "alice")
                .tag("team", "media");
            let before = world.emu.create_object(src, &key, spec).unwrap();
            let args = [&["--storage-class", class(provider), "--verify"][..], &extra].concat();
            let summary = copied(&in_place(&world, provider, &key, &args));
            assert_eq!(summary["mode"], mode, "{provider:?} {key}");
            assert_eq!(summary["verified"], true, "{provider:?} {key}");
            let after = world.emu.object_info(src, &key).unwrap();
            assert_eq!(
                (after.size, &after.crc64),
                (before.size, &before.crc64),
                "{provider:?} {key}"
            );
            assert_eq!(
                after
                    .headers
                    .get(&format!("{p}-storage-class"))
                    .map(String::as_str),
                Some(class(provider))
            );
            assert_eq!(
                after.headers.get("content-type").map(String::as_str),
                Some("video/mp4"),
                "{provider:?} {key}"
            );
            assert_eq!(
                after.headers.get(&format!("{p}-meta-owner")).map(String::as_str),
                Some("alice"),
                "{provider:?} {key}"
            );
            assert_eq!(after.tags, before.tags, "{provider:?} {key}");
            assert_eq!(world.open_uploads(provider), 0);
        }
    }
}

#[test]
fn metadata_is_replaced_in_place() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let p = provider.prefix();
        let src = buckets(provider).0;
        for (name, size, mode, extra) in cases(provider) {
            let key = format!("meta-{name}");
            let spec = ObjectSpec::generated(size, size ^ 0x44)
                .header(&format!("{p}-meta-owner"), "alice")
                .header(&format!("{p}-storage-class"), class(provider))
                .tag("team", "media");
            let before = world.emu.create_object(src, &key, spec).unwrap();
            let replace = [
                "--metadata-directive",
                "replace",
                "--meta",
                "owner=bob",
                "--content-type",
                "text/plain",
                "--verify",
            ];
            let args = [&replace[..], &extra].concat();
            let summary = copied(&in_place(&world, provider, &key, &args));
            assert_eq!(summary["mode"], mode, "{provider:?} {key}");
            let after = world.emu.object_info(src, &key).unwrap();
            assert_eq!(
                (after.size, &after.crc64),
                (before.size, &before.crc64),
                "{provider:?} {key}"
            );
            assert_eq!(
                after.headers.get(&format!("{p}-meta-owner")).map(String::as_str),
                Some("bob")
            );
            assert_eq!(
                after.headers.get("content-type").map(String::as_str),
                Some("text/plain")
            );
            // Replace drops the tags, in place as anywhere else; the object keeps its class
            // (`--verify` checked it too).
            assert!(after.tags.is_empty(), "{provider:?} {key}: {:?}", after.tags);
            assert_eq!(
                after
                    .headers
                    .get(&format!("{p}-storage-class"))
                    .map(String::as_str),
                Some(class(provider))
            );
        }
    }
}

#[test]
fn an_in_place_copy_that_changes_nothing_is_refused_before_any_request() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        world.object(provider, "same", 1000, 1);
        let err = failed(&in_place(&world, provider, "same", &[]), 2);
        assert!(err.contains("nothing would change"), "{err}");
        assert!(err.contains("--storage-class"), "{err}");
    }
    assert_eq!(world.count(Api::HeadObject), 0);
}
