//! The HTML report: one self-contained page for a whole script, built from the
//! recorded sections (see `history`) and their charts (see `plots`). Inline SVG, CSS and
//! one small script; nothing is fetched.

mod assets;
mod escape;
mod section;

use std::fmt::Write;

use super::history::Section;
use super::plots::{self, Chart, DrawError};
pub use escape::escape;

/// The page for a script named `script`.
pub fn page(script: &str, sections: &[Section]) -> Result<String, DrawError> {
    let charts = plots::charts(sections)?;
    let mut body = String::new();
    let mut counts = std::collections::HashMap::new();
    for (section, charts) in sections.iter().zip(&charts) {
        let count = counts.entry(section.kind()).or_insert(0);
        *count += 1;
        let id = format!("{}-{count}", section.kind());
        section::write(&mut body, &id, section, charts);
    }
    if sections.is_empty() {
        body.push_str(
            "<p>The script ran nothing to chart: no train, compare, sweep or explain.</p>\n",
        );
    }
    Ok(format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>gradlab report: {title}</title>
<style>{style}</style>
</head>
<body>
<h1>gradlab report</h1>
<p>Script <code>{title}</code>. Hover over a chart to read its exact values.</p>
{body}<div id="tip" hidden="hidden"></div>
<script>{script}</script>
</body>
</html>
"#,
        title = escape(script),
        style = assets::STYLE,
        script = assets::SCRIPT,
    ))
}

/// A chart as a figure: the SVG inline, its caption, and its hover grid as data.
fn figure(out: &mut String, chart: &Chart) {
    let hover = &chart.hover;
    let grid = serde_json::json!({
        "left": hover.left, "top": hover.top, "right": hover.right, "bottom": hover.bottom,
        "columns": hover.columns, "rows": hover.rows, "cells": hover.cells,
    });
    // plotters writes an XML declaration-free <svg> element; it goes in as it is.
    let _ = write!(
        out,
        "<figure id=\"{id}\" class=\"chart\" data-hover=\"{grid}\">\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>\n",
        id = escape(&chart.name),
        grid = escape(&grid.to_string()),
        svg = chart.svg.trim(),
        caption = escape(&chart.caption),
    );
}
