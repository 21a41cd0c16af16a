//! A run's loss against its steps, on a log scale when it spans more than 100×; a step
//! whose loss or gradient is not a number gets a mark at the top, not a gap.

use plotters::prelude::*;

use super::frame::{Axes, frame, hover_over};
use super::legend;
use super::style::{NON_FINITE, SIZE, Scale, category, whole};
use super::{Chart, DrawError};
use crate::format;
use crate::report::history::RunHistory;

pub fn chart(run: &RunHistory, name: String) -> Result<Chart, DrawError> {
    // Exact values as the run computed them (an f32 loss reads as an f32).
    let precision = run.info.settings.precision;
    let steps = &run.steps;
    let scale = Scale::fitting(steps.iter().map(|s| s.loss));
    let mut svg = String::new();
    let hover;
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let axes = Axes {
            x: 0.5..steps.len() as f64 + 0.5,
            x_desc: "training step".into(),
            x_label: &whole,
            x_labels: steps.len().min(10),
            y: scale,
            y_desc: scale.describe(&format!("loss ({})", format::loss(run.info.settings.loss))),
            y_ticks: None,
        };
        let title = format!("Loss: train {} on {}", run.info.network, run.info.data);
        let mut chart = frame(&root, &title, &axes)?;
        let colour = category(0);
        let finite: Vec<(f64, f64)> = steps
            .iter()
            .filter(|s| s.loss.is_finite())
            .map(|s| (s.step as f64, scale.axis(s.loss)))
            .collect();
        chart
            .draw_series(LineSeries::new(finite.clone(), colour.stroke_width(2)))?
            .label("loss")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
        if steps.len() <= 100 {
            chart.draw_series(finite.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
        }
        let top = scale.axis_range().end;
        let marks: Vec<f64> = steps
            .iter()
            .filter(|s| s.non_finite())
            .map(|s| s.step as f64)
            .collect();
        if !marks.is_empty() {
            chart
                .draw_series(
                    marks
                        .iter()
                        .map(|&x| TriangleMarker::new((x, top), 7, NON_FINITE.filled())),
                )?
                .label("loss or gradient not a number")
                .legend(|(x, y)| TriangleMarker::new((x + 10, y), 6, NON_FINITE.filled()));
        }
        legend::series(&mut chart)?;
        let cells = steps
            .iter()
            .map(|s| {
                format!(
                    "step {}: loss {}, ‖∇‖ {}",
                    s.step,
                    format::number_in(s.loss, precision),
                    format::number_in(s.grad_norm, precision)
                )
            })
            .collect();
        hover = hover_over(&chart, steps.len(), 1, cells);
        root.present()?;
    }
    let caption = format!(
        "The loss at every step{}. Look for a sudden drop or jump (an explosion), a flat line (a plateau: nothing left learns), and marks at the top (steps that were not numbers).",
        if scale.log { ", on a log scale" } else { "" }
    );
    Ok(Chart {
        name,
        caption,
        svg,
        hover,
    })
}
