//! What must hold for any input, however wrong: checked by `tests/properties.rs` on
//! generated scripts and by the fuzz targets (`fuzz/src/lib.rs` includes this file by
//! path) on mutated ones.

use gradlab::diagnostics::{Diagnostic, SourceMap, render};

/// Every label of every diagnostic lies inside `text` (whose offsets start at `base`)
/// and starts and ends on a character boundary, so that reports can quote it.
pub fn assert_spans_inside(diagnostics: &[Diagnostic], text: &str, base: usize) {
    for diagnostic in diagnostics {
        for label in &diagnostic.labels {
            let span = label.span;
            assert!(
                base <= span.start && span.start <= span.end && span.end <= base + text.len(),
                "{:?}: span {span:?} outside the source {base}..{}",
                diagnostic.message,
                base + text.len()
            );
            assert!(
                text.is_char_boundary(span.start - base) && text.is_char_boundary(span.end - base),
                "{:?}: span {span:?} splits a character",
                diagnostic.message
            );
        }
    }
}

/// Renders `diagnostics` as `gradlab` prints them, which must not panic, and checks
/// that each error is reported with its `file:line:col`.
pub fn assert_renders(diagnostics: &[Diagnostic], sources: &SourceMap, file: &str) {
    let text = render(diagnostics, sources, false);
    for diagnostic in diagnostics.iter().filter(|d| !d.labels.is_empty()) {
        assert!(
            text.contains(&format!("{file}:")),
            "{:?} rendered without its location:\n{text}",
            diagnostic.message
        );
    }
}
