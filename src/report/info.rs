//! What the exec stage tells reports about a run, a sweep or a comparison: typed values
//! (engine enums, numbers, spans), which the reporters format.

use crate::signature::Metric;
use std::fmt;

use crate::diagnostics::Span;
use crate::engine::{Activation, LossKind, OptimizerSpec, Precision, Stop, Thresholds};
use crate::format::{self, count};
use crate::weights::names::TensorName;

use super::outcome::Outcome;

/// One layer of the network, as a report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerInfo {
    /// 1-based, as people count layers.
    pub number: usize,
    pub line: usize,
    pub span: Span,
    /// The outermost `repeat` header around the layer.
    pub repeat: Option<Span>,
    pub width: usize,
    pub activation: Activation,
    /// What sets the layer's initial weights, as the script says it (`` `init=normal(0, 1)` ``,
    /// `` `remedy init(he_normal)` on line 30 ``), for blaming the weights of a layer that
    /// amplifies.
    pub weights: String,
}

/// What a run shows: what to print at each shown step, and which steps. The checker
/// reads it off the `show` and `every` settings; only reports act on it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ShowOptions {
    pub loss: bool,
    pub gradients: bool,
    pub weights: bool,
    /// After the run, ‖∂L/∂W‖ per layer and shown step as a chart.
    pub heatmap: bool,
    /// Print every Nth step; `None` lets the report choose.
    pub every: Option<usize>,
}

/// The settings a run was given, which reports show on one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub loss: LossKind,
    /// `None` for `explain`, which does not train.
    pub training: Option<Training>,
    pub precision: Precision,
    pub seed: u64,
}

/// How a run trains.
#[derive(Debug, Clone, PartialEq)]
pub struct Training {
    pub optimizer: OptimizerSpec,
    pub stop: Stop,
    /// `None` when every batch is the whole data set.
    pub batch: Option<usize>,
}

/// `mse, sgd(lr=0.1), 100 steps, full batch, f32, seed 1`.
impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, ", format::loss(self.loss))?;
        if let Some(training) = &self.training {
            let length = match training.stop {
                Stop::Steps(n) => count(n, "step"),
                Stop::Epochs(n) => count(n, "epoch"),
            };
            let batch = training
                .batch
                .map_or_else(|| "full batch".to_string(), |b| format!("batch {b}"));
            write!(
                f,
                "{}, {length}, {batch}, ",
                format::optimizer(&training.optimizer)
            )?;
        }
        write!(
            f,
            "{}, seed {}",
            format::precision(self.precision),
            self.seed
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// `train`, `compare`, `explain`.
    pub kind: &'static str,
    pub network: String,
    pub data: String,
    /// The `train …` keyword, for findings about the whole run.
    pub span: Span,
    pub layers: Vec<LayerInfo>,
    pub settings: Settings,
    /// Steps the run will take if nothing stops it.
    pub planned_steps: usize,
    pub show: ShowOptions,
    /// The network's `depth` parameter, when it has one, for advice on fewer layers.
    pub depth: Option<f64>,
    /// The detectors' thresholds in force, for the warnings' text and advice.
    pub thresholds: Thresholds,
    /// Whether gradients are clipped, so the summary says how often.
    pub clipping: bool,
    /// Whether the network has skip connections, which carry gradient past dead layers.
    pub residual: bool,
    /// Whether some layer already has batch or layer normalisation.
    pub normalised: bool,
    /// The network's tensors under their PyTorch `state_dict` names, for the final
    /// parameters in JSON: the names a saved file has.
    pub tensors: Vec<TensorName>,
    /// The name the trained network is kept under (`train … as NAME`).
    pub result: Option<String>,
}

impl RunInfo {
    pub fn layer(&self, index: usize) -> Option<&LayerInfo> {
        self.layers.get(index)
    }
}

/// What `save NET to "file"` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedWeights {
    /// The network, as reports name it (a trained one by its `as` name).
    pub network: String,
    /// The file as the script names it.
    pub file: String,
    /// Tensors in the file.
    pub tensors: usize,
    /// The `save` statement.
    pub span: Span,
}

/// One grid point of a sweep: the value of each axis, and how the run went.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    pub values: Vec<f64>,
    pub outcome: Outcome,
}

/// A finished sweep: one point per grid point, the last axis varying fastest.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepReport {
    pub network: String,
    pub data: String,
    /// The first point's settings.
    pub settings: Settings,
    /// The training settings (`lr`, `batch`, ...) that the axes vary from `settings`.
    pub swept: Vec<String>,
    pub axes: Vec<(String, Vec<f64>)>,
    pub metric: Metric,
    pub points: Vec<SweepPoint>,
    pub span: Span,
}

impl SweepReport {
    /// How many points ran to their end (the rest were cut short by an interrupt).
    pub fn finished(&self) -> usize {
        self.points
            .iter()
            .filter(|p| !p.outcome.interrupted())
            .count()
    }

    /// `settings`, followed by which of them the sweep varies.
    pub fn settings_line(&self) -> String {
        if self.swept.is_empty() {
            self.settings.to_string()
        } else {
            format!("{} ({} as swept)", self.settings, self.swept.join(", "))
        }
    }
}

/// A finished comparison: the baseline first, then each variant, or why the engine
/// refused to run it.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareReport {
    pub network: String,
    pub data: String,
    pub settings: Settings,
    pub rows: Vec<(String, Result<Outcome, String>)>,
    pub span: Span,
}

impl CompareReport {
    /// How many rows ran to their end or were refused (the rest were cut short by an
    /// interrupt).
    pub fn finished(&self) -> usize {
        self.rows
            .iter()
            .filter(|(_, row)| !row.as_ref().is_ok_and(Outcome::interrupted))
            .count()
    }
}
