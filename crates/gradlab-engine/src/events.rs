//! What `train` reports: per-step records, diagnostics and the final summary.

use super::params::Params;
use serde::{Deserialize, Serialize};

/// Returned by the event callback: lets the REPL interrupt a run (Ctrl-C).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Control {
    /// Go on training.
    Continue,
    /// Stop before the current step's update (the summary says `Interrupted`).
    Stop,
}

/// One event of a run, in emission order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The numbers of one optimizer step.
    Step(StepRecord),
    /// A finding of the detectors.
    Diagnostic(DiagnosticEvent),
}

/// Everything measured at one optimizer step (before the update is applied).
///
/// `clone_from` reuses the destination's per-layer storage, so a consumer that keeps the
/// latest step in one record copies it without allocating.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// 1-based optimizer step.
    pub step: usize,
    /// 1-based epoch (pass over the data) this step belongs to.
    pub epoch: usize,
    /// Loss of this batch before the update.
    pub loss: f64,
    /// `loss - previous loss` (None at step 1).
    pub loss_change: Option<f64>,
    /// Global 2-norm over all parameter gradients (as computed by backward, before any
    /// clipping).
    pub grad_norm: f64,
    /// Global 2-norm of the gradients after `clip_norm` / `clip_value` (None without a
    /// clipping remedy). This is what the optimizer used.
    pub clipped_norm: Option<f64>,
    /// True if clipping changed some gradient at this step (a `clip_norm` coefficient below
    /// 1, or some |g| above the `clip_value` bound).
    pub clipped: bool,
    /// Learning rate of this step's update (after the schedules).
    pub lr: f64,
    /// Batch accuracy for `Bce` / `CrossEntropy`.
    pub accuracy: Option<f64>,
    /// One entry per dense layer, input side first.
    pub layers: Vec<LayerStats>,
}

impl Clone for StepRecord {
    fn clone(&self) -> Self {
        let mut copy = StepRecord {
            layers: Vec::with_capacity(self.layers.len()),
            ..*self
        };
        copy.layers.clone_from(&self.layers);
        copy
    }

    fn clone_from(&mut self, source: &Self) {
        let StepRecord {
            step,
            epoch,
            loss,
            loss_change,
            grad_norm,
            clipped_norm,
            clipped,
            lr,
            accuracy,
            layers,
        } = source;
        (self.step, self.epoch, self.loss, self.loss_change) = (*step, *epoch, *loss, *loss_change);
        (self.grad_norm, self.clipped_norm, self.clipped) = (*grad_norm, *clipped_norm, *clipped);
        (self.lr, self.accuracy) = (*lr, *accuracy);
        self.layers.clone_from(layers);
    }
}

/// Which layer an exploding finding blames, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExplodingBlame {
    /// Some layers amplify the backward signal (gain ‖∂L/∂x‖ / ‖∂L/∂a‖ above 1): the one
    /// with the largest gain. Chosen whenever a layer amplifies, whichever rule fired: the
    /// amplifying layers are the cause, even when the largest ‖∂L/∂W‖ is elsewhere.
    Gain,
    /// Only the global gradient norm is too large, and no layer amplifies the backward
    /// signal (every gain is at most 1): the layer with the largest ‖∂L/∂W‖.
    WeightGradient,
}

/// Per-layer statistics of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerStats {
    /// 0-based position of the layer in `NetSpec::layers`.
    pub index: usize,
    /// The layer's `LayerSpec::origin`, copied.
    pub origin: usize,
    /// Mean of the weights.
    pub weight_mean: f64,
    /// Population standard deviation (divides by the number of weights; 0 for one weight).
    pub weight_std: f64,
    /// Frobenius norm.
    pub weight_norm: f64,
    /// Frobenius norm of ∂L/∂W.
    pub grad_weight_norm: f64,
    /// 2-norm of ∂L/∂b (None without a bias).
    pub grad_bias_norm: Option<f64>,
    /// ‖(∂L/∂γ, ∂L/∂β)‖ of the layer's batchnorm / layernorm (None without one).
    pub grad_affine_norm: Option<f64>,
    /// ‖∂L/∂a‖ over the batch, a = this layer's output (post-activation).
    pub grad_output_norm: f64,
    /// ‖∂L/∂(layer input)‖ / ‖∂L/∂(layer output)‖ (0 when the output gradient is 0).
    pub gain: f64,
    /// ReLU-family layer whose output is 0 for the whole batch.
    pub dead: bool,
    /// `[out][in]`, only with `StepDetail::Values`.
    pub weights: Option<Vec<Vec<f64>>>,
    /// `[out][in]`, only with `StepDetail::Values`.
    pub grad_weights: Option<Vec<Vec<f64>>>,
    /// One per output unit, only with `StepDetail::Values` (None without a bias).
    pub bias: Option<Vec<f64>>,
    /// ∂L/∂b, one per output unit, only with `StepDetail::Values` (None without a bias).
    pub grad_bias: Option<Vec<f64>>,
}

/// Forward or backward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pass {
    /// From the input to the loss.
    Forward,
    /// From the loss back to the parameter gradients.
    Backward,
}

/// Where exactly the first non-finite value was seen (extra detail for `NonFinite`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NonFiniteSite {
    /// The input batch itself contains NaN/Inf (layer 0, passed along).
    Input,
    /// The layer's weights or bias were already non-finite (e.g. after an earlier update).
    Parameters,
    /// The layer's output (forward) or its gradients (backward).
    Layer,
    /// The loss (forward) or ∂L/∂output (backward) of the last layer.
    Loss,
}

/// Why training looks poor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PoorReason {
    /// The loss improved by less than `plateau_fraction` over `window` steps.
    Plateau {
        /// Steps in the window.
        window: usize,
        /// Relative improvement over the window (see `detect.rs`); negative when the
        /// loss ended the window higher than it began it.
        improvement: f64,
        /// The lowest and highest loss in the window.
        low: f64,
        /// See `low`.
        high: f64,
        /// The loss went up and down rather than sitting still (see `detect.rs`).
        oscillates: bool,
    },
    /// The loss at the end is above the loss at the start.
    EndedAboveStart {
        /// Mean of the first losses.
        start: f64,
        /// Mean of the last losses.
        end: f64,
    },
    /// Final accuracy within 0.05 of the majority-class rate.
    NearChance {
        /// Mean batch accuracy of the last steps.
        accuracy: f64,
        /// Majority-class rate of the data set.
        chance: f64,
    },
}

/// Why a normalisation layer cannot do its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DegenerateReason {
    /// LayerNorm over a single unit: `x − mean(x) = 0`, so the normalised value is always 0,
    /// the layer outputs β whatever its input, and the weights and bias before it get no
    /// gradient.
    LayerNormWidthOne,
    /// BatchNorm where every row of the batch has the same value for every unit (e.g. a
    /// layer fed one distinct row): the normalised value is 0 for all of them, the layer
    /// outputs β, and nothing before it gets a gradient.
    BatchNormConstantBatch,
}

/// A diagnostic finding (see `detect.rs` for the exact rules).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DiagnosticEvent {
    /// A NaN or infinite loss or gradient.
    NonFinite {
        /// Step of the finding.
        step: usize,
        /// The pass that met the value first.
        pass: Pass,
        /// First layer with a non-finite value, in the order of `pass`.
        layer: usize,
        /// That layer's `LayerSpec::origin`.
        origin: usize,
        /// True if this layer produced the first NaN/Inf from finite inputs; false if it
        /// only passed along a non-finite value (input data or its own parameters).
        created: bool,
        /// True if training stopped here.
        stopped: bool,
        /// Where in the layer the value was.
        site: NonFiniteSite,
    },
    /// The loss rose by more than `Thresholds::loss_jump_factor` in one step.
    LossJump {
        /// Step of the finding.
        step: usize,
        /// Reference loss: the mean of the previous few steps.
        from: f64,
        /// Loss at this step.
        to: f64,
        /// `to / from`.
        factor: f64,
    },
    /// Training makes too little progress.
    PoorTraining {
        /// Step of the finding.
        step: usize,
        /// Which rule fired.
        reason: PoorReason,
    },
    /// Gradients grow toward the input, or the global gradient norm is too large.
    Exploding {
        /// Step of the finding.
        step: usize,
        /// The layer most to blame (see `detect.rs`).
        layer: usize,
        /// That layer's `LayerSpec::origin`.
        origin: usize,
        /// Why that layer is blamed.
        blame: ExplodingBlame,
        /// Geometric-mean growth of the per-unit gradient per layer toward the input.
        factor_per_layer: f64,
        /// Global 2-norm of all parameter gradients.
        global_norm: f64,
    },
    /// Gradients shrink toward the input.
    Vanishing {
        /// Step of the finding.
        step: usize,
        /// First layer's gradient over the last layer's.
        ratio: f64,
        /// The layer nearest the output where the gradient has vanished.
        layer: usize,
        /// That layer's `LayerSpec::origin`.
        origin: usize,
    },
    /// A ReLU-family layer outputs 0 for the whole batch.
    DeadLayer {
        /// Step of the finding.
        step: usize,
        /// The first (lowest-index) dead layer.
        layer: usize,
        /// That layer's `LayerSpec::origin`.
        origin: usize,
        /// Every dead layer at this step, ascending.
        layers: Vec<usize>,
    },
    /// `clip_norm` met a NaN or infinite gradient norm. torch's `clip_grad_norm_` then
    /// computes the coefficient `max / (norm + 1e-6)`: NaN for a NaN norm (every gradient
    /// becomes NaN), 0 for an infinite one (every finite gradient becomes 0 and an infinite
    /// one NaN, so the step silently does nothing or poisons the weights). The engine applies
    /// the same numbers and reports it here. `layer` is the layer of the first tensor with a
    /// non-finite norm.
    ClipNonFinite {
        /// Step of the finding.
        step: usize,
        /// The non-finite global gradient norm.
        norm: f64,
        /// Layer of the first tensor with a non-finite norm.
        layer: usize,
        /// That layer's `LayerSpec::origin`.
        origin: usize,
    },
    /// A normalisation layer whose output cannot depend on its input (see the reason).
    DegenerateNorm {
        /// Step of the finding.
        step: usize,
        /// The layer whose normalisation is degenerate.
        layer: usize,
        /// That layer's `LayerSpec::origin`.
        origin: usize,
        /// Why its output cannot depend on its input.
        reason: DegenerateReason,
    },
}

impl DiagnosticEvent {
    /// The step the event refers to.
    pub fn step(&self) -> usize {
        match self {
            DiagnosticEvent::NonFinite { step, .. }
            | DiagnosticEvent::LossJump { step, .. }
            | DiagnosticEvent::PoorTraining { step, .. }
            | DiagnosticEvent::Exploding { step, .. }
            | DiagnosticEvent::Vanishing { step, .. }
            | DiagnosticEvent::DeadLayer { step, .. }
            | DiagnosticEvent::ClipNonFinite { step, .. }
            | DiagnosticEvent::DegenerateNorm { step, .. } => *step,
        }
    }
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// The `Stop` condition was reached.
    Completed,
    /// Non-finite loss or gradients (and `continue_on_nonfinite` was false).
    NonFinite,
    /// The callback returned `Control::Stop`.
    Interrupted,
}

/// Result of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSummary {
    /// Optimizer steps whose record was emitted.
    pub steps: usize,
    /// Optimizer updates actually applied (a step stopped by NaN or Ctrl-C is not applied).
    pub updates: usize,
    /// Completed passes over the data.
    pub epochs: usize,
    /// Loss at step 1 (None without steps).
    pub first_loss: Option<f64>,
    /// Loss at the last emitted step.
    pub final_loss: Option<f64>,
    /// Batch accuracy at the last emitted step (classification losses only).
    pub final_accuracy: Option<f64>,
    /// Why the run ended.
    pub stop_reason: StopReason,
    /// Every diagnostic emitted, in order.
    pub diagnostics: Vec<DiagnosticEvent>,
    /// Parameters after the last applied update (with the batchnorm running statistics
    /// after the last training forward pass).
    pub params: Params,
    /// Steps at which clipping changed the gradients (see `StepRecord::clipped`).
    pub clipped_steps: usize,
}
