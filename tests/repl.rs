//! Transcript tests of the REPL: each `tests/repl/NAME.in` is piped into `gradlab`
//! (no arguments, so stdin not being a terminal makes it a piped session), and what
//! it prints on stdout and stderr, interleaved, plus its exit status, must equal
//! `tests/repl/NAME.out`. `BLESS=1 cargo test --test repl` rewrites the `.out` files.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::ROOT;
use support::golden::{Absent, check_golden};
use support::process::gradlab;

fn transcript(input: &Path) -> String {
    let scratch = Path::new(ROOT).join("target").join("repl-transcripts");
    fs::create_dir_all(&scratch).expect("a scratch folder");
    let stem = input.file_stem().expect("a file name").to_string_lossy();
    // Each transcript writes its files under `target/repl-transcripts/NAME/`, empty
    // at the start, so `:save` (which never replaces a file) behaves the same every run.
    let files = scratch.join(&*stem);
    let _ = fs::remove_dir_all(&files);
    fs::create_dir_all(&files).expect("a scratch folder");
    let output = gradlab(&[])
        .env("NO_COLOR", "1")
        .env("GRADLAB_HISTORY", scratch.join(format!("{stem}.history")))
        .stdin_file(input)
        .stderr_into_stdout()
        .run();
    format!(
        "{}[exit status {}]\n",
        output.stdout,
        output.code.unwrap_or(-1)
    )
}

#[test]
fn transcripts() {
    let dir = Path::new(ROOT).join("tests").join("repl");
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/repl")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "in"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty());
    let failures: Vec<String> = inputs
        .iter()
        .filter_map(|input| {
            let golden = Path::new("tests/repl").join(input.with_extension("out").file_name()?);
            check_golden(&golden, &transcript(input), Absent::Fails).err()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Regression: each input copied the whole session (so that a failed one could be
/// undone) and the completer's list of names, so 20 000 `let`s piped into the REPL
/// took over 20 s in release and 50 s in a debug build; now each input costs what it
/// declares, about 4 s here in a debug build. The structural checks are the unit
/// tests `an_input_logs_only_its_own_changes` and `a_failed_input_leaves_the_session_unchanged`.
#[test]
fn a_long_piped_session_stays_linear() {
    const LETS: usize = 20_000;
    let scratch = Path::new(ROOT).join("target").join("repl-transcripts");
    fs::create_dir_all(&scratch).expect("a scratch folder");
    let input = scratch.join("many_lets.in");
    let text: String = (0..LETS).map(|i| format!("let v{i} = {i}\n")).collect();
    fs::write(&input, format!("{text}print v{}\n", LETS - 1)).expect("the input file");
    let output = gradlab(&[])
        .env("GRADLAB_HISTORY", scratch.join("many_lets.history"))
        .stdin_file(&input)
        .timeout(std::time::Duration::from_secs(30))
        .run();
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert_eq!(output.stdout.trim(), (LETS - 1).to_string());
}
