//! Data sets: literal rows, the seeded generators, and CSV files.

use super::args::Bound;
use super::env::Env;
use super::eval::{Scope, eval};
use super::signature::did_you_mean;
use super::value::{Data, Value};
use crate::diagnostics::{Diagnostic, Span};
use crate::engine::{self, Dataset};
use crate::syntax::ast::{Call, Setting};

/// Data sets larger than this many values are refused: gradlab simulates, it does not
/// train production models.
pub const MAX_VALUES: usize = 50_000_000;

/// `data d { x = [...] y = [...] }`
pub fn from_fields(
    name: &str,
    fields: &[Setting],
    block: Span,
    env: &Env,
) -> Result<Data, Diagnostic> {
    let mut x: Option<(Vec<Vec<f64>>, Span)> = None;
    let mut y: Option<(Vec<Vec<f64>>, Span)> = None;
    for field in fields {
        let key = field.key.name.as_str();
        let slot = match key {
            "x" => &mut x,
            "y" => &mut y,
            other => {
                let mut d = Diagnostic::error(format!("unknown data field `{other}`"))
                    .with_label(field.key.span, "a data block has `x` and `y`");
                if let Some(best) = did_you_mean(other, ["x", "y"]) {
                    d = d.with_help(format!("did you mean `{best}`?"));
                }
                return Err(d);
            }
        };
        if let Some((_, first)) = slot {
            return Err(Diagnostic::error(format!("`{key}` is given twice"))
                .with_label(field.span, "given again here")
                .with_label(*first, "first given here"));
        }
        let [expr] = field.values.as_slice() else {
            return Err(Diagnostic::error(format!("`{key}` takes one list of rows"))
                .with_label(field.span, "write the rows inside one pair of brackets")
                .with_help(format!("{key} = [[0, 1], [1, 0]]")));
        };
        let value = eval(expr, &Scope::global(env))?;
        let rows = rows_of(&value, expr.span, key)?;
        *slot = Some((rows, field.span));
    }
    let Some((x, x_span)) = x else {
        return Err(Diagnostic::error(format!("data `{name}` has no `x`"))
            .with_label(block, "this data block")
            .with_help("add the inputs: x = [[0, 1], [1, 0]]"));
    };
    let Some((y, y_span)) = y else {
        return Err(Diagnostic::error(format!("data `{name}` has no `y`"))
            .with_label(block, "this data block")
            .with_help("add the targets: y = [[1], [0]]"));
    };
    if x.len() != y.len() {
        return Err(
            Diagnostic::error(format!("`x` has {} rows but `y` has {}", x.len(), y.len()))
                .with_label(x_span, format!("{} rows", x.len()))
                .with_label(y_span, format!("{} rows", y.len())),
        );
    }
    Ok(Data {
        name: name.to_string(),
        set: from_rows(&x, &y),
    })
}

/// Rows of numbers, all the same width. A bare number in the list is a row of one.
fn rows_of(value: &Value, span: Span, key: &str) -> Result<Vec<Vec<f64>>, Diagnostic> {
    let rows = value.as_matrix().ok_or_else(|| {
        Diagnostic::error(format!("`{key}` must be a list of rows of numbers"))
            .with_label(span, format!("this is a {}", value.type_name()))
            .with_help(format!("{key} = [[0, 1], [1, 0]]"))
    })?;
    if rows.is_empty() {
        return Err(Diagnostic::error(format!("`{key}` has no rows")).with_label(span, "empty"));
    }
    let width = rows[0].len();
    if width == 0 {
        return Err(Diagnostic::error(format!("`{key}` has an empty row")).with_label(span, "here"));
    }
    if let Some((i, row)) = rows.iter().enumerate().find(|(_, r)| r.len() != width) {
        return Err(Diagnostic::error(format!(
            "row {} of `{key}` has {} values, but row 1 has {width}",
            i + 1,
            row.len()
        ))
        .with_label(span, "rows of different widths"));
    }
    Ok(rows)
}

fn from_rows(x: &[Vec<f64>], y: &[Vec<f64>]) -> Dataset {
    Dataset {
        n: x.len(),
        x_dim: x.first().map_or(0, Vec::len),
        y_dim: y.first().map_or(0, Vec::len),
        x: x.concat(),
        y: y.concat(),
    }
}

/// The generated data sets and `csv`.
pub fn generate(name: &str, bound: &Bound, call: &Call, env: &Env) -> Result<Data, Diagnostic> {
    let too_big = |values: usize| {
        (values > MAX_VALUES).then(|| {
            Diagnostic::error(format!("data set above {MAX_VALUES} values"))
                .with_label(call.span, "too large to simulate")
        })
    };
    let set = match name {
        "xor" => engine::data::xor(),
        "spiral" => {
            let (n, classes) = (bound.count("n"), bound.count("classes"));
            if let Some(d) = too_big(n.saturating_mul(classes).saturating_mul(3)) {
                return Err(d);
            }
            engine::data::spiral(n, classes, bound.num("noise"), env.seed)
        }
        "sine" => {
            if let Some(d) = too_big(bound.count("n").saturating_mul(2)) {
                return Err(d);
            }
            engine::data::sine(bound.count("n"), env.seed)
        }
        "linear" => {
            if let Some(d) = too_big(bound.count("n").saturating_mul(2)) {
                return Err(d);
            }
            engine::data::linear(bound.count("n"), bound.num("noise"), env.seed)
        }
        "csv" => csv(bound, call, env)?,
        other => unreachable!("`{other}` is in FUNCTIONS but has no implementation"),
    };
    Ok(Data {
        name: name.to_string(),
        set,
    })
}

fn csv(bound: &Bound, call: &Call, env: &Env) -> Result<Dataset, Diagnostic> {
    let path_span = bound.span("path").unwrap_or(call.span);
    let Some(Value::Str(path)) = bound.get("path") else {
        unreachable!("bind checked `path` is a string")
    };
    let full = env.base_dir.join(path);
    let text = std::fs::read_to_string(&full).map_err(|e| {
        Diagnostic::error(format!("cannot read `{path}`"))
            .with_label(path_span, e.to_string())
            .with_note("relative paths are resolved from the script's folder")
    })?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty()).peekable();
    let first: Vec<&str> = lines
        .peek()
        .map(|l| l.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let header: Option<Vec<String>> = if first.iter().any(|c| c.parse::<f64>().is_err()) {
        lines.next();
        Some(first.iter().map(|c| c.to_string()).collect())
    } else {
        None
    };
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (i, line) in lines.enumerate() {
        let row: Result<Vec<f64>, _> = line.split(',').map(|c| c.trim().parse::<f64>()).collect();
        let row = row.map_err(|_| {
            let number = i + 1 + usize::from(header.is_some());
            Diagnostic::error(format!("`{path}` line {number} is not all numbers")).with_label(
                path_span,
                format!(
                    "line {number}: {}",
                    line.chars().take(60).collect::<String>()
                ),
            )
        })?;
        rows.push(row);
    }
    let width = rows.first().map_or(0, Vec::len);
    if rows.is_empty() || rows.iter().any(|r| r.len() != width) {
        return Err(Diagnostic::error(format!(
            "`{path}` has no rows, or rows of different widths"
        ))
        .with_label(path_span, "this file"));
    }
    let columns = |key: &str| -> Result<Vec<usize>, Diagnostic> {
        let span = bound.span(key).unwrap_or(call.span);
        let Some(Value::List(items)) = bound.get(key) else {
            unreachable!()
        };
        items
            .iter()
            .map(|item| match item {
                Value::Num(n) if n.fract() == 0.0 && *n >= 0.0 && (*n as usize) < width => {
                    Ok(*n as usize)
                }
                Value::Str(name) => header
                    .as_ref()
                    .and_then(|h| h.iter().position(|c| c == name))
                    .ok_or_else(|| {
                        Diagnostic::error(format!("`{path}` has no column named `{name}`"))
                            .with_label(span, "in this list")
                    }),
                other => Err(Diagnostic::error(format!(
                    "column `{other}` is not in `{path}`, which has columns 0 to {}",
                    width - 1
                ))
                .with_label(span, "in this list")),
            })
            .collect()
    };
    let (xs, ys) = (columns("x")?, columns("y")?);
    if xs.is_empty() || ys.is_empty() {
        return Err(
            Diagnostic::error("`x` and `y` each need at least one column")
                .with_label(call.span, "here"),
        );
    }
    let pick = |cols: &[usize]| -> Vec<Vec<f64>> {
        rows.iter()
            .map(|r| cols.iter().map(|&c| r[c]).collect())
            .collect()
    };
    Ok(from_rows(&pick(&xs), &pick(&ys)))
}
