//! Charts of a script's runs, drawn with `plotters` into SVG text: one module per kind
//! of chart. The HTML report inlines them; `--plots DIR` writes each to its own file.

mod compare;
mod explain;
mod flow;
mod frame;
mod heatmap;
mod legend;
mod loss;
pub mod style;
mod sweep;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::history::Section;

/// Why a chart could not be drawn (plotters' errors, boxed).
pub type DrawError = Box<dyn std::error::Error>;

/// One chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// `train-1-loss`: the SVG file's name without `.svg`, and the chart's id in the page.
    pub name: String,
    /// What the chart shows and what to look for in it.
    pub caption: String,
    pub svg: String,
    pub hover: Hover,
}

/// Exact values under the pointer: the plotting area (in SVG pixels) cut into a grid of
/// `columns` × `rows` cells, each with its text, row by row from the top.
#[derive(Debug, Clone, PartialEq)]
pub struct Hover {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
    pub columns: usize,
    pub rows: usize,
    pub cells: Vec<String>,
}

/// The charts of every section, numbered per kind in script order (`train-1`,
/// `train-2`, `sweep-1`, …), so a chart keeps its name while other kinds come and go.
pub fn charts(sections: &[Section]) -> Result<Vec<Vec<Chart>>, DrawError> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    sections
        .iter()
        .map(|section| {
            let count = counts.entry(section.kind()).or_default();
            *count += 1;
            let prefix = format!("{}-{count}", section.kind());
            section_charts(section, &prefix)
        })
        .collect()
}

fn section_charts(section: &Section, prefix: &str) -> Result<Vec<Chart>, DrawError> {
    let name = |chart: &str| format!("{prefix}-{chart}");
    Ok(match section {
        Section::Train(run) if run.steps.is_empty() => vec![],
        Section::Train(run) => vec![
            loss::chart(run, name("loss"))?,
            heatmap::chart(run, name("heatmap"))?,
            flow::chart(run, name("flow"))?,
        ],
        Section::Explain(info, explanation) => {
            vec![explain::chart(info, explanation, name("product"))?]
        }
        Section::Compare(report) => vec![compare::chart(report, name("loss"))?],
        Section::Sweep(report) => vec![sweep::chart(report, name("grid"))?],
        Section::Diagnostics(_) => vec![],
    })
}

/// Writes every chart to `dir/NAME.svg` (making `dir` if needed) and returns the paths.
pub fn write_svgs(dir: &Path, sections: &[Section]) -> Result<Vec<PathBuf>, String> {
    let charts = charts(sections).map_err(|e| format!("cannot draw the charts: {e}"))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for chart in charts.iter().flatten() {
        let path = dir.join(format!("{}.svg", chart.name));
        std::fs::write(&path, &chart.svg)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
