//! Parse and check, as `gradlab check` does: no panic, no hang, every diagnostic inside
//! the source.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    gradlab_fuzz::parse_and_check(text);
});
