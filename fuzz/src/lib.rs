//! What the fuzz targets share: the same invariants and the same bound on runs as the
//! property tests (`tests/properties.rs`), from the same files.

#[path = "../../tests/support/invariants.rs"]
pub mod invariants;
#[path = "../../tests/support/tiny_plan.rs"]
pub mod tiny_plan;

use gradlab::check::env::Env;
use gradlab::check::{self, Checked, Redeclare};
use gradlab::diagnostics::SourceMap;
use gradlab::syntax;

/// The name the fuzzed script is reported under.
pub const FILE: &str = "fuzz.grad";

/// Parses and checks `text` as `gradlab check` does, asserting the invariants on every
/// diagnostic on the way; `None` when it does not parse.
pub fn parse_and_check(text: &str) -> Option<Checked> {
    let mut sources = SourceMap::default();
    // A first source, so that the script's offsets do not start at 0, as in the REPL.
    sources.add("before.grad", "let before = 1");
    let base = sources.add(FILE, text);
    let parsed = syntax::parse(text, base);
    invariants::assert_spans_inside(&parsed.diagnostics, text, base);
    invariants::assert_renders(&parsed.diagnostics, &sources, FILE);
    if parsed.diagnostics.iter().any(|d| d.is_error()) {
        return None;
    }
    let program = parsed.program?;
    let checked = check::check(&program, &mut Env::default(), Redeclare::Error);
    invariants::assert_spans_inside(&checked.diagnostics, text, base);
    invariants::assert_renders(&checked.diagnostics, &sources, FILE);
    Some(checked)
}
