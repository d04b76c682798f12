//! The crash test: `kill -9` the CLI at random (seeded) moments of a resumable multipart copy, a dozen
//! times in a row, rerunning the same command each time, then let it finish. The object must be
//! identical to its source, and the checkpoint must have saved all but the parts in flight at each
//! kill: Upload Part - Copy requests in total ≤ parts + kills × concurrency (counted by the
//! emulator).
//!
//! Kills land while parts are being copied (from start-up to well before the last part). A second
//! test kills a run after its Complete took effect but before it could hear so: the rerun must
//! recognise the completed upload from the checkpoint and copy nothing again.
//!
//! `PARTCOPY_CRASH_SEED=<n>` replays one schedule; `PARTCOPY_CRASH_RUNS=<n>` repeats the test with
//! seeds n in a row (for soak runs; CI runs it once).

mod harness;

use std::process::Stdio;
use std::time::{Duration, Instant};

use harness::*;
use partcopy_emulator::{Api, OpFaults, Provider};

const PARTS: u64 = 300;
const CONCURRENCY: u64 = 4;
const KILLS: u64 = 12;

/// splitmix64: the kill schedule's randomness, from a seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

fn crash_and_resume(seed: u64) {
    let world = World::with_seed(seed);
    let dir = TempDir::new(&format!("crash-{seed}"));
    let provider = Provider::Cos;
    let key = "crash";
    world.object(provider, key, PARTS * MIB, seed);
    // Part copies take 3–12 ms, so each run is busy long enough to be killed mid-flight.
    world.emu.set_faults(only(
        Api::UploadPartCopy,
        OpFaults {
            latency_ms: 3,
            jitter_ms: 9,
            ..OpFaults::default()
        },
    ));
    let concurrency = CONCURRENCY.to_string();
    let args = [
        "--threshold",
        "1MiB",
        "--part-size",
        "1MiB",
        "-j",
        &concurrency,
        "--checkpoint-dir",
        dir.arg(),
    ];
    let mut rng = Rng(seed);
    for kill in 0..KILLS {
        let before = world.count(Api::UploadPartCopy);
        // Kill after 0–10 part copies of this run have started (0: during start-up, HEAD,
        // Initiate or the resume's List Parts), plus 0–5 ms, so kills land anywhere: mid-request,
        // mid-journal-append, between requests.
        let target = rng.below(11);
        let extra = Duration::from_micros(rng.below(5_000));
        let mut child = world
            .command(provider, key, key, &args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while world.count(Api::UploadPartCopy) < before + target {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("seed {seed}: run {kill} ended on its own ({status}) before its kill");
            }
            assert!(
                Instant::now() < deadline,
                "seed {seed}: run {kill} made no progress"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(extra);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    assert!(!world.exists(provider, key), "seed {seed}: not finished yet");

    let summary = copied(&world.cp(provider, key, &args));
    assert_eq!(summary["parts"], PARTS);
    assert!(world.same(provider, key), "seed {seed}: identical to the source");
    let copies = world.count(Api::UploadPartCopy);
    assert!(
        copies <= PARTS + KILLS * CONCURRENCY,
        "seed {seed}: {copies} part copies for {PARTS} parts and {KILLS} kills at -j {CONCURRENCY}"
    );
    // An upload initiated by a run killed before its checkpoint header was written is orphaned
    // (nobody knows its id), but never holds a part: the header is on disk before any part copy is
    // sent. Every upload that held parts was completed or aborted.
    for upload in world.emu.uploads() {
        assert!(upload.parts.is_empty(), "seed {seed}: {upload:?}");
    }
    assert!(dir.files().is_empty(), "seed {seed}: {:?}", dir.files());
    eprintln!(
        "seed {seed}: {copies} part copies for {PARTS} parts, {} resumed in the last run, {} orphaned uploads",
        summary["resumed_parts"],
        world.emu.uploads().len()
    );
}

/// `kill -9` once the service has completed the upload, while the run still waits to learn it (its
/// Complete answer is lost, and the HEAD it then sends is slow): the rerun confirms the object from
/// the checkpoint and sends no part copy, no Initiate and no Complete.
#[test]
fn kill_9_after_complete_then_rerun_copies_nothing_again() {
    let world = World::new();
    let dir = TempDir::new("crash-after-complete");
    let provider = Provider::Oss;
    let key = "after-complete";
    world.object(provider, key, 7 * min_part_bytes(provider) + 3, 0xAC);
    let args = [
        "--threshold",
        min_part(provider),
        "--part-size",
        min_part(provider),
        "--checkpoint-dir",
        dir.arg(),
    ];
    // `fail_nth` counts requests since the last reset.
    world.emu.reset_stats();
    let mut plan = only(Api::CompleteMultipartUpload, lose_first_answer());
    plan.ops.insert(
        Api::HeadObject,
        OpFaults {
            latency_ms: 3_000,
            ..OpFaults::default()
        },
    );
    world.emu.set_faults(plan);
    let mut child = world
        .command(provider, key, key, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !world.exists(provider, key) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended on its own ({status}) before the upload was completed");
        }
        assert!(Instant::now() < deadline, "the upload was never completed");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(dir.files().len(), 1, "the killed run left its checkpoint");

    world.emu.set_faults(Default::default());
    world.emu.reset_stats();
    let summary = copied(&world.cp(provider, key, &args));
    assert_eq!(summary["parts"], 8);
    assert_eq!(summary["resumed_parts"], 8);
    assert_eq!(summary["confirmed"], "crc64");
    assert_eq!(world.count(Api::UploadPartCopy), 0);
    assert_eq!(world.count(Api::InitiateMultipartUpload), 0);
    assert_eq!(world.count(Api::CompleteMultipartUpload), 0);
    assert!(world.same(provider, key));
    assert!(dir.files().is_empty());
}

#[test]
fn kill_9_at_random_moments_then_resume_until_done() {
    let seed = std::env::var("PARTCOPY_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xC0FFEE);
    let runs = std::env::var("PARTCOPY_CRASH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1u64);
    for run in 0..runs {
        crash_and_resume(seed + run);
    }
}
