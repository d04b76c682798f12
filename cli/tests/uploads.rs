//! `partcopy uploads DST` lists the multipart uploads of exactly DST's key (across pages, not
//! those of longer keys); `partcopy abort DST UPLOAD_ID` aborts the upload a failed copy kept
//! (both clouds), after which the copy run again starts over; an upload that is not there is exit
//! 1 saying so; server errors are retried; bad input is exit 2 with nothing sent.

mod harness;

use harness::*;
use partcopy_emulator::{Api, FaultKind, FaultPlan, NthFailure, OpFaults, Provider};
use serde_json::Value;

/// A multipart copy of `key` that fails after two parts, keeping its upload and checkpoint in
/// `dir`; returns the upload id.
fn kept_upload(world: &World, provider: Provider, key: &str, dir: &TempDir) -> String {
    kept_upload_with(world, provider, key, dir, &[])
}

/// [`kept_upload`] with more `cp` options.
fn kept_upload_with(world: &World, provider: Provider, key: &str, dir: &TempDir, extra: &[&str]) -> String {
    world.object(provider, key, 6 * min_part_bytes(provider), 9);
    world.emu.set_faults(part_copies_fail_from(3));
    world.emu.reset_stats();
    let args = [
        &smallest_parts(provider)[..],
        &["-j", "1", "--max-attempts", "1", "--checkpoint-dir", dir.arg()],
        extra,
    ]
    .concat();
    let output = world.cp(provider, key, &args);
    let stderr = failed(&output, 1);
    world.emu.set_faults(FaultPlan::default());
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    let upload_id = summary["upload_id"].as_str().unwrap().to_string();
    assert_eq!(world.open_uploads(provider), 1);
    // The failure says how to give the copy up, DST quoted for a shell when it must be.
    let dst = url(provider, buckets(provider).1, key);
    let dst = if key.contains(' ') {
        format!("'{dst}'")
    } else {
        dst
    };
    let command = format!(
        "give the copy up with: partcopy abort {dst} {upload_id} --region {} --endpoint {}",
        region(provider),
        world.emu.endpoint()
    );
    assert!(stderr.contains(&command), "{stderr}");
    upload_id
}

/// `partcopy <subcommand> DST <words> --region R --endpoint <emulator> <extra>`, DST being the
/// destination bucket's `key`.
fn subcommand(
    world: &World,
    provider: Provider,
    name: &str,
    key: &str,
    words: &[&str],
    extra: &[&str],
) -> std::process::Output {
    let dst = url(provider, buckets(provider).1, key);
    let endpoint = world.emu.endpoint();
    let head = [name, dst.as_str()];
    let tail = ["--region", region(provider), "--endpoint", endpoint.as_str()];
    let args = [&head[..], words, &tail[..], extra].concat();
    world.partcopy(provider, &args).output().unwrap()
}

fn abort(
    world: &World,
    provider: Provider,
    key: &str,
    upload_id: &str,
    extra: &[&str],
) -> std::process::Output {
    subcommand(world, provider, "abort", key, &[upload_id], extra)
}

fn uploads(world: &World, provider: Provider, key: &str, extra: &[&str]) -> std::process::Output {
    subcommand(world, provider, "uploads", key, &[], extra)
}

/// The `--json` summary of a command that must have succeeded (exit 0).
fn succeeded(output: &std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The (key, upload id) pairs `partcopy uploads --json` lists, sorted.
fn listed_with_keys(output: &std::process::Output) -> Vec<(String, String)> {
    let summary = succeeded(output);
    let mut pairs: Vec<(String, String)> = summary["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let field = |name: &str| u[name].as_str().unwrap().to_string();
            (field("key"), field("upload_id"))
        })
        .collect();
    pairs.sort();
    pairs
}

/// The upload ids `partcopy uploads --json` lists.
fn listed(output: &std::process::Output) -> Vec<String> {
    let summary = succeeded(output);
    assert_eq!(summary["status"], "listed");
    summary["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["upload_id"].as_str().unwrap().to_string())
        .collect()
}

/// The kept upload is listed (with the command to abort it), those of other keys are not — a key
/// that merely starts with DST's included —, and an odd key is listed as itself.
#[test]
fn uploads_lists_exactly_the_uploads_of_dst() {
    let world = World::new();
    let dir = TempDir::new("uploads-list");
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        let kept = kept_upload(&world, provider, "big file+1", &dir);
        let longer = world.emu.create_upload(dst, "big file+1.bak").unwrap();
        let before = world.emu.create_upload(dst, "big file").unwrap();
        world.emu.reset_stats();
        let output = uploads(&world, provider, "big file+1", &[]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(&kept), "{stdout}");
        assert!(!stdout.contains(&longer) && !stdout.contains(&before), "{stdout}");
        assert!(stdout.contains("1 upload(s) in progress"), "{stdout}");
        assert!(stdout.contains("partcopy abort"), "{stdout}");
        assert_eq!(world.count(Api::ListMultipartUploads), 1);
        let json = uploads(&world, provider, "big file+1", &["--json"]);
        assert_eq!(listed(&json), vec![kept.clone()]);

        // Aborted, it is gone from the list.
        assert!(abort(&world, provider, "big file+1", &kept, &[]).status.success());
        assert!(listed(&uploads(&world, provider, "big file+1", &["--json"])).is_empty());
        let output = uploads(&world, provider, "big file+1", &[]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("no multipart uploads in progress"), "{stdout}");
        let open: Vec<String> = world.emu.uploads().into_iter().map(|u| u.upload_id).collect();
        assert!(
            open.contains(&longer) && open.contains(&before),
            "others untouched"
        );
        for file in dir.files() {
            std::fs::remove_file(file).unwrap();
        }
    }
}

/// Each upload's storage class is the one its Initiate asked for, else the provider's default.
#[test]
fn uploads_show_the_class_each_upload_was_initiated_with() {
    let world = World::new();
    let dir = TempDir::new("uploads-class");
    for (provider, class, default) in [
        (Provider::Cos, "STANDARD_IA", "STANDARD"),
        (Provider::Oss, "IA", "Standard"),
    ] {
        let kept = kept_upload_with(&world, provider, "classy", &dir, &["--storage-class", class]);
        let plain = world.emu.create_upload(buckets(provider).1, "classy").unwrap();
        let summary = succeeded(&uploads(&world, provider, "classy", &["--json"]));
        let class_of = |id: &str| {
            summary["uploads"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["upload_id"] == id)
                .map(|u| u["storage_class"].clone())
        };
        assert_eq!(class_of(&kept), Some(Value::from(class)), "{provider:?}");
        assert_eq!(class_of(&plain), Some(Value::from(default)), "{provider:?}");
        for file in dir.files() {
            std::fs::remove_file(file).unwrap();
        }
    }
}

/// `--prefix`: the uploads of every key under DST's, each with its key, across pages.
#[test]
fn uploads_with_prefix_lists_every_key_under_it() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        let mut wanted: Vec<(String, String)> = Vec::new();
        for key in ["backups/a", "backups/b c+d", "backups/z"] {
            for _ in 0..600 {
                wanted.push((key.to_string(), world.emu.create_upload(dst, key).unwrap()));
            }
        }
        let outside = world.emu.create_upload(dst, "backupsX").unwrap();
        world.emu.reset_stats();
        let output = uploads(&world, provider, "backups/", &["--prefix", "--json"]);
        wanted.sort();
        assert_eq!(listed_with_keys(&output), wanted, "{provider:?}");
        assert_eq!(
            world.count(Api::ListMultipartUploads),
            2,
            "1,800 uploads: two pages"
        );
        // For people: the key on each line.
        let output = uploads(&world, provider, "backups/", &["--prefix"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("  backups/b c+d\n"), "{stdout}");
        assert!(
            stdout.contains("1800 upload(s) in progress for keys under"),
            "{stdout}"
        );
        assert!(!stdout.contains(&outside), "{stdout}");
    }
}

/// More uploads than one page (1,000) holds: every one is found, across pages, and the listing
/// stops once past DST's key.
#[test]
fn uploads_follows_the_pages() {
    let world = World::new();
    let provider = Provider::Oss;
    let (_, dst) = buckets(provider);
    let mut ids: Vec<String> = (0..1203)
        .map(|_| world.emu.create_upload(dst, "many").unwrap())
        .collect();
    for _ in 0..1500 {
        world.emu.create_upload(dst, "many-more").unwrap();
    }
    world.emu.reset_stats();
    let mut got = listed(&uploads(&world, provider, "many", &["--json"]));
    ids.sort();
    got.sort();
    assert_eq!(got, ids);
    // Two pages hold "many"'s 1,203 uploads; the second ends inside "many-more": no third.
    assert_eq!(world.count(Api::ListMultipartUploads), 2);
    // The same under OSS's V1 signatures (the bucket's canonical resource, `/bucket/?uploads`).
    let mut v1 = listed(&uploads(
        &world,
        provider,
        "many",
        &["--json", "--oss-signature", "v1"],
    ));
    v1.sort();
    assert_eq!(v1, ids);
}

#[test]
fn abort_frees_a_kept_upload_and_the_copy_then_starts_over() {
    let world = World::new();
    let dir = TempDir::new("abort-kept");
    for provider in [Provider::Cos, Provider::Oss] {
        let upload_id = kept_upload(&world, provider, "kept", &dir);
        world.emu.reset_stats();
        let output = abort(&world, provider, "kept", &upload_id, &[]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains(&format!("aborted upload {upload_id} of")),
            "{stdout}"
        );
        assert_eq!(world.count(Api::AbortMultipartUpload), 1);
        assert_eq!(world.open_uploads(provider), 0, "{provider:?}");

        // Again: the upload is not there any more.
        let stderr = failed(&abort(&world, provider, "kept", &upload_id, &["--json"]), 1);
        assert!(stderr.contains(&format!("no upload {upload_id} at")), "{stderr}");
        assert!(stderr.contains("already aborted or completed"), "{stderr}");

        // The checkpoint's upload is gone: the copy starts over and completes.
        let output = world.cp(
            provider,
            "kept",
            &[&smallest_parts(provider)[..], &["--checkpoint-dir", dir.arg()]].concat(),
        );
        let summary = copied(&output);
        assert_eq!(summary["restarted"], "upload_gone");
        assert!(world.same(provider, "kept"));
        assert!(dir.files().is_empty());
    }
}

/// `--all` aborts every upload of DST's key (not those of a longer key), goes on past a failed
/// abort and reports it, and says when there is nothing to abort.
#[test]
fn abort_all_aborts_every_upload_of_dst() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        let mut ids: Vec<String> = (0..3)
            .map(|_| world.emu.create_upload(dst, "all me").unwrap())
            .collect();
        let longer = world.emu.create_upload(dst, "all me.bak").unwrap();
        world.emu.reset_stats();
        let output = abort_all(&world, provider, "all me", &["--json"]);
        let summary = succeeded(&output);
        assert_eq!(summary["status"], "aborted");
        assert!(summary.get("upload_id").is_none(), "{summary}");
        let mut aborted: Vec<String> = summary["aborted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_string())
            .collect();
        aborted.sort();
        ids.sort();
        assert_eq!(aborted, ids, "{provider:?}");
        assert_eq!(world.count(Api::AbortMultipartUpload), 3);
        let open: Vec<String> = world.emu.uploads().into_iter().map(|u| u.upload_id).collect();
        assert_eq!(open, vec![longer.clone()], "{provider:?}: the longer key's stays");
        let output = abort_all(&world, provider, "all me", &[]);
        assert!(output.status.success());
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("no multipart uploads in progress"), "{stdout}");

        // A failed abort does not stop the others, and is the exit status.
        for _ in 0..3 {
            world.emu.create_upload(dst, "all me").unwrap();
        }
        world.emu.set_faults(first_abort_fails());
        world.emu.reset_stats();
        let output = abort_all(&world, provider, "all me", &["--max-attempts", "1"]);
        let stderr = failed(&output, 1);
        assert!(stderr.contains("1 of 3 abort(s) failed"), "{stderr}");
        assert!(stderr.contains("InternalError (HTTP 500)"), "{stderr}");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout)
                .matches("aborted upload")
                .count(),
            2
        );
        world.emu.set_faults(FaultPlan::default());
        assert_eq!(
            world.emu.uploads().len(),
            2,
            "the failed one and the longer key's"
        );
        assert!(abort_all(&world, provider, "all me", &[]).status.success());
        assert!(abort(&world, provider, "all me.bak", &longer, &[])
            .status
            .success());
        assert!(world.emu.uploads().is_empty());
    }
}

/// `--older-than` keeps uploads at least that old, in `uploads` and in `abort --all` (which then
/// spares a fresh upload, another writer's say); it needs `--all` on abort.
#[test]
fn older_than_spares_recent_uploads() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        let day = std::time::Duration::from_secs(86_400);
        let old = world.emu.create_upload_aged(dst, "aged", 10 * day).unwrap();
        let week = world
            .emu
            .create_upload_aged(dst, "aged", 7 * day + std::time::Duration::from_secs(60))
            .unwrap();
        let fresh = world.emu.create_upload(dst, "aged").unwrap();
        let mut old_ones = vec![old.clone(), week.clone()];
        old_ones.sort();
        let mut got = listed(&uploads(
            &world,
            provider,
            "aged",
            &["--json", "--older-than", "7d"],
        ));
        got.sort();
        assert_eq!(got, old_ones, "{provider:?}");
        assert_eq!(
            listed(&uploads(
                &world,
                provider,
                "aged",
                &["--json", "--older-than", "9d"]
            )),
            vec![old.clone()]
        );
        assert_eq!(
            listed(&uploads(
                &world,
                provider,
                "aged",
                &["--json", "--older-than", "0s"]
            ))
            .len(),
            3
        );

        // For people, each upload's age beside its initiation time.
        let output = uploads(&world, provider, "aged", &[]);
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        for (id, age) in [(&old, "(10d 0h ago)"), (&week, "(7d 0h ago)")] {
            let line = stdout.lines().find(|l| l.starts_with(id.as_str())).unwrap();
            assert!(line.contains(age), "{line}");
        }
        let line = stdout.lines().find(|l| l.starts_with(fresh.as_str())).unwrap();
        assert!(line.contains("s ago)"), "{line}");

        let output = abort_all(&world, provider, "aged", &["--older-than", "7d", "--json"]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let open: Vec<String> = world.emu.uploads().into_iter().map(|u| u.upload_id).collect();
        assert_eq!(open, vec![fresh.clone()], "{provider:?}: the fresh one is spared");
        assert!(abort(&world, provider, "aged", &fresh, &[]).status.success());
    }
    // On abort it only goes with --all; an age must be one.
    let endpoint = world.emu.endpoint();
    for (args, says) in [
        (
            vec!["abort", "cos://dst-1250000000/k", "U1", "--older-than", "7d"],
            "--all",
        ),
        (
            vec!["uploads", "cos://dst-1250000000/k", "--older-than", "a week"],
            "not a duration",
        ),
    ] {
        let args = [&args[..], &["--region", "ap-guangzhou", "--endpoint", &endpoint]].concat();
        let stderr = failed(&world.partcopy(Provider::Cos, &args).output().unwrap(), 2);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

/// A whole bucket (an empty key) or a key prefix: `uploads --prefix` lists every key's uploads,
/// `abort --all --prefix --older-than AGE` aborts each old enough at its own key — odd keys
/// included — and spares fresh ones and those outside the prefix.
#[test]
fn the_uploads_of_a_whole_bucket_or_prefix_are_listed_and_cleaned_up_by_age() {
    let world = World::new();
    let day = std::time::Duration::from_secs(86_400);
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        let mut old: Vec<(String, String)> = Vec::new();
        for key in ["logs/a b", "logs/c+d%e", "other/x"] {
            old.push((
                key.into(),
                world.emu.create_upload_aged(dst, key, 10 * day).unwrap(),
            ));
        }
        let fresh = world.emu.create_upload(dst, "logs/fresh").unwrap();
        let mut everything = old.clone();
        everything.push(("logs/fresh".into(), fresh.clone()));
        everything.sort();

        // The whole bucket, written with or without the slash.
        let whole = url(provider, dst, "");
        for bucket in [whole.as_str(), whole.trim_end_matches('/')] {
            let output = world
                .partcopy(
                    provider,
                    &[
                        "uploads",
                        bucket,
                        "--prefix",
                        "--json",
                        "--region",
                        region(provider),
                        "--endpoint",
                        &world.emu.endpoint(),
                    ],
                )
                .output()
                .unwrap();
            assert_eq!(listed_with_keys(&output), everything, "{provider:?} {bucket}");
        }

        // Cleaning up `logs/` by age: the old ones under it go, each at its own key.
        world.emu.reset_stats();
        let output = abort_all(
            &world,
            provider,
            "logs/",
            &["--prefix", "--older-than", "7d", "--json"],
        );
        let summary = succeeded(&output);
        assert_eq!(summary["status"], "aborted");
        let mut entries: Vec<(String, String, String)> = summary["uploads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                let field = |name: &str| u[name].as_str().unwrap().to_string();
                (field("key"), field("upload_id"), field("result"))
            })
            .collect();
        entries.sort();
        let expected: Vec<(String, String, String)> = old[..2]
            .iter()
            .map(|(k, id)| (k.clone(), id.clone(), "aborted".to_string()))
            .collect();
        assert_eq!(entries, expected, "{provider:?}");
        assert_eq!(world.count(Api::AbortMultipartUpload), 2);
        let mut open: Vec<String> = world.emu.uploads().into_iter().map(|u| u.upload_id).collect();
        open.sort();
        let mut spared = vec![old[2].1.clone(), fresh.clone()];
        spared.sort();
        assert_eq!(
            open, spared,
            "{provider:?}: the fresh one and the one outside logs/ stay"
        );

        // The whole bucket, for people: each line names its key; nothing old is left under logs/.
        let output = abort_all(&world, provider, "", &["--prefix", "--older-than", "7d"]);
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        assert!(output.status.success(), "{stdout}");
        assert!(
            stdout.contains(&format!(
                "aborted upload {} of {}",
                old[2].1,
                url(provider, dst, "other/x")
            )),
            "{stdout}"
        );
        let output = abort_all(&world, provider, "logs/", &["--prefix", "--older-than", "7d"]);
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        assert!(
            stdout.contains("no multipart uploads in progress for keys under")
                && stdout.contains("initiated that long ago"),
            "{stdout}"
        );
        assert!(abort(&world, provider, "logs/fresh", &fresh, &[])
            .status
            .success());
        assert!(world.emu.uploads().is_empty());
    }

    // --prefix on abort goes with --all and needs an age; an empty key needs --prefix.
    world.emu.reset_stats();
    let endpoint = world.emu.endpoint();
    for (args, says) in [
        (
            vec!["abort", "cos://dst-1250000000/", "--all", "--prefix"],
            "--older-than 7d",
        ),
        (vec!["abort", "cos://dst-1250000000/k", "U1", "--prefix"], "--all"),
        (
            vec!["abort", "cos://dst-1250000000/", "--all", "--older-than", "1d"],
            "no object key",
        ),
        (vec!["uploads", "cos://dst-1250000000/"], "no object key"),
    ] {
        let args = [&args[..], &["--region", "ap-guangzhou", "--endpoint", &endpoint]].concat();
        let stderr = failed(&world.partcopy(Provider::Cos, &args).output().unwrap(), 2);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    assert_eq!(world.count(Api::AbortMultipartUpload), 0, "nothing sent");
    assert_eq!(world.count(Api::ListMultipartUploads), 0, "nothing sent");
}

/// `abort --all -j N` keeps N aborts in flight (default 16), and still reports them in listing
/// order; `-j 1` aborts one at a time.
#[test]
fn abort_all_aborts_concurrently() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        // Aborts held 200 ms each, so the window fills long before the first answer even on a
        // loaded machine; fewer uploads where fewer run at once.
        for (j, most, uploads_made) in [(None, 16, 32), (Some("8"), 8, 16), (Some("1"), 1, 3)] {
            for _ in 0..uploads_made {
                world.emu.create_upload(dst, "many").unwrap();
            }
            let listed = listed(&uploads(&world, provider, "many", &["--json"]));
            world.emu.set_faults(only(
                Api::AbortMultipartUpload,
                OpFaults {
                    latency_ms: 200,
                    ..OpFaults::default()
                },
            ));
            world.emu.reset_stats();
            let mut extra = vec!["--json"];
            if let Some(j) = j {
                extra.extend(["-j", j]);
            }
            let summary = succeeded(&abort_all(&world, provider, "many", &extra));
            world.emu.set_faults(FaultPlan::default());
            let order: Vec<&str> = summary["uploads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["upload_id"].as_str().unwrap())
                .collect();
            assert_eq!(order, listed, "{provider:?} -j {j:?}: in listing order");
            assert_eq!(
                world.emu.stats().max_in_flight_of(Api::AbortMultipartUpload),
                most,
                "{provider:?} -j {j:?}"
            );
            assert!(world.emu.uploads().is_empty());
        }
    }
}

fn abort_all(world: &World, provider: Provider, key: &str, extra: &[&str]) -> std::process::Output {
    subcommand(world, provider, "abort", key, &["--all"], extra)
}

/// The first Abort Multipart Upload answers 500.
fn first_abort_fails() -> FaultPlan {
    only(
        Api::AbortMultipartUpload,
        OpFaults {
            fail_nth: vec![NthFailure {
                n: 1,
                kind: FaultKind::InternalError,
            }],
            ..OpFaults::default()
        },
    )
}

#[test]
fn abort_retries_server_errors_and_reports_json() {
    let world = World::new();
    let dir = TempDir::new("abort-retry");
    let provider = Provider::Oss;
    let upload_id = kept_upload(&world, provider, "retry", &dir);
    world.emu.set_faults(first_abort_fails());
    world.emu.reset_stats();
    let output = abort(&world, provider, "retry", &upload_id, &["--json"]);
    let summary = succeeded(&output);
    assert_eq!(summary["status"], "aborted");
    assert_eq!(summary["upload_id"], upload_id.as_str());
    assert_eq!(summary["requests"], 2);
    assert_eq!(world.open_uploads(provider), 0);

    // The first abort takes effect but its answer is lost: the retry finds the upload gone, which
    // is the abort done, not an error.
    let upload_id = kept_upload(&world, provider, "retry", &dir);
    world
        .emu
        .set_faults(only(Api::AbortMultipartUpload, lose_first_answer()));
    world.emu.reset_stats();
    let output = abort(&world, provider, "retry", &upload_id, &["--json"]);
    let summary = succeeded(&output);
    assert_eq!(
        (&summary["status"], &summary["requests"]),
        (&"aborted".into(), &2.into())
    );
    assert_eq!(world.open_uploads(provider), 0);
    for file in dir.files() {
        std::fs::remove_file(file).unwrap();
    }

    // With one attempt, the server error is the answer.
    let upload_id = kept_upload(&world, provider, "retry", &dir);
    world.emu.set_faults(first_abort_fails());
    world.emu.reset_stats();
    let output = abort(
        &world,
        provider,
        "retry",
        &upload_id,
        &["--json", "--max-attempts", "1"],
    );
    let stderr = failed(&output, 1);
    assert!(
        stderr.contains("failed after 1 attempt(s): InternalError (HTTP 500)"),
        "{stderr}"
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["status"], "failed");
    assert_eq!(world.open_uploads(provider), 1);
}

#[test]
fn bad_abort_input_is_a_usage_error_with_nothing_sent() {
    let world = World::new();
    world.emu.reset_stats();
    let endpoint = world.emu.endpoint();
    for (args, says) in [
        (
            vec!["abort", "cos://nobucketappid/k", "U1", "--region", "ap-guangzhou"],
            "appid",
        ),
        (vec!["abort", "cos://dst-1250000000/k", "U1"], "--region"),
        (
            vec![
                "abort",
                "cos://dst-1250000000/k",
                "has space",
                "--region",
                "ap-guangzhou",
            ],
            "UPLOAD_ID",
        ),
        (
            vec!["abort", "cos://dst-1250000000/k", "", "--region", "ap-guangzhou"],
            "UPLOAD_ID",
        ),
        (
            vec![
                "abort",
                "cos://dst-1250000000/k",
                "U1",
                "--region",
                "ap-guangzhou",
                "--endpoint",
                "ftp://x",
            ],
            "endpoint",
        ),
        (vec!["abort", "cos://dst-1250000000/k"], "UPLOAD_ID"),
        (vec!["uploads", "cos://dst-1250000000/k"], "--region"),
        (
            vec![
                "abort",
                "cos://dst-1250000000/k",
                "U1",
                "--all",
                "--region",
                "ap-guangzhou",
            ],
            "--all",
        ),
        (vec!["uploads", "oss://b"], "DST"),
    ] {
        let mut command = world.partcopy(Provider::Cos, &args);
        let stderr = failed(&command.output().unwrap(), 2);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // No credentials: exit 2 naming the variables.
    let output = world
        .partcopy(
            Provider::Cos,
            &[
                "abort",
                "cos://dst-1250000000/k",
                "U1",
                "--region",
                "ap-guangzhou",
                "--endpoint",
                &endpoint,
            ],
        )
        .env_remove("COS_SECRET_ID")
        .output()
        .unwrap();
    let stderr = failed(&output, 2);
    assert!(stderr.contains("COS_SECRET_ID"), "{stderr}");
    assert_eq!(world.count(Api::AbortMultipartUpload), 0, "nothing sent");
    assert_eq!(world.count(Api::ListMultipartUploads), 0, "nothing sent");
}
