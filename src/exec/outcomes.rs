//! Many independent runs at once, each summed up as an outcome: the rows of `compare`
//! and the points of `sweep`.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::spec::train_spec;
use crate::check::run::RunPlan;
use crate::engine::{self, Control, TrainSpec};
use crate::report::outcome::{Outcome, OutcomeCollector};

/// Trains `plans` in parallel (they are independent), each summed up as an outcome or
/// the engine's reason for refusing it, in the order given.
pub fn outcomes_of(plans: &[&RunPlan], interrupt: &AtomicBool) -> Vec<Result<Outcome, String>> {
    // Plans hold shared (`Rc`) values; the engine's specs are plain data and cross threads.
    let specs: Vec<TrainSpec> = plans.iter().map(|p| train_spec(p, false)).collect();
    specs
        .par_iter()
        .map(|spec| {
            let mut collector = OutcomeCollector::default();
            let summary = engine::train(spec, &mut |event| {
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
