//! `train`, `compare`, `explain` and `sweep`: checking their settings and building
//! the plan the engine runs.

use std::rc::Rc;

use super::args::{Bound, bind, check_kind};
use super::env::Env;
use super::eval::{Scope, eval};
use super::network::{Instance, instantiate};
use super::remedy;
use super::signature::{
    self as sig, Choice, DetectorName, Family, Kind, LossName, Metric, ON_NAN, OnNan,
    OptimizerName, PRECISIONS, PrecisionName, RemedyName, ShowName, did_you_mean,
};
use super::value::{Data, NetRef, Spec, Value};
use crate::diagnostics::{Diagnostic, Span};
use crate::engine::{LossKind, OptimizerSpec, Precision, Remedies, Stop, Thresholds};
use crate::syntax::ast::{Call, Expr, ExprKind, Ident, RunDecl, RunKind, Setting, SweepDecl};

/// Steps run when a script names neither `steps` nor `epochs`.
pub const DEFAULT_STEPS: usize = 100;
/// The most optimizer steps one run may take.
pub const MAX_STEPS: usize = 10_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Show {
    pub loss: bool,
    pub gradients: bool,
    pub weights: bool,
}

/// A remedy combination tried by `compare`: the text the table labels it by, and the
/// baseline's plan with the remedies applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub label: String,
    pub plan: Box<RunPlan>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    pub kind: RunKind,
    pub span: Span,
    pub keyword: Span,
    pub net: Instance,
    pub net_ref: NetRef,
    pub data: Rc<Data>,
    pub data_span: Span,
    pub loss: LossKind,
    pub optimizer: OptimizerSpec,
    pub stop: Stop,
    pub batch: Option<usize>,
    /// The remedies as written, for reports.
    pub remedy_specs: Vec<Spec>,
    /// The training remedies for the engine; network remedies are already in `net`.
    pub remedies: Remedies,
    pub show: Show,
    pub every: Option<usize>,
    pub thresholds: Thresholds,
    /// `diagnose none` turns the warnings off.
    pub diagnose: bool,
    pub continue_on_nan: bool,
    pub seed: u64,
    pub precision: Precision,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    pub name: String,
    pub values: Vec<f64>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SweepPlan {
    pub span: Span,
    pub axes: Vec<SweepAxis>,
    /// One plan per grid point, the last axis varying fastest.
    pub points: Vec<RunPlan>,
    pub metric: Metric,
}

/// Training settings a sweep may vary besides the network's own parameters.
const SWEEPABLE_SETTINGS: &[&str] = &["lr", "batch", "steps", "epochs"];

pub fn check_run(decl: &RunDecl, span: Span, env: &Env) -> Result<RunPlan, Diagnostic> {
    let net_ref = network_of(&decl.network, env)?;
    let (data, data_span) = data_of(&decl.data, env)?;
    build(
        decl.kind,
        span,
        decl.keyword,
        net_ref,
        data,
        data_span,
        &decl.settings,
        &[],
        env,
    )
}

pub fn check_sweep(decl: &SweepDecl, span: Span, env: &Env) -> Result<SweepPlan, Diagnostic> {
    let base = network_of(
        &Expr {
            kind: crate::syntax::ast::ExprKind::Var(decl.network.name.clone()),
            span: decl.network.span,
        },
        env,
    )?;
    let params: Vec<String> = match env.get(&base.name).map(|b| &b.entry) {
        Some(super::env::Entry::Network(n)) => {
            n.params.iter().map(|p| p.name.name.clone()).collect()
        }
        _ => Vec::new(),
    };
    let (data, data_span) = data_of(&decl.data, env)?;
    let mut axes = Vec::new();
    for axis in &decl.axes {
        let name = axis.name.name.as_str();
        if !params.iter().any(|p| p == name) && !SWEEPABLE_SETTINGS.contains(&name) {
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
    let metric = decl
        .settings
        .iter()
        .find(|s| s.key.name == "metric")
        .map(|s| Ok(spec_of::<Metric>(one_value(s)?, env)?.0))
        .transpose()?
        .unwrap_or(Metric::DEFAULT);
    let settings: Vec<Setting> = decl
        .settings
        .iter()
        .filter(|s| s.key.name != "metric")
        .cloned()
        .collect();

    let total: usize = axes.iter().map(|a| a.values.len()).product();
    if total > 10_000 {
        return Err(
            Diagnostic::error(format!("a sweep of {total} runs is too large"))
                .with_label(span, "at most 10000 grid points")
                .with_help("use a larger step in the ranges"),
        );
    }
    let mut points = Vec::with_capacity(total);
    for index in 0..total {
        let mut rest = index;
        let mut net_args = base.args.clone();
        let mut overrides: Vec<(&str, f64, Span)> = Vec::new();
        for axis in axes.iter().rev() {
            let value = axis.values[rest % axis.values.len()];
            rest /= axis.values.len();
            if params.contains(&axis.name) {
                net_args.retain(|(n, _, _)| *n != axis.name);
                net_args.push((axis.name.clone(), Value::Num(value), axis.span));
            } else {
                overrides.push((axis.name.as_str(), value, axis.span));
            }
        }
        let net_ref = NetRef {
            name: base.name.clone(),
            args: net_args,
            span: base.span,
        };
        let plan = build(
            RunKind::Train,
            span,
            decl.keyword,
            net_ref,
            data.clone(),
            data_span,
            &settings,
            &overrides,
            env,
        )?;
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

fn one_value(setting: &Setting) -> Result<&Expr, Diagnostic> {
    match setting.values.as_slice() {
        [one] => Ok(one),
        [_, extra, ..] => Err(
            Diagnostic::error(format!("`{}` takes one value", setting.key.name))
                .with_label(extra.span, "extra value"),
        ),
        [] => Err(
            Diagnostic::error(format!("`{}` needs a value", setting.key.name))
                .with_label(setting.span, "here"),
        ),
    }
}

/// Evaluates a setting's value as a name of family `F`, with its arguments bound.
fn spec_of<F: Family>(expr: &Expr, env: &Env) -> Result<(F, Spec), Diagnostic> {
    let value = eval(expr, &Scope::global(env));
    let spec = match value {
        Ok(Value::Spec(spec)) => spec,
        Err(e) => {
            // An unknown bare name here is most likely a misspelt option.
            if let ExprKind::Var(name)
            | ExprKind::Call(Call {
                name: Ident { name, .. },
                ..
            }) = &expr.kind
                && F::named(name).is_none()
                && env.get(name).is_none()
            {
                return Err(unknown_in::<F>(name, expr.span));
            }
            return Err(e);
        }
        Ok(other) => {
            return Err(Diagnostic::error(format!(
                "expected a {}, found a {}",
                F::WHAT,
                other.type_name()
            ))
            .with_label(expr.span, format!("not a {}", F::WHAT)));
        }
    };
    match F::named(&spec.name) {
        Some(name) => Ok((name, spec)),
        None => Err(unknown_in::<F>(&spec.name, expr.span)),
    }
}

fn unknown_in<F: Family>(name: &str, span: Span) -> Diagnostic {
    let what = F::WHAT;
    let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let mut d = Diagnostic::error(format!("unknown {what} `{name}`"))
        .with_label(span, format!("not {article} {what}"));
    let plural = match what.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None if what.ends_with('s') => format!("{what}es"),
        None => format!("{what}s"),
    };
    match did_you_mean(name, sig::names(F::TABLE)) {
        Some(best) => d = d.with_help(format!("did you mean `{best}`?")),
        None => {
            d = d.with_help(format!(
                "the {plural} are {}",
                sig::names(F::TABLE).collect::<Vec<_>>().join(", ")
            ))
        }
    }
    d
}

/// The arguments of a checked spec, bound to its signature.
fn bound_spec<F: Family>(name: F, spec: &Spec) -> Result<Bound, Diagnostic> {
    bind(name.signature(), F::WHAT, &spec.args, spec.span)
}

fn number(setting: &Setting, kind: Kind, env: &Env) -> Result<(f64, Span), Diagnostic> {
    let expr = one_value(setting)?;
    let value = eval(expr, &Scope::global(env))?;
    check_kind(&setting.key.name, kind, &value, expr.span)?;
    match value {
        Value::Num(n) => Ok((n, expr.span)),
        _ => unreachable!(),
    }
}

/// Remedies from a setting's values: `remedy a, b + c`.
fn remedies_of(setting: &Setting, env: &Env) -> Result<Vec<Spec>, Diagnostic> {
    let mut out = Vec::new();
    for expr in &setting.values {
        let specs = match eval(expr, &Scope::global(env)) {
            Ok(Value::Combo(specs)) => specs,
            Ok(Value::Spec(spec)) if spec.name == "baseline" => Vec::new(),
            _ => vec![spec_of::<RemedyName>(expr, env)?.1],
        };
        // Arguments are checked here, where they were written; what they mean for
        // the network, when the remedies are applied (`remedy::apply`).
        for spec in specs {
            let name = RemedyName::named(&spec.name)
                .ok_or_else(|| unknown_in::<RemedyName>(&spec.name, spec.span))?;
            bound_spec(name, &spec)?;
            out.push(spec);
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn build(
    kind: RunKind,
    span: Span,
    keyword: Span,
    net_ref: NetRef,
    data: Rc<Data>,
    data_span: Span,
    settings: &[Setting],
    overrides: &[(&str, f64, Span)],
    env: &Env,
) -> Result<RunPlan, Diagnostic> {
    let mut plan = RunPlan {
        kind,
        span,
        keyword,
        net: instantiate(&net_ref, env)?,
        net_ref: net_ref.clone(),
        data,
        data_span,
        loss: LossKind::Mse,
        optimizer: OptimizerSpec::Sgd {
            lr: 0.01,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        },
        stop: Stop::Steps(DEFAULT_STEPS),
        batch: None,
        remedy_specs: Vec::new(),
        remedies: Remedies::default(),
        show: Show {
            loss: true,
            ..Show::default()
        },
        every: None,
        thresholds: Thresholds::default(),
        diagnose: true,
        continue_on_nan: false,
        seed: env.seed,
        precision: env.precision,
        variants: Vec::new(),
    };
    let mut seen: Vec<(&str, Span)> = Vec::new();
    let mut batch_span = None;
    let mut variant_specs: Vec<(Vec<Spec>, Span)> = Vec::new();
    for setting in settings {
        let key = setting.key.name.as_str();
        let known = sig::RUN_SETTINGS.iter().any(|(k, _)| *k == key);
        let allowed = match key {
            "variant" => kind == RunKind::Compare,
            "metric" => false,
            _ => known,
        };
        if !allowed {
            let mut d =
                Diagnostic::error(format!("unknown setting `{key}` in `{}`", kind.keyword()))
                    .with_label(setting.key.span, "not a setting here");
            if known {
                d = d.with_help(format!(
                    "`{key}` belongs in a {}",
                    if key == "variant" {
                        "`compare` block"
                    } else {
                        "`sweep` block"
                    }
                ));
            } else if let Some(best) = did_you_mean(key, sig::RUN_SETTINGS.iter().map(|(k, _)| *k))
            {
                d = d.with_help(format!("did you mean `{best}`?"));
            }
            return Err(d);
        }
        if key != "variant" {
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                return Err(Diagnostic::error(format!("`{key}` is set twice"))
                    .with_label(setting.span, "set again here")
                    .with_label(*first, "first set here"));
            }
            seen.push((key, setting.span));
        }
        match key {
            "loss" => {
                let (name, spec) = spec_of::<LossName>(one_value(setting)?, env)?;
                bound_spec(name, &spec)?;
                plan.loss = loss(name);
            }
            "optimizer" => {
                let (name, spec) = spec_of::<OptimizerName>(one_value(setting)?, env)?;
                plan.optimizer = optimizer(name, &bound_spec(name, &spec)?)?;
            }
            "steps" | "epochs" => {
                if let Some((_, first)) = seen
                    .iter()
                    .find(|(k, _)| *k == if key == "steps" { "epochs" } else { "steps" })
                {
                    return Err(
                        Diagnostic::error("a run counts `steps` or `epochs`, not both")
                            .with_label(setting.span, "this one")
                            .with_label(*first, "and this one"),
                    );
                }
                let (n, at) = number(setting, Kind::Count, env)?;
                let n = n as usize;
                if n > MAX_STEPS {
                    return Err(Diagnostic::error(format!("more than {MAX_STEPS} {key}"))
                        .with_label(at, "too many"));
                }
                plan.stop = if key == "steps" {
                    Stop::Steps(n)
                } else {
                    Stop::Epochs(n)
                };
            }
            "batch" => {
                let (n, at) = number(setting, Kind::Count, env)?;
                plan.batch = Some(n as usize);
                batch_span = Some(at);
            }
            "remedy" => plan.remedy_specs = remedies_of(setting, env)?,
            "variant" => variant_specs.push((remedies_of(setting, env)?, setting.span)),
            "show" => {
                plan.show = Show::default();
                for expr in &setting.values {
                    let name = match eval(expr, &Scope::global(env)) {
                        Ok(Value::None) => ShowName::None,
                        _ => spec_of::<ShowName>(expr, env)?.0,
                    };
                    match name {
                        ShowName::Loss => plan.show.loss = true,
                        ShowName::Gradients => plan.show.gradients = true,
                        ShowName::Weights => plan.show.weights = true,
                        ShowName::None => {}
                    }
                }
                // The loss is always shown next to any table.
                if plan.show.gradients || plan.show.weights {
                    plan.show.loss = true;
                }
            }
            "every" => plan.every = Some(number(setting, Kind::Count, env)?.0 as usize),
            "diagnose" => {
                for expr in &setting.values {
                    if let Ok(Value::None) = eval(expr, &Scope::global(env)) {
                        plan.diagnose = false;
                        continue;
                    }
                    let (name, spec) = spec_of::<DetectorName>(expr, env)?;
                    threshold(&mut plan.thresholds, name, &bound_spec(name, &spec)?)?;
                }
            }
            "on_nan" => {
                let expr = one_value(setting)?;
                let value = eval(expr, &Scope::global(env))?;
                check_kind("on_nan", Kind::Choice(ON_NAN), &value, expr.span)?;
                plan.continue_on_nan = chosen::<OnNan>(&value) == Some(OnNan::Continue);
            }
            "seed" => plan.seed = number(setting, Kind::Natural, env)?.0 as u64,
            "precision" => plan.precision = precision_of(one_value(setting)?, env)?,
            _ => unreachable!("`{key}` passed the allowed check"),
        }
    }
    for (name, value, at) in overrides {
        let value = *value;
        match *name {
            "lr" => {
                check_kind("lr", Kind::Positive, &Value::Num(value), *at)?;
                match &mut plan.optimizer {
                    OptimizerSpec::Sgd { lr, .. }
                    | OptimizerSpec::Adam { lr, .. }
                    | OptimizerSpec::RmsProp { lr, .. } => *lr = value,
                }
            }
            "batch" => {
                check_kind("batch", Kind::Count, &Value::Num(value), *at)?;
                plan.batch = Some(value as usize);
                batch_span = Some(*at);
            }
            _ => {
                check_kind(name, Kind::Count, &Value::Num(value), *at)?;
                plan.stop = if *name == "steps" {
                    Stop::Steps(value as usize)
                } else {
                    Stop::Epochs(value as usize)
                };
            }
        }
    }
    if let (Some(batch), Some(at)) = (plan.batch, batch_span)
        && batch > plan.data.set.n
    {
        return Err(Diagnostic::error(format!(
            "batch of {batch} is larger than the data ({} rows)",
            plan.data.set.n
        ))
        .with_label(at, "this batch size")
        .with_label(plan.data_span, format!("{} rows", plan.data.set.n))
        .with_help(format!("use `batch {}` or less", plan.data.set.n)));
    }
    if kind == RunKind::Compare && variant_specs.is_empty() {
        return Err(Diagnostic::error("`compare` needs at least one `variant`")
            .with_label(keyword, "nothing to compare the baseline with")
            .with_help("add a line such as `variant clip_norm(1.0)`"));
    }
    // Variants start from the plan as it is before any remedy, so each gets exactly the
    // block's remedies plus its own.
    let bare = plan.clone();
    let specs = remedy::ordered(&plan.remedy_specs);
    remedy::apply(&mut plan, &specs, env)?;
    check_fit(&plan)?;
    for (specs, span) in variant_specs {
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

pub fn precision_of(expr: &Expr, env: &Env) -> Result<Precision, Diagnostic> {
    let value = eval(expr, &Scope::global(env));
    let named = match &value {
        // Written bare only: `precision f64`.
        Ok(Value::Spec(spec)) => PrecisionName::named(&spec.name),
        _ => None,
    };
    match named {
        Some(PrecisionName::F32) => Ok(Precision::F32),
        Some(PrecisionName::F64) => Ok(Precision::F64),
        None => {
            let mut d = Diagnostic::error("precision is `f32` or `f64`")
                .with_label(expr.span, "not a precision");
            if let crate::syntax::ast::ExprKind::Var(name) = &expr.kind
                && let Some(best) = did_you_mean(name, PRECISIONS.iter().copied())
            {
                d = d.with_help(format!("did you mean `{best}`?"));
            }
            Err(d)
        }
    }
}

/// The option of `C` a value names, written bare (`continue`) or as a string.
fn chosen<C: Choice>(value: &Value) -> Option<C> {
    match value {
        Value::Spec(spec) if spec.args.is_empty() => C::named(&spec.name),
        Value::Str(s) => C::named(s),
        _ => None,
    }
}

/// The engine's loss for a checked name.
fn loss(name: LossName) -> LossKind {
    match name {
        LossName::Mse => LossKind::Mse,
        LossName::Mae => LossKind::Mae,
        LossName::Bce => LossKind::Bce,
        LossName::CrossEntropy => LossKind::CrossEntropy,
    }
}

/// The engine's optimizer for a checked name and its bound arguments.
fn optimizer(name: OptimizerName, b: &Bound) -> Result<OptimizerSpec, Diagnostic> {
    Ok(match name {
        OptimizerName::Sgd => OptimizerSpec::Sgd {
            lr: b.num("lr")?,
            momentum: b.num("momentum")?,
            nesterov: b.flag("nesterov")?,
            weight_decay: b.num("weight_decay")?,
        },
        OptimizerName::Adam => {
            let (beta1, beta2) = b.pair("betas")?;
            for (beta, which) in [(beta1, "first"), (beta2, "second")] {
                if !(0.0..1.0).contains(&beta) {
                    return Err(Diagnostic::error(format!(
                        "Adam's {which} beta must be in [0, 1)"
                    ))
                    .with_label(b.span("betas"), format!("{which} beta is {beta}")));
                }
            }
            OptimizerSpec::Adam {
                lr: b.num("lr")?,
                beta1,
                beta2,
                eps: b.num("eps")?,
                weight_decay: b.num("weight_decay")?,
            }
        }
        OptimizerName::RmsProp => OptimizerSpec::RmsProp {
            lr: b.num("lr")?,
            alpha: b.num("alpha")?,
            eps: b.num("eps")?,
            weight_decay: b.num("weight_decay")?,
        },
    })
}

/// Sets the thresholds of one detector from its bound arguments.
fn threshold(t: &mut Thresholds, name: DetectorName, b: &Bound) -> Result<(), Diagnostic> {
    match name {
        DetectorName::LossJump => t.loss_jump_factor = b.num("factor")?,
        DetectorName::Plateau => {
            t.plateau_steps = b.count("steps")?;
            t.plateau_fraction = b.num("fraction")?;
        }
        DetectorName::Exploding => {
            t.explode_factor = b.num("factor")?;
            t.explode_norm = b.num("norm")?;
        }
        DetectorName::Vanishing => t.vanish_ratio = b.num("ratio")?,
    }
    Ok(())
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
            .with_label(plan.data_span, format!("{} target columns", set.y_dim))
            .with_help("write each target as its class number: y = [[0], [2], [1]]"));
        }
        if out < 2 {
            return Err(Diagnostic::error(
                "`cross_entropy` needs a last layer with one output per class",
            )
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
        .with_label(
            plan.data_span,
            format!("{} target column{}", set.y_dim, plural(set.y_dim)),
        )
        .with_label(last_span, format!("the last layer outputs {out}")));
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
