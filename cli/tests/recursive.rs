//! `partcopy cp --recursive SRC DST` copies every object under SRC's prefix to DST's prefix
//! followed by the rest of its key (odd keys, single and multipart, across listing pages, a whole
//! bucket), reruns cheaply with `--skip-identical`, goes on past one object's failure (exit 1,
//! the failure named), lists the next page while copies run, completes under random faults, and
//! refuses before sending anything what cannot work.

mod harness;

use harness::*;
use partcopy_emulator::{Api, FaultKind, FaultPlan, NthFailure, ObjectSpec, OpFaults, Provider};
use serde_json::Value;

/// `partcopy cp -r SRC DST --endpoint … --region … --json --no-progress [args]`, SRC in the
/// source bucket and DST in `dst_bucket`.
fn cp_r(
    world: &World,
    provider: Provider,
    src: &str,
    dst_bucket: &str,
    dst: &str,
    args: &[&str],
) -> std::process::Output {
    world
        .command_to(provider, src, dst_bucket, dst, &[&["-r"], args].concat())
        .output()
        .unwrap()
}

/// `partcopy cp <args>` against the emulator with the provider's region, no other option.
fn cp_plain(world: &World, provider: Provider, args: &[&str]) -> std::process::Output {
    let endpoint = world.emu.endpoint();
    let common = ["--endpoint", endpoint.as_str(), "--region", region(provider)];
    world
        .partcopy(provider, &[])
        .arg("cp")
        .args(args)
        .args(common)
        .output()
        .unwrap()
}

/// The `n`th request of `api` (since the last `reset_stats`) answers 500.
fn nth_fails(api: Api, n: u64) -> FaultPlan {
    only(
        api,
        OpFaults {
            fail_nth: vec![NthFailure {
                n,
                kind: FaultKind::InternalError,
            }],
            ..OpFaults::default()
        },
    )
}

/// `cp -r SRC DST [args]` from the provider's source bucket to its destination bucket, started
/// in the background; returns once the service has received `count` requests of `api`.
fn start_r(
    world: &World,
    provider: Provider,
    (src, dst): (&str, &str),
    args: &[&str],
    (api, count): (Api, u64),
) -> std::process::Child {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let child = world
        .command_to(provider, src, buckets(provider).1, dst, &[&["-r"], args].concat())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while world.count(api) < count {
        assert!(
            Instant::now() < deadline,
            "fewer than {count} {api:?} requests came"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child
}

/// Ctrl-C for `child`.
fn interrupt(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Every request of `api` waits `latency_ms` in the service.
fn slow(api: Api, latency_ms: u64) -> FaultPlan {
    only(
        api,
        OpFaults {
            latency_ms,
            ..OpFaults::default()
        },
    )
}

/// The batch summary of a run that exited with `code`.
fn batch(output: &std::process::Output, code: i32) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn a_prefix_is_copied_under_another_and_a_rerun_skips_it() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        let big = 3 * min_part_bytes(provider) + 1;
        let inside = [
            ("photos/a.jpg", 2000),
            ("photos/sub dir/b c+d%e?f#g&h=i.bin", 10),
            ("photos/中文/x", 0),
            ("photos/big", big),
            ("photos/", 0),
        ];
        for (n, (key, size)) in inside.iter().enumerate() {
            world.object(provider, key, *size, n as u64);
        }
        // Beside the prefix, not under it.
        world.object(provider, "photosynthesis", 5, 1);
        world.object(provider, "other/photos/a.jpg", 5, 1);
        let args = [&smallest_parts(provider)[..], &["--jobs", "3"]].concat();
        let summary = batch(&cp_r(&world, provider, "photos/", dst, "2026/photos/", &args), 0);
        assert_eq!(summary["status"], "copied", "{summary}");
        assert_eq!(summary["objects"], 5, "{summary}");
        assert_eq!(summary["copied"], 5, "{summary}");
        assert_eq!(summary["failed"], 0, "{summary}");
        let bytes: u64 = inside.iter().map(|(_, size)| size).sum();
        assert_eq!(summary["bytes"], bytes, "{summary}");
        for (key, _) in inside {
            let copy = format!("2026/{key}");
            assert!(
                world.emu.same_content((src, key), (dst, &copy)).unwrap(),
                "{provider:?} {copy}"
            );
        }
        for key in ["2026/photosynthesis", "2026/other/photos/a.jpg", "photosynthesis"] {
            assert!(
                world.emu.object_info(dst, key).is_err(),
                "{provider:?} {key} copied"
            );
        }
        // The big one went multipart: its ETag says so.
        let etag = world.emu.object_info(dst, "2026/photos/big").unwrap().etag;
        assert!(etag.ends_with("-4"), "{provider:?} {etag}");

        // Again with --skip-identical: every object is found there already, nothing written.
        world.emu.reset_stats();
        let args = [&smallest_parts(provider)[..], &["--skip-identical"]].concat();
        let summary = batch(&cp_r(&world, provider, "photos/", dst, "2026/photos/", &args), 0);
        assert_eq!(
            (summary["skipped"].as_u64(), summary["copied"].as_u64()),
            (Some(5), Some(0)),
            "{summary}"
        );
        assert_eq!(world.count(Api::CopyObject) + world.count(Api::UploadPartCopy), 0);
        assert_eq!(world.count(Api::ListObjects), 1);
    }
}

#[test]
fn text_output_has_a_line_per_object_and_a_total() {
    let world = World::new();
    let provider = Provider::Cos;
    let (_, dst) = buckets(provider);
    for key in ["t/1", "t/2"] {
        world.object(provider, key, 100, 3);
    }
    let output = cp_plain(
        &world,
        provider,
        &[
            "-r",
            &url(provider, buckets(provider).0, "t/"),
            &url(provider, dst, "u/"),
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for n in ["1", "2"] {
        let line = format!(
            "copied cos://{}/t/{n} -> cos://{dst}/u/{n} (100 B, single)",
            buckets(provider).0
        );
        assert!(lines.iter().any(|l| l.starts_with(&line)), "{stdout}");
    }
    assert!(lines[2].contains("2 object(s), 2 copied"), "{stdout}");
}

#[test]
fn a_whole_bucket_across_listing_pages() {
    let world = World::new();
    let provider = Provider::Oss;
    let (src, dst) = buckets(provider);
    for n in 0..1003 {
        world.object(provider, &format!("k{n:04}"), 1, n);
    }
    world.emu.reset_stats();
    let summary = batch(&cp_r(&world, provider, "", dst, "backup/", &["--jobs", "32"]), 0);
    assert_eq!(summary["copied"], 1003, "{summary}");
    // Two pages of 1,000 keys at most.
    assert_eq!(world.count(Api::ListObjects), 2);
    assert_eq!(world.count(Api::CopyObject), 1003);
    for n in [0, 999, 1000, 1002] {
        let key = format!("k{n:04}");
        assert!(world
            .emu
            .same_content((src, &key), (dst, &format!("backup/{key}")))
            .unwrap());
    }
    // The whole bucket (no slash), onto the same keys of another bucket.
    let other = cp_plain(
        &world,
        provider,
        &[
            "--recursive",
            &format!("oss://{src}"),
            &format!("oss://{dst}/"),
            "--json",
            "--skip-identical",
        ],
    );
    let summary = batch(&other, 0);
    assert_eq!(summary["copied"], 1003, "{summary}");
    assert!(world.emu.same_content((src, "k1002"), (dst, "k1002")).unwrap());
}

#[test]
fn one_object_failing_does_not_stop_the_others() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        for n in 0..6 {
            world.object(provider, &format!("f/{n}"), 10, n);
        }
        // The third PUT-Copy answers 500 (one attempt each).
        world.emu.set_faults(nth_fails(Api::CopyObject, 3));
        world.emu.reset_stats();
        let output = cp_r(
            &world,
            provider,
            "f/",
            dst,
            "g/",
            &["--jobs", "1", "--max-attempts", "1"],
        );
        world.emu.set_faults(FaultPlan::default());
        let summary = batch(&output, 1);
        assert_eq!(summary["status"], "failed", "{summary}");
        assert_eq!(
            (summary["copied"].as_u64(), summary["failed"].as_u64()),
            (Some(5), Some(1)),
            "{summary}"
        );
        let failure = &summary["failures"][0];
        let src_url = url(provider, buckets(provider).0, "f/2");
        assert_eq!(failure["source"], src_url.as_str(), "{summary}");
        assert_eq!(failure["destination"], url(provider, dst, "g/2").as_str());
        assert!(
            failure["error"].as_str().unwrap().contains("InternalError"),
            "{summary}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("partcopy: {src_url} -> ")), "{stderr}");
        assert!(world.exists(provider, "g/5"));
        assert!(!world.exists(provider, "g/2"));
    }
}

#[test]
fn a_failed_listing_is_exit_1() {
    let world = World::new();
    let provider = Provider::Cos;
    world.object(provider, "l/1", 10, 1);
    world.emu.set_faults(nth_fails(Api::ListObjects, 1));
    world.emu.reset_stats();
    let output = cp_r(
        &world,
        provider,
        "l/",
        buckets(provider).1,
        "m/",
        &["--max-attempts", "1"],
    );
    let summary = batch(&output, 1);
    assert!(
        summary["error"].as_str().unwrap().contains("List Objects of"),
        "{summary}"
    );
    assert_eq!(summary["objects"], 0);
    assert_eq!(world.count(Api::CopyObject), 0);
    // Retried, it goes through.
    world.emu.reset_stats();
    let output = cp_r(&world, provider, "l/", buckets(provider).1, "m/", &[]);
    assert_eq!(batch(&output, 0)["copied"], 1);
}

#[test]
fn dry_run_plans_each_object_and_copies_nothing() {
    let world = World::new();
    let provider = Provider::Cos;
    let big = 3 * MIB + 1;
    world.object(provider, "d/small", 10, 1);
    world.object(provider, "d/big", big, 2);
    world.emu.reset_stats();
    let output = cp_plain(
        &world,
        provider,
        &[
            "-r",
            &url(provider, buckets(provider).0, "d/"),
            &url(provider, buckets(provider).1, "e/"),
            "--dry-run",
            "--threshold",
            "1MiB",
            "--part-size",
            "1MiB",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("/e/big (3.00 MiB, multipart, 4 parts of 1 MiB)"),
        "{stdout}"
    );
    assert!(stdout.contains("/e/small (10 B, single)"), "{stdout}");
    assert!(
        stdout.contains("2 object(s), 2 planned (3.00 MiB) in "),
        "{stdout}"
    );
    // The listing and a HEAD of each object.
    assert!(stdout.contains(" 3 requests"), "{stdout}");
    assert_eq!(
        world.count(Api::CopyObject) + world.count(Api::InitiateMultipartUpload),
        0
    );
}

#[test]
fn dry_run_json_lists_each_plan() {
    let world = World::new();
    let provider = Provider::Oss;
    let (src, dst) = buckets(provider);
    let big = 3 * MIB + 1;
    world.object(provider, "d/small", 10, 1);
    world.object(provider, "d/big", big, 2);
    // The destination of one of them is there already.
    world
        .emu
        .create_object(dst, "e/small", ObjectSpec::generated(5, 3))
        .unwrap();
    world.emu.reset_stats();
    let output = cp_plain(
        &world,
        provider,
        &[
            "-r",
            &url(provider, src, "d/"),
            &url(provider, dst, "e/"),
            "--dry-run",
            "--no-overwrite",
            "--threshold",
            "1MiB",
            "--part-size",
            "1MiB",
            "--json",
        ],
    );
    let summary = batch(&output, 0);
    assert_eq!(summary["status"], "planned", "{summary}");
    assert_eq!(summary["planned"], 2, "{summary}");
    let plans = summary["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 2, "{summary}");
    // In the order the plans were made, which --jobs may change.
    let plan_of = |key: &str| {
        let source = url(provider, src, key);
        plans
            .iter()
            .find(|p| p["source"] == source.as_str())
            .unwrap_or_else(|| panic!("no plan for {source}: {summary}"))
    };
    let (first, second) = (plan_of("d/big"), plan_of("d/small"));
    assert_eq!(first["destination"], url(provider, dst, "e/big").as_str());
    assert_eq!(first["status"], "planned");
    assert_eq!(first["mode"], "multipart");
    assert_eq!(first["size"], big);
    assert_eq!(first["parts"], 4);
    assert_eq!(first["part_size"], MIB);
    assert_eq!(first["first_range"], "bytes=0-1048575");
    assert_eq!(first["last_range"], format!("bytes={}-{}", 3 * MIB, 3 * MIB));
    assert_eq!(first["would_skip"], false);
    assert_eq!(second["mode"], "single");
    assert_eq!(second["size"], 10);
    assert_eq!(second["would_skip"], true, "{summary}");
    assert_eq!(
        world.count(Api::CopyObject) + world.count(Api::InitiateMultipartUpload),
        0
    );
    // Nothing planned, nothing listed: a real copy's JSON has no plans.
    let output = cp_r(&world, provider, "d/", dst, "f/", &[]);
    let summary = batch(&output, 0);
    assert!(summary.get("plans").is_none(), "{summary}");
}

#[test]
fn nothing_under_src_is_exit_0_with_a_warning() {
    let world = World::new();
    let provider = Provider::Oss;
    let output = cp_r(&world, provider, "nothing-here/", buckets(provider).1, "x/", &[]);
    let summary = batch(&output, 0);
    assert_eq!(summary["objects"], 0);
    assert!(String::from_utf8_lossy(&output.stderr).contains("no object under"));
    // Listed under OSS's V1 signatures too (the bucket's canonical resource).
    world.object(provider, "v1/a b+c", 10, 1);
    let output = cp_r(
        &world,
        provider,
        "v1/",
        buckets(provider).1,
        "v1-copy/",
        &["--oss-signature", "v1"],
    );
    assert_eq!(batch(&output, 0)["copied"], 1);
    assert!(world.exists(provider, "v1-copy/a b+c"));
}

#[test]
fn usage_errors_send_nothing() {
    let world = World::new();
    let provider = Provider::Cos;
    let (src, dst) = buckets(provider);
    world.object(provider, "p/1", 10, 1);
    let cases: [(&str, &str, &[&str], &str); 8] = [
        // DST under SRC in the same bucket: the copies would be copied again.
        ("p/", "p/copies/", &["-r"], "is under SRC"),
        // A version is one object's.
        (
            "p/",
            "q/",
            &["-r", "--src-version-id", "v1"],
            "--src-version-id names one object's version",
        ),
        // --jobs is for --recursive.
        ("p/1", "q/1", &["--jobs", "4"], "--recursive"),
        // The same prefix with nothing to change.
        ("p/", "p/", &["-r"], "nothing would change"),
        // A part size below the provider's smallest, refused once rather than per object.
        ("p/", "q/", &["-r", "--part-size", "1KiB"], "limits: parts"),
        // A folder to a prefix that is not one, and the other way round.
        ("p", "q/", &["-r"], "end SRC with a slash ('p/')"),
        ("p/", "q", &["-r"], "end DST with a slash ('q/')"),
        ("", "q", &["-r"], "end DST with a slash"),
    ];
    for (from, to, args, says) in cases {
        world.emu.reset_stats();
        let output = world.command_to(provider, from, src, to, args).output().unwrap();
        let stderr = failed(&output, 2);
        assert!(stderr.contains(says), "{from} {to} {args:?}: {stderr}");
        let sent: u64 = world.emu.stats().requests.values().sum();
        assert_eq!(sent, 0, "{args:?}");
    }
    // Into another bucket the same prefix is fine.
    let output = world
        .command_to(provider, "p/", dst, "p/", &["-r"])
        .output()
        .unwrap();
    assert_eq!(batch(&output, 0)["copied"], 1);
}

/// Ctrl-C stops the batch with exit status 130: no further object is started, those in flight
/// stop as one copy does, and the summary says what was done; a rerun with --skip-identical
/// copies only the rest.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_batch_and_a_rerun_finishes_it() {
    let world = World::new();
    let provider = Provider::Oss;
    let (_, dst) = buckets(provider);
    for n in 0..40 {
        world.object(provider, &format!("c/{n:02}"), 10, n);
    }
    world.emu.set_faults(slow(Api::CopyObject, 100));
    world.emu.reset_stats();
    let child = start_r(
        &world,
        provider,
        ("c/", "d/"),
        &["--jobs", "2"],
        (Api::CopyObject, 4),
    );
    interrupt(&child);
    let output = child.wait_with_output().unwrap();
    let summary = batch(&output, 130);
    assert_eq!(summary["status"], "interrupted", "{summary}");
    let copied = summary["copied"].as_u64().unwrap();
    assert!((4..40).contains(&copied), "{summary}");
    // Nothing started after the Ctrl-C beyond the two in flight.
    assert!(summary["objects"].as_u64().unwrap() <= copied + 2, "{summary}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("run the same command again"), "{stderr}");

    world.emu.set_faults(FaultPlan::default());
    world.emu.reset_stats();
    let output = cp_r(&world, provider, "c/", dst, "d/", &["--skip-identical"]);
    let summary = batch(&output, 0);
    assert_eq!(
        summary["copied"].as_u64().unwrap() + summary["skipped"].as_u64().unwrap(),
        40
    );
    assert_eq!(
        world.count(Api::CopyObject),
        40 - summary["skipped"].as_u64().unwrap()
    );
    for n in 0..40 {
        assert!(world.exists(provider, &format!("d/{n:02}")));
    }
}

/// `--include` and `--exclude` pick objects by the rest of their key after SRC's prefix (`*`
/// within a segment, `**` across), across listing pages that hold nothing to copy; bad patterns
/// and filters without --recursive are usage errors.
#[test]
fn include_and_exclude_pick_objects_by_the_rest_of_their_key() {
    let world = World::new();
    let provider = Provider::Cos;
    let (_, dst) = buckets(provider);
    // 1,000 that no pattern takes first, so the first page has nothing to copy.
    for n in 0..1000 {
        world.object(provider, &format!("i/a/{n:04}.txt"), 1, n);
    }
    for key in [
        "i/top.jpg",
        "i/z/deep/x.jpg",
        "i/z/skip.jpg",
        "i/z/y.png",
        "i/zz.JPG",
    ] {
        world.object(provider, key, 3, 1);
    }
    // Copies with `args` into `into` and checks that exactly `expected` (after the prefixes) came.
    let copies = |args: &[&str], into: &str, expected: &[&str]| {
        let summary = batch(&cp_r(&world, provider, "i/", dst, into, args), 0);
        assert_eq!(summary["copied"], expected.len(), "{args:?}: {summary}");
        for rest in expected {
            assert!(
                world.exists(provider, &format!("{into}{rest}")),
                "{args:?}: {rest}"
            );
        }
    };
    copies(&["--include", "*.jpg"], "o1/", &["top.jpg"]);
    copies(
        &["--include", "**/*.jpg", "--exclude", "**/skip*"],
        "o2/",
        &["top.jpg", "z/deep/x.jpg"],
    );
    copies(
        &["--include", "z/*", "--include", "*.JPG"],
        "o3/",
        &["z/skip.jpg", "z/y.png", "zz.JPG"],
    );
    copies(
        &["--exclude", "a/**"],
        "o4/",
        &["top.jpg", "z/deep/x.jpg", "z/skip.jpg", "z/y.png", "zz.JPG"],
    );
    for (args, says) in [
        (&["-r", "--include", "[a"][..], "--include '[a' is not a pattern"),
        (&["--exclude", "*.tmp"][..], "--recursive"),
    ] {
        let output = world
            .command_to(provider, "i/", dst, "o5/", args)
            .output()
            .unwrap();
        let stderr = failed(&output, 2);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

/// `--min-size`, `--max-size`, `--older-than` and `--newer-than` pick objects by the size and
/// date their listing gives, with no request for the others (OSS and COS); bounds that select
/// nothing, or without --recursive, are usage errors.
#[test]
fn size_and_age_bounds_pick_objects_by_their_listing() {
    let world = World::new();
    let day = std::time::Duration::from_secs(86_400);
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        // (key, size, days old)
        let objects = [
            ("b/empty", 0, 0),
            ("b/small", 10, 0),
            ("b/mid", 1000, 3),
            ("b/big", 5000, 40),
            ("b/old", 10, 400),
        ];
        for (key, size, days) in objects {
            world.object(provider, key, size, 1);
            world.emu.backdate_object(src, key, day * days).unwrap();
        }
        let mut run = 0;
        let mut copies = |args: &[&str], expected: &[&str]| {
            run += 1;
            let into = format!("s{run}/");
            world.emu.reset_stats();
            let summary = batch(&cp_r(&world, provider, "b/", dst, &into, args), 0);
            assert_eq!(
                summary["copied"],
                expected.len(),
                "{provider:?} {args:?}: {summary}"
            );
            for (key, _, _) in objects {
                let rest = key.strip_prefix("b/").unwrap();
                assert_eq!(
                    world.exists(provider, &format!("{into}{rest}")),
                    expected.contains(&rest),
                    "{provider:?} {args:?}: {rest}"
                );
            }
            // One HEAD per object copied: the others were left out from their listing alone.
            assert_eq!(
                world.count(Api::HeadObject),
                expected.len() as u64,
                "{provider:?} {args:?}"
            );
        };
        copies(&["--min-size", "10"], &["small", "mid", "big", "old"]);
        copies(&["--min-size", "11", "--max-size", "1000"], &["mid"]);
        copies(&["--max-size", "0"], &["empty"]);
        copies(&["--older-than", "30d"], &["big", "old"]);
        copies(&["--newer-than", "1d"], &["empty", "small"]);
        copies(&["--older-than", "2d", "--newer-than", "365d"], &["mid", "big"]);
        copies(
            &["--older-than", "1d", "--max-size", "1KiB", "--exclude", "old"],
            &["mid"],
        );
    }
    let provider = Provider::Oss;
    let (_, dst) = buckets(provider);
    for (args, says) in [
        (
            &["-r", "--min-size", "2KiB", "--max-size", "1KiB"][..],
            "--min-size 2048 is above --max-size 1024",
        ),
        (
            &["-r", "--older-than", "30d", "--newer-than", "7d"][..],
            "--newer-than must be the longer age",
        ),
        (&["-r", "--newer-than", "a week"][..], "--newer-than"),
        (&["--min-size", "1"][..], "--recursive"),
        (&["--older-than", "1d"][..], "--recursive"),
    ] {
        world.emu.reset_stats();
        let output = world
            .command_to(provider, "b/", dst, "s9/", args)
            .output()
            .unwrap();
        let stderr = failed(&output, 2);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        let sent: u64 = world.emu.stats().requests.values().sum();
        assert_eq!(sent, 0, "{args:?}: nothing sent");
    }
}

/// The same prefix at both ends rewrites each object in place when something changes (here the
/// storage class, single and multipart), and a rerun asking for the same skips them.
#[test]
fn the_same_prefix_rewrites_each_object_in_place() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, _) = buckets(provider);
        let class = match provider {
            Provider::Cos => "STANDARD_IA",
            Provider::Oss => "IA",
        };
        let header = format!("{}-storage-class", provider.prefix());
        let big = 3 * min_part_bytes(provider) + 5;
        world.object(provider, "h/small", 100, 1);
        world.object(provider, "h/big", big, 2);
        let before = world.emu.read(src, "h/big", big - 64, 64).unwrap();
        let args = [
            &smallest_parts(provider)[..],
            &["--storage-class", class, "--verify"],
        ]
        .concat();
        let summary = batch(&cp_r(&world, provider, "h/", src, "h/", &args), 0);
        assert_eq!(summary["copied"], 2, "{summary}");
        for key in ["h/small", "h/big"] {
            let info = world.emu.object_info(src, key).unwrap();
            assert_eq!(
                info.headers.get(&header).map(String::as_str),
                Some(class),
                "{provider:?} {key}"
            );
        }
        assert_eq!(world.emu.read(src, "h/big", big - 64, 64).unwrap(), before);
        // Run again, the objects already have the class: nothing is rewritten.
        let args = [
            &smallest_parts(provider)[..],
            &["--storage-class", class, "--skip-identical"],
        ]
        .concat();
        let summary = batch(&cp_r(&world, provider, "h/", src, "h/", &args), 0);
        assert_eq!(summary["skipped"], 2, "{summary}");
    }
}

/// With --checkpoint-dir, an object whose multipart copy fails keeps its upload and checkpoint
/// while the others are copied; the rerun resumes it (only its missing parts are copied) and
/// skips the rest with --skip-identical.
#[test]
fn a_failed_object_resumes_on_the_rerun() {
    let world = World::new();
    let dir = TempDir::new("recursive-resume");
    let provider = Provider::Cos;
    let (_, dst) = buckets(provider);
    world.object(provider, "r/a", 10, 1);
    world.object(provider, "r/big", 6 * MIB, 2);
    world.object(provider, "r/z", 10, 3);
    world.emu.set_faults(part_copies_fail_from(3));
    world.emu.reset_stats();
    let base = [
        &smallest_parts(provider)[..],
        &[
            "-j",
            "1",
            "--jobs",
            "1",
            "--checkpoint-dir",
            dir.arg(),
            "--skip-identical",
        ],
    ]
    .concat();
    let args = [&base[..], &["--max-attempts", "1"]].concat();
    let summary = batch(&cp_r(&world, provider, "r/", dst, "s/", &args), 1);
    world.emu.set_faults(FaultPlan::default());
    assert_eq!(
        (summary["copied"].as_u64(), summary["failed"].as_u64()),
        (Some(2), Some(1)),
        "{summary}"
    );
    let failure = &summary["failures"][0];
    assert!(
        failure["error"]
            .as_str()
            .unwrap()
            .contains("run the same command again to resume"),
        "{summary}"
    );
    assert_eq!(world.open_uploads(provider), 1, "kept");
    assert_eq!(dir.files().len(), 1, "one checkpoint, the failed object's");

    world.emu.reset_stats();
    let summary = batch(&cp_r(&world, provider, "r/", dst, "s/", &base), 0);
    assert_eq!(
        (summary["copied"].as_u64(), summary["skipped"].as_u64()),
        (Some(1), Some(2)),
        "{summary}"
    );
    assert_eq!(
        world.count(Api::UploadPartCopy),
        4,
        "the two parts done were not copied again"
    );
    assert!(world
        .emu
        .same_content((buckets(provider).0, "r/big"), (dst, "s/big"))
        .unwrap());
    assert_eq!(world.open_uploads(provider), 0);
    assert!(dir.files().is_empty());
}

/// The objects of a batch share one connection pool: 40 copies two at a time open a handful of
/// connections, not one (or more) each.
#[test]
fn a_batch_shares_its_connections() {
    let world = World::new();
    let provider = Provider::Cos;
    for n in 0..40 {
        world.object(provider, &format!("s/{n:02}"), 10, n);
    }
    world.emu.reset_stats();
    let summary = batch(
        &cp_r(
            &world,
            provider,
            "s/",
            buckets(provider).1,
            "t/",
            &["--jobs", "2"],
        ),
        0,
    );
    assert_eq!(summary["copied"], 40, "{summary}");
    let accepted = world.emu.stats().connections_accepted;
    assert!(
        (1..=6).contains(&accepted),
        "{accepted} connections for 80 requests"
    );
}

#[test]
fn the_next_page_is_listed_while_the_copies_run() {
    // Pages of 4 keys, a window of 4, and every copy and listing slow enough to overlap: the
    // second page is asked for while the first page's copies are still in the service.
    let world = World::with_list_pages_of(4);
    let provider = Provider::Cos;
    let (_, dst) = buckets(provider);
    for n in 0..12 {
        world.object(provider, &format!("w/{n:02}"), 10, n);
    }
    let slow = OpFaults {
        latency_ms: 300,
        ..OpFaults::default()
    };
    let mut plan = only(Api::CopyObject, slow.clone());
    plan.ops.insert(Api::ListObjects, slow);
    world.emu.set_faults(plan);
    world.emu.reset_stats();
    let output = cp_r(&world, provider, "w/", dst, "v/", &["--jobs", "4"]);
    world.emu.set_faults(FaultPlan::default());
    let summary = batch(&output, 0);
    assert_eq!(summary["copied"], 12, "{summary}");
    assert_eq!(world.count(Api::ListObjects), 3);
    let stats = world.emu.stats();
    assert_eq!(stats.max_in_flight_by_op.get(&Api::CopyObject), Some(&4));
    // A full window of copies and a listing at once: waiting for each page with the window
    // stopped would never have more than the window in flight.
    assert_eq!(stats.max_in_flight, 5, "{stats:?}");
    for n in [0, 4, 11] {
        let key = format!("w/{n:02}");
        assert!(world.exists(provider, &format!("v/{n:02}")), "{key}");
    }
}

/// 5 % 500s, 2 % SlowDown, 1 % dropped connections and 1 % 200-with-error-body on every
/// operation, the listing (in pages of 7) included: a batch of single and multipart copies
/// through one shared pool ends with every object identical to its source and no upload left.
#[test]
fn a_batch_completes_under_random_faults() {
    let world = World::with_list_pages_of(7);
    for provider in [Provider::Cos, Provider::Oss] {
        let (src, dst) = buckets(provider);
        let part = min_part_bytes(provider);
        let sizes: Vec<u64> = (0..24)
            .map(|n| if n % 6 == 0 { 5 * part + n } else { 100 + n })
            .collect();
        for (n, size) in sizes.iter().enumerate() {
            world.object(provider, &format!("chaos/{n:02}"), *size, n as u64);
        }
        let mut plan = everywhere(OpFaults {
            latency_ms: 1,
            jitter_ms: 4,
            internal_error: 0.05,
            slow_down: 0.02,
            drop_connection: 0.01,
            error_200: 0.01,
            ..OpFaults::default()
        });
        let listing = plan.ops[&Api::HeadObject].clone();
        plan.ops.insert(Api::ListObjects, listing);
        world.emu.set_faults(plan);
        world.emu.reset_stats();
        // Eight attempts: one operation failing eight times in a row at a 9 % fault rate has
        // odds of 4e-9, while the batch's few hundred requests meet faults.
        let output = cp_r(
            &world,
            provider,
            "chaos/",
            dst,
            "calm/",
            &[
                "--jobs",
                "5",
                "-j",
                "3",
                "--threshold",
                min_part(provider),
                "--part-size",
                min_part(provider),
                "--max-attempts",
                "8",
            ],
        );
        world.emu.set_faults(FaultPlan::default());
        let summary = batch(&output, 0);
        assert_eq!(summary["copied"], 24, "{provider:?}: {summary}");
        assert!(summary["retries"].as_u64().unwrap() > 0, "{summary}");
        assert!(world.count(Api::ListObjects) >= 4);
        for n in 0..sizes.len() {
            let key = format!("chaos/{n:02}");
            let copy = format!("calm/{n:02}");
            assert!(
                world.emu.same_content((src, &key), (dst, &copy)).unwrap(),
                "{provider:?} {key}"
            );
        }
        assert_eq!(world.open_uploads(provider), 0, "{provider:?}");
    }
}

#[test]
fn an_object_gone_since_the_listing_fails_saying_so() {
    let world = World::new();
    let provider = Provider::Cos;
    let (src, _) = buckets(provider);
    world.object(provider, "v/gone", 10, 1);
    world.object(provider, "v/kept", 10, 2);
    // Each HEAD waits in the emulator; "v/gone" is deleted while its HEAD waits, after the
    // listing named it.
    world.emu.set_faults(slow(Api::HeadObject, 1_500));
    world.emu.reset_stats();
    let child = start_r(
        &world,
        provider,
        ("v/", "w/"),
        &["--jobs", "2"],
        (Api::HeadObject, 2),
    );
    assert!(world.emu.delete_object(src, "v/gone").unwrap());
    let output = child.wait_with_output().unwrap();
    world.emu.set_faults(FaultPlan::default());
    let summary = batch(&output, 1);
    assert_eq!(
        (summary["copied"].as_u64(), summary["failed"].as_u64()),
        (Some(1), Some(1)),
        "{summary}"
    );
    let failure = &summary["failures"][0];
    assert_eq!(failure["source"], url(provider, src, "v/gone").as_str());
    let error = failure["error"].as_str().unwrap();
    assert!(error.contains("listed but is gone"), "{error}");
    assert!(!error.contains("taken verbatim"), "{error}");
    assert!(world.exists(provider, "w/kept"));
}

#[test]
fn ctrl_c_during_a_slow_listing_stops_at_once() {
    let world = World::new();
    let provider = Provider::Cos;
    world.object(provider, "slow/1", 10, 1);
    world.emu.set_faults(slow(Api::ListObjects, 5_000));
    world.emu.reset_stats();
    let child = start_r(&world, provider, ("slow/", "fast/"), &[], (Api::ListObjects, 1));
    interrupt(&child);
    let output = child.wait_with_output().unwrap();
    // Gone while the service still held the listing: its 5 s delay was never served.
    assert_eq!(world.emu.stats().delays.count, 0, "{:?}", world.emu.stats());
    world.emu.set_faults(FaultPlan::default());
    let summary = batch(&output, 130);
    assert_eq!(summary["status"], "interrupted", "{summary}");
    assert_eq!(summary["objects"], 0, "{summary}");
    assert_eq!(world.count(Api::CopyObject), 0);
}
