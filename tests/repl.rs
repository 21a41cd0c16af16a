//! Transcript tests of the REPL: each `tests/repl/NAME.in` is piped into `gradlab`
//! (no arguments, so stdin not being a terminal makes it a piped session), and what
//! it prints on stdout and stderr, interleaved, plus its exit status, must equal
//! `tests/repl/NAME.out`. `BLESS=1 cargo test --test repl` rewrites the `.out` files.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn transcript(input: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = root.join("target").join("repl-transcripts");
    fs::create_dir_all(&scratch).unwrap();
    let stem = input.file_stem().unwrap().to_string_lossy().to_string();
    let log_path = scratch.join(format!("{stem}.log"));
    let log = File::create(&log_path).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_gradlab"))
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env("GRADLAB_HISTORY", scratch.join(format!("{stem}.history")))
        .stdin(File::open(input).unwrap())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .status()
        .unwrap();
    let mut text = fs::read_to_string(&log_path).unwrap();
    text.push_str(&format!("[exit status {}]\n", status.code().unwrap_or(-1)));
    text
}

#[test]
fn transcripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("repl");
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "in"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty());
    let bless = std::env::var_os("BLESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for input in &inputs {
        let actual = transcript(input);
        let expected_path = input.with_extension("out");
        if bless {
            fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            failures.push(format!(
                "{} differs from {}:\n--- actual ---\n{actual}",
                input.display(),
                expected_path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(re-bless with BLESS=1 cargo test --test repl)",
        failures.join("\n")
    );
}
