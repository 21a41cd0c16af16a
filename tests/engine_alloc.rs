//! The per-step loop allocates nothing (no diagnostics fire, no matrices recorded): small
//! products run as a plain loop, and medium ones (up to a 128-wide network on batches of
//! 64) as a tiled loop that keeps its one scratch buffer between steps. The products
//! `matrixmultiply` shares among threads allocate its packing buffer inside each call (it
//! offers no way to pass a reusable one): one or two per product (1.55 measured), none
//! of them the engine's.
//!
//! Only allocations made on the thread that trains are counted: libtest's main thread
//! allocates at times of its own choosing while a test runs, and a process-wide counter
//! made this test fail at random.

use gradlab::engine::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // `const` initialisers: the allocator must not allocate to reach its own state.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: a thread being torn down has no thread-locals left, and is not counting.
    let counting = COUNTING.try_with(Cell::get).unwrap_or(false);
    if counting {
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The allocations this thread makes while `f` runs.
fn counted<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCS.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    let value = f();
    COUNTING.with(|c| c.set(false));
    (value, ALLOCS.with(Cell::get) - before)
}

fn allocations(steps: usize, remedies: bool) -> usize {
    let net = NetSpec::new(
        1,
        vec![
            LayerSpec::dense(8, Activation::Tanh),
            LayerSpec::dense(1, Activation::Linear),
        ],
    );
    let mut spec = TrainSpec::new(net, data::sine(30, 1))
        .with_optimizer(OptimizerSpec::adam(1e-2))
        .with_stop(Stop::Steps(steps))
        .with_batch_size(8)
        .with_thresholds(Thresholds {
            plateau_steps: 0,
            ..Thresholds::default()
        });
    if remedies {
        // batchnorm, layernorm, a residual block, clipping, weight decay and schedules
        spec.net = NetSpec::new(
            1,
            vec![
                LayerSpec::dense(8, Activation::Tanh).with_batchnorm(),
                LayerSpec::dense(8, Activation::Gelu).with_layernorm(),
                LayerSpec::dense(1, Activation::Linear),
            ],
        )
        .with_residual(1, 1);
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
    let (summary, allocations) = counted(|| train(&spec, &mut |_| Control::Continue));
    let summary = summary.unwrap();
    assert_eq!(summary.diagnostics.len(), 0, "{:?}", summary.diagnostics);
    allocations
}

#[test]
fn step_loop_does_not_allocate() {
    let short = allocations(20, false);
    let long = allocations(200, false);
    assert_eq!(long - short, 0);
}

#[test]
fn step_loop_with_every_remedy_does_not_allocate() {
    // batchnorm, layernorm, a residual block, clipping, weight decay and schedules
    let short = allocations(20, true);
    let long = allocations(200, true);
    assert_eq!(long - short, 0);
}

/// Allocations per step of a two-layer network `width` wide, on batches of `rows` rows.
fn allocations_per_step(width: usize, rows: usize) -> f64 {
    let spec = |steps| {
        let layers = vec![
            LayerSpec::dense(width, Activation::Relu),
            LayerSpec::dense(width, Activation::Linear),
        ];
        let x = (0..rows * width).map(|i| (i as f64 * 0.1).sin()).collect();
        let y = (0..rows * width).map(|i| (i as f64 * 0.2).cos()).collect();
        let data = Dataset {
            x,
            y,
            n: rows,
            x_dim: width,
            y_dim: width,
        };
        TrainSpec::new(NetSpec::new(width, layers), data)
            .with_stop(Stop::Steps(steps))
            .with_thresholds(Thresholds {
                plateau_steps: 0,
                ..Thresholds::default()
            })
    };
    let count = |steps| {
        let (summary, n) = counted(|| train(&spec(steps), &mut |_| Control::Continue));
        assert_eq!(summary.unwrap().diagnostics.len(), 0);
        n
    };
    (count(30) - count(10)) as f64 / 20.0
}

#[test]
fn medium_products_do_not_allocate() {
    assert_eq!(allocations_per_step(128, 64), 0.0);
}

#[test]
fn wide_products_allocate_only_the_gemm_packing_buffers() {
    // 3 products per layer, 2 layers, each shared among threads by matrixmultiply
    let per_product = allocations_per_step(256, 128) / (3.0 * 2.0);
    assert!(per_product <= 2.0, "{per_product} allocations per product");
}
