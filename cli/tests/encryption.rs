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
