//! An archived source (COS ARCHIVE, OSS ColdArchive) cannot be copied until it is restored: a fresh
//! copy is refused after its HEAD, saying to restore it first, with nothing sent for the copy and
//! nothing left behind; one archived in the middle of a checkpointed copy fails with
//! `InvalidObjectState` and keeps its upload, which the rerun after the restore resumes.

mod harness;

use harness::*;
use partcopy_emulator::{Api, FaultPlan, ObjectSpec, Provider};

/// The archive storage class's name and the restore header's, for `provider`.
fn cold(provider: Provider) -> (&'static str, &'static str) {
    match provider {
        Provider::Cos => ("ARCHIVE", "x-cos-restore"),
        Provider::Oss => ("ColdArchive", "x-oss-restore"),
    }
}

fn storage_class_header(provider: Provider) -> String {
    format!("{}-storage-class", provider.prefix())
}

/// A new object in the archive storage class, not restored.
fn archived(world: &World, provider: Provider, key: &str, size: u64) {
    let spec = ObjectSpec::generated(size, 31).header(&storage_class_header(provider), cold(provider).0);
    world.emu.create_object(buckets(provider).0, key, spec).unwrap();
}

/// Moves an existing object to the archive storage class, as a lifecycle rule does, and restores
/// it if `restored`: its content, ETag and last-modified time stay, so a checkpoint still knows it.
fn archive_in_place(world: &World, provider: Provider, key: &str, restored: bool) {
    let (class, restore) = cold(provider);
    let src = buckets(provider).0;
    let before = world.emu.object_info(src, key).unwrap();
    world
        .emu
        .set_header(src, key, &storage_class_header(provider), class)
        .unwrap();
    if restored {
        let done = "ongoing-request=\"false\", expiry-date=\"Sat, 05 Dec 2026 00:00:00 GMT\"";
        world.emu.set_header(src, key, restore, done).unwrap();
    }
    let after = world.emu.object_info(src, key).unwrap();
    assert_eq!(
        (&before.etag, &before.last_modified),
        (&after.etag, &after.last_modified)
    );
}

#[test]
fn an_archived_source_must_be_restored_first() {
    let world = World::new();
    let dir = TempDir::new("archive");
    for provider in [Provider::Cos, Provider::Oss] {
        let multipart = smallest_parts(provider);
        let size = 3 * min_part_bytes(provider) + 1;
        // A fresh copy, with a checkpoint or without: refused after the HEAD, nothing sent for the
        // copy, nothing left behind.
        let with_checkpoint = [&multipart[..], &["--checkpoint-dir", dir.arg()]].concat();
        for (key, size, extra) in [
            ("cold-single", 1000, &[][..]),
            ("cold-multi", size, &multipart[..]),
            ("cold-multi", size, &with_checkpoint[..]),
        ] {
            archived(&world, provider, key, size);
            world.emu.reset_stats();
            let stderr = failed(&world.cp(provider, key, extra), 1);
            assert!(stderr.contains("storage class and not restored"), "{stderr}");
            assert!(stderr.contains("nothing was sent for the copy"), "{stderr}");
            assert!(stderr.contains("coscli restore"), "{stderr}");
            for api in [Api::CopyObject, Api::InitiateMultipartUpload, Api::UploadPartCopy] {
                assert_eq!(world.count(api), 0, "{provider:?} {key}: {api:?}");
            }
            assert!(!world.exists(provider, key), "{provider:?} {key}");
            assert_eq!(world.open_uploads(provider), 0, "{provider:?} {key}");
            assert!(dir.files().is_empty(), "{:?}", dir.files());
        }

        // --dry-run says so.
        let output = world
            .command(provider, "cold-multi", "cold-multi", &["--dry-run"])
            .output()
            .unwrap();
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let class = if provider == Provider::Cos {
            "ARCHIVE"
        } else {
            "ColdArchive"
        };
        assert_eq!(summary["needs_restore"], class, "{summary}");

        // Archived in the middle of a checkpointed copy (a lifecycle rule, say): the rerun reads
        // the source again, is refused with InvalidObjectState, and keeps the upload; restored,
        // the same command resumes it and copies.
        let key = "cold-later";
        world.object(provider, key, size, 31);
        // Written an hour ago, so a restore that wrongly gave it a new date would always show.
        let hour = std::time::Duration::from_secs(3600);
        world.emu.backdate_object(buckets(provider).0, key, hour).unwrap();
        world.emu.set_faults(part_copies_fail_from(2));
        let args = [&with_checkpoint[..], &["-j", "1", "--max-attempts", "1"]].concat();
        failed(&world.cp(provider, key, &args), 1);
        world.emu.set_faults(FaultPlan::default());
        assert_eq!(world.open_uploads(provider), 1);
        archive_in_place(&world, provider, key, false);
        world.emu.reset_stats();
        let stderr = failed(&world.cp(provider, key, &args), 1);
        // The same source as the checkpoint's: its upload is kept, not replaced.
        assert_eq!(world.count(Api::InitiateMultipartUpload), 0, "{stderr}");
        assert_eq!(world.count(Api::AbortMultipartUpload), 0, "{stderr}");
        assert!(stderr.contains("InvalidObjectState (HTTP 403)"), "{stderr}");
        assert!(stderr.contains("archive storage class"), "{stderr}");
        assert!(
            stderr.contains("it resumes the upload kept meanwhile"),
            "{stderr}"
        );
        assert!(stderr.contains("partcopy abort"), "{stderr}");
        assert_eq!(world.open_uploads(provider), 1);
        archive_in_place(&world, provider, key, true);
        world.emu.reset_stats();
        let summary = copied(&world.cp(provider, key, &args));
        assert!(summary.get("restarted").is_none(), "{summary}");
        assert_eq!(world.count(Api::InitiateMultipartUpload), 0, "resumed");
        assert!(world.same(provider, key));
        assert_eq!(world.open_uploads(provider), 0);
        assert!(dir.files().is_empty());
    }
}
