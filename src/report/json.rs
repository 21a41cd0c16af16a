//! JSON Lines: one object per event on stdout, numbers at full precision.

use crate::signature::Metric;
use std::io::Write;

use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use super::info::{CompareReport, RunInfo, SavedWeights, SweepReport};
use super::outcome::{kept_early, metric, stop_reason_name};
use super::warnings::{finding_kind, warning};
use super::{Printed, Reporter};
use crate::diagnostics::{Diagnostic, ErrorKind, Severity, SourceMap, Span};
use crate::engine::{
    DiagnosticEvent, Explanation, LayerStats, StepDetail, StepRecord, TrainSummary,
};
use crate::format;
use matrices::Matrices;

/// A number as JSON; non-finite numbers, which JSON lacks, as strings.
pub fn number_json(x: f64) -> Value {
    json!(Number(x))
}

/// A number as JSON without a `Value`: finite ones as numbers, others as the strings
/// `inf`, `-inf` and `nan`, which JSON lacks numbers for.
#[derive(Clone, Copy)]
struct Number(f64);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            serializer.serialize_f64(self.0)
        } else {
            serializer.serialize_str(&format::number(self.0))
        }
    }
}

/// A `step` event, borrowed from its record: one is written per training step, so it
/// builds no `Value` tree. The fields are declared in byte order, the order in which
/// `Value`'s sorted maps write every other event's keys.
#[derive(Serialize)]
struct StepEvent<'a> {
    accuracy: Option<Number>,
    clipped: bool,
    clipped_norm: Option<Number>,
    epoch: usize,
    event: &'static str,
    grad_norm: Number,
    layers: Layers<'a>,
    loss: Number,
    loss_change: Option<Number>,
    lr: Number,
    step: usize,
}

impl<'a> StepEvent<'a> {
    /// The event of `r`, with its matrices if `with_matrices` (and it has them).
    fn of(r: &'a StepRecord, with_matrices: bool) -> Self {
        StepEvent {
            accuracy: r.accuracy.map(Number),
            clipped: r.clipped,
            clipped_norm: r.clipped_norm.map(Number),
            epoch: r.epoch,
            event: "step",
            grad_norm: Number(r.grad_norm),
            layers: Layers {
                stats: &r.layers,
                with_matrices,
            },
            loss: Number(r.loss),
            loss_change: r.loss_change.map(Number),
            lr: Number(r.lr),
            step: r.step,
        }
    }
}

struct Layers<'a> {
    stats: &'a [LayerStats],
    with_matrices: bool,
}

impl Serialize for Layers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.stats
                .iter()
                .map(|stats| LayerEvent::of(stats, self.with_matrices)),
        )
    }
}

/// One layer of a `step` event; the matrices and bias vectors only with
/// `StepDetail::Values`, on the steps `matrices` chooses (where a layer without a bias
/// has `null` for its bias vectors).
#[derive(Serialize)]
struct LayerEvent<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    bias: Option<Option<Row<'a>>>,
    dead: bool,
    gain: Number,
    #[serde(skip_serializing_if = "Option::is_none")]
    grad_bias: Option<Option<Row<'a>>>,
    grad_bias_norm: Option<Number>,
    grad_output_norm: Number,
    grad_weight_norm: Number,
    #[serde(skip_serializing_if = "Option::is_none")]
    grad_weights: Option<Matrix<'a>>,
    layer: usize,
    weight_mean: Number,
    weight_norm: Number,
    weight_std: Number,
    #[serde(skip_serializing_if = "Option::is_none")]
    weights: Option<Matrix<'a>>,
}

impl<'a> LayerEvent<'a> {
    fn of(s: &'a LayerStats, with_matrices: bool) -> Self {
        let matrix =
            |m: &'a Option<Vec<Vec<f64>>>| m.as_deref().filter(|_| with_matrices).map(Matrix);
        // Where the weights are written, so is the bias, `null` for a layer without one.
        let written = with_matrices && s.weights.is_some();
        let vector = |v: &'a Option<Vec<f64>>| written.then(|| v.as_deref().map(Row));
        LayerEvent {
            bias: vector(&s.bias),
            dead: s.dead,
            gain: Number(s.gain),
            grad_bias: vector(&s.grad_bias),
            grad_bias_norm: s.grad_bias_norm.map(Number),
            grad_output_norm: Number(s.grad_output_norm),
            grad_weight_norm: Number(s.grad_weight_norm),
            grad_weights: matrix(&s.grad_weights),
            layer: s.index + 1,
            weight_mean: Number(s.weight_mean),
            weight_norm: Number(s.weight_norm),
            weight_std: Number(s.weight_std),
            weights: matrix(&s.weights),
        }
    }
}

/// `[out][in]` rows of numbers.
struct Matrix<'a>(&'a [Vec<f64>]);

impl Serialize for Matrix<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|row| Row(row)))
    }
}

/// A row of a matrix, or a vector (a bias).
struct Row<'a>(&'a [f64]);

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().copied().map(Number))
    }
}

/// The `step` event's line for `record`.
fn write_step(
    mut out: impl Write,
    record: &StepRecord,
    with_matrices: bool,
) -> std::io::Result<()> {
    serde_json::to_writer(&mut out, &StepEvent::of(record, with_matrices))?;
    out.write_all(b"\n")
}

/// Writes JSON Lines to `out`, a concrete type rather than `dyn Write`: serialising a
/// step makes a few hundred small writes, which then inline.
pub struct JsonReporter<W> {
    pub out: W,
}

impl<W: Write> JsonReporter<W> {
    /// Writes one event and flushes it: every event but a step record is one that a
    /// person or a pipe reader waits for (step lines may wait in the buffer).
    pub fn emit(&mut self, event: Value) {
        let _ = writeln!(self.out, "{event}");
        let _ = self.out.flush();
    }
}

/// `{"file", "line", "column", "end_line", "end_column"}` of a span.
pub fn location(span: Span, sources: &SourceMap) -> Value {
    match (sources.locate(span.start), sources.locate(span.end)) {
        (Some((file, line, column)), Some((_, end_line, end_column))) => json!({
            "file": file, "line": line, "column": column,
            "end_line": end_line, "end_column": end_column,
        }),
        _ => Value::Null,
    }
}

/// An error about a file as a whole (a script that cannot be read): a diagnostic with
/// code `io` and no location, so JSON readers need no second channel for it.
pub fn file_error_json(message: &str) -> Value {
    unplaced_diagnostic_json("error", &ErrorKind::Io, message)
}

/// A diagnostic about no place in a script.
fn unplaced_diagnostic_json(severity: &str, kind: &ErrorKind, message: &str) -> Value {
    json!({
        "event": "diagnostic",
        "severity": severity,
        "code": kind.code(),
        "message": message,
        "location": Value::Null,
        "labels": [],
        "notes": [],
        "help": [],
    })
}

pub fn diagnostic_json(d: &Diagnostic, sources: &SourceMap) -> Value {
    json!({
        "event": "diagnostic",
        "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
        "code": d.kind.code(),
        "message": d.message,
        "location": location(d.primary_span(), sources),
        "labels": d.labels.iter().map(|l| json!({
            "message": l.message,
            "location": location(l.span, sources),
        })).collect::<Vec<_>>(),
        "notes": d.notes,
        "help": d.helps,
    })
}

impl<W: Write> Reporter for JsonReporter<W> {
    fn diagnostics(&mut self, diagnostics: &[Diagnostic], sources: &SourceMap) {
        for d in diagnostics {
            self.emit(diagnostic_json(d, sources));
        }
    }

    fn print(&mut self, value: &Printed, span: Span, sources: &SourceMap) {
        self.emit(json!({
            "event": "print",
            "location": location(span, sources),
            "value": value.json,
            "text": value.text,
        }));
    }

    fn replaced(&mut self, name: &str, kind: &str, span: Span, sources: &SourceMap) {
        self.emit(json!({
            "event": "replaced",
            "name": name,
            "kind": kind,
            "location": location(span, sources),
        }));
    }

    fn saved(&mut self, saved: &SavedWeights, sources: &SourceMap) {
        self.emit(json!({
            "event": "saved",
            "network": saved.network,
            "file": saved.file,
            "tensors": saved.tensors,
            "location": location(saved.span, sources),
        }));
    }

    fn run_start(&mut self, info: &RunInfo, sources: &SourceMap) {
        self.emit(json!({
            "event": "run",
            "kind": info.kind,
            "network": info.network,
            "data": info.data,
            "location": location(info.span, sources),
            "settings": info.settings.to_string(),
            "precision": format::precision(info.settings.precision),
            "planned_steps": info.planned_steps,
            "layers": info.layers.iter().map(|l| json!({
                "layer": l.number,
                "line": l.line,
                "width": l.width,
                "activation": format::activation(&l.activation),
            })).collect::<Vec<_>>(),
        }));
    }

    fn step(&mut self, record: &StepRecord, info: &RunInfo) {
        let has_matrices = record.layers.iter().any(|l| l.weights.is_some());
        let with_matrices = has_matrices && {
            // Every step of a run has the same shapes: the plan depends on the run only.
            let plan = Matrices::of(record, info);
            if record.step == 1
                && let Some(message) = plan.thinned(record, info)
            {
                self.emit(unplaced_diagnostic_json(
                    "warning",
                    &ErrorKind::TooLarge,
                    &message,
                ));
            }
            plan.on(record.step, info)
        };
        // The hot event: left in the buffer, unlike every other.
        let _ = write_step(&mut self.out, record, with_matrices);
    }

    fn finding(
        &mut self,
        event: &DiagnosticEvent,
        record: Option<&StepRecord>,
        info: &RunInfo,
        sources: &SourceMap,
    ) {
        let mut object = diagnostic_json(&warning(event, info, record), sources);
        object["kind"] = json!(finding_kind(event));
        object["step"] = json!(event.step());
        if let DiagnosticEvent::NonFinite { layer, .. }
        | DiagnosticEvent::Exploding { layer, .. }
        | DiagnosticEvent::Vanishing { layer, .. }
        | DiagnosticEvent::DeadLayer { layer, .. }
        | DiagnosticEvent::ClipNonFinite { layer, .. }
        | DiagnosticEvent::DegenerateNorm { layer, .. } = event
        {
            object["layer"] = json!(layer + 1);
        }
        self.emit(object);
    }

    fn run_end(&mut self, s: &TrainSummary, info: &RunInfo) {
        if let Some(message) = matrices::parameters_skipped(info) {
            self.emit(unplaced_diagnostic_json(
                "warning",
                &ErrorKind::TooLarge,
                &message,
            ));
        }
        let mut event = json!({
            "event": "run_end",
            "steps": s.steps,
            "updates": s.updates,
            "epochs": s.epochs,
            "first_loss": s.first_loss.map(number_json),
            "final_loss": s.final_loss.map(number_json),
            "final_accuracy": s.final_accuracy.map(number_json),
            "clipped_steps": s.clipped_steps,
            "stop_reason": stop_reason_name(s.stop_reason),
        });
        if matrices::parameters_fit(info) {
            event["parameters"] = parameters::parameters(&info.tensors, &s.params);
        }
        self.emit(event);
        if let (Some(name), Some(note)) = (&info.result, kept_early(s, info)) {
            self.emit(json!({
                "event": "kept_early",
                "name": name,
                "updates": s.updates,
                "planned_steps": info.planned_steps,
                "stop_reason": stop_reason_name(s.stop_reason),
                "message": note,
            }));
        }
    }

    fn explanation(&mut self, ex: &Explanation, _info: &RunInfo) {
        let o = &ex.overflow;
        self.emit(json!({
            "event": "explain",
            "loss": number_json(ex.loss),
            "factors": ex.factors.iter().map(|f| json!({
                "layer": f.layer + 1,
                "weight_factor": number_json(f.weight_factor),
                "slope": number_json(f.slope),
                "factor": number_json(f.factor),
                "running_product": number_json(f.running_product),
                "observed_grad": number_json(f.observed_grad),
            })).collect::<Vec<_>>(),
            "first_unstable_layer": ex.first_unstable.map(|l| l + 1),
            "overflow_depth": {
                "f32": {"output": o.output_f32, "loss": o.loss_f32, "gradients": o.grad_f32},
                "f64": {"output": o.output_f64, "loss": o.loss_f64, "gradients": o.grad_f64},
            },
        }));
    }

    fn step_detail(&self, info: &RunInfo) -> StepDetail {
        if info.show.gradients || info.show.weights {
            StepDetail::Values
        } else {
            StepDetail::Display
        }
    }

    fn sweep(&mut self, report: &SweepReport, sources: &SourceMap) {
        let points: Vec<Value> = report
            .points
            .iter()
            .map(|point| {
                let outcome = &point.outcome;
                let mut params = serde_json::Map::new();
                for ((name, _), value) in report.axes.iter().zip(&point.values).rev() {
                    params.insert(name.clone(), json!(value));
                }
                json!({
                    "params": params,
                    "value": if report.metric == Metric::Verdict {
                        json!(outcome.verdict.name())
                    } else {
                        metric(outcome, report.metric).map_or(Value::Null, number_json)
                    },
                    "verdict": outcome.verdict.name(),
                    "final_loss": outcome.final_loss.map(number_json),
                    "final_accuracy": outcome.final_accuracy.map(number_json),
                    "max_grad_norm": number_json(outcome.max_grad_norm),
                    "first_grad": outcome.first_grad.map(number_json),
                    "grad_ratio": outcome.grad_ratio.map(number_json),
                    "first_nonfinite_step": outcome.first_nonfinite,
                    "steps": outcome.steps,
                    "stop_reason": stop_reason_name(outcome.stop_reason),
                })
            })
            .collect();
        self.emit(json!({
            "event": "sweep",
            "network": report.network,
            "data": report.data,
            "location": location(report.span, sources),
            "settings": report.settings_line(),
            "metric": report.metric.to_string(),
            "axes": report.axes.iter().map(|(n, v)| json!({"name": n, "values": v})).collect::<Vec<_>>(),
            "points": points,
            "finished": report.finished(),
            "interrupted": report.finished() < report.points.len(),
        }));
    }

    fn compare(&mut self, report: &CompareReport, sources: &SourceMap) {
        let rows: Vec<Value> = report
            .rows
            .iter()
            .map(|(label, row)| match row {
                Ok(o) => json!({
                    "variant": label,
                    "final_loss": o.final_loss.map(number_json),
                    "best_loss": o.best_loss.map(number_json),
                    "final_accuracy": o.final_accuracy.map(number_json),
                    "max_grad_norm": number_json(o.max_grad_norm),
                    "first_nonfinite_step": o.first_nonfinite,
                    "grad_ratio": o.grad_ratio.map(number_json),
                    "verdict": o.verdict.name(),
                    "steps": o.steps,
                    "stop_reason": stop_reason_name(o.stop_reason),
                }),
                Err(reason) => json!({
                    "variant": label,
                    "verdict": "refused",
                    "reason": reason,
                }),
            })
            .collect();
        self.emit(json!({
            "event": "compare",
            "network": report.network,
            "data": report.data,
            "location": location(report.span, sources),
            "settings": report.settings.to_string(),
            "rows": rows,
            "finished": report.finished(),
            "interrupted": report.finished() < report.rows.len(),
        }));
    }
}

#[cfg(test)]
mod tests;

mod matrices;
mod parameters;
