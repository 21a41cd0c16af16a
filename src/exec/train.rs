//! `train` and `explain`: one run, its events streamed to the reporter as they come.

use std::sync::atomic::{AtomicBool, Ordering};

use super::info::run_info;
use crate::check::run::RunPlan;
use crate::check::spec::RunParts;
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::engine::{self, Control, Event};
use crate::report::Reporter;

pub fn train(
    plan: &RunPlan,
    interrupt: &AtomicBool,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    let info = run_info(plan, sources);
    let spec = RunParts::of(plan).spec(reporter.step_detail(&info));
    reporter.run_start(&info, sources);
    let progress = reporter.progress();
    progress.start_steps(engine::run_steps(plan.stop, plan.data.set.n, plan.batch));
    // Findings arrive right after the step they are about.
    let mut last: Option<engine::StepRecord> = None;
    let summary = engine::train(&spec, &mut |event| {
        match event {
            Event::Step(record) => {
                progress.step(record.step as u64, record.loss);
                reporter.step(record, &info);
                match &mut last {
                    Some(kept) => kept.clone_from(record),
                    None => last = Some(record.clone()),
                }
            }
            Event::Diagnostic(finding) => {
                if plan.diagnose {
                    let record = last.as_ref().filter(|r| r.step == finding.step());
                    reporter.finding(finding, record, &info, sources);
                }
            }
        }
        if interrupt.load(Ordering::Relaxed) {
            Control::Stop
        } else {
            Control::Continue
        }
    });
    progress.finish();
    let summary = summary.map_err(|e| engine_error(plan, e))?;
    reporter.run_end(&summary, &info);
    if let Some(result) = &plan.result {
        result.fill(summary.params);
    }
    Ok(())
}

pub fn explain(
    plan: &RunPlan,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    let info = run_info(plan, sources);
    let params = super::weights::params_of(
        &plan.net.spec,
        plan.net.weights.as_ref(),
        plan.seed,
        plan.keyword,
    )?;
    let explanation = engine::explain_with(
        &plan.net.spec,
        &params,
        &plan.data.set,
        plan.loss,
        plan.precision,
    )
    .map_err(|e| engine_error(plan, e))?;
    reporter.explanation(&explanation, &info);
    Ok(())
}

fn engine_error(plan: &RunPlan, error: engine::EngineError) -> Diagnostic {
    Diagnostic::error(error.to_string()).with_label(plan.keyword, "in this run")
}
