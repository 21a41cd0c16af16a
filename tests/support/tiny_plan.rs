//! Which checked programs are small enough to run inside one fuzz iteration or one
//! property-test case: a generous bound on the multiply-adds the whole program does,
//! computed from the checked plans before anything runs.
//!
//! Shared by `tests/properties.rs` and the `run` fuzz target (`fuzz/fuzz_targets/run.rs`
//! includes this file by path), so both run the same programs.

use gradlab::check::Plan;
use gradlab::check::plan::RunPlan;
use gradlab::engine::Stop;

/// Multiply-adds (steps × batch rows × parameters, summed over every run) a tiny
/// program may cost: a few milliseconds.
pub const MAX_WORK: u64 = 2_000_000;

/// Parameters one network may have: it bounds the cost of building the network
/// (orthogonal init is cubic in the width) as the work bound cannot.
pub const MAX_PARAMETERS: u64 = 20_000;

/// True when running every plan costs at most `MAX_WORK`.
pub fn is_tiny(plans: &[Plan]) -> bool {
    plans
        .iter()
        .try_fold(0u64, |total, plan| total.checked_add(plan_work(plan)?))
        .is_some_and(|work| work <= MAX_WORK)
}

/// `None` when the plan is too big to count.
fn plan_work(plan: &Plan) -> Option<u64> {
    match plan {
        Plan::Declared { .. } | Plan::Print { .. } | Plan::Setting => Some(0),
        Plan::Run(run) => run_work(run),
        Plan::Sweep(sweep) => sweep
            .points
            .iter()
            .try_fold(0u64, |total, point| total.checked_add(run_work(point)?)),
        // Writes a file: never run by the tests that run what they generate.
        Plan::Save(_) => None,
    }
}

/// The baseline's work plus each compare variant's.
fn run_work(plan: &RunPlan) -> Option<u64> {
    plan.variants
        .iter()
        .try_fold(one_run_work(plan)?, |total, variant| {
            total.checked_add(one_run_work(&variant.plan)?)
        })
}

fn one_run_work(plan: &RunPlan) -> Option<u64> {
    let spec = &plan.net.spec;
    let mut parameters = 0u64;
    let mut fan_in = spec.input as u64;
    for layer in &spec.layers {
        let width = layer.width as u64;
        parameters = parameters.checked_add(fan_in.checked_mul(width)?.checked_add(width)?)?;
        fan_in = width;
    }
    if parameters > MAX_PARAMETERS {
        return None;
    }
    let rows = plan.data.set.n as u64;
    let batch = plan.batch.map_or(rows, |b| b as u64).max(1);
    let steps = match plan.stop {
        Stop::Steps(steps) => steps as u64,
        Stop::Epochs(epochs) => (epochs as u64).checked_mul(rows.div_ceil(batch))?,
    };
    // `explain` takes one step, whatever the settings say; counting them all is safe.
    steps.checked_mul(batch)?.checked_mul(parameters.max(1))
}
