//! The text of the `:help`, `:list` and `:show` commands.

use std::fmt::Write as _;

use super::command::CommandName;
use crate::check::env::{Binding, Entry, Env};
use crate::check::network::{Instance, instantiate};
use crate::check::signature::{self as sig, Fallback, Signature};
use crate::check::value::{NetRef, format_number};
use crate::diagnostics::SourceMap;
use crate::engine::{Activation, BiasSpec, WeightSpec};

/// Help on each construct: a line of explanation and an example.
const CONSTRUCTS: &[(&str, &str, &str)] = &[
    ("let", "names a value", "let w = 2.34"),
    (
        "print",
        "prints a value (a bare expression does too)",
        "print forward(chain, [1.0])",
    ),
    (
        "network",
        "declares a network: an input size, then layers; parameters have defaults",
        "network chain(depth = 20, w = 2.34) {\n    input 1\n    repeat depth {\n        dense 1 relu weight=w bias=none\n    }\n}",
    ),
    (
        "dense",
        "a fully connected layer: width, activation, then weight=, bias=, init=, batchnorm",
        "dense 8 tanh init=xavier_uniform",
    ),
    (
        "repeat",
        "repeats the layers in its block",
        "repeat 10 { dense 8 sigmoid }",
    ),
    (
        "residual",
        "adds the block's input to its output",
        "residual { dense 8 relu }",
    ),
    (
        "data",
        "declares a data set: literal rows, or a generator (see :help functions)",
        "data one {\n    x = [[1.0]]\n    y = [[1.0]]\n}\ndata gates = xor()",
    ),
    (
        "train",
        "trains a network on data and reports each step (see :help settings)",
        "train chain on one {\n    loss mse\n    optimizer sgd(lr=0.01)\n    steps 3\n    show gradients\n}",
    ),
    (
        "compare",
        "trains a baseline and variants with remedies, side by side",
        "compare chain on one {\n    steps 50\n    variant clip_norm(1.0)\n    variant init(xavier_uniform)\n}",
    ),
    (
        "explain",
        "one forward and backward pass, explained layer by layer",
        "explain chain on one",
    ),
    (
        "sweep",
        "trains over a grid of network parameters and reports a metric",
        "sweep chain(depth in 1..30) on one {\n    steps 20\n    metric first_grad\n}",
    ),
    ("seed", "sets the random seed for what follows", "seed 1"),
    (
        "precision",
        "sets the floating-point precision: f32 (default) or f64",
        "precision f64",
    ),
];

/// The tables `:help` can list, by topic.
const TABLES: &[(&str, &str, &[Signature])] = &[
    (
        "activations",
        "activations (after a dense layer's width)",
        sig::ACTIVATIONS,
    ),
    ("losses", "losses (`loss NAME`)", sig::LOSSES),
    (
        "optimizers",
        "optimizers (`optimizer NAME(…)`)",
        sig::OPTIMIZERS,
    ),
    ("inits", "init schemes (`init=NAME` on a layer)", sig::INITS),
    (
        "remedies",
        "remedies (`remedy A + B`, `variant A`)",
        sig::REMEDIES,
    ),
    ("show", "what `show` prints per step", sig::SHOW),
    (
        "diagnose",
        "diagnostics (`diagnose NAME(…)`)",
        sig::DIAGNOSTICS,
    ),
    ("metrics", "sweep metrics (`metric NAME`)", sig::METRICS),
    ("functions", "built-in functions", sig::FUNCTIONS),
];

/// Every word `:help` knows, for completion.
pub fn help_topics() -> Vec<String> {
    let mut topics: Vec<String> = CONSTRUCTS.iter().map(|(n, ..)| n.to_string()).collect();
    topics.extend(TABLES.iter().map(|(n, ..)| n.to_string()));
    topics.push("settings".into());
    topics.push("commands".into());
    topics.push("keys".into());
    for (_, _, table) in TABLES {
        topics.extend(sig::names(table).map(String::from));
    }
    topics.extend(CommandName::ALL.iter().map(|c| format!(":{}", c.name())));
    topics.sort();
    topics.dedup();
    topics
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>()
}

fn signature_line(s: &Signature) -> String {
    if s.params.is_empty() {
        return s.name.to_string();
    }
    let params: Vec<String> = s
        .params
        .iter()
        .map(|p| match p.default {
            Fallback::Required => p.name.to_string(),
            Fallback::Num(n) => format!("{}={}", p.name, format_number(n)),
            Fallback::Bool(b) => format!("{}={b}", p.name),
            Fallback::Name(n) => format!("{}={n}", p.name),
            Fallback::Pair(a, b) => {
                format!("{}=({}, {})", p.name, format_number(a), format_number(b))
            }
            Fallback::Absent => format!("{}=…", p.name),
        })
        .collect();
    format!("{}({})", s.name, params.join(", "))
}

/// The text of `:help` or `:help TOPIC`.
pub fn help(topic: &str) -> String {
    let topic = topic.trim();
    let mut out = String::new();
    if topic.is_empty() {
        out.push_str(
            "Type gradlab code to run it; declarations stay for the rest of the session.\n",
        );
        out.push_str("An open {, [ or ( continues on the next line; a blank line submits.\n\n");
        out.push_str("Commands:\n");
        for c in CommandName::ALL {
            let usage = format!(":{} {}", c.name(), c.args());
            let _ = writeln!(out, "  {:<14} {}", usage.trim_end(), c.summary());
        }
        out.push_str("\nConstructs (:help NAME for an example):\n  ");
        let names: Vec<&str> = CONSTRUCTS.iter().map(|(n, ..)| *n).collect();
        out.push_str(&names.join(", "));
        out.push_str("\n\nBuilt-in names (:help TOPIC lists them):\n  ");
        let mut tables: Vec<&str> = TABLES.iter().map(|(n, ..)| *n).collect();
        tables.push("settings");
        out.push_str(&tables.join(", "));
        out.push_str("\n\nKeys: Tab completes, ↑/↓ browse history, → accepts a hint, Ctrl-C stops a run\nor clears the line, Ctrl-D leaves.\n");
        return out;
    }
    if let Some((name, what, example)) = CONSTRUCTS.iter().find(|(n, ..)| *n == topic) {
        let _ = writeln!(out, "{name}: {what}\n\nExample:\n{}", indent(example));
        return out.trim_end().to_string() + "\n";
    }
    if let Some((_, title, table)) = TABLES.iter().find(|(n, ..)| *n == topic) {
        let _ = writeln!(out, "The {title}:");
        for s in table.iter() {
            let _ = writeln!(out, "  {:<34} {}", signature_line(s), s.summary);
        }
        return out;
    }
    if topic == "settings" {
        out.push_str("Settings of train, compare, explain and sweep blocks, one per line:\n");
        for (name, what) in sig::RUN_SETTINGS {
            let _ = writeln!(out, "  {name:<10} {what}");
        }
        return out;
    }
    if topic == "commands" || topic == "keys" {
        return help("");
    }
    let command = topic.trim_start_matches(':');
    if let Some(c) = CommandName::ALL.into_iter().find(|c| c.name() == command) {
        let _ = writeln!(out, ":{} {}\n    {}", c.name(), c.args(), c.summary());
        return out;
    }
    let mut found = false;
    for (table_name, title, table) in TABLES {
        if let Some(s) = sig::find(table, topic) {
            found = true;
            let _ = writeln!(
                out,
                "{}: {} (one of the {}; :help {table_name})",
                signature_line(s),
                s.summary,
                title.split(" (").next().unwrap_or(title)
            );
        }
    }
    if found {
        return out;
    }
    let _ = writeln!(
        out,
        "no help on `{topic}`; :help lists the topics{}",
        sig::did_you_mean(topic, help_topics().iter())
            .map(|t| format!(" (did you mean `{t}`?)"))
            .unwrap_or_default()
    );
    out
}

/// `:list`: one line per declared name.
pub fn list(env: &Env) -> String {
    if env.names.is_empty() {
        return "nothing declared yet\n".to_string();
    }
    let width = env.names.keys().map(|n| n.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (name, binding) in &env.names {
        let _ = writeln!(
            out,
            "{name:<width$}  {:<8}  {}",
            binding.entry.kind(),
            summary(name, binding, env)
        );
    }
    out
}

fn summary(name: &str, binding: &Binding, env: &Env) -> String {
    match &binding.entry {
        Entry::Let(value) => {
            let text = value.to_string();
            if text.chars().count() > 50 {
                format!("{}…", text.chars().take(49).collect::<String>())
            } else {
                text
            }
        }
        Entry::Data(data) => format!(
            "{} row{}, {} input{}, {} target{}",
            data.set.n,
            plural(data.set.n),
            data.set.x_dim,
            plural(data.set.x_dim),
            data.set.y_dim,
            plural(data.set.y_dim)
        ),
        Entry::Network(_) => match instance(name, binding, env) {
            Some(net) => {
                let params: usize = parameter_counts(&net).iter().sum();
                format!(
                    "{} → {}, {} layer{}, {params} parameters",
                    net.spec.input,
                    net.spec.layers.last().map_or(net.spec.input, |l| l.width),
                    net.spec.layers.len(),
                    plural(net.spec.layers.len())
                )
            }
            None => String::new(),
        },
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn instance(name: &str, binding: &Binding, env: &Env) -> Option<Instance> {
    instantiate(
        &NetRef {
            name: name.to_string(),
            args: Vec::new(),
            span: binding.span,
        },
        env,
    )
    .ok()
}

fn parameter_counts(net: &Instance) -> Vec<usize> {
    let mut fan_in = net.spec.input;
    net.spec
        .layers
        .iter()
        .map(|layer| {
            let bias = if matches!(layer.bias, BiasSpec::None) {
                0
            } else {
                layer.width
            };
            let count = layer.width * fan_in + bias;
            fan_in = layer.width;
            count
        })
        .collect()
}

pub fn activation_name(a: &Activation) -> String {
    match a {
        Activation::LeakyRelu { slope } => format!("leaky_relu({})", format_number(*slope)),
        Activation::Elu { alpha } => format!("elu({})", format_number(*alpha)),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// `:show NAME`.
pub fn show(name: &str, env: &Env, sources: &SourceMap) -> Result<String, String> {
    let Some(binding) = env.get(name) else {
        let mut message = format!("`{name}` is not declared; :list shows what is");
        if let Some(best) = sig::did_you_mean(name, env.names.keys()) {
            message = format!("`{name}` is not declared; did you mean `{best}`?");
        }
        return Err(message);
    };
    let mut out = String::new();
    match &binding.entry {
        Entry::Let(value) => {
            let _ = writeln!(out, "{name} = {value}");
        }
        Entry::Data(data) => {
            let set = &data.set;
            let _ = writeln!(
                out,
                "data {name}: {} row{}, {} input{}, {} target{}",
                set.n,
                plural(set.n),
                set.x_dim,
                plural(set.x_dim),
                set.y_dim,
                plural(set.y_dim)
            );
            let row = |values: &[f64]| -> String {
                let cells: Vec<String> = values.iter().map(|v| format_number(*v)).collect();
                format!("[{}]", cells.join(", "))
            };
            let shown = set.n.min(5);
            let rows: Vec<(String, String)> = (0..shown)
                .map(|i| {
                    (
                        row(&set.x[i * set.x_dim..(i + 1) * set.x_dim]),
                        row(&set.y[i * set.y_dim..(i + 1) * set.y_dim]),
                    )
                })
                .collect();
            let width = rows
                .iter()
                .map(|(x, _)| x.chars().count())
                .max()
                .unwrap_or(1);
            let _ = writeln!(out, "  {:<width$}  y", "x");
            for (x, y) in rows {
                let _ = writeln!(out, "  {x:<width$}  {y}");
            }
            if set.n > shown {
                let _ = writeln!(out, "  … {} more rows", set.n - shown);
            }
        }
        Entry::Network(decl) => {
            let net = instantiate(
                &NetRef {
                    name: name.to_string(),
                    args: Vec::new(),
                    span: binding.span,
                },
                env,
            )
            .map_err(|d| d.message)?;
            let params: Vec<String> = decl
                .params
                .iter()
                .map(|p| {
                    let value = net
                        .params
                        .iter()
                        .find(|(n, _)| *n == p.name.name)
                        .map_or(String::new(), |(_, v)| v.to_string());
                    format!("{}={value}", p.name.name)
                })
                .collect();
            let counts = parameter_counts(&net);
            let _ = writeln!(
                out,
                "network {name}{}: {} layer{}, {} parameters",
                if params.is_empty() {
                    String::new()
                } else {
                    format!("({})", params.join(", "))
                },
                net.spec.layers.len(),
                plural(net.spec.layers.len()),
                counts.iter().sum::<usize>()
            );
            let mut rows = vec![[
                "layer".to_string(),
                "shape".to_string(),
                "activation".to_string(),
                "params".to_string(),
                "init".to_string(),
                "bias".to_string(),
                "line".to_string(),
            ]];
            let mut fan_in = net.spec.input;
            let mut previous: Option<[String; 7]> = None;
            rows.push([
                "input".into(),
                fan_in.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                place(net.input_span.start, sources),
            ]);
            for (i, layer) in net.spec.layers.iter().enumerate() {
                let origin = &net.origins[layer.origin];
                let init = match (&origin.init, &layer.weight) {
                    (Some(spec), _) => crate::check::value::Value::Spec(spec.clone()).to_string(),
                    (None, WeightSpec::Default) => "pytorch_default".into(),
                    (None, WeightSpec::Const(v)) => format!("weight={}", format_number(*v)),
                    (None, WeightSpec::Matrix(_)) => "weight=[…]".into(),
                    (None, WeightSpec::Init(scheme)) => format!("{scheme:?}"),
                };
                let bias = match &layer.bias {
                    BiasSpec::None => "none".into(),
                    BiasSpec::Default => "default".into(),
                    BiasSpec::Const(v) => format_number(*v),
                    BiasSpec::Vector(_) => "[…]".into(),
                };
                let row = [
                    (i + 1).to_string(),
                    format!("{fan_in} → {}", layer.width),
                    activation_name(&layer.activation),
                    counts[i].to_string(),
                    format!(
                        "{init}{}",
                        if layer.batchnorm {
                            " batchnorm"
                        } else if layer.layernorm {
                            " layernorm"
                        } else {
                            ""
                        }
                    ),
                    bias,
                    place(origin.span.start, sources),
                ];
                // Identical consecutive layers (a `repeat`) share one row: `2–20`.
                let same = previous
                    .as_ref()
                    .is_some_and(|p: &[String; 7]| p[1..] == row[1..]);
                previous = Some(row.clone());
                match rows.last_mut() {
                    Some(last) if same => {
                        let first = last[0].split('–').next().unwrap_or("").to_string();
                        last[0] = format!("{first}–{}", i + 1);
                        if !last[3].ends_with(" each") {
                            last[3].push_str(" each");
                        }
                    }
                    _ => rows.push(row),
                }
                fan_in = layer.width;
            }
            out.push_str(&table(&rows));
        }
    }
    Ok(out)
}

/// `name:line` of an offset in the session's sources.
fn place(offset: usize, sources: &SourceMap) -> String {
    sources
        .locate(offset)
        .map_or(String::new(), |(name, line, _)| format!("{name}:{line}"))
}

/// Left-aligned columns, two spaces apart, without trailing spaces.
fn table(rows: &[[String; 7]]) -> String {
    let mut widths = [0usize; 7];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::from(" ");
        for (w, cell) in widths.iter().zip(row) {
            let _ = write!(line, " {cell:<w$} ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_construct_has_help_with_an_example() {
        for (name, ..) in CONSTRUCTS {
            assert!(help(name).contains("Example:"), "{name}");
        }
        assert!(help("relu").contains("activations"));
        assert!(help("adam").contains("lr=0.001"));
        assert!(help("remedies").contains("clip_norm"));
        assert!(help("trian").contains("did you mean `train`?"));
    }
}
