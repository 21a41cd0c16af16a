//! `sweep`: every grid point of a sweep, run in parallel and reported in grid order.

use std::sync::atomic::AtomicBool;

use super::info::settings;
use super::outcomes::outcomes_of;
use crate::check::run::{RunPlan, SweepAxis, SweepPlan};
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::report::Reporter;
use crate::report::info::{SweepPoint, SweepReport};

/// The training settings an axis may vary, which the settings line then marks as swept.
const TRAINING_SETTINGS: &[&str] = &["lr", "batch", "steps", "epochs"];

pub fn sweep(
    plan: &SweepPlan,
    interrupt: &AtomicBool,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    let Some(first) = plan.points.first() else {
        return Ok(());
    };
    let runs: Vec<&RunPlan> = plan.points.iter().collect();
    let mut points = Vec::with_capacity(runs.len());
    let progress = reporter.progress();
    progress.start_runs(runs.len() as u64, "point");
    for (index, (outcome, run)) in outcomes_of(&runs, interrupt, false, &progress)
        .into_iter()
        .zip(&plan.points)
        .enumerate()
    {
        points.push(SweepPoint {
            values: grid_values(&plan.axes, index),
            outcome: outcome
                .map_err(|e| Diagnostic::error(e).with_label(run.keyword, "in this sweep"))?,
        });
    }
    reporter.sweep(
        &SweepReport {
            // A trained network goes by its own name.
            network: first
                .net_ref
                .weights
                .as_ref()
                .map_or(&first.net_ref.name, |w| &w.name)
                .clone(),
            data: first.data.name.clone(),
            settings: settings(first),
            swept: plan
                .axes
                .iter()
                .map(|a| a.name.clone())
                .filter(|n| TRAINING_SETTINGS.contains(&n.as_str()))
                .collect(),
            axes: plan
                .axes
                .iter()
                .map(|a| (a.name.clone(), a.values.clone()))
                .collect(),
            metric: plan.metric,
            points,
            span: plan.span,
        },
        sources,
    );
    Ok(())
}

/// The value of each axis at grid point `index`, the last axis varying fastest (the
/// order in which the checker lays out `SweepPlan::points`).
fn grid_values(axes: &[SweepAxis], index: usize) -> Vec<f64> {
    let mut rest = index;
    let mut values = vec![0.0; axes.len()];
    for (value, axis) in values.iter_mut().zip(axes).rev() {
        *value = axis.values[rest % axis.values.len()];
        rest /= axis.values.len();
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Span;

    #[test]
    fn the_last_axis_varies_fastest() {
        let axis = |name: &str, values: &[f64]| SweepAxis {
            name: name.into(),
            values: values.to_vec(),
            span: Span::default(),
        };
        let axes = [axis("depth", &[1.0, 2.0]), axis("w", &[0.5, 1.0, 2.0])];
        assert_eq!(grid_values(&axes, 0), [1.0, 0.5]);
        assert_eq!(grid_values(&axes, 2), [1.0, 2.0]);
        assert_eq!(grid_values(&axes, 4), [2.0, 1.0]);
    }
}
