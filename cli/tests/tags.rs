//! `--tag K=V`: the copy gets exactly the tags asked for instead of its source's — single and
//! multipart, under either metadata directive, in place too, in both clouds — and `--verify`
//! checks them; tag sets the clouds refuse are usage errors before anything is sent.

mod harness;

use harness::*;
use partcopy_emulator::{Api, ObjectSpec, Provider};

fn sorted(tags: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut tags: Vec<_> = tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    tags.sort();
    tags
}

#[test]
fn the_copy_gets_the_tags_asked_for() {
    let world = World::new();
    let wanted = [("team", "media & web"), ("env", "prod")];
    let tag_args = ["--tag", "team=media & web", "--tag", "env=prod", "--verify"];
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        let multipart = smallest_parts(provider);
        let replace = ["--metadata-directive", "replace"];
        for (key, size, extra) in [
            ("tags-single", 900, vec![]),
            ("tags-multi", 3 * min_part_bytes(provider) + 1, multipart.to_vec()),
            ("tags-single-replace", 900, replace.to_vec()),
            (
                "tags-multi-replace",
                3 * min_part_bytes(provider) + 1,
                [&multipart[..], &replace[..]].concat(),
            ),
        ] {
            let spec = ObjectSpec::generated(size, 4).tag("old", "1").tag("team", "x");
            world.emu.create_object(src, key, spec).unwrap();
            world.emu.reset_stats();
            let args = [&extra[..], &tag_args[..]].concat();
            let summary = copied(&world.cp(provider, key, &args));
            assert_eq!(summary["verified"], true, "{provider:?} {key}");
            assert!(world.same(provider, key));
            let mut found = world.emu.object_info(dst, key).unwrap().tags;
            found.sort();
            assert_eq!(found, sorted(&wanted), "{provider:?} {key}");
            // The source's tags were not needed: only --verify reads the destination's.
            assert_eq!(world.count(Api::GetObjectTagging), 1, "{provider:?} {key}");
        }
        // In place, the tags alone are a change worth a copy.
        let key = "tags-here";
        world
            .emu
            .create_object(src, key, ObjectSpec::generated(700, 5).tag("old", "1"))
            .unwrap();
        let before = world.emu.object_info(src, key).unwrap();
        let output = world
            .command_to(provider, key, src, key, &tag_args)
            .output()
            .unwrap();
        copied(&output);
        let mut after = world.emu.object_info(src, key).unwrap();
        after.tags.sort();
        assert_eq!(after.tags, sorted(&wanted), "{provider:?}");
        assert_eq!(after.segments, before.segments);
    }
}

#[test]
fn tag_sets_the_clouds_refuse_are_usage_errors() {
    let world = World::new();
    world.object(Provider::Cos, "k", 10, 1);
    world.emu.reset_stats();
    let eleven: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
    let mut too_many = Vec::new();
    for tag in &eleven {
        too_many.extend(["--tag", tag.as_str()]);
    }
    let long_key = format!("{}=v", "k".repeat(129));
    for (args, says) in [
        (too_many.clone(), "at most 10 tags"),
        (vec!["--tag", "a=1", "--tag", "a=2"], "given twice"),
        (vec!["--tag", long_key.as_str()], "longer than 128"),
        (vec!["--tag", "novalue"], "KEY=VALUE"),
    ] {
        let stderr = failed(&world.cp(Provider::Cos, "k", &args), 2);
        assert!(stderr.contains(says), "{stderr}");
    }
    assert_eq!(world.count(Api::HeadObject), 0, "nothing sent");
}
