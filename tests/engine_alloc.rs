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

fn allocations(steps: usize, remedies: bool) -> usize {
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
    let mut spec = spec;
    if remedies {
        // batchnorm, layernorm, a residual block, clipping, weight decay and schedules
        let l = |w, a| layer(w, a);
        spec.net.layers = vec![
            LayerSpec {
                batchnorm: true,
                ..l(8, Activation::Tanh)
            },
            LayerSpec {
                layernorm: true,
                ..l(8, Activation::Gelu)
            },
            l(1, Activation::Linear),
        ];
        spec.net.residuals = vec![Residual { first: 1, last: 1 }];
        spec.remedies = Remedies {
            clip_norm: Some(ClipNorm {
                max: 0.5,
                norm_type: 2.0,
                scope: ClipScope::PerLayer,
            }),
            clip_value: Some(0.1),
            weight_decay: Some(1e-3),
            schedules: vec![
                Schedule::Warmup { steps: 10 },
                Schedule::Cosine { t_max: None },
            ],
        };
        spec.data = data::sine(32, 1);
        spec.thresholds.vanish_ratio = 0.0;
    }
    let before = ALLOCS.load(Ordering::Relaxed);
    let summary = train(&spec, &mut |_| Control::Continue).unwrap();
    let after = ALLOCS.load(Ordering::Relaxed);
    assert_eq!(summary.diagnostics.len(), 0, "{:?}", summary.diagnostics);
    after - before
}

/// One test only: the counter is global, and the test harness allocates on its own thread
/// while a second test runs.
#[test]
fn step_loop_does_not_allocate() {
    let short = allocations(20, false);
    let long = allocations(200, false);
    let depth = 2;
    assert_eq!(long - short, 180 * 3 * depth);
    // with batchnorm, layernorm, a residual block and every remedy
    let short = allocations(20, true);
    let long = allocations(200, true);
    let depth = 3;
    assert_eq!(long - short, 180 * 3 * depth);
}
