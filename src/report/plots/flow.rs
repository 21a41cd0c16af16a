//! The gradient flow: ‖∂L/∂W‖ (solid) and ‖∂L/∂a‖ (dashed) across the layers, on a log
//! scale, at the first, a middle and the last step. Zeros (dead layers) sit on the
//! bottom edge as crosses; values that are not numbers on the top edge.

use plotters::chart::SeriesAnno;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::frame::{Axes, Plane, frame, hover_over};
use super::legend;
use super::style::{NON_FINITE, SIZE, Scale, viridis, whole};
use super::{Chart, DrawError};
use crate::format;
use crate::report::history::{LayerPoint, RunHistory};

pub fn chart(run: &RunHistory, name: String) -> Result<Chart, DrawError> {
    // Exact values as the run computed them (an f32 loss reads as an f32).
    let precision = run.info.settings.precision;
    let picks = run.profile_steps();
    let layers = picks.first().map_or(0, |s| s.layers.len());
    let values = picks
        .iter()
        .flat_map(|s| s.layers.iter().flat_map(|l| [l.grad_weight, l.grad_output]));
    let scale = Scale::log(values).unwrap_or(Scale::AROUND_ONE);
    let mut svg = String::new();
    let hover;
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let axes = Axes {
            x: 0.5..layers as f64 + 0.5,
            x_desc: "layer (1 = input side)".into(),
            x_label: &whole,
            x_labels: layers.min(20),
            y: scale,
            y_desc: scale.describe("gradient norm"),
            y_ticks: None,
        };
        let title = format!("Gradient flow across the layers: {}", run.info.network);
        let mut chart = frame(&root, &title, &axes)?;
        for (i, step) in picks.iter().enumerate() {
            let colour = viridis(i as f64 / picks.len().max(2) as f64 * 0.9);
            let label = format!("step {}", step.step);
            series(
                &mut chart,
                &scale,
                &step.layers,
                |l| l.grad_weight,
                colour,
                false,
            )?
            .label(format!("‖∂L/∂W‖, {label}"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
            series(
                &mut chart,
                &scale,
                &step.layers,
                |l| l.grad_output,
                colour,
                true,
            )?
            .label(format!("‖∂L/∂a‖, {label}"))
            .legend(move |(x, y)| {
                DashedPathElement::new([(x, y), (x + 20, y)], 4, 3, colour.stroke_width(2))
            });
        }
        let (bottom, top) = (scale.axis_range().start, scale.axis_range().end);
        let edge = |pick: fn(&LayerPoint) -> bool, y: f64| -> Vec<(f64, f64)> {
            picks
                .iter()
                .flat_map(|s| s.layers.iter().enumerate())
                .filter(|(_, l)| pick(l))
                .map(|(i, _)| ((i + 1) as f64, y))
                .collect()
        };
        let zeros = edge(|l| l.grad_weight == 0.0 || l.grad_output == 0.0, bottom);
        if !zeros.is_empty() {
            chart
                .draw_series(
                    zeros
                        .iter()
                        .map(|&p| Cross::new(p, 5, BLACK.stroke_width(2))),
                )?
                .label("0 (no gradient: dead layer)")
                .legend(|(x, y)| Cross::new((x + 10, y), 5, BLACK.stroke_width(2)));
        }
        let broken = edge(
            |l| !l.grad_weight.is_finite() || !l.grad_output.is_finite(),
            top,
        );
        if !broken.is_empty() {
            chart
                .draw_series(
                    broken
                        .iter()
                        .map(|&p| TriangleMarker::new(p, 6, NON_FINITE.filled())),
                )?
                .label("not a number")
                .legend(|(x, y)| TriangleMarker::new((x + 10, y), 6, NON_FINITE.filled()));
        }
        legend::series(&mut chart)?;
        let cells = (0..layers)
            .map(|i| {
                let at = picks.iter().filter_map(|s| {
                    let l = s.layers.get(i)?;
                    Some(format!(
                        "step {}: ‖∂L/∂W‖ {}, ‖∂L/∂a‖ {}{}",
                        s.step,
                        format::number_in(l.grad_weight, precision),
                        format::number_in(l.grad_output, precision),
                        if l.dead { " (dead)" } else { "" }
                    ))
                });
                format!("layer {}; {}", i + 1, at.collect::<Vec<_>>().join("; "))
            })
            .collect();
        hover = hover_over(&chart, layers, 1, cells);
        root.present()?;
    }
    Ok(Chart {
        name,
        caption: "‖∂L/∂W‖ (solid) and ‖∂L/∂a‖ (dashed) per layer at the first, a middle and the last step, on a log scale. A line that climbs toward layer 1 is an exploding gradient, one that falls toward it a vanishing one; crosses on the bottom edge are zeros, where a dead layer passes nothing back.".into(),
        svg,
        hover,
    })
}

/// One measure across the layers, broken where it is zero or not a number.
fn series<'c, 'a, 'b>(
    chart: &'c mut Plane<'a, 'b>,
    scale: &Scale,
    layers: &[LayerPoint],
    measure: fn(&LayerPoint) -> f64,
    colour: RGBColor,
    dashed: bool,
) -> Result<&'c mut SeriesAnno<'a, SVGBackend<'b>>, DrawError> {
    let points: Vec<(f64, f64)> = layers
        .iter()
        .enumerate()
        .filter(|(_, l)| measure(l) > 0.0 && measure(l).is_finite())
        .map(|(i, l)| ((i + 1) as f64, scale.axis(measure(l))))
        .collect();
    let style = colour.stroke_width(2);
    let anno = if dashed {
        chart.draw_series(DashedLineSeries::new(points.clone(), 6, 4, style))?
    } else {
        chart.draw_series(LineSeries::new(points.clone(), style))?
    };
    let _ = anno;
    let marker = points
        .iter()
        .map(move |&p| Circle::new(p, 3, colour.filled()));
    Ok(chart.draw_series(marker)?)
}
