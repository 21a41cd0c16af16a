//! The interactive session: `gradlab` with no arguments, or `gradlab repl`.
//!
//! One loop serves a terminal and piped input alike: lines are gathered until the
//! input is complete (`helper::needs_more`), then either run as a `:` command or
//! evaluated in the shared `Session`. On a terminal, rustyline edits each line, with
//! a `grad> ` prompt and a `  ... ` prompt for continuation lines; lines typed ahead
//! (during a run, or pasted without bracketed paste) wait in rustyline's buffer, kept
//! from one `readline` to the next, and each runs in turn; with piped input
//! there is no banner and no prompt, and the exit status says whether every input
//! succeeded (0) or some failed (1).

pub mod command;
pub mod completion;
pub mod help;
pub mod helper;
pub mod piped_input;

pub mod show;
pub mod terminal;

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::Ordering;

use rustyline::error::ReadlineError;
use rustyline::history::{DefaultHistory, History};
use rustyline::{CompletionType, Config, Editor};

use crate::diagnostics::ColorChoice;
use crate::format::{self, plural};
use crate::limits::Limits;
use crate::report::history::Section;
use crate::report::html;
use crate::report::progress::{ClearsProgress, Progress};
use crate::report::recorder::Recorder;
use crate::report::text::TextReporter;
use crate::save_file::{self, Existing};
use crate::session::{EvalStatus, Mode, Redeclare, Session};
use crate::text_file::{self, MAX_SCRIPT_BYTES, MIB};
use command::Command;
use helper::{ReplHelper, needs_more};
use piped_input::{InputError, Line, MAX_INPUT_BYTES};

pub const PROMPT: &str = "grad> ";
pub const CONTINUATION: &str = "  ... ";

/// The exit status of a piped session stopped by an input over its size cap, as for a
/// script that cannot be read.
const EXIT_INPUT_TOO_LONG: u8 = 2;

/// The largest history file read: far above `max_history_size` lines of input.
const MAX_HISTORY_BYTES: u64 = 16 * MIB;

/// Where the history lives unless `GRADLAB_HISTORY` names another file.
pub fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("GRADLAB_HISTORY") {
        return Some(PathBuf::from(path));
    }
    dirs::data_dir().map(|dir| dir.join("gradlab").join("history.txt"))
}

enum Flow {
    Continue,
    Quit,
}

/// The lines of an input typed so far; terminal and pipe gather them alike.
#[derive(Default)]
struct Pending {
    text: String,
}

impl Pending {
    /// Adds a line; returns the whole input once it is complete.
    fn add(&mut self, line: &str) -> Option<String> {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(line);
        if needs_more(&self.text) {
            None
        } else {
            Some(self.take())
        }
    }

    fn take(&mut self) -> String {
        std::mem::take(&mut self.text)
    }

    fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// The session and what the loop needs around it.
pub struct Repl {
    session: Session,
    /// Colour diagnostics on stderr.
    color_err: bool,
    inputs: usize,
    /// Whether any input failed (the exit status of a piped session).
    failed: bool,
    /// The declared names, shared with the completer; `None` without one (piped
    /// input), where refreshing after every input made a long session quadratic.
    declared: Option<Rc<RefCell<Vec<String>>>>,
    /// The runs of the latest input that made any, for `:plot`.
    last_runs: Vec<Section>,
    /// How many reports `:plot` has written, to name each one.
    plots: usize,
    /// Whether long runs draw a progress bar (a person at a terminal).
    progress: bool,
}

impl Repl {
    pub fn new(color: ColorChoice, limits: Limits) -> Self {
        let mut session = Session::new(Redeclare::Replace);
        session.set_limits(limits);
        Repl {
            session,
            color_err: color.enabled(std::io::stderr().is_terminal()),
            inputs: 0,
            failed: false,
            declared: None,
            last_runs: Vec::new(),
            plots: 0,
            progress: false,
        }
    }

    /// Runs one complete input: a `:` command or gradlab code.
    fn submit(&mut self, text: &str) -> Flow {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Flow::Continue;
        }
        if trimmed.starts_with(':') {
            return self.command(trimmed);
        }
        self.inputs += 1;
        let name = format!("input {}", self.inputs);
        let status = self.eval(&name, text.trim_end());
        if status == EvalStatus::Failed {
            self.failed = true;
        }
        Flow::Continue
    }

    fn eval(&mut self, name: &str, text: &str) -> EvalStatus {
        let stdout = std::io::stdout();
        let progress = if self.progress && std::io::stderr().is_terminal() {
            Progress::on_terminal()
        } else {
            Progress::default()
        };
        let mut out = ClearsProgress {
            inner: stdout.lock(),
            progress: progress.clone(),
        };
        // Not locked for the whole input: the bar is drawn from other threads too.
        let mut err = ClearsProgress {
            inner: std::io::stderr(),
            progress: progress.clone(),
        };
        let (status, runs) = {
            let mut reporter = TextReporter::new(&mut out, &mut err, self.color_err)
                .fitted_to(terminal::stderr_width())
                .with_progress(progress);
            let mut recorder = Recorder::new(&mut reporter);
            let status = self.session.eval(name, text, Mode::Run, &mut recorder);
            (status, recorder.into_sections())
        };
        if !runs.is_empty() {
            self.last_runs = runs;
        }
        let _ = out.flush();
        self.refresh_names();
        status
    }

    fn refresh_names(&mut self) {
        if let Some(declared) = &self.declared {
            *declared.borrow_mut() = self.session.names().map(String::from).collect();
        }
    }

    fn say(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
    }

    fn error(&mut self, message: &str) {
        self.failed = true;
        let _ = std::io::stdout().flush();
        let prefix = if self.color_err {
            "\x1b[31merror\x1b[0m"
        } else {
            "error"
        };
        eprintln!("{prefix}: {message}");
    }

    fn command(&mut self, line: &str) -> Flow {
        let command = match line.parse::<Command>() {
            Ok(command) => command,
            Err(error) => {
                self.error(&error.to_string());
                return Flow::Continue;
            }
        };
        match command {
            Command::Help(topic) => self.say(&help::help(&topic)),
            Command::Quit => return Flow::Quit,
            Command::Reset => {
                self.session.reset();
                self.refresh_names();
                self.say("the session is empty again");
            }
            Command::List => self.say(&show::list(&self.session)),
            Command::Show(name) => match show::show(&name, &self.session) {
                Ok(text) => self.say(&text),
                Err(message) => self.error(&message),
            },
            Command::Load(path) => self.load(&path),
            Command::Save(path, existing) => self.save(&path, existing),
            Command::Plot => self.plot(),
        }
        Flow::Continue
    }

    /// Writes the latest runs as a report to a new file in the temporary folder.
    fn plot(&mut self) {
        if self.last_runs.is_empty() {
            return self
                .error("no run to plot yet: `train`, `compare`, `sweep` or `explain` first");
        }
        let page = match html::page("(REPL session)", &self.last_runs) {
            Ok(page) => page,
            Err(e) => return self.error(&format!("cannot draw the report: {e}")),
        };
        self.plots += 1;
        let path = std::env::temp_dir().join(format!(
            "gradlab-{}-plot-{}.html",
            std::process::id(),
            self.plots
        ));
        match save_file::write(&path, page.as_bytes(), Existing::Keep) {
            Ok(()) => self.say(&format!(
                "wrote {} ({}); open it in a browser",
                path.display(),
                format::count(self.last_runs.len(), "run")
            )),
            Err(message) => self.error(&message),
        }
    }

    fn load(&mut self, path: &Path) {
        let shown = path.display().to_string();
        let text = match text_file::read_text(path, MAX_SCRIPT_BYTES) {
            Ok(text) => text,
            Err(e) => return self.error(&e.message(&shown, "script")),
        };
        // Relative paths in the script (CSV files) are found beside it.
        let base = self.session.base_dir().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            self.session.set_base_dir(dir.to_path_buf());
        }
        let status = self.eval(&shown, &text);
        self.session.set_base_dir(base);
        if status == EvalStatus::Failed {
            self.failed = true;
        }
    }

    fn save(&mut self, path: &Path, existing: Existing) {
        let saved = match self.session.script() {
            None => return self.error("nothing to save: no names are declared"),
            Some(Err(message)) => return self.error(&message),
            Some(Ok(saved)) => saved,
        };
        // The weights first: a script that loads them is written only once they are there.
        let folder = path.parent().unwrap_or(Path::new(""));
        for weights in &saved.weights {
            let file = folder.join(&weights.file);
            if let Err(message) = save_file::write(&file, &weights.bytes, existing) {
                return self.error(&message);
            }
            self.say(&format!(
                "saved the trained weights of `{}` to {}",
                weights.name,
                file.display()
            ));
        }
        if let Err(message) = save_file::write(path, saved.text.as_bytes(), existing) {
            return self.error(&message);
        }
        let count = saved.declarations;
        self.say(&format!(
            "saved {count} declaration{} to {}",
            plural(count),
            path.display()
        ));
        if let Some(warning) = saved.warning {
            let _ = std::io::stdout().flush();
            eprintln!("warning: {warning}");
        }
    }
}

/// Starts the REPL: interactive when stdin is a terminal, otherwise reading stdin.
/// Returns the process exit status.
pub fn start(color: ColorChoice, limits: Limits) -> u8 {
    let repl = Repl::new(color, limits);
    if std::io::stdin().is_terminal() {
        interactive(repl, color)
    } else {
        piped(repl)
    }
}

/// Piped input: no banner, no prompts; the same assembly of multi-line inputs. An
/// input over `MAX_INPUT_BYTES` stops the session with exit status 2.
fn piped(mut repl: Repl) -> u8 {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut pending = Pending::default();
    for number in 1.. {
        let room = MAX_INPUT_BYTES.saturating_sub(pending.text.len() as u64);
        let line = match piped_input::read_line(&mut input, room, number) {
            Ok(Line::Text(line)) => line,
            Ok(Line::End) => break,
            Err(e @ InputError::TooLong) => {
                repl.error(&e.to_string());
                return EXIT_INPUT_TOO_LONG;
            }
            Err(e) => {
                repl.error(&format!("cannot read the input: {e}"));
                break;
            }
        };
        // An editor's byte order mark is not part of the first line.
        let line = match line.strip_prefix('\u{feff}') {
            Some(rest) if number == 1 => rest,
            _ => &line,
        };
        let Some(text) = pending.add(line) else {
            continue;
        };
        if let Flow::Quit = repl.submit(&text) {
            return u8::from(repl.failed);
        }
    }
    // An input left unfinished at the end is submitted as it is (blank is nothing).
    repl.submit(&pending.take());
    u8::from(repl.failed)
}

fn interactive(mut repl: Repl, color: ColorChoice) -> u8 {
    repl.progress = true;
    let highlight = color.enabled(std::io::stdout().is_terminal());
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(2000)
        .and_then(|b| b.history_ignore_dups(true))
        .map(|b| b.build());
    let editor = config.and_then(Editor::<ReplHelper, DefaultHistory>::with_config);
    let mut editor = match editor {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("error: cannot start line editing ({e}); reading input without it");
            return piped(repl);
        }
    };
    let declared = Rc::new(RefCell::new(Vec::new()));
    repl.declared = Some(declared.clone());
    editor.set_helper(Some(ReplHelper::new(declared, highlight)));
    let history = history_path();
    let mut history_ok = true;
    match &history {
        Some(path) if path.exists() => {
            // rustyline reads the history to its end: `/dev/zero` would never end.
            let shown = path.display().to_string();
            let loaded = text_file::check_regular(path, MAX_HISTORY_BYTES)
                .map_err(|e| e.message(&shown, "history file"))
                .and_then(|()| {
                    editor
                        .load_history(path)
                        .map_err(|e| format!("cannot read the history in {shown} ({e})"))
                });
            if let Err(problem) = loaded {
                eprintln!("warning: {problem}; starting without it");
                history_ok = false;
            }
        }
        Some(path) => {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
        }
        None => history_ok = false,
    }

    // Ctrl-C during a run stops it at the next step; at the prompt rustyline reads it
    // as a key, so the handler only ever sees it while something is running.
    let interrupt = repl.session.interrupt_flag();
    if let Err(e) = ctrlc::set_handler(move || interrupt.store(true, Ordering::SeqCst)) {
        eprintln!("warning: Ctrl-C will not stop a run ({e})");
    }

    println!(
        "gradlab {}: an interactive session. Type :help for help, Ctrl-D to leave.",
        env!("CARGO_PKG_VERSION")
    );
    let prompts = |continuing: bool| -> (String, String) {
        let raw = if continuing { CONTINUATION } else { PROMPT };
        let styled = if highlight {
            format!("\x1b[1;32m{raw}\x1b[0m")
        } else {
            raw.to_string()
        };
        (raw.to_string(), styled)
    };
    let mut pending = Pending::default();
    loop {
        let prompt = prompts(!pending.is_empty());
        match editor.readline(&prompt) {
            Ok(line) => {
                let Some(text) = pending.add(&line) else {
                    continue;
                };
                let entry = text.trim_end();
                if !entry.trim().is_empty() {
                    let _ = editor.add_history_entry(entry);
                    if history_ok && let Some(path) = &history {
                        history_ok = save_history(editor.history_mut(), path);
                    }
                }
                if let Flow::Quit = repl.submit(&text) {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => {
                // Ctrl-C at the prompt: forget the line (and any unfinished input).
                pending.take();
            }
            Err(ReadlineError::Eof) => {
                if pending.is_empty() {
                    break;
                }
                // Ctrl-D in the middle of an input submits what there is.
                let text = pending.take();
                if let Flow::Quit = repl.submit(&text) {
                    break;
                }
            }
            Err(e) => {
                eprintln!("error: cannot read the input: {e}");
                break;
            }
        }
    }
    0
}

/// Writes the history out; on failure warns once and returns false.
fn save_history(history: &mut DefaultHistory, path: &Path) -> bool {
    match history.save(path) {
        Ok(()) => true,
        Err(e) => {
            eprintln!(
                "warning: cannot write the history to {} ({e}); it will not be kept",
                path.display()
            );
            false
        }
    }
}
