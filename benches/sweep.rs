//! A sweep's grid runs in parallel: the same sweep on a pool of 1 thread and of 2.
//!
//! `cargo bench --bench sweep`. On the 2-core development machine: 326 ms on one
//! thread, 196 ms on two (criterion's median estimates).

use criterion::{Criterion, criterion_group, criterion_main};

use gradlab::check::Redeclare;
use gradlab::report::json::JsonReporter;
use gradlab::session::{EvalStatus, Mode, Session};

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

criterion_group!(benches, sweep_threads);
criterion_main!(benches);
