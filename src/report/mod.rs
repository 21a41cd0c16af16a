//! Reports: turning results and diagnostics into text or JSON Lines. Nothing here
//! knows how a script was parsed; it gets values, spans and the source map.

pub mod chart;
pub mod history;
pub mod html;
pub mod info;
pub mod json;
pub mod outcome;
pub mod output;
pub mod plots;
pub mod progress;
mod reader_gone;
pub mod recorder;
pub mod shown;
pub mod text;
pub mod warnings;

use crate::diagnostics::{Diagnostic, SourceMap, Span};
use crate::engine::{DiagnosticEvent, Explanation, StepDetail, StepRecord, TrainSummary};
use info::{CompareReport, RunInfo, SavedWeights, SweepReport};

/// A value ready to print, in both forms a reporter may want.
#[derive(Debug, Clone, PartialEq)]
pub struct Printed {
    pub text: String,
    pub json: serde_json::Value,
}

/// Receives everything a session produces, in order.
pub trait Reporter {
    fn diagnostics(&mut self, diagnostics: &[Diagnostic], sources: &SourceMap);
    fn print(&mut self, value: &Printed, span: Span, sources: &SourceMap);
    /// A declaration replaced an earlier one (REPL).
    fn replaced(&mut self, name: &str, kind: &str, span: Span, sources: &SourceMap);

    fn run_start(&mut self, info: &RunInfo, sources: &SourceMap);
    fn step(&mut self, record: &StepRecord, info: &RunInfo);
    /// A diagnostic the engine found during the run; `record` is the step it is about.
    fn finding(
        &mut self,
        event: &DiagnosticEvent,
        record: Option<&StepRecord>,
        info: &RunInfo,
        sources: &SourceMap,
    );
    fn run_end(&mut self, summary: &TrainSummary, info: &RunInfo);
    fn explanation(&mut self, explanation: &Explanation, info: &RunInfo);
    fn sweep(&mut self, report: &SweepReport, sources: &SourceMap);
    fn compare(&mut self, report: &CompareReport, sources: &SourceMap);
    /// `save NET to "file"` wrote the file.
    fn saved(&mut self, saved: &SavedWeights, sources: &SourceMap);

    /// The progress bar that long runs advance; off unless the reporter draws one.
    fn progress(&self) -> progress::Progress {
        progress::Progress::default()
    }

    /// What step records must measure for this reporter: the default shows the
    /// statistics of a per-layer table only when the run shows one.
    fn step_detail(&self, info: &RunInfo) -> StepDetail {
        if info.show.gradients || info.show.weights {
            StepDetail::Display
        } else {
            StepDetail::Detectors
        }
    }

    /// Whether the outcomes of `compare` should keep every step's loss, for a chart;
    /// only a reporter that draws them asks, so other runs keep nothing.
    fn wants_loss_curves(&self) -> bool {
        false
    }
}
