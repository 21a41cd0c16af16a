//! What reports are told about a run, read off its checked plan.

use crate::check::network::LayerOrigin;
use crate::check::run::RunPlan;
use crate::check::value::Value;
use crate::diagnostics::SourceMap;
use crate::engine::{LayerSpec, Stop, WeightSpec};
use crate::format;
use crate::report::info::{LayerInfo, RunInfo, Settings, Training};
use crate::syntax::ast::RunKind;
use crate::weights::names;

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
                activation: layer.activation,
                weights: weights_source(plan, layer, origin, sources),
            }
        })
        .collect();
    let depth = plan
        .net
        .params
        .iter()
        .find(|(name, _)| name == "depth")
        .and_then(|(_, v)| match v {
            Value::Num(d) => Some(*d),
            _ => None,
        });
    RunInfo {
        kind: plan.kind.keyword(),
        network: plan.net_ref.label(),
        data: plan.data.name.clone(),
        span: plan.keyword,
        layers,
        settings: settings(plan),
        planned_steps: planned_steps(plan),
        show: plan.show,
        depth,
        thresholds: plan.thresholds,
        clipping: plan.remedies.clip_norm.is_some() || plan.remedies.clip_value.is_some(),
        residual: !plan.net.spec.residuals.is_empty(),
        normalised: plan
            .net
            .spec
            .layers
            .iter()
            .any(|l| l.batchnorm || l.layernorm),
        tensors: names::state_dict(&plan.net.spec),
        result: plan.result.as_ref().map(|weights| weights.name.clone()),
    }
}

/// What sets a layer's initial weights, as the script writes it: a `remedy init(…)`
/// overrides what the layer says.
fn weights_source(
    plan: &RunPlan,
    layer: &LayerSpec,
    origin: &LayerOrigin,
    sources: &SourceMap,
) -> String {
    if let Some(remedy) = plan.remedy_specs.iter().find(|s| s.name == "init") {
        let line = sources.locate(remedy.span.start).map_or(0, |(_, l, _)| l);
        return format!("`remedy {}` on line {line}", Value::Spec(remedy.clone()));
    }
    match (&origin.init, &layer.weight) {
        (Some(init), _) => format!("`init={}`", Value::Spec(init.clone())),
        (None, WeightSpec::Const(w)) => format!("`weight={}`", format::number(*w)),
        (None, WeightSpec::Matrix(_)) => "its `weight=[…]` matrix".to_string(),
        (None, WeightSpec::Default | WeightSpec::Init(_)) => "PyTorch's default init".to_string(),
    }
}

pub fn settings(plan: &RunPlan) -> Settings {
    let training = match plan.kind {
        RunKind::Explain => None,
        RunKind::Train | RunKind::Compare => Some(Training {
            optimizer: plan.optimizer,
            stop: plan.stop,
            batch: plan.batch.filter(|b| *b < plan.data.set.n),
        }),
    };
    Settings {
        loss: plan.loss,
        training,
        precision: plan.precision,
        seed: plan.seed,
    }
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
