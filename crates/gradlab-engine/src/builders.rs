//! Constructors with defaults for the specifications, so that a caller names only what
//! differs from the common case (the defaults are those of PyTorch and of a gradlab script).

use super::remedies::Remedies;
use super::types::{
    Activation, BiasSpec, Dataset, LayerSpec, LossKind, NetSpec, OptimizerSpec, Precision,
    Residual, StepDetail, Stop, Thresholds, TrainSpec, WeightSpec,
};

impl LayerSpec {
    /// An `nn.Linear(in, width)` followed by `activation`, with torch's default weight and
    /// bias, no normalisation and origin 0.
    pub fn dense(width: usize, activation: Activation) -> Self {
        LayerSpec {
            width,
            activation,
            weight: WeightSpec::Default,
            bias: BiasSpec::Default,
            origin: 0,
            batchnorm: false,
            layernorm: false,
        }
    }

    /// The same layer with these initial weights.
    pub fn with_weight(self, weight: WeightSpec) -> Self {
        LayerSpec { weight, ..self }
    }

    /// The same layer with this initial bias (or `BiasSpec::None`).
    pub fn with_bias(self, bias: BiasSpec) -> Self {
        LayerSpec { bias, ..self }
    }

    /// The same layer with this origin tag (copied into events).
    pub fn with_origin(self, origin: usize) -> Self {
        LayerSpec { origin, ..self }
    }

    /// The same layer with a `BatchNorm1d` before its activation.
    pub fn with_batchnorm(self) -> Self {
        LayerSpec {
            batchnorm: true,
            ..self
        }
    }

    /// The same layer with a `LayerNorm` before its activation.
    pub fn with_layernorm(self) -> Self {
        LayerSpec {
            layernorm: true,
            ..self
        }
    }
}

impl NetSpec {
    /// A plain stack of `layers` over `input`-wide rows, without skip connections.
    pub fn new(input: usize, layers: Vec<LayerSpec>) -> Self {
        NetSpec {
            input,
            layers,
            residuals: Vec::new(),
        }
    }

    /// The same network with a skip connection around layers `first..=last`.
    pub fn with_residual(mut self, first: usize, last: usize) -> Self {
        self.residuals.push(Residual { first, last });
        self
    }
}

impl OptimizerSpec {
    /// `torch.optim.SGD(lr=lr)`: no momentum, no weight decay.
    pub fn sgd(lr: f64) -> Self {
        OptimizerSpec::Sgd {
            lr,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        }
    }

    /// `torch.optim.Adam(lr=lr)`: betas (0.9, 0.999), eps 1e-8, no weight decay.
    pub fn adam(lr: f64) -> Self {
        OptimizerSpec::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }

    /// `torch.optim.RMSprop(lr=lr)`: alpha 0.99, eps 1e-8, no weight decay.
    pub fn rmsprop(lr: f64) -> Self {
        OptimizerSpec::RmsProp {
            lr,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

impl TrainSpec {
    /// Train `net` on `data` with the defaults of a gradlab script: MSE, `sgd(0.01)`, 100
    /// full-batch steps, seed 0, f32, default thresholds, no remedies, stopping at the first
    /// NaN or infinity, without recording weight matrices.
    pub fn new(net: NetSpec, data: Dataset) -> Self {
        TrainSpec {
            net,
            data,
            loss: LossKind::Mse,
            optimizer: OptimizerSpec::sgd(0.01),
            stop: Stop::Steps(100),
            batch_size: None,
            seed: 0,
            precision: Precision::F32,
            thresholds: Thresholds::default(),
            continue_on_nonfinite: false,
            detail: StepDetail::Display,
            remedies: Remedies::default(),
            start: None,
        }
    }

    /// The same run with this loss.
    pub fn with_loss(self, loss: LossKind) -> Self {
        TrainSpec { loss, ..self }
    }

    /// The same run with this optimizer.
    pub fn with_optimizer(self, optimizer: OptimizerSpec) -> Self {
        TrainSpec { optimizer, ..self }
    }

    /// The same run with this stop condition.
    pub fn with_stop(self, stop: Stop) -> Self {
        TrainSpec { stop, ..self }
    }

    /// The same run with mini-batches of `batch_size` rows, reshuffled every epoch.
    pub fn with_batch_size(self, batch_size: usize) -> Self {
        TrainSpec {
            batch_size: Some(batch_size),
            ..self
        }
    }

    /// The same run with this seed.
    pub fn with_seed(self, seed: u64) -> Self {
        TrainSpec { seed, ..self }
    }

    /// The same run in this precision.
    pub fn with_precision(self, precision: Precision) -> Self {
        TrainSpec { precision, ..self }
    }

    /// The same run with these detector thresholds.
    pub fn with_thresholds(self, thresholds: Thresholds) -> Self {
        TrainSpec { thresholds, ..self }
    }

    /// The same run with these remedies.
    pub fn with_remedies(self, remedies: Remedies) -> Self {
        TrainSpec { remedies, ..self }
    }

    /// The same run, going on after a NaN or infinite loss or gradient.
    pub fn continuing_on_nonfinite(self) -> Self {
        TrainSpec {
            continue_on_nonfinite: true,
            ..self
        }
    }

    /// The same run, with the weight and gradient matrices in every `StepRecord`.
    pub fn recording_values(self) -> Self {
        self.with_detail(StepDetail::Values)
    }

    /// The same run, measuring `detail` at every step.
    pub fn with_detail(self, detail: StepDetail) -> Self {
        TrainSpec { detail, ..self }
    }
}
