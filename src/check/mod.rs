//! The checker: a syntax tree to a checked program.
//!
//! It resolves every name, evaluates every expression that does not need the engine,
//! instantiates networks and loads data, so that a program that passes here can only
//! fail in numerics. It reports every mistake it finds, not just the first.
//!
//! Its modules import each other in one direction only, from the leaves up:
//! `value`, `written`, `crate::signature` → `env`, `args`, `bare_word` → `init`, `builtins` → `eval` ⇄ `network`
//! (expressions name networks, and layers hold expressions) → `data`, `plan`,
//! `relevance` → `budget`, `remedy`, `settings` → `run` → this module. `tests::modules_import_one_way`
//! keeps it so.

pub mod args;
pub mod bare_word;
pub mod budget;
pub mod builtins;
pub mod data;
pub mod env;
pub mod eval;
pub mod fitted;
pub mod init;
pub mod loaded;
pub mod network;
pub mod plan;
pub mod relevance;
pub mod remedy;
pub mod run;
pub mod settings;
pub mod spec;
pub mod value;
pub mod written;

use crate::signature;
use std::collections::HashSet;
use std::rc::Rc;

use crate::diagnostics::{Diagnostic, ErrorKind, Span};
use crate::syntax::ast::{DataSource, Ident, Item, ItemKind, NetworkDecl, Program, RunKind};
use env::{Binding, Entry, Env};
use eval::{Scope, eval};
use network::instantiate_all;
use plan::{RunPlan, SweepPlan};
use value::{NetRef, Value};

/// What running a checked item does.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// A name was declared; `replaced` when it replaced an earlier one (REPL only).
    Declared {
        name: String,
        kind: &'static str,
        replaced: bool,
        span: Span,
    },
    /// Print a value (`print x`, or a bare expression).
    Print {
        value: Value,
        span: Span,
    },
    Run(Box<RunPlan>),
    Sweep(Box<SweepPlan>),
    /// `save NET to "file"`: its parameters (trained, loaded or seeded) to a weights file.
    Save(Box<fitted::SavePlan>),
    /// `seed` or `precision` changed; nothing to print.
    Setting,
}

/// What to do when a script declares a name that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redeclare {
    /// Scripts: an error pointing at both declarations.
    Error,
    /// The REPL: the new declaration replaces the old, with a note.
    Replace,
}

/// Checking stops after this many errors: past it, the reports are mostly the same
/// mistake again, and each can cost a "did you mean" search over every declared name.
pub const MAX_CHECK_ERRORS: usize = 20;

pub struct Checked {
    pub plans: Vec<Plan>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks `program` item by item against `env`, declaring names into it as it goes.
/// `diagnostics` holds every error and warning; `plans` is complete only without errors.
pub fn check(program: &Program, env: &mut Env, redeclare: Redeclare) -> Checked {
    let mut plans = Vec::new();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut errors = 0;
    // Names whose declaration failed. They stand for what they would have declared:
    // an error about one being unknown is an echo of that failure, and is dropped,
    // while the rest of the statement that uses it is still checked.
    let mut poisoned: HashSet<String> = HashSet::new();
    // Reports already made, so the same one is not made twice. Both sets keep this
    // linear in the number of items, however many of them fail.
    let mut reported: HashSet<(String, Span)> = HashSet::new();
    for item in &program.items {
        let mut found = Vec::new();
        found.extend(fitted::note_forward(item, env));
        let plan = check_item(item, env, redeclare, &mut found);
        fitted::saw(item, env);
        let failed = found.iter().any(Diagnostic::is_error);
        if failed && let Some(name) = declared_name(item) {
            poisoned.insert(name.name.clone());
        }
        // Reported in the order they are written.
        found.sort_by_key(|d| d.primary_span().start);
        for diagnostic in found {
            let echo = diagnostic
                .kind
                .unknown_name()
                .is_some_and(|name| poisoned.contains(name));
            if echo || !reported.insert((diagnostic.message.clone(), diagnostic.primary_span())) {
                continue;
            }
            errors += usize::from(diagnostic.is_error());
            diagnostics.push(diagnostic);
            if errors == MAX_CHECK_ERRORS {
                if let Some(last) = diagnostics.last_mut() {
                    last.notes.push(format!(
                        "checking stopped after {MAX_CHECK_ERRORS} errors; fix these first"
                    ));
                }
                return Checked { plans, diagnostics };
            }
        }
        if let (Some(plan), false) = (plan, failed) {
            plans.push(plan);
        }
    }
    Checked { plans, diagnostics }
}

fn declared_name(item: &Item) -> Option<&Ident> {
    match &item.kind {
        ItemKind::Let { name, .. } => Some(name),
        ItemKind::Network(n) => Some(&n.name),
        ItemKind::Data(d) => Some(&d.name),
        _ => None,
    }
}

/// The plan of one item, or `None`; its errors and warnings are added to `found`.
fn check_item(
    item: &Item,
    env: &mut Env,
    redeclare: Redeclare,
    found: &mut Vec<Diagnostic>,
) -> Option<Plan> {
    match &item.kind {
        ItemKind::Run(decl) => {
            let mut plan = run::check_run(decl, item.span, env, found)?;
            run::keep(budget::check_run(&plan, env), found)?;
            let kept = match &decl.result {
                Some(name) => {
                    let value = run::keep(fitted::result(decl, name, &mut plan, env), found)?;
                    run::keep(
                        declare(env, name, Entry::Let(value.clone()), redeclare),
                        found,
                    )?;
                    Some(value)
                }
                None if redeclare == Redeclare::Replace && decl.kind == RunKind::Train => {
                    let last = Ident {
                        name: fitted::LAST_RUN.to_string(),
                        span: decl.keyword,
                    };
                    // A run whose network cannot be kept just leaves `_` as it was.
                    fitted::result(decl, &last, &mut plan, env).ok()
                }
                None => None,
            };
            // The REPL keeps the last trained network under `_` too, as Python keeps
            // the last value.
            if let (Some(value), Redeclare::Replace) = (kept, redeclare) {
                env.bind(
                    fitted::LAST_RUN.to_string(),
                    Binding {
                        entry: Entry::Let(value),
                        span: decl.keyword,
                    },
                );
            }
            Some(Plan::Run(Box::new(plan)))
        }
        ItemKind::Save { network, path } => {
            let plan = fitted::check_save(network, path, item.span, env);
            run::keep(plan, found).map(Plan::Save)
        }
        ItemKind::Sweep(decl) => {
            let plan = run::check_sweep(decl, item.span, env, found)?;
            Some(Plan::Sweep(Box::new(plan)))
        }
        ItemKind::Network(decl) => declare_network(decl, env, redeclare, found),
        _ => run::keep(check_statement(item, env, redeclare), found),
    }
}

/// The plan of an item that is not a run: one mistake stops it.
fn check_statement(item: &Item, env: &mut Env, redeclare: Redeclare) -> Result<Plan, Diagnostic> {
    match &item.kind {
        ItemKind::Let { name, value } => {
            let value = eval(value, &Scope::global(env))?;
            declare(env, name, Entry::Let(value), redeclare)
        }
        ItemKind::Data(decl) => {
            let data = match &decl.source {
                DataSource::Fields(fields) => {
                    data::from_fields(&decl.name.name, fields, item.span, env)?
                }
                DataSource::Expr(expr) => match eval(expr, &Scope::global(env))? {
                    Value::Data(d) => value::Data {
                        name: decl.name.name.clone(),
                        set: d.set.clone(),
                    },
                    other => {
                        return Err(Diagnostic::error(format!("expected a data set, found a {}", other.type_name()))
                            .with_label(expr.span, "not a data set")
                            .with_help("use a generator such as `xor()`, `spiral(100, 3, 0.2)` or `csv(\"file.csv\", x=[0], y=[1])`"));
                    }
                },
            };
            budget::check_data(&data.set, item.span, env)?;
            declare(env, &decl.name, Entry::Data(Rc::new(data)), redeclare)
        }
        ItemKind::Print(expr) | ItemKind::Expr(expr) => {
            let value = eval(expr, &Scope::global(env))?;
            budget::check_printed(&value, expr.span, env)?;
            Ok(Plan::Print {
                value,
                span: expr.span,
            })
        }
        ItemKind::Seed(expr) => {
            let value = eval(expr, &Scope::global(env))?;
            args::check_kind("seed", signature::Kind::Natural, &value, expr.span)?;
            if let Value::Num(n) = value {
                env.seed = n as u64;
            }
            Ok(Plan::Setting)
        }
        ItemKind::Precision(name) => {
            let expr = crate::syntax::ast::Expr {
                kind: crate::syntax::ast::ExprKind::Var(name.name.clone()),
                span: name.span,
            };
            env.precision = settings::precision_of(&expr, env)?;
            Ok(Plan::Setting)
        }
        ItemKind::Run(_) | ItemKind::Sweep(_) | ItemKind::Network(_) | ItemKind::Save { .. } => {
            Err(
                Diagnostic::error("internal error: a run or network is checked as a statement")
                    .with_kind(ErrorKind::Internal)
                    .with_label(item.span, "this statement"),
            )
        }
    }
}

/// Declares network `decl`, checking every layer now with its defaults; `None`, with
/// every independent mistake of its layers added to `found`, if one is bad.
fn declare_network(
    decl: &NetworkDecl,
    env: &mut Env,
    redeclare: Redeclare,
    found: &mut Vec<Diagnostic>,
) -> Option<Plan> {
    let replaced = run::keep(check_redeclare(env, &decl.name, redeclare), found)?;
    env.declared_in
        .insert(decl.name.name.clone(), env.base_dir.clone());
    env.bind(
        decl.name.name.clone(),
        Binding {
            entry: Entry::Network(Rc::new(decl.clone())),
            span: decl.name.span,
        },
    );
    let defaults = NetRef {
        name: decl.name.name.clone(),
        args: Vec::new(),
        span: decl.name.span,
        weights: None,
    };
    if let Err(errors) = instantiate_all(&defaults, env) {
        env.undo_last();
        found.extend(errors);
        return None;
    }
    Some(Plan::Declared {
        name: decl.name.name.clone(),
        kind: "network",
        replaced,
        span: decl.name.span,
    })
}

fn check_redeclare(env: &Env, name: &Ident, redeclare: Redeclare) -> Result<bool, Diagnostic> {
    match env.get(&name.name) {
        None => Ok(false),
        Some(_) if redeclare == Redeclare::Replace => Ok(true),
        Some(old) => Err(
            Diagnostic::error(format!("`{}` is already declared", name.name))
                .with_kind(ErrorKind::Redeclared)
                .with_label(name.span, "declared again here")
                .with_label(
                    old.span,
                    format!("first declared here, as a {}", old.entry.kind()),
                )
                .with_help("pick another name, or remove one of the declarations"),
        ),
    }
}

fn declare(
    env: &mut Env,
    name: &Ident,
    entry: Entry,
    redeclare: Redeclare,
) -> Result<Plan, Diagnostic> {
    if eval::is_builtin_word(&name.name)
        || signature::find(signature::FUNCTIONS, &name.name).is_some()
    {
        return Err(
            Diagnostic::error(format!("`{}` is a built-in name", name.name))
                .with_kind(ErrorKind::Redeclared)
                .with_label(name.span, "cannot be declared")
                .with_help("pick another name"),
        );
    }
    let replaced = check_redeclare(env, name, redeclare)?;
    let kind = entry.kind();
    env.bind(
        name.name.clone(),
        Binding {
            entry,
            span: name.span,
        },
    );
    Ok(Plan::Declared {
        name: name.name.clone(),
        kind,
        replaced,
        span: name.span,
    })
}

#[cfg(test)]
mod tests;
