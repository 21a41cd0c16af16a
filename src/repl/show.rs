//! The text of `:list` and `:show`, from what the session describes.

use std::fmt::Write as _;

use crate::format::{self, count};
use crate::session::{DataDescription, Description, LayerDescription, NetworkDescription, Session};
use crate::signature as sig;

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
            "{} → {}, {}, {} parameters",
            net.input,
            net.output(),
            count(net.layers.len(), "layer"),
            net.parameter_count()
        ),
        Description::BrokenNetwork(_) => String::new(),
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
    format::dataset_size(data.rows, data.inputs, data.targets)
}

/// The size line, then the first rows in two columns, x and y.
fn show_data(name: &str, data: &DataDescription) -> String {
    let mut out = format!("data {name}: {}\n", data_size(data));
    let row = |values: &[f64]| -> String {
        let cells: Vec<String> = values.iter().map(|v| format::number(*v)).collect();
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
    // The table's `line` column counts lines of this source.
    let header = format!(
        "network {name}{params}: {}, {} parameters, declared in {}\n",
        count(net.layers.len(), "layer"),
        net.parameter_count(),
        net.source
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
        net.input_line.to_string(),
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
        format::activation(&layer.activation),
        layer.parameters.to_string(),
        init,
        layer.bias.clone(),
        layer.line.to_string(),
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
    use crate::engine::Activation;

    fn layer(inputs: usize, activation: Activation) -> LayerDescription {
        LayerDescription {
            inputs,
            width: 4,
            activation,
            parameters: inputs * 4 + 4,
            init: "pytorch_default".into(),
            bias: "default".into(),
            normalization: None,
            line: 3,
        }
    }

    #[test]
    fn identical_consecutive_layers_share_a_row() {
        let net = NetworkDescription {
            params: vec![("depth".into(), "3".into())],
            input: 2,
            source: "input 1".into(),
            input_line: 2,
            layers: vec![
                layer(2, Activation::Tanh),
                layer(4, Activation::Tanh),
                layer(4, Activation::Tanh),
                layer(4, Activation::LeakyRelu { slope: 0.5 }),
            ],
        };
        let text = show_network("n", &net);
        assert!(
            text.starts_with("network n(depth=3): 4 layers, 72 parameters, declared in input 1\n"),
            "{text}"
        );
        assert!(
            text.contains("  2–3    4 → 4  tanh             20 each"),
            "{text}"
        );
        assert!(text.contains("leaky_relu(0.5)"), "{text}");
        assert!(text.lines().all(|l| !l.ends_with(' ')), "{text}");
    }
}
