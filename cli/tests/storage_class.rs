//! `--storage-class` end to end: the class reaches the destination object on a single PUT-Copy
//! (Copy metadata directive) and on a multipart copy, on both providers, and `--verify` finds it
//! there (it compares the class when one was asked for).

mod harness;

use harness::*;
use partcopy_emulator::Provider;

/// A class the provider knows, other than its default.
fn class(provider: Provider) -> &'static str {
    match provider {
        Provider::Cos => "STANDARD_IA",
        Provider::Oss => "IA",
    }
}

#[test]
fn storage_class_reaches_single_and_multipart_copies() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let header = format!("{}-storage-class", provider.prefix());
        let part = min_part_bytes(provider);
        for (key, size, mode, extra) in [
            ("sc-single", 1000, "single", &[][..]),
            (
                "sc-multipart",
                3 * part + 11,
                "multipart",
                &[
                    "--threshold",
                    min_part(provider),
                    "--part-size",
                    min_part(provider),
                ][..],
            ),
        ] {
            world.object(provider, key, size, size ^ 0x5C);
            let args = [&["--storage-class", class(provider), "--verify"][..], extra].concat();
            let summary = copied(&world.cp(provider, key, &args));
            assert_eq!(summary["mode"], mode, "{provider:?} {key}");
            assert!(world.same(provider, key), "{provider:?} {key}");
            let info = world.emu.object_info(buckets(provider).1, key).unwrap();
            assert_eq!(
                info.headers.get(&header).map(String::as_str),
                Some(class(provider)),
                "{provider:?} {key}: {:?}",
                info.headers
            );
        }
    }
}
