//! What a session has declared so far. It outlives one script: the REPL keeps it
//! between inputs.
//!
//! A REPL input that fails must leave the session as it was. Copying the whole
//! environment before each input made a long session quadratic (20 000 `let`s piped
//! into the REPL took over 20 s), so instead every change to a name is logged with what
//! it replaced, and a failed input undoes its own changes: the cost of an input is what
//! it declares, whatever the session holds. `Env` is deliberately not `Clone`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

use super::value::{Data, Value};
use crate::diagnostics::Span;
use crate::engine::Precision;
use crate::limits::Limits;
use crate::syntax::ast::NetworkDecl;

#[derive(Debug, Clone)]
pub enum Entry {
    Let(Value),
    Network(Rc<NetworkDecl>),
    Data(Rc<Data>),
}

impl Entry {
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Let(_) => "value",
            Entry::Network(_) => "network",
            Entry::Data(_) => "data set",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub entry: Entry,
    /// Where the name was declared.
    pub span: Span,
}

#[derive(Debug)]
pub struct Env {
    /// Changed only through [`Env::bind`] and [`Env::undo_last`], which keep the log.
    names: BTreeMap<String, Binding>,
    pub seed: u64,
    pub precision: Precision,
    /// Where relative paths (`csv("…")`) are resolved: the script's folder.
    pub base_dir: PathBuf,
    /// The memory and work every run block must fit.
    pub limits: Limits,
    /// Networks trained without `as`, each with the `train` keyword that trained it
    /// last: a `forward` of one gets a note (`fitted`). Kept across REPL inputs.
    pub plain_runs: std::collections::HashMap<String, Span>,
    /// The folder each network was declared from (`base_dir` then): a `from` file is
    /// found there whenever the network is built, even after a REPL `:load` is over.
    pub declared_in: std::collections::HashMap<String, PathBuf>,
    /// Each name bound since the last [`Env::commit`], with the binding it replaced.
    undo: Vec<(String, Option<Binding>)>,
}

/// The state of an [`Env`] to return to with [`Env::roll_back`].
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    changes: usize,
    seed: u64,
    precision: Precision,
}

pub const DEFAULT_SEED: u64 = 0;

impl Default for Env {
    fn default() -> Self {
        Env {
            names: BTreeMap::new(),
            seed: DEFAULT_SEED,
            precision: Precision::F32,
            base_dir: PathBuf::from("."),
            limits: Limits::default(),
            plain_runs: std::collections::HashMap::new(),
            declared_in: std::collections::HashMap::new(),
            undo: Vec::new(),
        }
    }
}

impl Env {
    pub fn get(&self, name: &str) -> Option<&Binding> {
        self.names.get(name)
    }

    /// The declared names and what they hold, sorted by name.
    pub fn names(&self) -> &BTreeMap<String, Binding> {
        &self.names
    }

    /// Declares `name`, replacing what it held; the change is logged until `commit`.
    pub fn bind(&mut self, name: String, binding: Binding) {
        let replaced = self.names.insert(name.clone(), binding);
        self.undo.push((name, replaced));
    }

    /// Undoes the latest `bind` that is not committed, if any.
    pub fn undo_last(&mut self) {
        if let Some((name, replaced)) = self.undo.pop() {
            match replaced {
                Some(old) => self.names.insert(name, old),
                None => self.names.remove(&name),
            };
        }
    }

    /// Where the environment is now, to `roll_back` to.
    pub fn mark(&self) -> Mark {
        Mark {
            changes: self.undo.len(),
            seed: self.seed,
            precision: self.precision,
        }
    }

    /// Undoes every change made since `mark`: names, seed and precision.
    pub fn roll_back(&mut self, mark: Mark) {
        while self.undo.len() > mark.changes {
            self.undo_last();
        }
        self.seed = mark.seed;
        self.precision = mark.precision;
    }

    /// Keeps the changes made so far: they can no longer be rolled back, and the
    /// bindings they replaced are dropped.
    pub fn commit(&mut self) {
        self.undo.clear();
    }

    /// How many changes `roll_back` would undo now.
    pub fn uncommitted(&self) -> usize {
        self.undo.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(n: f64) -> Binding {
        Binding {
            entry: Entry::Let(Value::Num(n)),
            span: Span::new(0, 0),
        }
    }

    fn value_of(env: &Env, name: &str) -> Option<Value> {
        match env.get(name).map(|b| &b.entry) {
            Some(Entry::Let(value)) => Some(value.clone()),
            _ => None,
        }
    }

    /// What a failed input costs to undo is what it changed, not what the session
    /// holds: the log after one input into a session of 10 000 names has that input's
    /// two changes, and rolling back restores the replaced binding and the seed.
    #[test]
    fn an_input_logs_only_its_own_changes() {
        let mut env = Env::default();
        for i in 0..10_000 {
            env.bind(format!("v{i}"), number(i as f64));
        }
        env.commit();
        assert_eq!(env.uncommitted(), 0);
        let mark = env.mark();
        env.bind("v7".to_string(), number(-1.0));
        env.bind("new".to_string(), number(1.0));
        env.seed = 42;
        assert_eq!(env.uncommitted(), 2);
        env.roll_back(mark);
        assert_eq!(value_of(&env, "v7"), Some(Value::Num(7.0)));
        assert!(env.get("new").is_none());
        assert_eq!(env.seed, DEFAULT_SEED);
        assert_eq!(env.names().len(), 10_000);
    }

    #[test]
    fn undo_last_restores_one_binding() {
        let mut env = Env::default();
        env.bind("a".to_string(), number(1.0));
        env.bind("a".to_string(), number(2.0));
        env.undo_last();
        assert_eq!(value_of(&env, "a"), Some(Value::Num(1.0)));
        env.undo_last();
        assert!(env.get("a").is_none());
    }
}
