//! The gradient flow: ‖∂L/∂W‖ (solid) and ‖∂L/∂a‖ (dashed) across the layers, on a log
//! scale, at the first, a middle and the last step. Zeros (dead layers) sit on the
//! bottom edge as crosses; values that are not numbers on the top edge.

use plotters::prelude::*;

use super::frame::{Axes, Plane, frame, hover_over};
use super::legend::{self, Sample};
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
    let broken = edge(
        |l| !l.grad_weight.is_finite() || !l.grad_output.is_finite(),
        top,
    );
    let colour = |i: usize| viridis(i as f64 / picks.len().max(2) as f64 * 0.9);
    let mut entries: Vec<(Sample, String)> = Vec::new();
    for (i, step) in picks.iter().enumerate() {
        entries.push((
            Sample::Line(colour(i)),
            format!("‖∂L/∂W‖, step {}", step.step),
        ));
        entries.push((
            Sample::Dashed(colour(i)),
            format!("‖∂L/∂a‖, step {}", step.step),
        ));
    }
    if !zeros.is_empty() {
        entries.push((Sample::Cross, "0 (no gradient: dead layer)".into()));
    }
    if !broken.is_empty() {
        entries.push((Sample::NotNumber, "not a number".into()));
    }
    let mut svg = String::new();
    let hover;
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        // The key stands right of the plot: over it, it hid the lines of the first layers
        // or the last ones, wherever it went.
        let (plot, key) = root.split_horizontally(SIZE.0 - legend::key_width(&root, &entries)?);
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
        let mut chart = frame(&plot, &title, &axes)?;
        for (i, step) in picks.iter().enumerate() {
            series(
                &mut chart,
                &scale,
                &step.layers,
                |l| l.grad_weight,
                colour(i),
                false,
            )?;
            series(
                &mut chart,
                &scale,
                &step.layers,
                |l| l.grad_output,
                colour(i),
                true,
            )?;
        }
        chart.draw_series(
            zeros
                .iter()
                .map(|&p| Cross::new(p, 5, BLACK.stroke_width(2))),
        )?;
        chart.draw_series(
            broken
                .iter()
                .map(|&p| TriangleMarker::new(p, 6, NON_FINITE.filled())),
        )?;
        let plot_top = chart.plotting_area().get_pixel_range().1.start;
        legend::key(&key, plot_top, &entries)?;
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
fn series(
    chart: &mut Plane,
    scale: &Scale,
    layers: &[LayerPoint],
    measure: fn(&LayerPoint) -> f64,
    colour: RGBColor,
    dashed: bool,
) -> Result<(), DrawError> {
    let points: Vec<(f64, f64)> = layers
        .iter()
        .enumerate()
        .filter(|(_, l)| measure(l) > 0.0 && measure(l).is_finite())
        .map(|(i, l)| ((i + 1) as f64, scale.axis(measure(l))))
        .collect();
    let style = colour.stroke_width(2);
    if dashed {
        chart.draw_series(DashedLineSeries::new(points.clone(), 6, 4, style))?;
    } else {
        chart.draw_series(LineSeries::new(points.clone(), style))?;
    }
    chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
    Ok(())
}
