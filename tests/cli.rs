//! End-to-end tests of the `gradlab` command line, and robustness: no input, however
//! broken or large, may make it panic, hang or take long.
//!
//! Most robustness cases spawn the binary. The 2000 pseudo-random inputs and the
//! prefixes of `examples/seed.grad` go through the library (`syntax::parse` +
//! `check::check`) in-process for speed, with a few of them also given to the binary.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gradlab::check::{self, Redeclare, env::Env};
use gradlab::syntax;
use gradlab::syntax::token::KEYWORDS;
use support::ROOT;
use support::process::Output;

const TMP: &str = env!("CARGO_TARGET_TMPDIR");

/// Runs gradlab with `args` from the package root; fails the test if it takes longer
/// than `limit`.
fn gradlab(args: &[&str], limit: Duration) -> Output {
    support::process::gradlab(args).timeout(limit).run()
}

/// Writes `bytes` to a fresh file under the test temp folder.
fn script(name: &str, bytes: &[u8]) -> PathBuf {
    let path = Path::new(TMP).join("cli").join(name);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("temp folder");
    std::fs::write(&path, bytes).expect("temp file");
    path
}

/// Checks (or runs) a script file and asserts it neither panicked nor failed
/// unexpectedly: exit 0 (fine) or 1 (reported errors), within `limit`.
fn survives(mode: &str, path: &Path, limit: Duration) -> Output {
    let shown = path.display().to_string();
    let output = gradlab(&["--color", "never", mode, &shown], limit);
    assert!(
        !output.stderr.contains("panicked") && !output.stderr.contains("stopped unexpectedly"),
        "{shown}: gradlab panicked:\n{}",
        output.stderr
    );
    assert!(
        matches!(output.code, Some(0 | 1)),
        "{shown}: exit code {:?}\n{}",
        output.code,
        output.stderr
    );
    output
}

/// How long one robustness case may take. Generous, for debug builds on a busy
/// machine; every case takes well under a second in release.
const QUICK: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------- the command line

#[test]
fn help_and_version_exit_0() {
    let help = gradlab(&["--help"], QUICK);
    assert_eq!(help.code, Some(0), "{}", help.stderr);
    assert!(help.stdout.contains("Usage"), "{}", help.stdout);
    assert!(help.stdout.contains("check"), "{}", help.stdout);
    let version = gradlab(&["--version"], QUICK);
    assert_eq!(version.code, Some(0), "{}", version.stderr);
    assert!(
        version.stdout.contains(env!("CARGO_PKG_VERSION")),
        "{}",
        version.stdout
    );
}

/// A usage error: exit 2 and one clear line on stderr naming the file.
fn usage_error(path: &str, says: &str) {
    for mode in ["run", "check"] {
        let output = gradlab(&[mode, path], QUICK);
        assert_eq!(output.code, Some(2), "{mode} {path}: {}", output.stderr);
        let lines: Vec<&str> = output.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{mode} {path}: {:?}", output.stderr);
        assert!(lines[0].starts_with("error: "), "{}", lines[0]);
        assert!(lines[0].contains(path), "{}", lines[0]);
        assert!(lines[0].contains(says), "{}", lines[0]);
        assert!(output.stdout.is_empty(), "{}", output.stdout);
    }
}

#[test]
fn missing_file_directory_and_non_utf8_exit_2() {
    usage_error("tests/no/such/file.grad", "cannot read");
    usage_error("tests", "is a directory");
    let bad = script("latin1.grad", b"let caf\xe9 = 1\n");
    usage_error(&bad.display().to_string(), "not UTF-8");
}

/// Only regular files are read as scripts, and only up to the cap: a device is never
/// read, a FIFO never opened (it would wait for a writer), a huge file never loaded.
#[test]
fn devices_fifos_and_huge_files_are_refused_before_reading() {
    usage_error("/dev/zero", "is not a regular file");
    let fifo = Path::new(TMP).join("cli").join("script.fifo");
    std::fs::create_dir_all(fifo.parent().expect("a folder")).expect("temp folder");
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    usage_error(&fifo.display().to_string(), "is not a regular file");
    // Sparse: one byte over the cap without writing 16 MiB.
    let huge = Path::new(TMP).join("cli").join("huge.grad");
    let file = std::fs::File::create(&huge).expect("huge.grad");
    file.set_len(gradlab::text_file::MAX_SCRIPT_BYTES + 1)
        .expect("a sparse file");
    usage_error(&huge.display().to_string(), "is larger than 16 MiB");
}

/// Editors may start a UTF-8 file with a byte order mark; it is not a character of
/// the script.
#[test]
fn a_byte_order_mark_is_skipped() {
    let path = script("bom.grad", "\u{feff}let a = 1\nprint a\n".as_bytes());
    let output = gradlab(&["run", &path.display().to_string()], QUICK);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert_eq!(output.stdout, "1\n");
}

/// A piped session reads a line only up to the cap: `gradlab < /dev/zero` is one
/// endless line, refused with exit status 2.
#[test]
fn endless_piped_input_is_refused() {
    let output = support::process::gradlab(&[])
        .stdin_file(Path::new("/dev/zero"))
        .timeout(QUICK)
        .run();
    assert_eq!(output.code, Some(2), "{}", output.stderr);
    assert_eq!(
        output.stderr,
        "error: an input is longer than 16 MiB, the limit; stopped reading\n"
    );
}

/// `:load` reads only regular files, like a script given on the command line.
#[test]
fn load_refuses_a_device_and_a_directory() {
    let input = script("load.in", b":load /dev/zero\n:load tests\n");
    let output = support::process::gradlab(&[])
        .stdin_file(&input)
        .timeout(QUICK)
        .run();
    assert_eq!(output.code, Some(1), "{}", output.stderr);
    assert_eq!(
        output.stderr,
        "error: `/dev/zero` is not a regular file but a device, FIFO or socket, so not read as a script\n\
         error: `tests` is a directory, not a script\n"
    );
}

/// With `--format json`, a script that cannot be read is a JSON diagnostic on stdout
/// (code `io`, no location), nothing on stderr, and still exit 2.
#[test]
fn json_file_errors_are_json_diagnostics() {
    for mode in ["run", "check"] {
        let output = gradlab(
            &["--format", "json", mode, "tests/no/such/file.grad"],
            QUICK,
        );
        assert_eq!(output.code, Some(2), "{mode}: {}", output.stderr);
        assert!(output.stderr.is_empty(), "{mode}: {}", output.stderr);
        let lines: Vec<&str> = output.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "{mode}: {:?}", output.stdout);
        let event: serde_json::Value = serde_json::from_str(lines[0]).expect("a JSON line");
        assert_eq!(event["event"], "diagnostic", "{event}");
        assert_eq!(event["severity"], "error", "{event}");
        assert_eq!(event["code"], "io", "{event}");
        assert!(event["location"].is_null(), "{event}");
        let message = event["message"].as_str().expect("a message");
        assert!(
            message.contains("cannot read `tests/no/such/file.grad`"),
            "{message}"
        );
    }
}

/// The REPL writes text for a person; `--format json` there is refused, not ignored.
#[test]
fn the_repl_refuses_json() {
    for args in [&["--format", "json"][..], &["--format", "json", "repl"]] {
        let output = gradlab(args, QUICK);
        assert_eq!(output.code, Some(2), "{args:?}: {}", output.stderr);
        assert!(output.stdout.is_empty(), "{args:?}: {}", output.stdout);
        assert!(
            output
                .stderr
                .starts_with("error: the REPL writes text only"),
            "{args:?}: {}",
            output.stderr
        );
    }
}

#[test]
fn every_example_checks() {
    let mut examples: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("examples"))
        .expect("examples/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "grad"))
        .collect();
    examples.sort();
    assert!(!examples.is_empty());
    for example in examples {
        let shown = example.display().to_string();
        let output = gradlab(&["--color", "never", "check", &shown], QUICK);
        assert_eq!(output.code, Some(0), "{shown}:\n{}", output.stderr);
        assert!(output.stderr.is_empty(), "{shown}:\n{}", output.stderr);
    }
}

/// A run of the seed chain long enough to be caught while it trains.
const LONG_RUN: &str = "network chain(depth = 20, w = 2.34) {
    input 1
    repeat depth { dense 1 relu weight=w bias=none }
}
data one { x = [[1.0]] y = [[1.0]] }
train chain on one { optimizer sgd(lr=0.01) remedy clip_norm(1) steps 10000000 }
";

/// `gradlab --format FORMAT run PATH` with stdout piped.
fn spawn_run(format: &str, path: &Path) -> std::process::Child {
    use std::process::{Command, Stdio};
    Command::new(support::process::BIN)
        .args(["--format", format, "run"])
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gradlab starts")
}

/// Standard output is buffered, but only step lines may wait in the buffer: a pipe
/// reader sees a run's first line while the run is still training.
#[test]
fn a_run_line_arrives_before_the_run_ends() {
    use std::io::{BufRead, BufReader};
    let path = script("long_run.grad", LONG_RUN.as_bytes());
    for (format, first) in [("text", "train chain on one"), ("json", r#""event":"run""#)] {
        let mut child = spawn_run(format, &path);
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver.recv_timeout(QUICK);
        let still_running = child.try_wait().expect("waiting for gradlab").is_none();
        let _ = child.kill();
        let _ = child.wait();
        let line = line.unwrap_or_else(|_| panic!("{format}: no line within {QUICK:?}"));
        assert!(line.contains(first), "{format}: {line}");
        assert!(still_running, "{format}: the run ended first");
    }
}

/// Ctrl-C during a run stops it at its next step: the steps printed so far and the
/// run's summary, marked interrupted, reach stdout, in both formats, the rest of the
/// script is skipped, and the exit status is 130.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_run_with_its_summary() {
    use std::io::{BufRead, BufReader};
    let path = script(
        "interrupted_run.grad",
        format!("{LONG_RUN}print 7\n").as_bytes(),
    );
    for (format, step, end, after) in [
        ("text", "  loss ", "interrupted", "\n7\n"),
        (
            "json",
            r#""event":"step""#,
            r#""stop_reason":"interrupted""#,
            r#""event":"print""#,
        ),
    ] {
        let mut child = spawn_run(format, &path);
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut seen = String::new();
        while !seen.contains(step) {
            let mut line = String::new();
            if stdout.read_line(&mut line).expect("reading stdout") == 0 {
                panic!("{format}: stdout ended before a step: {seen}");
            }
            seen += &line;
        }
        let (rest, status) = ctrl_c(child, stdout, format);
        assert!(rest.contains(end), "{format}: {rest}");
        assert!(
            !rest.contains(after),
            "{format}: the script went on: {rest}"
        );
        assert_eq!(status.code(), Some(130), "{format}");
    }
}

/// Sends SIGINT to `child` and hands back the rest of its `stdout` and its exit status.
#[cfg(unix)]
fn ctrl_c(
    mut child: std::process::Child,
    mut stdout: impl std::io::Read + Send + 'static,
    format: &str,
) -> (String, std::process::ExitStatus) {
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
        let _ = sender.send(rest);
    });
    let rest = receiver.recv_timeout(QUICK);
    let status = child.wait().expect("gradlab ends");
    let rest = rest.unwrap_or_else(|_| panic!("{format}: no end within {QUICK:?}"));
    (rest, status)
}

/// The first lines of a script whose `compare` or `sweep` outlasts any test: a `print`
/// that says the table's runs are about to start.
#[cfg(unix)]
const LONG_TABLE_PRELUDE: &str = "network chain(depth = 20, w = 0.9) {
    input 1
    repeat depth { dense 1 relu weight=w bias=none }
}
data one { x = [[1.0]] y = [[1.0]] }
print 1
";

/// Runs `script`, sends Ctrl-C once its `print` line is out and the table's runs have
/// had time to start, and hands back everything printed after that line.
#[cfg(unix)]
fn interrupt_table(name: &str, format: &str, script_text: &str) -> String {
    use std::io::{BufRead, BufReader};
    let path = script(
        name,
        format!("{LONG_TABLE_PRELUDE}{script_text}").as_bytes(),
    );
    let mut child = spawn_run(format, &path);
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    assert_ne!(
        stdout.read_line(&mut line).expect("reading stdout"),
        0,
        "{format}: no print"
    );
    // Long enough for the runs to be under way, far shorter than any of the long ones.
    std::thread::sleep(Duration::from_millis(500));
    let (rest, status) = ctrl_c(child, stdout, format);
    assert_eq!(status.code(), Some(130), "{format}: {rest}");
    rest
}

/// The `N` of the "interrupted after N of M WHAT" line under a text table.
#[cfg(unix)]
fn finished_of(table: &str, total: usize, what: &str) -> usize {
    let line = table
        .lines()
        .find(|l| l.starts_with("interrupted after "))
        .unwrap_or_else(|| panic!("no interrupted line: {table}"));
    let rest = line.trim_start_matches("interrupted after ");
    let (finished, rest) = rest.split_once(' ').expect("a count");
    assert!(rest.starts_with(&format!("of {total} {what}:")), "{line}");
    finished.parse().expect("a number")
}

/// The compare or sweep event of a JSON run, checked for the facts every interrupted
/// table gives: `interrupted`, and `finished` = the rows whose run was not cut short,
/// each of which (and none other) has the verdict `interrupted`.
#[cfg(unix)]
fn interrupted_json_rows(rest: &str, event: &str, rows: &str) -> Vec<serde_json::Value> {
    let table: serde_json::Value = rest
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .find(|e| e["event"] == event)
        .unwrap_or_else(|| panic!("no {event} event: {rest}"));
    let rows = table[rows].as_array().expect("rows").clone();
    let cut_short = rows
        .iter()
        .filter(|r| r["stop_reason"] == "interrupted")
        .count();
    for row in &rows {
        assert_eq!(
            row["verdict"] == "interrupted",
            row["stop_reason"] == "interrupted",
            "{row}"
        );
    }
    assert_eq!(table["interrupted"], true, "{table}");
    assert_eq!(table["finished"], rows.len() - cut_short, "{table}");
    rows
}

/// Ctrl-C during a `compare`: the rows cut short (here all: each runs 10⁷ steps, and the
/// ones not yet started stop at their first step) read `interrupted`, never `healthy`,
/// and the table says how many finished; JSON says the same.
#[cfg(unix)]
#[test]
fn ctrl_c_during_compare_marks_the_unfinished_rows() {
    let compare = "compare chain on one {
    optimizer sgd(lr=0.01)
    steps 10000000
    variant clip_norm(1)
    variant depth(3)
    variant clip_norm(1) + depth(3)
}
print 7
";
    let text = interrupt_table("interrupted_compare.grad", "text", compare);
    assert_eq!(finished_of(&text, 4, "variants"), 0, "{text}");
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| {
            ["baseline", "clip_norm", "depth"]
                .iter()
                .any(|v| l.trim_start().starts_with(v))
        })
        .collect();
    assert_eq!(rows.len(), 4, "{text}");
    for row in rows {
        assert!(row.ends_with("  interrupted"), "{row}");
    }
    assert!(!text.contains("healthy"), "{text}");
    assert!(!text.contains("\n7\n"), "the script went on: {text}");

    let json = interrupt_table("interrupted_compare.grad", "json", compare);
    let rows = interrupted_json_rows(&json, "compare", "rows");
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r["verdict"] == "interrupted"), "{json}");
}

/// Ctrl-C during a `sweep` whose first points are one and two steps long and whose last
/// are 10⁷: the long ones read `interrupted` (an interrupted run's number reads — under
/// another metric), the count under the table matches the points that are not
/// interrupted, and JSON says the same per point.
#[cfg(unix)]
#[test]
fn ctrl_c_during_sweep_marks_the_unfinished_points() {
    let sweep = "sweep chain(steps in [1, 2, 10000000, 10000000]) on one {
    optimizer sgd(lr=0.01)
    metric verdict
}
";
    let text = interrupt_table("interrupted_sweep.grad", "text", sweep);
    let finished = finished_of(&text, 4, "points");
    let points: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(points.len(), 4, "{text}");
    let cut_short = points
        .iter()
        .filter(|l| l.ends_with(" interrupted"))
        .count();
    assert_eq!(finished, 4 - cut_short, "{text}");
    for long in &points[2..] {
        assert!(long.ends_with(" interrupted"), "{long}");
    }
    // The header's list of verdicts names the one the unfinished points read.
    assert!(
        text.contains(": verdict = diverged, exploding, vanishing, dead, unstable, stuck, plateau, healthy or interrupted, each run"),
        "{text}"
    );

    let json = interrupt_table("interrupted_sweep.grad", "json", sweep);
    let points = interrupted_json_rows(&json, "sweep", "points");
    assert_eq!(points.len(), 4);
    for long in &points[2..] {
        assert_eq!(long["value"], "interrupted", "{long}");
        assert_eq!(long["stop_reason"], "interrupted", "{long}");
    }

    let numbers = interrupt_table(
        "interrupted_sweep_loss.grad",
        "text",
        &sweep.replace("metric verdict", "metric final_loss"),
    );
    let long: Vec<&str> = numbers
        .lines()
        .filter(|l| l.trim_start().starts_with("10000000"))
        .collect();
    assert_eq!(long.len(), 2, "{numbers}");
    for point in long {
        assert!(point.ends_with(" —"), "{point}");
    }
}

/// A reader that closes the pipe (`gradlab run x | head -1`) stops the run at its next
/// step, quietly: no message, and the exit status a closed pipe gives other tools, 141.
#[cfg(unix)]
#[test]
fn a_closed_pipe_stops_the_run() {
    use std::io::{BufRead, BufReader};
    let path = script("closed_pipe.grad", LONG_RUN.as_bytes());
    for format in ["text", "json"] {
        let mut child = spawn_run(format, &path);
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("reading stdout");
        assert!(!line.is_empty(), "{format}: no first line");
        drop(stdout);
        let status = exit_within(child, QUICK)
            .unwrap_or_else(|| panic!("{format}: still running {QUICK:?} after the pipe closed"));
        assert_eq!(status.code(), Some(141), "{format}");
    }
}

/// Regression: a closed pipe was noticed only at the next printed line, and a long
/// run prints nothing between its plateau and its end (13 s in release here, minutes
/// in a debug build, for `LONG_RUN`). Now a watcher notices the reader has gone within
/// a second while nothing is written, and the run stops as at a failed write: exit 141.
#[cfg(unix)]
#[test]
fn a_closed_pipe_stops_a_quiet_run() {
    use std::io::{BufRead, BufReader};
    const SOON: Duration = Duration::from_secs(10);
    let path = script("quiet_closed_pipe.grad", LONG_RUN.as_bytes());
    let mut child = spawn_run("text", &path);
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    // The text output elides the steps between the plateau and the end: after the line
    // that follows the first `⋮`, nothing more comes until the run is over.
    let mut seen = String::new();
    let mut elided = false;
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).expect("reading stdout") == 0 {
            panic!("stdout ended early: {seen}");
        }
        seen += &line;
        if elided {
            break;
        }
        elided = line.contains('⋮');
    }
    drop(stdout);
    let status = exit_within(child, SOON)
        .unwrap_or_else(|| panic!("still running {SOON:?} after the pipe closed"));
    assert_eq!(status.code(), Some(141), "{seen}");
}

/// `child`'s exit status, or `None` (and the child killed) if it runs past `limit`.
#[cfg(unix)]
fn exit_within(
    mut child: std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waiting for gradlab") {
            return Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Output that cannot be written (a full disk) is an I/O error, exit 2, said on stderr.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_an_error() {
    for format in ["text", "json"] {
        let output = std::process::Command::new(support::process::BIN)
            .args(["--format", format, "run", "examples/seed.grad"])
            .current_dir(ROOT)
            .stdin(std::process::Stdio::null())
            .stdout(std::fs::File::create("/dev/full").expect("/dev/full opens"))
            .output()
            .expect("gradlab runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{format}: {stderr}");
        assert!(
            stderr.contains("error: cannot write the output: No space left on device"),
            "{format}: {stderr}"
        );
    }
}

/// JSON writes weight matrices only on the steps the text report shows (the first,
/// the last, every `every`-th), not on all of them: `show gradients every 1` wrote 3 GB.
#[test]
fn json_matrices_only_on_shown_steps() {
    let run = |show: &str| {
        let text = format!(
            "network n {{ input 2 dense 3 relu dense 1 linear }}
data d {{ x = [[1.0, 2.0]] y = [[1.0]] }}
train n on d {{ optimizer sgd(lr=0.01) steps 100 {show} }}
"
        );
        let path = script("matrices.grad", text.as_bytes());
        let output = gradlab(
            &["--format", "json", "run", &path.display().to_string()],
            QUICK,
        );
        assert_eq!(output.code, Some(0), "{}", output.stderr);
        let steps: Vec<serde_json::Value> = output
            .stdout
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .filter(|event: &serde_json::Value| event["event"] == "step")
            .collect();
        assert_eq!(steps.len(), 100);
        steps
            .iter()
            .filter(|step| step["layers"][0].get("grad_weights").is_some())
            .map(|step| step["step"].as_u64().expect("a step number"))
            .collect::<Vec<u64>>()
    };
    let tens: Vec<u64> = std::iter::once(1).chain((1..=10).map(|n| n * 10)).collect();
    assert_eq!(run("show gradients"), tens);
    let fifties = vec![1, 25, 50, 75, 100];
    assert_eq!(run("show weights every 25"), fifties);
}

/// Matrices too large for the run's budget are not written, and a warning says so.
#[test]
fn json_matrices_over_the_budget_are_left_out_with_a_warning() {
    let text = "network n { input 1 dense 1600 linear dense 1600 linear dense 1 linear }
data d { x = [[1.0]] y = [[1.0]] }
train n on d { optimizer sgd(lr=0.01) steps 3 show gradients every 1 }
";
    let path = script("matrices_too_large.grad", text.as_bytes());
    let output = gradlab(
        &["--format", "json", "run", &path.display().to_string()],
        QUICK,
    );
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert!(
        output.stdout.len() < 100_000,
        "{} bytes",
        output.stdout.len()
    );
    assert!(!output.stdout.contains("grad_weights"));
    let warning = output
        .stdout
        .lines()
        .find(|line| line.contains(r#""code":"too_large""#))
        .unwrap_or_else(|| panic!("no warning: {}", output.stdout));
    assert!(
        warning.contains("the weight matrices are not written"),
        "{warning}"
    );
}

// ---------------------------------------------------------------- deep and long input

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    const N: usize = 100_000;
    for (name, open, close) in [
        ("paren", "(", ")"),
        ("bracket", "[", "]"),
        ("brace", "{", "}"),
    ] {
        let text = format!("let x = {}1{}\n", open.repeat(N), close.repeat(N));
        let path = script(&format!("nested_{name}.grad"), text.as_bytes());
        let output = survives("run", &path, QUICK);
        assert_eq!(output.code, Some(1));
        assert!(
            output.stderr.contains("nesting deeper"),
            "{}",
            output.stderr
        );
        // Unclosed, too.
        let path = script(&format!("open_{name}.grad"), open.repeat(N).as_bytes());
        survives("run", &path, QUICK);
    }
}

#[test]
fn many_unary_minuses() {
    let text = format!("let x = {}1\nprint x\n", "-".repeat(100_000));
    survives("run", &script("minuses.grad", text.as_bytes()), QUICK);
}

#[test]
fn long_operator_chain() {
    let terms = vec!["1"; 100_000].join("+");
    let text = format!("let x = {terms}\nprint x\n");
    let output = survives("run", &script("chain.grad", text.as_bytes()), QUICK);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert_eq!(output.stdout.trim(), "100000");
    // Mixed operators and powers, on one line.
    let terms = vec!["2^1*3/3-1"; 30_000].join("+");
    let text = format!("print {terms}\n");
    let output = survives("run", &script("mixed_chain.grad", text.as_bytes()), QUICK);
    assert_eq!(output.stdout.trim(), "30000");
}

/// Regression: 700 000 operators in one expression overflowed the stack in every
/// recursive pass (exit 134). They are refused before parsing, in `check` and `run`.
#[test]
fn too_long_operator_chain_is_refused_not_overflowed() {
    for (name, text) in [
        (
            "sum",
            format!("let a = 1{}\nprint a\n", "+1".repeat(700_000)),
        ),
        // Powers of negations nest on the right: no `+` between them.
        (
            "power",
            format!("let a = 1{}\nprint a\n", "^-1".repeat(100_000)),
        ),
    ] {
        let path = script(&format!("too_long_{name}.grad"), text.as_bytes());
        for mode in ["check", "run"] {
            let output = survives(mode, &path, QUICK);
            assert_eq!(output.code, Some(1), "{name} {mode}");
            assert!(
                output
                    .stderr
                    .starts_with("Error: expression deeper than 100000 operators"),
                "{name} {mode}: {}",
                &output.stderr[..output.stderr.len().min(300)]
            );
        }
    }
}

/// Regression: joining remedies with `+` copied the list so far at every term, so
/// 20 000 terms took over two minutes in a debug build; now well under a second.
#[test]
fn long_remedy_join_is_linear() {
    let terms = vec!["clip_norm(1)"; 20_000].join(" + ");
    let text = format!("let r = {terms}\nprint r\n");
    let path = script("remedy_join.grad", text.as_bytes());
    let output = survives("run", &path, QUICK);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert_eq!(output.stdout.trim(), terms);
}

/// Regression: nested repeats of an empty body looped 10^12 times.
#[test]
fn nested_empty_repeats_do_not_hang() {
    let text = "network n {\n input 1\n repeat 10000 { repeat 10000 { repeat 10000 { } } }\n dense 1 relu\n}\n";
    let output = survives(
        "check",
        &script("empty_repeats.grad", text.as_bytes()),
        QUICK,
    );
    assert_eq!(output.code, Some(0), "{}", output.stderr);
}

/// A big script must be checked in a few seconds. In release, 600 000 `let` lines
/// (9.6 MB) check in about 2.5 s of CPU; a debug build is roughly 15 times slower,
/// so it checks a tenth of the lines to keep `cargo test` short.
#[test]
fn large_script_checks_quickly() {
    let lines = if cfg!(debug_assertions) {
        60_000
    } else {
        600_000
    };
    let mut text = String::with_capacity(lines * 16);
    for i in 0..lines {
        text.push_str(&format!("let v{i:06} = {}\n", i % 10));
    }
    let path = script("large.grad", text.as_bytes());
    let output = survives("check", &path, Duration::from_secs(120));
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    eprintln!("checked {} bytes in {:?}", text.len(), output.elapsed);
}

/// Many failing lines: reports stop after a fixed number, and time stays linear.
/// A report shows a window of a long source line, not the whole line: ten errors on
/// one 400 KB line made 10 MB of stderr. The header keeps the true column.
#[test]
fn long_lines_are_cut_in_reports() {
    let line = format!(
        "let a = 1{}{}{}",
        " + 1".repeat(50_000),
        " + @".repeat(5),
        " + 1".repeat(50_000)
    );
    let path = script("long_line.grad", format!("let b = 2\n{line}\n").as_bytes());
    let output = survives("check", &path, QUICK);
    assert_eq!(output.code, Some(1));
    assert!(
        output.stderr.len() < 20_000,
        "{} bytes of stderr",
        output.stderr.len()
    );
    assert_eq!(output.stderr.matches("unexpected character").count(), 5);
    assert!(
        output.stderr.contains("long_line.grad:2:200013 ]"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains(" 2 │ …1 + 1"), "{}", output.stderr);
    let longest = output.stderr.lines().map(|l| l.chars().count()).max();
    assert!(longest < Some(260), "a line of {longest:?} characters");
}

#[test]
fn many_errors_are_capped() {
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!("let v{i} = missing{i} + 1\n"));
    }
    let path = script("many_errors.grad", text.as_bytes());
    let output = survives("check", &path, QUICK);
    assert_eq!(output.code, Some(1));
    assert_eq!(
        output.stderr.matches("Error:").count(),
        check::MAX_CHECK_ERRORS
    );
    assert!(
        output.stderr.contains("checking stopped"),
        "{}",
        output.stderr
    );
    let path_text = path.display().to_string();
    let json = gradlab(&["--format", "json", "check", &path_text], QUICK);
    assert_eq!(json.code, Some(1));
}

// ---------------------------------------------------------------- broken input

/// xorshift64*: a fixed, dependency-free pseudo-random sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Pieces of gradlab besides the keywords, so that random inputs reach deep into the parser and checker
/// rather than stopping at the first unknown byte.
const VOCABULARY: &[&str] = &[
    "x",
    "y",
    "n",
    "d",
    "depth",
    "w",
    "relu",
    "tanh",
    "leaky_relu",
    "linear",
    "mse",
    "cross_entropy",
    "sgd",
    "adam",
    "lr",
    "loss",
    "optimizer",
    "steps",
    "epochs",
    "batch",
    "remedy",
    "show",
    "gradients",
    "clip_norm",
    "init",
    "he_normal",
    "weight",
    "bias",
    "batchnorm",
    "forward",
    "xor",
    "sqrt",
    "variant",
    "metric",
    "f64",
    "0",
    "1",
    "2",
    "3",
    "0.5",
    "1e3",
    "1e999",
    "-",
    "+",
    "*",
    "/",
    "^",
    "=",
    "..",
    ",",
    ";",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\"s\"",
    "\"",
    "'",
    ":",
    "#",
    "\n",
    " ",
    "é",
    "\u{0}",
];

fn random_input(rng: &mut Rng) -> Vec<u8> {
    // A few dozen bytes to a few KB.
    let len = 24 + rng.below(4000);
    let mut bytes = Vec::with_capacity(len + 16);
    let soup = rng.below(4) != 0;
    while bytes.len() < len {
        if soup {
            let words = VOCABULARY.len() + KEYWORDS.len();
            let pick = rng.below(words);
            let word = VOCABULARY
                .get(pick)
                .copied()
                .unwrap_or_else(|| KEYWORDS[pick - VOCABULARY.len()]);
            bytes.extend_from_slice(word.as_bytes());
            bytes.push(b' ');
        } else {
            bytes.push(rng.next() as u8);
        }
    }
    bytes
}

/// Parses and checks each input with the library on a thread with the binary's large
/// stack, returning the inputs that panicked.
fn check_in_process(inputs: Vec<(String, String)>) -> Vec<String> {
    std::thread::Builder::new()
        .stack_size(512 * 1024 * 1024)
        .spawn(move || {
            let mut failures = Vec::new();
            for (label, text) in inputs {
                let result = std::panic::catch_unwind(|| {
                    let parsed = syntax::parse(&text, 0);
                    // Partial trees (after syntax errors) are checked too: the session
                    // never does, but the checker must cope with `Error` nodes.
                    if let Some(program) = parsed.program {
                        let mut env = Env::default();
                        check::check(&program, &mut env, Redeclare::Error);
                    }
                });
                if result.is_err() {
                    failures.push(format!("{label}: {text:?}"));
                }
            }
            failures
        })
        .expect("thread")
        .join()
        .expect("checker thread")
}

#[test]
fn random_inputs_do_not_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut inputs = Vec::new();
    let mut for_binary = Vec::new();
    for i in 0..2000 {
        let bytes = random_input(&mut rng);
        if i % 400 == 0 {
            for_binary.push((i, bytes.clone()));
        }
        inputs.push((
            format!("random input {i}"),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    let start = Instant::now();
    let failures = check_in_process(inputs);
    assert!(failures.is_empty(), "panics:\n{}", failures.join("\n"));
    assert!(
        start.elapsed() < Duration::from_secs(120),
        "{:?}",
        start.elapsed()
    );
    for (i, bytes) in for_binary {
        let path = script(&format!("random_{i}.grad"), &bytes);
        let output = gradlab(
            &["--color", "never", "check", &path.display().to_string()],
            QUICK,
        );
        // Raw bytes may not be UTF-8, which is a usage error (2), not a crash.
        assert!(
            matches!(output.code, Some(0..=2)) && !output.stderr.contains("panicked"),
            "random input {i}: exit {:?}\n{}",
            output.code,
            output.stderr
        );
    }
}

#[test]
fn every_prefix_of_the_seed_example() {
    let seed = std::fs::read_to_string(Path::new(ROOT).join("examples/seed.grad"))
        .expect("examples/seed.grad");
    let inputs: Vec<(String, String)> = (0..=seed.len())
        .filter(|&n| seed.is_char_boundary(n))
        .map(|n| (format!("prefix of {n} bytes"), seed[..n].to_string()))
        .collect();
    let failures = check_in_process(inputs);
    assert!(failures.is_empty(), "panics:\n{}", failures.join("\n"));
    // A few through the binary, including one cut inside a multi-byte character.
    for n in [1, seed.len() / 3, seed.len() / 2, seed.len() - 1] {
        let path = script(&format!("prefix_{n}.grad"), &seed.as_bytes()[..n]);
        let output = gradlab(
            &["--color", "never", "check", &path.display().to_string()],
            QUICK,
        );
        assert!(
            matches!(output.code, Some(0..=2)) && !output.stderr.contains("panicked"),
            "prefix {n}: exit {:?}\n{}",
            output.code,
            output.stderr
        );
    }
    let cut = seed.find('≈').expect("a multi-byte character") + 1;
    let path = script("prefix_mid_char.grad", &seed.as_bytes()[..cut]);
    let output = gradlab(&["check", &path.display().to_string()], QUICK);
    assert_eq!(output.code, Some(2), "{}", output.stderr);
}

// ---------------------------------------------------------------- findings' wording

/// When only the global norm rule fires (the gradient does not grow ×2 per layer), the
/// layers that amplify the backward signal (gain above 1) are still the cause: the
/// warning blames them and the `init=` that sets their weights, not the last layer,
/// whose ‖∂L/∂W‖ is the largest but whose gain is 0.6.
#[test]
fn exploding_by_norm_blames_the_amplifying_layers_and_their_init() {
    let path = script(
        "explode_norm.grad",
        b"seed 1
network wild(depth = 10, width = 8) {
    input 2
    repeat depth { dense width relu init=normal(0, 1) }
    dense 1 linear
}
train wild on xor() { optimizer sgd(lr=0.01) steps 1 }
",
    );
    let out = survives("run", &path, QUICK);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "layers 2–10 multiply the backward signal by 1.080 to 2.789; `init=normal(0, 1)` sets their weights"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("explode_norm.grad:4:"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("layer 11"), "{}", out.stderr);
}

/// A vanishing gradient in ReLU layers is a matter of scale (PyTorch's default init
/// shrinks the signal ×0.41 per ReLU layer): the help names He's init, and does not
/// suggest `relu` to a network that already uses it.
#[test]
fn vanishing_in_relu_layers_suggests_he_init() {
    let path = script(
        "vanish_relu.grad",
        b"seed 1
network deep(depth = 20, width = 8) {
    input 1
    repeat depth { dense width relu }
    dense 1 linear
}
train deep on sine(32) { steps 1 }
",
    );
    let out = survives("run", &path, QUICK);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("vanishing gradients at step 1"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("`remedy init(he_normal)`"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("`relu` or `leaky_relu`"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("xavier"), "{}", out.stderr);
}

#[test]
fn budget_options_are_checked_and_reach_the_repl() {
    for bad in [
        ["--max-memory", "lots"],
        ["--max-memory", "0"],
        ["--max-work", "fast"],
    ] {
        let output = gradlab(
            &[bad[0], bad[1], "check", "examples/seed_chain.grad"],
            QUICK,
        );
        assert_eq!(output.code, Some(2), "{bad:?}: {}", output.stderr);
        assert!(output.stderr.contains(bad[1]), "{}", output.stderr);
    }
    // The REPL checks every input against the limits it was started with, and a
    // refused run leaves the session going.
    let input = script(
        "budget-repl.grad",
        b"data a = linear(100000)\nprint 1 + 1\n",
    );
    let output = support::process::gradlab(&["--max-memory", "1M"])
        .stdin_file(&input)
        .timeout(QUICK)
        .run();
    assert!(
        output.stderr.contains("more than the 1.0 MiB memory limit"),
        "{}",
        output.stderr
    );
    assert_eq!(output.stdout.trim(), "2");
}

/// A deep tanh classifier stuck at chance has no gradient warning, yet it learned
/// nothing: `compare` calls it `stuck`, not `healthy`, and shows the accuracy beside the
/// loss (a classification loss of 0.69 says little on its own); a regression has no
/// accuracy column. `tests/json_output.rs` checks the same script's JSON rows.
#[test]
fn compare_calls_a_classifier_at_chance_stuck_and_shows_its_accuracy() {
    let out = survives("run", Path::new("tests/json/stuck_classifier.grad"), QUICK);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let row = |label: &str| {
        out.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} row: {}", out.stdout))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert!(out.stdout.contains(" accuracy "), "{}", out.stdout);
    assert_eq!(row("baseline")[3], "50.00%", "{}", out.stdout);
    assert_eq!(row("baseline").last(), Some(&"stuck"), "{}", out.stdout);
    assert_eq!(row("init(").last(), Some(&"healthy"), "{}", out.stdout);
    let headers: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("variant "))
        .collect();
    assert_eq!(headers.len(), 2, "{}", out.stdout);
    assert!(!headers[1].contains("accuracy"), "{}", out.stdout);
}
