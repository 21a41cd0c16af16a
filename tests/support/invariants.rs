//! What must hold for any input, however wrong: checked by `tests/properties.rs` on
//! generated scripts and by the fuzz targets (`fuzz/src/lib.rs` includes this file by
//! path) on mutated ones.

use gradlab::check::env::Env;
use gradlab::check::{self, Checked, Redeclare};
use gradlab::diagnostics::{Diagnostic, SourceMap, render};
use gradlab::syntax;

/// The name a generated or fuzzed script is reported under.
pub const FILE: &str = "fuzz.grad";

/// Parses and checks `text` as `gradlab check` does, asserting the invariants below on
/// every diagnostic on the way; `None` when it does not parse.
pub fn parse_and_check(text: &str) -> Option<Checked> {
    let mut sources = SourceMap::default();
    // A first source, so that the script's offsets do not start at 0, as in the REPL.
    sources.add("before.grad", "let before = 1");
    let base = sources.add(FILE, text);
    let parsed = syntax::parse(text, base);
    assert_spans_inside(&parsed.diagnostics, text, base);
    assert_renders(&parsed.diagnostics, &sources);
    if parsed.diagnostics.iter().any(Diagnostic::is_error) {
        return None;
    }
    let program = parsed.program?;
    let checked = check::check(&program, &mut Env::default(), Redeclare::Error);
    assert_spans_inside(&checked.diagnostics, text, base);
    assert_renders(&checked.diagnostics, &sources);
    Some(checked)
}

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
/// that each one with a label is reported with its `file:line:col`.
pub fn assert_renders(diagnostics: &[Diagnostic], sources: &SourceMap) {
    let text = render(diagnostics, sources, false);
    let located = diagnostics.iter().filter(|d| !d.labels.is_empty()).count();
    assert!(
        text.matches(&format!("{FILE}:")).count() >= located,
        "a diagnostic rendered without its location:\n{text}"
    );
    // chumsky's fallback pattern tells a reader nothing.
    assert!(
        !text.contains("something else"),
        "a report says \"something else\":\n{text}"
    );
}
