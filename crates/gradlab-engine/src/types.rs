//! Plain-data specifications a front end builds for the engine, plus the engine error.

pub use super::init::{FanMode, InitScheme, Nonlinearity};
use super::params::Params;
pub use super::remedies::{ClipNorm, ClipScope, Remedies, Schedule};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Floating-point format every computation of a run is done in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Precision {
    /// `f32`, like a default PyTorch tensor.
    #[default]
    F32,
    /// `f64` (`torch.float64`).
    F64,
}

/// Element-wise activation applied after a dense layer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Activation {
    /// `max(0, x)`.
    Relu,
    /// `x` for `x > 0`, else `slope * x`.
    LeakyRelu {
        /// Slope for negative inputs (torch's `negative_slope`).
        slope: f64,
    },
    /// `x` for `x > 0`, else `alpha * (exp(x) - 1)`.
    Elu {
        /// Value the output approaches for large negative inputs, negated.
        alpha: f64,
    },
    /// Exact GELU: `x * Φ(x) = 0.5 x (1 + erf(x / √2))`.
    Gelu,
    /// `1 / (1 + exp(-x))`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// `log(1 + exp(x))` with beta 1 and threshold 20 (returns `x` above 20), as torch.
    Softplus,
    /// Identity.
    Linear,
}

impl Activation {
    /// True for activations that can output exactly zero over a whole region (ReLU family):
    /// `Relu`, and `LeakyRelu` with slope 0.
    pub fn can_die(&self) -> bool {
        match self {
            Activation::Relu => true,
            Activation::LeakyRelu { slope } => *slope == 0.0,
            _ => false,
        }
    }
}

/// How a layer's weight matrix is initialised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WeightSpec {
    /// `nn.Linear` default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) from the seed.
    Default,
    /// Every weight = v.
    Const(f64),
    /// Explicit `[out][in]` matrix.
    Matrix(Vec<Vec<f64>>),
    /// A `torch.nn.init` scheme (see [`InitScheme`] and `init.rs` for the draw order).
    Init(InitScheme),
}

/// How a layer's bias is initialised (or whether it has one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BiasSpec {
    /// No bias (`bias=False`).
    None,
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) from the seed.
    Default,
    /// Every bias = v.
    Const(f64),
    /// Explicit vector of length `width`.
    Vector(Vec<f64>),
}

/// One dense layer followed by its activation:
/// `a = f(norm(x Wᵀ + b))`, where `norm` is the identity, `BatchNorm1d(width)` or
/// `LayerNorm(width)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSpec {
    /// Number of output units.
    pub width: usize,
    /// Applied after the linear part (and the norm).
    pub activation: Activation,
    /// Initial weights.
    pub weight: WeightSpec,
    /// Initial bias, or none.
    pub bias: BiasSpec,
    /// Opaque tag; the engine copies it into events and never interprets it.
    pub origin: usize,
    /// `nn.BatchNorm1d(width)` (eps 1e-5, momentum 0.1, affine, running statistics)
    /// between the linear part and the activation. See `norm.rs`.
    #[serde(default)]
    pub batchnorm: bool,
    /// `nn.LayerNorm(width)` (eps 1e-5, elementwise affine) between the linear part and the
    /// activation. At most one of `batchnorm` / `layernorm`.
    #[serde(default)]
    pub layernorm: bool,
}

/// A skip connection: the input of layer `first` is added to the output (after the
/// activation) of layer `last`, `y = x + f(x)` with `f` = layers `first..=last`
/// (0-based, `first <= last`). The input width of `first` must equal the width of `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Residual {
    /// First layer inside the block (its input is the skipped value).
    pub first: usize,
    /// Last layer inside the block (its output gets the skipped value added).
    pub last: usize,
}

/// A stack of dense layers, optionally with skip connections.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NetSpec {
    /// Width of an input row.
    pub input: usize,
    /// The dense layers, input side first; the last one's width is the output width.
    pub layers: Vec<LayerSpec>,
    /// Skip connections; several may end at the same layer (their inputs are all added).
    #[serde(default)]
    pub residuals: Vec<Residual>,
}

/// Loss function, all with mean reduction as PyTorch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossKind {
    /// `MSELoss`.
    Mse,
    /// `L1Loss`.
    Mae,
    /// `BCEWithLogitsLoss` (the network output is the logit).
    Bce,
    /// `CrossEntropyLoss`; targets are class indices stored as f64, `y_dim` 1.
    CrossEntropy,
}

impl LossKind {
    /// True for losses where an accuracy is reported.
    pub fn is_classification(&self) -> bool {
        matches!(self, LossKind::Bce | LossKind::CrossEntropy)
    }
}

/// Optimizer with exactly `torch.optim` semantics (dampening 0, no amsgrad, RMSprop with
/// momentum 0 and not centered).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum OptimizerSpec {
    /// `torch.optim.SGD`.
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum factor (0: plain SGD).
        momentum: f64,
        /// Nesterov momentum.
        nesterov: bool,
        /// L2 penalty added to the gradient.
        weight_decay: f64,
    },
    /// `torch.optim.Adam`.
    Adam {
        /// Learning rate.
        lr: f64,
        /// Decay of the first-moment estimate.
        beta1: f64,
        /// Decay of the second-moment estimate.
        beta2: f64,
        /// Added to the denominator for stability.
        eps: f64,
        /// L2 penalty added to the gradient.
        weight_decay: f64,
    },
    /// `torch.optim.RMSprop`.
    RmsProp {
        /// Learning rate.
        lr: f64,
        /// Decay of the squared-gradient average.
        alpha: f64,
        /// Added to the denominator for stability.
        eps: f64,
        /// L2 penalty added to the gradient.
        weight_decay: f64,
    },
}

/// A data set: row-major `n × x_dim` inputs and `n × y_dim` targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Inputs, `n × x_dim`, row-major.
    pub x: Vec<f64>,
    /// Targets, `n × y_dim`, row-major.
    pub y: Vec<f64>,
    /// Number of rows.
    pub n: usize,
    /// Width of an input row.
    pub x_dim: usize,
    /// Width of a target row.
    pub y_dim: usize,
}

/// When training stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stop {
    /// After this many optimizer steps (wrapping epochs).
    Steps(usize),
    /// After this many passes over the data.
    Epochs(usize),
}

/// Detector thresholds. See `detect.rs` for the exact rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// LossJump fires when `loss_t / loss_{t-1} > loss_jump_factor` (increases only). (10.0)
    pub loss_jump_factor: f64,
    /// Window (in steps) for the plateau check. 0 disables it. (50)
    pub plateau_steps: usize,
    /// The loss must improve by at least this fraction over the window. (0.01)
    pub plateau_fraction: f64,
    /// Geometric-mean growth per layer of ‖∂L/∂a‖ toward the input. (2.0)
    pub explode_factor: f64,
    /// Global gradient norm threshold. (1e3)
    pub explode_norm: f64,
    /// ‖∂L/∂W_first‖ / ‖∂L/∂W_last‖ below this is vanishing. (1e-4)
    pub vanish_ratio: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            loss_jump_factor: 10.0,
            plateau_steps: 50,
            plateau_fraction: 0.01,
            explode_factor: 2.0,
            explode_norm: 1e3,
            vanish_ratio: 1e-4,
        }
    }
}

/// How much of each step a run measures. The detectors read only the first level, so a
/// run that shows no per-layer table skips the rest, which is most of a step's statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub enum StepDetail {
    /// What the detectors read: per layer ‖∂L/∂W‖, ‖∂L/∂a‖, the gain and whether it is
    /// dead, and the global gradient norm. The display-only statistics (the weights'
    /// mean, standard deviation and norm, the bias and affine gradient norms, and, in a
    /// network of two layers or more whose first layer is large, that layer's gain, whose
    /// ∂L/∂x is then not computed) are NaN.
    Detectors,
    /// Every statistic of `LayerStats`, without the matrices.
    #[default]
    Display,
    /// Every statistic, and the full weight and weight-gradient matrices.
    Values,
}

/// Everything `train` needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSpec {
    /// The network to train, initialised with `init_params(net, seed)`.
    pub net: NetSpec,
    /// The training data.
    pub data: Dataset,
    /// The loss, with mean reduction.
    pub loss: LossKind,
    /// The optimizer.
    pub optimizer: OptimizerSpec,
    /// When to stop.
    pub stop: Stop,
    /// `None` = full batch.
    pub batch_size: Option<usize>,
    /// Seeds the initial parameters (stream 0) and the batch shuffle (stream 1).
    pub seed: u64,
    /// Floating-point format of every computation.
    pub precision: Precision,
    /// Detector thresholds.
    pub thresholds: Thresholds,
    /// Keep training after a NaN or infinite loss or gradient instead of stopping.
    pub continue_on_nonfinite: bool,
    /// What each `StepRecord` measures beyond what the detectors read.
    pub detail: StepDetail,
    /// Gradient clipping, extra weight decay and learning-rate schedules (default: none).
    #[serde(default)]
    pub remedies: Remedies,
    /// Parameters to start from instead of `init_params(net, seed)`: a trained or loaded
    /// network training further. The optimizer state starts fresh either way.
    #[serde(default)]
    pub start: Option<Params>,
}

/// An input the engine refuses, with a message meant for the script author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EngineError {
    /// The network description is inconsistent (zero width, wrong matrix shape, ...).
    Net(String),
    /// The data set does not fit the network or the loss.
    Data(String),
    /// Bad optimizer / training settings.
    Config(String),
}

impl EngineError {
    /// The human-readable message.
    pub fn message(&self) -> &str {
        match self {
            EngineError::Net(m) | EngineError::Data(m) | EngineError::Config(m) => m,
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for EngineError {}
