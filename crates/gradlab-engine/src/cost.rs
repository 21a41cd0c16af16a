//! What a run will cost, known before it starts: its peak memory, part by part, and its
//! work. A caller refuses a run over its budget with these numbers instead of finding
//! out when the machine runs out of memory or the run never ends.
//!
//! The memory estimate follows the buffers `train` allocates (`Training::new`): the
//! parameters in f64 as drawn and in the run's precision, their gradients, the optimizer
//! state, the workspace for one batch, and the run's own copies of the data.
//! `tests/memory_estimate.rs` holds it against the bytes really allocated.

use std::fmt;

use super::types::{Dataset, NetSpec, OptimizerSpec, Precision, Stop};

/// Peak memory of one run, in bytes, by the part of the run that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemoryEstimate {
    /// The parameters (drawn in f64, then held in the run's precision) and their gradients.
    pub parameters: u64,
    /// Momentum and Adam's or RMSprop's running averages, one or two per parameter.
    pub optimizer: u64,
    /// Each layer's outputs and their gradients for one batch.
    pub activations: u64,
    /// The run's own copies of the data set: as given, and in the run's precision.
    pub data: u64,
}

/// One part of a [`MemoryEstimate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryPart {
    /// [`MemoryEstimate::parameters`].
    Parameters,
    /// [`MemoryEstimate::optimizer`].
    Optimizer,
    /// [`MemoryEstimate::activations`].
    Activations,
    /// [`MemoryEstimate::data`].
    Data,
}

impl fmt::Display for MemoryPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemoryPart::Parameters => "parameters and their gradients",
            MemoryPart::Optimizer => "optimizer state",
            MemoryPart::Activations => "activations of one batch",
            MemoryPart::Data => "the run's copies of the data",
        })
    }
}

impl MemoryEstimate {
    /// All parts together.
    pub fn total(&self) -> u64 {
        self.parts().iter().map(|&(_, bytes)| bytes).sum()
    }

    /// The part that holds the most, which is the one worth changing.
    pub fn largest(&self) -> (MemoryPart, u64) {
        self.parts()
            .into_iter()
            .fold((MemoryPart::Parameters, 0), |best, part| {
                if part.1 > best.1 { part } else { best }
            })
    }

    fn parts(&self) -> [(MemoryPart, u64); 4] {
        [
            (MemoryPart::Parameters, self.parameters),
            (MemoryPart::Optimizer, self.optimizer),
            (MemoryPart::Activations, self.activations),
            (MemoryPart::Data, self.data),
        ]
    }
}

/// Heap bookkeeping of one small allocation (a `Vec` per weight row, per layer buffer):
/// its header and the allocator's rounding. It matters only for very deep, narrow nets.
const PER_ALLOCATION: u64 = 64;

/// Per layer, besides its buffers' contents: six buffers' bookkeeping and the layer's
/// row in each step record and in the detectors' state.
const PER_LAYER: u64 = 6 * PER_ALLOCATION + 512;

/// What every run holds whatever its size: the step record, the detectors' windows and
/// the findings.
const PER_RUN: u64 = 16 * 1024;

/// The peak memory of training `net` on `data` in batches of `batch_size` rows (`None`:
/// the whole data set), as `train` allocates it.
///
/// ```
/// use gradlab_engine::{Activation, LayerSpec, NetSpec, OptimizerSpec, Precision};
/// use gradlab_engine::{data, memory_estimate};
///
/// let net = NetSpec::new(2, vec![LayerSpec::dense(1024, Activation::Relu); 2]);
/// let sgd = memory_estimate(&net, &data::xor(), None, &OptimizerSpec::sgd(0.1), Precision::F32);
/// let adam = memory_estimate(&net, &data::xor(), None, &OptimizerSpec::adam(0.1), Precision::F32);
/// // 1024 × 1024 weights dominate; Adam keeps two more numbers per parameter.
/// assert!(sgd.parameters > 16 * 1024 * 1024);
/// assert_eq!(adam.optimizer, 2 * 4 * (2 * 1024 + 1024 * 1024 + 2 * 1024));
/// assert_eq!(sgd.optimizer, 0);
/// ```
pub fn memory_estimate(
    net: &NetSpec,
    data: &Dataset,
    batch_size: Option<usize>,
    optimizer: &OptimizerSpec,
    precision: Precision,
) -> MemoryEstimate {
    let real = match precision {
        Precision::F32 => size_of::<f32>(),
        Precision::F64 => size_of::<f64>(),
    } as u64;
    let rows = batch_size.map_or(data.n, |b| b.min(data.n)) as u64;
    let (mut parameters, mut weight_rows, mut per_row) = (0u64, 0u64, 0u64);
    // The products' scratch: the largest weight matrix a tiled forward product transposes.
    let mut scratch = 0u64;
    let mut fan_in = net.input as u64;
    for layer in &net.layers {
        let width = layer.width as u64;
        let forward = (rows as usize, fan_in as usize, layer.width);
        if super::matmul::is_tiled(forward) {
            scratch = scratch.max(fan_in * width);
        }
        let norm = if layer.batchnorm || layer.layernorm {
            1
        } else {
            0
        };
        // weights, bias, γ and β
        parameters += width * fan_in + width + 2 * norm * width;
        weight_rows += width;
        // z, a, ∂L/∂a, ∂L/∂z, and a normalisation's three buffers
        per_row += (4 + 3 * norm) * width;
        fan_in = width;
    }
    for residual in &net.residuals {
        per_row += net.layers.get(residual.last).map_or(0, |l| l.width as u64);
    }
    // The input and ∂L/∂x.
    per_row += 2 * net.input as u64;
    let optimizer_copies = match optimizer {
        OptimizerSpec::Sgd { momentum, .. } => u64::from(*momentum != 0.0),
        OptimizerSpec::Adam { .. } => 2,
        OptimizerSpec::RmsProp { .. } => 1,
    };
    let values = (data.x.len() + data.y.len()) as u64;
    MemoryEstimate {
        // f64 as drawn (one allocation per weight row), then values and gradients.
        parameters: parameters * (8 + 2 * real) + weight_rows * PER_ALLOCATION,
        optimizer: parameters * real * optimizer_copies,
        activations: (rows * per_row + scratch) * real
            + net.layers.len() as u64 * PER_LAYER
            + PER_RUN,
        // The spec's f64 copy, the batcher's copy in the run's precision, and its row order.
        data: values * (8 + real) + data.n as u64 * 8,
    }
}

/// Floating-point operations that stand for a step's fixed cost per layer (statistics,
/// detectors, bookkeeping): a one-unit layer still takes about as long as this many.
const LAYER_OVERHEAD: f64 = 1_000.0;

/// The work of one training step on `rows` rows, in floating-point operations: the
/// forward product, the two backward products, the element-wise passes and the update.
///
/// ```
/// use gradlab_engine::{Activation, LayerSpec, NetSpec, step_work};
///
/// let net = NetSpec::new(512, vec![LayerSpec::dense(512, Activation::Relu); 8]);
/// // Three 256 × 512 × 512 products per layer dominate: 3 × 2 × 256 × 512² × 8.
/// let flops = step_work(&net, 256);
/// assert!(flops > 3.2e9 && flops < 3.4e9);
/// ```
pub fn step_work(net: &NetSpec, rows: usize) -> f64 {
    let rows = rows as f64;
    let mut fan_in = net.input as f64;
    let mut work = 0.0;
    for layer in &net.layers {
        let width = layer.width as f64;
        let weights = fan_in * width;
        work += 6.0 * rows * weights + 10.0 * rows * width + 10.0 * weights + LAYER_OVERHEAD;
        fan_in = width;
    }
    work
}

/// How many steps a run takes when nothing stops it early.
///
/// ```
/// use gradlab_engine::{Stop, run_steps};
///
/// assert_eq!(run_steps(Stop::Steps(500), 1000, Some(10)), 500);
/// assert_eq!(run_steps(Stop::Epochs(3), 1000, Some(64)), 3 * 16);
/// assert_eq!(run_steps(Stop::Epochs(3), 1000, None), 3);
/// ```
pub fn run_steps(stop: Stop, rows: usize, batch_size: Option<usize>) -> u64 {
    match stop {
        Stop::Steps(steps) => steps as u64,
        Stop::Epochs(epochs) => {
            let batch = batch_size.map_or(rows, |b| b.min(rows)).max(1);
            (epochs as u64).saturating_mul(rows.div_ceil(batch) as u64)
        }
    }
}
