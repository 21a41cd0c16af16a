//! The lexer and parser on arbitrary UTF-8: no panic, no hang, every diagnostic inside
//! the source and rendered with its location.

#![no_main]

use gradlab::diagnostics::SourceMap;
use gradlab_fuzz::invariants::{FILE, assert_renders, assert_spans_inside};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut sources = SourceMap::default();
    let base = sources.add(FILE, text);
    let parsed = gradlab::syntax::parse(text, base);
    assert_spans_inside(&parsed.diagnostics, text, base);
    assert_renders(&parsed.diagnostics, &sources);
});
