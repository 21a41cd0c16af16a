//! Property tests: what holds for any script, checked on generated ones in plain
//! `cargo test` (stable Rust). The libFuzzer targets in `fuzz/` check the same
//! invariants (`support/invariants.rs`) on mutated scripts for as long as one lets them.
//!
//! * No input panics the lexer, the parser or the checker: arbitrary text, "token
//!   soup" made of gradlab's own keywords, names and punctuation (so that inputs get
//!   deep into the grammar), and the examples with lines dropped, repeated or replaced
//!   by soup, or with their numbers replaced.
//! * Every diagnostic points inside the source and is rendered with its location.
//! * A bounded run is deterministic: the same script gives byte-identical output, and
//!   every JSON line it writes is valid JSON.
//! * The declarations a session writes back (`:save`) check cleanly in a fresh session
//!   and are written back the same.
//!
//! Case counts keep the whole file to a few seconds in a debug build. A failing case
//! is kept by proptest in `tests/properties.proptest-regressions`: commit it, and turn
//! it into a test next to the fix.

mod support;

use gradlab::report::json::JsonReporter;
use gradlab::session::{EvalStatus, Mode, Redeclare, Session};
use gradlab::signature::{FAMILIES, FUNCTIONS, RUN_SETTINGS, Signature};
use gradlab::syntax::token::{CONTEXTUAL_WORDS, KEYWORDS};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::FileFailurePersistence;
use support::invariants::{FILE, parse_and_check};
use support::tiny_plan::is_tiny;

const PUNCTUATION: &[&str] = &[
    "+", "-", "*", "/", "^", "=", "..", ",", ";", "(", ")", "[", "]", "{", "}",
];

/// Names a script declares and uses, so that references in the soup often resolve.
const NAMES: &[&str] = &["a", "b", "net", "d", "depth", "width", "w", "x", "y"];

/// Numbers that sit on the checker's edges: zero, negatives, fractions, huge, infinite.
const NUMBERS: &[&str] = &[
    "0", "1", "2", "3", "-1", "0.5", "1e-9", "1e9", "1e400", "65537", "7", "0.0",
];

/// Every word gradlab knows: keywords, settings, built-in names and their parameters.
fn words() -> Vec<&'static str> {
    let signatures = FAMILIES.iter().copied().chain([FUNCTIONS]).flatten();
    let signature_words = signatures
        .flat_map(|s: &Signature| std::iter::once(s.name).chain(s.params.iter().map(|p| p.name)));
    let mut words: Vec<&str> = KEYWORDS
        .iter()
        .chain(CONTEXTUAL_WORDS)
        .copied()
        .chain(RUN_SETTINGS.iter().map(|(name, _)| *name))
        .chain(signature_words)
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => select(words()).prop_map(String::from),
        5 => select(PUNCTUATION).prop_map(String::from),
        3 => select(NUMBERS).prop_map(String::from),
        3 => select(NAMES).prop_map(String::from),
        2 => Just("\n".to_string()),
        1 => Just("\"data.csv\"".to_string()),
        1 => Just("# a comment\n".to_string()),
        1 => any::<char>().prop_map(String::from),
    ]
}

/// Up to 80 tokens of gradlab, in any order.
fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..80).prop_map(|tokens| tokens.join(" "))
}

/// The examples' scripts, read once.
fn examples() -> Vec<String> {
    let dir = std::path::Path::new(support::ROOT).join("examples");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "grad"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect()
}

/// An example with each number replaced, with `probability`, by one of `NUMBERS`: scripts that
/// parse, and reach the checker's arithmetic and limits with odd values.
fn example_with_numbers(probability: f64) -> impl Strategy<Value = String> {
    let examples = examples();
    (
        0..examples.len(),
        prop::collection::vec(prop::option::weighted(probability, select(NUMBERS)), 64),
    )
        .prop_map(move |(index, replacements)| replace_numbers(&examples[index], &replacements))
}

/// What happens to one line of an example in `example_with_lines_edited`.
#[derive(Debug, Clone)]
enum LineEdit {
    Keep,
    Drop,
    Repeat,
    Replace(String),
}

/// An example with some lines dropped, repeated or replaced by token soup: scripts
/// that are mostly right, so that the parser recovers in context and the checker sees
/// missing layers, unknown names and declarations made twice.
fn example_with_lines_edited() -> impl Strategy<Value = String> {
    let examples = examples();
    let edit = prop_oneof![
        12 => Just(LineEdit::Keep),
        1 => Just(LineEdit::Drop),
        1 => Just(LineEdit::Repeat),
        1 => prop::collection::vec(token(), 1..6).prop_map(|t| LineEdit::Replace(t.join(" "))),
    ];
    (0..examples.len(), prop::collection::vec(edit, 128)).prop_map(move |(index, edits)| {
        let mut out = String::new();
        for (line, edit) in examples[index].lines().zip(edits.iter().cycle()) {
            match edit {
                LineEdit::Keep => out.extend([line, "\n"]),
                LineEdit::Drop => {}
                LineEdit::Repeat => out.extend([line, "\n", line, "\n"]),
                LineEdit::Replace(soup) => out.extend([soup.as_str(), "\n"]),
            }
        }
        out
    })
}

/// Replaces the n-th number of `text` outside comments by `replacements[n]`, when it
/// is `Some` (the list wraps around).
fn replace_numbers(text: &str, replacements: &[Option<&str>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    for line in text.split_inclusive('\n') {
        let (code, comment) = line.split_at(line.find('#').unwrap_or(line.len()));
        let mut chars = code.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            let starts_number = c.is_ascii_digit()
                && !code[..start].ends_with(|p: char| p.is_alphanumeric() || p == '_');
            if !starts_number {
                out.push(c);
                continue;
            }
            let mut end = start + 1;
            while let Some(&(i, d)) = chars.peek() {
                if !(d.is_ascii_digit()
                    || d == '.' && code[i + 1..].starts_with(|n: char| n.is_ascii_digit()))
                {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
            let replacement = replacements[count % replacements.len()];
            out.push_str(replacement.unwrap_or(&code[start..end]));
            count += 1;
        }
        out.push_str(comment);
    }
    out
}

/// Runs `text` in a fresh session with the JSON reporter; every line must be JSON.
fn run_json(text: &str) -> (EvalStatus, Vec<u8>) {
    let mut out = Vec::new();
    let status = Session::new(Redeclare::Error).eval(
        FILE,
        text,
        Mode::Run,
        &mut JsonReporter { out: &mut out },
    );
    for line in String::from_utf8(out.clone()).unwrap().lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    (status, out)
}

/// Checks `text`, and runs it twice when it is tiny: the two runs must agree byte for
/// byte.
fn assert_tiny_runs_repeat(text: &str) {
    let Some(checked) = parse_and_check(text) else {
        return;
    };
    if !checked.diagnostics.is_empty() || !is_tiny(&checked.plans) {
        return;
    }
    let first = run_json(text);
    let second = run_json(text);
    assert_eq!(
        first,
        second,
        "two runs differ:\n{}\n---\n{}",
        String::from_utf8_lossy(&first.1),
        String::from_utf8_lossy(&second.1)
    );
}

/// A small network (at most 4 layers of 4 units) with its settings, as a script that
/// checks: generated so that it always can be run, quickly.
fn small_run() -> impl Strategy<Value = String> {
    let activations = [
        "relu", "tanh", "sigmoid", "linear", "gelu", "elu", "softplus",
    ];
    let inits = [
        "he_normal",
        "xavier_uniform",
        "normal(0, 2)",
        "uniform(-1, 1)",
        "const(0.5)",
    ];
    let optimizers = [
        "sgd(lr=0.1)",
        "adam(lr=0.01)",
        "rmsprop(lr=0.01)",
        "sgd(lr=1e30)",
    ];
    let remedies = [
        "",
        "remedy clip_norm(1)",
        "remedy batchnorm",
        "remedy layernorm",
    ];
    (
        0u64..1000,
        1usize..4,
        1usize..5,
        select(activations.to_vec()),
        select(inits.to_vec()),
        select(optimizers.to_vec()),
        select(remedies.to_vec()),
        1usize..6,
        prop::bool::ANY,
    )
        .prop_map(
            |(seed, depth, width, activation, init, optimizer, remedy, steps, compare)| {
                let kind = if compare { "compare" } else { "train" };
                // `compare` prints no steps: `show gradients` there is an error.
                let (variant, show) = if compare {
                    ("variant init(he_normal)", "")
                } else {
                    ("", "show gradients")
                };
                format!(
                    "seed {seed}\n\
                     network net(depth = {depth}) {{\n\
                         input 2\n\
                         repeat depth {{ dense {width} {activation} init={init} }}\n\
                         dense 1 linear\n\
                     }}\n\
                     data d = xor()\n\
                     print forward(net, [1, -1])\n\
                     {kind} net on d {{\n\
                         optimizer {optimizer}\n\
                         steps {steps}\n\
                         {show}\n\
                         {remedy}\n\
                         {variant}\n\
                     }}\n"
                )
            },
        )
}

/// Declarations of every kind a session can write back.
fn declarations() -> impl Strategy<Value = String> {
    let declaration = prop_oneof![
        (select(NUMBERS), select(NUMBERS)).prop_map(|(a, b)| format!("let a = [{a}, {b}]")),
        (1usize..4, select(NUMBERS)).prop_map(|(depth, w)| format!(
            "network net(depth = {depth}, w = {w}) {{ input 1 repeat depth {{ dense 2 tanh weight=w }} dense 1 linear }}"
        )),
        (select(NUMBERS), select(NUMBERS)).prop_map(|(x, y)| format!(
            "data d {{ x = [[{x}], [{y}]] y = [[{y}], [{x}]] }}"
        )),
        Just("data d = xor()".to_string()),
        (1usize..20).prop_map(|n| format!("data d = linear({n})")),
    ];
    prop::collection::vec(declaration, 1..5).prop_map(|items| items.join("\n"))
}

/// Evaluates each line of `text` as a REPL input; the inputs that fail are skipped, as
/// the REPL does.
fn repl_session(text: &str) -> Session {
    let mut session = Session::new(Redeclare::Replace);
    for (n, line) in text.lines().enumerate() {
        let mut out = Vec::new();
        session.eval(
            &format!("<input {n}>"),
            line,
            Mode::Check,
            &mut JsonReporter { out: &mut out },
        );
    }
    session
}

/// `cases` cases (or `PROPTEST_CASES`, to search longer), a failing one kept in
/// `tests/properties.proptest-regressions`.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/properties.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        parse_and_check(&text);
    }

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        parse_and_check(&text);
    }

    #[test]
    fn examples_with_lines_edited_never_panic(text in example_with_lines_edited()) {
        parse_and_check(&text);
    }

    #[test]
    fn examples_with_odd_numbers_never_panic(text in example_with_numbers(0.3)) {
        parse_and_check(&text);
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn small_runs_are_deterministic(text in small_run()) {
        let first = run_json(&text);
        prop_assert_eq!(first.0, EvalStatus::Ok, "{}", String::from_utf8_lossy(&first.1));
        prop_assert_eq!(&first, &run_json(&text));
    }

    #[test]
    fn tiny_runs_of_examples_with_odd_numbers_are_deterministic(
        text in example_with_numbers(0.05)
    ) {
        assert_tiny_runs_repeat(&text);
    }

    #[test]
    fn saved_declarations_check_and_save_the_same(text in declarations()) {
        let session = repl_session(&text);
        let Some(saved) = session.script() else {
            return Ok(());
        };
        let saved = saved.expect("small declarations can be written");
        prop_assert_eq!(saved.warning, None, "{}", saved.text);
        let mut reloaded = Session::new(Redeclare::Error);
        let mut out = Vec::new();
        let status = reloaded.eval("saved.grad", &saved.text, Mode::Check, &mut JsonReporter { out: &mut out });
        prop_assert_eq!(status, EvalStatus::Ok, "{}\n{}", saved.text, String::from_utf8_lossy(&out));
        let again = reloaded.script().expect("declared").expect("written");
        prop_assert_eq!(again.text, saved.text);
    }
}

#[test]
fn replace_numbers_keeps_names_and_comments() {
    let text = "network n2(depth = 10) { dense 8 relu } # 3 layers\nlet x = 0.25";
    assert_eq!(
        replace_numbers(text, &[Some("7"), None, Some("1e9")]),
        "network n2(depth = 7) { dense 8 relu } # 3 layers\nlet x = 1e9"
    );
}

/// The fuzzers' dictionary (`fuzz/grad.dict`) lists every keyword, setting and
/// built-in name, so that libFuzzer's mutations use the words of today's language.
#[test]
fn fuzz_dictionary_has_every_word() {
    let path = std::path::Path::new(support::ROOT).join("fuzz/grad.dict");
    let dictionary = std::fs::read_to_string(path).unwrap();
    let missing: Vec<&str> = words()
        .into_iter()
        .chain(PUNCTUATION.iter().copied())
        .filter(|word| !dictionary.lines().any(|line| line == format!("\"{word}\"")))
        .collect();
    assert!(missing.is_empty(), "add to fuzz/grad.dict: {missing:?}");
}
