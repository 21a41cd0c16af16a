//! A session: the state that `gradlab run`, `gradlab check` and the REPL share.
//!
//! Each source (a script, or one REPL input) goes through the same pipeline: parse,
//! check against the session's declarations, and, when running, execute the plans.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::check::env::Env;
use crate::check::{self, Plan, Redeclare};
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::exec;
use crate::report::Reporter;
use crate::syntax;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Parse and check only.
    Check,
    /// Check, then run.
    Run,
}

/// How one source went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The source had errors (syntax, check or runtime); they were reported.
    Failed,
}

pub struct Session {
    pub env: Env,
    pub sources: SourceMap,
    pub redeclare: Redeclare,
    /// Set (by Ctrl-C in the REPL) to stop a run at the next step.
    pub interrupt: Arc<AtomicBool>,
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

    /// Forgets every declaration and source.
    pub fn reset(&mut self) {
        let base_dir = self.env.base_dir.clone();
        self.env = Env::default();
        self.env.base_dir = base_dir;
        self.sources.clear();
    }

    /// Parses and checks `text`; in `Mode::Run`, runs it too. Every diagnostic and
    /// every result goes to `reporter`.
    pub fn eval(
        &mut self,
        name: &str,
        text: &str,
        mode: Mode,
        reporter: &mut dyn Reporter,
    ) -> Outcome {
        let base = self.sources.add(name, text);
        let parsed = syntax::parse(text, base);
        let syntax_failed = parsed.diagnostics.iter().any(Diagnostic::is_error);
        if syntax_failed {
            reporter.diagnostics(&parsed.diagnostics, &self.sources);
            return Outcome::Failed;
        }
        let Some(program) = parsed.program else {
            return Outcome::Failed;
        };
        // Checking declares names; a failed source must leave the session as it was.
        let mut env = self.env.clone();
        let checked = check::check(&program, &mut env, self.redeclare);
        if !checked.diagnostics.is_empty() {
            reporter.diagnostics(&checked.diagnostics, &self.sources);
            return Outcome::Failed;
        }
        self.env = env;
        if mode == Mode::Check {
            return Outcome::Ok;
        }
        self.execute(&checked.plans, reporter)
    }

    fn execute(&mut self, plans: &[Plan], reporter: &mut dyn Reporter) -> Outcome {
        for plan in plans {
            let result = exec::execute(plan, &self.interrupt, &self.sources, reporter);
            if let Err(diagnostic) = result {
                reporter.diagnostics(&[diagnostic], &self.sources);
                return Outcome::Failed;
            }
            // Ctrl-C stops the run it interrupted and everything after it in this input;
            // what was declared stays.
            if self.interrupt.swap(false, Ordering::SeqCst) {
                break;
            }
        }
        Outcome::Ok
    }
}
