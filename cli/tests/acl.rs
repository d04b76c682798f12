//! `--acl`: the copy gets the canned ACL asked for, single and multipart, in both clouds (COS takes
//! it on PUT-Copy and Initiate, OSS on PUT-Copy and Complete); without it the copy has none of its
//! own (the bucket's); an ACL the cloud does not know is a usage error before anything is sent.

mod harness;

use harness::*;
use partcopy_emulator::{Api, Provider};

#[test]
fn the_copy_gets_the_acl_asked_for() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        let multipart = smallest_parts(provider);
        world.object(provider, "acl-single", 1000, 1);
        world.object(provider, "acl-multi", 3 * min_part_bytes(provider) + 1, 2);
        for (key, extra, acl) in [
            ("acl-single", &[][..], "public-read"),
            ("acl-multi", &multipart[..], "private"),
        ] {
            let args = [extra, &["--acl", acl]].concat();
            copied(&world.cp(provider, key, &args));
            assert!(world.same(provider, key));
            let info = world.emu.object_info(dst, key).unwrap();
            assert_eq!(info.acl.as_deref(), Some(acl), "{provider:?} {key}");
            copied(&world.cp(provider, key, extra));
            assert_eq!(
                world.emu.object_info(dst, key).unwrap().acl,
                None,
                "{provider:?} {key}"
            );
        }
    }
}

#[test]
fn an_unknown_acl_is_a_usage_error() {
    let world = World::new();
    world.object(Provider::Cos, "k", 10, 1);
    world.emu.reset_stats();
    // OSS's public-read-write is not a COS object ACL.
    for acl in ["public-read-write", "Private", ""] {
        let stderr = failed(&world.cp(Provider::Cos, "k", &["--acl", acl]), 2);
        assert!(stderr.contains("default, private, public-read"), "{stderr}");
    }
    assert_eq!(world.count(Api::HeadObject), 0, "nothing sent");
    world.object(Provider::Oss, "k", 10, 1);
    copied(&world.cp(Provider::Oss, "k", &["--acl", "public-read-write"]));
}

/// In place, an ACL is a change worth a copy: the object is rewritten with the new ACL and its
/// content, single and multipart.
#[test]
fn an_acl_alone_rewrites_an_object_in_place() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, _) = buckets(provider);
        let multipart = smallest_parts(provider);
        for (key, size, extra) in [
            ("acl-here", 500, &[][..]),
            ("acl-here-multi", 3 * min_part_bytes(provider) + 1, &multipart[..]),
        ] {
            world.object(provider, key, size, 3);
            let before = world.emu.object_info(src, key).unwrap();
            let args = [extra, &["--acl", "public-read", "--verify"]].concat();
            let output = world.command_to(provider, key, src, key, &args).output().unwrap();
            copied(&output);
            let after = world.emu.object_info(src, key).unwrap();
            assert_eq!(after.acl.as_deref(), Some("public-read"), "{provider:?} {key}");
            assert_eq!((after.size, &after.crc64), (before.size, &before.crc64));
            assert_eq!(after.segments, before.segments);
        }
    }
}
