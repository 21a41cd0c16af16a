//! The engine's view of a checked run: the one conversion from a plan to a
//! `TrainSpec`, for `exec` (which trains it) and `export` (which writes it for PyTorch).

use super::run::RunPlan;
use crate::engine::{
    Dataset, LossKind, NetSpec, OptimizerSpec, Params, Precision, Remedies, StepDetail, Stop,
    Thresholds, TrainSpec,
};

/// What the engine needs from a plan, borrowed. A plan holds `Rc`s and stays on its
/// thread; these are plain data that rayon's threads may share. Each thread then builds
/// the `TrainSpec` of the run it is on, so many runs hold one copy of the data set and
/// network per thread at a time, not one per run.
#[derive(Clone, Copy)]
pub struct RunParts<'a> {
    net: &'a NetSpec,
    data: &'a Dataset,
    remedies: &'a Remedies,
    loss: LossKind,
    optimizer: OptimizerSpec,
    stop: Stop,
    batch_size: Option<usize>,
    seed: u64,
    precision: Precision,
    thresholds: Thresholds,
    continue_on_nonfinite: bool,
    /// The trained or loaded parameters the run starts from, if any.
    start: Option<&'a Params>,
}

impl<'a> RunParts<'a> {
    pub fn of(plan: &'a RunPlan) -> Self {
        RunParts {
            net: &plan.net.spec,
            data: &plan.data.set,
            start: plan
                .net
                .weights
                .as_ref()
                .and_then(|w| w.get())
                .map(|p| &**p),
            remedies: &plan.remedies,
            loss: plan.loss,
            optimizer: plan.optimizer,
            stop: plan.stop,
            batch_size: plan.batch,
            seed: plan.seed,
            precision: plan.precision,
            thresholds: plan.thresholds,
            continue_on_nonfinite: plan.continue_on_nan,
        }
    }

    /// True if the run's products keep every core busy by themselves.
    pub fn uses_all_cores(&self) -> bool {
        let rows = self.batch_size.map_or(self.data.n, |b| b.min(self.data.n));
        crate::engine::uses_all_cores(self.net, rows)
    }

    /// How many steps the run takes if nothing stops it.
    pub fn planned_steps(&self) -> usize {
        crate::engine::run_steps(self.stop, self.data.n, self.batch_size) as usize
    }

    /// The spec to train, with its own copy of the network and data.
    pub fn spec(&self, detail: StepDetail) -> TrainSpec {
        TrainSpec {
            net: self.net.clone(),
            data: self.data.clone(),
            loss: self.loss,
            optimizer: self.optimizer,
            stop: self.stop,
            batch_size: self.batch_size,
            seed: self.seed,
            precision: self.precision,
            thresholds: self.thresholds,
            continue_on_nonfinite: self.continue_on_nonfinite,
            detail,
            remedies: self.remedies.clone(),
            start: self.start.cloned(),
        }
    }
}
