//! An archived source (COS ARCHIVE, OSS ColdArchive) cannot be copied until it is restored: the
//! copy fails with `InvalidObjectState`, says to restore it first, and leaves nothing behind (or,
//! with a checkpoint, an upload that the rerun after the restore resumes). A restored one copies.

mod harness;

use harness::*;
use partcopy_emulator::{Api, ObjectSpec, Provider};

fn archived(world: &World, provider: Provider, key: &str, size: u64, restored: bool) {
    let (class, restore) = match provider {
        Provider::Cos => ("ARCHIVE", "x-cos-restore"),
        Provider::Oss => ("ColdArchive", "x-oss-restore"),
    };
    let mut spec =
        ObjectSpec::generated(size, 31).header(&format!("{}-storage-class", provider.prefix()), class);
    if restored {
        spec = spec.header(
            restore,
            "ongoing-request=\"false\", expiry-date=\"Sat, 05 Dec 2026 00:00:00 GMT\"",
        );
    }
    world.emu.create_object(buckets(provider).0, key, spec).unwrap();
}

#[test]
fn an_archived_source_must_be_restored_first() {
    let world = World::new();
    let dir = TempDir::new("archive");
    for provider in [Provider::Cos, Provider::Oss] {
        let multipart = smallest_parts(provider);
        let size = 3 * min_part_bytes(provider) + 1;
        for (key, size, extra) in [
            ("cold-single", 1000, &[][..]),
            ("cold-multi", size, &multipart[..]),
        ] {
            archived(&world, provider, key, size, false);
            world.emu.reset_stats();
            let stderr = failed(&world.cp(provider, key, extra), 1);
            assert!(stderr.contains("InvalidObjectState (HTTP 403)"), "{stderr}");
            assert!(stderr.contains("archive storage class"), "{stderr}");
            assert!(stderr.contains("restore"), "{stderr}");
            assert!(!world.exists(provider, key), "{provider:?} {key}");
            assert_eq!(world.open_uploads(provider), 0, "{provider:?} {key}: aborted");
        }

        // With a checkpoint the upload is kept; restored, the same command resumes it and copies.
        let args = [&multipart[..], &["--checkpoint-dir", dir.arg()]].concat();
        let stderr = failed(&world.cp(provider, "cold-multi", &args), 1);
        assert!(
            stderr.contains("it resumes the upload kept meanwhile"),
            "{stderr}"
        );
        assert!(stderr.contains("partcopy abort"), "{stderr}");
        assert_eq!(world.open_uploads(provider), 1);
        archived(&world, provider, "cold-multi", size, true);
        world.emu.reset_stats();
        let summary = copied(&world.cp(provider, "cold-multi", &args));
        assert!(summary.get("restarted").is_none(), "{summary}");
        assert_eq!(world.count(Api::InitiateMultipartUpload), 0, "resumed");
        assert!(world.same(provider, "cold-multi"));
        assert_eq!(world.open_uploads(provider), 0);
        assert!(dir.files().is_empty());
    }
}
