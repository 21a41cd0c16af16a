//! Parse, check and, when the checked plans are tiny (`tiny_plan::is_tiny`), run the
//! script through a session as `gradlab run` does, so that an iteration stays short.

#![no_main]

use gradlab::report::text::TextReporter;
use gradlab::session::{Mode, Redeclare, Session};
use gradlab_fuzz::invariants::{FILE, parse_and_check};
use gradlab_fuzz::tiny_plan::is_tiny;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Some(checked) = parse_and_check(text) else {
        return;
    };
    if !checked.diagnostics.is_empty() || !is_tiny(&checked.plans) {
        return;
    }
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut reporter = TextReporter::new(&mut out, &mut err, false);
    Session::new(Redeclare::Error).eval(FILE, text, Mode::Run, &mut reporter);
});
