//! The numerical engine. It knows nothing about syntax.
//!
//! Entry points: [`init_params`], [`forward`], [`train`], [`explain`]; data generators in
//! [`data`]. Everything is generic over [`real::Real`] (f32 / f64) internally and dispatches
//! on [`Precision`] at the entry points.
//!
//! Layers may carry a batchnorm or layernorm (`norm.rs`), the network residual blocks
//! (`NetSpec::residuals`), the weights a `torch.nn.init` scheme (`init.rs`), and training
//! the remedies of [`Remedies`] (`remedies.rs`, `clip.rs`). `forward`, `forward_with` and
//! `explain` run in evaluation mode, `train` in training mode.

mod activation;
mod clip;
pub mod data;
pub mod detect;
mod events;
mod explain;
#[cfg(test)]
mod gradcheck;
mod init;
mod loss;
mod network;
mod norm;
mod optim;
mod params;
pub mod real;
mod remedies;
mod train;
mod types;

pub use events::{
    Control, DegenerateReason, DiagnosticEvent, Event, LayerStats, NonFiniteSite, Pass, PoorReason,
    StepRecord, StopReason, TrainSummary,
};
pub use explain::{ExplainFactor, Explanation, OverflowPrediction, explain};
pub use params::{LayerParams, NormParams, Params, init_params, validate_net};
pub use train::{train, validate_data};
pub use types::{
    Activation, BiasSpec, ClipNorm, ClipScope, Dataset, EngineError, FanMode, InitScheme,
    LayerSpec, LossKind, NetSpec, Nonlinearity, OptimizerSpec, Precision, Remedies, Residual,
    Schedule, Stop, Thresholds, TrainSpec, WeightSpec,
};

/// Evaluation-mode forward pass with the parameters `init_params(net, seed)`.
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
