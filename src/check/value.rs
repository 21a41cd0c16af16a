//! Values of gradlab expressions.

use std::cell::OnceCell;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use crate::diagnostics::Span;
use crate::engine::{Dataset, NetSpec, Params, Precision};
use crate::format;

/// A named data set, as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    pub name: String,
    pub set: Dataset,
}

/// A network named with argument overrides: `chain`, `chain(depth = 5)`.
#[derive(Debug, Clone, PartialEq)]
pub struct NetRef {
    pub name: String,
    pub args: Vec<NetArg>,
    pub span: Span,
    /// The parameters it holds instead of its seeded ones: a trained network's.
    pub weights: Option<Weights>,
}

/// A network argument bound to its parameter: `gain = 5/3`.
#[derive(Debug, Clone, PartialEq)]
pub struct NetArg {
    pub name: String,
    pub value: Value,
    pub span: Span,
    /// The arithmetic that gave the value, as written (`5/3`), for labels.
    pub written: Option<String>,
}

impl NetArg {
    /// An argument the checker sets itself (a sweep's grid value, `remedy depth(n)`),
    /// which has no text of its own.
    pub fn computed(name: impl Into<String>, value: f64, span: Span) -> Self {
        NetArg {
            name: name.into(),
            value: Value::Num(value),
            span,
            written: None,
        }
    }
}

/// Parameters a network holds instead of its seeded initialisation, and the name they
/// go by (`fitted`, or the file they came from). A run's result is known only once
/// the run ends: the checker makes the slot and the run fills it (`exec`), so what
/// checks after the run in the same script sees the trained values. A file's weights
/// are read when checked.
#[derive(Debug, Clone)]
pub struct Weights {
    pub name: String,
    slot: Rc<OnceCell<Arc<Params>>>,
    /// A file that did not exist when checked (the script saves it first): read when
    /// first used (`check::loaded::resolve`).
    pub file: Option<Rc<WeightsFile>>,
}

/// A weights file to read when first used, with what it must fit.
#[derive(Debug)]
pub struct WeightsFile {
    pub path: String,
    pub path_span: Span,
    pub decl_span: Span,
    pub spec: NetSpec,
}

impl Weights {
    /// The result of a run still to come.
    pub fn pending(name: impl Into<String>) -> Self {
        Weights {
            name: name.into(),
            slot: Rc::default(),
            file: None,
        }
    }

    /// Weights known now (read from a file).
    pub fn known(name: impl Into<String>, params: Params) -> Self {
        let weights = Weights::pending(name);
        weights.fill(params);
        weights
    }

    /// The parameters, or `None` while the run that makes them has not ended.
    pub fn get(&self) -> Option<&Arc<Params>> {
        self.slot.get()
    }

    /// Sets the parameters once; a second fill is ignored, as one slot is one run.
    pub fn fill(&self, params: Params) {
        let _ = self.slot.set(Arc::new(params));
    }
}

/// Two are the same weights only if they are one slot: the same run's result.
impl PartialEq for Weights {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.slot, &other.slot)
    }
}

impl NetRef {
    /// `chain`, or `chain(depth=5)` when arguments were given; a trained network goes
    /// by its own name.
    pub fn label(&self) -> String {
        if let Some(weights) = &self.weights {
            return weights.name.clone();
        }
        let args = self
            .args
            .iter()
            .map(|a| (Some(a.name.as_str()), &a.value, a.written.as_deref()));
        call_label(&self.name, args)
    }
}

/// A built-in name, with arguments if it was called: `relu`, `sgd(lr=0.1)`,
/// `clip_norm(1)`. What it means is decided where it is used (as a loss, a remedy…).
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub name: String,
    pub args: Vec<SpecArg>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpecArg {
    pub name: Option<String>,
    pub value: Value,
    pub span: Span,
    /// The arithmetic that gave the value, as written (`5/3`), for labels.
    pub written: Option<String>,
}

/// A value only the engine can compute; the checker knows its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    pub net: NetSpec,
    /// The parameters to use instead of `init_params(net, seed)`.
    pub weights: Option<Weights>,
    pub rows: Vec<Vec<f64>>,
    /// Whether the input was a single sample (`[1.0]`) rather than a list of rows.
    pub single: bool,
    pub seed: u64,
    pub precision: Precision,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Num(f64),
    Str(String),
    Bool(bool),
    None,
    /// Lists, tuples, matrices and expanded ranges.
    List(Vec<Value>),
    Network(NetRef),
    Data(Rc<Data>),
    Spec(Spec),
    /// Remedies joined with `+`.
    Combo(Vec<Spec>),
    Forward(Rc<Forward>),
}

/// A value may hold at most this many values: the items of its lists, counted through
/// nested lists, the arguments of its names and networks, and the remedies it joins. Every value costs about
/// 70 bytes and is copied wherever its name is used, and a few nested `let`s of a
/// range (`[a, a, a, …]`) grew without bound. Data sets have their own cap.
pub const MAX_VALUE_ITEMS: usize = 1_000_000;

impl Value {
    /// How many values this one holds (see [`MAX_VALUE_ITEMS`]); walked with a stack of
    /// its own, since lists nested through `let`s can be deeper than the call stack.
    pub fn items(&self) -> usize {
        let mut count = 0;
        let mut stack = vec![self];
        while let Some(value) = stack.pop() {
            let before = stack.len();
            match value {
                Value::List(items) => stack.extend(items),
                Value::Spec(spec) => stack.extend(spec.args.iter().map(|a| &a.value)),
                Value::Combo(specs) => {
                    count += specs.len();
                    stack.extend(specs.iter().flat_map(|s| s.args.iter().map(|a| &a.value)))
                }
                Value::Network(net) => stack.extend(net.args.iter().map(|a| &a.value)),
                // Data sets are capped as data; a network output by its input, a list.
                Value::Num(_)
                | Value::Str(_)
                | Value::Bool(_)
                | Value::None
                | Value::Data(_)
                | Value::Forward(_) => {}
            }
            count += stack.len() - before;
        }
        count
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Num(_) => "number",
            Value::Str(_) => "string",
            Value::Bool(_) => "boolean",
            Value::None => "none",
            Value::List(_) => "list",
            Value::Network(_) => "network",
            Value::Data(_) => "data set",
            Value::Spec(_) => "name",
            Value::Combo(_) => "remedy combination",
            Value::Forward(_) => "network output",
        }
    }

    /// The value as a list of rows of numbers, if it is one.
    pub fn as_matrix(&self) -> Option<Vec<Vec<f64>>> {
        let Value::List(rows) = self else { return None };
        rows.iter()
            .map(|row| match row {
                Value::List(_) => row.as_vector(),
                Value::Num(n) => Some(vec![*n]),
                _ => None,
            })
            .collect()
    }

    /// The value as a flat list of numbers, if it is one.
    pub fn as_vector(&self) -> Option<Vec<f64>> {
        let Value::List(items) = self else {
            return None;
        };
        items
            .iter()
            .map(|c| match c {
                Value::Num(n) => Some(*n),
                _ => None,
            })
            .collect()
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Num(n) => write!(f, "{}", format::number(*n)),
            Value::Str(s) => write!(f, "{s}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::None => write!(f, "none"),
            Value::List(items) => {
                write!(f, "[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    match item {
                        Value::Str(s) => write!(f, "{s:?}")?,
                        other => write!(f, "{other}")?,
                    }
                }
                write!(f, "]")
            }
            Value::Network(net) => write!(f, "network {}", net.label()),
            Value::Data(data) => write!(f, "data {}: {}", data.name, format::dataset(&data.set)),
            Value::Spec(spec) => write_spec(f, spec),
            Value::Combo(specs) => {
                for (i, spec) in specs.iter().enumerate() {
                    if i > 0 {
                        write!(f, " + ")?;
                    }
                    write_spec(f, spec)?;
                }
                Ok(())
            }
            Value::Forward(_) => write!(f, "<network output>"),
        }
    }
}

fn write_spec(f: &mut fmt::Formatter<'_>, spec: &Spec) -> fmt::Result {
    let args = spec
        .args
        .iter()
        .map(|a| (a.name.as_deref(), &a.value, a.written.as_deref()));
    f.write_str(&call_label(&spec.name, args))
}

/// `name(k=v, …)`, or `name` without arguments, each argument as the script wrote it
/// (`gain=5/3`, not `gain=1.6666666666666667`): how every label names a call, a
/// network's (run headers) as well as a built-in's (`compare` variants, data sets).
fn call_label<'a>(
    name: &str,
    args: impl Iterator<Item = (Option<&'a str>, &'a Value, Option<&'a str>)>,
) -> String {
    let args: Vec<String> = args
        .map(|(key, value, written)| {
            let value = written.map_or_else(|| value.to_string(), str::to_string);
            match key {
                Some(key) => format!("{key}={value}"),
                None => value,
            }
        })
        .collect();
    if args.is_empty() {
        name.to_string()
    } else {
        format!("{name}({})", args.join(", "))
    }
}
