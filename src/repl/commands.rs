//! The text of the `:help`, `:list` and `:show` commands.

use std::fmt::Write as _;

use super::command::CommandName;
use crate::check::signature::{self as sig, Fallback, Signature};
use crate::check::value::format_number;
use crate::engine::Activation;
use crate::session::{DataDescription, Description, LayerDescription, NetworkDescription, Session};

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
pub fn list(session: &Session) -> String {
    let names: Vec<&str> = session.names().collect();
    let Some(width) = names.iter().map(|n| n.len()).max() else {
        return "nothing declared yet\n".to_string();
    };
    let mut out = String::new();
    for name in names {
        if let Some(description) = session.describe(name) {
            let kind = description.kind();
            let _ = writeln!(out, "{name:<width$}  {kind:<8}  {}", summary(&description));
        }
    }
    out
}

/// A name's meaning in a few words, for `:list`.
fn summary(description: &Description) -> String {
    match description {
        Description::Value(text) if text.chars().count() > 50 => {
            format!("{}…", text.chars().take(49).collect::<String>())
        }
        Description::Value(text) => text.clone(),
        Description::Data(data) => data_size(data),
        Description::Network(net) => format!(
            "{} → {}, {} layer{}, {} parameters",
            net.input,
            net.output(),
            net.layers.len(),
            plural(net.layers.len()),
            net.parameter_count()
        ),
        Description::BrokenNetwork(_) => String::new(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The name of an activation as a script writes it.
pub fn activation_name(a: &Activation) -> String {
    match a {
        Activation::Relu => "relu".into(),
        Activation::LeakyRelu { slope } => format!("leaky_relu({})", format_number(*slope)),
        Activation::Elu { alpha } => format!("elu({})", format_number(*alpha)),
        Activation::Gelu => "gelu".into(),
        Activation::Sigmoid => "sigmoid".into(),
        Activation::Tanh => "tanh".into(),
        Activation::Softplus => "softplus".into(),
        Activation::Linear => "linear".into(),
    }
}

/// `:show NAME`.
pub fn show(name: &str, session: &Session) -> Result<String, String> {
    match session.describe(name) {
        None => Err(not_declared(name, session)),
        Some(Description::Value(text)) => Ok(format!("{name} = {text}\n")),
        Some(Description::Data(data)) => Ok(show_data(name, &data)),
        Some(Description::Network(net)) => Ok(show_network(name, &net)),
        Some(Description::BrokenNetwork(message)) => Err(message),
    }
}

fn not_declared(name: &str, session: &Session) -> String {
    match sig::did_you_mean(name, session.names()) {
        Some(best) => format!("`{name}` is not declared; did you mean `{best}`?"),
        None => format!("`{name}` is not declared; :list shows what is"),
    }
}

/// `12 rows, 2 inputs, 1 target`.
fn data_size(data: &DataDescription) -> String {
    format!(
        "{} row{}, {} input{}, {} target{}",
        data.rows,
        plural(data.rows),
        data.inputs,
        plural(data.inputs),
        data.targets,
        plural(data.targets)
    )
}

/// The size line, then the first rows in two columns, x and y.
fn show_data(name: &str, data: &DataDescription) -> String {
    let mut out = format!("data {name}: {}\n", data_size(data));
    let row = |values: &[f64]| -> String {
        let cells: Vec<String> = values.iter().map(|v| format_number(*v)).collect();
        format!("[{}]", cells.join(", "))
    };
    let rows: Vec<(String, String)> = data
        .first_rows
        .iter()
        .map(|(x, y)| (row(x), row(y)))
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
    if data.rows > data.first_rows.len() {
        let _ = writeln!(out, "  … {} more rows", data.rows - data.first_rows.len());
    }
    out
}

/// The header line, then one row per layer (a `repeat`'s identical layers share one).
fn show_network(name: &str, net: &NetworkDescription) -> String {
    let params: Vec<String> = net.params.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let params = if params.is_empty() {
        String::new()
    } else {
        format!("({})", params.join(", "))
    };
    let header = format!(
        "network {name}{params}: {} layer{}, {} parameters\n",
        net.layers.len(),
        plural(net.layers.len()),
        net.parameter_count()
    );
    header + &table(&layer_rows(net))
}

type Row = [String; 7];

/// The table's rows: its heading, the input, then the layers.
fn layer_rows(net: &NetworkDescription) -> Vec<Row> {
    let heading = [
        "layer",
        "shape",
        "activation",
        "params",
        "init",
        "bias",
        "line",
    ];
    let input = [
        "input".into(),
        net.input.to_string(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        net.input_place.clone(),
    ];
    let mut rows = vec![heading.map(String::from), input];
    let mut previous: Option<Row> = None;
    for (i, layer) in net.layers.iter().enumerate() {
        let row = layer_row(i + 1, layer);
        let same = previous.as_ref().is_some_and(|p| p[1..] == row[1..]);
        previous = Some(row.clone());
        match rows.last_mut() {
            Some(last) if same => extend_range(last, i + 1),
            _ => rows.push(row),
        }
    }
    rows
}

fn layer_row(number: usize, layer: &LayerDescription) -> Row {
    let init = match layer.normalization {
        Some(norm) => format!("{} {norm}", layer.init),
        None => layer.init.clone(),
    };
    [
        number.to_string(),
        format!("{} → {}", layer.inputs, layer.width),
        activation_name(&layer.activation),
        layer.parameters.to_string(),
        init,
        layer.bias.clone(),
        layer.place.clone(),
    ]
}

/// Makes `row` (layer `2` or `2–5`) cover layers up to `last`, its count per layer.
fn extend_range(row: &mut Row, last: usize) {
    let first = row[0].split('–').next().unwrap_or("").to_string();
    row[0] = format!("{first}–{last}");
    if !row[3].ends_with(" each") {
        row[3].push_str(" each");
    }
}

/// Left-aligned columns, two spaces apart, without trailing spaces.
fn table(rows: &[Row]) -> String {
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
