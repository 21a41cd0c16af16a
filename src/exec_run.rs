//! Running `train`, `compare`, `explain` and `sweep` plans.

use std::sync::atomic::AtomicBool;

use crate::check::run::{RunPlan, SweepPlan};
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::report::Reporter;

pub fn run(
    plan: &RunPlan,
    _interrupt: &AtomicBool,
    _sources: &SourceMap,
    _reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    Err(Diagnostic::error("training is not wired up yet").with_label(plan.keyword, "here"))
}

pub fn sweep(
    plan: &SweepPlan,
    _interrupt: &AtomicBool,
    _sources: &SourceMap,
    _reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    Err(Diagnostic::error("sweeps are not wired up yet").with_label(plan.span, "here"))
}
