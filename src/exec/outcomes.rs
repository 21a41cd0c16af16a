//! Many independent runs at once, each summed up as an outcome: the rows of `compare`
//! and the points of `sweep`.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::check::run::RunPlan;
use crate::check::spec::RunParts;
use crate::engine::{self, Control, StepDetail};
use crate::report::outcome::{Outcome, OutcomeCollector};
use crate::report::progress::Progress;

/// Trains `plans`, each summed up as an outcome or the engine's reason for refusing it,
/// in the order given. The runs are independent: small ones train side by side, one per
/// core; a large one, whose products already keep every core busy, trains alone, so the
/// cores are never asked for more threads than they have. With `keep_losses`, each
/// outcome keeps every step's loss.
pub fn outcomes_of(
    plans: &[&RunPlan],
    interrupt: &AtomicBool,
    keep_losses: bool,
    progress: &Progress,
) -> Vec<Result<Outcome, String>> {
    // Each spec is built on the thread that trains it and dropped when the run ends:
    // a sweep of 400 points over an 8 MB data set once held 400 copies of it at once.
    let runs: Vec<RunParts> = plans.iter().map(|p| RunParts::of(p)).collect();
    let large: Vec<bool> = runs.iter().map(RunParts::uses_all_cores).collect();
    let mut outcomes: Vec<Option<Result<Outcome, String>>> = runs
        .par_iter()
        .zip(&large)
        .map(|(run, &large)| (!large).then(|| outcome(run, interrupt, keep_losses, progress)))
        .collect();
    for ((slot, run), &large) in outcomes.iter_mut().zip(&runs).zip(&large) {
        if large {
            *slot = Some(outcome(run, interrupt, keep_losses, progress));
        }
    }
    progress.finish();
    outcomes.into_iter().flatten().collect()
}

/// One run, trained and summed up.
fn outcome(
    run: &RunParts,
    interrupt: &AtomicBool,
    keep_losses: bool,
    progress: &Progress,
) -> Result<Outcome, String> {
    let spec = run.spec(StepDetail::Detectors);
    let mut collector = if keep_losses {
        OutcomeCollector::keeping_losses(run.planned_steps())
    } else {
        OutcomeCollector::default()
    };
    let summary = engine::train(&spec, &mut |event| {
        collector.observe(event);
        if interrupt.load(Ordering::Relaxed) {
            Control::Stop
        } else {
            Control::Continue
        }
    })
    .map_err(|e| e.to_string());
    progress.run_done();
    Ok(collector.finish(&summary?))
}
