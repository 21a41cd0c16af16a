//! The built-in functions that make values: the seeded data generators, CSV files
//! and the math functions. None of them evaluates expressions: their arguments are
//! bound before they are called.

use super::args::Bound;
use super::env::Env;
use super::value::Value;
use crate::diagnostics::{Diagnostic, ErrorKind, Span};
use crate::engine::{self, Dataset};
use crate::text_file::{self, MIB};

/// Data sets larger than this many values are refused: gradlab simulates, it does not
/// train production models.
pub const MAX_VALUES: usize = 50_000_000;

/// A data set from rows of inputs and rows of targets, each of one width.
pub fn dataset(x: &[Vec<f64>], y: &[Vec<f64>]) -> Dataset {
    Dataset {
        n: x.len(),
        x_dim: x.first().map_or(0, Vec::len),
        y_dim: y.first().map_or(0, Vec::len),
        x: x.concat(),
        y: y.concat(),
    }
}

fn too_big(values: usize, call_span: Span) -> Result<(), Diagnostic> {
    if values > MAX_VALUES {
        return Err(
            Diagnostic::error(format!("data set above {MAX_VALUES} values"))
                .with_kind(ErrorKind::TooLarge)
                .with_label(call_span, "too large to simulate"),
        );
    }
    Ok(())
}

/// `xor()`: the four XOR points.
pub fn xor() -> Dataset {
    engine::data::xor()
}

/// `spiral(n, classes, noise)`.
pub fn spiral(bound: &Bound, call_span: Span, env: &Env) -> Result<Dataset, Diagnostic> {
    let (n, classes) = (bound.count("n")?, bound.count("classes")?);
    too_big(n.saturating_mul(classes).saturating_mul(3), call_span)?;
    Ok(engine::data::spiral(
        n,
        classes,
        bound.num("noise")?,
        env.seed,
    ))
}

/// `sine(n)`.
pub fn sine(bound: &Bound, call_span: Span, env: &Env) -> Result<Dataset, Diagnostic> {
    let n = bound.count("n")?;
    too_big(n.saturating_mul(2), call_span)?;
    Ok(engine::data::sine(n, env.seed))
}

/// `linear(n, noise)`.
pub fn linear(bound: &Bound, call_span: Span, env: &Env) -> Result<Dataset, Diagnostic> {
    let n = bound.count("n")?;
    too_big(n.saturating_mul(2), call_span)?;
    Ok(engine::data::linear(n, bound.num("noise")?, env.seed))
}

/// `exp(x)`, refused where it overflows.
pub fn exp(bound: &Bound, call_span: Span) -> Result<Value, Diagnostic> {
    let v = bound.num("x")?.exp();
    if v.is_finite() {
        Ok(Value::Num(v))
    } else {
        Err(Diagnostic::error("exp overflows")
            .with_kind(ErrorKind::InvalidValue)
            .with_label(call_span, "this is larger than 1.8e308"))
    }
}

/// The largest CSV file read, in bytes: a quarter of a GiB of text is already more data
/// than a simulation needs.
pub const MAX_CSV_BYTES: u64 = 256 * MIB;

/// `csv(path, x=[…], y=[…], header=…)`: the chosen columns of a CSV file, read relative
/// to the script's folder. Without `header`, a first row of only numbers is data and a
/// first row of no numbers is a header; a first row that mixes them is refused, since
/// it may be a data row with a mistake.
pub fn csv(bound: &Bound, call_span: Span, env: &Env) -> Result<Dataset, Diagnostic> {
    let path_span = bound.span("path");
    let path = bound.text("path")?;
    let full = env.base_dir.join(path);
    let text =
        text_file::read_text(&full, MAX_CSV_BYTES).map_err(|e| e.in_script(path, path_span))?;
    // Line numbers count every line of the file, blank ones too, as an editor does.
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, l)| !l.trim().is_empty())
        .peekable();
    let first: Vec<&str> = lines
        .peek()
        .map(|(_, l)| l.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let has_header = match bound.optional_flag("header")? {
        Some(given) => given,
        None => header_by_content(&first, path, path_span)?,
    };
    let header: Option<Vec<String>> = if has_header {
        lines.next();
        Some(first.iter().map(|c| c.to_string()).collect())
    } else {
        None
    };
    let cells = read_cells(lines, MAX_VALUES, path, path_span, call_span)?;
    let width = cells.width;
    if cells.values.is_empty() || cells.ragged {
        return Err(Diagnostic::error(format!(
            "`{path}` has no rows, or rows of different widths"
        ))
        .with_label(path_span, "this file"));
    }
    let columns = |key: &str| -> Result<Vec<usize>, Diagnostic> {
        let span = bound.span(key);
        bound
            .list(key)?
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
                .with_label(call_span, "here"),
        );
    }
    let rows = cells.values.chunks_exact(width);
    let pick = |cols: &[usize]| -> Vec<f64> {
        rows.clone()
            .flat_map(|row| cols.iter().map(|&c| row[c]))
            .collect()
    };
    Ok(Dataset {
        n: rows.len(),
        x_dim: xs.len(),
        y_dim: ys.len(),
        x: pick(&xs),
        y: pick(&ys),
    })
}

/// The data rows of a CSV file, cell after cell in one list.
struct Cells {
    values: Vec<f64>,
    /// The first row's width.
    width: usize,
    /// Some row has another width; the cells are still all read, so that a cell that
    /// is not a number is reported first, wherever it is.
    ragged: bool,
}

/// Reads the cells of `lines` (numbered from 1), refusing the file as soon as it holds
/// more than `cap` values: the data-set cap applies to a CSV file too, and it is
/// counted while reading, before the whole file is held as numbers.
fn read_cells<'a>(
    lines: impl Iterator<Item = (usize, &'a str)>,
    cap: usize,
    path: &str,
    path_span: Span,
    call_span: Span,
) -> Result<Cells, Diagnostic> {
    let mut cells = Cells {
        values: Vec::new(),
        width: 0,
        ragged: false,
    };
    for (row, (number, line)) in lines.enumerate() {
        let mut width = 0;
        for (column, cell) in line.split(',').enumerate() {
            let value = csv_cell(cell.trim(), number, column, path, path_span)?;
            if !cells.ragged {
                cells.values.push(value);
            }
            width += 1;
        }
        if row == 0 {
            cells.width = width;
        } else if width != cells.width && !cells.ragged {
            cells.ragged = true;
            cells.values = Vec::new();
        }
        if cells.values.len() > cap {
            return Err(too_big_csv(
                cap,
                cells.values.len(),
                number,
                path,
                call_span,
            ));
        }
    }
    Ok(cells)
}

fn too_big_csv(cap: usize, values: usize, line: usize, path: &str, call_span: Span) -> Diagnostic {
    Diagnostic::error(format!("data set above {cap} values"))
        .with_kind(ErrorKind::TooLarge)
        .with_label(
            call_span,
            format!("`{path}` holds {values} values by line {line}"),
        )
        .with_help("use fewer rows: gradlab simulates, it does not train production models")
}

/// Whether a first row `first` is a header, when the script does not say: all numbers
/// is data, no numbers is a header, a mix is refused.
fn header_by_content(first: &[&str], path: &str, path_span: Span) -> Result<bool, Diagnostic> {
    let numbers = first.iter().filter(|c| c.parse::<f64>().is_ok()).count();
    if numbers == 0 || numbers == first.len() {
        return Ok(numbers == 0);
    }
    Err(Diagnostic::error(format!(
        "the first row of `{path}` mixes numbers and names: a header, or data with a mistake?"
    ))
    .with_kind(ErrorKind::InvalidValue)
    .with_label(
        path_span,
        format!(
            "first row: {}",
            first.join(",").chars().take(60).collect::<String>()
        ),
    )
    .with_help("say which with `header=true` or `header=false`"))
}

/// One cell of a data row: a finite number. `line` counts from 1, `column` from 0 as
/// `x` and `y` do.
fn csv_cell(
    cell: &str,
    line: usize,
    column: usize,
    path: &str,
    path_span: Span,
) -> Result<f64, Diagnostic> {
    let shown: String = cell.chars().take(40).collect();
    let problem = match cell.parse::<f64>() {
        Ok(value) if value.is_finite() => return Ok(value),
        Ok(_) => "is not a finite number",
        Err(_) => "is not a number",
    };
    Err(Diagnostic::error(format!(
        "`{path}` line {line}, column {column}: `{shown}` {problem}"
    ))
    .with_kind(ErrorKind::InvalidValue)
    .with_label(path_span, format!("line {line}, column {column}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, cap: usize) -> Result<Cells, Diagnostic> {
        let lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
        let span = Span::new(0, 0);
        read_cells(lines, cap, "f.csv", span, span)
    }

    /// Regression: `csv()` was capped only by the file's size, so 256 MiB of `0,0`
    /// rows built a data set four times over the 50 000 000-value cap of generated
    /// ones. The cap is counted while reading: reading stops at the row that passes it.
    #[test]
    fn csv_values_are_capped_while_reading() {
        let text = "1,2\n".repeat(10);
        let cells = read(&text, 20).expect("20 values fit a cap of 20");
        assert_eq!(
            (cells.values.len(), cells.width, cells.ragged),
            (20, 2, false)
        );
        let error = read(&format!("{text}not,numbers\n"), 19)
            .err()
            .expect("over the cap");
        assert_eq!(error.message, "data set above 19 values");
        assert_eq!(error.kind, ErrorKind::TooLarge);
        assert_eq!(
            error.labels[0].message,
            "`f.csv` holds 20 values by line 10"
        );
    }

    /// A row of another width is noticed, but the rest is still read, so a cell that
    /// is not a number is reported first as before; the rows read are not kept.
    #[test]
    fn a_ragged_file_keeps_no_rows_and_still_reports_a_bad_cell() {
        let cells = read("1,2\n3\n4,5\n", 100).expect("numbers");
        assert!(cells.ragged);
        assert!(cells.values.is_empty());
        let error = read("1,2\n3\nx,5\n", 100).err().expect("a bad cell");
        assert!(
            error.message.contains("line 3, column 0"),
            "{}",
            error.message
        );
    }
}
