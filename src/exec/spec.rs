//! The engine's view of a run.

use crate::check::run::RunPlan;
use crate::engine::TrainSpec;

pub fn train_spec(plan: &RunPlan, record_values: bool) -> TrainSpec {
    TrainSpec {
        net: plan.net.spec.clone(),
        data: plan.data.set.clone(),
        loss: plan.loss,
        optimizer: plan.optimizer,
        stop: plan.stop,
        batch_size: plan.batch,
        seed: plan.seed,
        precision: plan.precision,
        thresholds: plan.thresholds,
        continue_on_nonfinite: plan.continue_on_nan,
        record_values,
        remedies: plan.remedies.clone(),
    }
}
