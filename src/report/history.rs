//! What a picture of a script needs, kept from its events: per run, the steps' losses
//! and per-layer gradient norms, the warnings as rendered, and how the run ended; and
//! the finished explanations, comparisons and sweeps as they came.

use super::info::{CompareReport, RunInfo, SweepReport};
use crate::engine::{Explanation, LayerStats, StepRecord, StopReason};

/// One part of the script's report, in the order the script ran it.
#[derive(Debug, Clone)]
pub enum Section {
    Train(RunHistory),
    Explain(RunInfo, Explanation),
    Compare(CompareReport),
    Sweep(SweepReport),
    /// Diagnostics about the script itself (checking errors and warnings).
    Diagnostics(Vec<Warning>),
}

impl Section {
    /// `train`, `explain`, `compare`, `sweep`: the first part of a chart's file name.
    pub fn kind(&self) -> &'static str {
        match self {
            Section::Train(_) => "train",
            Section::Explain(..) => "explain",
            Section::Compare(_) => "compare",
            Section::Sweep(_) => "sweep",
            Section::Diagnostics(_) => "diagnostics",
        }
    }
}

/// At most about this many steps of a run are kept for its charts: a chart shows no
/// more, and a run of ten million steps must not hold ten million records.
pub const MAX_POINTS: usize = 5_000;

/// Which steps of a run of `planned` steps a chart keeps: every `stride`-th, from 1.
pub fn stride_for(planned: usize) -> usize {
    planned.div_ceil(MAX_POINTS).max(1)
}

/// One trained run: its steps' measures, in order (every `stride`-th step, and every
/// step whose loss was not a number, and the last).
#[derive(Debug, Clone)]
pub struct RunHistory {
    pub info: RunInfo,
    pub steps: Vec<StepPoint>,
    /// How many steps the run took.
    pub steps_run: usize,
    stride: usize,
    /// The latest step when it is not kept in `steps`: added when the run ends.
    latest: Option<StepPoint>,
    pub warnings: Vec<Warning>,
    /// `None` while the run is going (or if it never ended: an engine error).
    pub stop: Option<StopReason>,
}

/// What one step measured.
#[derive(Debug, Clone, PartialEq)]
pub struct StepPoint {
    pub step: usize,
    pub loss: f64,
    pub grad_norm: f64,
    /// Input side first.
    pub layers: Vec<LayerPoint>,
}

/// One layer at one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerPoint {
    /// ‖∂L/∂W‖.
    pub grad_weight: f64,
    /// ‖∂L/∂a‖, a = the layer's output.
    pub grad_output: f64,
    pub dead: bool,
}

impl StepPoint {
    pub fn of(record: &StepRecord) -> Self {
        StepPoint {
            step: record.step,
            loss: record.loss,
            grad_norm: record.grad_norm,
            layers: record.layers.iter().map(LayerPoint::of).collect(),
        }
    }

    /// Whether the loss or some gradient was not a number at this step.
    pub fn non_finite(&self) -> bool {
        !self.loss.is_finite() || !self.grad_norm.is_finite()
    }
}

impl LayerPoint {
    fn of(stats: &LayerStats) -> Self {
        LayerPoint {
            grad_weight: stats.grad_weight_norm,
            grad_output: stats.grad_output_norm,
            dead: stats.dead,
        }
    }
}

/// A warning or error as the terminal shows it (source snippet, notes, help), without
/// colour, with its headline apart for a heading.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub headline: String,
    pub is_error: bool,
    pub text: String,
}

impl RunHistory {
    pub fn new(info: RunInfo) -> Self {
        RunHistory {
            stride: stride_for(info.planned_steps),
            info,
            steps: Vec::new(),
            steps_run: 0,
            latest: None,
            warnings: Vec::new(),
            stop: None,
        }
    }

    /// Adds a step's measures, keeping the history within [`MAX_POINTS`].
    pub fn add(&mut self, record: &StepRecord) {
        self.steps_run += 1;
        if (record.step - 1).is_multiple_of(self.stride) || !record.loss.is_finite() {
            self.steps.push(StepPoint::of(record));
            self.latest = None;
        } else {
            self.latest = Some(StepPoint::of(record));
        }
    }

    /// The run is over: its last step joins the kept ones.
    pub fn end(&mut self, stop: StopReason) {
        self.steps.extend(self.latest.take());
        self.stop = Some(stop);
    }

    /// The first, a middle and the last step (fewer when the run is shorter), for the
    /// gradient-flow profile.
    pub fn profile_steps(&self) -> Vec<&StepPoint> {
        let n = self.steps.len();
        let mut picks: Vec<usize> = match n {
            0 => vec![],
            1 => vec![0],
            2 => vec![0, 1],
            _ => vec![0, (n - 1) / 2, n - 1],
        };
        picks.dedup();
        picks.iter().map(|&i| &self.steps[i]).collect()
    }
}
