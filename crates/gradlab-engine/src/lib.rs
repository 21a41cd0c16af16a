//! The numerical engine of gradlab: dense networks, training with exactly PyTorch's
//! numbers, and the diagnostics that find exploding and vanishing gradients. It knows
//! nothing about syntax: a front end builds plain specifications ([`NetSpec`],
//! [`TrainSpec`]) and reads back [`Event`]s.
//!
//! Entry points: [`init_params`], [`forward`], [`forward_with`], [`train()`], [`explain()`], [`explain_with`];
//! toy data sets in [`data`]. Everything is generic over a private `Real` trait (f32 / f64)
//! internally and dispatches on [`Precision`] at the entry points.
//!
//! Layers may carry a batchnorm or layernorm (`norm.rs`), the network residual blocks
//! ([`NetSpec::residuals`]), the weights a `torch.nn.init` scheme ([`InitScheme`]), and
//! training the remedies of [`Remedies`] (`remedies.rs`, `clip.rs`). `forward`,
//! `forward_with` and `explain` run in evaluation mode, `train` in training mode.
//!
//! ```
//! use gradlab_engine::{Activation, BiasSpec, LayerSpec, NetSpec, Precision, WeightSpec, forward};
//!
//! // Twenty 1-wide ReLU layers with weight 2.34 multiply the input by 2.34^20.
//! let layer = LayerSpec::dense(1, Activation::Relu)
//!     .with_weight(WeightSpec::Const(2.34))
//!     .with_bias(BiasSpec::None);
//! let net = NetSpec::new(1, vec![layer; 20]);
//! let out = forward(&net, 0, Precision::F32, &[vec![1.0]]).unwrap();
//! assert_eq!(out[0][0], 24227962.0);
//! ```

#![warn(missing_docs)]

mod activation;
mod batch;
mod builders;
mod clip;
mod cost;
pub mod data;
mod detect;
mod events;
mod explain;
mod findings;
#[cfg(test)]
mod gradcheck;
mod init;
mod loss;
mod matmul;
mod network;
mod norm;
mod optim;
mod params;
mod real;
mod remedies;
mod train;
mod types;

// The whole public face, besides the `data` generators.
pub use batch::epoch_orders;
pub use cost::{MemoryEstimate, MemoryPart, memory_estimate, run_steps, step_work};
pub use detect::MIN_AMPLIFICATION;
pub use events::{
    Control, DegenerateReason, DiagnosticEvent, Event, ExplodingBlame, LayerStats, NonFiniteSite,
    Pass, PoorReason, StepRecord, StopReason, TrainSummary,
};
pub use explain::{ExplainFactor, Explanation, OverflowPrediction, explain, explain_with};
pub use params::{LayerParams, NormParams, Params, init_params, validate_net};
pub use train::{train, uses_all_cores, validate_data, validate_train};
pub use types::{
    Activation, BiasSpec, ClipNorm, ClipScope, Dataset, EngineError, FanMode, InitScheme,
    LayerSpec, LossKind, NetSpec, Nonlinearity, OptimizerSpec, Precision, Remedies, Residual,
    Schedule, StepDetail, Stop, Thresholds, TrainSpec, WeightSpec,
};

/// Evaluation-mode forward pass with the parameters `init_params(net, seed)`: one output
/// row per input row.
pub fn forward(
    net: &NetSpec,
    seed: u64,
    precision: Precision,
    rows: &[Vec<f64>],
) -> Result<Vec<Vec<f64>>, EngineError> {
    let params = init_params(net, seed)?;
    forward_with(net, &params, precision, rows)
}

/// Evaluation-mode forward pass with explicit parameters (e.g. `TrainSummary::params`).
pub fn forward_with(
    net: &NetSpec,
    params: &Params,
    precision: Precision,
    rows: &[Vec<f64>],
) -> Result<Vec<Vec<f64>>, EngineError> {
    match precision {
        Precision::F32 => network::forward_rows::<f32>(net, params, rows),
        Precision::F64 => network::forward_rows::<f64>(net, params, rows),
    }
}
