//! Which steps of a run carry the weight matrices in JSON. A matrix per layer per
//! step is large (`show gradients every 1` wrote 3 GB in 20 s), so they are written
//! only on the steps the text report shows, and within a budget per run: a run that
//! would exceed it writes them on fewer steps, and says so on its first step. The
//! biases and their gradients count with the matrices, and so do the final parameters
//! that `show weights` adds to `run_end`: when they fit, the steps get what they leave.

use super::parameters;
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
        while written(every, per_step, info) > step_budget(info) {
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
        let budget = match step_budget(info) {
            BUDGET => format!("the budget of {BUDGET}"),
            left => format!("the {left} left of the budget of {BUDGET} by the final parameters"),
        };
        match self {
            Matrices::Every(every) if *every == asked => None,
            Matrices::Every(every) => Some(format!(
                "the weight matrices are written every {every} steps, not every {asked}: \
                 that would be {} numbers, over {budget}; \
                 `show … every {every}` asks for what fits",
                written(asked, per_step, info)
            )),
            Matrices::None => Some(format!(
                "the weight matrices are not written: one step's are {per_step} numbers, \
                 and the first and last steps' would be over {budget} \
                 for a run; a narrower network fits"
            )),
        }
    }
}

/// Numbers in the final parameters `run_end` writes (none without `show weights`).
fn final_parameters(info: &RunInfo) -> usize {
    if info.show.weights {
        parameters::numbers(&info.tensors)
    } else {
        0
    }
}

/// Whether `run_end` writes the final parameters: asked for, and within the budget.
pub fn parameters_fit(info: &RunInfo) -> bool {
    info.show.weights && final_parameters(info) <= BUDGET
}

/// What to tell the reader when the final parameters are over the budget.
pub fn parameters_skipped(info: &RunInfo) -> Option<String> {
    (info.show.weights && !parameters_fit(info)).then(|| {
        format!(
            "the final parameters are not written: they are {} numbers, over the budget \
             of {BUDGET} for a run; a narrower network fits",
            final_parameters(info)
        )
    })
}

/// The numbers the steps' matrices may take: what the final parameters leave.
fn step_budget(info: &RunInfo) -> usize {
    if parameters_fit(info) {
        BUDGET - final_parameters(info)
    } else {
        BUDGET
    }
}

/// Matrix and bias numbers in one step record.
fn numbers(record: &StepRecord) -> usize {
    let size =
        |m: &Option<Vec<Vec<f64>>>| m.as_ref().map_or(0, |rows| rows.iter().map(Vec::len).sum());
    let length = |v: &Option<Vec<f64>>| v.as_ref().map_or(0, Vec::len);
    record
        .layers
        .iter()
        .map(|layer| {
            size(&layer.weights)
                + size(&layer.grad_weights)
                + length(&layer.bias)
                + length(&layer.grad_bias)
        })
        .sum()
}

/// Matrix numbers written in a run showing a step every `every`.
fn written(every: usize, per_step: usize, info: &RunInfo) -> usize {
    let planned = info.planned_steps;
    let steps = (planned / every.max(1) + 2 * shown::edge(info)).min(planned);
    steps.saturating_mul(per_step)
}
