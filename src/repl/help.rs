//! The text of `:help`: the commands, the constructs with an example each, and the
//! tables of built-in names.

use std::fmt::Write as _;

use super::command::CommandName;
use crate::format;
use crate::signature::{self as sig, Fallback, Signature};

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
            Fallback::Num(n) => format!("{}={}", p.name, format::number(n)),
            Fallback::Bool(b) => format!("{}={b}", p.name),
            Fallback::Name(n) => format!("{}={n}", p.name),
            Fallback::Pair(a, b) => {
                format!("{}=({}, {})", p.name, format::number(a), format::number(b))
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
