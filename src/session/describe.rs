//! What a declared name holds, as plain data for the REPL's `:list` and `:show`:
//! the one place that reads the checker's bindings for them.

use crate::check::env::{Binding, Entry, Env};
use crate::check::network::{Instance, instantiate};
use crate::check::value::{NetRef, Value};
use crate::diagnostics::SourceMap;
use crate::engine::{Activation, BiasSpec, InitScheme, WeightSpec};
use crate::format;

/// A declared name's meaning.
#[derive(Debug, Clone, PartialEq)]
pub enum Description {
    /// A `let`: its value as gradlab prints it.
    Value(String),
    Data(DataDescription),
    Network(NetworkDescription),
    /// A network whose parameter defaults do not build one; the message says why.
    BrokenNetwork(String),
}

impl Description {
    /// What kind of name it is, in words.
    pub fn kind(&self) -> &'static str {
        match self {
            Description::Value(_) => "value",
            Description::Data(_) => "data set",
            Description::Network(_) | Description::BrokenNetwork(_) => "network",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataDescription {
    pub rows: usize,
    pub inputs: usize,
    pub targets: usize,
    /// The first few rows, inputs and targets.
    pub first_rows: Vec<(Vec<f64>, Vec<f64>)>,
}

/// How many rows a description shows.
const SHOWN_ROWS: usize = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkDescription {
    /// The network's parameters and the values its defaults give them.
    pub params: Vec<(String, String)>,
    pub input: usize,
    /// Where the network is declared: a script's path, or the REPL's `input N`.
    pub source: String,
    /// The line of the `input` layer in `source`.
    pub input_line: usize,
    pub layers: Vec<LayerDescription>,
}

impl NetworkDescription {
    pub fn output(&self) -> usize {
        self.layers.last().map_or(self.input, |l| l.width)
    }

    /// Trainable numbers: weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.layers.iter().map(|l| l.parameters).sum()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LayerDescription {
    pub inputs: usize,
    pub width: usize,
    pub activation: Activation,
    /// Weights and biases.
    pub parameters: usize,
    /// The weights' init as written (`xavier_uniform`, `weight=2.34`, `pytorch_default`),
    /// or where held weights came from (`trained`, `from file`).
    pub init: String,
    /// `none`, `default`, a number, or `[…]` for a vector.
    pub bias: String,
    /// `batchnorm`, `layernorm`, or none.
    pub normalization: Option<&'static str>,
    /// The line of the `dense` layer in the network's source.
    pub line: usize,
}

/// `name`'s description, if it is declared.
pub fn describe(name: &str, env: &Env, sources: &SourceMap) -> Option<Description> {
    let binding = env.get(name)?;
    Some(match &binding.entry {
        // A trained network is shown as a network, its weights marked as trained.
        Entry::Let(Value::Network(held)) if held.weights.is_some() => {
            match instantiate(held, env) {
                Ok(net) => {
                    let params = net
                        .params
                        .iter()
                        .map(|(n, v)| (n.clone(), v.to_string()))
                        .collect();
                    Description::Network(network(&net, params, Some("trained"), sources))
                }
                Err(error) => Description::BrokenNetwork(error.message),
            }
        }
        Entry::Let(value) => Description::Value(value.to_string()),
        Entry::Data(data) => {
            let set = &data.set;
            let row = |i: usize| {
                (
                    set.x[i * set.x_dim..(i + 1) * set.x_dim].to_vec(),
                    set.y[i * set.y_dim..(i + 1) * set.y_dim].to_vec(),
                )
            };
            Description::Data(DataDescription {
                rows: set.n,
                inputs: set.x_dim,
                targets: set.y_dim,
                first_rows: (0..set.n.min(SHOWN_ROWS)).map(row).collect(),
            })
        }
        Entry::Network(decl) => match instance(name, binding, env) {
            Ok(net) => {
                let params = decl
                    .params
                    .iter()
                    .map(|p| {
                        let value = net
                            .params
                            .iter()
                            .find(|(n, _)| *n == p.name.name)
                            .map_or(String::new(), |(_, v)| v.to_string());
                        (p.name.name.clone(), value)
                    })
                    .collect();
                let held = net.weights.is_some().then_some("from file");
                Description::Network(network(&net, params, held, sources))
            }
            Err(message) => Description::BrokenNetwork(message),
        },
    })
}

/// The network a name declares, built with its parameters' defaults.
fn instance(name: &str, binding: &Binding, env: &Env) -> Result<Instance, String> {
    let net = NetRef {
        name: name.to_string(),
        args: Vec::new(),
        span: binding.span,
        weights: None,
    };
    instantiate(&net, env).map_err(|d| d.message)
}

fn network(
    net: &Instance,
    params: Vec<(String, String)>,
    held: Option<&str>,
    sources: &SourceMap,
) -> NetworkDescription {
    let mut inputs = net.spec.input;
    let layers = net
        .spec
        .layers
        .iter()
        .map(|layer| {
            let origin = &net.origins[layer.origin];
            let bias_count = if matches!(layer.bias, BiasSpec::None) {
                0
            } else {
                layer.width
            };
            let description = LayerDescription {
                inputs,
                width: layer.width,
                activation: layer.activation,
                parameters: layer.width * inputs + bias_count,
                init: match (held, &origin.init) {
                    (Some(held), _) => held.to_string(),
                    (None, Some(spec)) => Value::Spec(spec.clone()).to_string(),
                    (None, None) => weight_text(&layer.weight),
                },
                bias: bias_text(&layer.bias),
                normalization: if layer.batchnorm {
                    Some("batchnorm")
                } else if layer.layernorm {
                    Some("layernorm")
                } else {
                    None
                },
                line: line(origin.span.start, sources),
            };
            inputs = layer.width;
            description
        })
        .collect();
    NetworkDescription {
        params,
        input: net.spec.input,
        source: sources
            .locate(net.input_span.start)
            .map_or(String::new(), |(source, ..)| source.to_string()),
        input_line: line(net.input_span.start, sources),
        layers,
    }
}

/// A layer's weights when no init scheme was written on it.
fn weight_text(weight: &WeightSpec) -> String {
    match weight {
        WeightSpec::Default => "pytorch_default".into(),
        WeightSpec::Const(v) => format!("weight={}", format::number(*v)),
        WeightSpec::Matrix(_) => "weight=[…]".into(),
        // Layers built from source carry the scheme as written (`origin.init`); this
        // names one that came without it.
        WeightSpec::Init(scheme) => scheme_name(scheme).into(),
    }
}

fn scheme_name(scheme: &InitScheme) -> &'static str {
    match scheme {
        InitScheme::Const(_) => "const",
        InitScheme::Uniform { .. } => "uniform",
        InitScheme::Normal { .. } => "normal",
        InitScheme::XavierUniform { .. } => "xavier_uniform",
        InitScheme::XavierNormal { .. } => "xavier_normal",
        InitScheme::KaimingUniform { .. } => "kaiming_uniform",
        InitScheme::KaimingNormal { .. } => "kaiming_normal",
        InitScheme::LecunNormal => "lecun_normal",
        InitScheme::Orthogonal { .. } => "orthogonal",
        InitScheme::PytorchDefault => "pytorch_default",
    }
}

fn bias_text(bias: &BiasSpec) -> String {
    match bias {
        BiasSpec::None => "none".into(),
        BiasSpec::Default => "default".into(),
        BiasSpec::Const(v) => format::number(*v),
        BiasSpec::Vector(_) => "[…]".into(),
    }
}

/// The line of an offset in the session's sources.
fn line(offset: usize, sources: &SourceMap) -> usize {
    sources.locate(offset).map_or(0, |(_, line, _)| line)
}
