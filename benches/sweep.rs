//! How `sweep` and `compare` use the cores, `cargo bench --bench sweep`:
//! * many small runs: the same sweep on a pool of 1 thread and of 2 (the runs go side by
//!   side, one per core);
//! * a few large runs, whose products already use every core: two runs of workload C
//!   side by side against one after the other, the order `compare` and `sweep` choose
//!   for them (`engine::uses_all_cores`).
//!
//! On the 2-core development machine, idle: the sweep 109.9 ms on one thread, 56.7 ms on
//! two; the two large runs 203.0 ms side by side, 194.8 ms one after the other.

// Shared with the workload benches; this one reads only the specs.
#[allow(dead_code)]
mod workload;

use criterion::{Criterion, criterion_group, criterion_main};
use gradlab::engine::{Control, train, uses_all_cores};

use gradlab::report::json::JsonReporter;
use gradlab::session::{EvalStatus, Mode, Redeclare, Session};

const SWEEP: &str = r#"
seed 1
data wave = sine(64)
network deep(depth = 8, width = 16) {
    input 1
    repeat depth { dense width tanh }
    dense 1 linear
}
sweep deep(depth in [2, 4, 6, 8], lr in [0.001, 0.01]) on wave {
    optimizer adam(lr=0.01)
    steps 200
    metric final_loss
}
"#;

fn run_sweep() {
    let mut session = Session::new(Redeclare::Error);
    let mut sink = Vec::new();
    let mut reporter = JsonReporter { out: &mut sink };
    let status = session.eval("sweep.grad", SWEEP, Mode::Run, &mut reporter);
    assert_eq!(status, EvalStatus::Ok);
}

fn sweep_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("sweep 4x2 grid, 200 steps each");
    group.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        group.bench_function(format!("{threads} thread(s)"), |b| {
            b.iter(|| pool.install(run_sweep))
        });
    }
    group.finish();
}

fn large_runs(c: &mut Criterion) {
    let workload = &workload::WORKLOADS[2];
    let spec = workload.spec(3);
    assert!(uses_all_cores(&spec.net, workload.batch));
    let run = || train(&spec, &mut |_| Control::Continue).expect("a valid workload");
    let mut group = c.benchmark_group(format!("two runs of {}, 3 steps each", workload.title));
    group.sample_size(10);
    group.bench_function("side by side", |b| b.iter(|| rayon::join(run, run)));
    group.bench_function("one after the other", |b| {
        b.iter(|| {
            run();
            run()
        })
    });
    group.finish();
}

criterion_group!(benches, sweep_threads, large_runs);
criterion_main!(benches);
