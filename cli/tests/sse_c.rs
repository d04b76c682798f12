//! COS objects encrypted with customer-provided keys (SSE-C): `--src-sse-c-key-file` opens the
//! source, `--sse-c-key-file` keys the copy (the source's key by default, none with `--no-sse-c`),
//! single and multipart, elsewhere and in place; a missing or wrong key fails with a hint, OSS and bad key files are usage errors, the key never
//! shows, and a checkpoint's upload is never resumed under another key.

mod harness;

use std::path::PathBuf;

use harness::*;
use partcopy_emulator::sse_c::{self, KEY_MD5_HEADER};
use partcopy_emulator::{Api, FaultPlan, ObjectSpec, OpFaults, Provider};
use partcopy_protocol::customer_key::CustomerKey;

const COS: Provider = Provider::Cos;

/// A key from `byte`, and a file holding it: raw bytes, or base64 text when `text`.
fn key_file(dir: &TempDir, byte: u8, text: bool) -> (CustomerKey, PathBuf) {
    let raw = [byte; 32];
    let key = CustomerKey::new(raw);
    let path = dir.path().join(format!("key-{byte}"));
    if text {
        std::fs::write(&path, format!("{}\n", key.key_base64())).unwrap();
    } else {
        std::fs::write(&path, raw).unwrap();
    }
    set_mode(&path, 0o644);
    (key, path)
}

/// A COS source object `name` of `size` bytes encrypted with `key`.
fn encrypted_source(world: &World, name: &str, size: u64, key: &CustomerKey) {
    let spec = sse_c::stored_headers(key.key_md5())
        .iter()
        .fold(ObjectSpec::generated(size, 17), |spec, (n, v)| spec.header(n, v));
    world.emu.create_object(COS_SRC, name, spec).unwrap();
}

/// The MD5 of the key the destination `name` is stored under, if any.
fn dest_key_md5(world: &World, name: &str) -> Option<String> {
    world
        .emu
        .object_info(COS_DST, name)
        .unwrap()
        .headers
        .get(KEY_MD5_HEADER)
        .cloned()
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn arg(path: &std::path::Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn encrypted_sources_copy_under_the_right_key() {
    let world = World::new();
    let dir = TempDir::new("sse-c-keys");
    let (source_key, source_file) = key_file(&dir, 1, false);
    let (other_key, other_file) = key_file(&dir, 2, true);
    let multipart = smallest_parts(COS);
    for (name, size, parts) in [
        ("ssec-single", 3000, &[][..]),
        ("ssec-multi", 4 * MIB + 5, &multipart[..]),
    ] {
        encrypted_source(&world, name, size, &source_key);

        // The source's key alone: the copy keeps it.
        let args = [parts, &["--src-sse-c-key-file", arg(&source_file), "--verify"]].concat();
        let summary = copied(&world.cp(COS, name, &args));
        assert_eq!(summary["verified"], true, "{name}");
        assert!(world.same(COS, name), "{name}");
        assert_eq!(
            dest_key_md5(&world, name).as_deref(),
            Some(source_key.key_md5()),
            "{name}"
        );

        // Both keys: the copy is re-keyed (the key file in base64 text).
        let args = [
            parts,
            &[
                "--src-sse-c-key-file",
                arg(&source_file),
                "--sse-c-key-file",
                arg(&other_file),
                "--verify",
            ],
        ]
        .concat();
        copied(&world.cp(COS, name, &args));
        assert!(world.same(COS, name), "{name}");
        assert_eq!(
            dest_key_md5(&world, name).as_deref(),
            Some(other_key.key_md5()),
            "{name}"
        );

        // --skip-identical: under the other key the destination cannot be HEADed with the
        // source's, so it is not shown the same and is copied (keyed back); then it is skipped.
        let again = [
            parts,
            &["--src-sse-c-key-file", arg(&source_file), "--skip-identical"],
        ]
        .concat();
        copied(&world.cp(COS, name, &again));
        assert_eq!(
            dest_key_md5(&world, name).as_deref(),
            Some(source_key.key_md5()),
            "{name}"
        );
        let summary: serde_json::Value = serde_json::from_slice(&world.cp(COS, name, &again).stdout).unwrap();
        assert_eq!(summary["skipped_because"], "identical", "{name}: {summary}");

        // No key: HEAD is refused, and the hint says which option gives it.
        let stderr = failed(&world.cp(COS, name, parts), 1);
        assert!(stderr.contains("HTTP 400"), "{stderr}");
        assert!(stderr.contains("--src-sse-c-key-file"), "{stderr}");
        // A wrong key: the same, and the hint says to check it.
        let args = [parts, &["--src-sse-c-key-file", arg(&other_file)]].concat();
        let stderr = failed(&world.cp(COS, name, &args), 1);
        assert!(stderr.contains("check that --src-sse-c-key-file"), "{stderr}");
    }
    // A plain source encrypted on the way (multipart).
    world.object(COS, "plain-to-ssec", 3 * MIB + 1, 5);
    let args = [
        &multipart[..],
        &["--sse-c-key-file", arg(&other_file), "--verify"],
    ]
    .concat();
    let summary = copied(&world.cp(COS, "plain-to-ssec", &args));
    assert_eq!(summary["parts"], 4);
    assert!(world.same(COS, "plain-to-ssec"));
    assert_eq!(
        dest_key_md5(&world, "plain-to-ssec").as_deref(),
        Some(other_key.key_md5())
    );
}

/// `--no-sse-c`: the copy of an SSE-C source is stored decrypted (readable without a key), single
/// and multipart; it needs the source's key, and conflicts with `--sse-c-key-file`.
#[test]
fn no_sse_c_stores_a_decrypted_copy() {
    let world = World::new();
    let dir = TempDir::new("sse-c-decrypt");
    let (source_key, source_file) = key_file(&dir, 3, false);
    let (_, other_file) = key_file(&dir, 4, false);
    let multipart = smallest_parts(COS);
    for (name, size, parts) in [
        ("decrypt-single", 3000, &[][..]),
        ("decrypt-multi", 4 * MIB + 5, &multipart[..]),
    ] {
        encrypted_source(&world, name, size, &source_key);
        let args = [
            parts,
            &[
                "--src-sse-c-key-file",
                arg(&source_file),
                "--no-sse-c",
                "--verify",
            ],
        ]
        .concat();
        let summary = copied(&world.cp(COS, name, &args));
        assert_eq!(summary["verified"], true, "{name}");
        assert!(world.same(COS, name), "{name}");
        assert_eq!(dest_key_md5(&world, name), None, "{name}: stored without a key");
    }
    world.emu.reset_stats();
    let stderr = failed(&world.cp(COS, "decrypt-single", &["--no-sse-c"]), 2);
    assert!(stderr.contains("--src-sse-c-key-file"), "{stderr}");
    let args = [
        "--src-sse-c-key-file",
        arg(&source_file),
        "--no-sse-c",
        "--sse-c-key-file",
        arg(&other_file),
    ];
    let stderr = failed(&world.cp(COS, "decrypt-single", &args), 2);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    assert_eq!(world.count(Api::HeadObject), 0, "nothing sent");
}

/// In place, a new key (or none) is a change worth a rewrite: rotating an object's key and
/// decrypting it, single and multipart; the same key alone is still "nothing would change".
#[test]
fn an_object_is_rekeyed_or_decrypted_in_place() {
    let world = World::new();
    let dir = TempDir::new("sse-c-in-place");
    let (old_key, old_file) = key_file(&dir, 5, false);
    let (new_key, new_file) = key_file(&dir, 6, true);
    let multipart = smallest_parts(COS);
    let stored_md5 = |name: &str| {
        world
            .emu
            .object_info(COS_SRC, name)
            .unwrap()
            .headers
            .get(KEY_MD5_HEADER)
            .cloned()
    };
    for (name, size, parts) in [
        ("rekey-single", 3000, &[][..]),
        ("rekey-multi", 4 * MIB + 5, &multipart[..]),
    ] {
        encrypted_source(&world, name, size, &old_key);
        let before = world.emu.object_info(COS_SRC, name).unwrap();
        let in_place = |extra: &[&str]| {
            let args = [
                parts,
                &["--src-sse-c-key-file", arg(&old_file)],
                extra,
                &["--verify"],
            ]
            .concat();
            world
                .command_to(COS, name, COS_SRC, name, &args)
                .output()
                .unwrap()
        };
        let stderr = failed(&in_place(&[]), 2);
        assert!(stderr.contains("nothing would change"), "{stderr}");
        assert!(stderr.contains("--no-sse-c"), "{stderr}");

        let summary = copied(&in_place(&["--sse-c-key-file", arg(&new_file)]));
        assert_eq!(summary["verified"], true, "{name}");
        assert_eq!(stored_md5(name).as_deref(), Some(new_key.key_md5()), "{name}");
        let after = world.emu.object_info(COS_SRC, name).unwrap();
        assert_eq!((after.size, &after.crc64), (before.size, &before.crc64), "{name}");

        // Now under the new key: decrypt it in place.
        let args = [
            parts,
            &["--src-sse-c-key-file", arg(&new_file), "--no-sse-c", "--verify"],
        ]
        .concat();
        let output = world
            .command_to(COS, name, COS_SRC, name, &args)
            .output()
            .unwrap();
        assert_eq!(copied(&output)["verified"], true, "{name}");
        assert_eq!(stored_md5(name), None, "{name}");
        let after = world.emu.object_info(COS_SRC, name).unwrap();
        assert_eq!((after.size, &after.crc64), (before.size, &before.crc64), "{name}");
        assert_eq!(world.open_uploads(COS), 0);
    }
}

#[test]
fn bad_key_files_and_oss_are_usage_errors_that_never_show_a_key() {
    let world = World::new();
    let dir = TempDir::new("sse-c-usage");
    world.object(COS, "k", 10, 1);
    world.object(Provider::Oss, "k", 10, 1);
    let (key, good) = key_file(&dir, 7, true);
    let short = dir.path().join("short");
    std::fs::write(&short, "c2VjcmV0LWtleS1ieXRlcw==").unwrap();
    let missing = dir.path().join("missing");
    let endless = PathBuf::from("/dev/zero");
    for (flag, path, says) in [
        ("--sse-c-key-file", &short, "must be 32 bytes"),
        ("--src-sse-c-key-file", &short, "must be 32 bytes"),
        ("--sse-c-key-file", &missing, "cannot read"),
        ("--sse-c-key-file", &endless, "is not a key file"),
    ] {
        let output = world.cp(COS, "k", &[flag, arg(path)]);
        let stderr = failed(&output, 2);
        assert!(stderr.contains(flag) && stderr.contains(says), "{stderr}");
        assert!(stderr.contains(arg(path)), "names the file: {stderr}");
        assert!(!stderr.contains("c2VjcmV0"), "shows the file's bytes: {stderr}");
    }
    // A key others may read works, with a warning; a private one without.
    let output = world.cp(COS, "k", &["--sse-c-key-file", arg(&good)]);
    copied(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("may be read by other users"), "{stderr}");
    set_mode(&good, 0o600);
    let output = world.cp(COS, "k", &["--sse-c-key-file", arg(&good)]);
    copied(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    let stderr = failed(
        &world.cp(Provider::Oss, "k", &["--sse-c-key-file", arg(&good)]),
        2,
    );
    assert!(
        stderr.contains("OSS has no customer-provided encryption keys"),
        "{stderr}"
    );
    assert!(!stderr.contains(key.key_base64()), "{stderr}");
}

/// Traced as verbosely as possible, with a checkpoint kept by a failed Complete and then resumed:
/// the key is on no output and not in the checkpoint. Resuming under another key is refused,
/// naming the upload; the right key resumes.
#[test]
fn the_key_never_shows_and_a_checkpoint_keeps_its_key() {
    let world = World::new();
    let dir = TempDir::new("sse-c-resume");
    let keys = TempDir::new("sse-c-resume-keys");
    let (source_key, source_file) = key_file(&keys, 11, false);
    let (dest_key, dest_file) = key_file(&keys, 12, true);
    let (_, other_file) = key_file(&keys, 13, true);
    encrypted_source(&world, "resume", 6 * MIB, &source_key);
    let secrets = [source_key.key_base64(), dest_key.key_base64()];
    let run = |dest: &std::path::Path| {
        let args = [
            "-vvv",
            "--threshold",
            "1MiB",
            "--part-size",
            "1MiB",
            "-j",
            "2",
            "--max-attempts",
            "1",
            "--checkpoint-dir",
            dir.arg(),
            "--src-sse-c-key-file",
            arg(&source_file),
            "--sse-c-key-file",
            arg(dest),
        ];
        world
            .command(COS, "resume", "resume", &args)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap()
    };
    let hidden = |what: &str, bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        for secret in secrets {
            assert!(!text.contains(secret), "{what} shows a key");
        }
    };
    world.emu.set_faults(only(
        Api::CompleteMultipartUpload,
        OpFaults {
            internal_error: 1.0,
            ..OpFaults::default()
        },
    ));
    let output = run(&dest_file);
    failed(&output, 1);
    hidden("stderr", &output.stderr);
    hidden("stdout", &output.stdout);
    let journal = std::fs::read(dir.journal()).unwrap();
    hidden("the checkpoint", &journal);
    world.emu.set_faults(FaultPlan::default());

    let copies = world.count(Api::UploadPartCopy);
    let output = run(&other_file);
    let stderr = failed(&output, 1);
    assert!(stderr.contains("another SSE-C key"), "{stderr}");
    assert!(
        stderr.contains(dest_key.key_md5()),
        "names the recorded key: {stderr}"
    );
    let upload = &world.emu.uploads()[0].upload_id;
    assert!(stderr.contains(upload.as_str()), "names the upload: {stderr}");
    assert_eq!(
        world.count(Api::UploadPartCopy),
        copies,
        "nothing copied under the other key"
    );

    let output = run(&dest_file);
    let summary = copied(&output);
    assert_eq!(summary["resumed_parts"], 6);
    hidden("stderr", &output.stderr);
    hidden("stdout", &output.stdout);
    assert!(world.same(COS, "resume"));
    assert_eq!(
        dest_key_md5(&world, "resume").as_deref(),
        Some(dest_key.key_md5())
    );
}
