//! Checks the engine against the PyTorch reference fixtures in `tests/reference/fixtures`.
//!
//! Each fixture (written by `tests/reference/make_fixtures.py`, schema in
//! `tests/reference/README.md`) is turned into a `TrainSpec` with explicit weights
//! (`WeightSpec::Matrix`, `BiasSpec::Vector` / `BiasSpec::None`), full batch and
//! `StepDetail::Values`, trained for `steps + 1` optimizer steps, and compared with what
//! torch computed:
//!
//! * `forward` on the untrained net                       vs `expected.output_before`
//! * step k (1..=steps): `loss`, `grad_norm`, per layer `weights` (before the update),
//!   `grad_weights`, `grad_bias_norm`                       vs `expected.steps[k-1]`
//! * step k+1: per layer `weights` (before ITS update, i.e. the parameters after step k)
//!   vs `expected.steps[k-1].weights_after`; so the extra step `steps + 1` checks the
//!   parameters after the last fixture step, and its loss is checked against
//!   `expected.final.loss`.
//! * `StepRecord` carries no bias values, so weights AND biases after step k are also
//!   checked through `TrainSummary::params` of a separate run of exactly k steps (vs
//!   `weights_after` / `biases_after`), and `forward_with` on the parameters after the last
//!   step vs `expected.final.output`.
//!
//! Tolerance (`tests/support/fixtures.rs`, shared with `tests/pytorch_scripts.rs`):
//! `|a - b| <= rtol * max(|a|, |b|) + floor * scale`, where `scale` is the largest finite
//! |expected value| of the group being compared (a layer's weight and bias together, an
//! output matrix, or the value itself); f32 rtol 1e-5, floor 1e-5; f64 rtol 1e-10, floor
//! 1e-12; non-finite values must match exactly.
//!
//! Schema-2 fixtures (normalisation, residual blocks, remedies; see the README) also
//! compare `StepRecord::lr`, `clipped_norm`, `LayerStats::grad_affine_norm` (norm of ∂γ, ∂β)
//! and, through `TrainSummary::params`, γ, β and the batchnorm running statistics after
//! each step. `forward` / `forward_with` are evaluation mode, as torch's `model.eval()`.
//!
//! All fixtures are checked, every mismatch is collected, and the test fails once at the
//! end with a report per failing fixture. `GRADLAB_FIXTURE=name` restricts the run to the
//! fixtures whose name contains `name`.
//!
//! The fixture schema, the tolerance rule and every comparison live in
//! `tests/support/fixtures.rs`; this file only turns a fixture into a `TrainSpec` and
//! collects what the engine reports.

mod support;

use gradlab::engine::{
    Activation, BiasSpec, ClipNorm, ClipScope, Control, Dataset, Event, LayerSpec, LossKind,
    NetSpec, OptimizerSpec, Params, Precision, Remedies, Schedule, Stop, TrainSpec, WeightSpec,
    forward, forward_with, train,
};
use support::fixtures::{
    Checker, Fixture, FixtureActivation, GotLayer, GotStep, NormKind, check_all_fixtures,
    check_norm_grads, check_output, check_params_after, check_steps,
};

// ------------------------------------------------------------------------------------------
// fixture -> engine spec

fn activation(a: &FixtureActivation) -> Result<Activation, String> {
    Ok(match a.name.as_str() {
        "relu" => Activation::Relu,
        "leaky_relu" => Activation::LeakyRelu {
            slope: a.slope.ok_or("leaky_relu without slope")?,
        },
        "elu" => Activation::Elu {
            alpha: a.alpha.ok_or("elu without alpha")?,
        },
        "gelu" => Activation::Gelu,
        "sigmoid" => Activation::Sigmoid,
        "tanh" => Activation::Tanh,
        "softplus" => {
            a.check_softplus_defaults()?;
            Activation::Softplus
        }
        "linear" => Activation::Linear,
        other => return Err(format!("unknown activation {other:?}")),
    })
}

fn net_spec(f: &Fixture) -> Result<NetSpec, String> {
    let mut layers = Vec::new();
    for (i, l) in f.layers.iter().enumerate() {
        let norm = l.norm_kind()?;
        let bias = match &l.bias {
            Some(b) => BiasSpec::Vector(b.clone()),
            None => BiasSpec::None,
        };
        let layer = LayerSpec::dense(l.width, activation(&l.activation)?)
            .with_weight(WeightSpec::Matrix(l.weight.clone()))
            .with_bias(bias)
            .with_origin(1000 + i);
        layers.push(match norm {
            Some(NormKind::BatchNorm) => layer.with_batchnorm(),
            Some(NormKind::LayerNorm) => layer.with_layernorm(),
            None => layer,
        });
    }
    let net = NetSpec::new(f.input, layers);
    Ok(f.residuals
        .iter()
        .fold(net, |net, &[first, last]| net.with_residual(first, last)))
}

fn remedies(f: &Fixture) -> Result<Remedies, String> {
    let r = &f.remedies;
    let clip_norm = match &r.clip_norm {
        None => None,
        Some(c) => Some(ClipNorm {
            max: c.max,
            norm_type: c.norm.get(),
            scope: match c.scope.as_str() {
                "global" => ClipScope::Global,
                "per_layer" => ClipScope::PerLayer,
                s => return Err(format!("unknown clip scope {s:?}")),
            },
        }),
    };
    let mut schedules = Vec::new();
    for s in &r.schedules {
        schedules.push(match s.name.as_str() {
            "warmup" => Schedule::Warmup {
                steps: s.need(s.steps, "steps")?,
            },
            "step_decay" => Schedule::StepDecay {
                every: s.need(s.every, "every")?,
                factor: s.factor.ok_or("step_decay without factor")?,
            },
            // torch's T_max is the fixture's; `None` would be the engine run's steps + 1.
            "cosine" => Schedule::Cosine {
                t_max: Some(s.need(s.t_max, "t_max")?),
            },
            n => return Err(format!("unknown schedule {n:?}")),
        });
    }
    Ok(Remedies {
        clip_norm,
        clip_value: r.clip_value,
        weight_decay: r.weight_decay,
        schedules,
    })
}

fn precision(f: &Fixture) -> Result<Precision, String> {
    match f.precision.as_str() {
        "f32" => Ok(Precision::F32),
        "f64" => Ok(Precision::F64),
        p => Err(format!("unknown precision {p:?}")),
    }
}

fn train_spec(f: &Fixture, extra_steps: usize) -> Result<TrainSpec, String> {
    let loss = match f.loss.as_str() {
        "mse" => LossKind::Mse,
        "mae" => LossKind::Mae,
        "bce" => LossKind::Bce,
        "cross_entropy" => LossKind::CrossEntropy,
        l => return Err(format!("unknown loss {l:?}")),
    };
    let o = &f.optimizer;
    let need = |v: Option<f64>, what: &str| o.need(v, what);
    let optimizer = match o.name.as_str() {
        "sgd" => OptimizerSpec::Sgd {
            lr: o.lr,
            momentum: o.momentum,
            nesterov: o.nesterov,
            weight_decay: o.weight_decay,
        },
        "adam" => OptimizerSpec::Adam {
            lr: o.lr,
            beta1: need(o.beta1, "beta1")?,
            beta2: need(o.beta2, "beta2")?,
            eps: need(o.eps, "eps")?,
            weight_decay: o.weight_decay,
        },
        "rmsprop" => OptimizerSpec::RmsProp {
            lr: o.lr,
            alpha: need(o.alpha, "alpha")?,
            eps: need(o.eps, "eps")?,
            weight_decay: o.weight_decay,
        },
        n => return Err(format!("unknown optimizer {n:?}")),
    };
    let n = f.data.x.len();
    let x_dim = f.input;
    let y_dim = f.data.y.first().map_or(0, Vec::len);
    if f.data.y.len() != n
        || f.data.x.iter().any(|r| r.len() != x_dim)
        || f.data.y.iter().any(|r| r.len() != y_dim)
    {
        return Err("ragged or mismatched data".into());
    }
    let data = Dataset {
        x: f.data.x.concat(),
        y: f.data.y.concat(),
        n,
        x_dim,
        y_dim,
    };
    Ok(TrainSpec::new(net_spec(f)?, data)
        .with_loss(loss)
        .with_optimizer(optimizer)
        .with_stop(Stop::Steps(f.steps + extra_steps))
        .with_precision(precision(f)?)
        .with_remedies(remedies(f)?)
        .continuing_on_nonfinite()
        .recording_values())
}

// ------------------------------------------------------------------------------------------
// what the engine reported

fn run_engine(spec: &TrainSpec) -> Result<(Vec<GotStep>, Params), String> {
    let mut got = Vec::new();
    let mut on_event = |e: &Event| {
        if let Event::Step(r) = e {
            got.push(GotStep {
                step: r.step,
                loss: r.loss,
                grad_norm: r.grad_norm,
                clipped_norm: r.clipped_norm,
                lr: r.lr,
                layers: r
                    .layers
                    .iter()
                    .map(|l| GotLayer {
                        weights: l.weights.clone(),
                        grad_weights: l.grad_weights.clone(),
                        grad_bias_norm: l.grad_bias_norm,
                        grad_affine_norm: l.grad_affine_norm,
                    })
                    .collect(),
            });
        }
        Control::Continue
    };
    let summary = train(spec, &mut on_event).map_err(|e| format!("train failed: {e}"))?;
    Ok((got, summary.params))
}

// ------------------------------------------------------------------------------------------
// one fixture

/// Checks one fixture; returns its mismatches (empty = pass), the number of values compared
/// and the worst finite difference in units of the tolerance.
fn check_fixture(f: &Fixture) -> (Vec<String>, usize, f64) {
    let mut c = Checker::new(f, "engine");
    // +1: the parameters after the last fixture step are the weights the engine records
    // at the next step (before that step's update).
    let spec = match train_spec(f, 1) {
        Ok(s) => s,
        Err(e) => {
            c.problem(format!("cannot build the engine spec: {e}"));
            return c.finish();
        }
    };

    // forward pass of the untrained net
    match forward(&spec.net, spec.seed, spec.precision, &f.data.x) {
        Ok(out) => check_output(
            &mut c,
            "output before training",
            &out,
            &f.expected.output_before,
        ),
        Err(e) => c.problem(format!("forward failed: {e}")),
    }

    // the step records of a run of steps + 1 steps
    let got = match run_engine(&spec) {
        Ok((got, _)) => got,
        Err(e) => {
            c.problem(e);
            return c.finish();
        }
    };
    check_steps(&mut c, f, &got);
    check_norm_grads(&mut c, f, &got);

    // weights, biases, γ, β and running statistics after each step k: TrainSummary::params
    // of a run of k steps
    let mut last = None;
    for s in 1..=f.expected.steps.len() {
        let params = match train_spec(f, 0)
            .map(|mut sp| {
                sp.stop = Stop::Steps(s);
                sp
            })
            .and_then(|sp| run_engine(&sp))
        {
            Ok((_, p)) => p,
            Err(e) => {
                c.problem(format!("run of {s} steps: {e}"));
                break;
            }
        };
        check_params_after(&mut c, f, s, &params);
        last = Some(params);
    }

    // output of the trained net
    if let Some(params) = last {
        match forward_with(&spec.net, &params, spec.precision, &f.data.x) {
            Ok(out) => check_output(
                &mut c,
                "output after training",
                &out,
                &f.expected.final_.output,
            ),
            Err(e) => c.problem(format!("forward_with failed: {e}")),
        }
    }
    c.finish()
}

#[test]
fn pytorch_reference_fixtures() {
    check_all_fixtures("the engine", check_fixture);
}
