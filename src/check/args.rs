//! Binding call arguments to a signature: positional and named arguments, defaults,
//! and the checks that make wrong names, types and counts clear errors.

use super::value::{SpecArg, Value};
use crate::diagnostics::{Diagnostic, ErrorKind, Span};
use crate::signature::{Choice, Fallback, Kind, Signature, did_you_mean};
use crate::syntax::ast::Call;

/// Arguments bound to a signature, defaults filled in.
///
/// The accessors name a parameter as a string, so a misspelt name or a wrong type is a
/// mistake of gradlab, not of the script: they return an internal error for it rather
/// than a stand-in value, and `tests/builtins.rs` builds every built-in to prove none
/// of them does.
#[derive(Debug, Clone)]
pub struct Bound {
    signature: &'static Signature,
    call_span: Span,
    values: Vec<(&'static str, Value, Span)>,
}

impl Bound {
    /// The value of an optional parameter with no default (`Fallback::Absent`), if
    /// it was given.
    pub fn optional(&self, name: &str) -> Result<Option<&Value>, Diagnostic> {
        if !self.signature.params.iter().any(|p| p.name == name) {
            return Err(self.internal(name, "parameter"));
        }
        Ok(self
            .values
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, v, _)| v))
    }

    /// The value of a parameter that is given or has a default.
    pub fn value(&self, name: &str) -> Result<&Value, Diagnostic> {
        self.optional(name)?
            .ok_or_else(|| self.internal(name, "value for the parameter"))
    }

    /// Where the argument was written, or the call when its default was used.
    pub fn span(&self, name: &str) -> Span {
        self.values
            .iter()
            .find(|(n, _, _)| *n == name)
            .map_or(self.call_span, |(_, _, s)| *s)
    }

    /// A numeric parameter; `inf` (of a `Kind::PositiveOrInf`) is infinity.
    pub fn num(&self, name: &str) -> Result<f64, Diagnostic> {
        match self.value(name)? {
            Value::Num(n) => Ok(*n),
            Value::Spec(spec) if spec.name == "inf" => Ok(f64::INFINITY),
            _ => Err(self.internal(name, "number")),
        }
    }

    /// A `Kind::Count` or `Kind::Natural` parameter.
    pub fn count(&self, name: &str) -> Result<usize, Diagnostic> {
        Ok(self.num(name)? as usize)
    }

    /// An optional `Kind::Count` parameter with no default.
    pub fn optional_count(&self, name: &str) -> Result<Option<usize>, Diagnostic> {
        match self.optional(name)? {
            None => Ok(None),
            Some(Value::Num(n)) => Ok(Some(*n as usize)),
            Some(_) => Err(self.internal(name, "count")),
        }
    }

    /// An optional `Kind::Bool` parameter with no default.
    pub fn optional_flag(&self, name: &str) -> Result<Option<bool>, Diagnostic> {
        match self.optional(name)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.internal(name, "flag")),
        }
    }

    pub fn flag(&self, name: &str) -> Result<bool, Diagnostic> {
        match self.value(name)? {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.internal(name, "flag")),
        }
    }

    /// The chosen option of a `Kind::Choice` parameter.
    pub fn choice<C: Choice>(&self, name: &str) -> Result<C, Diagnostic> {
        let chosen = match self.value(name)? {
            Value::Spec(spec) => spec.name.as_str(),
            Value::Str(s) => s.as_str(),
            _ => return Err(self.internal(name, "choice")),
        };
        C::named(chosen).ok_or_else(|| self.internal(name, "known choice"))
    }

    /// A `Kind::Str` parameter.
    pub fn text(&self, name: &str) -> Result<&str, Diagnostic> {
        match self.value(name)? {
            Value::Str(s) => Ok(s),
            _ => Err(self.internal(name, "string")),
        }
    }

    /// A `Kind::List` parameter.
    pub fn list(&self, name: &str) -> Result<&[Value], Diagnostic> {
        match self.value(name)? {
            Value::List(items) => Ok(items),
            _ => Err(self.internal(name, "list")),
        }
    }

    pub fn pair(&self, name: &str) -> Result<(f64, f64), Diagnostic> {
        match self.value(name)? {
            Value::List(items) => match items.as_slice() {
                [Value::Num(a), Value::Num(b)] => Ok((*a, *b)),
                _ => Err(self.internal(name, "pair")),
            },
            _ => Err(self.internal(name, "pair")),
        }
    }

    fn internal(&self, name: &str, what: &str) -> Diagnostic {
        Diagnostic::error(format!(
            "internal error: `{}` has no {what} `{name}`",
            self.signature.name
        ))
        .with_kind(ErrorKind::Internal)
        .with_label(self.call_span, "while checking this")
        .with_note("this is a bug in gradlab, not in the script")
    }
}

/// Binds `args` to `sig`. `what` names the family for messages ("optimizer").
pub fn bind(
    sig: &'static Signature,
    what: &str,
    args: &[SpecArg],
    call_span: Span,
) -> Result<Bound, Diagnostic> {
    let mut slots: Vec<Option<(Value, Span)>> = vec![None; sig.params.len()];
    let mut seen_named = false;
    for (position, arg) in args.iter().enumerate() {
        let index = match &arg.name {
            Some(name) => {
                seen_named = true;
                match sig.params.iter().position(|p| p.name == name) {
                    Some(i) => i,
                    None => return Err(unknown_parameter(sig, what, name, arg.span)),
                }
            }
            None => {
                if seen_named {
                    return Err(Diagnostic::error("positional argument after a named one")
                        .with_label(arg.span, "this argument has no name")
                        .with_help("write positional arguments first, or name this one"));
                }
                if position >= sig.params.len() {
                    return Err(too_many(sig, what, args.len(), arg.span));
                }
                position
            }
        };
        if slots[index].is_some() {
            return Err(
                Diagnostic::error(format!("`{}` is given twice", sig.params[index].name))
                    .with_label(arg.span, "given again here"),
            );
        }
        let param = &sig.params[index];
        check_kind(param.name, param.kind, &arg.value, arg.span)?;
        slots[index] = Some((arg.value.clone(), arg.span));
    }

    let mut values = Vec::with_capacity(sig.params.len());
    for (param, slot) in sig.params.iter().zip(slots) {
        let (value, span) = match slot {
            Some(given) => given,
            None => match default_value(param.default) {
                Some(v) => (v, call_span),
                None if param.default == Fallback::Absent => continue,
                None => {
                    return Err(Diagnostic::error(format!(
                        "{what} `{}` needs `{}`",
                        sig.name, param.name
                    ))
                    .with_label(call_span, format!("`{}` is missing here", param.name))
                    .with_help(format!("{}: {}", param.name, param.kind.describe()))
                    .with_help(format!("for example {}", example_call(sig))));
                }
            },
        };
        values.push((param.name, value, span));
    }
    Ok(Bound {
        signature: sig,
        call_span,
        values,
    })
}

fn default_value(default: Fallback) -> Option<Value> {
    match default {
        Fallback::Required | Fallback::Absent => None,
        Fallback::Num(n) => Some(Value::Num(n)),
        Fallback::Bool(b) => Some(Value::Bool(b)),
        Fallback::Name(n) => Some(Value::Str(n.to_string())),
        Fallback::Pair(a, b) => Some(Value::List(vec![Value::Num(a), Value::Num(b)])),
    }
}

/// A call that shows every required parameter, for help lines.
pub fn example_call(sig: &Signature) -> String {
    let required: Vec<String> = sig
        .params
        .iter()
        .filter(|p| p.default == Fallback::Required)
        .map(|p| format!("{}={}", p.name, example_value(p.kind)))
        .collect();
    if required.is_empty() {
        sig.name.to_string()
    } else {
        format!("`{}({})`", sig.name, required.join(", "))
    }
}

fn example_value(kind: Kind) -> &'static str {
    match kind {
        Kind::Count | Kind::Natural => "4",
        Kind::Bool => "true",
        Kind::Str => "\"…\"",
        Kind::Pair => "(0.9, 0.999)",
        Kind::List => "[…]",
        Kind::Any => "…",
        Kind::Choice(options) => options.first().copied().unwrap_or("…"),
        Kind::Num | Kind::Positive | Kind::NonNegative | Kind::PositiveOrInf => "0.1",
    }
}

fn unknown_parameter(sig: &Signature, what: &str, name: &str, span: Span) -> Diagnostic {
    let mut d = Diagnostic::error(format!("{what} `{}` has no parameter `{name}`", sig.name))
        .with_kind(ErrorKind::UnknownParameter)
        .with_label(span, "unknown parameter");
    if let Some(best) = did_you_mean(name, sig.params.iter().map(|p| p.name)) {
        d = d.with_help(format!("did you mean `{best}`?"));
    } else if sig.params.is_empty() {
        d = d.with_help(format!("`{}` takes no arguments", sig.name));
    } else {
        let names: Vec<String> = sig.params.iter().map(|p| format!("`{}`", p.name)).collect();
        d = d.with_help(format!("its parameters are {}", names.join(", ")));
    }
    d
}

/// The error for `call`, of `sig` with no parameters, if it has arguments. Said before
/// they are evaluated: `mse(reduction=sum)` is about `mse`, not the unknown name `sum`.
pub fn no_arguments(sig: &Signature, what: &str, call: &Call) -> Result<(), Diagnostic> {
    match call.args.as_deref().unwrap_or(&[]) {
        [first, ..] if sig.params.is_empty() => Err(too_many(
            sig,
            what,
            call.args.as_ref().map_or(0, Vec::len),
            first.span,
        )),
        _ => Ok(()),
    }
}

fn too_many(sig: &Signature, what: &str, given: usize, span: Span) -> Diagnostic {
    let most = sig.params.len();
    let message = if most == 0 {
        format!("{what} `{}` takes no arguments, found {given}", sig.name)
    } else {
        format!(
            "{what} `{}` takes at most {most} argument{}, found {given}",
            sig.name,
            crate::format::plural(most)
        )
    };
    let mut d = Diagnostic::error(message).with_label(span, "this one is too many");
    if most == 0 {
        d = d.with_help(format!("write `{}` without parentheses", sig.name));
    }
    d
}

/// Checks that `value` is a number of `kind` (a numeric kind), and returns it.
pub fn check_number(name: &str, kind: Kind, value: &Value, span: Span) -> Result<f64, Diagnostic> {
    check_kind(name, kind, value, span)?;
    match value {
        Value::Num(n) => Ok(*n),
        _ => Err(Diagnostic::error(format!(
            "internal error: `{name}` is checked as a number but is {}",
            kind.describe()
        ))
        .with_kind(ErrorKind::Internal)
        .with_label(span, "while checking this")),
    }
}

/// Checks that `value` is of `kind`; `name` is the parameter, for the message.
pub fn check_kind(name: &str, kind: Kind, value: &Value, span: Span) -> Result<(), Diagnostic> {
    let ok = match (kind, value) {
        (Kind::Any, _) => true,
        (Kind::Num, Value::Num(_)) => true,
        (Kind::Positive, Value::Num(n)) => *n > 0.0,
        (Kind::NonNegative, Value::Num(n)) => *n >= 0.0,
        (Kind::PositiveOrInf, Value::Num(n)) => *n > 0.0,
        (Kind::PositiveOrInf, Value::Spec(s)) => s.name == "inf" && s.args.is_empty(),
        (Kind::Count, Value::Num(n)) => *n >= 1.0 && n.fract() == 0.0 && *n <= 1e9,
        (Kind::Natural, Value::Num(n)) => *n >= 0.0 && n.fract() == 0.0 && *n <= 1e18,
        (Kind::Bool, Value::Bool(_)) => true,
        (Kind::Str, Value::Str(_)) => true,
        (Kind::Choice(options), Value::Spec(spec)) => {
            spec.args.is_empty() && options.contains(&spec.name.as_str())
        }
        (Kind::Choice(options), Value::Str(s)) => options.contains(&s.as_str()),
        (Kind::Pair, Value::List(items)) => {
            items.len() == 2 && items.iter().all(|v| matches!(v, Value::Num(_)))
        }
        (Kind::List, Value::List(_)) => true,
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let found = match value {
        Value::Num(_) | Value::Bool(_) => format!("{value}"),
        Value::Str(s) => format!("the string {s:?}"),
        Value::Spec(spec) => format!("`{}`", spec.name),
        other => other.type_name().to_string(),
    };
    let mut d = Diagnostic::error(format!(
        "`{name}` must be {}, found {found}",
        kind.describe()
    ))
    .with_kind(ErrorKind::InvalidValue)
    .with_label(span, format!("expected {}", kind.describe()));
    if let (Kind::Choice(options), Value::Spec(spec)) = (kind, value)
        && let Some(best) = did_you_mean(&spec.name, options.iter().copied())
    {
        d = d.with_help(format!("did you mean `{best}`?"));
    }
    if matches!(kind, Kind::Count | Kind::Natural)
        && let Value::Num(n) = value
        && n.fract() != 0.0
    {
        d = d.with_help(format!("use a whole number such as {}", n.round().max(1.0)));
    }
    // `lr="0.1"`: a number in quotes, as a config file may have it.
    let wants_a_number = match kind {
        Kind::Num
        | Kind::Positive
        | Kind::NonNegative
        | Kind::PositiveOrInf
        | Kind::Count
        | Kind::Natural => true,
        Kind::Bool | Kind::Str | Kind::Choice(_) | Kind::Pair | Kind::List | Kind::Any => false,
    };
    if wants_a_number
        && let Value::Str(s) = value
        && s.trim().parse::<f64>().is_ok()
    {
        d = d.with_help(format!("write the number without quotes: {}", s.trim()));
    }
    Err(d)
}
