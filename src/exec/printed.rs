//! `print`: a value's text and JSON, running the engine for network outputs.

use serde_json::json;

use crate::check::value::{Forward, Value};
use crate::engine::{self, Precision};
use crate::format;
use crate::report::Printed;
use crate::report::json::number_json;

/// Computes a value's text and JSON, running the engine for network outputs.
pub fn printed(value: &Value) -> Result<Printed, String> {
    match value {
        Value::Forward(f) => forward(f),
        Value::List(items) if items.iter().any(|v| matches!(v, Value::Forward(_))) => {
            let parts = items.iter().map(printed).collect::<Result<Vec<_>, _>>()?;
            Ok(Printed {
                text: format!(
                    "[{}]",
                    parts
                        .iter()
                        .map(|p| p.text.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                json: json!(parts.into_iter().map(|p| p.json).collect::<Vec<_>>()),
            })
        }
        other => Ok(Printed {
            text: other.to_string(),
            json: value_json(other),
        }),
    }
}

/// A network's output, at the precision it was computed in.
fn forward(f: &Forward) -> Result<Printed, String> {
    let rows = match &f.weights {
        Some(weights) => {
            let params = crate::check::loaded::resolve(weights)
                .map_err(|d| d.message)?
                .ok_or_else(|| {
                    format!(
                        "`{}` holds no trained weights: the run that trains it did not finish",
                        weights.name
                    )
                })?;
            engine::forward_with(&f.net, &params, f.precision, &f.rows)
        }
        None => engine::forward(&f.net, f.seed, f.precision, &f.rows),
    }
    .map_err(|e| e.to_string())?;
    let row_text = |row: &Vec<f64>| -> String {
        let cells: Vec<String> = row
            .iter()
            .map(|x| format::number_in(*x, f.precision))
            .collect();
        format!("[{}]", cells.join(", "))
    };
    let cell_json = |x: f64| -> serde_json::Value {
        let x = if f.precision == Precision::F32 {
            x as f32 as f64
        } else {
            x
        };
        number_json(x)
    };
    if f.single && rows[0].len() == 1 {
        let x = rows[0][0];
        Ok(Printed {
            text: format::number_in(x, f.precision),
            json: cell_json(x),
        })
    } else if f.single {
        let row = &rows[0];
        Ok(Printed {
            text: row_text(row),
            json: json!(row.iter().map(|x| cell_json(*x)).collect::<Vec<_>>()),
        })
    } else {
        let text: Vec<String> = rows.iter().map(row_text).collect();
        Ok(Printed {
            text: format!("[{}]", text.join(", ")),
            json: json!(
                rows.iter()
                    .map(|r| r.iter().map(|x| cell_json(*x)).collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            ),
        })
    }
}

fn value_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Num(n) => number_json(*n),
        Value::Str(s) => json!(s),
        Value::Bool(b) => json!(b),
        Value::None => serde_json::Value::Null,
        Value::List(items) => json!(items.iter().map(value_json).collect::<Vec<_>>()),
        other => json!(other.to_string()),
    }
}
