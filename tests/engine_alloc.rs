//! The per-step loop allocates nothing of its own (no diagnostics fire, record_values off).
//! The only per-step allocations are `matrixmultiply`'s internal packing buffer, one per
//! gemm call (3 per layer per step); the crate offers no way to pass a reusable one.

use gradlab::engine::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations(steps: usize) -> usize {
    let layer = |width, activation| LayerSpec {
        width,
        activation,
        weight: WeightSpec::Default,
        bias: BiasSpec::Default,
        origin: 0,
        batchnorm: false,
        layernorm: false,
    };
    let spec = TrainSpec {
        net: NetSpec {
            residuals: Vec::new(),
            input: 1,
            layers: vec![layer(8, Activation::Tanh), layer(1, Activation::Linear)],
        },
        data: data::sine(30, 1),
        loss: LossKind::Mse,
        optimizer: OptimizerSpec::Adam {
            lr: 1e-2,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        },
        stop: Stop::Steps(steps),
        batch_size: Some(8),
        seed: 0,
        precision: Precision::F32,
        thresholds: Thresholds {
            plateau_steps: 0,
            ..Thresholds::default()
        },
        continue_on_nonfinite: false,
        record_values: false,
        remedies: Default::default(),
    };
    let before = ALLOCS.load(Ordering::Relaxed);
    let summary = train(&spec, &mut |_| Control::Continue).unwrap();
    let after = ALLOCS.load(Ordering::Relaxed);
    assert_eq!(summary.diagnostics.len(), 0, "{:?}", summary.diagnostics);
    after - before
}

#[test]
fn step_loop_does_not_allocate() {
    let short = allocations(20);
    let long = allocations(200);
    let depth = 2;
    assert_eq!(long - short, 180 * 3 * depth);
}
