//! JSON Lines: one object per event on stdout, numbers at full precision.

use crate::signature::Metric;
use std::io::Write;

use serde_json::{Value, json};

use super::info::{CompareReport, RunInfo, SweepReport};
use super::outcome::metric;
use super::warnings::{finding_kind, warning};
use super::{Printed, Reporter};
use crate::diagnostics::{Diagnostic, Severity, SourceMap, Span};
use crate::engine::{
    DiagnosticEvent, Explanation, StepDetail, StepRecord, StopReason, TrainSummary,
};
use crate::format;

/// A number as JSON; non-finite numbers, which JSON lacks, as strings.
pub fn number_json(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        json!(format::number(x))
    }
}

pub struct JsonReporter<'a> {
    pub out: &'a mut dyn Write,
}

impl JsonReporter<'_> {
    pub fn emit(&mut self, event: Value) {
        let _ = writeln!(self.out, "{event}");
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

impl Reporter for JsonReporter<'_> {
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

    fn step(&mut self, r: &StepRecord, _info: &RunInfo) {
        let layers: Vec<Value> = r
            .layers
            .iter()
            .map(|s| {
                let mut layer = json!({
                    "layer": s.index + 1,
                    "weight_mean": number_json(s.weight_mean),
                    "weight_std": number_json(s.weight_std),
                    "weight_norm": number_json(s.weight_norm),
                    "grad_weight_norm": number_json(s.grad_weight_norm),
                    "grad_bias_norm": s.grad_bias_norm.map(number_json),
                    "grad_output_norm": number_json(s.grad_output_norm),
                    "gain": number_json(s.gain),
                    "dead": s.dead,
                });
                let matrix = |m: &Vec<Vec<f64>>| -> Value {
                    json!(
                        m.iter()
                            .map(|row| row.iter().map(|x| number_json(*x)).collect::<Vec<_>>())
                            .collect::<Vec<_>>()
                    )
                };
                if let Some(w) = &s.weights {
                    layer["weights"] = matrix(w);
                }
                if let Some(g) = &s.grad_weights {
                    layer["grad_weights"] = matrix(g);
                }
                layer
            })
            .collect();
        self.emit(json!({
            "event": "step",
            "step": r.step,
            "epoch": r.epoch,
            "loss": number_json(r.loss),
            "loss_change": r.loss_change.map(number_json),
            "grad_norm": number_json(r.grad_norm),
            "clipped_norm": r.clipped_norm.map(number_json),
            "clipped": r.clipped,
            "lr": number_json(r.lr),
            "accuracy": r.accuracy.map(number_json),
            "layers": layers,
        }));
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

    fn run_end(&mut self, s: &TrainSummary, _info: &RunInfo) {
        self.emit(json!({
            "event": "run_end",
            "steps": s.steps,
            "updates": s.updates,
            "epochs": s.epochs,
            "first_loss": s.first_loss.map(number_json),
            "final_loss": s.final_loss.map(number_json),
            "final_accuracy": s.final_accuracy.map(number_json),
            "clipped_steps": s.clipped_steps,
            "stop_reason": match s.stop_reason {
                StopReason::Completed => "completed",
                StopReason::NonFinite => "non_finite",
                StopReason::Interrupted => "interrupted",
            },
        }));
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
                    "max_grad_norm": number_json(outcome.max_grad_norm),
                    "first_grad": outcome.first_grad.map(number_json),
                    "grad_ratio": outcome.grad_ratio.map(number_json),
                    "first_nonfinite_step": outcome.first_nonfinite,
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
                    "max_grad_norm": number_json(o.max_grad_norm),
                    "first_nonfinite_step": o.first_nonfinite,
                    "grad_ratio": o.grad_ratio.map(number_json),
                    "verdict": o.verdict.name(),
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
        }));
    }
}
