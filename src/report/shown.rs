//! Which steps of a run a report shows: every step of a short run; of a long one, the
//! first and last few and every `every`-th (the script's `show … every N`, or a round
//! interval giving about ten lines). The text report prints these steps' lines; the
//! JSON report writes weight matrices only on them.

use super::info::RunInfo;

/// Runs up to this many steps print every step.
const PRINT_ALL_UP_TO: usize = 20;
/// Longer runs print the first and last few steps (fewer when each has a table)...
const HEAD_TAIL: usize = 3;
const HEAD_TAIL_TABLES: usize = 1;
/// ...and about this many in between.
const MIDDLE_LINES: usize = 10;

/// The interval between shown steps in the middle of a run.
pub fn every(info: &RunInfo) -> usize {
    info.show
        .every
        .unwrap_or_else(|| nice_every(info.planned_steps))
}

/// How many steps are shown at each end of a run.
pub fn edge(info: &RunInfo) -> usize {
    if info.show.gradients || info.show.weights {
        HEAD_TAIL_TABLES
    } else {
        HEAD_TAIL
    }
}

/// Whether `step` (1-based) is shown when the middle shows every `every`-th.
pub fn is_shown(step: usize, every: usize, info: &RunInfo) -> bool {
    let edge = edge(info);
    step <= edge || step + edge > info.planned_steps || step.is_multiple_of(every)
}

/// A print interval that is 1, 2 or 5 times a power of ten, at least `planned / 10`.
fn nice_every(planned: usize) -> usize {
    if planned <= PRINT_ALL_UP_TO {
        return 1;
    }
    nice_at_least(planned.div_ceil(MIDDLE_LINES))
}

/// The smallest of 1, 2, 5, 10, 20, 50… that is at least `n`.
pub fn nice_at_least(n: usize) -> usize {
    let mut base: usize = 1;
    loop {
        for m in [1, 2, 5] {
            if base.saturating_mul(m) >= n {
                return base.saturating_mul(m);
            }
        }
        base = base.saturating_mul(10);
    }
}
