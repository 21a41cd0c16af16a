//! Golden-file tests: run the real binary on scripts and compare what it prints with
//! files checked into the repository.
//!
//! Two families, one test each:
//!
//! * `tests/errors/NAME.grad`: a script with one mistake. It is run as
//!   `gradlab run --color never tests/errors/NAME.grad` from the package root (with the
//!   options of a first-line `# options: …`, such as `--max-memory 1G`) and must
//!   exit with 1; stderr must match `NAME.stderr` (required) and stdout `NAME.stdout`
//!   (the file exists only when stdout is not empty).
//! * `examples/NAME.grad`: a working script. It must exit with 0, or with N if its
//!   first line is the comment `# exit: N`; stdout must match `NAME.stdout`
//!   (required, even if empty: it is what says the example's output has been checked)
//!   and stderr `NAME.stderr` (present only when stderr is not empty). An example
//!   without `NAME.stdout` fails the test. Every example is also run twice, and the
//!   two runs must agree byte for byte (determinism).
//!
//! Lines are compared after trailing spaces are stripped; trailing blank lines are
//! ignored.
//!
//! To accept the current output as the new expected output ("bless"):
//!
//! ```text
//! BLESS=1 cargo test --test golden golden_errors     # tests/errors only
//! BLESS=1 cargo test --test golden golden_examples   # examples only: check every number first
//! ```
//!
//! Blessing rewrites the files; read the diff (`git diff tests/ examples/`) before committing.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::ROOT;
use support::golden::{Absent, bless_command, blessing, check_golden, diff};
use support::process::{Output, gradlab};

/// Runs `gradlab run --color never [OPTIONS] PATH` from the package root.
fn run_script(relative: &Path, options: &[&str]) -> Output {
    let mut args = vec!["run", "--color", "never"];
    args.extend(options);
    gradlab(&args).arg(relative).run()
}

/// What a first-line comment `# NAME: VALUE` of `source` says.
fn first_line_says<'s>(source: &'s str, name: &str) -> Option<&'s str> {
    source
        .lines()
        .next()
        .and_then(|l| l.trim().strip_prefix('#'))
        .and_then(|l| l.trim().strip_prefix(name))
        .and_then(|l| l.strip_prefix(':'))
        .map(str::trim)
}

/// Lines without trailing spaces, and without trailing blank lines.
fn normalize(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// The text a golden file holds for `text`: normalized, one newline per line.
fn golden_text(text: &str) -> String {
    let lines = normalize(text);
    if lines.is_empty() {
        String::new()
    } else {
        lines.join("\n") + "\n"
    }
}

/// Compares one stream, normalized, with its golden file (relative to the package
/// root), or rewrites the file when blessing.
fn compare(what: &str, actual: &str, golden: &Path, absent: Absent) -> Option<String> {
    check_golden(golden, &golden_text(actual), absent)
        .err()
        .map(|mismatch| format!("{what}: {mismatch}"))
}

/// Every `*.grad` file in `dir` (relative to the package root), sorted.
fn scripts(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(Path::new(ROOT).join(dir))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "grad"))
                .map(|p| Path::new(dir).join(p.file_name().expect("a file name")))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Fails once, listing every failing case with all its problems.
/// `missing` lists golden files that do not exist yet.
fn finish(family: &str, cases: usize, failed: Vec<(PathBuf, Vec<String>)>, missing: &[String]) {
    if failed.is_empty() {
        return;
    }
    let mut report = format!("{} of {cases} {family} case(s) failed:\n", failed.len());
    if !missing.is_empty() {
        report.push_str(&format!("missing golden files: {}\n", missing.join(", ")));
    }
    for (script, problems) in &failed {
        report.push_str(&format!("\n=== {}\n", script.display()));
        for problem in problems {
            report.push_str(&indent(problem));
        }
    }
    panic!("{report}");
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// The exit code an example declares with a first-line `# exit: N`; 0 otherwise.
fn declared_exit(source: &str) -> i32 {
    first_line_says(source, "exit")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn golden_errors() {
    let cases = scripts("tests/errors");
    assert!(!cases.is_empty(), "no tests/errors/*.grad found");
    let mut failed = Vec::new();
    for script in &cases {
        let source = fs::read_to_string(Path::new(ROOT).join(script)).expect("readable case");
        let options: Vec<&str> = first_line_says(&source, "options")
            .map(|o| o.split_whitespace().collect())
            .unwrap_or_default();
        let output = run_script(script, &options);
        let mut problems = Vec::new();
        if output.code != Some(1) {
            problems.push(format!("exit code {:?}, expected 1", output.code));
        }
        if output.stderr.contains("panicked") {
            problems.push("gradlab panicked".to_string());
        }
        problems.extend(compare(
            "stderr",
            &output.stderr,
            &script.with_extension("stderr"),
            Absent::Fails,
        ));
        problems.extend(compare(
            "stdout",
            &output.stdout,
            &script.with_extension("stdout"),
            Absent::MeansEmpty,
        ));
        if !problems.is_empty() {
            failed.push((script.clone(), problems));
        }
    }
    finish("error", cases.len(), failed, &[]);
}

#[test]
fn golden_examples() {
    let cases = scripts("examples");
    assert!(!cases.is_empty(), "no examples/*.grad found");
    let mut failed = Vec::new();
    let mut missing = Vec::new();
    for script in &cases {
        let source = fs::read_to_string(Path::new(ROOT).join(script)).expect("readable example");
        let expected_code = declared_exit(&source);
        let first = run_script(script, &[]);
        let second = run_script(script, &[]);
        let mut problems = Vec::new();
        if first.stdout != second.stdout
            || first.stderr != second.stderr
            || first.code != second.code
        {
            problems.push(format!(
                "two runs differ (not deterministic)\nstdout (- first, + second):\n{}stderr (- first, + second):\n{}",
                diff(&golden_text(&first.stdout), &golden_text(&second.stdout)),
                diff(&golden_text(&first.stderr), &golden_text(&second.stderr))
            ));
        }
        if first.stderr.contains("panicked") {
            problems.push("gradlab panicked".to_string());
        }
        let stdout_golden = script.with_extension("stdout");
        if !blessing() && !Path::new(ROOT).join(&stdout_golden).exists() {
            // Nothing to compare with yet: say so once, with what the run gives now.
            missing.push(stdout_golden.display().to_string());
            problems.push(format!(
                "no golden file {} yet: check its output, then bless it with: {}\n\
                 (it now exits with {:?}; stderr:\n{})",
                stdout_golden.display(),
                bless_command(),
                first.code,
                first.stderr.trim_end()
            ));
            failed.push((script.clone(), problems));
            continue;
        }
        if first.code != Some(expected_code) {
            problems.push(format!(
                "exit code {:?}, expected {expected_code}{}",
                first.code,
                if expected_code == 0 {
                    " (an example may declare another with a first line `# exit: N`)"
                } else {
                    ""
                },
            ));
        }
        problems.extend(compare(
            "stdout",
            &first.stdout,
            &stdout_golden,
            Absent::Fails,
        ));
        problems.extend(compare(
            "stderr",
            &first.stderr,
            &script.with_extension("stderr"),
            Absent::MeansEmpty,
        ));
        if !problems.is_empty() {
            failed.push((script.clone(), problems));
        }
    }
    finish("example", cases.len(), failed, &missing);
}

#[test]
fn diff_marks_changed_lines() {
    let d = diff("one\ntwo\nthree\n", "one\n2\nthree\nfour\n");
    assert!(d.contains("- two\n"), "{d}");
    assert!(d.contains("+ 2\n"), "{d}");
    assert!(d.contains("+ four\n"), "{d}");
    assert!(d.contains("  one\n"), "{d}");
    assert!(diff("a\n", "a").contains("+ <no newline at end>"));
    assert_eq!(declared_exit("# exit: 1\nlet x = 1"), 1);
    assert_eq!(declared_exit("let x = 1"), 0);
    assert_eq!(normalize("a  \nb\n\n"), ["a", "b"]);
    assert_eq!(golden_text("a  \nb\n\n"), "a\nb\n");
}

#[test]
fn a_mismatch_names_the_file_and_the_bless_command() {
    if blessing() {
        return;
    }
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("golden-mismatch.txt");
    fs::write(&path, "kept\nold\n").expect("temp file");
    let mismatch = check_golden(&path, "kept\nnew\n", Absent::Fails).unwrap_err();
    assert!(mismatch.contains("- old\n+ new\n"), "{mismatch}");
    assert!(
        mismatch.contains("BLESS=1 cargo test --test golden"),
        "{mismatch}"
    );
    let absent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-golden.txt");
    assert!(check_golden(&absent, "", Absent::MeansEmpty).is_ok());
    assert!(check_golden(&absent, "", Absent::Fails).is_err());
}
