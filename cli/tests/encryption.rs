//! Server-side encryption comes along: a copy does not inherit its source's encryption unless the
//! request asks (COS documents it; the emulator models it), so partcopy passes the source's encryption
//! (algorithm and KMS key) to PUT-Copy and Initiate. Single and multipart, both providers, both
//! metadata directives, in place too; `--verify` compares it.

mod harness;

use harness::*;
use partcopy_emulator::{ObjectSpec, Provider};

/// The encryption headers of an object of `provider`: (algorithm, KMS key id).
fn encryption(provider: Provider) -> [(String, &'static str); 2] {
    let p = provider.prefix();
    match provider {
        Provider::Cos => [
            (format!("{p}-server-side-encryption"), "cos/kms"),
            (
                format!("{p}-server-side-encryption-cos-kms-key-id"),
                "48ba38aa-26c5",
            ),
        ],
        Provider::Oss => [
            (format!("{p}-server-side-encryption"), "KMS"),
            (format!("{p}-server-side-encryption-key-id"), "9468da86-3509"),
        ],
    }
}

#[test]
fn an_encrypted_source_gives_an_encrypted_copy() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        let part = min_part_bytes(provider);
        let multipart = smallest_parts(provider);
        let replace = ["--metadata-directive", "replace", "--meta", "k=v"];
        for (key, size, extra) in [
            ("enc-single", 2000, vec![]),
            ("enc-multipart", 3 * part + 1, multipart.to_vec()),
            ("enc-replace", 2000, replace.to_vec()),
            (
                "enc-replace-multipart",
                3 * part + 1,
                [&multipart[..], &replace[..]].concat(),
            ),
        ] {
            let spec = encryption(provider)
                .iter()
                .fold(ObjectSpec::generated(size, 9), |spec, (name, value)| {
                    spec.header(name, value)
                });
            world.emu.create_object(src, key, spec).unwrap();
            let args = [&extra[..], &["--verify"]].concat();
            let summary = copied(&world.cp(provider, key, &args));
            assert_eq!(summary["verified"], true, "{provider:?} {key}");
            let info = world.emu.object_info(dst, key).unwrap();
            for (name, value) in encryption(provider) {
                assert_eq!(
                    info.headers.get(&name).map(String::as_str),
                    Some(value),
                    "{provider:?} {key}: {:?}",
                    info.headers
                );
            }
        }
        // In place (a class change): the object stays encrypted.
        let key = "enc-in-place";
        let spec = encryption(provider)
            .iter()
            .fold(ObjectSpec::generated(3 * part + 1, 9), |spec, (name, value)| {
                spec.header(name, value)
            });
        world.emu.create_object(src, key, spec).unwrap();
        let class = match provider {
            Provider::Cos => "STANDARD_IA",
            Provider::Oss => "IA",
        };
        let args = [&multipart[..], &["--storage-class", class, "--verify"]].concat();
        let output = world.command_to(provider, key, src, key, &args).output().unwrap();
        copied(&output);
        let info = world.emu.object_info(src, key).unwrap();
        for (name, value) in encryption(provider) {
            assert_eq!(
                info.headers.get(&name).map(String::as_str),
                Some(value),
                "{provider:?} in place"
            );
        }
    }
}

/// The encryption headers `info` holds, as (name, value), sorted.
fn encryption_of(info: &partcopy_emulator::ObjectInfo) -> Vec<(String, String)> {
    info.headers
        .iter()
        .filter(|(name, _)| name.contains("server-side"))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// `--sse` encrypts the copy as asked instead of as its source is: a plain source gets encrypted,
/// an encrypted one re-encrypted (another algorithm or KMS key) — single and multipart, in place
/// too — and `--verify` and `--skip-identical` judge the copy by what was asked.
#[test]
fn sse_encrypts_the_copy_as_asked() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        let p = provider.prefix();
        let part = min_part_bytes(provider);
        let multipart = smallest_parts(provider);
        let kms = match provider {
            Provider::Cos => "cos/kms",
            Provider::Oss => "KMS",
        };
        let key_id_header = match provider {
            Provider::Cos => format!("{p}-server-side-encryption-cos-kms-key-id"),
            Provider::Oss => format!("{p}-server-side-encryption-key-id"),
        };
        let aes = vec![(format!("{p}-server-side-encryption"), "AES256".to_string())];
        let mut with_key = vec![
            (format!("{p}-server-side-encryption"), kms.to_string()),
            (key_id_header.clone(), "key-2".to_string()),
        ];
        with_key.sort();
        for (size, extra) in [(2000, vec![]), (3 * part + 1, multipart.to_vec())] {
            // A plain source, encrypted with AES256 on the way ("aes256" is taken as AES256).
            let key = format!("sse-plain-{size}");
            world.object(provider, &key, size, 3);
            let args = [&extra[..], &["--sse", "aes256", "--verify"]].concat();
            let summary = copied(&world.cp(provider, &key, &args));
            assert_eq!(summary["verified"], true, "{provider:?} {key}");
            assert_eq!(
                encryption_of(&world.emu.object_info(dst, &key).unwrap()),
                aes,
                "{provider:?} {key}"
            );
            // Rerun: the copy already is that.
            world.emu.reset_stats();
            let args = [&extra[..], &["--sse", "AES256", "--skip-identical"]].concat();
            let output = world.cp(provider, &key, &args);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(summary["status"], "skipped", "{provider:?} {key}: {summary}");
            // Asked for a KMS key now: not the same, so copied again, with it.
            let args = [
                &extra[..],
                &[
                    "--sse",
                    kms,
                    "--sse-kms-key-id",
                    "key-2",
                    "--skip-identical",
                    "--verify",
                ],
            ]
            .concat();
            let summary = copied(&world.cp(provider, &key, &args));
            assert_eq!(summary["verified"], true, "{provider:?} {key}");
            assert_eq!(
                encryption_of(&world.emu.object_info(dst, &key).unwrap()),
                with_key,
                "{provider:?} {key}"
            );

            // An encrypted source (KMS key 1), re-encrypted with AES256 in place.
            let key = format!("sse-here-{size}");
            let spec = encryption(provider)
                .iter()
                .fold(ObjectSpec::generated(size, 9), |spec, (name, value)| {
                    spec.header(name, value)
                });
            world.emu.create_object(src, &key, spec).unwrap();
            let args = [&extra[..], &["--sse", "AES256", "--verify"]].concat();
            copied(
                &world
                    .command_to(provider, &key, src, &key, &args)
                    .output()
                    .unwrap(),
            );
            assert_eq!(
                encryption_of(&world.emu.object_info(src, &key).unwrap()),
                aes,
                "{provider:?} {key}"
            );
        }
    }
}

/// OSS `--sse KMS --sse-data-encryption SM4` encrypts the copy's data with SM4 under KMS, single
/// and multipart; `--skip-identical` and `--verify` tell SM4 data from AES256 data (no header), and a
/// source whose data is SM4 gives a copy whose data is SM4.
#[test]
fn oss_kms_data_can_be_sm4() {
    let world = World::new();
    let provider = Provider::Oss;
    let (src, dst) = buckets(provider);
    let kms = |data: Option<&str>| -> Vec<(String, String)> {
        let mut headers = vec![("x-oss-server-side-encryption".to_string(), "KMS".to_string())];
        if let Some(data) = data {
            headers.push(("x-oss-server-side-data-encryption".to_string(), data.to_string()));
        }
        headers.sort();
        headers
    };
    let multipart = smallest_parts(provider);
    for (size, extra) in [
        (2000, vec![]),
        (3 * min_part_bytes(provider) + 1, multipart.to_vec()),
    ] {
        let key = format!("sm4-{size}");
        world.object(provider, &key, size, 5);
        let sm4 = ["--sse", "KMS", "--sse-data-encryption", "sm4"];
        let args = [&extra[..], &sm4, &["--verify"]].concat();
        let summary = copied(&world.cp(provider, &key, &args));
        assert_eq!(summary["verified"], true, "{key}: {summary}");
        let info = world.emu.object_info(dst, &key).unwrap();
        assert_eq!(encryption_of(&info), kms(Some("SM4")), "{key}");
        // The same again is identical: skipped.
        let args = [&extra[..], &sm4, &["--skip-identical"]].concat();
        let summary = succeeded(&world.cp(provider, &key, &args));
        assert_eq!(summary["status"], "skipped", "{key}: {summary}");
        // KMS with AES256 data is another encryption: copied again, without the data header.
        let args = [&extra[..], &["--sse", "KMS", "--skip-identical", "--verify"]].concat();
        let summary = copied(&world.cp(provider, &key, &args));
        assert_eq!(summary["status"], "copied", "{key}: {summary}");
        assert_eq!(summary["verified"], true, "{key}: {summary}");
        let info = world.emu.object_info(dst, &key).unwrap();
        assert_eq!(encryption_of(&info), kms(None), "{key}");

        // A source whose data is SM4 under KMS: the copy keeps both, and --verify checks both.
        let key = format!("sm4-source-{size}");
        let spec = kms(Some("SM4"))
            .iter()
            .fold(ObjectSpec::generated(size, 6), |spec, (name, value)| {
                spec.header(name, value)
            });
        world.emu.create_object(src, &key, spec).unwrap();
        let args = [&extra[..], &["--verify"]].concat();
        let summary = copied(&world.cp(provider, &key, &args));
        assert_eq!(summary["verified"], true, "{key}: {summary}");
        let info = world.emu.object_info(dst, &key).unwrap();
        assert_eq!(encryption_of(&info), kms(Some("SM4")), "{key}");
        // A destination of KMS with AES256 data is not that copy.
        let args = [&extra[..], &["--sse", "KMS"]].concat();
        copied(&world.cp(provider, &key, &args));
        let output = world.cp(provider, &key, &["--skip-identical", "-v"]);
        let summary = copied(&output);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(summary["status"], "copied", "{key}: {summary}");
        assert!(
            stderr.contains(
                "encryption differs: the source is encrypted with KMS with SM4 data, the \
                 destination has KMS"
            ),
            "{key}: {stderr}"
        );
        let info = world.emu.object_info(dst, &key).unwrap();
        assert_eq!(encryption_of(&info), kms(Some("SM4")), "{key}");
    }
}

/// `--verify` fails a copy that does not have the encryption asked for (here: a destination
/// bucket that drops it).
#[test]
fn verify_checks_the_encryption_asked_for() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        world.object(provider, "sse-lost", 2000, 3);
        // Copy it plain first, then ask --verify about a copy that "should" be encrypted: with
        // --skip-identical the plain copy is judged, not rewritten.
        copied(&world.cp(provider, "sse-lost", &[]));
        let output = world.cp(
            provider,
            "sse-lost",
            &["--sse", "AES256", "--skip-identical", "-v"],
        );
        let summary = copied(&output);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(summary["status"], "copied", "{provider:?}");
        assert!(
            stderr.contains("encryption differs: --sse asks for AES256"),
            "{provider:?}: {stderr}"
        );
    }
}

/// Bad `--sse` values and combinations are usage errors, before anything is sent.
#[test]
fn sse_usage_errors() {
    let world = World::new();
    let cases: [(Provider, &[&str], &str); 10] = [
        (
            Provider::Cos,
            &["--sse", "cos/kms", "--sse-data-encryption", "SM4"],
            "COS has no separate data algorithm under KMS, only OSS has",
        ),
        (
            Provider::Oss,
            &["--sse", "AES256", "--sse-data-encryption", "SM4"],
            "it goes with --sse KMS, not AES256 (for SM4 without KMS, give --sse SM4)",
        ),
        (
            Provider::Oss,
            &["--sse", "KMS", "--sse-data-encryption", "AES128"],
            "--sse-data-encryption AES128: OSS encrypts KMS data with SM4 when asked",
        ),
        (Provider::Oss, &["--sse-data-encryption", "SM4"], "--sse"),
        (
            Provider::Cos,
            &["--sse", "KMS"],
            "COS encrypts with AES256 or cos/kms",
        ),
        (
            Provider::Cos,
            &["--sse", "SM4"],
            "COS encrypts with AES256 or cos/kms",
        ),
        (
            Provider::Oss,
            &["--sse", "cos/kms"],
            "OSS encrypts with AES256 or KMS or SM4",
        ),
        (
            Provider::Oss,
            &["--sse", "AES256", "--sse-kms-key-id", "k"],
            "it goes with --sse KMS, not AES256",
        ),
        (
            Provider::Cos,
            &["--sse", "cos/kms", "--sse-kms-key-id", "a key"],
            "printable ASCII",
        ),
        (Provider::Cos, &["--sse-kms-key-id", "k"], "--sse"),
    ];
    for (provider, args, says) in cases {
        world.object(provider, "sse-bad", 100, 1);
        world.emu.reset_stats();
        let stderr = failed(&world.cp(provider, "sse-bad", args), 2);
        assert!(stderr.contains(says), "{provider:?} {args:?}: {stderr}");
        let sent: u64 = world.emu.stats().requests.values().sum();
        assert_eq!(sent, 0, "{provider:?} {args:?}: nothing sent");
    }
}
