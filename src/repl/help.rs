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
    (
        "as",
        "names the network a run trained (in the REPL, `_` is the last one)",
        "train chain on one as fitted {\n    steps 3\n}\nprint forward(fitted, [1.0])",
    ),
    (
        "save",
        "writes a network's weights to a safetensors file, in PyTorch's names",
        "save fitted to \"chain.safetensors\"",
    ),
    (
        "from",
        "declares a network whose weights come from a safetensors file",
        "network chain from \"chain.safetensors\" {\n    input 1\n    dense 1 relu bias=none\n}",
    ),
    ("seed", "sets the random seed for what follows", "seed 1"),
    (
        "precision",
        "sets the floating-point precision: f32 (default) or f64",
        "precision f64",
    ),
];

/// The tables `:help` can list: the topic, the table's title, what one of its names
/// is (for `:help NAME`), and the table.
const TABLES: &[(&str, &str, &str, &[Signature])] = &[
    (
        "activations",
        "activations (after a dense layer's width)",
        "an activation",
        sig::ACTIVATIONS,
    ),
    ("losses", "losses (`loss NAME`)", "a loss", sig::LOSSES),
    (
        "optimizers",
        "optimizers (`optimizer NAME(…)`)",
        "an optimizer",
        sig::OPTIMIZERS,
    ),
    (
        "inits",
        "init schemes (`init=NAME` on a layer)",
        "an init scheme",
        sig::INITS,
    ),
    (
        "remedies",
        "remedies (`remedy A + B`, `variant A`)",
        "a remedy",
        sig::REMEDIES,
    ),
    (
        "show",
        "things `show` prints per step (`show A, B`)",
        "one of what `show` prints",
        sig::SHOW,
    ),
    (
        "diagnose",
        "diagnostics (`diagnose NAME(…)`)",
        "a diagnostic",
        sig::DIAGNOSTICS,
    ),
    (
        "metrics",
        "sweep metrics (`metric NAME`)",
        "a sweep metric",
        sig::METRICS,
    ),
    (
        "functions",
        "built-in functions",
        "a built-in function",
        sig::FUNCTIONS,
    ),
];

/// The width `:help` text is wrapped to.
const HELP_WIDTH: usize = 80;
/// The widest signature column of a table; a longer signature has its summary on the
/// next line.
const MAX_SIGNATURE_COLUMN: usize = 26;

/// Every word `:help` knows, for completion.
pub fn help_topics() -> Vec<String> {
    let mut topics: Vec<String> = CONSTRUCTS.iter().map(|(n, ..)| n.to_string()).collect();
    topics.extend(TABLES.iter().map(|(n, ..)| n.to_string()));
    topics.push("settings".into());
    topics.push("commands".into());
    topics.push("keys".into());
    for (.., table) in TABLES {
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

/// A table's signatures in a column and their summaries beside it, wrapped.
fn table_text(table: &[Signature]) -> String {
    let signatures: Vec<String> = table.iter().map(signature_line).collect();
    let column = signatures
        .iter()
        .map(|s| s.chars().count())
        .filter(|&width| width <= MAX_SIGNATURE_COLUMN)
        .max()
        .unwrap_or(MAX_SIGNATURE_COLUMN);
    let indent = " ".repeat(2 + column + 2);
    let mut out = String::new();
    for (signature, s) in signatures.iter().zip(table) {
        let mut summary = format::wrap(s.summary, HELP_WIDTH - indent.len()).into_iter();
        if signature.chars().count() > column {
            let _ = writeln!(out, "  {signature}");
        } else {
            let first = summary.next().unwrap_or_default();
            let _ = writeln!(out, "  {signature:<column$}  {first}");
        }
        for line in summary {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    out
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
    if let Some((_, title, _, table)) = TABLES.iter().find(|(n, ..)| *n == topic) {
        let _ = writeln!(out, "The {title}:");
        out.push_str(&table_text(table));
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
    for (table_name, _, member, table) in TABLES {
        if let Some(s) = sig::find(table, topic) {
            found = true;
            let signature = signature_line(s);
            let line = format!("{signature}: {}", s.summary);
            if line.chars().count() <= HELP_WIDTH {
                let _ = writeln!(out, "{line}");
            } else {
                // A long one reads as a table row: the summary below, indented.
                let _ = writeln!(out, "{signature}");
                for line in format::wrap(s.summary, HELP_WIDTH - 2) {
                    let _ = writeln!(out, "  {line}");
                }
            }
            let _ = writeln!(out, "  {member}; :help {table_name} lists them all");
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

    #[test]
    fn tables_align_their_summaries_and_fit_80_columns() {
        for (topic, ..) in TABLES {
            let text = help(topic);
            assert!(
                text.lines().all(|l| l.chars().count() <= HELP_WIDTH),
                "{text}"
            );
        }
        let remedies = help("remedies");
        let column = |line: &str| line.find("gradient clipping").or(line.find("clamp every"));
        let clip_norm = remedies.lines().find_map(column);
        let clip_value = remedies.lines().filter_map(column).nth(1);
        assert_eq!(clip_norm, clip_value, "{remedies}");
        assert!(remedies.contains("\n  clip_norm(max, norm=2, scope=global)\n"));
    }

    #[test]
    fn a_name_says_what_it_is_in_words() {
        let text = help("gradients");
        assert_eq!(
            text,
            "gradients: a per-layer table of gradient norms and gains\n  \
             one of what `show` prints; :help show lists them all\n"
        );
    }
}
