//! A machine whose clock is off the service's: the first request is refused for its time (COS:
//! `RequestTimeTooSkewed` when the clock is ahead, `AccessDenied` "Request has expired" when it is
//! over an hour behind; OSS: `RequestTimeTooSkewed` past 15 minutes either way); partcopy learns the
//! service's time from the refusal's `Date`, warns, and signs everything after it with that time —
//! the copy, `--verify`, `uploads` and `abort` all go through. Without a retry allowed the
//! refusal is an error saying what is wrong; a skew the service tolerates changes nothing.

mod harness;

use harness::*;
use partcopy_emulator::{Api, Provider};

const MINUTE_MS: i64 = 60_000;

/// A multipart copy of `parts` smallest parts at -j4, verified.
fn multipart(provider: Provider) -> Vec<&'static str> {
    let mut args = smallest_parts(provider).to_vec();
    args.extend(["-j", "4", "--verify"]);
    args
}

#[test]
fn a_copy_from_a_machine_whose_clock_is_off_signs_with_the_service_time() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        // The service 20 minutes behind (this machine ahead), then 2 hours ahead (this behind).
        for (skew_ms, words) in [
            (-20 * MINUTE_MS, "1200 s ahead of"),
            (120 * MINUTE_MS, "7200 s behind"),
        ] {
            let key = format!("clock-{}", skew_ms / MINUTE_MS);
            world.object(provider, &key, 5 * min_part_bytes(provider), 9);
            world.emu.set_clock_skew_ms(skew_ms);
            world.emu.reset_stats();
            let output = world.cp(provider, &key, &multipart(provider));
            let summary = copied(&output);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let what = format!("{provider:?} {skew_ms}");
            assert!(
                stderr.contains(&format!("this machine's clock is {words} the service's")),
                "{what}: {stderr}"
            );
            assert_eq!(
                stderr.matches("refused").count(),
                1,
                "{what}: warned once: {stderr}"
            );
            // Only the first request (the source's HEAD, alone) was refused and sent again.
            assert_eq!(summary["retries"], 1, "{what}: {summary}");
            assert_eq!(
                world.count(Api::HeadObject),
                2 + 2,
                "{what}: HEAD twice, --verify's two"
            );
            assert_eq!(world.count(Api::UploadPartCopy), 5, "{what}");
            assert_eq!(summary["verified"], true, "{what}");
            assert!(world.same(provider, &key), "{what}");
        }
        world.emu.set_clock_skew_ms(0);
    }
}

/// What sends one request outside a copy job — `--dry-run`'s HEAD, `--skip-identical`'s — sends
/// it again after such a refusal.
#[test]
fn dry_run_and_skip_identical_from_a_machine_whose_clock_is_off() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        world.object(provider, "clock-dry", 3 * min_part_bytes(provider), 5);
        world.emu.set_clock_skew_ms(-20 * MINUTE_MS);
        world.emu.reset_stats();
        let output = world.cp(
            provider,
            "clock-dry",
            &[&multipart(provider)[..], &["--dry-run"]].concat(),
        );
        assert!(
            output.status.success(),
            "{provider:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(world.count(Api::HeadObject), 2, "{provider:?}");
        assert!(!world.exists(provider, "clock-dry"));
        // Copied once, then skipped: the rerun's first HEAD is refused and sent again.
        copied(&world.cp(provider, "clock-dry", &multipart(provider)));
        world.emu.reset_stats();
        let args = [&multipart(provider)[..], &["--skip-identical"]].concat();
        let output = world.cp(provider, "clock-dry", &args);
        assert!(
            output.status.success(),
            "{provider:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["status"], "skipped", "{provider:?}: {summary}");
        assert_eq!(world.count(Api::UploadPartCopy), 0, "{provider:?}");
        world.emu.set_clock_skew_ms(0);
    }
}

#[test]
fn without_a_retry_the_refusal_says_the_clock_is_off() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        world.object(provider, "clock-once", 3 * min_part_bytes(provider), 2);
        world.emu.set_clock_skew_ms(-20 * MINUTE_MS);
        world.emu.reset_stats();
        let args = [&multipart(provider)[..], &["--max-attempts", "1"]].concat();
        let stderr = failed(&world.cp(provider, "clock-once", &args), 1);
        assert!(
            stderr.contains("1200 s ahead of the service's"),
            "{provider:?}: {stderr}"
        );
        assert!(stderr.contains("set it right (NTP)"), "{provider:?}: {stderr}");
        assert_eq!(world.count(Api::HeadObject), 1, "{provider:?}");
        assert!(!world.exists(provider, "clock-once"));
    }
}

/// COS accepts a signature from up to 60 s before its start (partcopy backdates it so), OSS up to
/// 15 minutes off: within that, nothing is refused, learnt or retried.
#[test]
fn a_skew_the_service_tolerates_changes_nothing() {
    let world = World::new();
    for (provider, skew_ms) in [
        (Provider::Cos, -40_000),
        (Provider::Cos, 50 * MINUTE_MS),
        (Provider::Oss, 10 * MINUTE_MS),
        (Provider::Oss, -10 * MINUTE_MS),
    ] {
        let key = format!("clock-fine-{skew_ms}");
        world.object(provider, &key, 3 * min_part_bytes(provider), 4);
        world.emu.set_clock_skew_ms(skew_ms);
        let output = world.cp(provider, &key, &multipart(provider));
        let summary = copied(&output);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(summary["retries"], 0, "{provider:?} {skew_ms}: {summary}");
        assert!(!stderr.contains("clock"), "{provider:?} {skew_ms}: {stderr}");
    }
}

/// `uploads` and `abort` sign with the service's time after a refusal too.
#[test]
fn uploads_and_abort_from_a_machine_whose_clock_is_off() {
    let world = World::new();
    let endpoint = world.emu.endpoint();
    for provider in [Provider::Cos, Provider::Oss] {
        let (_, dst) = buckets(provider);
        let upload = world.emu.create_upload(dst, "clock-upload").unwrap();
        world.emu.set_clock_skew_ms(30 * MINUTE_MS);
        let target = url(provider, dst, "clock-upload");
        let tail = [
            "--region",
            region(provider),
            "--endpoint",
            endpoint.as_str(),
            "--json",
        ];
        let listed = world
            .partcopy(provider, &[&["uploads", target.as_str()][..], &tail[..]].concat())
            .output()
            .unwrap();
        assert!(
            listed.status.success(),
            "{provider:?}: {}",
            String::from_utf8_lossy(&listed.stderr)
        );
        assert!(
            String::from_utf8_lossy(&listed.stdout).contains(&upload),
            "{provider:?}"
        );
        let aborted = world
            .partcopy(
                provider,
                &[&["abort", target.as_str(), "--all"][..], &tail[..]].concat(),
            )
            .output()
            .unwrap();
        assert!(
            aborted.status.success(),
            "{provider:?}: {}",
            String::from_utf8_lossy(&aborted.stderr)
        );
        assert!(
            world.emu.uploads().iter().all(|u| u.upload_id != upload),
            "{provider:?}"
        );
        world.emu.set_clock_skew_ms(0);
    }
}
