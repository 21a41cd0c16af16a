//! Evaluating expressions. Everything in a gradlab script is known before training
//! starts (there are no loops or conditions), so the checker evaluates expressions
//! fully; only `forward(...)` is left for the engine, as a `Value::Forward`.

use crate::format;
use std::cell::Cell;
use std::rc::Rc;

use super::args::{Bound, bind, no_arguments};
use super::builtins;
use super::env::{Entry, Env};
use super::network;
use super::value::{Data, Forward, MAX_VALUE_ITEMS, NetRef, Spec, SpecArg, Value};
use super::written;
use crate::diagnostics::{Diagnostic, ErrorKind, Span};
use crate::signature::{self as sig, Family, FunctionName, did_you_mean};
use crate::syntax::ast::{Arg, BinOp, Call, Expr, ExprKind};

/// Ranges longer than this are refused: they are typos, not sweeps.
pub const MAX_RANGE_LEN: usize = 100_000;

/// What a remedy joined with `+` may hold without the join counting its size.
const FEW_ITEMS: usize = 16;

/// Names visible to an expression: the session's, plus a network's parameters while
/// its body is being instantiated.
pub struct Scope<'a> {
    pub env: &'a Env,
    pub locals: &'a [(String, Value)],
    /// The networks being instantiated around this expression, innermost first.
    pub building: Option<&'a Building<'a>>,
}

impl<'a> Scope<'a> {
    pub fn global(env: &'a Env) -> Self {
        Scope {
            env,
            locals: &[],
            building: None,
        }
    }
}

/// A network whose instantiation is under way: a parameter default or a layer that
/// uses the network again would instantiate it forever.
pub struct Building<'a> {
    pub name: &'a str,
    /// What of the network is being evaluated: a parameter's default, or a layer.
    pub part: Cell<Span>,
    pub outer: Option<&'a Building<'a>>,
    /// How many networks the outermost instantiation has instantiated so far, shared
    /// by every `Building` under it (see `network::MAX_INSTANCES`).
    pub instances: &'a Cell<usize>,
}

impl<'a> Building<'a> {
    pub fn find(start: Option<&'a Building<'a>>, name: &str) -> Option<&'a Building<'a>> {
        std::iter::successors(start, |b| b.outer).find(|b| b.name == name)
    }
}

/// Bare words that name built-in things, usable as values: `relu`, `gradients`, `f64`…
pub fn is_builtin_word(name: &str) -> bool {
    builtin_words().any(|w| w == name)
}

pub fn builtin_words<'a>() -> impl Iterator<Item = &'a str> {
    const EXTRA: &[&str] = &[
        "f32",
        "f64",
        "stop",
        "continue",
        "fan_in",
        "fan_out",
        "global",
        "per_layer",
        "inf",
        // A `nonlinearity` of the He/Kaiming schemes that is not an activation.
        "selu",
        // No remedy: what `compare` trains its plain run with.
        "baseline",
    ];
    sig::FAMILIES
        .iter()
        .flat_map(|table| table.iter().map(|s| s.name))
        .chain(EXTRA.iter().copied())
}

/// The signature of a built-in name that takes no arguments in any of its meanings:
/// `mse`, `relu`, but not `linear`, which is also a data set with a size.
fn without_parameters(name: &str) -> Option<&'static sig::Signature> {
    let mut meanings = sig::FAMILIES
        .iter()
        .chain([&sig::FUNCTIONS])
        .filter_map(|table| sig::find(table, name));
    let first = meanings.next()?;
    (first.params.is_empty() && meanings.all(|s| s.params.is_empty())).then_some(first)
}

fn spec_family(name: &str) -> bool {
    [
        sig::ACTIVATIONS,
        sig::LOSSES,
        sig::OPTIMIZERS,
        sig::INITS,
        sig::REMEDIES,
        sig::DIAGNOSTICS,
        sig::METRICS,
    ]
    .iter()
    .any(|t| sig::find(t, name).is_some())
}

pub fn eval(expr: &Expr, scope: &Scope) -> Result<Value, Diagnostic> {
    match &expr.kind {
        ExprKind::Num(n) => Ok(Value::Num(*n)),
        ExprKind::Str(s) => Ok(Value::Str(s.clone())),
        ExprKind::Bool(b) => Ok(Value::Bool(*b)),
        ExprKind::None => Ok(Value::None),
        ExprKind::Var(name) => lookup(name, expr.span, scope),
        ExprKind::List(items) | ExprKind::Tuple(items) => {
            let mut held = Held::new(expr.span);
            items
                .iter()
                .map(|item| held.add(eval(item, scope)?))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List)
        }
        ExprKind::Range { start, end, step } => {
            range(start, end, step.as_deref(), expr.span, scope)
        }
        ExprKind::Neg(inner) => match eval(inner, scope)? {
            Value::Num(n) => Ok(Value::Num(-n)),
            other => Err(not_a_number("-", &other, inner.span)),
        },
        ExprKind::Binary { op, lhs, rhs } => binary(*op, lhs, rhs, expr.span, scope),
        ExprKind::Call(call) => eval_call(call, scope),
        // Already reported by the parser.
        ExprKind::Error => Err(invalid_expression(expr.span)),
    }
}

pub fn lookup(name: &str, span: Span, scope: &Scope) -> Result<Value, Diagnostic> {
    if let Some((_, value)) = scope.locals.iter().find(|(n, _)| n == name) {
        return Ok(value.clone());
    }
    if let Some(binding) = scope.env.get(name) {
        return Ok(match &binding.entry {
            Entry::Let(value) => value.clone(),
            Entry::Network(_) => Value::Network(NetRef {
                name: name.to_string(),
                args: Vec::new(),
                span,
                weights: None,
            }),
            Entry::Data(data) => Value::Data(data.clone()),
        });
    }
    if is_builtin_word(name) {
        return Ok(Value::Spec(Spec {
            name: name.to_string(),
            args: Vec::new(),
            span,
        }));
    }
    Err(unknown_name(name, span, scope))
}

fn unknown_name(name: &str, span: Span, scope: &Scope) -> Diagnostic {
    if sig::find(sig::FUNCTIONS, name).is_some() {
        // `train net on xor { … }`: the generator named, not called.
        return Diagnostic::error(format!("`{name}` is a function: call it"))
            .with_kind(ErrorKind::unknown_name_of(name))
            .with_label(span, format!("write `{name}()`"))
            .with_help(format!(
                "`{name}()` uses its defaults; `:help {name}` in the REPL lists its arguments"
            ));
    }
    let declared = scope
        .locals
        .iter()
        .map(|(n, _)| n.as_str())
        .chain(scope.env.names().keys().map(String::as_str));
    let mut d = Diagnostic::error(format!("unknown name `{name}`"))
        .with_kind(ErrorKind::unknown_name_of(name))
        .with_label(span, "not declared anywhere above");
    let mut candidates: Vec<&str> = declared.collect();
    candidates.extend(builtin_words());
    if let Some(best) = did_you_mean(name, candidates) {
        d = d.with_help(format!("did you mean `{best}`?"));
    } else {
        d = d.with_help("declare it first with `let`, `network` or `data`");
    }
    d
}

#[inline(never)]
fn not_a_number(op: &str, value: &Value, span: Span) -> Diagnostic {
    let mut d = Diagnostic::error(format!(
        "`{op}` needs numbers, found a {}",
        value.type_name()
    ))
    .with_kind(ErrorKind::InvalidValue)
    .with_label(span, format!("this is a {}", value.type_name()));
    if matches!(value, Value::Forward(_)) {
        d = d.with_help("a network's output can be printed or bound with `let`, not computed with");
    }
    d
}

fn binary(
    op: BinOp,
    lhs: &Expr,
    rhs: &Expr,
    span: Span,
    scope: &Scope,
) -> Result<Value, Diagnostic> {
    let left = eval(lhs, scope)?;
    let right = eval(rhs, scope)?;
    // `+` also joins remedies: clip_norm(1) + init(he_normal). The left side of a long
    // join is the list so far: it is extended, not copied, so the join stays linear.
    if op == BinOp::Add && is_remedies(&left) && is_remedies(&right) {
        // Counting the whole join at every term would make a long join quadratic, so
        // it is counted when its length doubles, and when a term holds more than a
        // remedy's few numbers (a name of a join, or of a remedy holding lists).
        let heavy = right.items() > FEW_ITEMS;
        let mut specs = into_remedies(left);
        specs.extend(into_remedies(right));
        let count_now = heavy || specs.len().is_power_of_two();
        let joined = Value::Combo(specs);
        if count_now && joined.items() > MAX_VALUE_ITEMS {
            return Err(too_many_items(joined.items(), span));
        }
        return Ok(joined);
    }
    let a = match left {
        Value::Num(n) => n,
        other => return Err(not_a_number(op.symbol(), &other, lhs.span)),
    };
    let b = match right {
        Value::Num(n) => n,
        other => return Err(not_a_number(op.symbol(), &other, rhs.span)),
    };
    if op == BinOp::Div && b == 0.0 {
        return Err(division_by_zero(rhs.span, span));
    }
    let result = match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Pow => a.powf(b),
    };
    if !result.is_finite() {
        return Err(not_finite(a, op, b, result, span));
    }
    Ok(Value::Num(result))
}

// The reports of `binary` are made out of line: `binary` and `eval` recurse once per
// operator of a chain, and in a debug build every temporary of a report built inline
// would take room in each of their frames.

#[inline(never)]
fn division_by_zero(zero: Span, span: Span) -> Diagnostic {
    Diagnostic::error("division by zero")
        .with_kind(ErrorKind::InvalidValue)
        .with_label(zero, "this is zero")
        .with_label(span, "in this division")
}

#[inline(never)]
fn not_finite(a: f64, op: BinOp, b: f64, result: f64, span: Span) -> Diagnostic {
    let n = format::number;
    Diagnostic::error("this arithmetic does not give a finite number")
        .with_kind(ErrorKind::InvalidValue)
        .with_label(span, format!("{} {} {} is {}", n(a), op.symbol(), n(b), n(result)))
        .with_note(
            "gradlab keeps script values finite; overflow belongs in training, where it is diagnosed",
        )
}

#[inline(never)]
fn invalid_expression(span: Span) -> Diagnostic {
    Diagnostic::error("invalid expression").with_label(span, "here")
}

fn is_remedies(value: &Value) -> bool {
    match value {
        Value::Spec(spec) => sig::find(sig::REMEDIES, &spec.name).is_some(),
        Value::Combo(_) => true,
        _ => false,
    }
}

/// The remedies of a value `is_remedies` accepted.
fn into_remedies(value: Value) -> Vec<Spec> {
    match value {
        Value::Spec(spec) => vec![spec],
        Value::Combo(specs) => specs,
        other => unreachable!("not remedies: a {}", other.type_name()),
    }
}

fn range(
    start: &Expr,
    end: &Expr,
    step: Option<&Expr>,
    span: Span,
    scope: &Scope,
) -> Result<Value, Diagnostic> {
    let number = |e: &Expr| -> Result<f64, Diagnostic> {
        match eval(e, scope)? {
            Value::Num(n) => Ok(n),
            other => Err(not_a_number("..", &other, e.span)),
        }
    };
    let (a, b) = (number(start)?, number(end)?);
    let s = match step {
        Some(e) => number(e)?,
        None => 1.0,
    };
    if s <= 0.0 {
        let at = step.map_or(span, |e| e.span);
        return Err(Diagnostic::error("a range's step must be greater than 0")
            .with_kind(ErrorKind::InvalidValue)
            .with_label(at, format!("the step is {}", format::number(s))));
    }
    if b < a {
        return Err(Diagnostic::error("empty range")
            .with_label(
                span,
                format!("{} is below {}", format::number(b), format::number(a)),
            )
            .with_help("ranges count upwards and include both ends: `1..10`"));
    }
    // A little slack so `0..1 step 0.1` includes 1 despite rounding.
    let count = ((b - a) / s + 1e-9).floor() + 1.0;
    if count > MAX_RANGE_LEN as f64 {
        return Err(
            Diagnostic::error(format!("range has more than {MAX_RANGE_LEN} values"))
                .with_kind(ErrorKind::TooLarge)
                .with_label(span, format!("{count} values"))
                .with_help("use a larger `step`"),
        );
    }
    Ok(Value::List(
        (0..count as usize)
            .map(|i| Value::Num(a + i as f64 * s))
            .collect(),
    ))
}

fn eval_args(args: &[Arg], call_span: Span, scope: &Scope) -> Result<Vec<SpecArg>, Diagnostic> {
    let mut held = Held::new(call_span);
    args.iter()
        .map(|arg| {
            Ok(SpecArg {
                name: arg.name.as_ref().map(|n| n.name.clone()),
                value: held.add(eval(&arg.value, scope)?)?,
                span: arg.span,
                written: written::arithmetic(&arg.value),
            })
        })
        .collect()
}

/// Counts the values a list or an argument list being built holds, and refuses it as
/// soon as they pass `MAX_VALUE_ITEMS`, before the rest of it is built.
struct Held {
    count: usize,
    span: Span,
}

impl Held {
    fn new(span: Span) -> Self {
        Held { count: 0, span }
    }

    /// Adds one item (itself and what it holds) and hands it back.
    fn add(&mut self, value: Value) -> Result<Value, Diagnostic> {
        self.count = self.count.saturating_add(1 + value.items());
        if self.count > MAX_VALUE_ITEMS {
            return Err(too_many_items(self.count, self.span));
        }
        Ok(value)
    }
}

#[inline(never)]
fn too_many_items(count: usize, span: Span) -> Diagnostic {
    Diagnostic::error(format!("value holds more than {MAX_VALUE_ITEMS} values"))
        .with_kind(ErrorKind::TooLarge)
        .with_label(span, format!("{count} values so far"))
        .with_note("nested lists count every item; a name used again is a copy")
        .with_help("gradlab scripts describe experiments; generate large data with `data`")
}

pub fn eval_call(call: &Call, scope: &Scope) -> Result<Value, Diagnostic> {
    let name = call.name.name.as_str();
    // Said before the arguments are evaluated: `mse(reduction=sum)` is about `mse`,
    // not about the unknown name `sum`.
    if scope.env.get(name).is_none()
        && let Some(sig) = without_parameters(name)
    {
        no_arguments(sig, "built-in", call)?;
    }
    let args = eval_args(call.args.as_deref().unwrap_or(&[]), call.span, scope)?;
    if let Some(binding) = scope.env.get(name) {
        return match &binding.entry {
            Entry::Network(decl) => network::net_ref(decl, name, args, call.span),
            other => Err(Diagnostic::error(format!(
                "`{name}` is a {}, not something to call",
                other.kind()
            ))
            .with_label(call.name.span, "called here")
            .with_label(binding.span, "declared here")),
        };
    }
    if let Some(function) = FunctionName::named(name) {
        let bound = bind(function.signature(), FunctionName::WHAT, &args, call.span)?;
        // A data set made here is named by its call, arguments and all: `sine(256)`.
        let label = Value::Spec(Spec {
            name: name.to_string(),
            args,
            span: call.span,
        })
        .to_string();
        return call_function(function, &bound, call, label, scope);
    }
    if spec_family(name) {
        return Ok(Value::Spec(Spec {
            name: name.to_string(),
            args,
            span: call.span,
        }));
    }
    let mut candidates: Vec<&str> = scope
        .env
        .names()
        .iter()
        .filter(|(_, b)| matches!(b.entry, Entry::Network(_)))
        .map(|(n, _)| n.as_str())
        .collect();
    candidates.extend(sig::names(sig::FUNCTIONS));
    candidates.extend(builtin_words());
    let mut d = Diagnostic::error(format!("unknown function `{name}`"))
        .with_kind(ErrorKind::UnknownBuiltin)
        .with_label(call.name.span, "no network or function has this name");
    if let Some(best) = did_you_mean(name, candidates) {
        d = d.with_help(format!("did you mean `{best}`?"));
    }
    Err(d)
}

fn call_function(
    function: FunctionName,
    bound: &Bound,
    call: &Call,
    label: String,
    scope: &Scope,
) -> Result<Value, Diagnostic> {
    let (span, env) = (call.span, scope.env);
    let data = |set| Ok(Value::Data(Rc::new(Data { name: label, set })));
    match function {
        FunctionName::Forward => forward(bound, scope),
        FunctionName::Sqrt => Ok(Value::Num(bound.num("x")?.sqrt())),
        FunctionName::Exp => builtins::exp(bound, span),
        FunctionName::Log => Ok(Value::Num(bound.num("x")?.ln())),
        FunctionName::Abs => Ok(Value::Num(bound.num("x")?.abs())),
        FunctionName::Xor => data(builtins::xor()),
        FunctionName::Spiral => data(builtins::spiral(bound, span, env)?),
        FunctionName::Sine => data(builtins::sine(bound, span, env)?),
        FunctionName::Linear => data(builtins::linear(bound, span, env)?),
        FunctionName::Csv => data(builtins::csv(bound, span, env)?),
    }
}

fn forward(bound: &Bound, scope: &Scope) -> Result<Value, Diagnostic> {
    let (net_span, x_span) = (bound.span("net"), bound.span("x"));
    let net_ref = match bound.value("net")? {
        Value::Network(net) => net.clone(),
        other => {
            return Err(Diagnostic::error(format!(
                "`forward` needs a network, found a {}",
                other.type_name()
            ))
            .with_label(net_span, "not a network"));
        }
    };
    let instance = network::instantiate_within(&net_ref, scope.env, scope.building)?;
    let x = bound.value("x")?;
    let (rows, single) = match x.as_vector() {
        Some(v) => (vec![v], true),
        None => match x.as_matrix() {
            Some(rows) => (rows, false),
            None => {
                return Err(Diagnostic::error("`forward` needs numbers as input")
                    .with_label(x_span, "expected a list of numbers, or a list of rows"));
            }
        },
    };
    if let Some(bad) = rows.iter().find(|r| r.len() != instance.spec.input) {
        return Err(Diagnostic::error(format!(
            "input has {} value{}, but `{}` takes {}",
            bad.len(),
            format::plural(bad.len()),
            net_ref.name,
            instance.spec.input
        ))
        .with_kind(ErrorKind::ShapeMismatch)
        .with_label(x_span, "this input")
        .with_label(instance.input_span, "the network's input is declared here"));
    }
    Ok(Value::Forward(Rc::new(Forward {
        net: instance.spec,
        weights: instance.weights,
        rows,
        single,
        seed: scope.env.seed,
        precision: scope.env.precision,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Redeclare, check};

    /// The errors of checking `script` in a fresh environment.
    fn errors_of(script: &str) -> Vec<Diagnostic> {
        let parsed = crate::syntax::parse(script, 0);
        let program = parsed.program.expect("a program");
        check(&program, &mut Env::default(), Redeclare::Error).diagnostics
    }

    fn too_large(script: &str) -> Diagnostic {
        let mut errors = errors_of(script);
        assert_eq!(errors.len(), 1, "{script}: {errors:?}");
        let error = errors.remove(0);
        assert_eq!(error.kind, ErrorKind::TooLarge, "{script}: {error:?}");
        error
    }

    /// Regression: a range nested into lists of lists through `let`s grew without
    /// bound (each level ten times the last). A list is refused, at its own span, as
    /// soon as what it holds passes `MAX_VALUE_ITEMS`, before the rest is copied.
    #[test]
    fn nested_lists_are_capped() {
        let tenfold = |name: &str| [name; 10].join(", ");
        let fits = format!("let a = 1..90000\nlet b = [{}]\nprint 1", tenfold("a"));
        assert!(errors_of(&fits).is_empty());
        let script = format!("let a = 1..100000\nlet b = [{}, a]", tenfold("a"));
        let error = too_large(&script);
        assert_eq!(
            error.message,
            format!("value holds more than {MAX_VALUE_ITEMS} values")
        );
        let list_start = script.find('[').expect("a list");
        assert_eq!(error.labels[0].span, Span::new(list_start, script.len()));
        assert_eq!(error.labels[0].message, "1000010 values so far");
    }

    /// Arguments and remedy joins hold values too: they are counted as lists are.
    #[test]
    fn arguments_and_joins_are_capped() {
        let big = "let a = 1..100000\nlet b = [a, a, a, a, a, a, a, a, a]\n";
        too_large(&format!("{big}let c = sgd(b, b)"));
        too_large(&format!(
            "{big}network n(w = 1) {{ input 1 dense 1 relu }}\nlet c = n(w = [b, b])"
        ));
        too_large(&format!("{big}let r = clip_norm(b)\nlet s = r + r"));
        let small = vec!["clip_norm(1)"; 100].join(" + ");
        let joined = format!("let r = {small}\nlet s = r + r + r + r");
        assert!(errors_of(&joined).is_empty());
    }

    #[test]
    fn items_count_every_nested_value() {
        let list = |items: Vec<Value>| Value::List(items);
        assert_eq!(Value::Num(1.0).items(), 0);
        let inner = list(vec![Value::Num(1.0), Value::Num(2.0)]);
        assert_eq!(list(vec![inner.clone(), inner, list(vec![])]).items(), 7);
        let spec = Spec {
            name: "clip_norm".to_string(),
            args: vec![SpecArg {
                name: None,
                value: Value::Num(1.0),
                span: Span::new(0, 0),
                written: None,
            }],
            span: Span::new(0, 0),
        };
        assert_eq!(Value::Spec(spec.clone()).items(), 1);
        assert_eq!(Value::Combo(vec![spec.clone(), spec]).items(), 4);
    }
}
