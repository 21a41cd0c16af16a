//! A sweep (or a comparison) holds about one copy of its data set per thread, whatever
//! the number of runs: each run's engine spec is built on the thread that trains it and
//! dropped when the run ends. It used to build every spec first, and 400 points of an
//! 8 MB data set peaked at 3.2 GB.
//!
//! A global allocator keeps the bytes live in the whole process and their peak. This
//! file holds one test, so no other test allocates meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use gradlab::report::json::JsonReporter;
use gradlab::session::{EvalStatus, Mode, Redeclare, Session};

struct Measuring;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::SeqCst) + bytes;
    PEAK.fetch_max(live, Ordering::SeqCst);
}

unsafe impl GlobalAlloc for Measuring {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grew(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::SeqCst);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Measuring = Measuring;

/// Rows of the data set: 100 000 rows of one input and one target, 1.6 MB.
const ROWS: usize = 100_000;
const DATA_BYTES: usize = ROWS * 2 * 8;

/// The most bytes live above what was live before, while `session` runs `script`.
fn peak_while(session: &mut Session, script: &str) -> usize {
    let mut out = Vec::with_capacity(1 << 20);
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let status = session.eval(
        "sweep.grad",
        script,
        Mode::Run,
        &mut JsonReporter { out: &mut out },
    );
    let peak = PEAK.load(Ordering::SeqCst);
    assert_eq!(status, EvalStatus::Ok, "{}", String::from_utf8_lossy(&out));
    peak - before
}

fn sweep(points: usize) -> String {
    let lrs: Vec<String> = (1..=points)
        .map(|i| format!("{}", i as f64 / 1000.0))
        .collect();
    format!(
        "sweep tiny(lr in [{}]) on big {{ loss mse\n steps 1\n batch 8 }}",
        lrs.join(", ")
    )
}

#[test]
fn many_runs_share_one_data_set() {
    // Two threads, whatever the machine, so that the bound below does not depend on it.
    rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build_global()
        .unwrap();
    let mut session = Session::new(Redeclare::Error);
    let declarations = format!(
        "network tiny(w = 1) {{ input 1\n dense 1 tanh weight=w }}\ndata big = sine({ROWS})"
    );
    assert!(peak_while(&mut session, &declarations) >= DATA_BYTES);

    let one = peak_while(&mut session, &sweep(1));
    let many = peak_while(&mut session, &sweep(40));
    // A run holds its own copy of the data and the engine's working copies. Two threads
    // run two at a time; 40 runs that each kept their copy until the end would need 20
    // times more. The slack is for the 40 plans and outcomes.
    let slack = DATA_BYTES / 4;
    assert!(
        many <= 2 * one + slack,
        "a sweep of 40 points peaked at {many} bytes above its start, one point at {one}; \
         the data set is {DATA_BYTES} bytes"
    );

    let variants = "variant clip_norm(1)\n".repeat(39);
    let compare = format!("compare tiny on big {{ loss mse\n steps 1\n batch 8\n {variants} }}");
    let compared = peak_while(&mut session, &compare);
    assert!(
        compared <= 2 * one + slack,
        "a comparison of 40 runs peaked at {compared} bytes above its start, one run at {one}"
    );
}
