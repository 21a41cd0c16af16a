//! The one runner of the built `gradlab` binary. Every run has a time limit: a child
//! that outlives it is killed and the test fails saying so, so no test can hang.

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::ROOT;

/// The built binary. `repl_pty.rs` starts it in a pseudo-terminal, which this runner
/// cannot give, with the same time limit.
pub const BIN: &str = env!("CARGO_BIN_EXE_gradlab");

/// How long a run may take unless the test says otherwise: generous, for debug
/// builds on a busy machine.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// What a finished run printed, and how it exited.
pub struct Output {
    /// The exit code; `None` if a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    /// Empty when the run was built with [`Gradlab::stderr_into_stdout`].
    pub stderr: String,
    pub elapsed: Duration,
}

/// A run of `gradlab` being set up: from the package root, with stdin empty and
/// `NO_COLOR` unset (so the developer's environment does not leak in).
pub struct Gradlab {
    command: Command,
    shown: String,
    timeout: Duration,
    merged: bool,
}

/// Starts setting up `gradlab ARGS`.
pub fn gradlab(args: &[&str]) -> Gradlab {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(ROOT)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    Gradlab {
        command,
        shown: format!("gradlab {}", args.join(" ")),
        timeout: DEFAULT_TIMEOUT,
        merged: false,
    }
}

impl Gradlab {
    /// One more argument, such as a path.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.shown = format!("{} {}", self.shown, arg.as_ref().to_string_lossy());
        self.command.arg(arg);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// Feeds the file at `path` to stdin.
    pub fn stdin_file(mut self, path: &Path) -> Self {
        let file = std::fs::File::open(path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        self.command.stdin(file);
        self
    }

    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    /// Sends stderr into the same pipe as stdout, so the two interleave in the order
    /// they were written (a REPL transcript).
    pub fn stderr_into_stdout(mut self) -> Self {
        self.merged = true;
        self
    }

    /// Runs to the end; panics if it cannot start or does not finish in time.
    pub fn run(self) -> Output {
        let Gradlab {
            mut command,
            shown,
            timeout,
            merged,
        } = self;
        let start = Instant::now();
        let (mut child, stdout, stderr) = if merged {
            let (reader, writer) = std::io::pipe().expect("a pipe");
            let writer_too = writer.try_clone().expect("a pipe");
            command.stdout(writer).stderr(writer_too);
            let child = command
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
            // The command holds the pipe's write ends: drop them, or the reader
            // never sees the end.
            drop(command);
            (child, read_all(reader), None)
        } else {
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
            let mut child = command
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
            let stdout = read_all(child.stdout.take().expect("piped stdout"));
            let stderr = read_all(child.stderr.take().expect("piped stderr"));
            (child, stdout, Some(stderr))
        };
        let finished = wait(&mut child, timeout);
        let stdout = joined(stdout);
        let stderr = stderr.map(joined).unwrap_or_default();
        let Some(code) = finished else {
            panic!(
                "{shown} did not finish within {}s and was killed\n\
                 stdout so far:\n{stdout}\nstderr so far:\n{stderr}",
                timeout.as_secs()
            );
        };
        Output {
            code,
            stdout,
            stderr,
            elapsed: start.elapsed(),
        }
    }
}

/// Reads a pipe to its end on its own thread, so that a full pipe never blocks the
/// child while the test waits for it.
fn read_all(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

fn joined(reader: JoinHandle<Vec<u8>>) -> String {
    String::from_utf8_lossy(&reader.join().unwrap_or_default()).into_owned()
}

/// The exit code once the child ends, or `None` if it ran out of time (then it is
/// killed and reaped).
fn wait(child: &mut Child, limit: Duration) -> Option<Option<i32>> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waiting for gradlab") {
            return Some(status.code());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
