//! The CLI's connections: once a multipart copy is down to Complete, the window's other pooled
//! connections close while the service works on Complete, not when the process exits.

mod harness;

use std::process::Stdio;
use std::time::{Duration, Instant};

use harness::*;
use partcopy_emulator::{Api, FaultPlan, OpFaults, Provider};

#[test]
fn the_window_closes_while_complete_runs() {
    let world = World::new();
    let provider = Provider::Cos;
    let key = "window";
    world.object(provider, key, 6 * min_part_bytes(provider), 0x77);
    let mut plan = FaultPlan::default();
    // The six part copies overlap (six connections), and Complete takes long enough to watch.
    let slow = |ms| OpFaults {
        latency_ms: ms,
        ..OpFaults::default()
    };
    plan.ops.insert(Api::UploadPartCopy, slow(100));
    plan.ops.insert(Api::CompleteMultipartUpload, slow(1_500));
    world.emu.set_faults(plan);

    let child = world
        .command(
            provider,
            key,
            key,
            &[&smallest_parts(provider)[..], &["-j", "6"]].concat(),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut during_complete = Vec::new();
    while Instant::now() < deadline {
        let stats = world.emu.stats();
        if stats.count(Api::CompleteMultipartUpload) > 0 {
            if stats.in_flight == 0 {
                break;
            }
            during_complete.push(stats.open_connections);
            if stats.open_connections <= 1 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let output = child.wait_with_output().unwrap();
    let summary = copied(&output);
    assert_eq!(summary["parts"], 6);
    assert!(world.same(provider, key));
    assert_eq!(
        world.emu.stats().max_in_flight_of(Api::UploadPartCopy),
        6,
        "the parts overlapped"
    );
    // Six part copies at once took six connections; while Complete ran, only its own was open.
    let tail = &during_complete[during_complete.len().saturating_sub(5)..];
    assert_eq!(
        during_complete.last(),
        Some(&1),
        "open connections over {} samples while Complete ran, the last: {tail:?}",
        during_complete.len()
    );
    world.emu.set_faults(FaultPlan::default());
}
