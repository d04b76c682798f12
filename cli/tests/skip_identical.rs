//! `--skip-identical`: a destination that already is what the copy would make — same size and
//! CRC-64, the metadata, tags and storage class asked for — is not copied again (exit 0,
//! `"skipped_because": "identical"`, no write request); any difference, or an absent destination,
//! is copied. In place, an object that already has what is asked of it is left alone.

mod harness;

use harness::*;
use partcopy_emulator::{Api, ObjectSpec, Provider};
use serde_json::Value;

/// Requests that write to the destination.
fn writes(world: &World) -> u64 {
    [
        Api::CopyObject,
        Api::InitiateMultipartUpload,
        Api::UploadPartCopy,
        Api::CompleteMultipartUpload,
    ]
    .into_iter()
    .map(|api| world.count(api))
    .sum()
}

/// A run that must have skipped, sending no write.
fn skipped(world: &World, output: &std::process::Output, what: &str) -> Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["status"], "skipped", "{what}: {summary}");
    assert_eq!(summary["skipped_because"], "identical", "{what}");
    assert_eq!(writes(world), 0, "{what}: nothing written");
    summary
}

/// A run that must have copied.
fn recopied(world: &World, output: &std::process::Output, what: &str) -> Value {
    let summary = copied(output);
    assert!(writes(world) > 0, "{what}: copied");
    summary
}

#[test]
fn a_finished_copy_is_not_copied_again_and_a_changed_destination_is() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        let size = 3 * min_part_bytes(provider) + 1;
        world.object(provider, "big", size, 3);
        let multipart = [&smallest_parts(provider)[..], &["--skip-identical"]].concat();

        // Absent: copied (multipart, so its ETag is not the source's; the CRC-64 still is).
        world.emu.reset_stats();
        let summary = recopied(&world, &world.cp(provider, "big", &multipart), "absent");
        assert_eq!(summary["mode"], "multipart");
        assert!(world.same(provider, "big"));

        // The same again: HEADs and tags only, nothing written.
        world.emu.reset_stats();
        let summary = skipped(&world, &world.cp(provider, "big", &multipart), "rerun");
        assert_eq!(
            summary["requests"], 4,
            "{provider:?}: two HEADs, two GET ?tagging"
        );
        assert_eq!(summary["size"], size, "{provider:?}: the object it already is");
        let etag = world.emu.object_info(dst, "big").unwrap().etag;
        assert_eq!(summary["etag"], format!("\"{etag}\""), "{provider:?}");

        // The destination replaced by other bytes of the same size: copied again.
        world
            .emu
            .create_object(dst, "big", ObjectSpec::generated(size, 99))
            .unwrap();
        world.emu.reset_stats();
        recopied(&world, &world.cp(provider, "big", &multipart), "other bytes");
        assert!(world.same(provider, "big"));

        // Another storage class, other metadata, other tags: each copied once, then skipped.
        let class = match provider {
            Provider::Cos => "STANDARD_IA",
            Provider::Oss => "IA",
        };
        for (what, extra) in [
            ("class", vec!["--storage-class", class]),
            (
                "metadata",
                vec!["--metadata-directive", "replace", "--meta", "owner=alice"],
            ),
            ("tags", vec!["--tag", "team=a"]),
        ] {
            let args = [&multipart[..], &extra[..]].concat();
            world.emu.reset_stats();
            recopied(&world, &world.cp(provider, "big", &args), what);
            world.emu.reset_stats();
            skipped(&world, &world.cp(provider, "big", &args), what);
        }

        // HTTP metadata a copy carries: a destination without the source's Cache-Control is
        // copied again (same bytes, same user metadata).
        world
            .emu
            .create_object(
                buckets(provider).0,
                "cached",
                ObjectSpec::generated(500, 6).header("cache-control", "max-age=60"),
            )
            .unwrap();
        copied(&world.cp(provider, "cached", &["--skip-identical"]));
        world.emu.reset_stats();
        skipped(
            &world,
            &world.cp(provider, "cached", &["--skip-identical"]),
            "cached",
        );
        world
            .emu
            .create_object(dst, "cached", ObjectSpec::generated(500, 6))
            .unwrap();
        world.emu.reset_stats();
        recopied(
            &world,
            &world.cp(provider, "cached", &["--skip-identical"]),
            "no Cache-Control",
        );

        // A single copy, for people: the line says why.
        world.object(provider, "small", 1000, 5);
        copied(&world.cp(provider, "small", &["--skip-identical"]));
        world.emu.reset_stats();
        let output = world
            .command(provider, "small", "small", &["--skip-identical"])
            .args(["--dry-run"])
            .output()
            .unwrap();
        let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["would_skip"], true, "{provider:?}: {summary}");
        let summary = skipped(
            &world,
            &world.cp(provider, "small", &["--skip-identical", "--verify"]),
            "small",
        );
        assert_eq!(summary["verified"], true, "the comparison is the verification");
    }
}

#[test]
fn in_place_only_what_is_not_yet_so_is_rewritten() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, _) = buckets(provider);
        world.object(provider, "k", 2 * min_part_bytes(provider), 8);
        let class = match provider {
            Provider::Cos => "STANDARD_IA",
            Provider::Oss => "IA",
        };
        let args = ["--storage-class", class, "--skip-identical"];
        let run = || world.command_to(provider, "k", src, "k", &args).output().unwrap();
        world.emu.reset_stats();
        recopied(&world, &run(), "in place, another class");
        world.emu.reset_stats();
        skipped(&world, &run(), "in place, already that class");
    }
}

#[test]
fn skip_identical_goes_without_no_overwrite_and_acl() {
    let world = World::new();
    world.object(Provider::Cos, "k", 10, 1);
    for extra in [["--no-overwrite"], ["--acl=private"]] {
        let args = [&["--skip-identical"][..], &extra[..]].concat();
        let output = world.command(Provider::Cos, "k", "k", &args).output().unwrap();
        let stderr = failed(&output, 2);
        assert!(stderr.contains("--skip-identical"), "{extra:?}: {stderr}");
    }
    assert_eq!(writes(&world), 0);
}
