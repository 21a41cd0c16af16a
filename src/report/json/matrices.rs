//! Which steps of a run carry the weight matrices in JSON. A matrix per layer per
//! step is large (`show gradients every 1` wrote 3 GB in 20 s), so they are written
//! only on the steps the text report shows, and within a budget per run: a run that
//! would exceed it writes them on fewer steps, and says so on its first step.

use crate::engine::StepRecord;
use crate::report::info::RunInfo;
use crate::report::shown;

/// The most matrix numbers written for one run: about 200 MB of JSON.
pub const BUDGET: usize = 10_000_000;

/// Where a run's matrices go.
#[derive(Debug, PartialEq)]
pub enum Matrices {
    /// On the shown steps of a run that shows a step every `every`.
    Every(usize),
    /// Nowhere: even the first and last steps' matrices are over the budget.
    None,
}

impl Matrices {
    /// The plan for the run of `info`, whose steps look like `record`.
    pub fn of(record: &StepRecord, info: &RunInfo) -> Matrices {
        let per_step = numbers(record);
        let asked = shown::every(info);
        let mut every = asked;
        while written(every, per_step, info) > BUDGET {
            if every >= info.planned_steps {
                return Matrices::None;
            }
            every = shown::nice_at_least(every + 1);
        }
        Matrices::Every(every)
    }

    pub fn on(&self, step: usize, info: &RunInfo) -> bool {
        match self {
            Matrices::Every(every) => shown::is_shown(step, *every, info),
            Matrices::None => false,
        }
    }

    /// What to tell the reader when the budget thinned the matrices out.
    pub fn thinned(&self, record: &StepRecord, info: &RunInfo) -> Option<String> {
        let asked = shown::every(info);
        let per_step = numbers(record);
        match self {
            Matrices::Every(every) if *every == asked => None,
            Matrices::Every(every) => Some(format!(
                "the weight matrices are written every {every} steps, not every {asked}: \
                 that would be {} numbers, over the budget of {BUDGET}; \
                 `show … every {every}` asks for what fits",
                written(asked, per_step, info)
            )),
            Matrices::None => Some(format!(
                "the weight matrices are not written: one step's are {per_step} numbers, \
                 and the first and last steps' would be over the budget of {BUDGET} \
                 for a run; a narrower network fits"
            )),
        }
    }
}

/// Matrix numbers in one step record.
fn numbers(record: &StepRecord) -> usize {
    let size =
        |m: &Option<Vec<Vec<f64>>>| m.as_ref().map_or(0, |rows| rows.iter().map(Vec::len).sum());
    record
        .layers
        .iter()
        .map(|layer| size(&layer.weights) + size(&layer.grad_weights))
        .sum()
}

/// Matrix numbers written in a run showing a step every `every`.
fn written(every: usize, per_step: usize, info: &RunInfo) -> usize {
    let planned = info.planned_steps;
    let steps = (planned / every.max(1) + 2 * shown::edge(info)).min(planned);
    steps.saturating_mul(per_step)
}
