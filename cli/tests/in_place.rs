//! A copy onto its own source rewrites the object in place: to change its storage class (keeping
//! its metadata and tags) or to replace its metadata (keeping its storage class). Single and
//! multipart, both providers, checked
//! with `--verify` and against the emulator's record of the object. A copy in place that would
//! change nothing is refused before any request.

mod harness;

use harness::*;
use partcopy_emulator::{Api, FaultPlan, ObjectInfo, ObjectSpec, Provider};

/// A class the provider knows, other than its default.
fn class(provider: Provider) -> &'static str {
    match provider {
        Provider::Cos => "STANDARD_IA",
        Provider::Oss => "IA",
    }
}

/// One object before and after a copy in place.
struct Rewrite {
    before: ObjectInfo,
    after: ObjectInfo,
    prefix: &'static str,
    /// GET `?tagging` requests the run sent.
    tagging_reads: u64,
}

impl Rewrite {
    /// Creates `spec` as the source bucket's `key`, runs `partcopy cp SRC SRC --verify [args]`,
    /// checks that it succeeded in `mode` with the content unchanged, and reads the object again.
    fn run(
        world: &World,
        provider: Provider,
        key: &str,
        spec: ObjectSpec,
        mode: &str,
        args: &[&str],
    ) -> Rewrite {
        let src = buckets(provider).0;
        let before = world.emu.create_object(src, key, spec).unwrap();
        let args = [args, &["--verify"]].concat();
        world.emu.reset_stats();
        let output = world.command_to(provider, key, src, key, &args).output().unwrap();
        let tagging_reads = world.count(Api::GetObjectTagging);
        let summary = copied(&output);
        assert_eq!(summary["mode"], mode, "{provider:?} {key}");
        assert_eq!(summary["verified"], true, "{provider:?} {key}");
        let after = world.emu.object_info(src, key).unwrap();
        assert_eq!(
            (after.size, &after.crc64),
            (before.size, &before.crc64),
            "{provider:?} {key}"
        );
        assert_eq!(world.open_uploads(provider), 0);
        Rewrite {
            before,
            after,
            prefix: provider.prefix(),
            tagging_reads,
        }
    }

    /// A metadata header of the object after the copy; `x-` names take the provider's prefix.
    fn header(&self, name: &str) -> Option<&str> {
        let name = match name.strip_prefix("x-") {
            Some(rest) => format!("{}-{rest}", self.prefix),
            None => name.to_string(),
        };
        self.after.headers.get(&name).map(String::as_str)
    }
}

/// Both sizes: one PUT-Copy, and a multipart copy of four parts.
fn cases(provider: Provider) -> [(&'static str, u64, &'static str, Vec<&'static str>); 2] {
    let part = min_part_bytes(provider);
    let multipart = smallest_parts(provider).to_vec();
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
        for (name, size, mode, extra) in cases(provider) {
            let key = format!("class-{name}");
            let spec = ObjectSpec::generated(size, size ^ 0x33)
                .header("content-type", "video/mp4")
                .header(&format!("{p}-meta-owner"), "alice")
                .tag("team", "media");
            let args = [&["--storage-class", class(provider)][..], &extra].concat();
            let r = Rewrite::run(&world, provider, &key, spec, mode, &args);
            assert_eq!(r.header("x-storage-class"), Some(class(provider)), "{key}");
            assert_eq!(r.header("content-type"), Some("video/mp4"), "{key}");
            assert_eq!(r.header("x-meta-owner"), Some("alice"), "{key}");
            assert_eq!(r.after.tags, r.before.tags, "{key}");
            // Only a multipart copy reads the tags (to pass them to Initiate); `--verify` in place
            // does not compare them, so it does not read them either.
            assert_eq!(r.tagging_reads, u64::from(mode == "multipart"), "{key}");
        }
    }
}

#[test]
fn metadata_is_replaced_in_place() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let p = provider.prefix();
        for (name, size, mode, extra) in cases(provider) {
            let key = format!("meta-{name}");
            let spec = ObjectSpec::generated(size, size ^ 0x44)
                .header(&format!("{p}-meta-owner"), "alice")
                .header(&format!("{p}-storage-class"), class(provider))
                .tag("team", "media");
            let replace = [
                "--metadata-directive",
                "replace",
                "--meta",
                "owner=bob",
                "--content-type",
                "text/plain",
            ];
            let args = [&replace[..], &extra].concat();
            let r = Rewrite::run(&world, provider, &key, spec, mode, &args);
            assert_eq!(r.header("x-meta-owner"), Some("bob"), "{key}");
            assert_eq!(r.header("content-type"), Some("text/plain"), "{key}");
            // Replace drops the tags, in place as anywhere else; the object keeps its class
            // (`--verify` checked it too).
            assert!(r.after.tags.is_empty(), "{provider:?} {key}: {:?}", r.after.tags);
            assert_eq!(r.header("x-storage-class"), Some(class(provider)), "{key}");
        }
    }
}

#[test]
fn an_in_place_copy_that_changes_nothing_is_refused_before_any_request() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        world.object(provider, "same", 1000, 1);
        let (src, _) = buckets(provider);
        let output = world
            .command_to(provider, "same", src, "same", &[])
            .output()
            .unwrap();
        let err = failed(&output, 2);
        assert!(err.contains("nothing would change"), "{err}");
        assert!(err.contains("--storage-class"), "{err}");
    }
    assert_eq!(world.count(Api::HeadObject), 0);
}

/// In place, a run whose Complete took effect but went unanswered leaves a checkpoint of a source
/// that has "changed" (it is now the copy). The rerun lists the upload, finds it gone, and judges
/// the object against the source the checkpoint recorded (its CRC-64), so it copies nothing again.
#[test]
fn a_rerun_after_an_unanswered_in_place_complete_copies_nothing_again() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let dir = TempDir::new(&format!("in-place-completed-{provider:?}"));
        let key = "in-place-completed";
        let src = buckets(provider).0;
        world.object(provider, key, 4 * min_part_bytes(provider) + 3, 0xC1);
        let before = world.emu.object_info(src, key).unwrap();
        let args = [
            &["--storage-class", class(provider)][..],
            &smallest_parts(provider),
            &["--max-attempts", "1", "--checkpoint-dir", dir.arg()],
        ]
        .concat();
        let run = || world.command_to(provider, key, src, key, &args).output().unwrap();
        world.emu.reset_stats();
        world
            .emu
            .set_faults(only(Api::CompleteMultipartUpload, lose_first_answer()));
        let stderr = failed(&run(), 1);
        assert!(
            stderr.contains("run the same command again to resume"),
            "{stderr}"
        );
        assert_eq!(dir.files().len(), 1, "{provider:?}: the checkpoint is kept");
        world.emu.set_faults(FaultPlan::default());
        world.emu.reset_stats();

        let summary = copied(&run());
        assert_eq!(summary["confirmed"], "crc64", "{provider:?}");
        assert_eq!(summary["resumed_parts"], 5, "{provider:?}");
        assert_eq!(world.count(Api::UploadPartCopy), 0, "{provider:?}");
        assert_eq!(world.count(Api::InitiateMultipartUpload), 0, "{provider:?}");
        let after = world.emu.object_info(src, key).unwrap();
        assert_eq!((after.size, &after.crc64), (before.size, &before.crc64));
        assert!(dir.files().is_empty(), "{provider:?}: the checkpoint is removed");
    }
}

/// In place, a PUT-Copy rewrites the object, and the object's ETag may change with it (here: a
/// multipart object becomes a single-part one). When the first attempt's answer is lost, the
/// retry's `If-Match` fails; partcopy then HEADs the object and finds it is its copy (its CRC-64 and
/// the class asked for) instead of reporting a changed source.
#[test]
fn a_lost_answer_to_an_in_place_put_copy_is_confirmed() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let src = buckets(provider).0;
        let key = "in-place-lost-copy";
        world.object(provider, key, 3 * min_part_bytes(provider) + 5, 0xC2);
        let run = |args: &[&str]| world.command_to(provider, key, src, key, args).output().unwrap();
        // First make it a multipart object, with a multipart copy in place.
        let multipart = [
            &["--storage-class", class(provider)][..],
            &smallest_parts(provider),
        ]
        .concat();
        copied(&run(&multipart));
        let before = world.emu.object_info(src, key).unwrap();
        assert!(before.etag.contains('-'), "{}", before.etag);

        let standard = match provider {
            Provider::Cos => "STANDARD",
            Provider::Oss => "Standard",
        };
        world.emu.reset_stats();
        world.emu.set_faults(only(Api::CopyObject, lose_first_answer()));
        let output = run(&["--storage-class", standard]);
        world.emu.set_faults(FaultPlan::default());
        let summary = copied(&output);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("PUT-Copy's answer never arrived"), "{stderr}");
        assert_eq!(summary["mode"], "single", "{provider:?}");
        assert_eq!(summary["confirmed"], "crc64", "{provider:?}");
        assert_eq!(world.count(Api::CopyObject), 2, "{provider:?}");
        let after = world.emu.object_info(src, key).unwrap();
        assert_ne!(after.etag, before.etag);
        assert_eq!((after.size, &after.crc64), (before.size, &before.crc64));
        let p = provider.prefix();
        assert_eq!(
            after
                .headers
                .get(&format!("{p}-storage-class"))
                .map(String::as_str),
            Some(standard)
        );
    }
}
