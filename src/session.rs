//! A session: the state that `gradlab run`, `gradlab check` and the REPL share.
//!
//! Each source (a script, or one REPL input) goes through the same pipeline: parse,
//! check against the session's declarations, and, when running, execute the plans.
//!
//! What the session holds is private; the REPL asks about it through a few queries:
//! [`Session::names`], [`Session::describe`] and [`Session::script`].

mod describe;
mod save;
pub mod trained;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// How a session treats a name declared again: an error (a script) or a replacement
/// (the REPL).
pub use crate::check::Redeclare;
use crate::check::env::{Entry, Env};
use crate::check::value::Value;
use crate::check::{self, Plan};
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::exec;
use crate::limits::Limits;
use crate::report::Reporter;
use crate::syntax;
pub use describe::{DataDescription, Description, LayerDescription, NetworkDescription};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Parse and check only.
    Check,
    /// Check, then run.
    Run,
}

/// Whether one source (a script or a REPL input) went through without errors. A
/// run's summed-up result is a different thing: [`crate::report::outcome::Outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalStatus {
    Ok,
    /// The source had errors (syntax, check or runtime); they were reported.
    Failed,
}

pub struct Session {
    env: Env,
    sources: SourceMap,
    redeclare: Redeclare,
    /// Set (by Ctrl-C in the REPL) to stop a run at the next step.
    interrupt: Arc<AtomicBool>,
}

/// The session's declarations as a script (see [`Session::script`]).
pub struct SavedScript {
    pub text: String,
    /// How many names it declares.
    pub declarations: usize,
    /// Set when the script does not check cleanly in a fresh session.
    pub warning: Option<String>,
    /// The weights of its trained networks, to write next to it.
    pub weights: Vec<trained::WeightsFile>,
}

impl Session {
    pub fn new(redeclare: Redeclare) -> Self {
        Session {
            env: Env::default(),
            sources: SourceMap::default(),
            redeclare,
            interrupt: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Resolves relative paths in scripts (such as CSV files) from `dir`.
    pub fn set_base_dir(&mut self, dir: PathBuf) {
        self.env.base_dir = dir;
    }

    /// The memory and work budgets every run block is checked against.
    pub fn set_limits(&mut self, limits: Limits) {
        self.env.limits = limits;
    }

    /// Where relative paths in scripts are resolved from.
    pub fn base_dir(&self) -> &Path {
        &self.env.base_dir
    }

    /// The flag that stops a run at its next step when set (from a Ctrl-C handler).
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
    }

    /// The declared names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.env.names().keys().map(String::as_str)
    }

    /// What `name` holds, if it is declared.
    pub fn describe(&self, name: &str) -> Option<Description> {
        describe::describe(name, &self.env, &self.sources)
    }

    /// The declarations written back as a script that `gradlab run` accepts; `None`
    /// when nothing is declared, an error when it cannot be written (a data set too
    /// large to write row by row).
    pub fn script(&self) -> Option<Result<SavedScript, String>> {
        if self.env.names().is_empty() {
            return None;
        }
        Some(
            save::script(&self.env, &self.sources).map(|saved| SavedScript {
                // Every name but the trained networks that are not written (`_`, …).
                declarations: self.env.names().len() + saved.weights.len()
                    - self
                        .env
                        .names()
                        .values()
                        .filter(|b| matches!(&b.entry, Entry::Let(Value::Network(n)) if n.weights.is_some()))
                        .count(),
                text: saved.text,
                weights: saved.weights,
                warning: saved.warning,
            }),
        )
    }

    /// Forgets every declaration and source.
    pub fn reset(&mut self) {
        let base_dir = self.env.base_dir.clone();
        let limits = self.env.limits;
        self.env = Env::default();
        self.env.base_dir = base_dir;
        self.env.limits = limits;
        self.sources.clear();
    }

    /// Parses and checks `text`; in `Mode::Run`, runs it too. Every diagnostic and
    /// every result goes to `reporter`. An interrupt raised before the call is
    /// forgotten: it must not stop this input's first run.
    pub fn eval(
        &mut self,
        name: &str,
        text: &str,
        mode: Mode,
        reporter: &mut dyn Reporter,
    ) -> EvalStatus {
        self.interrupt.store(false, Ordering::SeqCst);
        let Some(plans) = self.check_plans(name, text, reporter) else {
            return EvalStatus::Failed;
        };
        if mode == Mode::Check {
            return EvalStatus::Ok;
        }
        self.execute(&plans, reporter)
    }

    /// Parses and checks `text` as [`Session::eval`] does, without running it: the
    /// checked plans, or `None` once the errors went to `reporter`. `gradlab export`
    /// works from these.
    pub fn check_plans(
        &mut self,
        name: &str,
        text: &str,
        reporter: &mut dyn Reporter,
    ) -> Option<Vec<Plan>> {
        let base = self.sources.add(name, text);
        let parsed = syntax::parse(text, base);
        let syntax_failed = parsed.diagnostics.iter().any(Diagnostic::is_error);
        if syntax_failed {
            reporter.diagnostics(&parsed.diagnostics, &self.sources);
            return None;
        }
        let program = parsed.program?;
        // Checking declares names; a failed source must leave the session as it was.
        // Only its own changes are undone: copying the session per input was quadratic.
        let mark = self.env.mark();
        let checked = check::check(&program, &mut self.env, self.redeclare);
        // Warnings alone (a setting a block has no use for) do not stop the input.
        if !checked.diagnostics.is_empty() {
            reporter.diagnostics(&checked.diagnostics, &self.sources);
        }
        if checked.diagnostics.iter().any(Diagnostic::is_error) {
            self.env.roll_back(mark);
            return None;
        }
        self.env.commit();
        Some(checked.plans)
    }

    /// Reports `diagnostics` about sources this session has read, with their lines.
    pub fn report(&self, diagnostics: &[Diagnostic], reporter: &mut dyn Reporter) {
        reporter.diagnostics(diagnostics, &self.sources);
    }

    fn execute(&mut self, plans: &[Plan], reporter: &mut dyn Reporter) -> EvalStatus {
        for plan in plans {
            let result = exec::execute(plan, &self.interrupt, &self.sources, reporter);
            if let Err(diagnostic) = result {
                reporter.diagnostics(&[diagnostic], &self.sources);
                return EvalStatus::Failed;
            }
            // Ctrl-C stops the run it interrupted and everything after it in this input;
            // what was declared stays.
            if self.interrupt.swap(false, Ordering::SeqCst) {
                break;
            }
        }
        EvalStatus::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::text::TextReporter;

    /// Evaluates `text` as the REPL would, returning its status and stdout.
    fn eval(session: &mut Session, text: &str) -> (EvalStatus, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = {
            let mut reporter = TextReporter::new(&mut out, &mut err, false);
            session.eval("input", text, Mode::Run, &mut reporter)
        };
        (status, String::from_utf8_lossy(&out).into_owned())
    }

    /// A failed input leaves the session as it was, even after it redeclared names
    /// and changed the seed: the old bindings are back, and nothing new stays.
    #[test]
    fn a_failed_input_leaves_the_session_unchanged() {
        let mut session = Session::new(Redeclare::Replace);
        let (status, _) = eval(
            &mut session,
            "let a = 1\nnetwork n { input 1\n dense 1 relu }",
        );
        assert_eq!(status, EvalStatus::Ok);
        let failing =
            "let a = 2\nseed 9\nnetwork n { input 3\n dense 2 relu }\nlet b = 3\nlet c = missing";
        assert_eq!(eval(&mut session, failing).0, EvalStatus::Failed);
        assert_eq!(eval(&mut session, "print a").1.trim(), "1");
        let names: Vec<&str> = session.names().collect();
        assert_eq!(names, ["a", "n"]);
        assert_eq!(session.env.seed, check::env::DEFAULT_SEED);
        let Some(Description::Network(net)) = session.describe("n") else {
            panic!("`n` is no longer a network");
        };
        assert_eq!(net.input, 1);
        assert_eq!(session.env.uncommitted(), 0);
    }

    /// A successful input keeps its changes and leaves nothing to undo behind, so the
    /// next input's rollback cost starts from zero.
    #[test]
    fn a_successful_input_commits_its_changes() {
        let mut session = Session::new(Redeclare::Replace);
        for i in 0..100 {
            assert_eq!(
                eval(&mut session, &format!("let v{i} = {i}")).0,
                EvalStatus::Ok
            );
            assert_eq!(session.env.uncommitted(), 0);
        }
        assert_eq!(eval(&mut session, "let v5 = 50").0, EvalStatus::Ok);
        assert_eq!(eval(&mut session, "print v5").1.trim(), "50");
        assert_eq!(session.names().count(), 100);
    }
}
