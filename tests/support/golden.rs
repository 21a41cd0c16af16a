//! The one golden-file helper. A golden file holds the output a test expects, byte
//! for byte. `BLESS=1` (any value but empty or `0`) rewrites the files with what the
//! tests print now; otherwise a mismatch fails with a line diff and the command that
//! rewrites the file. Read the diff (`git diff`) before committing a re-bless.

use std::path::Path;

use super::ROOT;

/// Whether this run rewrites golden files instead of comparing them.
pub fn blessing() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// What a missing golden file means.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Absent {
    /// It must exist: its absence fails the test.
    Fails,
    /// No file means "no output"; blessing empty output removes the file.
    MeansEmpty,
}

/// Compares `actual` with the golden file at `path` (relative to the package root),
/// or rewrites the file when blessing; panics on a mismatch.
pub fn assert_golden(path: impl AsRef<Path>, actual: &str) {
    if let Err(mismatch) = check_golden(path.as_ref(), actual, Absent::Fails) {
        panic!("{mismatch}");
    }
}

/// [`assert_golden`] for tests that gather every mismatch before failing: the
/// mismatch, with its diff, as an error.
pub fn check_golden(path: &Path, actual: &str, absent: Absent) -> Result<(), String> {
    let full = Path::new(ROOT).join(path);
    if blessing() {
        if actual.is_empty() && absent == Absent::MeansEmpty {
            let _ = std::fs::remove_file(&full);
        } else {
            std::fs::write(&full, actual)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", full.display()));
        }
        return Ok(());
    }
    let expected = match std::fs::read_to_string(&full) {
        Ok(expected) => expected,
        Err(_) if absent == Absent::MeansEmpty => String::new(),
        Err(_) => {
            return Err(format!(
                "missing golden file {}; check the output, then write it with: {}",
                path.display(),
                bless_command()
            ));
        }
    };
    if expected == actual {
        return Ok(());
    }
    Err(format!(
        "{} differs (- expected, + actual):\n{}re-bless with: {}",
        path.display(),
        diff(&expected, actual),
        bless_command()
    ))
}

/// The command that rewrites the golden files of the running test.
pub fn bless_command() -> String {
    let suite = env!("CARGO_CRATE_NAME");
    // libtest names each test's thread after the test (unless tests run on the main
    // thread, with --test-threads=1).
    match std::thread::current().name() {
        Some(test) if test != "main" => format!("BLESS=1 cargo test --test {suite} {test}"),
        _ => format!("BLESS=1 cargo test --test {suite}"),
    }
}

/// A line diff of `expected` and `actual` (`-` expected, `+` actual), with two lines
/// of context around each change. A difference only in the final newline shows too.
pub fn diff(expected: &str, actual: &str) -> String {
    const CONTEXT: usize = 2;
    let expected = lines(expected);
    let actual = lines(actual);
    let (n, m) = (expected.len(), actual.len());
    if n * m > 4_000_000 {
        let first = expected
            .iter()
            .zip(&actual)
            .position(|(a, b)| a != b)
            .unwrap_or(n.min(m));
        return format!(
            "  (too long for a full diff) first difference at line {}:\n- {}\n+ {}\n",
            first + 1,
            expected.get(first).copied().unwrap_or("<end>"),
            actual.get(first).copied().unwrap_or("<end>")
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
            ops.push((' ', expected[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', expected[i]));
            i += 1;
        } else {
            ops.push(('+', actual[j]));
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    let mut out = String::new();
    let mut last_shown: Option<usize> = None;
    for (k, &(op, line)) in ops.iter().enumerate() {
        if !changed.iter().any(|&c| c.abs_diff(k) <= CONTEXT) {
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

/// The lines of `text`; a missing final newline is a line of its own, so that the
/// diff can show it.
fn lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    if !text.is_empty() && !text.ends_with('\n') {
        lines.push("<no newline at end>");
    }
    lines
}
