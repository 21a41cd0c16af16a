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
