//! Planning benchmark: the plan of a 10,000-part copy (a 10,000 MiB source in 1 MiB parts) and
//! every part of it.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use partcopy_core::{plan, Limits, PlanOptions};

const MIB: u64 = 1024 * 1024;

fn bench(c: &mut Criterion) {
    let options = PlanOptions {
        part_size: Some(MIB),
        threshold: None,
    };
    let size = 10_000 * MIB;
    let mut g = c.benchmark_group("plan");
    g.bench_function("parts_10000", |b| {
        b.iter(|| {
            let plan = plan(black_box(size), &Limits::COS, &options).unwrap();
            assert_eq!(plan.part_count(), 10_000);
            // The parts are computed on demand: enumerate them all, as a copy does.
            black_box(plan.parts().map(|p| p.range.len()).sum::<u64>())
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = bench
}
criterion_main!(benches);
