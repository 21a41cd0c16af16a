//! A sweep's grid as a heat map: the last axis across, every combination of the other
//! axes down; cells shaded by the metric (viridis, with a colour bar) or coloured by
//! verdict (with a key).

use plotters::prelude::*;

use super::frame::{Axes, frame, hover_over};
use super::legend::{colour_bar, swatches};
use super::style::{DEAD, NON_FINITE, Scale, category};
use super::{Chart, DrawError};
use crate::format;
use crate::report::info::SweepReport;
use crate::report::outcome::{Verdict, metric};
use crate::signature::Metric;

const WIDTH: u32 = 760;
const KEY_WIDTH: u32 = 150;

/// Every verdict, in the order the key lists them.
const VERDICTS: [Verdict; 9] = [
    Verdict::Healthy,
    Verdict::Plateau,
    Verdict::Stuck,
    Verdict::Unstable,
    Verdict::Dead,
    Verdict::Vanishing,
    Verdict::Exploding,
    Verdict::Diverged,
    Verdict::Interrupted,
];

fn verdict_colour(verdict: Verdict) -> RGBColor {
    match verdict {
        Verdict::Interrupted => DEAD,
        other => category(VERDICTS.iter().position(|v| *v == other).unwrap_or(0)),
    }
}

pub fn chart(report: &SweepReport, name: String) -> Result<Chart, DrawError> {
    // Exact values as the run computed them (an f32 loss reads as an f32).
    let precision = report.settings.precision;
    let (across_name, across) = report.axes.last().cloned().unwrap_or_default();
    let columns = across.len().max(1);
    let rows = report.points.len() / columns;
    let by_verdict = report.metric == Metric::Verdict;
    let values: Vec<Option<f64>> = report
        .points
        .iter()
        .map(|p| metric(&p.outcome, report.metric))
        .collect();
    let scale = Scale::fitting(values.iter().flatten().copied());
    let row_label = |r: usize| -> String {
        let point = &report.points[r * columns];
        report.axes[..report.axes.len().saturating_sub(1)]
            .iter()
            .zip(&point.values)
            .map(|((n, _), v)| format!("{n}={}", format::axis_value(*v)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let height = (140 + 28 * rows as u32).clamp(300, 640);
    let mut svg = String::new();
    let hover;
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(WIDTH - KEY_WIDTH);
        let x_label = |v: &f64| {
            let i = v.round();
            if (v - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            across
                .get(i as usize)
                .map_or_else(String::new, |x| format::axis_value(*x))
        };
        let y_label = |v: &f64| {
            let i = v.round();
            if (v - i).abs() > 1e-6 || i < 0.0 || i as usize >= rows {
                return String::new();
            }
            row_label(rows - 1 - i as usize)
        };
        let axes = Axes {
            x: -0.5..columns as f64 - 0.5,
            x_desc: across_name.clone(),
            x_label: &x_label,
            x_labels: columns,
            y: Scale {
                low: -0.5,
                high: rows as f64 - 0.5,
                log: false,
            },
            y_desc: report.axes[..report.axes.len().saturating_sub(1)]
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            y_ticks: Some((&y_label, rows.min(24))),
        };
        let title = format!(
            "Sweep of {} on {}: {}",
            report.network, report.data, report.metric
        );
        let mut chart = frame(&left, &title, &axes)?;
        chart.draw_series(report.points.iter().zip(&values).enumerate().map(
            |(i, (point, value))| {
                let (x, y) = ((i % columns) as f64, (rows - 1 - i / columns) as f64);
                let colour = if by_verdict {
                    verdict_colour(point.outcome.verdict)
                } else {
                    match value {
                        Some(v) if v.is_finite() => super::style::viridis(scale.fraction(*v)),
                        Some(_) => NON_FINITE,
                        None => DEAD,
                    }
                };
                Rectangle::new([(x - 0.5, y + 0.5), (x + 0.5, y - 0.5)], colour.filled())
            },
        ))?;
        if by_verdict {
            let present: Vec<(RGBColor, &str)> = VERDICTS
                .iter()
                .filter(|v| report.points.iter().any(|p| p.outcome.verdict == **v))
                .map(|v| (verdict_colour(*v), v.name()))
                .collect();
            swatches(&right, 60, &present)?;
        } else {
            colour_bar(&right, &scale, &scale.describe(&report.metric.to_string()))?;
        }
        let mut cells = Vec::with_capacity(report.points.len());
        for r in 0..rows {
            for (c, x) in across.iter().enumerate() {
                let i = r * columns + c;
                let point = &report.points[i];
                let value = values[i].map_or_else(String::new, |v| {
                    format!("{} = {}, ", report.metric, format::number_in(v, precision))
                });
                cells.push(format!(
                    "{}{across_name}={}: {value}{}",
                    if row_label(r).is_empty() {
                        String::new()
                    } else {
                        format!("{}, ", row_label(r))
                    },
                    format::axis_value(*x),
                    point.outcome.verdict.name()
                ));
            }
        }
        hover = hover_over(&chart, columns, rows, cells);
        root.present()?;
    }
    Ok(Chart {
        name,
        caption: if by_verdict {
            "Each cell is one run of the grid, coloured by its verdict. Look for the boundary where healthy runs turn exploding or vanishing.".into()
        } else {
            format!(
                "Each cell is one run of the grid, shaded by {}{}. Look for where the colour changes fast: the edge between stable and unstable settings.",
                report.metric,
                if scale.log { " on a log scale" } else { "" }
            )
        },
        svg,
        hover,
    })
}
