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
//! Schema-2 fixtures (normalisation, residual blocks, remedies; see the README) also
//! compare `StepRecord::lr`, `clipped_norm`, `LayerStats::grad_affine_norm` (norm of ∂γ, ∂β)
//! and, through `TrainSummary::params`, γ, β and the batchnorm running statistics after
//! each step. `forward` / `forward_with` are evaluation mode, as torch's `model.eval()`.
//!
//! All fixtures are checked, every mismatch is collected, and the test fails once at the
//! end with a report per failing fixture. `GRADLAB_FIXTURE=name` restricts the run to the
//! fixtures whose name contains `name`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use gradlab::engine::{
    Activation, BiasSpec, ClipNorm, ClipScope, Control, Dataset, Event, LayerSpec, LossKind,
    NetSpec, OptimizerSpec, Params, Precision, Remedies, Residual, Schedule, Stop, Thresholds,
    TrainSpec, WeightSpec, forward, forward_with, train,
};
use serde::Deserialize;

// ------------------------------------------------------------------------------------------
// fixture schema

/// A number that may be written as the string "inf", "-inf" or "nan".
#[derive(Deserialize, Clone, Copy, Debug)]
#[serde(untagged)]
enum Num {
    F(f64),
    S(NonFinite),
}

#[derive(Deserialize, Clone, Copy, Debug)]
enum NonFinite {
    #[serde(rename = "inf")]
    Inf,
    #[serde(rename = "-inf")]
    NegInf,
    #[serde(rename = "nan")]
    Nan,
}

impl Num {
    fn get(self) -> f64 {
        match self {
            Num::F(v) => v,
            Num::S(NonFinite::Inf) => f64::INFINITY,
            Num::S(NonFinite::NegInf) => f64::NEG_INFINITY,
            Num::S(NonFinite::Nan) => f64::NAN,
        }
    }
}

type Matrix = Vec<Vec<Num>>;

#[derive(Deserialize)]
struct Fixture {
    schema: u32,
    name: String,
    description: String,
    precision: String,
    input: usize,
    layers: Vec<FixtureLayer>,
    data: FixtureData,
    loss: String,
    optimizer: FixtureOptimizer,
    steps: usize,
    expected: Expected,
    /// Schema 2: `[first, last]` skip connections.
    #[serde(default)]
    residuals: Vec<[usize; 2]>,
    /// Schema 2: clipping, extra weight decay, schedules.
    #[serde(default)]
    remedies: FixtureRemedies,
}

#[derive(Deserialize)]
struct FixtureLayer {
    width: usize,
    activation: FixtureActivation,
    weight: Vec<Vec<f64>>,
    bias: Option<Vec<f64>>,
    /// Schema 2: "batchnorm" | "layernorm".
    norm: Option<String>,
}

#[derive(Deserialize, Default)]
struct FixtureRemedies {
    clip_norm: Option<FixtureClipNorm>,
    clip_value: Option<f64>,
    weight_decay: Option<f64>,
    #[serde(default)]
    schedules: Vec<FixtureSchedule>,
}

#[derive(Deserialize)]
struct FixtureClipNorm {
    max: f64,
    norm: Num,
    scope: String,
}

#[derive(Deserialize)]
struct FixtureSchedule {
    name: String,
    steps: Option<usize>,
    every: Option<usize>,
    factor: Option<f64>,
    t_max: Option<usize>,
}

/// Schema 2: a normalisation's parameters (and gradients, before the update).
#[derive(Deserialize)]
struct FixtureNorm {
    gamma: Vec<Num>,
    beta: Vec<Num>,
    running_mean: Option<Vec<Num>>,
    running_var: Option<Vec<Num>>,
    grad_gamma: Option<Vec<Num>>,
    grad_beta: Option<Vec<Num>>,
}

#[derive(Deserialize)]
struct FixtureActivation {
    name: String,
    slope: Option<f64>,
    alpha: Option<f64>,
    beta: Option<f64>,
    threshold: Option<f64>,
}

#[derive(Deserialize)]
struct FixtureData {
    x: Vec<Vec<f64>>,
    y: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
struct FixtureOptimizer {
    name: String,
    lr: f64,
    #[serde(default)]
    momentum: f64,
    #[serde(default)]
    nesterov: bool,
    #[serde(default)]
    weight_decay: f64,
    beta1: Option<f64>,
    beta2: Option<f64>,
    alpha: Option<f64>,
    eps: Option<f64>,
}

#[derive(Deserialize)]
struct Expected {
    output_before: Matrix,
    steps: Vec<ExpectedStep>,
    #[serde(rename = "final")]
    final_: ExpectedFinal,
}

#[derive(Deserialize)]
struct ExpectedStep {
    step: usize,
    loss: Num,
    grad_norm: Num,
    weights: Vec<Matrix>,
    #[allow(dead_code)] // the engine's StepRecord exposes no bias values (only gradient norms)
    biases: Vec<Option<Vec<Num>>>,
    grad_weights: Vec<Matrix>,
    grad_biases: Vec<Option<Vec<Num>>>,
    weights_after: Vec<Matrix>,
    biases_after: Vec<Option<Vec<Num>>>,
    /// Schema 2: learning rate of this step's update.
    lr: Option<f64>,
    /// Schema 2: global 2-norm after clipping.
    clipped_norm: Option<Num>,
    /// Schema 2: per layer, the normalisation before the update (running statistics
    /// including this step's forward pass).
    #[serde(default)]
    norms: Vec<Option<FixtureNorm>>,
    /// Schema 2: per layer, the normalisation after the update.
    #[serde(default)]
    norms_after: Vec<Option<FixtureNorm>>,
}

#[derive(Deserialize)]
struct ExpectedFinal {
    loss: Num,
    output: Matrix,
}

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
            if a.beta.unwrap_or(1.0) != 1.0 || a.threshold.unwrap_or(20.0) != 20.0 {
                return Err("the engine's softplus is beta=1, threshold=20 only".into());
            }
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
            batchnorm: l.norm.as_deref() == Some("batchnorm"),
            layernorm: l.norm.as_deref() == Some("layernorm"),
        });
        if let Some(n) = l.norm.as_deref()
            && n != "batchnorm"
            && n != "layernorm"
        {
            return Err(format!("unknown norm {n:?}"));
        }
    }
    Ok(NetSpec {
        residuals: f
            .residuals
            .iter()
            .map(|&[first, last]| Residual { first, last })
            .collect(),
        input: f.input,
        layers,
    })
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
        let need = |v: Option<usize>| v.ok_or(format!("schedule {} incomplete", s.name));
        schedules.push(match s.name.as_str() {
            "warmup" => Schedule::Warmup {
                steps: need(s.steps)?,
            },
            "step_decay" => Schedule::StepDecay {
                every: need(s.every)?,
                factor: s.factor.ok_or("step_decay without factor")?,
            },
            "cosine" => Schedule::Cosine { t_max: s.t_max },
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
    let need = |v: Option<f64>, what: &str| v.ok_or(format!("{} without {what}", o.name));
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
        remedies: remedies(f)?,
    })
}

// ------------------------------------------------------------------------------------------
// what the engine reported

struct GotLayer {
    weights: Option<Vec<Vec<f64>>>,
    grad_weights: Option<Vec<Vec<f64>>>,
    grad_bias_norm: Option<f64>,
    grad_affine_norm: Option<f64>,
}

struct GotStep {
    step: usize,
    loss: f64,
    grad_norm: f64,
    clipped_norm: Option<f64>,
    lr: f64,
    layers: Vec<GotLayer>,
}

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
// comparison

struct Tol {
    rtol: f64,
    floor: f64,
}

struct Checker {
    tol: Tol,
    mismatches: Vec<String>,
    compared: usize,
    /// Largest |a - b| / tolerance seen among finite values (1.0 = at the limit).
    worst: f64,
}

fn fmt(v: f64) -> String {
    format!("{v:e}")
}

impl Checker {
    fn close(&mut self, got: f64, want: f64, scale: f64) -> bool {
        if want.is_nan() || got.is_nan() {
            return want.is_nan() && got.is_nan();
        }
        if want.is_infinite() || got.is_infinite() {
            return want == got;
        }
        let diff = (got - want).abs();
        let tol = self.tol.rtol * got.abs().max(want.abs()) + self.tol.floor * scale;
        if diff > 0.0 {
            self.worst = self
                .worst
                .max(if tol > 0.0 { diff / tol } else { f64::INFINITY });
        }
        diff <= tol
    }

    /// `group`: the scale of the layer the value belongs to (0 for a lone scalar).
    fn scalar(&mut self, what: &str, got: f64, want: f64, group: f64) {
        self.compared += 1;
        let scale = if want.is_finite() { want.abs() } else { 0.0 }.max(group);
        if !self.close(got, want, scale) {
            self.mismatches.push(format!(
                "{what}: engine {} torch {} (rel diff {:.2e})",
                fmt(got),
                fmt(want),
                rel(got, want)
            ));
        }
    }

    /// `group`: the scale of the layer the matrix belongs to (see `layer_scale`).
    fn matrix(&mut self, what: &str, got: &[Vec<f64>], want: &[Vec<Num>], group: f64) {
        let want: Vec<Vec<f64>> = want
            .iter()
            .map(|r| r.iter().map(|v| v.get()).collect())
            .collect();
        let gshape: Vec<usize> = got.iter().map(Vec::len).collect();
        let wshape: Vec<usize> = want.iter().map(Vec::len).collect();
        if gshape != wshape {
            self.mismatches.push(format!(
                "{what}: shape differs: engine rows {gshape:?}, torch rows {wshape:?}"
            ));
            return;
        }
        let scale = want
            .iter()
            .flatten()
            .filter(|v| v.is_finite())
            .fold(group, |m, v| m.max(v.abs()));
        let mut bad = Vec::new();
        for (i, (gr, wr)) in got.iter().zip(&want).enumerate() {
            for (j, (&g, &w)) in gr.iter().zip(wr).enumerate() {
                self.compared += 1;
                if !self.close(g, w, scale) {
                    bad.push(format!(
                        "[{i}][{j}] engine {} torch {} (rel {:.2e})",
                        fmt(g),
                        fmt(w),
                        rel(g, w)
                    ));
                }
            }
        }
        if !bad.is_empty() {
            let n = bad.len();
            bad.truncate(4);
            let more = if n > 4 {
                format!(", ... ({n} entries differ)")
            } else {
                String::new()
            };
            self.mismatches
                .push(format!("{what}: {}{more}", bad.join(", ")));
        }
    }

    fn problem(&mut self, msg: String) {
        self.mismatches.push(msg);
    }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
}

/// Largest finite |value| of a layer's weight (or weight gradient) and bias (or bias
/// gradient) together: the scale of the absolute floor for every value of that layer. A bias
/// gradient is a sum over the batch that can cancel to nearly 0 (the output bias of a
/// regression near its optimum): its rounding error is relative to the terms, i.e. to the
/// layer's gradient, not to itself.
fn layer_scale(w: &[Vec<Num>], b: Option<&Vec<Num>>) -> f64 {
    w.iter()
        .flatten()
        .chain(b.into_iter().flatten())
        .map(|v| v.get())
        .filter(|v| v.is_finite())
        .fold(0.0, |m, v| m.max(v.abs()))
}

fn norm(v: &[Num]) -> f64 {
    v.iter().map(|x| x.get() * x.get()).sum::<f64>().sqrt()
}

/// Checks one fixture; returns its mismatches (empty = pass), the number of values compared
/// and the worst finite difference in units of the tolerance.
fn check_fixture(f: &Fixture) -> (Vec<String>, usize, f64) {
    let tol = match f.precision.as_str() {
        "f64" => Tol {
            rtol: 1e-10,
            floor: 1e-12,
        },
        _ => Tol {
            rtol: 1e-5,
            floor: 1e-5,
        },
    };
    let mut c = Checker {
        tol,
        mismatches: Vec::new(),
        compared: 0,
        worst: 0.0,
    };
    if f.schema != 1 && f.schema != 2 {
        c.problem(format!("unsupported fixture schema {}", f.schema));
        return (c.mismatches, 0, 0.0);
    }
    // +1: the parameters after the last fixture step are the weights the engine records
    // at the next step (before that step's update).
    let spec = match train_spec(f, 1) {
        Ok(s) => s,
        Err(e) => {
            c.problem(format!("cannot build the engine spec: {e}"));
            return (c.mismatches, 0, 0.0);
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
            return (c.mismatches, c.compared, c.worst);
        }
    };
    if got.len() != f.steps + 1 {
        c.problem(format!(
            "engine emitted {} step records, expected {} (steps + 1)",
            got.len(),
            f.steps + 1
        ));
    }
    for (k, want) in f.expected.steps.iter().enumerate() {
        let Some(g) = got.get(k) else { break };
        let s = want.step;
        if g.step != s {
            c.problem(format!("record {k}: step number {} != {s}", g.step));
        }
        c.scalar(&format!("step {s} loss"), g.loss, want.loss.get(), 0.0);
        c.scalar(
            &format!("step {s} grad_norm"),
            g.grad_norm,
            want.grad_norm.get(),
            0.0,
        );
        if let Some(lr) = want.lr {
            c.scalar(&format!("step {s} lr"), g.lr, lr, 0.0);
        }
        match (want.clipped_norm, g.clipped_norm) {
            (Some(w), Some(got)) => {
                c.scalar(&format!("step {s} clipped_norm"), got, w.get(), 0.0);
            }
            (None, None) => {}
            (w, got) => c.problem(format!(
                "step {s}: clipped_norm is {got:?} in the engine, {:?} in torch",
                w.map(Num::get)
            )),
        }
        for (i, (nm, gl)) in want.norms.iter().zip(&g.layers).enumerate() {
            match (nm, gl.grad_affine_norm) {
                (Some(nm), Some(got)) => {
                    let (Some(gg), Some(gb)) = (&nm.grad_gamma, &nm.grad_beta) else {
                        c.problem(format!(
                            "step {s} layer {}: fixture lacks grad_gamma",
                            i + 1
                        ));
                        continue;
                    };
                    let both: Vec<Num> = gg.iter().chain(gb).copied().collect();
                    let scale = layer_scale(std::slice::from_ref(&both), None);
                    c.scalar(
                        &format!("step {s} layer {} grad γ,β norm", i + 1),
                        got,
                        norm(&both),
                        scale,
                    );
                }
                (None, None) => {}
                (w, got) => c.problem(format!(
                    "step {s} layer {}: norm layer is {} in torch but grad_affine_norm {got:?}",
                    i + 1,
                    if w.is_some() { "present" } else { "absent" }
                )),
            }
        }
        if g.layers.len() != f.layers.len() {
            c.problem(format!(
                "step {s}: {} layer stats for {} layers",
                g.layers.len(),
                f.layers.len()
            ));
            continue;
        }
        for (i, gl) in g.layers.iter().enumerate() {
            let l = i + 1;
            let w_scale = layer_scale(&want.weights[i], want.biases[i].as_ref());
            let g_scale = layer_scale(&want.grad_weights[i], want.grad_biases[i].as_ref());
            let after_scale = layer_scale(&want.weights_after[i], want.biases_after[i].as_ref());
            match &gl.weights {
                Some(w) => c.matrix(
                    &format!("step {s} layer {l} weights"),
                    w,
                    &want.weights[i],
                    w_scale,
                ),
                None => c.problem(format!("step {s} layer {l}: no weights recorded")),
            }
            match &gl.grad_weights {
                Some(w) => c.matrix(
                    &format!("step {s} layer {l} grad_weights"),
                    w,
                    &want.grad_weights[i],
                    g_scale,
                ),
                None => c.problem(format!("step {s} layer {l}: no grad_weights recorded")),
            }
            match (&want.grad_biases[i], gl.grad_bias_norm) {
                (Some(b), Some(gn)) => c.scalar(
                    &format!("step {s} layer {l} grad_bias_norm"),
                    gn,
                    norm(b),
                    g_scale,
                ),
                (None, None) => {}
                (Some(_), None) => c.problem(format!(
                    "step {s} layer {l}: the layer has a bias but grad_bias_norm is None"
                )),
                (None, Some(_)) => c.problem(format!(
                    "step {s} layer {l}: the layer has no bias but grad_bias_norm is Some"
                )),
            }
            // parameters after this step = weights recorded at the next step
            if let Some(w) = got
                .get(k + 1)
                .and_then(|n| n.layers.get(i)?.weights.as_ref())
            {
                c.matrix(
                    &format!("step {} record: layer {l} weights (after step {s})", s + 1),
                    w,
                    &want.weights_after[i],
                    after_scale,
                );
            }
        }
    }
    if let Some(g) = got.get(f.steps) {
        c.scalar(
            &format!("loss after the last step (step {} record)", f.steps + 1),
            g.loss,
            f.expected.final_.loss.get(),
            0.0,
        );
    }

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
            let want_norm = want.norms_after.get(i).and_then(Option::as_ref);
            match (&lp.norm, want_norm) {
                (Some(np), Some(wn)) => {
                    let ab: Vec<Num> = wn.gamma.iter().chain(&wn.beta).copied().collect();
                    let scale = layer_scale(&[ab], None);
                    c.matrix(
                        &format!("params after step {s}: layer {l} gamma"),
                        std::slice::from_ref(&np.gamma),
                        std::slice::from_ref(&wn.gamma),
                        scale,
                    );
                    c.matrix(
                        &format!("params after step {s}: layer {l} beta"),
                        std::slice::from_ref(&np.beta),
                        std::slice::from_ref(&wn.beta),
                        scale,
                    );
                    for (what, got, want) in [
                        ("running_mean", &np.running_mean, &wn.running_mean),
                        ("running_var", &np.running_var, &wn.running_var),
                    ] {
                        match (got, want) {
                            (Some(g), Some(w)) => c.matrix(
                                &format!("params after step {s}: layer {l} {what}"),
                                std::slice::from_ref(g),
                                std::slice::from_ref(w),
                                0.0,
                            ),
                            (None, None) => {}
                            _ => c.problem(format!(
                                "params after step {s}: layer {l} {what} present on one side only"
                            )),
                        }
                    }
                }
                (None, None) => {}
                (got, _) if f.schema >= 2 || got.is_some() => c.problem(format!(
                    "params after step {s}: layer {l} normalisation is {} in the engine",
                    if got.is_some() { "present" } else { "missing" }
                )),
                _ => {}
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
    (c.mismatches, c.compared, c.worst)
}

/// Mismatch lines reported per failing fixture (the first ones are the informative ones:
/// later steps inherit the first difference).
const MAX_REPORTED: usize = 25;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/fixtures")
}

#[test]
fn pytorch_reference_fixtures() {
    let filter = std::env::var("GRADLAB_FIXTURE").ok();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .expect("tests/reference/fixtures exists (run tests/reference/make_fixtures.py)")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    if filter.is_none() {
        assert!(
            paths.len() >= 46,
            "expected at least 46 fixtures, found {}",
            paths.len()
        );
    }

    let mut report = String::new();
    let mut failed = Vec::new();
    let mut checked = 0;
    for path in &paths {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).expect("readable fixture");
        let fixture: Fixture = match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                failed.push(file.clone());
                let _ = writeln!(report, "\n{file}: cannot parse: {e}");
                continue;
            }
        };
        if filter.as_ref().is_some_and(|s| !fixture.name.contains(s)) {
            continue;
        }
        checked += 1;
        let (mismatches, compared, worst) = check_fixture(&fixture);
        if mismatches.is_empty() {
            eprintln!(
                "ok    {:42} {compared:5} values, worst {worst:.3} x tolerance",
                fixture.name
            );
        } else {
            eprintln!("FAIL  {} ({} mismatches)", fixture.name, mismatches.len());
            failed.push(fixture.name.clone());
            let _ = writeln!(
                report,
                "\n{} [{}] ({}):",
                fixture.name, fixture.precision, fixture.description
            );
            for m in mismatches.iter().take(MAX_REPORTED) {
                let _ = writeln!(report, "  - {m}");
            }
            if mismatches.len() > MAX_REPORTED {
                let _ = writeln!(
                    report,
                    "  ... and {} more (GRADLAB_FIXTURE={} to run it alone)",
                    mismatches.len() - MAX_REPORTED,
                    fixture.name
                );
            }
        }
    }
    assert!(checked > 0, "no fixture matched");
    assert!(
        failed.is_empty(),
        "{} of {checked} PyTorch fixtures differ from the engine: {}\n{report}",
        failed.len(),
        failed.join(", ")
    );
}
