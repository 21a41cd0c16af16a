//! JSON Lines: one object per event on stdout, numbers at full precision.

use std::io::Write;

use serde_json::{Value, json};

use super::{Printed, Reporter};
use crate::diagnostics::{Diagnostic, Severity, SourceMap, Span};

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
}
