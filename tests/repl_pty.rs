//! End-to-end tests of the interactive REPL in a real pseudo-terminal: what a person
//! at a keyboard does, keystroke by keystroke.

#![cfg(unix)]

mod support;

use std::path::Path;
use std::process::Command;

use expectrl::process::unix::{PtyStream, UnixProcess};
use expectrl::{ControlCode, Expect, Session};
use support::ROOT;
use support::process::{BIN, DEFAULT_TIMEOUT};

type Pty = Session<UnixProcess, PtyStream>;

fn start(name: &str) -> Pty {
    let scratch = Path::new(ROOT).join("target").join("repl-pty");
    std::fs::create_dir_all(&scratch).unwrap();
    let history = scratch.join(format!("{name}.history"));
    let _ = std::fs::remove_file(&history);
    let mut pty = spawn(&history);
    pty.expect("Type :help").unwrap();
    prompt(&mut pty);
    pty
}

/// Starts gradlab in a pty, keeping its history in `history`, without waiting.
fn spawn(history: &Path) -> Pty {
    let mut command = Command::new(BIN);
    command
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env("GRADLAB_HISTORY", history);
    let mut pty = Session::spawn(command).expect("spawn gradlab in a pty");
    pty.set_expect_timeout(Some(DEFAULT_TIMEOUT));
    pty
}

/// Types a line and presses Enter.
fn enter(pty: &mut Pty, line: &str) {
    pty.send(line).unwrap();
    pty.send("\r").unwrap();
}

fn exit_status(mut pty: Pty) -> String {
    let status = pty.get_process_mut().wait().unwrap();
    format!("{status:?}")
}

fn ctrl_d(pty: &mut Pty) {
    pty.send(ControlCode::EndOfTransmission).unwrap();
}

/// Waits for the main prompt.
fn prompt(pty: &mut Pty) {
    pty.expect("grad> ").unwrap();
}

fn continuation(pty: &mut Pty) {
    pty.expect("  ... ").unwrap();
}

/// Declares a one-neuron network and its data, starts training it for `steps`
/// steps, and waits until the run is under way.
fn start_training(pty: &mut Pty, steps: usize) {
    enter(pty, "network net { input 1 dense 1 linear }");
    prompt(pty);
    enter(pty, "data one { x = [[1.0]] y = [[1.0]] }");
    prompt(pty);
    enter(
        pty,
        &format!("train net on one {{ optimizer sgd(lr=0.001) steps {steps} }}"),
    );
    // A step line, not the echo of `steps`: the run is under way.
    pty.expect("  loss ").unwrap();
}

#[test]
fn multi_line_input_continues_then_runs() {
    let mut pty = start("multi_line");
    enter(&mut pty, "network n {");
    continuation(&mut pty);
    enter(&mut pty, "input 2");
    continuation(&mut pty);
    // The rest of the block at once, as a paste without bracketed paste sends it.
    pty.send("dense 3 tanh\r}\r").unwrap();
    continuation(&mut pty);
    prompt(&mut pty);
    enter(&mut pty, "let total = 1 +");
    continuation(&mut pty);
    enter(&mut pty, "41");
    prompt(&mut pty);
    enter(&mut pty, "total");
    pty.expect("42").unwrap();
    prompt(&mut pty);
    enter(&mut pty, ":list");
    pty.expect("2 → 3, 1 layer, 9 parameters").unwrap();
    prompt(&mut pty);
    // A blank line submits an unfinished input, which then reports its error.
    enter(&mut pty, "let broken = (1 +");
    continuation(&mut pty);
    enter(&mut pty, "");
    pty.expect("unexpected end of input").unwrap();
    prompt(&mut pty);
    ctrl_d(&mut pty);
    assert!(exit_status(pty).ends_with(", 0)"));
}

/// Lines typed (or pasted without bracketed paste) while a run is going reach
/// gradlab together; every one of them runs, in order, with its own prompt.
#[test]
fn lines_typed_during_a_run_all_run_in_order() {
    let mut pty = start("type_ahead");
    start_training(&mut pty, 20_000);
    let typed_ahead = [
        "let a = 6",
        "a * 7",
        "network m {",
        "input 1",
        "dense 1 linear",
        "}",
        ":list",
        "a * 100",
    ];
    pty.send(typed_ahead.map(|line| format!("{line}\r")).concat())
        .unwrap();
    pty.expect("after 20000 steps").unwrap();
    // Each line is shown again at a prompt as it is read (grey hints from history
    // may cut its echo in pieces), and its answer follows on lines of their own.
    prompt(&mut pty);
    prompt(&mut pty);
    pty.expect("\r\n42\r\n").unwrap();
    prompt(&mut pty);
    for _continuation_line in 0..3 {
        continuation(&mut pty);
    }
    prompt(&mut pty);
    let list = pty.expect("one  data set").unwrap();
    let list = String::from_utf8_lossy(list.before()).to_string();
    assert!(list.contains("m    network   1 → 1, 1 layer"), "{list}");
    prompt(&mut pty);
    pty.expect("\r\n600\r\n").unwrap();
    prompt(&mut pty);
    ctrl_d(&mut pty);
    assert!(exit_status(pty).ends_with(", 0)"));
}

#[test]
fn tab_completes_names_and_commands() {
    let mut pty = start("completion");
    enter(&mut pty, "let learning_rate = 0.5");
    prompt(&mut pty);
    pty.send("learn\t").unwrap();
    pty.send("\r").unwrap();
    // The value on a line of its own: the grey hint from history ("ing_rate = 0.5")
    // shows "0.5" before the input has run.
    pty.expect("\n0.5").unwrap();
    prompt(&mut pty);
    // Only the completed suffix is echoed; what the line runs shows it completed.
    pty.send(":he\t").unwrap();
    pty.send("\r").unwrap();
    pty.expect("Commands:").unwrap();
    prompt(&mut pty);
    pty.send("leaky_r\t").unwrap();
    pty.send("\r").unwrap();
    pty.expect("\nleaky_relu").unwrap();
    prompt(&mut pty);
    ctrl_d(&mut pty);
    assert!(exit_status(pty).ends_with(", 0)"));
}

/// Tab offers what fits where the cursor is: an optimizer's parameters inside its
/// parentheses, what `show` prints after `show`, activations after `dense WIDTH`.
#[test]
fn tab_completes_from_the_context() {
    let mut pty = start("context_completion");
    enter(&mut pty, "data one { x = [[1.0]] y = [[1.0]] }");
    prompt(&mut pty);
    // `leaky_r` alone after `dense 1 ` completes, as the only activation it starts.
    pty.send("network net { input 1 dense 1 leaky_r\t").unwrap();
    pty.expect("elu").unwrap();
    enter(&mut pty, " }");
    prompt(&mut pty);
    // `mom` is only `momentum=` inside `sgd(`; `grad` only `gradients` after `show`.
    pty.send("train net on one { optimizer sgd(lr=0.1, mom\t")
        .unwrap();
    pty.expect("entum=").unwrap();
    pty.send("0.9) steps 1 show grad\t").unwrap();
    pty.expect("ients").unwrap();
    enter(&mut pty, " }");
    pty.expect("sgd(lr=0.1, momentum=0.9), 1 step").unwrap();
    pty.expect("‖∂L/∂W‖").unwrap();
    pty.expect("leaky_relu").unwrap();
    prompt(&mut pty);
    // Two Tabs after `dense 4 ` list the activations, and nothing else.
    pty.send("network m { input 2 dense 4 \t\t").unwrap();
    let listed = pty.expect("tanh").unwrap();
    let listed = String::from_utf8_lossy(listed.before()).to_string();
    for activation in ["elu", "gelu", "relu", "sigmoid", "softplus"] {
        assert!(listed.contains(activation), "{listed}");
    }
    assert!(!listed.contains("train"), "{listed}");
    // The line is shown again under the list; Ctrl-C then clears it.
    pty.expect("grad> network m").unwrap();
    pty.send(ControlCode::EndOfText).unwrap();
    prompt(&mut pty);
    ctrl_d(&mut pty);
    assert!(exit_status(pty).ends_with(", 0)"));
}

/// In a narrow terminal an error's box fits: the source line is cut around what it
/// points at, and long messages and helps wrap, aligned under themselves.
#[test]
fn error_boxes_fit_a_narrow_terminal() {
    const COLUMNS: usize = 50;
    let mut pty = start("narrow");
    pty.get_process_mut()
        .set_window_size(COLUMNS as u16, 40)
        .unwrap();
    enter(
        &mut pty,
        "let total = 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + nothing + 10 + 11 + 12 + 13",
    );
    pty.expect("Error: unknown name `nothing`").unwrap();
    let report = pty.expect("───╯").unwrap();
    let report = String::from_utf8_lossy(report.before()).to_string();
    let lines: Vec<&str> = report.split("\r\n").collect();
    for line in &lines {
        assert!(line.chars().count() <= COLUMNS, "{line:?} in\n{report}");
    }
    assert!(report.contains("│ …8 + nothing + 10 + 11"), "{report}");
    assert!(
        report.contains("╰───── not declared anywhere above"),
        "{report}"
    );
    assert!(
        lines.contains(&"   │ Help: declare it first with `let`, `network`")
            && lines.contains(&"   │       or `data`"),
        "{report}"
    );
    prompt(&mut pty);
    ctrl_d(&mut pty);
    assert!(exit_status(pty).ends_with(", 0)"));
}

#[test]
fn the_session_survives_an_error() {
    let mut pty = start("error");
    enter(&mut pty, "let a = 20");
    prompt(&mut pty);
    enter(&mut pty, "a + nothing");
    pty.expect("unknown name `nothing`").unwrap();
    prompt(&mut pty);
    enter(&mut pty, "a + 1");
    pty.expect("21").unwrap();
    prompt(&mut pty);
    ctrl_d(&mut pty);
    assert!(exit_status(pty).ends_with(", 0)"));
}

#[test]
fn ctrl_c_stops_a_long_train_and_keeps_the_session() {
    let mut pty = start("interrupt");
    start_training(&mut pty, 10_000_000);
    pty.send(ControlCode::EndOfText).unwrap();
    pty.expect("interrupted").unwrap();
    // `_` keeps the weights the run reached, and the note says they are not the end's.
    pty.expect("note: `_` holds the weights after step ")
        .unwrap();
    pty.expect(" of 10000000: the run was interrupted").unwrap();
    prompt(&mut pty);
    enter(&mut pty, ":show net");
    pty.expect("1 → 1").unwrap();
    prompt(&mut pty);
    // Ctrl-C at the prompt clears the line instead of leaving.
    pty.send("let half_typed = ").unwrap();
    pty.expect("half_typed").unwrap();
    pty.send(ControlCode::EndOfText).unwrap();
    prompt(&mut pty);
    enter(&mut pty, "2 + 2");
    pty.expect("4").unwrap();
    prompt(&mut pty);
    enter(&mut pty, "half_typed");
    pty.expect("unknown name").unwrap();
    prompt(&mut pty);
    ctrl_d(&mut pty);
    assert!(exit_status(pty).ends_with(", 0)"));
}

#[test]
fn ctrl_d_leaves_with_status_zero() {
    let mut pty = start("eof");
    ctrl_d(&mut pty);
    assert!(exit_status(pty).ends_with(", 0)"));
}

/// A history file that is a device (endless, or unwritable) is one warning at the
/// start, and the session works without history.
#[test]
fn a_device_as_history_is_one_warning() {
    for device in ["/dev/zero", "/dev/full"] {
        let mut pty = spawn(Path::new(device));
        let banner = pty.expect("Type :help").unwrap();
        let before = String::from_utf8_lossy(banner.before()).to_string();
        assert!(
            before.contains(&format!(
                "warning: `{device}` is not a regular file but a device, FIFO or socket, \
                 so not read as a history file; starting without it"
            )),
            "{device}: {before}"
        );
        prompt(&mut pty);
        enter(&mut pty, "let a = 20");
        prompt(&mut pty);
        enter(&mut pty, "a + 1");
        let answer = pty.expect("21").unwrap();
        let between = String::from_utf8_lossy(answer.before()).to_string();
        assert!(!between.contains("warning"), "{device}: {between}");
        prompt(&mut pty);
        ctrl_d(&mut pty);
        assert!(exit_status(pty).ends_with(", 0)"), "{device}");
    }
}
