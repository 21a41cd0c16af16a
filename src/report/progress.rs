//! Progress of a long run on a terminal: steps done, steps per second, the time left and
//! the current loss; for `compare` and `sweep`, the runs done. A bar appears only on a
//! terminal's stderr, and only once a run has taken a second, so short runs, piped
//! output, JSON and golden files never see one.
//!
//! Everything the session prints while a bar is up must go through [`Progress::hide_while`]
//! (see [`ClearsProgress`]), or the bar and the text would share a line.

use std::fmt;
use std::io::{self, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// How long a run goes before its bar appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// A handle on the bar; clones share it, so the threads of a `sweep` can count their
/// runs. The default is off: it draws nothing and costs a branch.
#[derive(Clone, Default)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar on stderr, for a person at a terminal.
    pub fn on_terminal() -> Self {
        Progress {
            bar: Some(ProgressBar::with_draw_target(
                None,
                ProgressDrawTarget::hidden(),
            )),
        }
    }

    /// Starts counting `total` training steps.
    pub fn start_steps(&self, total: u64) {
        self.start(
            total,
            "{spinner} step {human_pos}/{human_len} {wide_bar} {rate} steps/s · {eta} left · loss {msg}",
        );
    }

    /// Starts counting the `total` runs of a `compare` or `sweep`.
    pub fn start_runs(&self, total: u64, what: &str) {
        self.start(
            total,
            &format!("{{spinner}} {what} {{pos}}/{{len}} {{wide_bar}} {{eta}} left"),
        );
    }

    fn start(&self, total: u64, template: &str) {
        let Some(bar) = &self.bar else { return };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |state: &ProgressState, w: &mut dyn fmt::Write| {
                let _ = write!(w, "{:.0}", state.per_sec());
            })
            .progress_chars("█▉▊▋▌▍▎▏ ");
        bar.set_draw_target(ProgressDrawTarget::hidden());
        bar.set_style(style);
        bar.set_length(total);
        bar.set_position(0);
        bar.reset_eta();
        // The bar's clock decides when it appears: it restarts with each task.
        bar.reset_elapsed();
    }

    /// A training step is done; `loss` is its loss.
    pub fn step(&self, done: u64, loss: f64) {
        let Some(bar) = &self.bar else { return };
        bar.set_position(done);
        if done.is_multiple_of(64) || bar.is_hidden() {
            bar.set_message(format!("{loss:.4}"));
        }
        self.reveal_if_slow();
    }

    /// One run of a `compare` or `sweep` is done.
    pub fn run_done(&self) {
        let Some(bar) = &self.bar else { return };
        bar.inc(1);
        self.reveal_if_slow();
    }

    /// The task is over: the bar leaves no trace.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
    }

    /// Runs `print` with the bar taken off the screen, and puts it back after.
    pub fn hide_while<T>(&self, print: impl FnOnce() -> T) -> T {
        match &self.bar {
            Some(bar) if !bar.is_hidden() => bar.suspend(print),
            _ => print(),
        }
    }

    fn reveal_if_slow(&self) {
        let Some(bar) = &self.bar else { return };
        if bar.is_hidden() && bar.elapsed() >= SHOW_AFTER {
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        }
    }
}

/// A writer that takes the bar off the screen around every write, so that text and
/// bar never share a line. It goes under any buffering, where the bytes really leave.
pub struct ClearsProgress<W> {
    pub inner: W,
    pub progress: Progress,
}

impl<W: Write> Write for ClearsProgress<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let ClearsProgress { inner, progress } = self;
        progress.hide_while(|| inner.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
