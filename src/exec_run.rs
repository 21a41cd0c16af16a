//! Running `train`, `compare`, `explain` and `sweep` plans: checked plan in, engine
//! events out to the reporter.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::check::run::{RunPlan, SweepPlan};
use crate::check::value::Value;
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::engine::{self, Activation, Control, Event, OptimizerSpec, Stop, TrainSpec};
use rayon::prelude::*;

use crate::report::Reporter;
use crate::report::format::sig;
use crate::report::outcome::{Outcome, OutcomeCollector};
use crate::report::run::{CompareReport, SweepReport};
use crate::report::run::{LayerInfo, Remedies, RunInfo, ShowOptions, precision_name};
use crate::syntax::ast::RunKind;

pub fn run(
    plan: &RunPlan,
    interrupt: &AtomicBool,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    match plan.kind {
        RunKind::Train => train(plan, interrupt, sources, reporter),
        RunKind::Explain => explain(plan, sources, reporter),
        RunKind::Compare => compare(plan, interrupt, sources, reporter),
    }
}

/// Trains `plans` in parallel (they are independent), each summed up as an outcome or
/// the engine's reason for refusing it, in the order given.
fn outcomes_of(plans: &[&RunPlan], interrupt: &AtomicBool) -> Vec<Result<Outcome, String>> {
    // Plans hold shared (`Rc`) values; the engine's specs are plain data and cross threads.
    let specs: Vec<TrainSpec> = plans.iter().map(|p| train_spec(p, false)).collect();
    specs
        .par_iter()
        .map(|spec| {
            let mut collector = OutcomeCollector::default();
            let summary = engine::train(spec, &mut |event| {
                collector.observe(event);
                if interrupt.load(Ordering::Relaxed) {
                    Control::Stop
                } else {
                    Control::Continue
                }
            })
            .map_err(|e| e.to_string())?;
            Ok(collector.finish(&summary))
        })
        .collect()
}

/// The baseline and every variant from identical starting weights and data order (the
/// same seed), side by side.
fn compare(
    plan: &RunPlan,
    interrupt: &AtomicBool,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    let mut plans: Vec<&RunPlan> = vec![plan];
    plans.extend(plan.variants.iter().map(|v| v.plan.as_ref()));
    let outcomes = outcomes_of(&plans, interrupt);
    let mut labels = vec![if plan.remedy_specs.is_empty() {
        "baseline".to_string()
    } else {
        format!("baseline ({})", remedy_label(&plan.remedy_specs))
    }];
    labels.extend(plan.variants.iter().map(|v| v.label.clone()));
    let info = run_info(plan, sources);
    reporter.compare(
        &CompareReport {
            network: plan.net_ref.label(),
            data: plan.data.name.clone(),
            settings: info.settings,
            rows: labels.into_iter().zip(outcomes).collect(),
            span: plan.keyword,
        },
        sources,
    );
    Ok(())
}

fn remedy_label(specs: &[crate::check::value::Spec]) -> String {
    specs
        .iter()
        .map(|s| Value::Spec(s.clone()).to_string())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Runs every grid point of a sweep, in parallel, and reports them in grid order.
pub fn sweep(
    plan: &SweepPlan,
    interrupt: &AtomicBool,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    let Some(first) = plan.points.first() else {
        return Ok(());
    };
    let points: Vec<&RunPlan> = plan.points.iter().collect();
    let mut cells = Vec::with_capacity(points.len());
    for (outcome, point) in outcomes_of(&points, interrupt)
        .into_iter()
        .zip(&plan.points)
    {
        cells.push(
            outcome.map_err(|e| Diagnostic::error(e).with_label(point.keyword, "in this sweep"))?,
        );
    }
    let info = run_info(first, sources);
    // The settings line is the first run's; a swept training setting varies from it.
    let swept: Vec<&str> = plan
        .axes
        .iter()
        .map(|a| a.name.as_str())
        .filter(|n| ["lr", "batch", "steps", "epochs"].contains(n))
        .collect();
    let settings = if swept.is_empty() {
        info.settings
    } else {
        format!("{} ({} as swept)", info.settings, swept.join(", "))
    };
    reporter.sweep(
        &SweepReport {
            network: first.net_ref.name.clone(),
            data: first.data.name.clone(),
            settings,
            axes: plan
                .axes
                .iter()
                .map(|a| (a.name.clone(), a.values.clone()))
                .collect(),
            metric: plan.metric.to_string(),
            outcomes: cells,
            span: plan.span,
        },
        sources,
    );
    Ok(())
}

fn engine_error(plan: &RunPlan, error: engine::EngineError) -> Diagnostic {
    Diagnostic::error(error.to_string()).with_label(plan.keyword, "in this run")
}

/// Steps the plan takes if nothing stops it early.
fn planned_steps(plan: &RunPlan) -> usize {
    match plan.stop {
        Stop::Steps(n) => n,
        Stop::Epochs(epochs) => {
            let batch = plan.batch.unwrap_or(plan.data.set.n).max(1);
            epochs.saturating_mul(plan.data.set.n.div_ceil(batch))
        }
    }
}

pub fn run_info(plan: &RunPlan, sources: &SourceMap) -> RunInfo {
    let layers = plan
        .net
        .spec
        .layers
        .iter()
        .enumerate()
        .map(|(i, layer)| {
            let origin = &plan.net.origins[layer.origin];
            LayerInfo {
                number: i + 1,
                line: sources
                    .locate(origin.span.start)
                    .map_or(0, |(_, line, _)| line),
                span: origin.span,
                repeat: origin.repeat,
                width: layer.width,
                activation: activation_name(&layer.activation),
            }
        })
        .collect();
    let batch = match plan.batch {
        Some(b) if b < plan.data.set.n => format!("batch {b}"),
        _ => "full batch".to_string(),
    };
    let count = match plan.stop {
        Stop::Steps(n) => format!("{n} step{}", if n == 1 { "" } else { "s" }),
        Stop::Epochs(n) => format!("{n} epoch{}", if n == 1 { "" } else { "s" }),
    };
    let loss = match plan.loss {
        engine::LossKind::Mse => "mse",
        engine::LossKind::Mae => "mae",
        engine::LossKind::Bce => "bce",
        engine::LossKind::CrossEntropy => "cross_entropy",
    };
    let settings = match plan.kind {
        RunKind::Explain => format!(
            "{loss}, {}, seed {}",
            precision_name(plan.precision),
            plan.seed
        ),
        _ => format!(
            "{loss}, {}, {count}, {batch}, {}, seed {}",
            optimizer_text(&plan.optimizer),
            precision_name(plan.precision),
            plan.seed
        ),
    };
    let depth = plan
        .net
        .params
        .iter()
        .find(|(name, _)| name == "depth")
        .and_then(|(_, v)| match v {
            Value::Num(d) if *d > 1.0 => {
                Some(format!("remedy depth({})", ((*d / 4.0).floor()).max(1.0)))
            }
            _ => None,
        });
    RunInfo {
        kind: plan.kind.keyword(),
        network: plan.net_ref.label(),
        data: plan.data.name.clone(),
        span: plan.keyword,
        layers,
        settings,
        planned_steps: planned_steps(plan),
        show: ShowOptions {
            loss: plan.show.loss,
            gradients: plan.show.gradients,
            weights: plan.show.weights,
            every: plan.every,
        },
        precision: plan.precision,
        remedies: Remedies { depth },
        vanish_ratio: plan.thresholds.vanish_ratio,
        clipping: plan.remedies.clip_norm.is_some() || plan.remedies.clip_value.is_some(),
        residual: !plan.net.spec.residuals.is_empty(),
        normalised: plan
            .net
            .spec
            .layers
            .iter()
            .any(|l| l.batchnorm || l.layernorm),
    }
}

fn activation_name(activation: &Activation) -> String {
    match activation {
        Activation::Relu => "relu".into(),
        Activation::LeakyRelu { slope } => format!("leaky_relu({})", sig(*slope)),
        Activation::Elu { alpha } => format!("elu({})", sig(*alpha)),
        Activation::Gelu => "gelu".into(),
        Activation::Sigmoid => "sigmoid".into(),
        Activation::Tanh => "tanh".into(),
        Activation::Softplus => "softplus".into(),
        Activation::Linear => "linear".into(),
    }
}

fn optimizer_text(optimizer: &OptimizerSpec) -> String {
    let n = crate::check::value::format_number;
    match optimizer {
        OptimizerSpec::Sgd {
            lr,
            momentum,
            nesterov,
            weight_decay,
        } => {
            let mut args = vec![format!("lr={}", n(*lr))];
            if *momentum != 0.0 {
                args.push(format!("momentum={}", n(*momentum)));
            }
            if *nesterov {
                args.push("nesterov=true".into());
            }
            if *weight_decay != 0.0 {
                args.push(format!("weight_decay={}", n(*weight_decay)));
            }
            format!("sgd({})", args.join(", "))
        }
        OptimizerSpec::Adam {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } => format!(
            "adam(lr={}, betas=({}, {}), eps={}{})",
            n(*lr),
            n(*beta1),
            n(*beta2),
            n(*eps),
            if *weight_decay != 0.0 {
                format!(", weight_decay={}", n(*weight_decay))
            } else {
                String::new()
            }
        ),
        OptimizerSpec::RmsProp {
            lr,
            alpha,
            eps,
            weight_decay,
        } => format!(
            "rmsprop(lr={}, alpha={}, eps={}{})",
            n(*lr),
            n(*alpha),
            n(*eps),
            if *weight_decay != 0.0 {
                format!(", weight_decay={}", n(*weight_decay))
            } else {
                String::new()
            }
        ),
    }
}

/// The engine's view of a run.
fn train_spec(plan: &RunPlan, record_values: bool) -> TrainSpec {
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

fn train(
    plan: &RunPlan,
    interrupt: &AtomicBool,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    let info = run_info(plan, sources);
    let spec = train_spec(plan, reporter.wants_values(&info));
    reporter.run_start(&info, sources);
    // Findings arrive right after the step they are about.
    let mut last: Option<engine::StepRecord> = None;
    let summary = engine::train(&spec, &mut |event| {
        match event {
            Event::Step(record) => {
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
    })
    .map_err(|e| engine_error(plan, e))?;
    reporter.run_end(&summary, &info);
    Ok(())
}

fn explain(
    plan: &RunPlan,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<(), Diagnostic> {
    let info = run_info(plan, sources);
    let explanation = engine::explain(
        &plan.net.spec,
        &plan.data.set,
        plan.loss,
        plan.seed,
        plan.precision,
    )
    .map_err(|e| engine_error(plan, e))?;
    reporter.explanation(&explanation, &info);
    Ok(())
}
