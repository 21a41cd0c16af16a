//! Golden-file tests: run the real binary on scripts and compare what it prints with
//! files checked into the repository.
//!
//! Two families, one test each:
//!
//! * `tests/errors/NAME.grad`: a script with one mistake. It is run as
//!   `gradlab run --color never tests/errors/NAME.grad` from the package root and must
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

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gradlab");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// A script that takes longer than this has hung.
const TIMEOUT: Duration = Duration::from_secs(60);

fn blessing() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `gradlab run --color never PATH` from the package root, with a time limit.
fn run(relative: &Path) -> Output {
    let mut child = Command::new(BIN)
        .args(["run", "--color", "never"])
        .arg(relative)
        .current_dir(ROOT)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start gradlab");
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    Output {
        code: status.and_then(|s| s.code()),
        stdout,
        stderr: match status {
            Some(_) => stderr,
            None => format!("{stderr}\n<killed after {}s>", TIMEOUT.as_secs()),
        },
    }
}

/// Lines without trailing spaces, and without trailing blank lines.
fn normalize(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// The text a golden file holds for `text`.
fn golden_text(text: &str) -> String {
    let lines = normalize(text);
    if lines.is_empty() {
        String::new()
    } else {
        lines.join("\n") + "\n"
    }
}

/// A line diff of `expected` and `actual` (`-` expected, `+` actual), with a little
/// context around each change.
fn diff(expected: &[String], actual: &[String]) -> String {
    const CONTEXT: usize = 2;
    let (n, m) = (expected.len(), actual.len());
    if n * m > 4_000_000 {
        let first = expected
            .iter()
            .zip(actual)
            .position(|(a, b)| a != b)
            .unwrap_or(n.min(m));
        return format!(
            "  (too long for a full diff) first difference at line {}:\n- {}\n+ {}\n",
            first + 1,
            expected.get(first).map_or("<end>", String::as_str),
            actual.get(first).map_or("<end>", String::as_str)
        );
    }
    // Longest common subsequence, table from the end.
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == actual[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            ops.push((' ', &expected[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', &expected[i]));
            i += 1;
        } else {
            ops.push(('+', &actual[j]));
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    let mut out = String::new();
    let mut last_shown: Option<usize> = None;
    for (k, &(op, line)) in ops.iter().enumerate() {
        let near = changed.iter().any(|&c| c.abs_diff(k) <= CONTEXT);
        if !near {
            continue;
        }
        if last_shown.is_some_and(|l| l + 1 < k) {
            out.push_str("  ...\n");
        }
        out.push_str(&format!("{op} {line}\n"));
        last_shown = Some(k);
    }
    out
}

/// Compares one stream with its golden file (relative to the package root), or
/// rewrites the file when blessing. `required`: the golden file must exist; otherwise
/// its absence means "empty".
fn compare(
    what: &str,
    actual: &str,
    golden: &Path,
    required: bool,
    bless_cmd: &str,
) -> Option<String> {
    let full = ROOT_PATH.join(golden);
    let text = golden_text(actual);
    if blessing() {
        if text.is_empty() && !required {
            let _ = fs::remove_file(&full);
        } else {
            fs::write(&full, &text).unwrap_or_else(|e| panic!("cannot write {full:?}: {e}"));
        }
        return None;
    }
    let expected = match fs::read_to_string(&full) {
        Ok(expected) => expected,
        Err(_) if required => {
            return Some(format!(
                "missing golden file {} (bless with: {bless_cmd})",
                golden.display()
            ));
        }
        Err(_) => String::new(),
    };
    let (expected, actual) = (normalize(&expected), normalize(actual));
    (expected != actual).then(|| {
        format!(
            "{what} differs from {} (- expected, + actual):\n{}re-bless with: {bless_cmd}",
            golden.display(),
            diff(&expected, &actual)
        )
    })
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
    source
        .lines()
        .next()
        .and_then(|l| l.trim().strip_prefix('#'))
        .and_then(|l| l.trim().strip_prefix("exit:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn golden_errors() {
    let cases = scripts("tests/errors");
    assert!(!cases.is_empty(), "no tests/errors/*.grad found");
    let bless_cmd = "BLESS=1 cargo test --test golden golden_errors";
    let mut failed = Vec::new();
    for script in &cases {
        let output = run(script);
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
            true,
            bless_cmd,
        ));
        problems.extend(compare(
            "stdout",
            &output.stdout,
            &script.with_extension("stdout"),
            false,
            bless_cmd,
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
    let bless_cmd = "BLESS=1 cargo test --test golden golden_examples";
    let mut failed = Vec::new();
    let mut missing = Vec::new();
    for script in &cases {
        let source = fs::read_to_string(ROOT_PATH.join(script)).expect("readable example");
        let expected_code = declared_exit(&source);
        let first = run(script);
        let second = run(script);
        let mut problems = Vec::new();
        if first.stdout != second.stdout
            || first.stderr != second.stderr
            || first.code != second.code
        {
            problems.push(format!(
                "two runs differ (not deterministic)\nstdout (- first, + second):\n{}stderr (- first, + second):\n{}",
                diff(&normalize(&first.stdout), &normalize(&second.stdout)),
                diff(&normalize(&first.stderr), &normalize(&second.stderr))
            ));
        }
        if first.stderr.contains("panicked") {
            problems.push("gradlab panicked".to_string());
        }
        let stdout_golden = script.with_extension("stdout");
        if !blessing() && !ROOT_PATH.join(&stdout_golden).exists() {
            // Nothing to compare with yet: say so once, with what the run gives now.
            missing.push(stdout_golden.display().to_string());
            problems.push(format!(
                "no golden file {} yet: check its output, then bless it with: {bless_cmd}\n\
                 (it now exits with {:?}; stderr:\n{})",
                stdout_golden.display(),
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
            true,
            bless_cmd,
        ));
        problems.extend(compare(
            "stderr",
            &first.stderr,
            &script.with_extension("stderr"),
            false,
            bless_cmd,
        ));
        if !problems.is_empty() {
            failed.push((script.clone(), problems));
        }
    }
    finish("example", cases.len(), failed, &missing);
}

static ROOT_PATH: std::sync::LazyLock<PathBuf> = std::sync::LazyLock::new(|| PathBuf::from(ROOT));

#[test]
fn diff_marks_changed_lines() {
    let a: Vec<String> = ["one", "two", "three"].map(String::from).to_vec();
    let b: Vec<String> = ["one", "2", "three", "four"].map(String::from).to_vec();
    let d = diff(&a, &b);
    assert!(d.contains("- two\n"), "{d}");
    assert!(d.contains("+ 2\n"), "{d}");
    assert!(d.contains("+ four\n"), "{d}");
    assert!(d.contains("  one\n"), "{d}");
    assert_eq!(declared_exit("# exit: 1\nlet x = 1"), 1);
    assert_eq!(declared_exit("let x = 1"), 0);
    assert_eq!(normalize("a  \nb\n\n"), ["a", "b"]);
}
