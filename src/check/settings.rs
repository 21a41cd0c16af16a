//! The settings of `train`, `compare`, `explain` and `sweep` blocks: one function per
//! setting, and the dispatcher that reads a block's settings into its plan.

use super::args::{Bound, bind, check_kind, check_number};
use super::env::Env;
use super::eval::{Scope, eval};
use super::plan::{RunPlan, Show};
use super::value::{Spec, Value};
use crate::diagnostics::{Diagnostic, ErrorKind, Span};
use crate::engine::{LossKind, OptimizerSpec, Precision, Stop, Thresholds};
use crate::signature::{
    self as sig, Choice, DetectorName, Family, Kind, LossName, ON_NAN, OnNan, OptimizerName,
    PRECISIONS, PrecisionName, RemedyName, SettingName, ShowName, SweepSetting, did_you_mean,
};
use crate::syntax::ast::{Call, Expr, ExprKind, Ident, RunKind, Setting};

/// Steps run when a script names neither `steps` nor `epochs`.
pub const DEFAULT_STEPS: usize = 100;
/// The most optimizer steps one run may take.
pub const MAX_STEPS: usize = 10_000_000;

/// A run's plan while its block's settings are read into it.
pub struct SettingsReader<'a> {
    env: &'a Env,
    pub plan: RunPlan,
    seen: Vec<(SettingName, Span)>,
    /// Where `batch` was set, to point at if it is larger than the data.
    pub batch_span: Option<Span>,
    /// The remedies of each `variant` line, for `compare`.
    pub variants: Vec<(Vec<Spec>, Span)>,
}

impl<'a> SettingsReader<'a> {
    pub fn new(plan: RunPlan, env: &'a Env) -> Self {
        SettingsReader {
            env,
            plan,
            seen: Vec::new(),
            batch_span: None,
            variants: Vec::new(),
        }
    }

    /// Reads one setting into the plan.
    pub fn read(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        let name = self.name_of(setting)?;
        match name {
            SettingName::Loss => self.loss(setting),
            SettingName::Optimizer => self.optimizer(setting),
            SettingName::Steps => self.stop(setting, SettingName::Epochs, Stop::Steps),
            SettingName::Epochs => self.stop(setting, SettingName::Steps, Stop::Epochs),
            SettingName::Batch => self.batch(setting),
            SettingName::Remedy => self.remedy(setting),
            SettingName::Variant => self.variant(setting),
            SettingName::Show => self.show(setting),
            SettingName::Every => self.every(setting),
            SettingName::Diagnose => self.diagnose(setting),
            SettingName::OnNan => self.on_nan(setting),
            SettingName::Seed => self.seed(setting),
            SettingName::Precision => self.precision(setting),
            // A sweep takes its metric out before its runs are read.
            SettingName::Metric => Err(self.misplaced(setting, "`sweep` block")),
        }
    }

    /// Sets a training setting to the value a sweep's grid point gives it.
    pub fn sweep(&mut self, which: SweepSetting, value: f64, at: Span) -> Result<(), Diagnostic> {
        let kind = match which {
            SweepSetting::Lr => Kind::Positive,
            SweepSetting::Batch | SweepSetting::Steps | SweepSetting::Epochs => Kind::Count,
        };
        check_number(which.name(), kind, &Value::Num(value), at)?;
        let plan = &mut self.plan;
        match which {
            SweepSetting::Lr => match &mut plan.optimizer {
                OptimizerSpec::Sgd { lr, .. }
                | OptimizerSpec::Adam { lr, .. }
                | OptimizerSpec::RmsProp { lr, .. } => *lr = value,
            },
            SweepSetting::Batch => {
                plan.batch = Some(value as usize);
                self.batch_span = Some(at);
            }
            SweepSetting::Steps => plan.stop = Stop::Steps(value as usize),
            SweepSetting::Epochs => plan.stop = Stop::Epochs(value as usize),
        }
        Ok(())
    }

    /// The setting's name, if it is one and is not set twice.
    fn name_of(&mut self, setting: &Setting) -> Result<SettingName, Diagnostic> {
        let key = setting.key.name.as_str();
        let Some(name) = SettingName::named(key) else {
            let mut d = self.unknown(setting);
            if let Some(best) = did_you_mean(key, sig::RUN_SETTINGS.iter().map(|(k, _)| *k)) {
                d = d.with_help(format!("did you mean `{best}`?"));
            }
            return Err(d);
        };
        // `variant` is a list: one line per variant.
        if name != SettingName::Variant {
            if let Some((_, first)) = self.seen.iter().find(|(k, _)| *k == name) {
                return Err(Diagnostic::error(format!("`{key}` is set twice"))
                    .with_label(setting.span, "set again here")
                    .with_label(*first, "first set here"));
            }
            self.seen.push((name, setting.span));
        }
        Ok(name)
    }

    fn unknown(&self, setting: &Setting) -> Diagnostic {
        Diagnostic::error(format!(
            "unknown setting `{}` in `{}`",
            setting.key.name,
            self.plan.kind.keyword()
        ))
        .with_kind(ErrorKind::UnknownBuiltin)
        .with_label(setting.key.span, "not a setting here")
    }

    /// A setting of another kind of block.
    fn misplaced(&self, setting: &Setting, belongs: &str) -> Diagnostic {
        self.unknown(setting)
            .with_help(format!("`{}` belongs in a {belongs}", setting.key.name))
    }

    fn loss(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        let (name, spec) = spec_of::<LossName>(one_value(setting)?, self.env)?;
        bound_spec(name, &spec)?;
        self.plan.loss = loss(name);
        Ok(())
    }

    fn optimizer(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        let (name, spec) = spec_of::<OptimizerName>(one_value(setting)?, self.env)?;
        self.plan.optimizer = optimizer(name, &bound_spec(name, &spec)?)?;
        Ok(())
    }

    /// `steps` or `epochs`; `other` is the one that must not be set too.
    fn stop(
        &mut self,
        setting: &Setting,
        other: SettingName,
        stop: fn(usize) -> Stop,
    ) -> Result<(), Diagnostic> {
        if let Some((_, first)) = self.seen.iter().find(|(k, _)| *k == other) {
            return Err(
                Diagnostic::error("a run counts `steps` or `epochs`, not both")
                    .with_label(setting.span, "this one")
                    .with_label(*first, "and this one"),
            );
        }
        let (n, at) = number(setting, Kind::Count, self.env)?;
        let n = n as usize;
        if n > MAX_STEPS {
            return Err(
                Diagnostic::error(format!("more than {MAX_STEPS} {}", setting.key.name))
                    .with_kind(ErrorKind::TooLarge)
                    .with_label(at, "too many"),
            );
        }
        self.plan.stop = stop(n);
        Ok(())
    }

    fn batch(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        let (n, at) = number(setting, Kind::Count, self.env)?;
        self.plan.batch = Some(n as usize);
        self.batch_span = Some(at);
        Ok(())
    }

    fn remedy(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        self.plan.remedy_specs = remedies_of(setting, self.env)?;
        Ok(())
    }

    fn variant(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        if self.plan.kind != RunKind::Compare {
            return Err(self.misplaced(setting, "`compare` block"));
        }
        self.variants
            .push((remedies_of(setting, self.env)?, setting.span));
        Ok(())
    }

    fn show(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        let show = &mut self.plan.show;
        *show = Show::default();
        for expr in &setting.values {
            let name = match eval(expr, &Scope::global(self.env)) {
                Ok(Value::None) => ShowName::None,
                _ => spec_of::<ShowName>(expr, self.env)?.0,
            };
            match name {
                ShowName::Loss => show.loss = true,
                ShowName::Gradients => show.gradients = true,
                ShowName::Weights => show.weights = true,
                ShowName::None => {}
            }
        }
        // The loss is always shown next to any table.
        if show.gradients || show.weights {
            show.loss = true;
        }
        Ok(())
    }

    fn every(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        self.plan.every = Some(number(setting, Kind::Count, self.env)?.0 as usize);
        Ok(())
    }

    fn diagnose(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        for expr in &setting.values {
            if let Ok(Value::None) = eval(expr, &Scope::global(self.env)) {
                self.plan.diagnose = false;
                continue;
            }
            let (name, spec) = spec_of::<DetectorName>(expr, self.env)?;
            threshold(&mut self.plan.thresholds, name, &bound_spec(name, &spec)?)?;
        }
        Ok(())
    }

    fn on_nan(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        let expr = one_value(setting)?;
        let value = eval(expr, &Scope::global(self.env))?;
        check_kind("on_nan", Kind::Choice(ON_NAN), &value, expr.span)?;
        self.plan.continue_on_nan = chosen::<OnNan>(&value) == Some(OnNan::Continue);
        Ok(())
    }

    fn seed(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        self.plan.seed = number(setting, Kind::Natural, self.env)?.0 as u64;
        Ok(())
    }

    fn precision(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        self.plan.precision = precision_of(one_value(setting)?, self.env)?;
        Ok(())
    }
}

pub fn one_value(setting: &Setting) -> Result<&Expr, Diagnostic> {
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
pub fn spec_of<F: Family>(expr: &Expr, env: &Env) -> Result<(F, Spec), Diagnostic> {
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
        .with_kind(ErrorKind::UnknownBuiltin)
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
    Ok((
        check_number(&setting.key.name, kind, &value, expr.span)?,
        expr.span,
    ))
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
                .with_kind(ErrorKind::InvalidValue)
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
                    .with_kind(ErrorKind::InvalidValue)
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
