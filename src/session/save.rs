//! The session's declarations written back as a script `gradlab run` accepts (the
//! REPL's `:save`).
//!
//! Networks and data sets are written as the text they were declared with (found
//! through their span in the session's sources), `let`s as their current value. The
//! order makes every name declared before it is used: plain values, then data, then
//! networks, then values that refer to those. The script is then checked in a fresh
//! session; a data set that does not come out the same (say, generated under another
//! seed, or from a `let` since replaced) is written out row by row instead. A trained
//! network is declared as loading a weights file written beside the script (`trained`).

use std::collections::HashSet;
use std::fmt::Write as _;

use super::trained::{self, WeightsFile};
use super::{EvalStatus, Mode, Session};
use crate::check::Redeclare;
use crate::check::env::{DEFAULT_SEED, Entry, Env};
use crate::check::value::Value;
use crate::diagnostics::{SourceMap, Span};
use crate::engine::{Dataset, Precision};
use crate::format::number;
use crate::report::text::TextReporter;
use crate::syntax::{self, ast::ItemKind};

/// The most values (inputs and targets) a data set written row by row may hold. Its
/// text is about 20 bytes a value, and checking that text again in a fresh session
/// costs hundreds of bytes a value: 2 million rows took 90 MB of script and 3.6 GB of
/// memory, which aborted the process where that memory was not there.
pub const MAX_ROW_BY_ROW_VALUES: usize = 100_000;

/// The script, and a warning when it does not check cleanly; an error when a data set
/// would have to be written row by row and is too large for that.
pub fn script(env: &Env, sources: &SourceMap) -> Result<Saved, String> {
    let mut literal: HashSet<String> = HashSet::new();
    loop {
        let (text, weights) = render(env, sources, &literal);
        let (fresh, status, errors) = check(&text, env);
        let mismatched: Vec<String> = env
            .names()
            .iter()
            .filter(|(name, _)| !literal.contains(*name))
            .filter_map(
                |(name, binding)| match (&binding.entry, fresh.env.get(name)) {
                    (Entry::Data(data), Some(b)) => match &b.entry {
                        Entry::Data(saved) if saved.set == data.set => None,
                        _ => Some(name.clone()),
                    },
                    (Entry::Data(_), None) => Some(name.clone()),
                    _ => None,
                },
            )
            .collect();
        if mismatched.is_empty() {
            let warning = (status == EvalStatus::Failed).then(|| {
                format!(
                    "the saved script does not check cleanly:\n{}",
                    errors.trim_end()
                )
            });
            return Ok(Saved {
                text,
                weights,
                warning,
            });
        }
        // Refused before any row is written: the cost is known from the sizes alone.
        for name in &mismatched {
            if let Some(Entry::Data(data)) = env.get(name).map(|b| &b.entry) {
                let values = data.set.x.len() + data.set.y.len();
                if values > MAX_ROW_BY_ROW_VALUES {
                    return Err(too_large(name, values));
                }
            }
        }
        literal.extend(mismatched);
    }
}

/// A saved script, the weights files of its trained networks, and a warning when it
/// does not check cleanly.
#[derive(Debug)]
pub struct Saved {
    pub text: String,
    pub weights: Vec<WeightsFile>,
    pub warning: Option<String>,
}

fn too_large(name: &str, values: usize) -> String {
    format!(
        "cannot save: data set `{name}` no longer comes out of its declaration (another \
         seed, or a `let` it uses has changed), so it would be written row by row, and its \
         {values} values are more than the {MAX_ROW_BY_ROW_VALUES} a saved script may hold; \
         declare `{name}` again under the current seed and values, then save"
    )
}

fn check(text: &str, env: &Env) -> (Session, EvalStatus, String) {
    let mut fresh = Session::new(Redeclare::Error);
    fresh.set_base_dir(env.base_dir.clone());
    let mut out = std::io::sink();
    let mut err = Vec::new();
    let status = {
        let mut reporter = TextReporter::new(&mut out, &mut err, false);
        fresh.eval("saved script", text, Mode::Check, &mut reporter)
    };
    (fresh, status, String::from_utf8_lossy(&err).into_owned())
}

fn render(env: &Env, sources: &SourceMap, literal: &HashSet<String>) -> (String, Vec<WeightsFile>) {
    let mut bindings: Vec<(&String, &crate::check::env::Binding)> = env.names().iter().collect();
    bindings.sort_by_key(|(_, b)| b.span.start);
    let mut out = String::from("# Saved from a gradlab session.\n");
    if env.seed != DEFAULT_SEED {
        let _ = writeln!(out, "seed {}", env.seed);
    }
    if env.precision != Precision::F32 {
        out.push_str("precision f64\n");
    }
    let mut values = String::new();
    let mut data = String::new();
    let mut networks = String::new();
    let mut later = String::new();
    let mut weights = Vec::new();
    for (name, binding) in bindings {
        match &binding.entry {
            // A trained network: its weights are not text, so they go to a file the
            // script loads; `let fitted = net` would silently be the untrained network.
            Entry::Let(Value::Network(net)) if net.weights.is_some() => {
                if let Some((text, file)) = trained::declaration(name, net, env, sources) {
                    let _ = writeln!(networks, "\n{text}");
                    weights.push(file);
                }
            }
            Entry::Let(value) => match literal_of(value) {
                Some(text) if refers_to_declarations(value) => {
                    let _ = writeln!(later, "let {name} = {text}");
                }
                Some(text) => {
                    let _ = writeln!(values, "let {name} = {text}");
                }
                None => {
                    if let Some(text) = declaration_text(binding.span, sources) {
                        let _ = writeln!(later, "{text}");
                    }
                }
            },
            Entry::Data(set) => {
                let text = if literal.contains(name) {
                    None
                } else {
                    declaration_text(binding.span, sources)
                };
                let text = text.unwrap_or_else(|| literal_data(name, &set.set));
                let _ = writeln!(data, "\n{text}");
            }
            Entry::Network(_) => {
                if let Some(text) = declaration_text(binding.span, sources) {
                    let _ = writeln!(networks, "\n{text}");
                }
            }
        }
    }
    for part in [values, data, networks] {
        out.push_str(&part);
    }
    if !later.is_empty() {
        out.push('\n');
        out.push_str(&later);
    }
    (out, weights)
}

/// The text of the declaration whose name is at `name_span`.
pub(super) fn declaration_text(name_span: Span, sources: &SourceMap) -> Option<String> {
    let file = sources.file_at(name_span.start)?;
    let parsed = syntax::parse(&file.text, file.base);
    let program = parsed.program?;
    let item = program.items.iter().find(|item| {
        let name = match &item.kind {
            ItemKind::Let { name, .. } => name,
            ItemKind::Network(n) => &n.name,
            ItemKind::Data(d) => &d.name,
            _ => return false,
        };
        name.span == name_span
    })?;
    let start = item.span.start - file.base;
    let end = item.span.end - file.base;
    file.text.get(start..end).map(str::to_string)
}

fn refers_to_declarations(value: &Value) -> bool {
    match value {
        Value::Network(_) | Value::Data(_) => true,
        Value::List(items) => items.iter().any(refers_to_declarations),
        _ => false,
    }
}

/// The value as gradlab source, if it can be written as one.
fn literal_of(value: &Value) -> Option<String> {
    Some(match value {
        Value::Num(n) if n.is_finite() => number(*n),
        Value::Num(_) => return None,
        Value::Str(s) => string(s),
        Value::Bool(b) => b.to_string(),
        Value::None => "none".into(),
        Value::List(items) => {
            let items = items.iter().map(literal_of).collect::<Option<Vec<_>>>()?;
            format!("[{}]", items.join(", "))
        }
        Value::Network(net) => {
            let args = net
                .args
                .iter()
                .map(|a| literal_of(&a.value).map(|v| format!("{}={v}", a.name)))
                .collect::<Option<Vec<_>>>()?;
            if args.is_empty() {
                net.name.clone()
            } else {
                format!("{}({})", net.name, args.join(", "))
            }
        }
        Value::Data(data) => data.name.clone(),
        Value::Spec(_) | Value::Combo(_) => {
            let text = value.to_string();
            // Specs print their arguments as plain values; strings would lose quotes.
            if text.contains('"') {
                return None;
            }
            text
        }
        Value::Forward(_) => return None,
    })
}

fn string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn literal_data(name: &str, set: &Dataset) -> String {
    let rows = |values: &[f64], dim: usize| -> String {
        let rows: Vec<String> = values
            .chunks(dim.max(1))
            .map(|row| {
                let cells: Vec<String> = row.iter().map(|v| number(*v)).collect();
                format!("[{}]", cells.join(", "))
            })
            .collect();
        format!("[{}]", rows.join(", "))
    };
    format!(
        "data {name} {{\n    x = {}\n    y = {}\n}}",
        rows(&set.x, set.x_dim),
        rows(&set.y, set.y_dim)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(inputs: &[&str]) -> Session {
        let mut session = Session::new(Redeclare::Replace);
        for (i, text) in inputs.iter().enumerate() {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let mut reporter = TextReporter::new(&mut out, &mut err, false);
            let status = session.eval(&format!("<{i}>"), text, Mode::Run, &mut reporter);
            assert_eq!(status, EvalStatus::Ok, "{}", String::from_utf8_lossy(&err));
        }
        session
    }

    #[test]
    fn declarations_come_back_as_their_text() {
        let s = session(&[
            "let w = 2.34",
            "network chain(depth = 3) {\n  input 1\n  repeat depth { dense 1 relu weight=w }\n}",
            "data one {\n  x = [[1.0]]\n  y = [[1.0]]\n}",
            "let w = 1.5\nlet name = \"a \\\"b\\\"\"",
        ]);
        let Saved { text, warning, .. } = script(&s.env, &s.sources).expect("a script");
        assert!(warning.is_none(), "{warning:?}\n{text}");
        assert!(text.contains("let w = 1.5\n"), "{text}");
        assert!(text.contains("let name = \"a \\\"b\\\"\""), "{text}");
        assert!(
            text.contains("repeat depth { dense 1 relu weight=w }"),
            "{text}"
        );
        assert!(text.contains("x = [[1.0]]"), "{text}");
    }

    #[test]
    fn data_that_would_change_is_written_row_by_row() {
        let s = session(&["let n = 2", "data d = sine(n)", "let n = 3"]);
        let Saved { text, warning, .. } = script(&s.env, &s.sources).expect("a script");
        assert!(warning.is_none(), "{warning:?}\n{text}");
        assert!(text.contains("data d {\n    x = [["), "{text}");
    }

    #[test]
    fn a_large_data_set_is_refused_rather_than_written_row_by_row() {
        // 2 million rows written row by row aborted the process; over the cap, the
        // save is refused before a row is written.
        let rows = MAX_ROW_BY_ROW_VALUES / 2 + 1;
        let s = session(&[&format!("data d = linear({rows})"), "seed 7"]);
        let error = script(&s.env, &s.sources).unwrap_err();
        assert!(error.contains("data set `d`"), "{error}");
        assert!(error.contains(&format!("{} values", 2 * rows)), "{error}");
        // Declared again under the current seed, it saves as its declaration.
        let s = session(&[
            &format!("data d = linear({rows})"),
            "seed 7",
            "data d = linear(2)",
        ]);
        assert!(script(&s.env, &s.sources).is_ok());
    }
}
