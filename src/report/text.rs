//! The human-readable report: values and tables on stdout, diagnostics on stderr.

use std::io::Write;

use super::{Printed, Reporter};
use crate::diagnostics::{Diagnostic, SourceMap, Span, render};

pub struct TextReporter<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Colour diagnostics (stderr).
    pub color: bool,
}

impl Reporter for TextReporter<'_> {
    fn diagnostics(&mut self, diagnostics: &[Diagnostic], sources: &SourceMap) {
        // Output is flushed first so a warning lands after the lines it comments on.
        let _ = self.out.flush();
        let _ = self
            .err
            .write_all(render(diagnostics, sources, self.color).as_bytes());
        let _ = self.err.flush();
    }

    fn print(&mut self, value: &Printed, _span: Span, _sources: &SourceMap) {
        let _ = writeln!(self.out, "{}", value.text);
    }

    fn replaced(&mut self, name: &str, kind: &str, _span: Span, _sources: &SourceMap) {
        let _ = writeln!(self.out, "note: `{name}` now names the new {kind}");
    }
}
