//! A comparison's loss curves, the baseline and each variant overlaid on one chart;
//! each curve stops where its run stopped, with a mark where its loss was not a number.

use plotters::prelude::*;

use super::frame::{Axes, frame, hover_over};
use super::legend;
use super::style::{NON_FINITE, SIZE, Scale, category, whole};
use super::{Chart, DrawError};
use crate::format;
use crate::report::info::CompareReport;
use crate::report::outcome::Outcome;

pub fn chart(report: &CompareReport, name: String) -> Result<Chart, DrawError> {
    let rows: Vec<(&str, &Outcome)> = report
        .rows
        .iter()
        .filter_map(|(label, row)| Some((label.as_str(), row.as_ref().ok()?)))
        .collect();
    // Exact values as the run computed them (an f32 loss reads as an f32).
    let precision = report.settings.precision;
    // Every row has the same planned steps, so the same stride between kept losses.
    let stride = rows.first().map_or(1, |(_, o)| o.loss_stride);
    let kept = rows.iter().map(|(_, o)| o.losses.len()).max().unwrap_or(0);
    let steps = rows.iter().map(|(_, o)| o.steps).max().unwrap_or(0);
    let step_of = move |k: usize| (k * stride + 1) as f64;
    let scale = Scale::fitting(rows.iter().flat_map(|(_, o)| o.losses.iter().copied()));
    let mut svg = String::new();
    let hover;
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let axes = Axes {
            x: 0.5..steps.max(1) as f64 + 0.5,
            x_desc: "training step".into(),
            x_label: &whole,
            x_labels: steps.clamp(1, 10),
            y: scale,
            y_desc: scale.describe(&format!("loss ({})", format::loss(report.settings.loss))),
            y_ticks: None,
        };
        let title = format!("Loss: compare {} on {}", report.network, report.data);
        let mut chart = frame(&root, &title, &axes)?;
        let top = scale.axis_range().end;
        for (i, (label, outcome)) in rows.iter().enumerate() {
            let colour = category(i);
            let points = outcome
                .losses
                .iter()
                .enumerate()
                .filter(|(_, l)| l.is_finite())
                .map(|(k, &l)| (step_of(k), scale.axis(l)));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
                .label(format!("{label} ({})", outcome.verdict.name()))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            if let Some(step) = outcome.first_nonfinite {
                chart.draw_series([TriangleMarker::new(
                    (step as f64, top),
                    7,
                    NON_FINITE.filled(),
                )])?;
            }
        }
        legend::series(&mut chart)?;
        let cells = (0..kept)
            .map(|k| {
                let at = rows.iter().filter_map(|(label, o)| {
                    let loss = o.losses.get(k)?;
                    Some(format!("{label} {}", format::number_in(*loss, precision)))
                });
                format!(
                    "step {}: loss {}",
                    step_of(k),
                    at.collect::<Vec<_>>().join("; ")
                )
            })
            .collect();
        hover = hover_over(&chart, kept, 1, cells);
        root.present()?;
    }
    Ok(Chart {
        name,
        caption: "The loss of the baseline and of each variant, from the same starting weights. Look for the curves that stop early or jump (a remedy that does not hold) and for the one that falls lowest; the verdict of each run is in the legend.".into(),
        svg,
        hover,
    })
}
