//! The four training workloads of issue 13 as criterion benches, one step per iteration.
//!
//! `cargo bench --bench workloads` (or `-- C` for one). Each sample is one training run
//! timed from its first step record on (see `workload::Workload::time_steps`), so the time
//! per iteration is the time per training step, parameter initialisation left out.
//! Criterion's throughput ("elem/s") counts the products' FLOPs. `vs_torch.py` puts the
//! same workloads next to PyTorch's.

mod workload;

use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

use workload::WORKLOADS;

fn training_steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("training step");
    for w in &WORKLOADS {
        // The wide workloads take 10–200 ms per step: few, equal-sized samples.
        if w.width >= 512 {
            group.sampling_mode(SamplingMode::Flat);
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(8));
        } else {
            group.sampling_mode(SamplingMode::Auto);
            group.sample_size(50);
            group.measurement_time(Duration::from_secs(4));
        }
        group.throughput(Throughput::Elements(w.flops_per_step() as u64));
        group.bench_function(format!("{}: {}", w.name, w.title), |b| {
            b.iter_custom(|steps| w.time_steps(1, steps as usize))
        });
    }
    group.finish();
}

criterion_group!(benches, training_steps);
criterion_main!(benches);
