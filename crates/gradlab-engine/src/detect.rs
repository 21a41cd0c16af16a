//! Diagnostic detectors. They only look at the per-step numbers already computed for the
//! `StepRecord` (O(layers) per step, no allocation unless an event fires).
//!
//! # Firing discipline
//! Every kind has a latch: it fires the first step its condition holds, then stays silent
//! until the condition has been false for [`CLEAR_STEPS`] consecutive steps ("cleared"),
//! after which it may fire again. Within one step events are emitted in this order:
//! `NonFinite`, `LossJump`, `Exploding`, `Vanishing`, `DeadLayer`, `PoorTraining(Plateau)`;
//! after the last step: `PoorTraining(EndedAboveStart)`, then `PoorTraining(NearChance)`.
//!
//! # Rules (thresholds from [`Thresholds`], defaults in parentheses)
//! * **NonFinite**: the batch loss or some parameter gradient is NaN/±Inf (a global norm
//!   that overflows while every gradient is finite is reported by `Exploding` instead). The forward pass
//!   is blamed if the loss is non-finite, otherwise the backward pass; the layer is the
//!   first one (forward: from the input; backward: from the output) with a non-finite value,
//!   `created` = its own inputs and parameters were finite. Training stops before applying
//!   the update unless `continue_on_nonfinite`.
//! * **LossJump**: `loss_t / ref > loss_jump_factor` (10), both finite, `ref > 0`, where `ref`
//!   is the mean loss of the previous `k = min(10, steps per epoch)` steps (full batch: just
//!   the previous loss; with mini-batches the mean damps batch-to-batch noise). `from` = ref.
//!   Only increases count; a large decrease is progress.
//! * **Exploding**: with `g_l = ‖∂L/∂a_l‖ / √width_l` (per-unit, so layers of different
//!   widths compare) and L ≥ 2 layers, the per-layer growth toward the
//!   input `(g_0 / g_{L-1})^(1/(L-1)) > explode_factor` (2) with a total amplification
//!   `g_0 / g_{L-1} > MIN_AMPLIFICATION` (100), or the global gradient norm
//!   `> explode_norm` (1e3). `layer` = the layer with the largest gain `g_{l-1}/g_l` (ties:
//!   the one nearest the output) when the growth rule holds or some layer's gain is above 1
//!   (the layers that amplify are the cause, whichever rule fired), else the layer with the
//!   largest ‖∂L/∂W‖. `factor_per_layer` is the growth (1 layer: its gain).
//! * **Vanishing**: L ≥ 2, no layer dead, and `‖∂L/∂W_0‖ / ‖∂L/∂W_{L-1}‖ < vanish_ratio`
//!   (1e-4), or the same ratio of the per-unit backward signal `g_0 / g_{L-1}` (as for
//!   Exploding), the last layer's value being finite and > 0. `layer` = the layer nearest
//!   the output whose ratio to the last layer is below `vanish_ratio` (where the gradient
//!   has vanished). The weight gradient of a layer with batch norm and a single input is
//!   0 by construction (the norm divides out each unit's one weight, and its bias): such a
//!   layer is left out of the weight-gradient measure, which is skipped altogether when it
//!   is the first layer (see [`Detectors::without_weight_gradient`]).
//! * **DeadLayer**: some ReLU-family layer (`Relu`, `LeakyRelu` with slope 0) outputs exactly
//!   0 for every row and unit of the batch. `layer` = the first dead layer; `layers` = all.
//! * **PoorTraining / Plateau**: once `plateau_steps` (50) losses are in the window, with
//!   `k = max(1, window/10)`: `improvement = (mean(oldest k) - mean(newest k)) / |mean(oldest k)|
//!   < plateau_fraction` (0.01), while the newest mean is still above
//!   [`PLATEAU_CONVERGED`] × the baseline loss, the loss of the best constant prediction
//!   (the targets' variance for MSE, their entropy for the cross-entropies): a loss far
//!   below that has converged, which is not a plateau. The event also gives the window's
//!   lowest and highest loss, and whether the loss *oscillates*: its direction changed in
//!   at least [`OSCILLATION_TURNS`] of the window's steps and its rises add up to more
//!   than `plateau_fraction` of the oldest mean (an unimproving loss that bounces, rather
//!   than one that sits still, creeps or flattens out with rounding noise).
//! * **PoorTraining / EndedAboveStart** (end of run, ≥ 2 steps): with
//!   `k = min(10, steps per epoch, steps/2)`, mean of the last k losses > mean of the first k.
//! * **PoorTraining / NearChance** (end of run, classification, ≥ 2 steps): mean batch
//!   accuracy of the last k steps ≤ chance + [`NEAR_CHANCE_MARGIN`], where chance is the
//!   majority-class rate of the whole data set (and < 1).

use super::events::{DiagnosticEvent, ExplodingBlame, LayerStats, PoorReason};
use super::types::Thresholds;

/// The growth rule of `Exploding` also needs the first layer's per-unit gradient to be
/// this many times the last layer's: in a shallow network a factor of 2 per layer is
/// ordinary, and only a product that has compounded is an explosion.
pub const MIN_AMPLIFICATION: f64 = 100.0;
/// Consecutive quiet steps after which a detector may fire again.
pub const CLEAR_STEPS: usize = 10;
/// A plateau is only reported while the loss is above this fraction of the baseline loss.
pub const PLATEAU_CONVERGED: f64 = 0.01;
/// A plateau oscillates when the loss changes direction in at least this fraction of
/// its window's steps.
pub const OSCILLATION_TURNS: f64 = 0.25;
/// NearChance fires when accuracy ≤ chance + this.
pub const NEAR_CHANCE_MARGIN: f64 = 0.05;
/// Windows longer than this disable the plateau detector (memory bound).
const MAX_WINDOW: usize = 1 << 22;
/// Upper bound on the start/end averaging length.
const MAX_END_K: usize = 10;

#[derive(Debug, Default, Clone, Copy)]
struct Latch {
    active: bool,
    quiet: usize,
}

impl Latch {
    /// Update with this step's condition; true if the event should fire now.
    fn update(&mut self, cond: bool) -> bool {
        if cond {
            self.quiet = 0;
            if !self.active {
                self.active = true;
                return true;
            }
        } else if self.active {
            self.quiet += 1;
            if self.quiet >= CLEAR_STEPS {
                self.active = false;
                self.quiet = 0;
            }
        }
        false
    }
}

/// One latch per finding kind.
#[derive(Debug, Default)]
struct Latches {
    nonfinite: Latch,
    loss_jump: Latch,
    exploding: Latch,
    vanishing: Latch,
    dead_layer: Latch,
    plateau: Latch,
}

/// Fixed-capacity ring of the most recent values.
#[derive(Debug, Clone)]
struct Ring {
    buf: Vec<f64>,
    pos: usize,
    len: usize,
}

impl Ring {
    fn new(cap: usize) -> Self {
        Ring {
            buf: vec![0.0; cap],
            pos: 0,
            len: 0,
        }
    }
    fn push(&mut self, v: f64) {
        if self.buf.is_empty() {
            return;
        }
        self.buf[self.pos] = v;
        self.pos = (self.pos + 1) % self.buf.len();
        self.len = (self.len + 1).min(self.buf.len());
    }
    fn full(&self) -> bool {
        !self.buf.is_empty() && self.len == self.buf.len()
    }
    /// i-th oldest value (0 = oldest).
    fn get(&self, i: usize) -> f64 {
        let cap = self.buf.len();
        self.buf[(self.pos + cap - self.len + i) % cap]
    }
    /// Mean of the k newest values.
    fn mean_newest(&self, k: usize) -> f64 {
        let k = k.min(self.len).max(1);
        self.mean(self.len - k..self.len)
    }
    /// Mean of the k oldest values.
    fn mean_oldest(&self, k: usize) -> f64 {
        self.mean(0..k.min(self.len).max(1))
    }
    /// Mean of the values `range` indexes (0 = oldest), summed oldest first.
    fn mean(&self, range: std::ops::Range<usize>) -> f64 {
        let k = range.len();
        range.map(|i| self.get(i)).sum::<f64>() / k as f64
    }
}

/// What the detectors see of one step.
pub(crate) struct StepView<'a> {
    pub step: usize,
    pub loss: f64,
    pub grad_norm: f64,
    pub accuracy: Option<f64>,
    pub layers: &'a [LayerStats],
}

/// All per-run detector state.
pub(crate) struct Detectors {
    th: Thresholds,
    latches: Latches,
    baseline: f64,
    widths: Vec<usize>,
    /// Layers whose weight gradient is 0 by construction (see `without_weight_gradient`).
    no_weight_gradient: Vec<bool>,
    window: Ring,
    end_k: usize,
    head: Vec<f64>,
    tail: Ring,
    tail_acc: Ring,
    steps: usize,
    chance: Option<f64>,
}

impl Detectors {
    /// `total_steps`: planned steps (bounds the window); `steps_per_epoch` bounds the
    /// start/end averaging; `chance`: majority-class rate for classification losses;
    /// `baseline`: the loss of the best constant prediction; `widths`: each layer's width.
    pub fn new(
        th: Thresholds,
        total_steps: usize,
        steps_per_epoch: usize,
        chance: Option<f64>,
        baseline: f64,
        widths: Vec<usize>,
    ) -> Self {
        let w = th.plateau_steps;
        let w = if w == 0 || w > total_steps || w > MAX_WINDOW {
            0
        } else {
            w
        };
        let end_k = steps_per_epoch.clamp(1, MAX_END_K);
        Detectors {
            th,
            latches: Latches::default(),
            baseline,
            no_weight_gradient: vec![false; widths.len()],
            widths,
            window: Ring::new(w),
            end_k,
            head: Vec::with_capacity(end_k),
            tail: Ring::new(end_k),
            tail_acc: Ring::new(end_k),
            steps: 0,
            chance,
        }
    }

    /// Marks the layers whose weight gradient is 0 by construction, whatever the gradient
    /// that reaches them: batch norm right after a single input divides out each unit's
    /// one weight (and its bias). Their weight gradient says nothing about vanishing.
    pub fn without_weight_gradient(mut self, layers: Vec<bool>) -> Self {
        self.no_weight_gradient = layers;
        self
    }

    /// Non-finite latch: call every step with whether loss/gradients were non-finite.
    pub fn nonfinite(&mut self, bad: bool) -> bool {
        self.latches.nonfinite.update(bad)
    }

    /// Run the per-step detectors, pushing any events to `out` in the documented order.
    pub fn observe(&mut self, v: &StepView<'_>, out: &mut Vec<DiagnosticEvent>) {
        self.loss_jump(v, out);
        self.exploding(v, out);
        self.vanishing(v, out);
        self.dead_layer(v, out);
        self.plateau(v, out);
        self.remember(v);
    }

    /// LossJump: the loss over the mean of the previous few steps' (`tail`, before this
    /// step is remembered).
    fn loss_jump(&mut self, v: &StepView<'_>, out: &mut Vec<DiagnosticEvent>) {
        let mut jump = None;
        let reference = (self.tail.len > 0).then(|| self.tail.mean_newest(self.end_k));
        if let Some(prev) = reference
            && prev.is_finite()
            && prev > 0.0
            && v.loss.is_finite()
        {
            let f = v.loss / prev;
            if f > self.th.loss_jump_factor {
                jump = Some((prev, f));
            }
        }
        if self.latches.loss_jump.update(jump.is_some())
            && let Some((from, factor)) = jump
        {
            out.push(DiagnosticEvent::LossJump {
                step: v.step,
                from,
                to: v.loss,
                factor,
            });
        }
    }

    /// Exploding: per-layer growth of the per-unit gradient toward the input, or a large
    /// global norm.
    fn exploding(&mut self, v: &StepView<'_>, out: &mut Vec<DiagnosticEvent>) {
        let layers = v.layers;
        let nl = layers.len();
        let growth = self.growth(layers);
        let growth_bad = growth
            .is_some_and(|(total, g)| g > self.th.explode_factor && total > MIN_AMPLIFICATION);
        let growth = growth.map(|(_, g)| g);
        let norm_bad = v.grad_norm > self.th.explode_norm;
        if !self.latches.exploding.update(growth_bad || norm_bad) {
            return;
        }
        let amplifies = layers
            .iter()
            .skip(1)
            .any(|l| l.gain > 1.0 && l.gain.is_finite());
        let (layer, blame) = if growth_bad || amplifies {
            (largest_gain(layers), ExplodingBlame::Gain)
        } else {
            (largest_weight_grad(layers), ExplodingBlame::WeightGradient)
        };
        let factor_per_layer = match growth {
            Some(g) => g,
            None if nl == 1 && layers[0].gain.is_finite() => layers[0].gain,
            None => 1.0,
        };
        out.push(DiagnosticEvent::Exploding {
            step: v.step,
            layer,
            origin: layers[layer].origin,
            blame,
            factor_per_layer,
            global_norm: v.grad_norm,
        });
    }

    /// `(g_0 / g_{L-1}, its (L-1)-th root)` of the per-unit gradients, for 2 layers or more
    /// with finite values and a last one above 0.
    fn growth(&self, layers: &[LayerStats]) -> Option<(f64, f64)> {
        let nl = layers.len();
        if nl < 2 {
            return None;
        }
        let (g_last, g_first) = (self.per_unit(layers, nl - 1), self.per_unit(layers, 0));
        if g_last > 0.0 && g_last.is_finite() && g_first.is_finite() {
            let total = g_first / g_last;
            Some((total, total.powf(1.0 / (nl - 1) as f64)))
        } else {
            None
        }
    }

    /// ‖∂L/∂a_l‖ per unit (RMS), so a wide hidden layer next to a narrow output layer is not
    /// mistaken for growth.
    fn per_unit(&self, layers: &[LayerStats], l: usize) -> f64 {
        let width = self.widths.get(l).copied().unwrap_or(1).max(1) as f64;
        layers[l].grad_output_norm / width.sqrt()
    }

    /// Vanishing: the weight gradients, or the per-unit backward signal, of the first layer
    /// are a tiny fraction of the last layer's. A dead layer also stops the signal, but that
    /// is the dead-layer finding, not this one.
    fn vanishing(&mut self, v: &StepView<'_>, out: &mut Vec<DiagnosticEvent>) {
        let layers = v.layers;
        let nl = layers.len();
        let mut vanish = None;
        if nl >= 2 && !layers.iter().any(|l| l.dead) {
            let per_unit = |l: usize| self.per_unit(layers, l);
            let weight_grad = |l: usize| layers[l].grad_weight_norm;
            // (measure, whether it is the weight gradient, blind in some layers)
            let measures: [(&dyn Fn(usize) -> f64, bool); 2] =
                [(&weight_grad, true), (&per_unit, false)];
            for (measure, of_weights) in measures {
                let skip = |l: usize| {
                    of_weights && self.no_weight_gradient.get(l).copied().unwrap_or(false)
                };
                let last = measure(nl - 1);
                let first = measure(0);
                if skip(0) || !(last > 0.0 && last.is_finite() && first.is_finite()) {
                    continue;
                }
                let ratio = first / last;
                if ratio < self.th.vanish_ratio {
                    let layer = (0..nl - 1)
                        .rev()
                        .find(|&l| !skip(l) && measure(l) / last < self.th.vanish_ratio)
                        .unwrap_or(0);
                    vanish = Some((ratio, layer));
                    break;
                }
            }
        }
        if self.latches.vanishing.update(vanish.is_some())
            && let Some((ratio, layer)) = vanish
        {
            out.push(DiagnosticEvent::Vanishing {
                step: v.step,
                ratio,
                layer,
                origin: layers[layer].origin,
            });
        }
    }

    /// DeadLayer: some ReLU-family layer outputs 0 for the whole batch.
    fn dead_layer(&mut self, v: &StepView<'_>, out: &mut Vec<DiagnosticEvent>) {
        let layers = v.layers;
        let any_dead = layers.iter().any(|l| l.dead);
        if self.latches.dead_layer.update(any_dead) {
            let dead: Vec<usize> = layers.iter().filter(|l| l.dead).map(|l| l.index).collect();
            let first = dead[0];
            out.push(DiagnosticEvent::DeadLayer {
                step: v.step,
                layer: first,
                origin: layers[first].origin,
                layers: dead,
            });
        }
    }

    /// PoorTraining / Plateau: too little improvement over a full window, while the loss is
    /// still well above the baseline.
    fn plateau(&mut self, v: &StepView<'_>, out: &mut Vec<DiagnosticEvent>) {
        self.window.push(v.loss);
        let mut plateau = None;
        if self.window.full() {
            let w = self.window.buf.len();
            let k = (w / 10).max(1);
            let old = self.window.mean_oldest(k);
            let new = self.window.mean_newest(k);
            if old.is_finite() && new.is_finite() && old != 0.0 {
                let improvement = (old - new) / old.abs();
                if improvement < self.th.plateau_fraction && new > PLATEAU_CONVERGED * self.baseline
                {
                    plateau = Some((w, improvement, old));
                }
            }
        }
        if self.latches.plateau.update(plateau.is_some())
            && let Some((window, improvement, old)) = plateau
        {
            let (low, high, turns, rises) = self.window_shape();
            let oscillates = turns as f64 >= OSCILLATION_TURNS * window as f64
                && rises > self.th.plateau_fraction * old.abs();
            out.push(DiagnosticEvent::PoorTraining {
                step: v.step,
                reason: PoorReason::Plateau {
                    window,
                    improvement,
                    low,
                    high,
                    oscillates,
                },
            });
        }
    }

    /// The plateau window's lowest and highest loss, how often the loss changed direction
    /// in it, and the sum of its rises. Only read when a plateau fires, so its cost is
    /// once per finding.
    fn window_shape(&self) -> (f64, f64, usize, f64) {
        let w = &self.window;
        let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut turns, mut rising, mut rises) = (0, None, 0.0);
        for i in 0..w.len {
            let loss = w.get(i);
            (low, high) = (low.min(loss), high.max(loss));
            if i == 0 {
                continue;
            }
            let change = loss - w.get(i - 1);
            if change != 0.0 {
                let up = change > 0.0;
                if up {
                    rises += change;
                }
                if rising.is_some_and(|r| r != up) {
                    turns += 1;
                }
                rising = Some(up);
            }
        }
        (low, high, turns, rises)
    }

    /// Book-keeping for the next step's LossJump and the end-of-run checks.
    fn remember(&mut self, v: &StepView<'_>) {
        if self.head.len() < self.end_k {
            self.head.push(v.loss);
        }
        self.tail.push(v.loss);
        if let Some(a) = v.accuracy {
            self.tail_acc.push(a);
        }
        self.steps += 1;
    }

    /// End-of-run checks after the last step `step`, comparing the first and the last `k`
    /// steps.
    pub fn finish(&mut self, step: usize, out: &mut Vec<DiagnosticEvent>) {
        if self.steps < 2 {
            return;
        }
        let k = self.end_k.min(self.steps / 2).max(1);
        self.ended_above_start(step, k, out);
        self.near_chance(step, k, out);
    }

    /// PoorTraining / EndedAboveStart: the last losses are above the first.
    fn ended_above_start(&self, step: usize, k: usize, out: &mut Vec<DiagnosticEvent>) {
        let start = self.head[..k].iter().sum::<f64>() / k as f64;
        let end = self.tail.mean_newest(k);
        if start.is_finite() && end.is_finite() && end > start {
            out.push(DiagnosticEvent::PoorTraining {
                step,
                reason: PoorReason::EndedAboveStart { start, end },
            });
        }
    }

    /// PoorTraining / NearChance: a classifier that ends little better than always
    /// answering the majority class.
    fn near_chance(&self, step: usize, k: usize, out: &mut Vec<DiagnosticEvent>) {
        if let Some(chance) = self.chance
            && chance < 1.0
            && self.tail_acc.len > 0
        {
            let accuracy = self.tail_acc.mean_newest(k);
            if accuracy <= chance + NEAR_CHANCE_MARGIN {
                out.push(DiagnosticEvent::PoorTraining {
                    step,
                    reason: PoorReason::NearChance { accuracy, chance },
                });
            }
        }
    }
}

/// The layer with the largest gain `g_{l-1}/g_l` (ties: the one nearest the output).
fn largest_gain(layers: &[LayerStats]) -> usize {
    let nl = layers.len();
    let mut best = nl - 1;
    let mut best_gain = f64::NEG_INFINITY;
    for l in (1..nl).rev() {
        if layers[l].gain > best_gain {
            best_gain = layers[l].gain;
            best = l;
        }
    }
    best
}

/// The layer with the largest ‖∂L/∂W‖ (ties: the one nearest the input).
fn largest_weight_grad(layers: &[LayerStats]) -> usize {
    let mut best = 0;
    for l in 1..layers.len() {
        if layers[l].grad_weight_norm > layers[best].grad_weight_norm {
            best = l;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(g_out: &[f64], g_w: &[f64], dead: &[bool]) -> Vec<LayerStats> {
        (0..g_out.len())
            .map(|l| LayerStats {
                index: l,
                origin: 100 + l,
                weight_mean: 0.0,
                weight_std: 0.0,
                weight_norm: 1.0,
                grad_weight_norm: g_w[l],
                grad_bias_norm: None,
                grad_affine_norm: None,
                grad_output_norm: g_out[l],
                gain: if l > 0 { g_out[l - 1] / g_out[l] } else { 1.0 },
                dead: dead[l],
                weights: None,
                grad_weights: None,
                bias: None,
                grad_bias: None,
            })
            .collect()
    }

    fn view(step: usize, loss: f64, layers: &[LayerStats]) -> StepView<'_> {
        StepView {
            step,
            loss,
            grad_norm: 1.0,
            accuracy: None,
            layers,
        }
    }

    #[test]
    fn shallow_growth_is_not_an_explosion() {
        // Three layers growing 3× each: 9× in all is ordinary, not exploding.
        let mut d = Detectors::new(Thresholds::default(), 100, 1, None, 0.0, vec![1; 3]);
        let mut out = Vec::new();
        let mild = stats(&[9.0, 3.0, 1.0], &[1.0; 3], &[false; 3]);
        d.observe(&view(1, 1.0, &mild), &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn latch_fires_once_then_after_clearing() {
        let mut l = Latch::default();
        assert!(l.update(true));
        assert!(!l.update(true));
        for _ in 0..CLEAR_STEPS - 1 {
            assert!(!l.update(false));
        }
        assert!(!l.update(true)); // not cleared yet
        for _ in 0..CLEAR_STEPS {
            l.update(false);
        }
        assert!(l.update(true));
    }

    #[test]
    fn jump_explode_vanish_dead() {
        let mut d = Detectors::new(Thresholds::default(), 100, 1, None, 0.0, vec![1; 4]);
        let mut out = Vec::new();
        let calm = stats(&[1.0; 4], &[1.0; 4], &[false; 4]);
        d.observe(&view(1, 1.0, &calm), &mut out);
        assert!(out.is_empty());
        // loss ×20, gradient grows 5× per layer toward the input (125× in all), the
        // first layer's weight gradient is tiny.
        let bad = stats(
            &[125.0, 25.0, 5.0, 1.0],
            &[1e-6, 1.0, 1.0, 1.0],
            &[false; 4],
        );
        d.observe(&view(2, 20.0, &bad), &mut out);
        assert!(matches!(out[0], DiagnosticEvent::LossJump { factor, .. } if factor == 20.0));
        assert!(
            matches!(out[1], DiagnosticEvent::Exploding { layer: 3, origin: 103, factor_per_layer, .. } if (factor_per_layer - 5.0).abs() < 1e-12),
            "{:?}",
            out[1]
        );
        assert!(matches!(
            out[2],
            DiagnosticEvent::Vanishing { layer: 0, .. }
        ));
        assert_eq!(out.len(), 3);
        out.clear();
        d.observe(&view(3, 400.0, &bad), &mut out);
        assert!(out.is_empty(), "no refiring while active: {out:?}");
        // A dead first layer is reported as dead, not as vanishing.
        let mut d = Detectors::new(Thresholds::default(), 100, 1, None, 0.0, vec![1; 4]);
        let dead = stats(
            &[0.0, 1.0, 1.0, 1.0],
            &[0.0, 1.0, 1.0, 1.0],
            &[true, false, false, false],
        );
        d.observe(&view(1, 1.0, &dead), &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(
            matches!(&out[0], DiagnosticEvent::DeadLayer { layer: 0, layers, .. } if layers == &vec![0])
        );
    }

    #[test]
    fn a_converged_loss_is_not_a_plateau() {
        let th = Thresholds {
            plateau_steps: 10,
            ..Thresholds::default()
        };
        // Baseline 0.25 (XOR's target variance): a flat loss of 1e-4 has converged.
        let mut d = Detectors::new(th, 100, 4, None, 0.25, vec![2; 2]);
        let out = calm_steps(&mut d, 20, |_| (1e-4, None));
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn plateau_and_end_checks() {
        let th = Thresholds {
            plateau_steps: 10,
            ..Thresholds::default()
        };
        let mut d = Detectors::new(th, 100, 4, Some(0.5), 0.25, vec![2; 2]);
        let mut out = calm_steps(&mut d, 12, |s| (1.0 + s as f64 * 1e-4, Some(0.5)));
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(matches!(
            out[0],
            DiagnosticEvent::PoorTraining {
                step: 10,
                reason: PoorReason::Plateau { window: 10, .. }
            }
        ));
        out.clear();
        d.finish(12, &mut out);
        assert!(matches!(
            out[0],
            DiagnosticEvent::PoorTraining {
                reason: PoorReason::EndedAboveStart { .. },
                ..
            }
        ));
        assert!(matches!(
            out[1],
            DiagnosticEvent::PoorTraining {
                reason: PoorReason::NearChance { .. },
                ..
            }
        ));
    }

    #[test]
    fn a_norm_only_explosion_blames_the_amplifying_layers() {
        // The global norm passes 1000 while the growth is mild (×1.5 per layer): the
        // layer that amplifies most is blamed, not the last layer with the largest ∂W.
        let mut d = Detectors::new(Thresholds::default(), 100, 1, None, 0.0, vec![1; 4]);
        let layers = stats(&[4.0, 2.0, 1.0, 1.0], &[1.0, 1.0, 1.0, 50.0], &[false; 4]);
        let mut out = Vec::new();
        let big = StepView {
            grad_norm: 5e3,
            ..view(1, 1.0, &layers)
        };
        d.observe(&big, &mut out);
        assert!(
            matches!(
                out[..],
                [DiagnosticEvent::Exploding {
                    layer: 2,
                    blame: ExplodingBlame::Gain,
                    ..
                }]
            ),
            "{out:?}"
        );
        // With no gain above 1, the largest weight gradient is all there is to blame.
        let mut d = Detectors::new(Thresholds::default(), 100, 1, None, 0.0, vec![1; 3]);
        let flat = stats(&[1.0, 1.0, 1.0], &[1.0, 1.0, 50.0], &[false; 3]);
        out.clear();
        d.observe(
            &StepView {
                grad_norm: 5e3,
                ..view(1, 1.0, &flat)
            },
            &mut out,
        );
        assert!(
            matches!(
                out[..],
                [DiagnosticEvent::Exploding {
                    layer: 2,
                    blame: ExplodingBlame::WeightGradient,
                    ..
                }]
            ),
            "{out:?}"
        );
    }

    #[test]
    fn batch_norm_after_one_input_is_not_vanishing() {
        // The first layer's weight gradient is 0 by construction (batch norm right after a
        // single input), while its backward signal is as large as the last layer's.
        let layers = stats(&[1.0, 1.0, 1.0], &[1e-9, 1.0, 1.0], &[false; 3]);
        let mut out = Vec::new();
        let mut plain = Detectors::new(Thresholds::default(), 100, 1, None, 0.0, vec![1; 3]);
        plain.observe(&view(1, 1.0, &layers), &mut out);
        assert!(
            matches!(out[..], [DiagnosticEvent::Vanishing { .. }]),
            "without the mark the tiny ∂W reads as vanishing: {out:?}"
        );
        out.clear();
        let mut d = Detectors::new(Thresholds::default(), 100, 1, None, 0.0, vec![1; 3])
            .without_weight_gradient(vec![true, false, false]);
        d.observe(&view(1, 1.0, &layers), &mut out);
        assert!(out.is_empty(), "{out:?}");
        // A backward signal that does vanish is still reported.
        let faded = stats(&[1e-9, 1.0, 1.0], &[1e-9, 1.0, 1.0], &[false; 3]);
        let mut d = Detectors::new(Thresholds::default(), 100, 1, None, 0.0, vec![1; 3])
            .without_weight_gradient(vec![true, false, false]);
        d.observe(&view(1, 1.0, &faded), &mut out);
        assert!(
            matches!(out[..], [DiagnosticEvent::Vanishing { layer: 0, .. }]),
            "{out:?}"
        );
    }

    /// Steps 1 to `steps` of a two-layer network with steady gradients, each with the
    /// loss and accuracy `at` gives it: what the loss detectors see, and what they found.
    fn calm_steps(
        d: &mut Detectors,
        steps: usize,
        at: impl Fn(usize) -> (f64, Option<f64>),
    ) -> Vec<DiagnosticEvent> {
        let calm = stats(&[1.0, 1.0], &[1.0, 1.0], &[false; 2]);
        let mut out = Vec::new();
        for s in 1..=steps {
            let (loss, accuracy) = at(s);
            let step = StepView {
                accuracy,
                ..view(s, loss, &calm)
            };
            d.observe(&step, &mut out);
        }
        out
    }

    /// The plateau found over `losses`, with a window of 10 steps.
    fn plateau_of(losses: impl Fn(usize) -> f64) -> PoorReason {
        let th = Thresholds {
            plateau_steps: 10,
            ..Thresholds::default()
        };
        let mut d = Detectors::new(th, 100, 4, None, 0.25, vec![2; 2]);
        let out = calm_steps(&mut d, 10, |s| (losses(s), None));
        match &out[..] {
            [DiagnosticEvent::PoorTraining { reason, .. }] => reason.clone(),
            other => panic!("no plateau: {other:?}"),
        }
    }

    #[test]
    fn a_plateau_says_whether_the_loss_oscillates() {
        // Up and down every step, and no better at the end: it oscillates.
        let bouncing = plateau_of(|s| if s % 2 == 0 { 0.6 } else { 0.35 });
        assert!(
            matches!(bouncing, PoorReason::Plateau { low: 0.35, high: 0.6, oscillates: true, improvement, .. } if improvement < 0.0),
            "{bouncing:?}"
        );
        // Rising slowly without turning back: no oscillation.
        let rising = plateau_of(|s| 1.0 + s as f64 * 1e-3);
        assert!(
            matches!(rising, PoorReason::Plateau { oscillates: false, improvement, .. } if improvement < 0.0),
            "{rising:?}"
        );
        // A slow decline with rounding-sized wiggles turns often, but its rises are tiny:
        // it does not oscillate.
        let wiggling = plateau_of(|s| 1.0 - s as f64 * 1e-3 + (s % 2) as f64 * 1e-4);
        assert!(
            matches!(wiggling, PoorReason::Plateau { oscillates: false, improvement, .. } if improvement > 0.0),
            "{wiggling:?}"
        );
        // Flat: low and high are the same.
        let flat = plateau_of(|_| 1.0);
        assert!(
            matches!(
                flat,
                PoorReason::Plateau {
                    low: 1.0,
                    high: 1.0,
                    oscillates: false,
                    ..
                }
            ),
            "{flat:?}"
        );
    }
}
