//! Trained networks as values: `train net on data as fitted { … }` binds `fitted` to
//! `net` holding the run's final parameters, `save NET to "file"` writes a network's
//! parameters, and a `forward` of a network trained without `as` gets a note, as a
//! reader may expect it to hold the trained weights. The declaration itself is never
//! changed by a run, so every run of it starts from the same seeded weights.

use std::path::PathBuf;

use super::env::{Entry, Env};
use super::eval::{Scope, eval};
use super::network::{Instance, instantiate};
use super::plan::RunPlan;
use super::value::{NetRef, Value, Weights};
use crate::diagnostics::{Diagnostic, ErrorKind, Span};
use crate::engine::Precision;
use crate::syntax::ast::{Expr, ExprKind, Ident, Item, ItemKind, RunDecl, RunKind};

/// The name the REPL gives the network its last `train` trained.
pub const LAST_RUN: &str = "_";

/// `save NET to "file"`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SavePlan {
    pub net: Instance,
    /// The file, resolved from the script's folder.
    pub path: PathBuf,
    /// The file as the script names it.
    pub file: String,
    /// The network as reports name it.
    pub label: String,
    pub seed: u64,
    pub precision: Precision,
    pub span: Span,
}

/// The value `as NAME` binds: the run's network, with a slot for its trained weights
/// that the run fills (`plan.result`).
pub fn result(
    decl: &RunDecl,
    name: &Ident,
    plan: &mut RunPlan,
    env: &Env,
) -> Result<Value, Diagnostic> {
    if decl.kind != RunKind::Train {
        return Err(Diagnostic::error(format!(
            "only `train` gives a trained network, not `{}`",
            decl.kind.keyword()
        ))
        .with_label(name.span, "nothing is trained here")
        .with_help(format!("train NET on DATA as {} {{ … }}", name.name)));
    }
    // A remedy such as `batchnorm` changes the network the run trains; the weights
    // would not fit the network the name stands for.
    let declared = instantiate(&plan.net_ref, env)?;
    if declared.spec != plan.net.spec {
        return Err(Diagnostic::error(
            "this run changes its network with a remedy, so its trained network cannot be kept",
        )
        .with_label(name.span, "cannot be kept")
        .with_help(
            "declare the network with the remedy (e.g. `batchnorm` on its layers) and train that",
        ));
    }
    let weights = Weights::pending(name.name.clone());
    plan.result = Some(weights.clone());
    Ok(Value::Network(NetRef {
        name: plan.net_ref.name.clone(),
        args: plan.net_ref.args.clone(),
        span: name.span,
        weights: Some(weights),
    }))
}

/// `save NET to "file"`, the statement at `span`.
pub fn check_save(
    network: &Expr,
    path: &Expr,
    span: Span,
    env: &Env,
) -> Result<Box<SavePlan>, Diagnostic> {
    let net_ref = match eval(network, &Scope::global(env))? {
        Value::Network(net) => net,
        other => {
            return Err(Diagnostic::error(format!(
                "`save` needs a network, found a {}",
                other.type_name()
            ))
            .with_label(network.span, "not a network"));
        }
    };
    let net = instantiate(&net_ref, env)?;
    let file = match eval(path, &Scope::global(env))? {
        Value::Str(file) => file,
        other => {
            return Err(Diagnostic::error(format!(
                "`save` needs a file name, found a {}",
                other.type_name()
            ))
            .with_kind(ErrorKind::InvalidValue)
            .with_label(path.span, "not a string")
            .with_help("save fitted to \"weights.safetensors\""));
        }
    };
    Ok(Box::new(SavePlan {
        net,
        path: env.base_dir.join(&file),
        file,
        label: net_ref.label(),
        seed: env.seed,
        precision: env.precision,
        span,
    }))
}

/// Notes what `item`, just checked, trains without `as` or redeclares.
pub fn saw(item: &Item, env: &mut Env) {
    match &item.kind {
        ItemKind::Run(decl) if decl.kind == RunKind::Train && decl.result.is_none() => {
            if let ExprKind::Var(name) = &decl.network.kind
                && matches!(env.get(name).map(|b| &b.entry), Some(Entry::Network(_)))
            {
                env.plain_runs.insert(name.clone(), decl.keyword);
            }
        }
        ItemKind::Network(decl) => {
            env.plain_runs.remove(&decl.name.name);
        }
        _ => {}
    }
}

/// A note on the first `forward(NET, …)` in `item` whose `NET` was trained without `as`.
pub fn note_forward(item: &Item, env: &Env) -> Option<Diagnostic> {
    let expr = match &item.kind {
        ItemKind::Let { value, .. } => value,
        ItemKind::Print(expr) | ItemKind::Expr(expr) => expr,
        _ => return None,
    };
    let (name, at) = untrained_forward(expr, env)?;
    let trained = env.plain_runs[&name];
    Some(
        Diagnostic::warning(format!("`{name}` here is the network as declared, untrained"))
            .with_label(at, "uses the seeded weights")
            .with_label(
                trained,
                format!("the weights this run trained are not kept in `{name}`"),
            )
            .with_help(format!(
                "name the trained network with `train {name} on … as fitted {{ … }}`, then use `forward(fitted, …)`"
            )),
    )
}

fn untrained_forward(expr: &Expr, env: &Env) -> Option<(String, Span)> {
    let inner = |e: &Expr| untrained_forward(e, env);
    match &expr.kind {
        ExprKind::Call(call) => {
            let args = call.args.as_deref().unwrap_or_default();
            if call.name.name == "forward" {
                let net = args
                    .iter()
                    .find(|a| a.name.as_ref().is_some_and(|n| n.name == "net"))
                    .or_else(|| args.first().filter(|a| a.name.is_none()));
                if let Some(arg) = net
                    && let ExprKind::Var(name) = &arg.value.kind
                    && env.plain_runs.contains_key(name)
                {
                    return Some((name.clone(), arg.value.span));
                }
            }
            args.iter().find_map(|a| inner(&a.value))
        }
        ExprKind::List(items) | ExprKind::Tuple(items) => items.iter().find_map(inner),
        ExprKind::Binary { lhs, rhs, .. } => inner(lhs).or_else(|| inner(rhs)),
        ExprKind::Neg(e) => inner(e),
        ExprKind::Range { .. }
        | ExprKind::Num(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::None
        | ExprKind::Var(_)
        | ExprKind::Error => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{Redeclare, check, env::Env};
    use crate::diagnostics::Diagnostic;

    fn diagnostics_of(script: &str) -> Vec<Diagnostic> {
        let parsed = crate::syntax::parse(script, 0);
        let program = parsed.program.expect("a program");
        check(&program, &mut Env::default(), Redeclare::Error).diagnostics
    }

    const NET: &str = "network n { input 2 dense 1 linear } data d = xor()\n";

    #[test]
    fn forward_after_a_plain_train_gets_a_note_pointing_at_as() {
        let found = diagnostics_of(&format!(
            "{NET}train n on d {{ steps 1 }}\nprint [1, forward(n, [0, 1])]"
        ));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(!found[0].is_error());
        assert!(
            found[0].message.contains("untrained"),
            "{}",
            found[0].message
        );
        assert!(found[0].helps.iter().any(|h| h.contains("as fitted")));
    }

    #[test]
    fn no_note_before_the_train_after_as_or_after_a_redeclaration() {
        for script in [
            "print forward(n, [0, 1])\ntrain n on d { steps 1 }",
            "train n on d as fitted { steps 1 }\nprint forward(n, [0, 1])",
            "train n on d as fitted { steps 1 }\nprint forward(fitted, [0, 1])",
        ] {
            let found = diagnostics_of(&format!("{NET}{script}"));
            assert!(found.is_empty(), "{script}: {found:#?}");
        }
    }
}
