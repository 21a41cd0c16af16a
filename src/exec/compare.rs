//! `compare`: the baseline and every variant from identical starting weights and data
//! order (the same seed), side by side.

use std::sync::atomic::AtomicBool;

use super::info::settings;
use super::outcomes::outcomes_of;
use crate::check::run::RunPlan;
use crate::check::value::{Spec, Value};
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::report::Reporter;
use crate::report::info::CompareReport;

pub fn compare(
    plan: &RunPlan,
    interrupt: &AtomicBool,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    let mut plans: Vec<&RunPlan> = vec![plan];
    plans.extend(plan.variants.iter().map(|v| v.plan.as_ref()));
    let progress = reporter.progress();
    progress.start_runs(plans.len() as u64, "run");
    let outcomes = outcomes_of(&plans, interrupt, reporter.wants_loss_curves(), &progress);
    let mut labels = vec![if plan.remedy_specs.is_empty() {
        "baseline".to_string()
    } else {
        format!("baseline ({})", remedy_label(&plan.remedy_specs))
    }];
    labels.extend(plan.variants.iter().map(|v| v.label.clone()));
    reporter.compare(
        &CompareReport {
            network: plan.net_ref.label(),
            data: plan.data.name.clone(),
            settings: settings(plan),
            rows: labels.into_iter().zip(outcomes).collect(),
            span: plan.keyword,
        },
        sources,
    );
    Ok(())
}

/// The remedies as written, joined as a combination is: `clip_norm(1) + batchnorm`.
fn remedy_label(specs: &[Spec]) -> String {
    Value::Combo(specs.to_vec()).to_string()
}
