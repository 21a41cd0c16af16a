//! The memory estimate the checker budgets with (`engine::memory_estimate`) against the
//! bytes `train` really holds at its peak, on networks that stress each of its parts.
//! The estimate may be above the peak (it is a budget), but not far above it, and never
//! below it.
//!
//! Only this thread's allocations are counted (see `engine_alloc.rs` for why). The runs
//! here are small enough that every product runs on this thread.

use gradlab::engine::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Measuring;

thread_local! {
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn change(bytes: i64) {
    if MEASURING.try_with(Cell::get).unwrap_or(false) {
        let live = LIVE.with(|l| {
            l.set(l.get() + bytes);
            l.get()
        });
        PEAK.with(|p| p.set(p.get().max(live)));
    }
}

unsafe impl GlobalAlloc for Measuring {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        change(layout.size() as i64);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        change(-(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        change(new_size as i64 - layout.size() as i64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Measuring = Measuring;

/// The most bytes held at once on this thread while `spec` trains, above what was held
/// before.
fn peak_bytes(spec: &TrainSpec) -> u64 {
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    MEASURING.with(|m| m.set(true));
    let summary = train(spec, &mut |_| Control::Continue);
    MEASURING.with(|m| m.set(false));
    assert!(summary.is_ok(), "{summary:?}");
    PEAK.with(Cell::get) as u64
}

fn estimate(spec: &TrainSpec) -> u64 {
    memory_estimate(
        &spec.net,
        &spec.data,
        spec.batch_size,
        &spec.optimizer,
        spec.precision,
    )
    .total()
        // The spec's own copy of the data is the caller's, made before `train`.
        - (spec.data.x.len() + spec.data.y.len()) as u64 * 8
}

#[test]
fn the_estimate_bounds_the_peak_closely() {
    let relu = |w| LayerSpec::dense(w, Activation::Relu);
    let cases = [
        (
            "wide, full batch, SGD",
            TrainSpec::new(
                NetSpec::new(1, vec![relu(256), relu(256), relu(256), relu(1)]),
                data::linear(2000, 0.1, 0),
            ),
        ),
        (
            "Adam in f64, batch 32",
            TrainSpec::new(
                NetSpec::new(1, vec![relu(512), relu(512), relu(1)]),
                data::linear(500, 0.1, 0),
            )
            .with_optimizer(OptimizerSpec::adam(0.01))
            .with_precision(Precision::F64)
            .with_batch_size(32),
        ),
        (
            "batchnorm, layernorm and a residual block",
            TrainSpec::new(
                NetSpec::new(
                    1,
                    vec![
                        relu(128).with_batchnorm(),
                        relu(128).with_layernorm(),
                        relu(128),
                        relu(1),
                    ],
                )
                .with_residual(1, 2),
                data::linear(1000, 0.1, 0),
            ),
        ),
        (
            "a deep, narrow chain",
            TrainSpec::new(
                NetSpec::new(1, vec![LayerSpec::dense(1, Activation::Relu); 300]),
                data::linear(10, 0.1, 0),
            ),
        ),
        (
            "data larger than the network",
            TrainSpec::new(
                NetSpec::new(1, vec![relu(8), relu(1)]),
                data::linear(200_000, 0.1, 0),
            )
            .with_batch_size(100),
        ),
    ];
    for (name, spec) in cases {
        let spec = spec.with_stop(Stop::Steps(3));
        let (peak, estimate) = (peak_bytes(&spec), estimate(&spec));
        println!("{name}: peak {peak} bytes, estimate {estimate}");
        assert!(estimate >= peak, "{name}: {estimate} < {peak}");
        assert!(
            estimate <= peak + peak / 4 + 64 * 1024,
            "{name}: {estimate} is far above {peak}"
        );
    }
}
