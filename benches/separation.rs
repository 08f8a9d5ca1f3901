//! Criterion benchmarks: the separation check alone and a whole simulated minute, at 1k,
//! 10k and 100k drones in the air (synthetic grid traffic, 1 s step, 30 s look-ahead).
//! `cargo bench --bench separation`; `skycorridor bench` prints the same figures as a table.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use skycorridor::bench;
use skycorridor::sim::separation::{Detector, Params};

fn separation(c: &mut Criterion) {
    let params = Params {
        horizontal_m: 50.0,
        vertical_m: 15.0,
        lookahead_s: 30.0,
        dt_s: 1.0,
    };
    let mut group = c.benchmark_group("separation_check");
    group.sample_size(10);
    for n in [1_000, 10_000, 100_000] {
        let tracks = bench::tracks(n);
        let mut det = Detector::default();
        let mut out = Vec::new();
        group.bench_function(format!("{n}_drones"), |b| {
            b.iter(|| det.detect(&tracks, &params, &mut out))
        });
    }
    group.finish();
}

fn simulated_minute(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulated_minute");
    group.sample_size(10);
    for n in [1_000, 10_000, 100_000] {
        group.bench_function(format!("{n}_drones"), |b| {
            b.iter_batched(
                || bench::airborne(n, 60.0),
                |mut sim| sim.run_to_end(),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, separation, simulated_minute);
criterion_main!(benches);
