//! The `gradlab` command line.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser as ClapParser, Subcommand, ValueEnum};

use gradlab::diagnostics::ColorChoice;
use gradlab::export::Contents;
use gradlab::limits::{self, Limits};
use gradlab::report::Reporter;
use gradlab::report::history::Section;
use gradlab::report::json::{JsonReporter, file_error_json};
use gradlab::report::output::WatchedOutput;
use gradlab::report::progress::{ClearsProgress, Progress};
use gradlab::report::recorder::Recorder;
use gradlab::report::text::TextReporter;
use gradlab::report::{html, plots};
use gradlab::session::{EvalStatus, Mode, Redeclare, Session};
use gradlab::text_file::{self, MAX_SCRIPT_BYTES};

/// See, understand and tame exploding and vanishing gradients.
#[derive(ClapParser, Debug)]
#[command(name = "gradlab", version, about, long_about = None)]
struct Cli {
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    /// Output format: text for people, json for JSON Lines.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    format: Format,
    /// Memory a run may need, with the script's data sets, e.g. 512M, 8G, 1.5GiB
    /// [default: half the machine's memory].
    #[arg(long, value_name = "SIZE", value_parser = limits::parse_size, global = true)]
    max_memory: Option<u64>,
    /// Floating-point operations a run block may take, e.g. 1e16 (a compare or sweep
    /// counts all its runs) [default: 1e15].
    #[arg(long, value_name = "FLOPS", value_parser = limits::parse_work, global = true)]
    max_work: Option<f64>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a script: train, compare, sweep, explain and print.
    Run {
        file: PathBuf,
        /// Also write a self-contained HTML report of every run, with charts.
        #[arg(long, value_name = "FILE.html")]
        report: Option<PathBuf>,
        /// Also write every chart as its own SVG file into this folder.
        #[arg(long, value_name = "DIR")]
        plots: Option<PathBuf>,
    },
    /// Parse and check a script without running it.
    Check { file: PathBuf },
    /// Start the interactive session (also what `gradlab` alone does).
    Repl,
    /// Write every `train` and `compare` run as a PyTorch script, with its initial
    /// weights and data in safetensors files.
    Export {
        file: PathBuf,
        /// The framework to write for.
        #[arg(long, value_enum)]
        to: Target,
        /// The folder to write into [default: the current folder].
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Write the DistributedDataParallel variant, to run under `torchrun`.
        #[arg(long)]
        ddp: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Target {
    Torch,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Format {
    Text,
    Json,
}

/// Exit codes, as documented in README.md.
const EXIT_SCRIPT_ERROR: u8 = 1;
const EXIT_USAGE: u8 = 2;
/// 128 + SIGINT, as shells report a process Ctrl-C ended.
const EXIT_INTERRUPTED: u8 = 130;
/// 128 + SIGPIPE, as shells report a process that wrote to a closed pipe (`yes | head`).
const EXIT_CLOSED_PIPE: u8 = 141;

/// Scripts are checked and run on a thread with a large stack, so that long
/// operator chains recurse safely in every pass (nesting itself is capped by the lexer).
const STACK_SIZE: usize = 512 * 1024 * 1024;

/// Standard output is block-buffered for scripts: line buffering made one write call
/// per line, and `--format json` writes a line (5 KB for a 20-layer chain) per training
/// step. The reporters flush after every event but a step record.
const STDOUT_BUFFER: usize = 64 * 1024;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let worker = std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(move || dispatch(cli));
    match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: gradlab stopped unexpectedly; please report this as a bug");
            ExitCode::from(70)
        }
    }
}

/// Runs the subcommand the command line names; with none, the REPL.
fn dispatch(cli: Cli) -> ExitCode {
    let color = match cli.color {
        Color::Auto => ColorChoice::Auto,
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
    };
    let defaults = Limits::default();
    let limits = Limits {
        max_memory: cli.max_memory.unwrap_or(defaults.max_memory),
        max_work: cli.max_work.unwrap_or(defaults.max_work),
        ..defaults
    };
    match cli.command {
        Some(Command::Run {
            file,
            report,
            plots,
        }) => {
            let pictures = Pictures { report, plots };
            script(&file, Mode::Run, color, cli.format, limits, &pictures)
        }
        Some(Command::Check { file }) => {
            let none = Pictures::default();
            script(&file, Mode::Check, color, cli.format, limits, &none)
        }
        Some(Command::Export {
            file,
            to: Target::Torch,
            out,
            ddp,
        }) => export(&file, out.as_deref(), ddp, color, cli.format, limits),
        Some(Command::Repl) | None if cli.format == Format::Json => {
            // The REPL talks to a person: prompts, notes and hints are text.
            eprintln!(
                "error: the REPL writes text only; `--format json` works with `gradlab run` and `gradlab check`"
            );
            ExitCode::from(EXIT_USAGE)
        }
        Some(Command::Repl) | None => ExitCode::from(gradlab::repl::start(color, limits)),
    }
}

/// Where to write pictures of the runs, if anywhere.
#[derive(Default)]
struct Pictures {
    report: Option<PathBuf>,
    plots: Option<PathBuf>,
}

fn script(
    path: &Path,
    mode: Mode,
    color: ColorChoice,
    format: Format,
    limits: Limits,
    pictures: &Pictures,
) -> ExitCode {
    let text = match read_script(path) {
        Ok(text) => text,
        Err(message) => return file_failed(format, &message),
    };
    let mut session = Session::new(Redeclare::Error);
    session.set_limits(limits);
    if let Some(dir) = path.parent() {
        session.set_base_dir(dir.to_path_buf());
    }
    let name = path.display().to_string();
    let interrupted = stop_on_ctrl_c(&session);
    // A person at a terminal sees long runs progress; a pipe, JSON and `check` never do.
    let progress = if format == Format::Text && mode == Mode::Run && std::io::stderr().is_terminal()
    {
        Progress::on_terminal()
    } else {
        Progress::default()
    };
    let stdout = ClearsProgress {
        inner: std::io::stdout().lock(),
        progress: progress.clone(),
    };
    let buffered = BufWriter::with_capacity(STDOUT_BUFFER, stdout);
    let mut out = WatchedOutput::new(buffered, session.interrupt_flag());
    out.watch_reader();
    // Not locked for the whole run: the bar is drawn on stderr from other threads too.
    let mut err = ClearsProgress {
        inner: std::io::stderr(),
        progress: progress.clone(),
    };
    let mut text_reporter;
    let mut json_reporter;
    let reporter: &mut dyn Reporter = match format {
        Format::Text => {
            let color = color.enabled(std::io::stderr().is_terminal());
            text_reporter = TextReporter::new(&mut out, &mut err, color).with_progress(progress);
            &mut text_reporter
        }
        Format::Json => {
            json_reporter = JsonReporter { out: &mut out };
            &mut json_reporter
        }
    };
    let (status, pictured) = if pictures.report.is_some() || pictures.plots.is_some() {
        // Only a run asked for pictures keeps its history.
        let mut recorder = Recorder::new(reporter);
        let status = session.eval(&name, &text, mode, &mut recorder);
        (
            status,
            write_pictures(pictures, &name, &recorder.into_sections()),
        )
    } else {
        (session.eval(&name, &text, mode, reporter), Ok(()))
    };
    let _ = out.flush();
    if let Err(message) = pictured {
        eprintln!("error: {message}");
        return ExitCode::from(EXIT_USAGE);
    }
    if let Some(error) = out.failure() {
        return output_failed(error);
    }
    match status {
        EvalStatus::Failed => ExitCode::from(EXIT_SCRIPT_ERROR),
        EvalStatus::Ok if interrupted.load(Ordering::SeqCst) => ExitCode::from(EXIT_INTERRUPTED),
        EvalStatus::Ok => ExitCode::SUCCESS,
    }
}

/// `gradlab export`: checks the script, then writes its runs into `dir`, and says what
/// it wrote: a line per script in text, an `exported` event per file in JSON. A script
/// that does not check, or a run with no exact PyTorch form, is a script error (exit 1).
fn export(
    path: &Path,
    dir: Option<&Path>,
    ddp: bool,
    color: ColorChoice,
    format: Format,
    limits: Limits,
) -> ExitCode {
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr());
    let mut text_reporter;
    let mut json_reporter;
    let reporter: &mut dyn Reporter = match format {
        Format::Text => {
            let color = color.enabled(std::io::stderr().is_terminal());
            text_reporter = TextReporter::new(&mut out, &mut err, color);
            &mut text_reporter
        }
        Format::Json => {
            json_reporter = JsonReporter { out: &mut out };
            &mut json_reporter
        }
    };
    let text = match read_script(path) {
        Ok(text) => text,
        Err(message) => return file_failed(format, &message),
    };
    let mut session = Session::new(Redeclare::Error);
    session.set_limits(limits);
    if let Some(base) = path.parent() {
        session.set_base_dir(base.to_path_buf());
    }
    let name = path.display().to_string();
    let Some(plans) = session.check_plans(&name, &text, reporter) else {
        return ExitCode::from(EXIT_SCRIPT_ERROR);
    };
    let prefix = path
        .file_stem()
        .map_or("run".into(), |s| s.to_string_lossy());
    let options = gradlab::export::Options { ddp };
    let runs = match gradlab::export::export(&plans, &name, &prefix, options) {
        Ok(runs) => runs,
        Err(diagnostic) => {
            session.report(&[diagnostic], reporter);
            return ExitCode::from(EXIT_SCRIPT_ERROR);
        }
    };
    let written = match gradlab::export::write_files(dir.unwrap_or(Path::new(".")), &runs) {
        Ok(written) => written,
        Err(message) => return file_failed(format, &message),
    };
    for file in &written {
        let run = &runs[file.run].title;
        let _ = match format {
            Format::Text if file.contents == Contents::Script => {
                writeln!(out, "wrote {} ({run})", file.path.display())
            }
            Format::Text => Ok(()),
            Format::Json => writeln!(
                out,
                "{}",
                serde_json::json!({
                    "event": "exported",
                    "file": file.path.display().to_string(),
                    "contents": file.contents.name(),
                    "run": run,
                })
            ),
        };
    }
    ExitCode::SUCCESS
}

/// An error about a file as a whole (one that cannot be read or written): a line on
/// stderr, or a JSON diagnostic with no location; exit 2.
fn file_failed(format: Format, message: &str) -> ExitCode {
    match format {
        Format::Text => eprintln!("error: {message}"),
        Format::Json => {
            let mut reporter = JsonReporter {
                out: std::io::stdout().lock(),
            };
            reporter.emit(file_error_json(message));
        }
    }
    ExitCode::from(EXIT_USAGE)
}

/// Writes the HTML report and the SVG charts that `pictures` asks for.
fn write_pictures(pictures: &Pictures, script: &str, sections: &[Section]) -> Result<(), String> {
    if let Some(path) = &pictures.report {
        let page =
            html::page(script, sections).map_err(|e| format!("cannot draw the report: {e}"))?;
        std::fs::write(path, page).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(dir) = &pictures.plots {
        plots::write_svgs(dir, sections)?;
    }
    Ok(())
}

/// Standard output could not be written. A closed pipe (the reader, say `head`, has
/// what it wanted) ends gradlab quietly, as it ends other Unix tools; any other error
/// (a full disk) means lost output, an I/O error.
fn output_failed(error: &std::io::Error) -> ExitCode {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        return ExitCode::from(EXIT_CLOSED_PIPE);
    }
    eprintln!("error: cannot write the output: {error}");
    ExitCode::from(EXIT_USAGE)
}

/// Ctrl-C stops the run in progress at its next step, as in the REPL: the run's summary
/// says it was interrupted, the rest of the script is skipped, what was printed reaches
/// stdout, and gradlab exits with 130. A second Ctrl-C exits at once. The flag returned
/// says whether Ctrl-C was pressed.
fn stop_on_ctrl_c(session: &Session) -> Arc<AtomicBool> {
    let interrupt = session.interrupt_flag();
    let pressed = Arc::new(AtomicBool::new(false));
    let seen = pressed.clone();
    // Without a handler (one is already set), Ctrl-C keeps its default: it ends the process.
    let _ = ctrlc::set_handler(move || {
        if seen.swap(true, Ordering::SeqCst) {
            std::process::exit(EXIT_INTERRUPTED.into());
        }
        interrupt.store(true, Ordering::SeqCst);
    });
    pressed
}

fn read_script(path: &Path) -> Result<String, String> {
    text_file::read_text(path, MAX_SCRIPT_BYTES)
        .map_err(|e| e.message(&path.display().to_string(), "script"))
}
