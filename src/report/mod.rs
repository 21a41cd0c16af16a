//! Reports: turning results and diagnostics into text or JSON Lines. Nothing here
//! knows how a script was parsed; it gets values, spans and the source map.

pub mod json;
pub mod text;

use crate::diagnostics::{Diagnostic, SourceMap, Span};

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
}
