//! One run per checkpoint: while a checkpointed copy runs, the same command again fails at once
//! (exit 1, naming the other run) without sending anything or touching the checkpoint; the first
//! run finishes untroubled and leaves no lock behind. A lock file left by a killed run does not
//! block the next run.

mod harness;

use std::process::Stdio;
use std::time::{Duration, Instant};

use harness::*;
use partcopy_emulator::{Api, OpFaults, Provider};

#[test]
fn a_second_run_of_a_running_checkpointed_copy_is_refused() {
    let world = World::new();
    let dir = TempDir::new("one-run");
    for provider in [Provider::Cos, Provider::Oss] {
        let key = "busy";
        world.object(provider, key, 6 * min_part_bytes(provider), 4);
        world.emu.set_faults(only(
            Api::UploadPartCopy,
            OpFaults {
                // Long enough that the second run surely starts while the first is copying.
                latency_ms: 400,
                ..OpFaults::default()
            },
        ));
        let args = [
            &smallest_parts(provider)[..],
            &["-j", "2", "--checkpoint-dir", dir.arg()],
        ]
        .concat();
        world.emu.reset_stats();
        let first = world
            .command(provider, key, key, &args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Running: its upload initiated, its checkpoint and lock on disk.
        let deadline = Instant::now() + Duration::from_secs(20);
        while world.count(Api::UploadPartCopy) == 0 {
            assert!(Instant::now() < deadline, "the first run never started copying");
            std::thread::sleep(Duration::from_millis(2));
        }
        let journal = dir.journal();
        let before = std::fs::read(&journal).unwrap();
        let heads = world.count(Api::HeadObject);

        let output = world.cp(provider, key, &args);
        let stderr = failed(&output, 1);
        assert!(
            stderr.contains("another partcopy is running this copy"),
            "{provider:?}: {stderr}"
        );
        assert_eq!(world.count(Api::HeadObject), heads, "the second run sent nothing");
        assert_eq!(world.count(Api::InitiateMultipartUpload), 1);
        assert!(std::fs::read(&journal)
            .unwrap()
            .starts_with(&before[..before.len().min(64)]));

        let output = first.wait_with_output().unwrap();
        let summary = copied(&output);
        assert_eq!(summary["parts"], 6, "{provider:?}");
        assert!(world.same(provider, key));
        assert!(dir.all().is_empty(), "{provider:?}: {:?}", dir.all());
        world.emu.set_faults(Default::default());

        // A lock file a killed run left (same name, nobody holding it) does not block.
        let lock = journal.with_extension("lock");
        std::fs::write(&lock, b"").unwrap();
        copied(&world.cp(provider, key, &args));
        assert!(dir.all().is_empty(), "{provider:?}: {:?}", dir.all());
    }
}
