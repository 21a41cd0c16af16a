//! Shared by the PyTorch reference tests (`pytorch_fixtures.rs`, which drives the engine
//! API, and `pytorch_scripts.rs`, which drives gradlab scripts): the fixture schema, versions
//! 1 and 2 (see `tests/reference/README.md`), the tolerance rule, the comparisons with what
//! torch computed (per-step records, network outputs, parameters after a step), and the loop
//! over every fixture that reports all failures at once.
//!
//! Tolerance: `|a - b| <= rtol * max(|a|, |b|) + floor * scale`, where `scale` is the largest
//! finite |expected value| of the group being compared: for parameters and gradients, the
//! layer (weight matrix and bias vector together; e.g. `grad_bias_norm` is scaled by the
//! layer's whole gradient; γ and β together); for a network output, the output matrix; for
//! the loss, the gradient norms and the learning rate, the value itself. The floor covers
//! entries near 0 that come from cancellation (their rounding error is relative to the terms
//! that cancelled, not to the result): f32 rtol 1e-5, floor 1e-5; f64 rtol 1e-10, floor
//! 1e-12. Non-finite values must match exactly: nan with nan, inf with inf of the same sign.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use gradlab::engine::Params;
use serde::Deserialize;

// ------------------------------------------------------------------------------------------
// fixture schema

/// A number that may be written as the string "inf", "-inf" or "nan".
#[derive(Deserialize, Clone, Copy, Debug)]
#[serde(untagged)]
pub enum Num {
    F(f64),
    S(NonFinite),
}

#[derive(Deserialize, Clone, Copy, Debug)]
pub enum NonFinite {
    #[serde(rename = "inf")]
    Inf,
    #[serde(rename = "-inf")]
    NegInf,
    #[serde(rename = "nan")]
    Nan,
}

impl Num {
    pub fn get(self) -> f64 {
        match self {
            Num::F(v) => v,
            Num::S(NonFinite::Inf) => f64::INFINITY,
            Num::S(NonFinite::NegInf) => f64::NEG_INFINITY,
            Num::S(NonFinite::Nan) => f64::NAN,
        }
    }
}

pub type Matrix = Vec<Vec<Num>>;

#[derive(Deserialize)]
pub struct Fixture {
    pub schema: u32,
    pub name: String,
    pub description: String,
    pub precision: String,
    pub input: usize,
    pub layers: Vec<FixtureLayer>,
    pub data: FixtureData,
    pub loss: String,
    pub optimizer: FixtureOptimizer,
    pub steps: usize,
    pub expected: Expected,
    /// Schema 2: `[first, last]` skip connections, in the order torch adds them.
    #[serde(default)]
    pub residuals: Vec<[usize; 2]>,
    /// Schema 2: clipping, extra weight decay, schedules.
    #[serde(default)]
    pub remedies: FixtureRemedies,
}

/// The fixture schema versions these tests understand.
pub const SCHEMAS: [u32; 2] = [1, 2];

#[derive(Deserialize)]
pub struct FixtureLayer {
    pub width: usize,
    pub activation: FixtureActivation,
    pub weight: Vec<Vec<f64>>,
    pub bias: Option<Vec<f64>>,
    /// Schema 2: "batchnorm" | "layernorm"; absent = none.
    pub norm: Option<String>,
}

/// A layer's normalisation (schema 2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NormKind {
    BatchNorm,
    LayerNorm,
}

impl FixtureLayer {
    /// The layer's normalisation, `Err` for an unknown name.
    pub fn norm_kind(&self) -> Result<Option<NormKind>, String> {
        match self.norm.as_deref() {
            None => Ok(None),
            Some("batchnorm") => Ok(Some(NormKind::BatchNorm)),
            Some("layernorm") => Ok(Some(NormKind::LayerNorm)),
            Some(n) => Err(format!("unknown norm {n:?}")),
        }
    }
}

/// Schema 2: the remedies of the run; every field optional.
#[derive(Deserialize, Default)]
pub struct FixtureRemedies {
    pub clip_norm: Option<FixtureClipNorm>,
    pub clip_value: Option<f64>,
    pub weight_decay: Option<f64>,
    #[serde(default)]
    pub schedules: Vec<FixtureSchedule>,
}

#[derive(Deserialize)]
pub struct FixtureClipNorm {
    pub max: f64,
    /// The p of the p-norm; "inf" = max |g|.
    pub norm: Num,
    /// "global" | "per_layer".
    pub scope: String,
}

/// A learning-rate schedule: `warmup {steps}`, `step_decay {every, factor}`,
/// `cosine {t_max}`.
#[derive(Deserialize)]
pub struct FixtureSchedule {
    pub name: String,
    pub steps: Option<usize>,
    pub every: Option<usize>,
    pub factor: Option<f64>,
    pub t_max: Option<usize>,
}

impl FixtureSchedule {
    /// A parameter the schedule must have (`steps`, `every`, `t_max`).
    pub fn need(&self, v: Option<usize>, what: &str) -> Result<usize, String> {
        v.ok_or(format!("schedule {} without {what}", self.name))
    }
}

/// Schema 2: a normalisation's parameters (and, before the update, their gradients).
#[derive(Deserialize)]
pub struct FixtureNorm {
    pub gamma: Vec<Num>,
    pub beta: Vec<Num>,
    /// Batchnorm only.
    pub running_mean: Option<Vec<Num>>,
    pub running_var: Option<Vec<Num>>,
    pub grad_gamma: Option<Vec<Num>>,
    pub grad_beta: Option<Vec<Num>>,
}

#[derive(Deserialize)]
pub struct FixtureActivation {
    pub name: String,
    pub slope: Option<f64>,
    pub alpha: Option<f64>,
    pub beta: Option<f64>,
    pub threshold: Option<f64>,
}

impl FixtureActivation {
    /// gradlab's softplus (engine and script alike) is torch's default, beta 1 and
    /// threshold 20; `Err` for any other.
    pub fn check_softplus_defaults(&self) -> Result<(), String> {
        if self.beta.unwrap_or(1.0) != 1.0 || self.threshold.unwrap_or(20.0) != 20.0 {
            return Err("gradlab's softplus is beta=1, threshold=20 only".into());
        }
        Ok(())
    }
}

#[derive(Deserialize)]
pub struct FixtureData {
    pub x: Vec<Vec<f64>>,
    pub y: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
pub struct FixtureOptimizer {
    pub name: String,
    pub lr: f64,
    #[serde(default)]
    pub momentum: f64,
    #[serde(default)]
    pub nesterov: bool,
    #[serde(default)]
    pub weight_decay: f64,
    pub beta1: Option<f64>,
    pub beta2: Option<f64>,
    pub alpha: Option<f64>,
    pub eps: Option<f64>,
}

impl FixtureOptimizer {
    /// A hyper-parameter the optimizer must have (`beta1`, `eps`, ...).
    pub fn need(&self, v: Option<f64>, what: &str) -> Result<f64, String> {
        v.ok_or(format!("{} without {what}", self.name))
    }
}

#[derive(Deserialize)]
pub struct Expected {
    pub output_before: Matrix,
    pub steps: Vec<ExpectedStep>,
    #[serde(rename = "final")]
    pub final_: ExpectedFinal,
}

#[derive(Deserialize)]
pub struct ExpectedStep {
    pub step: usize,
    pub loss: Num,
    pub grad_norm: Num,
    pub weights: Vec<Matrix>,
    /// Only used for the tolerance scale: step records carry no bias values (only
    /// gradient norms); biases are compared through `check_params_after`.
    pub biases: Vec<Option<Vec<Num>>>,
    pub grad_weights: Vec<Matrix>,
    pub grad_biases: Vec<Option<Vec<Num>>>,
    pub weights_after: Vec<Matrix>,
    pub biases_after: Vec<Option<Vec<Num>>>,
    /// Schema 2: learning rate of this step's update.
    pub lr: Option<f64>,
    /// Schema 2, with clipping only: the global 2-norm after clipping.
    pub clipped_norm: Option<Num>,
    /// Schema 2: per layer, the normalisation before the update (running statistics
    /// including this step's forward pass).
    #[serde(default)]
    pub norms: Vec<Option<FixtureNorm>>,
    /// Schema 2: per layer, the normalisation after the update.
    #[serde(default)]
    pub norms_after: Vec<Option<FixtureNorm>>,
}

#[derive(Deserialize)]
pub struct ExpectedFinal {
    pub loss: Num,
    pub output: Matrix,
}

// ------------------------------------------------------------------------------------------
// what gradlab reported, per step

pub struct GotLayer {
    pub weights: Option<Vec<Vec<f64>>>,
    pub grad_weights: Option<Vec<Vec<f64>>>,
    pub grad_bias_norm: Option<f64>,
    /// Norm of (∂γ, ∂β) of the layer's normalisation; compared by `check_norm_grads` only
    /// (a script's report does not show it).
    pub grad_affine_norm: Option<f64>,
}

pub struct GotStep {
    pub step: usize,
    pub loss: f64,
    pub grad_norm: f64,
    /// Global 2-norm after clipping (None = no clipping configured).
    pub clipped_norm: Option<f64>,
    /// Learning rate of this step's update.
    pub lr: f64,
    pub layers: Vec<GotLayer>,
}

// ------------------------------------------------------------------------------------------
// comparison

pub struct Tol {
    pub rtol: f64,
    pub floor: f64,
}

impl Tol {
    /// f32: rtol 1e-5, floor 1e-5; f64: rtol 1e-10, floor 1e-12.
    pub fn for_precision(precision: &str) -> Tol {
        match precision {
            "f64" => Tol {
                rtol: 1e-10,
                floor: 1e-12,
            },
            _ => Tol {
                rtol: 1e-5,
                floor: 1e-5,
            },
        }
    }
}

pub struct Checker {
    pub tol: Tol,
    /// What produced the values under test, for messages ("engine", "script").
    pub who: &'static str,
    pub mismatches: Vec<String>,
    pub compared: usize,
    /// Largest |a - b| / tolerance seen among finite values (1.0 = at the limit).
    pub worst: f64,
}

fn fmt(v: f64) -> String {
    format!("{v:e}")
}

impl Checker {
    /// A checker with the tolerance of the fixture's precision.
    pub fn new(f: &Fixture, who: &'static str) -> Checker {
        Checker {
            tol: Tol::for_precision(&f.precision),
            who,
            mismatches: Vec::new(),
            compared: 0,
            worst: 0.0,
        }
    }

    /// The mismatches (empty = pass), the number of values compared and the worst finite
    /// difference in units of the tolerance.
    pub fn finish(self) -> (Vec<String>, usize, f64) {
        (self.mismatches, self.compared, self.worst)
    }

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
    pub fn scalar(&mut self, what: &str, got: f64, want: f64, group: f64) {
        self.compared += 1;
        let scale = if want.is_finite() { want.abs() } else { 0.0 }.max(group);
        if !self.close(got, want, scale) {
            self.mismatches.push(format!(
                "{what}: {} {} torch {} (rel diff {:.2e})",
                self.who,
                fmt(got),
                fmt(want),
                rel(got, want)
            ));
        }
    }

    /// `group`: the scale of the layer the matrix belongs to (see `layer_scale`).
    pub fn matrix(&mut self, what: &str, got: &[Vec<f64>], want: &[Vec<Num>], group: f64) {
        let want: Vec<Vec<f64>> = want
            .iter()
            .map(|r| r.iter().map(|v| v.get()).collect())
            .collect();
        let gshape: Vec<usize> = got.iter().map(Vec::len).collect();
        let wshape: Vec<usize> = want.iter().map(Vec::len).collect();
        if gshape != wshape {
            self.mismatches.push(format!(
                "{what}: shape differs: {} rows {gshape:?}, torch rows {wshape:?}",
                self.who
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
                        "[{i}][{j}] {} {} torch {} (rel {:.2e})",
                        self.who,
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

    pub fn problem(&mut self, msg: String) {
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
pub fn layer_scale(w: &[Vec<Num>], b: Option<&Vec<Num>>) -> f64 {
    w.iter()
        .flatten()
        .chain(b.into_iter().flatten())
        .map(|v| v.get())
        .filter(|v| v.is_finite())
        .fold(0.0, |m, v| m.max(v.abs()))
}

pub fn norm(v: &[Num]) -> f64 {
    v.iter().map(|x| x.get() * x.get()).sum::<f64>().sqrt()
}

/// Compares a network output (`forward` in evaluation mode) with torch's, as one group.
pub fn check_output(c: &mut Checker, what: &str, got: &[Vec<f64>], want: &Matrix) {
    c.matrix(what, got, want, 0.0);
}

/// Compares the step records of a run of `steps + 1` steps with the fixture:
///
/// * step k (1..=steps): `loss`, `grad_norm`, per layer `weights` (before the update),
///   `grad_weights` and `grad_bias_norm` vs `expected.steps[k-1]`; schema 2 also `lr` and
///   `clipped_norm` (present exactly when torch clipped);
/// * step k+1: per layer `weights` (before ITS update, i.e. the parameters after step k) vs
///   `expected.steps[k-1].weights_after`, and the loss of the extra step `steps + 1` vs
///   `expected.final.loss`.
///
/// The gradients of γ and β are compared by `check_norm_grads`.
pub fn check_steps(c: &mut Checker, f: &Fixture, got: &[GotStep]) {
    if got.len() != f.steps + 1 {
        c.problem(format!(
            "{} emitted {} step records, expected {} (steps + 1)",
            c.who,
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
                "step {s}: clipped_norm is {got:?} in the {}, {:?} in torch",
                c.who,
                w.map(Num::get)
            )),
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
                    "step {s} layer {l}: the layer has a bias but no grad_bias_norm"
                )),
                (None, Some(_)) => c.problem(format!(
                    "step {s} layer {l}: the layer has no bias but a grad_bias_norm"
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
}

/// Schema 2: per layer with a normalisation, `grad_affine_norm` of step k vs the 2-norm of
/// (`grad_gamma`, `grad_beta`) of `expected.steps[k-1].norms`, scaled by the largest of
/// those gradients; a layer without normalisation must have no `grad_affine_norm`.
pub fn check_norm_grads(c: &mut Checker, f: &Fixture, got: &[GotStep]) {
    for (want, g) in f.expected.steps.iter().zip(got) {
        let s = want.step;
        for (i, (nm, gl)) in want.norms.iter().zip(&g.layers).enumerate() {
            let l = i + 1;
            match (nm, gl.grad_affine_norm) {
                (Some(nm), Some(got)) => {
                    let (Some(gg), Some(gb)) = (&nm.grad_gamma, &nm.grad_beta) else {
                        c.problem(format!("step {s} layer {l}: fixture lacks grad_gamma"));
                        continue;
                    };
                    let both: Vec<Num> = gg.iter().chain(gb).copied().collect();
                    let scale = layer_scale(std::slice::from_ref(&both), None);
                    c.scalar(
                        &format!("step {s} layer {l} grad γ,β norm"),
                        got,
                        norm(&both),
                        scale,
                    );
                }
                (None, None) => {}
                (w, got) => c.problem(format!(
                    "step {s} layer {l}: norm layer is {} in torch but grad_affine_norm {got:?}",
                    if w.is_some() { "present" } else { "absent" }
                )),
            }
        }
    }
}

/// The parameters after fixture step `s` (1-based; e.g. `TrainSummary::params` of a run of
/// exactly `s` steps) vs `expected.steps[s-1]`: per layer the weight and bias
/// (`weights_after`, `biases_after`, one group) and, schema 2, the normalisation's γ and β
/// (one group) and batchnorm's running mean and variance (`norms_after`). A normalisation
/// present on one side only is a mismatch (schema 1 fixtures have no `norms_after`: there
/// the parameters must have none).
pub fn check_params_after(c: &mut Checker, f: &Fixture, s: usize, params: &Params) {
    let Some(want) = f.expected.steps.get(s.wrapping_sub(1)) else {
        c.problem(format!(
            "params after step {s}: the fixture has no step {s}"
        ));
        return;
    };
    if params.layers.len() != f.layers.len() {
        c.problem(format!(
            "params after step {s}: {} has {} layers",
            c.who,
            params.layers.len()
        ));
        return;
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
                "params after step {s}: layer {l} bias is {} in the {}",
                if got.is_some() { "present" } else { "missing" },
                c.who
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
                "params after step {s}: layer {l} normalisation is {} in the {}",
                if got.is_some() { "present" } else { "missing" },
                c.who
            )),
            _ => {}
        }
    }
}

// ------------------------------------------------------------------------------------------
// running every fixture

/// Mismatch lines reported per failing fixture (the first ones are the informative ones:
/// later steps inherit the first difference).
const MAX_REPORTED: usize = 25;

pub fn fixture_dir() -> PathBuf {
    Path::new(super::ROOT).join("tests/reference/fixtures")
}

/// Runs `check` (mismatches, values compared, worst difference in units of the tolerance)
/// on every fixture whose name contains `$GRADLAB_FIXTURE` (all when unset), printing one
/// line per fixture, and fails once at the end with a report per failing fixture. `what`
/// names what is being checked, for the final message ("the engine").
pub fn check_all_fixtures(
    what: &str,
    mut check: impl FnMut(&Fixture) -> (Vec<String>, usize, f64),
) {
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
        let (mismatches, compared, worst) = if SCHEMAS.contains(&fixture.schema) {
            check(&fixture)
        } else {
            let msg = format!("unsupported fixture schema {}", fixture.schema);
            (vec![msg], 0, 0.0)
        };
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
        "{} of {checked} PyTorch fixtures differ from {what}: {}\n{report}",
        failed.len(),
        failed.join(", ")
    );
}
