//! Resumable copies end to end: rerunning resumes (across List Parts pages); a source changed or
//! retagged between runs, other options for the new object or an upload that is gone starts over
//! and says so; an upload completed by a run that never heard back is recognised and not copied
//! again; a damaged checkpoint header is a clear error naming the file, a torn tail is ignored, and
//! Ctrl-C exits 130 saying how to resume.

mod harness;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use harness::*;
use partcopy_core::checkpoint::{decode_journal, encode, Record};
use partcopy_core::ops::{Operation, Reply};
use partcopy_emulator::{Api, FaultPlan, ObjectSpec, OpFaults, Provider};
use partcopy_protocol::credentials::Credentials;
use partcopy_protocol::endpoint::{Endpoint, ObjectAddress, Provider as WireProvider};
use partcopy_protocol::sign::{OssSignature, Signer};
use partcopy_transport_hyper::{HyperConfig, HyperTransport, ProtocolWire, Transport, Wire};

/// Multipart copy of `parts` smallest parts, one at a time, resumable in `dir`.
fn args<'a>(provider: Provider, dir: &'a TempDir, concurrency: &'a str) -> Vec<&'a str> {
    vec![
        "--threshold",
        min_part(provider),
        "--part-size",
        min_part(provider),
        "-j",
        concurrency,
        "--max-attempts",
        "1",
        "--checkpoint-dir",
        dir.arg(),
    ]
}

/// A first run that copies `done` parts then fails, keeping its upload and checkpoint.
fn interrupted_run(world: &World, provider: Provider, key: &str, args: &[&str], done: u64) -> String {
    world.emu.set_faults(part_copies_fail_from(done + 1));
    world.emu.reset_stats();
    let stderr = failed(&world.cp(provider, key, args), 1);
    assert!(
        stderr.contains("run the same command again to resume"),
        "{stderr}"
    );
    assert_eq!(world.open_uploads(provider), 1);
    world.emu.set_faults(FaultPlan::default());
    world.emu.reset_stats();
    world.emu.uploads()[0].upload_id.clone()
}

/// 1,030 parts, about 1,010 done by the first run: the second run lists them over two List Parts
/// pages, copies only the rest, completes, and removes the checkpoint. The checkpoint is `0600`.
#[test]
fn rerunning_the_same_command_resumes_and_copies_only_what_is_missing() {
    let world = World::new();
    let dir = TempDir::new("resume-pages");
    let provider = Provider::Oss;
    let parts = 1030;
    world.object(provider, "pages", parts * min_part_bytes(provider), 11);
    let args = args(provider, &dir, "16");
    interrupted_run(&world, provider, "pages", &args, 1010);
    let journal = dir.journal();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&journal).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the checkpoint is private");
    }
    let (records, _) = decode_journal(&std::fs::read(&journal).unwrap()).unwrap();
    let journaled = records.len() as u64 - 1;
    assert!(journaled >= 1000, "{journaled} parts journaled");

    let summary = copied(&world.cp(provider, "pages", &args));
    let resumed = summary["resumed_parts"].as_u64().unwrap();
    assert!(resumed >= journaled, "{resumed} resumed, {journaled} journaled");
    assert_eq!(summary["parts"], parts);
    assert_eq!(
        world.count(Api::UploadPartCopy),
        parts - resumed,
        "only the missing parts"
    );
    assert_eq!(world.count(Api::ListParts), 2, "two pages of 1,000");
    assert_eq!(world.count(Api::InitiateMultipartUpload), 0);
    assert!(world.same(provider, "pages"));
    assert_eq!(world.open_uploads(provider), 0);
    assert!(dir.files().is_empty(), "the checkpoint is removed after Complete");
}

/// The source is replaced between the runs: the second run aborts the old upload, starts over,
/// says so, and copies the new version.
#[test]
fn a_source_changed_between_runs_aborts_the_old_upload_and_starts_over() {
    let world = World::new();
    let dir = TempDir::new("resume-changed");
    for provider in [Provider::Cos, Provider::Oss] {
        let size = 10 * min_part_bytes(provider);
        world.object(provider, "changed", size, 1);
        let args = args(provider, &dir, "1");
        let old_upload = interrupted_run(&world, provider, "changed", &args, 4);
        world.object(provider, "changed", size, 2);
        let output = world.cp(provider, "changed", &args);
        let summary = copied(&output);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("did not resume: the source changed since the checkpoint"),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("upload {old_upload} was aborted")),
            "{stderr}"
        );
        assert!(stderr.contains("started over"), "{stderr}");
        assert_eq!(summary["resumed_parts"], 0);
        assert_eq!(world.count(Api::AbortMultipartUpload), 1);
        assert_eq!(world.count(Api::UploadPartCopy), 10);
        assert!(world.same(provider, "changed"), "{provider:?}: the new version");
        assert_eq!(world.open_uploads(provider), 0);
        assert!(dir.files().is_empty());
    }
}

/// Retagging the source changes neither its ETag nor its date, but the first run's Initiate fixed
/// the tags the copy gets: a rerun reads them again, resumes when they are the same, and starts
/// over with the new ones when not — the copy never completes with tags its source no longer has.
#[test]
fn a_source_retagged_between_runs_starts_over_with_its_new_tags() {
    let world = World::new();
    let dir = TempDir::new("resume-retagged");
    let tags = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        let spec = ObjectSpec::generated(6 * min_part_bytes(provider), 3)
            .tag("team", "media")
            .tag("env", "prod");
        let before = world.emu.create_object(src, "retagged", spec).unwrap();
        let args = args(provider, &dir, "1");

        // Same tags, listed in another order: resumed.
        let old_upload = interrupted_run(&world, provider, "retagged", &args, 2);
        world
            .emu
            .set_tags(src, "retagged", tags(&[("env", "prod"), ("team", "media")]))
            .unwrap();
        let summary = copied(&world.cp(provider, "retagged", &args));
        assert!(summary.get("restarted").is_none(), "{provider:?}: {summary}");
        assert_eq!(summary["resumed_parts"], 2, "{provider:?}");
        assert_eq!(summary["upload_id"], old_upload.as_str(), "{provider:?}");
        assert_eq!(world.count(Api::GetObjectTagging), 1, "{provider:?}");
        assert_eq!(world.count(Api::InitiateMultipartUpload), 0, "{provider:?}");

        // A tag changed: the old upload is aborted and the copy gets the new tags.
        let old_upload = interrupted_run(&world, provider, "retagged", &args, 2);
        let after = world
            .emu
            .set_tags(src, "retagged", tags(&[("team", "web"), ("env", "prod")]))
            .unwrap();
        assert_eq!(
            (&after.etag, after.last_modified),
            (&before.etag, before.last_modified)
        );
        let output = world.cp(provider, "retagged", &args);
        let summary = copied(&output);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(summary["restarted"], "source_changed", "{provider:?}: {summary}");
        assert!(
            stderr.contains(&format!("upload {old_upload} was aborted")),
            "{stderr}"
        );
        assert_eq!(summary["resumed_parts"], 0, "{provider:?}");
        assert_eq!(world.count(Api::AbortMultipartUpload), 1, "{provider:?}");
        assert_eq!(world.count(Api::UploadPartCopy), 6, "{provider:?}");
        let mut found = world.emu.object_info(dst, "retagged").unwrap().tags;
        found.sort();
        assert_eq!(found, tags(&[("env", "prod"), ("team", "web")]), "{provider:?}");
        assert!(world.same(provider, "retagged"));
        assert_eq!(world.open_uploads(provider), 0);
        assert!(dir.files().is_empty());
    }
}

/// Initiate fixed the first run's storage class (and, on COS, ACL): a rerun asking for another
/// aborts the old upload and starts over, so that the copy gets what the rerun asked for rather
/// than the first run's. OSS takes the ACL on Complete, so there a new ACL alone resumes.
#[test]
fn a_rerun_with_other_object_options_starts_over_with_them() {
    let world = World::new();
    let dir = TempDir::new("resume-options");
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        let class_header = format!("{}-storage-class", provider.prefix());
        let (first_class, second_class) = match provider {
            Provider::Cos => ("STANDARD_IA", "ARCHIVE"),
            Provider::Oss => ("IA", "Archive"),
        };
        let size = 10 * min_part_bytes(provider);
        world.object(provider, "options", size, 5);
        let base = args(provider, &dir, "1");
        let first = [&base[..], &["--storage-class", first_class, "--acl", "private"]].concat();
        let old_upload = interrupted_run(&world, provider, "options", &first, 4);

        // Another ACL: COS restarts (Initiate took it), OSS resumes (Complete takes it).
        let acl = [
            &base[..],
            &["--storage-class", first_class, "--acl", "public-read"],
        ]
        .concat();
        if provider == Provider::Oss {
            world.emu.set_faults(part_copies_fail_from(3));
            failed(&world.cp(provider, "options", &acl), 1);
            assert_eq!(world.emu.uploads()[0].upload_id, old_upload, "resumed");
            world.emu.set_faults(FaultPlan::default());
            world.emu.reset_stats();
        } else {
            let output = world.cp(provider, "options", &acl);
            let summary = copied(&output);
            assert_eq!(summary["restarted"], "options_changed", "{provider:?}");
            let info = world.emu.object_info(dst, "options").unwrap();
            assert_eq!(info.acl.as_deref(), Some("public-read"));
            // Start again from an interrupted first run for the storage class.
            interrupted_run(&world, provider, "options", &first, 4);
        }

        let second = [
            &base[..],
            &["--storage-class", second_class, "--acl", "public-read"],
        ]
        .concat();
        let output = world.cp(provider, "options", &second);
        let summary = copied(&output);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("did not resume: the new object's options (metadata, storage class, tags or ACL) differ from the checkpoint's"),
            "{provider:?}: {stderr}"
        );
        assert!(stderr.contains("was aborted"), "{stderr}");
        assert_eq!(summary["restarted"], "options_changed", "{provider:?}");
        assert_eq!(summary["resumed_parts"], 0);
        assert_eq!(world.count(Api::AbortMultipartUpload), 1);
        assert_eq!(world.count(Api::UploadPartCopy), 10);
        assert!(world.same(provider, "options"));
        let info = world.emu.object_info(dst, "options").unwrap();
        assert_eq!(
            info.headers.get(&class_header).map(String::as_str),
            Some(second_class),
            "{provider:?}: {:?}",
            info.headers
        );
        assert_eq!(info.acl.as_deref(), Some("public-read"), "{provider:?}");
        assert_eq!(world.open_uploads(provider), 0);
        assert!(dir.files().is_empty());

        // The same options twice resume as before (and `restarted` is absent).
        interrupted_run(&world, provider, "options", &second, 4);
        let summary = copied(&world.cp(provider, "options", &second));
        assert!(summary.get("restarted").is_none(), "{summary}");
        assert_eq!(summary["resumed_parts"], 4);
    }
}

/// Aborts `upload_id` behind partcopy's back, with the protocol crate and the hyper transport.
fn abort_out_of_band(world: &World, key: &str, upload_id: &str) {
    let keys = world.emu.credentials(Provider::Oss);
    let endpoint = Endpoint::parse(&world.emu.endpoint()).unwrap();
    let address = |bucket: &str| {
        ObjectAddress::new(WireProvider::Oss, "cn-hangzhou", bucket, key).with_endpoint(endpoint.clone())
    };
    let wire = ProtocolWire::new(
        address(OSS_SRC),
        address(OSS_DST),
        Signer::oss(
            OssSignature::V4,
            Credentials::new(keys.access_key_id.clone(), keys.secret.clone()),
        ),
    );
    let op = Operation::Abort {
        upload_id: upload_id.to_string(),
    };
    let request = wire.request(&op, SystemTime::now()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let transport = HyperTransport::new(HyperConfig::default()).unwrap();
    let response = runtime.block_on(transport.send(request)).unwrap();
    assert!(matches!(wire.reply(&op, &response), Ok(Reply::Aborted)));
}

/// The checkpoint's upload was aborted by someone else (or expired): the rerun starts over cleanly
/// with a new upload and says so.
#[test]
fn an_upload_that_is_gone_starts_over_cleanly() {
    let world = World::new();
    let dir = TempDir::new("resume-gone");
    let provider = Provider::Oss;
    world.object(provider, "gone", 8 * min_part_bytes(provider), 3);
    let args = args(provider, &dir, "2");
    let upload_id = interrupted_run(&world, provider, "gone", &args, 3);
    abort_out_of_band(&world, "gone", &upload_id);
    assert_eq!(world.open_uploads(provider), 0);
    world.emu.reset_stats();

    let output = world.cp(provider, "gone", &args);
    let summary = copied(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("did not resume: the checkpoint's upload no longer exists"),
        "{stderr}"
    );
    assert_eq!(summary["resumed_parts"], 0);
    assert_ne!(summary["upload_id"], upload_id.as_str());
    assert_eq!(world.count(Api::InitiateMultipartUpload), 1);
    assert_eq!(world.count(Api::UploadPartCopy), 8);
    assert!(world.same(provider, "gone"));
    assert!(dir.files().is_empty());
}

/// A run whose Complete took effect but whose answer never came (as if killed between Complete
/// and removing its checkpoint) keeps its checkpoint; the rerun finds the upload gone, sees that
/// the destination is the completed copy (by its CRC-64), and copies nothing again.
#[test]
fn a_rerun_after_a_completed_but_unanswered_upload_copies_nothing_again() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let dir = TempDir::new(&format!("resume-completed-{provider:?}"));
        let key = "completed";
        world.object(provider, key, 5 * min_part_bytes(provider) + 7, 0xC0);
        let args = args(provider, &dir, "2");
        // `fail_nth` counts requests since the last reset.
        world.emu.reset_stats();
        world
            .emu
            .set_faults(only(Api::CompleteMultipartUpload, lose_first_answer()));
        let stderr = failed(&world.cp(provider, key, &args), 1);
        assert!(
            stderr.contains("run the same command again to resume"),
            "{stderr}"
        );
        assert!(
            world.same(provider, key),
            "{provider:?}: the Complete took effect"
        );
        assert_eq!(dir.files().len(), 1, "{provider:?}: the checkpoint is kept");
        world.emu.set_faults(FaultPlan::default());
        world.emu.reset_stats();

        let output = world.cp(provider, key, &args);
        let summary = copied(&output);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("the destination is the completed upload (its CRC-64 equals the source's)"),
            "{provider:?}: {stderr}"
        );
        assert_eq!(summary["parts"], 6, "{provider:?}");
        assert_eq!(summary["resumed_parts"], 6, "{provider:?}");
        assert_eq!(summary["confirmed"], "crc64", "{provider:?}");
        assert_eq!(world.count(Api::UploadPartCopy), 0, "{provider:?}");
        assert_eq!(world.count(Api::CompleteMultipartUpload), 0, "{provider:?}");
        assert_eq!(world.count(Api::InitiateMultipartUpload), 0, "{provider:?}");
        assert!(world.same(provider, key), "{provider:?}");
        assert!(dir.files().is_empty(), "{provider:?}: the checkpoint is removed");
    }
}

/// A damaged header is refused before anything is sent, naming the file and what to do; a torn
/// final record is dropped and the copy resumes from the records before it.
#[test]
fn a_damaged_header_is_a_clear_error_and_a_torn_tail_is_ignored() {
    let world = World::new();
    let dir = TempDir::new("resume-damaged");
    let provider = Provider::Cos;
    world.object(provider, "damaged", 6 * MIB, 4);
    let args = args(provider, &dir, "1");
    interrupted_run(&world, provider, "damaged", &args, 3);
    let journal = dir.journal();
    let good = std::fs::read(&journal).unwrap();

    // Torn tail: half of one more part record, as a crash in the middle of a write leaves it.
    let mut torn = good.clone();
    let record = encode(&Record::Part {
        number: 4,
        etag: "\"0123456789abcdef\"".to_string(),
    });
    torn.extend_from_slice(&record[..record.len() / 2]);
    std::fs::write(&journal, &torn).unwrap();
    let summary = copied(&world.cp(provider, "damaged", &args));
    assert_eq!(summary["resumed_parts"], 3);
    assert_eq!(world.count(Api::UploadPartCopy), 3);
    assert!(world.same(provider, "damaged"));

    // Damaged header: one flipped byte in the first record.
    interrupted_run(&world, provider, "damaged", &args, 2);
    let journal = dir.journal();
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes[12] ^= 0x55;
    std::fs::write(&journal, &bytes).unwrap();
    let stderr = failed(&world.cp(provider, "damaged", &args), 2);
    assert!(
        stderr.contains(journal.to_str().unwrap()),
        "names the file: {stderr}"
    );
    assert!(stderr.contains("unusable"), "{stderr}");
    assert!(stderr.contains("delete it to start the copy afresh"), "{stderr}");
    assert_eq!(world.count(Api::HeadObject), 0, "nothing was sent");
}

/// Spawns the copy, waits until `parts` part copies have been answered, sends SIGINT.
#[cfg(unix)]
fn interrupt_after(world: &World, mut command: Command, parts: u64) -> std::process::Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while world.count(Api::UploadPartCopy) < parts {
        assert!(Instant::now() < deadline, "the copy never started");
        std::thread::sleep(Duration::from_millis(2));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait_with_output().unwrap()
}

/// Ctrl-C stops the copy with exit status 130: with a checkpoint the upload is kept and the message
/// says how to resume (and resuming works); without one the upload is aborted.
#[cfg(unix)]
#[test]
fn ctrl_c_exits_130_saying_how_to_resume() {
    let world = World::new();
    let dir = TempDir::new("resume-ctrl-c");
    let provider = Provider::Cos;
    world.object(provider, "ctrl-c", 60 * MIB, 5);
    world.emu.set_faults(only(
        Api::UploadPartCopy,
        OpFaults {
            latency_ms: 40,
            ..OpFaults::default()
        },
    ));
    let base = ["--threshold", "1MiB", "--part-size", "1MiB", "-j", "2"];

    world.emu.reset_stats();
    let output = interrupt_after(&world, world.command(provider, "ctrl-c", "ctrl-c", &base), 4);
    let stderr = failed(&output, 130);
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stderr.contains("the multipart upload was aborted"), "{stderr}");
    assert!(stderr.contains("--checkpoint-dir"), "{stderr}");
    assert_eq!(world.open_uploads(provider), 0, "aborted");
    assert!(!world.exists(provider, "ctrl-c"));

    let resumable = [&base[..], &["--checkpoint-dir", dir.arg()]].concat();
    world.emu.reset_stats();
    let output = interrupt_after(&world, world.command(provider, "ctrl-c", "ctrl-c", &resumable), 4);
    let stderr = failed(&output, 130);
    assert!(stderr.contains("was kept so the copy can be resumed"), "{stderr}");
    assert!(
        stderr.contains("run the same command again to resume"),
        "{stderr}"
    );
    let journal = dir.journal();
    assert!(stderr.contains(journal.to_str().unwrap()), "{stderr}");
    assert_eq!(world.open_uploads(provider), 1, "kept");
    let done = world.emu.uploads()[0].parts.len() as u64;
    assert!(done >= 4, "{done}");

    world.emu.set_faults(FaultPlan::default());
    world.emu.reset_stats();
    let summary = copied(&world.cp(provider, "ctrl-c", &resumable));
    assert_eq!(summary["resumed_parts"], done);
    assert_eq!(world.count(Api::UploadPartCopy), 60 - done);
    assert!(world.same(provider, "ctrl-c"));
}
