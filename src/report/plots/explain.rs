//! `explain`: the running product of the layers' factors against the number of layers
//! it spans, walking back from the output, on a log scale; beyond the network, the same
//! growth extended (dashed) to where the f32 gradients and loss overflow.

use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::frame::{Axes, frame, hover_over};
use super::legend;
use super::style::{NON_FINITE, SIZE, Scale, category, whole};
use super::{Chart, DrawError};
use crate::engine::Explanation;
use crate::format;
use crate::report::info::RunInfo;

/// The chart reaches no further than this many times the network's depth.
const MAX_REACH: usize = 8;

pub fn chart(info: &RunInfo, ex: &Explanation, name: String) -> Result<Chart, DrawError> {
    // Exact values as the run computed them (an f32 loss reads as an f32).
    let precision = info.settings.precision;
    let depth = ex.factors.len();
    let o = &ex.overflow;
    let overflow = [
        (o.grad_f32, "gradients overflow f32"),
        (o.loss_f32, "loss overflows f32"),
    ];
    let reach = overflow
        .iter()
        .filter_map(|(d, _)| *d)
        .filter(|d| *d <= depth.max(1) * MAX_REACH)
        .max()
        .unwrap_or(depth)
        .max(depth);
    let growth = |d: usize| (o.backward_log_growth * d as f64).exp();
    let products: Vec<f64> = ex.factors.iter().map(|f| f.running_product.abs()).collect();
    let extended: Vec<(usize, f64)> = (depth..=reach).map(|d| (d, growth(d))).collect();
    let shows_limit = reach > depth;
    let scale = Scale::log(
        products
            .iter()
            .copied()
            .chain(extended.iter().map(|e| e.1))
            .chain(shows_limit.then_some(f32::MAX as f64))
            .chain([1.0]),
    )
    .unwrap_or(Scale::AROUND_ONE);
    let mut svg = String::new();
    let hover;
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let axes = Axes {
            x: 0.5..reach.max(1) as f64 + 0.5,
            x_desc: "layers back from the output (depth)".into(),
            x_label: &whole,
            x_labels: reach.clamp(1, 12),
            y: scale,
            y_desc: scale.describe("|running product of factors| (×)"),
            y_ticks: None,
        };
        let title = format!(
            "explain {} on {}: the backward product",
            info.network, info.data
        );
        let mut chart = frame(&root, &title, &axes)?;
        let colour = category(0);
        let measured: Vec<(f64, f64)> = products
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_finite() && **p > 0.0)
            .map(|(i, p)| ((i + 1) as f64, scale.axis(*p)))
            .collect();
        chart
            .draw_series(LineSeries::new(measured.clone(), colour.stroke_width(2)))?
            .label("running product (this network)")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
        chart.draw_series(measured.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
        if shows_limit {
            let grey = RGBColor(90, 90, 90);
            let points = extended.iter().map(|&(d, g)| (d as f64, scale.axis(g)));
            chart
                .draw_series(DashedLineSeries::new(points, 6, 4, grey.stroke_width(2)))?
                .label(format!(
                    "the same ×{} per layer, extended",
                    format::sig(o.backward_log_growth.exp())
                ))
                .legend(move |(x, y)| {
                    DashedPathElement::new([(x, y), (x + 20, y)], 4, 3, grey.stroke_width(2))
                });
            let limit = scale.axis(f32::MAX as f64);
            let x = axes.x.clone();
            chart
                .draw_series(DashedLineSeries::new(
                    [(x.start, limit), (x.end, limit)],
                    8,
                    4,
                    NON_FINITE.stroke_width(2),
                ))?
                .label("f32 overflow (3.4e38)")
                .legend(|(x, y)| {
                    DashedPathElement::new([(x, y), (x + 20, y)], 4, 3, NON_FINITE.stroke_width(2))
                });
            let y = scale.axis_range();
            for (i, (at, text)) in overflow.iter().enumerate() {
                if let Some(d) = at.filter(|d| *d <= reach) {
                    let c = category(i + 2);
                    chart
                        .draw_series(LineSeries::new(
                            [(d as f64, y.start), (d as f64, y.end)],
                            c.stroke_width(2),
                        ))?
                        .label(format!("{text} at depth {d}"))
                        .legend(move |(x, y)| {
                            PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2))
                        });
                }
            }
        }
        legend::series(&mut chart)?;
        let cells = (1..=reach)
            .map(|d| match ex.factors.get(d - 1) {
                Some(f) => format!(
                    "depth {d} (layer {}): factor {}, running product {}, observed ‖∂L/∂W‖ {}",
                    f.layer + 1,
                    format::number_in(f.factor, precision),
                    format::number_in(f.running_product, precision),
                    format::number_in(f.observed_grad, precision)
                ),
                None => format!("depth {d}: extended product {}", format::number(growth(d))),
            })
            .collect();
        hover = hover_over(&chart, reach, 1, cells);
        root.present()?;
    }
    Ok(Chart {
        name,
        caption: "The first layer's gradient is a product with one factor per later layer. Look at the slope: rising means each layer multiplies the gradient up (exploding), falling means down (vanishing); the dashed lines show how deep the same chain could go before f32 overflows.".into(),
        svg,
        hover,
    })
}
