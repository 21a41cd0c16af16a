//! Parse and check, as `gradlab check` does: no panic, no hang, every diagnostic inside
//! the source and rendered with its location.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    gradlab_fuzz::invariants::parse_and_check(text);
});
