//! `train`, `compare`, `explain` and `sweep`: the plan the engine runs, built from the
//! block's network, data and settings (`settings`), with its remedies applied.

use crate::format::plural;
use std::rc::Rc;

use super::budget::Runs;
use super::env::{Entry, Env};
use super::eval::{Scope, eval};
use super::network::instantiate;
use super::relevance::Block;
use super::remedy;
use super::settings::{SettingsReader, one_value, spec_of};
use super::value::{Data, NetArg, NetRef, Value};
use crate::diagnostics::{Diagnostic, ErrorKind, Span};
use crate::engine::{LossKind, Remedies};
use crate::signature::{Choice, Metric, SWEEPABLE_SETTINGS, SweepSetting, did_you_mean};
use crate::syntax::ast::{Expr, ExprKind, RunDecl, RunKind, Setting, SweepDecl};

pub use super::plan::{RunPlan, SweepAxis, SweepPlan, Variant};

/// What a run block trains: its kind and place, its network and its data.
struct Target {
    kind: RunKind,
    span: Span,
    keyword: Span,
    net_ref: NetRef,
    data: Rc<Data>,
    data_span: Span,
}

/// The value of `result`, or `None` with its error added to `found`.
pub fn keep<T>(result: Result<T, Diagnostic>, found: &mut Vec<Diagnostic>) -> Option<T> {
    result.map_err(|error| found.push(error)).ok()
}

/// The plan of a run block, or `None` if it has errors. Its network, its data and each
/// of its settings are checked apart, so every mistake among them is added to `found`,
/// with the warnings about settings the block does not use.
pub fn check_run(
    decl: &RunDecl,
    span: Span,
    env: &Env,
    found: &mut Vec<Diagnostic>,
) -> Option<RunPlan> {
    let net_ref = keep(network_of(&decl.network, env), found);
    let data = keep(data_of(&decl.data, env), found);
    let reader = read_settings(Block::of(decl.kind), &decl.settings, env, found)?;
    let (net_ref, (data, data_span)) = (net_ref?, data?);
    let target = Target {
        kind: decl.kind,
        span,
        keyword: decl.keyword,
        net_ref,
        data,
        data_span,
    };
    keep(build(target, reader, env), found)
}

/// A block's settings, read; `None` if one of them is bad. Every error and warning
/// is added to `found`.
fn read_settings<'a>(
    block: Block,
    settings: &[Setting],
    env: &'a Env,
    found: &mut Vec<Diagnostic>,
) -> Option<SettingsReader<'a>> {
    let mut reader = SettingsReader::new(block, env);
    let errors = reader.read_all(settings);
    let failed = !errors.is_empty();
    found.extend(errors);
    found.append(&mut reader.warnings);
    (!failed).then_some(reader)
}

/// The plan of a sweep, or `None` if it has errors, added to `found` as `check_run`
/// does.
pub fn check_sweep(
    decl: &SweepDecl,
    span: Span,
    env: &Env,
    found: &mut Vec<Diagnostic>,
) -> Option<SweepPlan> {
    let metric = decl
        .settings
        .iter()
        .find(|s| s.key.name == "metric")
        .and_then(|s| keep(one_value(s).and_then(|v| spec_of::<Metric>(v, env)), found))
        .map_or(Metric::DEFAULT, |(metric, _)| metric);
    let settings: Vec<Setting> = decl
        .settings
        .iter()
        .filter(|s| s.key.name != "metric")
        .cloned()
        .collect();
    let grid = keep(grid(decl, env), found);
    let data = keep(data_of(&decl.data, env), found);
    let reader = read_settings(Block::Sweep, &settings, env, found);
    keep(
        points(decl, span, grid?, data?, reader?, metric, env),
        found,
    )
}

/// A sweep's network, the names of its parameters, and the axes it is swept along.
struct Grid {
    base: NetRef,
    params: Vec<String>,
    axes: Vec<SweepAxis>,
}

fn grid(decl: &SweepDecl, env: &Env) -> Result<Grid, Diagnostic> {
    let base = network_of(
        &Expr {
            kind: ExprKind::Var(decl.network.name.clone()),
            span: decl.network.span,
        },
        env,
    )?;
    let params: Vec<String> = match env.get(&base.name).map(|b| &b.entry) {
        Some(Entry::Network(n)) => n.params.iter().map(|p| p.name.name.clone()).collect(),
        _ => Vec::new(),
    };
    let mut axes = Vec::new();
    for axis in &decl.axes {
        let name = axis.name.name.as_str();
        if !params.iter().any(|p| p == name) && SweepSetting::named(name).is_none() {
            let candidates = params
                .iter()
                .map(String::as_str)
                .chain(SWEEPABLE_SETTINGS.iter().copied());
            let mut d = Diagnostic::error(format!("cannot sweep `{name}`"))
                .with_label(
                    axis.name.span,
                    format!("not a parameter of `{}`", base.name),
                )
                .with_label(decl.network.span, "this network");
            d = match did_you_mean(name, candidates) {
                Some(best) => d.with_help(format!("did you mean `{best}`?")),
                None => d.with_help(format!(
                    "a sweep varies the network's parameters ({}) or {}",
                    if params.is_empty() {
                        "it has none".to_string()
                    } else {
                        params.join(", ")
                    },
                    SWEEPABLE_SETTINGS.join(", ")
                )),
            };
            return Err(d);
        }
        if let Some(weights) = &base.weights
            && params.iter().any(|p| p == name)
        {
            return Err(Diagnostic::error(format!(
                "cannot sweep `{name}` of `{}`: its trained or loaded weights fit one shape",
                weights.name
            ))
            .with_kind(ErrorKind::InvalidValue)
            .with_label(axis.name.span, "a parameter of the network")
            .with_help(format!(
                "sweep training settings ({}) of `{}`, or sweep the declared network",
                SWEEPABLE_SETTINGS.join(", "),
                weights.name
            )));
        }
        if axes.iter().any(|a: &SweepAxis| a.name == name) {
            return Err(Diagnostic::error(format!("`{name}` is swept twice"))
                .with_label(axis.span, "again here"));
        }
        let value = eval(&axis.values, &Scope::global(env))?;
        let values = match &value {
            Value::Num(n) => vec![*n],
            other => other.as_vector().filter(|v| !v.is_empty()).ok_or_else(|| {
                Diagnostic::error(format!("`{name}` needs a list or range of numbers"))
                    .with_label(axis.values.span, format!("this is a {}", other.type_name()))
                    .with_help(format!("{name} in 1..10, or {name} in [0.5, 1, 2]"))
            })?,
        };
        axes.push(SweepAxis {
            name: name.to_string(),
            values,
            span: axis.span,
        });
    }
    Ok(Grid { base, params, axes })
}

/// The sweep with every point of its grid as a run plan.
fn points(
    decl: &SweepDecl,
    span: Span,
    Grid { base, params, axes }: Grid,
    (data, data_span): (Rc<Data>, Span),
    reader: SettingsReader,
    metric: Metric,
    env: &Env,
) -> Result<SweepPlan, Diagnostic> {
    let total: usize = axes.iter().map(|a| a.values.len()).product();
    if total > 10_000 {
        return Err(
            Diagnostic::error(format!("a sweep of {total} runs is too large"))
                .with_kind(ErrorKind::TooLarge)
                .with_label(span, "at most 10000 grid points")
                .with_help("use a larger step in the ranges"),
        );
    }
    let mut points = Vec::with_capacity(total);
    let mut budget = Runs::new(env, decl.keyword, "sweep", total);
    for index in 0..total {
        let mut rest = index;
        let mut net_args = base.args.clone();
        let mut overrides: Vec<(SweepSetting, f64, Span)> = Vec::new();
        for axis in axes.iter().rev() {
            let value = axis.values[rest % axis.values.len()];
            rest /= axis.values.len();
            match SweepSetting::named(&axis.name) {
                // A network parameter named like a setting is the parameter.
                Some(setting) if !params.contains(&axis.name) => {
                    overrides.push((setting, value, axis.span));
                }
                _ => {
                    net_args.retain(|a| a.name != axis.name);
                    net_args.push(NetArg::computed(&axis.name, value, axis.span));
                }
            }
        }
        let net_ref = NetRef {
            name: base.name.clone(),
            args: net_args,
            span: base.span,
            weights: base.weights.clone(),
        };
        let target = Target {
            kind: RunKind::Train,
            span,
            keyword: decl.keyword,
            net_ref,
            data: data.clone(),
            data_span,
        };
        let mut point = reader.clone();
        for &(which, value, at) in &overrides {
            point.sweep(which, value, at)?;
        }
        let plan = build(target, point, env)?;
        budget.add(&plan)?;
        points.push(plan);
    }
    Ok(SweepPlan {
        span,
        axes,
        points,
        metric,
    })
}

fn network_of(expr: &Expr, env: &Env) -> Result<NetRef, Diagnostic> {
    match eval(expr, &Scope::global(env))? {
        Value::Network(net) => Ok(net),
        other => Err(Diagnostic::error(format!(
            "expected a network, found a {}",
            other.type_name()
        ))
        .with_label(expr.span, "not a network")
        .with_help("declare one with `network NAME { input N … }`")),
    }
}

fn data_of(expr: &Expr, env: &Env) -> Result<(Rc<Data>, Span), Diagnostic> {
    match eval(expr, &Scope::global(env))? {
        Value::Data(data) => Ok((data, expr.span)),
        other => Err(Diagnostic::error(format!(
            "expected a data set, found a {}",
            other.type_name()
        ))
        .with_label(expr.span, "not a data set")
        .with_help(
            "declare one with `data NAME { x = … y = … }` or use a generator such as `xor()`",
        )),
    }
}

/// The plan of a run block, from its target and its settings as read.
fn build(target: Target, reader: SettingsReader, env: &Env) -> Result<RunPlan, Diagnostic> {
    let (kind, keyword) = (target.kind, target.keyword);
    let SettingsReader {
        settings: s,
        batch_span,
        variants,
        ..
    } = reader;
    let plan = RunPlan {
        kind: target.kind,
        span: target.span,
        keyword: target.keyword,
        net: instantiate(&target.net_ref, env)?,
        net_ref: target.net_ref,
        data: target.data,
        data_span: target.data_span,
        loss: s.loss,
        optimizer: s.optimizer,
        stop: s.stop,
        batch: s.batch,
        remedy_specs: s.remedy_specs,
        remedies: Remedies::default(),
        show: s.show,
        thresholds: s.thresholds,
        diagnose: s.diagnose,
        continue_on_nan: s.continue_on_nan,
        seed: s.seed,
        precision: s.precision,
        variants: Vec::new(),
        result: None,
    };
    if let Some(at) = batch_span {
        check_batch(&plan, at)?;
    }
    if kind == RunKind::Compare && variants.is_empty() {
        return Err(Diagnostic::error("`compare` needs at least one `variant`")
            .with_label(keyword, "nothing to compare the baseline with")
            .with_help("add a line such as `variant clip_norm(1.0)`"));
    }
    with_remedies(plan, variants, env)
}

/// A batch size set at `at` must not be larger than the data.
fn check_batch(plan: &RunPlan, at: Span) -> Result<(), Diagnostic> {
    match plan.batch {
        Some(batch) if batch > plan.data.set.n => Err(Diagnostic::error(format!(
            "batch of {batch} is larger than the data ({} rows)",
            plan.data.set.n
        ))
        .with_kind(ErrorKind::ShapeMismatch)
        .with_label(at, "this batch size")
        .with_label(plan.data_span, format!("{} rows", plan.data.set.n))
        .with_help(format!("use `batch {}` or less", plan.data.set.n))),
        _ => Ok(()),
    }
}

/// Applies the block's remedies to `plan`, and makes each compare variant from it.
fn with_remedies(
    mut plan: RunPlan,
    variants: Vec<(Vec<super::value::Spec>, Span)>,
    env: &Env,
) -> Result<RunPlan, Diagnostic> {
    // Variants start from the plan as it is before any remedy, so each gets exactly the
    // block's remedies plus its own.
    let bare = plan.clone();
    let specs = remedy::ordered(&plan.remedy_specs);
    remedy::apply(&mut plan, &specs, env)?;
    check_fit(&plan)?;
    for (specs, span) in variants {
        let label = if specs.is_empty() {
            "baseline".to_string()
        } else {
            specs
                .iter()
                .map(|s| Value::Spec(s.clone()).to_string())
                .collect::<Vec<_>>()
                .join(" + ")
        };
        let mut variant = bare.clone();
        variant.remedy_specs.extend(specs);
        let all = remedy::ordered(&variant.remedy_specs);
        remedy::apply(&mut variant, &all, env)?;
        check_fit(&variant)?;
        plan.variants.push(Variant {
            label,
            plan: Box::new(variant),
            span,
        });
    }
    Ok(plan)
}

/// The data must fit the network: inputs to its input width, targets to its output.
fn check_fit(plan: &RunPlan) -> Result<(), Diagnostic> {
    let set = &plan.data.set;
    let net = &plan.net;
    let name = &plan.data.name;
    if set.x_dim != net.spec.input {
        return Err(Diagnostic::error(format!(
            "data `{name}` has {} input column{}, but network `{}` takes {}",
            set.x_dim,
            plural(set.x_dim),
            net.name,
            net.spec.input
        ))
        .with_kind(ErrorKind::ShapeMismatch)
        .with_label(
            plan.data_span,
            format!("{} input column{}", set.x_dim, plural(set.x_dim)),
        )
        .with_label(
            net.input_span,
            format!("the network takes {}", net.spec.input),
        ));
    }
    let out = net.spec.layers.last().map_or(0, |l| l.width);
    let last_span = net.origins.last().map_or(net.decl_span, |o| o.span);
    if plan.loss == LossKind::CrossEntropy {
        if set.y_dim != 1 {
            return Err(Diagnostic::error(
                "`cross_entropy` needs one target column of class indices",
            )
            .with_kind(ErrorKind::ShapeMismatch)
            .with_label(plan.data_span, format!("{} target columns", set.y_dim))
            .with_help("write each target as its class number: y = [[0], [2], [1]]"));
        }
        if out < 2 {
            return Err(Diagnostic::error(
                "`cross_entropy` needs a last layer with one output per class",
            )
            .with_kind(ErrorKind::ShapeMismatch)
            .with_label(last_span, format!("{out} output"))
            .with_help("make the last layer `dense CLASSES linear`"));
        }
        if let Some(bad) = set
            .y
            .iter()
            .find(|c| c.fract() != 0.0 || **c < 0.0 || **c >= out as f64)
        {
            return Err(Diagnostic::error(format!(
                "class {bad} is out of range for a network with {out} outputs"
            ))
            .with_kind(ErrorKind::ShapeMismatch)
            .with_label(plan.data_span, "in these targets")
            .with_label(last_span, format!("{out} classes: 0 to {}", out - 1)));
        }
        return Ok(());
    }
    if set.y_dim != out {
        return Err(Diagnostic::error(format!(
            "data `{name}` has {} target column{}, but network `{}` outputs {out}",
            set.y_dim,
            plural(set.y_dim),
            net.name
        ))
        .with_kind(ErrorKind::ShapeMismatch)
        .with_label(
            plan.data_span,
            format!("{} target column{}", set.y_dim, plural(set.y_dim)),
        )
        .with_label(last_span, format!("the last layer outputs {out}")));
    }
    Ok(())
}
