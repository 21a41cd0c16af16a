//! Checks the engine against the PyTorch reference fixtures in `tests/reference/fixtures`.
//!
//! Each fixture (written by `tests/reference/make_fixtures.py`, schema in
//! `tests/reference/README.md`) is turned into a `TrainSpec` with explicit weights
//! (`WeightSpec::Matrix`, `BiasSpec::Vector` / `BiasSpec::None`), full batch and
//! `record_values: true`, trained for `steps + 1` optimizer steps, and compared with what
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
//! Tolerance: `|a - b| <= rtol * max(|a|, |b|) + floor * scale`, where `scale` is the
//! largest finite |expected value| of the group being compared: for parameters and
//! gradients, the layer (weight matrix and bias vector together; e.g. `grad_bias_norm` is
//! scaled by the layer's whole gradient); for the network output, the output matrix; for
//! the loss and the global gradient norm, the value itself. The floor covers entries near 0
//! that come from cancellation (their rounding error is relative to the terms that
//! cancelled, not to the result): f32 rtol 1e-5, floor 1e-5; f64 rtol 1e-10, floor 1e-12.
//! Non-finite values must match exactly: nan with nan, inf with inf of the same sign.
//!
//! All fixtures are checked, every mismatch is collected, and the test fails once at the
//! end with a report per failing fixture. `GRADLAB_FIXTURE=name` restricts the run to the
//! fixtures whose name contains `name`. The schema, the tolerance rule, the step-record
//! comparison and the loop over the fixtures live in `tests/common/mod.rs`, shared with
//! `tests/pytorch_scripts.rs` (the same cases run through gradlab scripts).

mod common;

use common::{
    Checker, Fixture, FixtureActivation, GotLayer, GotStep, check_all_fixtures, check_steps,
    layer_scale,
};
use gradlab::engine::{
    Activation, BiasSpec, Control, Dataset, Event, LayerSpec, LossKind, NetSpec, OptimizerSpec,
    Params, Precision, Stop, Thresholds, TrainSpec, WeightSpec, forward, forward_with, train,
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
        layers.push(LayerSpec {
            width: l.width,
            activation: activation(&l.activation)?,
            weight: WeightSpec::Matrix(l.weight.clone()),
            bias: match &l.bias {
                Some(b) => BiasSpec::Vector(b.clone()),
                None => BiasSpec::None,
            },
            origin: 1000 + i,
        });
    }
    Ok(NetSpec {
        input: f.input,
        layers,
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
    let optimizer = match o.name.as_str() {
        "sgd" => OptimizerSpec::Sgd {
            lr: o.lr,
            momentum: o.momentum,
            nesterov: o.nesterov,
            weight_decay: o.weight_decay,
        },
        "adam" => OptimizerSpec::Adam {
            lr: o.lr,
            beta1: o.need(o.beta1, "beta1")?,
            beta2: o.need(o.beta2, "beta2")?,
            eps: o.need(o.eps, "eps")?,
            weight_decay: o.weight_decay,
        },
        "rmsprop" => OptimizerSpec::RmsProp {
            lr: o.lr,
            alpha: o.need(o.alpha, "alpha")?,
            eps: o.need(o.eps, "eps")?,
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
    Ok(TrainSpec {
        net: net_spec(f)?,
        data,
        loss,
        optimizer,
        stop: Stop::Steps(f.steps + extra_steps),
        batch_size: None,
        seed: 0,
        precision: precision(f)?,
        thresholds: Thresholds::default(),
        continue_on_nonfinite: true,
        record_values: true,
    })
}

// ------------------------------------------------------------------------------------------
// running the engine

fn run_engine(spec: &TrainSpec) -> Result<(Vec<GotStep>, Params), String> {
    let mut got = Vec::new();
    let mut on_event = |e: &Event| {
        if let Event::Step(r) = e {
            got.push(GotStep {
                step: r.step,
                loss: r.loss,
                grad_norm: r.grad_norm,
                layers: r
                    .layers
                    .iter()
                    .map(|l| GotLayer {
                        weights: l.weights.clone(),
                        grad_weights: l.grad_weights.clone(),
                        grad_bias_norm: l.grad_bias_norm,
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
        Ok(out) => c.matrix(
            "output before training",
            &out,
            &f.expected.output_before,
            0.0,
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

    // weights AND biases after each step k: TrainSummary::params of a run of k steps
    let mut last = None;
    for (k, want) in f.expected.steps.iter().enumerate() {
        let s = k + 1;
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
        if params.layers.len() != f.layers.len() {
            c.problem(format!(
                "run of {s} steps: params have {} layers",
                params.layers.len()
            ));
            break;
        }
        for (i, lp) in params.layers.iter().enumerate() {
            let l = i + 1;
            let after_scale = layer_scale(&want.weights_after[i], want.biases_after[i].as_ref());
            c.matrix(
                &format!("params after step {s}: layer {l} weight"),
                &lp.weight,
                &want.weights_after[i],
                after_scale,
            );
            match (&lp.bias, &want.biases_after[i]) {
                (Some(b), Some(wb)) => c.matrix(
                    &format!("params after step {s}: layer {l} bias"),
                    std::slice::from_ref(b),
                    std::slice::from_ref(wb),
                    after_scale,
                ),
                (None, None) => {}
                (got, _) => c.problem(format!(
                    "params after step {s}: layer {l} bias is {} in the engine",
                    if got.is_some() { "present" } else { "missing" }
                )),
            }
        }
        last = Some(params);
    }

    // output of the trained net
    if let Some(params) = last {
        match forward_with(&spec.net, &params, spec.precision, &f.data.x) {
            Ok(out) => c.matrix(
                "output after training",
                &out,
                &f.expected.final_.output,
                0.0,
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
