//! Data blocks: `data d { x = [...] y = [...] }`. The generators and CSV files are
//! built-in functions (`builtins`).

use super::builtins::dataset;
use super::env::Env;
use super::eval::{Scope, eval};
use super::value::{Data, Value};
use crate::diagnostics::{Diagnostic, ErrorKind, Span};
use crate::format::count;
use crate::signature::did_you_mean;
use crate::syntax::ast::Setting;

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
                    .with_kind(ErrorKind::UnknownBuiltin)
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
        return Err(Diagnostic::error(format!(
            "`x` has {} but `y` has {}",
            count(x.len(), "row"),
            count(y.len(), "row")
        ))
        .with_kind(ErrorKind::ShapeMismatch)
        .with_label(x_span, count(x.len(), "row"))
        .with_label(y_span, count(y.len(), "row")));
    }
    Ok(Data {
        name: name.to_string(),
        set: dataset(&x, &y),
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
        .with_kind(ErrorKind::ShapeMismatch)
        .with_label(span, "rows of different widths"));
    }
    Ok(rows)
}
