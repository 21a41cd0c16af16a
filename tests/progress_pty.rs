//! The progress bar of a long run, as a person sees it: drawn on a terminal's stderr,
//! never in piped output.

#![cfg(unix)]

mod support;

use std::process::Command;

use expectrl::process::unix::{PtyStream, UnixProcess};
use expectrl::{Expect, Session};
use support::ROOT;
use support::process::{BIN, DEFAULT_TIMEOUT, gradlab};

/// About three seconds of training in a debug build: long enough for the bar, which
/// appears after one second.
const LONG_RUN: &str = "
network net(depth = 8) {
  input 2
  repeat depth { dense 16 tanh }
  dense 1 sigmoid
}
train net on xor() { steps 6000 every 3000 optimizer adam(0.01) loss bce }
";

/// The script, written once: the tests run in parallel, and a second write while
/// another test's gradlab reads the file could hand it a truncated script.
fn script() -> std::path::PathBuf {
    static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("progress-long.grad");
        std::fs::write(&path, LONG_RUN).unwrap();
        path
    })
    .clone()
}

#[test]
fn a_long_run_shows_its_progress_on_a_terminal() {
    let mut command = Command::new(BIN);
    command
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .arg("run")
        .arg(script());
    let mut pty: Session<UnixProcess, PtyStream> = Session::spawn(command).unwrap();
    pty.set_expect_timeout(Some(DEFAULT_TIMEOUT));
    // Steps done of the total, the rate, the time left and the loss.
    pty.expect(expectrl::Regex(
        r"step [0-9,]+/6,000 .* steps/s · \S+ left · loss 0\.\d{4}",
    ))
    .unwrap();
    // The run ends with its summary, and the bar leaves no trace after it.
    pty.expect("after 6000 steps").unwrap();
    let rest = pty.expect(expectrl::Eof).unwrap();
    let tail = String::from_utf8_lossy(rest.before());
    assert!(!tail.contains("steps/s"), "{tail}");
}

#[test]
fn piped_output_has_no_progress() {
    let output = gradlab(&["run"]).arg(script()).run();
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert!(
        output.stdout.contains("after 6000 steps"),
        "{}",
        output.stdout
    );
    for stream in [&output.stdout, &output.stderr] {
        assert!(!stream.contains("steps/s"), "{stream}");
        assert!(!stream.contains('\r'), "{stream:?}");
    }
}

#[test]
fn the_repl_shows_progress_too() {
    let mut command = Command::new(BIN);
    command
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env(
            "GRADLAB_HISTORY",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("progress-history"),
        );
    let mut pty: Session<UnixProcess, PtyStream> = Session::spawn(command).unwrap();
    pty.set_expect_timeout(Some(DEFAULT_TIMEOUT));
    pty.expect("grad> ").unwrap();
    let input = std::fs::read_to_string(script())
        .unwrap()
        .replace('\n', " ");
    pty.send(input.trim()).unwrap();
    pty.send("\r").unwrap();
    pty.expect(expectrl::Regex(r"step [0-9,]+/6,000 .* steps/s"))
        .unwrap();
    pty.expect("after 6000 steps").unwrap();
    pty.expect("grad> ").unwrap();
    pty.send(":quit\r").unwrap();
}
