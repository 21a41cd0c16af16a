//! Executing checked plans: the bridge from the checked program to the engine and
//! from the engine's events to a reporter. Reports get typed values and format them.

mod compare;
mod info;
mod outcomes;
mod printed;
mod sweep;
mod train;
mod weights;

use std::sync::atomic::AtomicBool;

use crate::check::Plan;
use crate::check::run::RunPlan;
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::report::Reporter;
use crate::syntax::ast::RunKind;

pub fn execute(
    plan: &Plan,
    interrupt: &AtomicBool,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    match plan {
        Plan::Declared {
            name,
            kind,
            replaced,
            span,
        } => {
            if *replaced {
                reporter.replaced(name, kind, *span, sources);
            }
            Ok(())
        }
        Plan::Setting => Ok(()),
        Plan::Print { value, span } => {
            let printed = printed::printed(value).map_err(|message| {
                Diagnostic::error(message).with_label(*span, "while computing this value")
            })?;
            reporter.print(&printed, *span, sources);
            Ok(())
        }
        Plan::Run(plan) => execute_run(plan, interrupt, sources, reporter),
        Plan::Sweep(plan) => sweep::sweep(plan, interrupt, sources, reporter),
        Plan::Save(plan) => {
            let saved = weights::save(plan)?;
            reporter.saved(&saved, sources);
            Ok(())
        }
    }
}

fn execute_run(
    plan: &RunPlan,
    interrupt: &AtomicBool,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    if let Some(start) = &plan.net.weights {
        weights::ready(start, plan.net_ref.span)?;
    }
    match plan.kind {
        RunKind::Train => train::train(plan, interrupt, sources, reporter),
        RunKind::Explain => train::explain(plan, sources, reporter),
        RunKind::Compare => compare::compare(plan, interrupt, sources, reporter),
    }
}
