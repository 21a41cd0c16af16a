//! A reporter that passes every event on to another one and keeps what a picture of
//! the script needs (see `history`). Used only when a report or plots are asked for,
//! so a plain run keeps nothing.

use super::history::{RunHistory, Section, Warning};
use super::info::{CompareReport, RunInfo, SavedWeights, SweepReport};
use super::warnings::warning;
use super::{Printed, Reporter};
use crate::diagnostics::{Diagnostic, SourceMap, Span, render};
use crate::engine::{DiagnosticEvent, Explanation, StepDetail, StepRecord, TrainSummary};

pub struct Recorder<'a> {
    inner: &'a mut dyn Reporter,
    sections: Vec<Section>,
}

impl<'a> Recorder<'a> {
    pub fn new(inner: &'a mut dyn Reporter) -> Self {
        Recorder {
            inner,
            sections: Vec::new(),
        }
    }

    /// Everything kept, in the order the script ran.
    pub fn into_sections(self) -> Vec<Section> {
        self.sections
    }

    /// The run in progress (the last section, once `run_start` opened it).
    fn run(&mut self) -> Option<&mut RunHistory> {
        match self.sections.last_mut() {
            Some(Section::Train(run)) if run.stop.is_none() => Some(run),
            _ => None,
        }
    }
}

/// `d` as the terminal shows it, without colour.
fn rendered(d: &Diagnostic, sources: &SourceMap) -> Warning {
    Warning {
        headline: d.message.clone(),
        is_error: d.is_error(),
        text: render(std::slice::from_ref(d), sources, false),
    }
}

impl Reporter for Recorder<'_> {
    fn diagnostics(&mut self, diagnostics: &[Diagnostic], sources: &SourceMap) {
        self.inner.diagnostics(diagnostics, sources);
        if !diagnostics.is_empty() {
            let kept = diagnostics.iter().map(|d| rendered(d, sources)).collect();
            self.sections.push(Section::Diagnostics(kept));
        }
    }

    fn print(&mut self, value: &Printed, span: Span, sources: &SourceMap) {
        self.inner.print(value, span, sources);
    }

    fn saved(&mut self, saved: &SavedWeights, sources: &SourceMap) {
        self.inner.saved(saved, sources);
    }

    fn replaced(&mut self, name: &str, kind: &str, span: Span, sources: &SourceMap) {
        self.inner.replaced(name, kind, span, sources);
    }

    fn run_start(&mut self, info: &RunInfo, sources: &SourceMap) {
        self.inner.run_start(info, sources);
        self.sections
            .push(Section::Train(RunHistory::new(info.clone())));
    }

    fn step(&mut self, record: &StepRecord, info: &RunInfo) {
        self.inner.step(record, info);
        if let Some(run) = self.run() {
            run.add(record);
        }
    }

    fn finding(
        &mut self,
        event: &DiagnosticEvent,
        record: Option<&StepRecord>,
        info: &RunInfo,
        sources: &SourceMap,
    ) {
        self.inner.finding(event, record, info, sources);
        let kept = rendered(&warning(event, info, record), sources);
        if let Some(run) = self.run() {
            run.warnings.push(kept);
        }
    }

    fn run_end(&mut self, summary: &TrainSummary, info: &RunInfo) {
        self.inner.run_end(summary, info);
        if let Some(run) = self.run() {
            run.end(summary.stop_reason);
        }
    }

    fn explanation(&mut self, explanation: &Explanation, info: &RunInfo) {
        self.inner.explanation(explanation, info);
        self.sections
            .push(Section::Explain(info.clone(), explanation.clone()));
    }

    fn sweep(&mut self, report: &SweepReport, sources: &SourceMap) {
        self.inner.sweep(report, sources);
        self.sections.push(Section::Sweep(report.clone()));
    }

    fn compare(&mut self, report: &CompareReport, sources: &SourceMap) {
        self.inner.compare(report, sources);
        self.sections.push(Section::Compare(report.clone()));
    }

    fn step_detail(&self, info: &RunInfo) -> StepDetail {
        // Every measure the charts read is one the detectors need too.
        self.inner.step_detail(info)
    }

    fn wants_loss_curves(&self) -> bool {
        true
    }

    fn progress(&self) -> super::progress::Progress {
        self.inner.progress()
    }
}
