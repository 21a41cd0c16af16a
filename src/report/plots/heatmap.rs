//! ‖∂L/∂W‖ of every layer at every step, shaded on a log scale (viridis), with its
//! colour bar; dead layers and non-finite values have colours of their own. Long runs
//! are thinned to at most `MAX_COLUMNS` steps, evenly spaced, the last one kept.

use plotters::prelude::*;

use super::frame::{Axes, frame, hover_over};
use super::legend::{colour_bar, swatches};
use super::style::{DEAD, NON_FINITE, Scale, ZERO, viridis, whole};
use super::{Chart, DrawError};
use crate::format;
use crate::report::history::{LayerPoint, RunHistory, StepPoint};

const MAX_COLUMNS: usize = 240;
const WIDTH: u32 = 760;
const BAR_WIDTH: u32 = 150;

pub fn chart(run: &RunHistory, name: String) -> Result<Chart, DrawError> {
    // Exact values as the run computed them (an f32 loss reads as an f32).
    let precision = run.info.settings.precision;
    let columns = thinned(&run.steps);
    let layers = run
        .info
        .layers
        .len()
        .max(columns.first().map_or(0, |s| s.layers.len()));
    let norms = columns
        .iter()
        .flat_map(|s| s.layers.iter().map(|l| l.grad_weight));
    let scale = Scale::log(norms).unwrap_or(Scale::AROUND_ONE);
    let height = (120 + 16 * layers as u32).clamp(320, 640);
    let mut svg = String::new();
    let hover;
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(WIDTH - BAR_WIDTH);
        let layer_label = |v: &f64| layer_tick(*v, layers);
        let axes = Axes {
            x: -0.5..columns.len() as f64 - 0.5,
            x_desc: "training step".into(),
            x_label: &|v: &f64| step_tick(*v, &columns),
            x_labels: columns.len().min(10),
            y: Scale {
                low: 0.5,
                high: layers as f64 + 0.5,
                log: false,
            },
            y_desc: "layer (1 = input side)".into(),
            y_ticks: Some((&layer_label, layers.min(20))),
        };
        let title = format!("‖∂L/∂W‖ per layer and step: {}", run.info.network);
        let mut chart = frame(&left, &title, &axes)?;
        chart.draw_series(columns.iter().enumerate().flat_map(|(x, step)| {
            step.layers.iter().enumerate().map(move |(i, layer)| {
                let (x, y) = (x as f64, (layers - i) as f64);
                Rectangle::new(
                    [(x - 0.5, y + 0.5), (x + 0.5, y - 0.5)],
                    cell_colour(layer, &scale).filled(),
                )
            })
        }))?;
        colour_bar(&right, &scale, "‖∂L/∂W‖ (log scale)")?;
        swatches(
            &right,
            height as i32 - 50,
            &[(DEAD, "dead layer"), (NON_FINITE, "not a number")],
        )?;
        let mut cells = Vec::with_capacity(columns.len() * layers);
        for row in 0..layers {
            for step in &columns {
                cells.push(match step.layers.get(row) {
                    Some(l) => format!(
                        "step {}, layer {}: ‖∂L/∂W‖ {}{}",
                        step.step,
                        row + 1,
                        format::number_in(l.grad_weight, precision),
                        if l.dead { " (dead)" } else { "" }
                    ),
                    None => String::new(),
                });
            }
        }
        hover = hover_over(&chart, columns.len(), layers, cells);
        root.present()?;
    }
    Ok(Chart {
        name,
        caption: "Each cell is one layer at one step, shaded by log ‖∂L/∂W‖ (yellow: large, purple: small). Look for a band that brightens toward the input (exploding) or darkens toward it (vanishing), and for grey cells: dead layers that pass no gradient.".into(),
        svg,
        hover,
    })
}

/// At most `MAX_COLUMNS` steps, evenly spaced, the first and last kept.
fn thinned(steps: &[StepPoint]) -> Vec<&StepPoint> {
    if steps.len() <= MAX_COLUMNS {
        return steps.iter().collect();
    }
    let last = steps.len() - 1;
    let mut picked: Vec<&StepPoint> = (0..MAX_COLUMNS)
        .map(|i| &steps[i * last / (MAX_COLUMNS - 1)])
        .collect();
    picked.dedup_by_key(|s| s.step);
    picked
}

fn cell_colour(layer: &LayerPoint, scale: &Scale) -> RGBColor {
    let norm = layer.grad_weight;
    if !norm.is_finite() {
        NON_FINITE
    } else if layer.dead {
        DEAD
    } else if norm == 0.0 {
        ZERO
    } else {
        viridis(scale.fraction(norm))
    }
}

/// The step of the column centred on `v`.
fn step_tick(v: f64, columns: &[&StepPoint]) -> String {
    if (v - v.round()).abs() > 1e-6 || v < 0.0 {
        return String::new();
    }
    columns
        .get(v.round() as usize)
        .map_or_else(String::new, |s| s.step.to_string())
}

/// Layer numbers, 1 at the top (row `layers - i` holds layer `i + 1`).
fn layer_tick(v: f64, layers: usize) -> String {
    whole(&(layers as f64 + 1.0 - v))
}
