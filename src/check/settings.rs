//! The settings of `train`, `compare`, `explain` and `sweep` blocks: one function per
//! setting, and the dispatcher that reads a block's settings. Each setting is checked on
//! its own, so every bad one of a block is reported, and a setting the block has no use
//! for is reported too (`relevance`).

use super::args::{Bound, bind, check_kind, check_number, no_arguments};
use super::bare_word;
use super::env::Env;
use super::eval::{Scope, eval};
use super::relevance::{Asks, Block, unused};
use super::value::{Spec, Value};
use crate::diagnostics::{Diagnostic, ErrorKind, Span};
use crate::engine::{LossKind, OptimizerSpec, Precision, Stop, Thresholds};
use crate::report::info::ShowOptions;
use crate::signature::{
    self as sig, Choice, DetectorName, Family, Kind, LossName, ON_NAN, OnNan, OptimizerName,
    PRECISIONS, PrecisionName, RemedyName, SettingName, ShowName, SweepSetting, did_you_mean,
};
use crate::syntax::ast::{Call, Expr, ExprKind, Ident, Setting};

/// Steps run when a script names neither `steps` nor `epochs`.
pub const DEFAULT_STEPS: usize = 100;
/// The most optimizer steps one run may take.
pub const MAX_STEPS: usize = 10_000_000;

/// What a block's settings say, before they are joined to its network and data.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    pub loss: LossKind,
    pub optimizer: OptimizerSpec,
    pub stop: Stop,
    pub batch: Option<usize>,
    /// The remedies as written.
    pub remedy_specs: Vec<Spec>,
    pub show: ShowOptions,
    pub thresholds: Thresholds,
    pub diagnose: bool,
    pub continue_on_nan: bool,
    pub seed: u64,
    pub precision: Precision,
}

impl RunSettings {
    /// The settings of a block that names none.
    pub fn defaults(env: &Env) -> Self {
        RunSettings {
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
            show: ShowOptions {
                loss: true,
                ..ShowOptions::default()
            },
            thresholds: Thresholds::default(),
            diagnose: true,
            continue_on_nan: false,
            seed: env.seed,
            precision: env.precision,
        }
    }
}

/// A block's settings while they are read.
#[derive(Clone)]
pub struct SettingsReader<'a> {
    env: &'a Env,
    block: Block,
    pub settings: RunSettings,
    seen: Vec<(SettingName, Span)>,
    /// Where `batch` was set, to point at if it is larger than the data.
    pub batch_span: Option<Span>,
    /// The remedies of each `variant` line, for `compare`.
    pub variants: Vec<(Vec<Spec>, Span)>,
    /// Warnings about settings the block has no use for.
    pub warnings: Vec<Diagnostic>,
}

impl<'a> SettingsReader<'a> {
    pub fn new(block: Block, env: &'a Env) -> Self {
        SettingsReader {
            env,
            block,
            settings: RunSettings::defaults(env),
            seen: Vec::new(),
            batch_span: None,
            variants: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Reads every setting, and returns the errors of all the bad ones.
    pub fn read_all(&mut self, settings: &[Setting]) -> Vec<Diagnostic> {
        let errors = settings
            .iter()
            .filter_map(|setting| self.read(setting).err())
            .collect();
        self.finish();
        errors
    }

    /// Reads one setting, then says whether the block uses it.
    fn read(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
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
        }?;
        match name {
            // These say which of their parts the block does not use.
            SettingName::Remedy | SettingName::Show | SettingName::Diagnose => Ok(()),
            _ => self.judge(Asks::Setting(name), setting.span),
        }
    }

    /// Reports `asks`, written at `at`, if the block has no use for it: an error is
    /// returned, a warning kept.
    fn judge(&mut self, asks: Asks, at: Span) -> Result<(), Diagnostic> {
        match unused(self.block, asks, at) {
            Some(error) if error.is_error() => Err(error),
            Some(warning) => {
                self.warnings.push(warning);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// What can only be judged once every setting is read.
    fn finish(&mut self) {
        let shown = self.settings.show;
        let every = self.seen.iter().find(|(k, _)| *k == SettingName::Every);
        if let Some((_, at)) = every
            && self.block == Block::Train
            && !(shown.loss || shown.gradients || shown.weights)
        {
            self.warnings.push(
                Diagnostic::warning("`every` has no effect with `show none`")
                    .with_label(*at, "ignored")
                    .with_note("`every` picks which steps are printed, and none are")
                    .with_help("remove it, or show something: `show loss`"),
            );
        }
    }

    /// Sets a training setting to the value a sweep's grid point gives it.
    pub fn sweep(&mut self, which: SweepSetting, value: f64, at: Span) -> Result<(), Diagnostic> {
        let kind = match which {
            SweepSetting::Lr => Kind::Positive,
            SweepSetting::Batch | SweepSetting::Steps | SweepSetting::Epochs => Kind::Count,
        };
        check_number(which.name(), kind, &Value::Num(value), at)?;
        let settings = &mut self.settings;
        match which {
            SweepSetting::Lr => match &mut settings.optimizer {
                OptimizerSpec::Sgd { lr, .. }
                | OptimizerSpec::Adam { lr, .. }
                | OptimizerSpec::RmsProp { lr, .. } => *lr = value,
            },
            SweepSetting::Batch => {
                settings.batch = Some(value as usize);
                self.batch_span = Some(at);
            }
            SweepSetting::Steps => settings.stop = Stop::Steps(value as usize),
            SweepSetting::Epochs => settings.stop = Stop::Epochs(value as usize),
        }
        Ok(())
    }

    /// The setting's name, if it is one and is not set twice.
    fn name_of(&mut self, setting: &Setting) -> Result<SettingName, Diagnostic> {
        let key = setting.key.name.as_str();
        let Some(name) = SettingName::named(key) else {
            let mut d = self.unknown(setting);
            // An optimizer's parameter written as a setting, as Keras or a config file has it.
            let optimizer_parameter = sig::OPTIMIZERS
                .iter()
                .find(|o| o.params.iter().any(|p| p.name == key));
            if let Some(optimizer) = optimizer_parameter {
                d = d.with_help(format!(
                    "`{key}` is a parameter of the optimizer: `optimizer {}({key}=…)`",
                    optimizer.name
                ));
            } else if sig::find(sig::REMEDIES, key).is_some() {
                // `remedy clip_norm(1) clip_value(0.5)`: a second remedy without `,`.
                d = d.with_help(format!(
                    "`{key}` is a remedy: separate it from the remedy before it with `,` \
                     (or combine the two with `+`)"
                ));
            } else if let Some(best) = did_you_mean(key, sig::RUN_SETTINGS.iter().map(|(k, _)| *k))
            {
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
            self.block.keyword()
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
        self.settings.loss = loss(name);
        Ok(())
    }

    fn optimizer(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        let (name, spec) = spec_of::<OptimizerName>(one_value(setting)?, self.env)?;
        self.settings.optimizer = optimizer(name, &bound_spec(name, &spec)?)?;
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
        self.settings.stop = stop(n);
        Ok(())
    }

    fn batch(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        let (n, at) = number(setting, Kind::Count, self.env)?;
        self.settings.batch = Some(n as usize);
        self.batch_span = Some(at);
        Ok(())
    }

    fn remedy(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        let specs = remedies_of(setting, self.env)?;
        // The first remedy the block never applies is the one reported.
        for spec in &specs {
            if let Some(remedy) = RemedyName::named(&spec.name) {
                self.judge(Asks::Remedy(remedy), spec.span)?;
            }
        }
        self.settings.remedy_specs = specs;
        Ok(())
    }

    fn variant(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        if self.block != Block::Compare {
            return Err(self.misplaced(setting, "`compare` block"));
        }
        self.variants
            .push((remedies_of(setting, self.env)?, setting.span));
        Ok(())
    }

    fn show(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        // `show` replaces what is printed, not which steps: `every` may come first.
        let mut show = ShowOptions {
            every: self.settings.show.every,
            ..ShowOptions::default()
        };
        for expr in &setting.values {
            let name = match eval(expr, &Scope::global(self.env)) {
                Ok(Value::None) => ShowName::None,
                _ => spec_of::<ShowName>(expr, self.env)?.0,
            };
            self.judge(Asks::Show(name), setting.span)?;
            match name {
                ShowName::Loss => show.loss = true,
                ShowName::Gradients => show.gradients = true,
                ShowName::Weights => show.weights = true,
                ShowName::Heatmap => show.heatmap = true,
                ShowName::None => {}
            }
        }
        // The loss is always shown next to any table.
        if show.gradients || show.weights {
            show.loss = true;
        }
        self.settings.show = show;
        Ok(())
    }

    fn every(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        self.settings.show.every = Some(number(setting, Kind::Count, self.env)?.0 as usize);
        Ok(())
    }

    fn diagnose(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        for expr in &setting.values {
            if let Ok(Value::None) = eval(expr, &Scope::global(self.env)) {
                self.settings.diagnose = false;
                self.judge(Asks::NoWarnings, setting.span)?;
                continue;
            }
            let (name, spec) = spec_of::<DetectorName>(expr, self.env)?;
            threshold(
                &mut self.settings.thresholds,
                name,
                &bound_spec(name, &spec)?,
            )?;
            self.judge(Asks::Thresholds, expr.span)?;
        }
        Ok(())
    }

    fn on_nan(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        let expr = one_value(setting)?;
        let value = eval(expr, &Scope::global(self.env))
            .map_err(|error| unknown_choice("on_nan", ON_NAN, expr, error))?;
        check_kind("on_nan", Kind::Choice(ON_NAN), &value, expr.span)?;
        self.settings.continue_on_nan = chosen::<OnNan>(&value) == Some(OnNan::Continue);
        Ok(())
    }

    fn seed(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        self.settings.seed = number(setting, Kind::Natural, self.env)?.0 as u64;
        Ok(())
    }

    fn precision(&mut self, setting: &Setting) -> Result<(), Diagnostic> {
        self.settings.precision = precision_of(one_value(setting)?, self.env)?;
        Ok(())
    }
}

/// `error`, the failed evaluation of `expr`, the value of `setting`, which takes one of
/// `options`: when `expr` is a bare word that names nothing (`on_nan ignore`), the
/// report says what the setting takes instead of to declare the word.
fn unknown_choice(
    setting: &str,
    options: &[&str],
    expr: &Expr,
    mut error: Diagnostic,
) -> Diagnostic {
    let Some(name) = bare_word::unknown_name(expr, &error) else {
        return error;
    };
    let quoted: Vec<String> = options.iter().map(|o| format!("`{o}`")).collect();
    if let Some(first) = error.labels.first_mut() {
        first.message = format!("`{setting}` takes {}", quoted.join(" or "));
    }
    error.helps = vec![match did_you_mean(name, options.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("for example `{setting} {}`", options[0]),
    }];
    error
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
    if let ExprKind::Call(call) = &expr.kind
        && env.get(&call.name.name).is_none()
        && let Some(name) = F::named(&call.name.name)
    {
        no_arguments(name.signature(), F::WHAT, call)?;
    }
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
        // `optimizer "adam"`: the name is right, the quotes are not.
        Ok(Value::Str(name)) if F::named(&name).is_some() => {
            let what = F::WHAT;
            return Err(Diagnostic::error(format!(
                "{} {what} is written without quotes",
                article(what)
            ))
            .with_label(expr.span, format!("write `{name}`")));
        }
        Ok(other) => {
            let what = F::WHAT;
            let article = article(what);
            return Err(Diagnostic::error(format!(
                "expected {article} {what}, found a {}",
                other.type_name()
            ))
            .with_label(expr.span, format!("not {article} {what}")));
        }
    };
    match F::named(&spec.name) {
        Some(name) => Ok((name, spec)),
        None => Err(unknown_in::<F>(&spec.name, expr.span)),
    }
}

/// "a" or "an", the article of `what`.
fn article(what: &str) -> &'static str {
    if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn unknown_in<F: Family>(name: &str, span: Span) -> Diagnostic {
    let what = F::WHAT;
    let article = article(what);
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
    check_clip_order(&out)?;
    Ok(out)
}

/// Each step clips by norm, then by value, as `clip_grad_norm_` then `clip_grad_value_`
/// (the order of the PyTorch recipes). Written the other way round, the script would
/// say an order that does not run.
fn check_clip_order(specs: &[Spec]) -> Result<(), Diagnostic> {
    let find = |remedy: RemedyName| specs.iter().find(|s| s.name == remedy.name());
    match (find(RemedyName::ClipValue), find(RemedyName::ClipNorm)) {
        (Some(value), Some(norm)) if value.span.start < norm.span.start => Err(
            Diagnostic::error("`clip_value` is written before `clip_norm`, but runs after it")
                .with_kind(ErrorKind::InvalidValue)
                .with_label(value.span, "written first")
                .with_label(norm.span, "runs first")
                .with_note(
                    "each step clips the gradients by norm, then clamps each value, as `clip_grad_norm_` then `clip_grad_value_`",
                )
                .with_help(format!(
                    "write them in the order they run: `{}, {}`",
                    Value::Spec(norm.clone()),
                    Value::Spec(value.clone())
                )),
        ),
        _ => Ok(()),
    }
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
