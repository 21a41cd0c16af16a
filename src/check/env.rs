//! What a session has declared so far. It outlives one script: the REPL keeps it
//! between inputs.

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

#[derive(Debug, Clone)]
pub struct Env {
    pub names: BTreeMap<String, Binding>,
    pub seed: u64,
    pub precision: Precision,
    /// Where relative paths (`csv("…")`) are resolved: the script's folder.
    pub base_dir: PathBuf,
    /// The memory and work every run block must fit.
    pub limits: Limits,
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
        }
    }
}

impl Env {
    pub fn get(&self, name: &str) -> Option<&Binding> {
        self.names.get(name)
    }
}
