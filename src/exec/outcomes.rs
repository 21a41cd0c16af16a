//! Many independent runs at once, each summed up as an outcome: the rows of `compare`
//! and the points of `sweep`.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::spec::RunParts;
use crate::check::run::RunPlan;
use crate::engine::{self, Control, StepDetail};
use crate::report::outcome::{Outcome, OutcomeCollector};

/// Trains `plans` in parallel (they are independent), each summed up as an outcome or
/// the engine's reason for refusing it, in the order given.
pub fn outcomes_of(plans: &[&RunPlan], interrupt: &AtomicBool) -> Vec<Result<Outcome, String>> {
    // Each spec is built on the thread that trains it and dropped when the run ends:
    // a sweep of 400 points over an 8 MB data set once held 400 copies of it at once.
    let runs: Vec<RunParts> = plans.iter().map(|p| RunParts::of(p)).collect();
    runs.par_iter()
        .map(|run| {
            let spec = run.spec(StepDetail::Detectors);
            let mut collector = OutcomeCollector::default();
            let summary = engine::train(&spec, &mut |event| {
                collector.observe(event);
                if interrupt.load(Ordering::Relaxed) {
                    Control::Stop
                } else {
                    Control::Continue
                }
            })
            .map_err(|e| e.to_string())?;
            Ok(collector.finish(&summary))
        })
        .collect()
}
