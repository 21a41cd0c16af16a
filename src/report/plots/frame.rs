//! The frame every chart is drawn in: a caption, axes with labels and units, a light
//! grid, on linear coordinates (log scales are drawn in log10 units, see `Scale::axis`).

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::style::{Scale, caption_style, label_style};
use super::{DrawError, Hover};

pub type Plane<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// How an axis labels a position.
pub type Labeller<'f> = &'f dyn Fn(&f64) -> String;

/// What the axes say.
pub struct Axes<'f> {
    pub x: Range<f64>,
    pub x_desc: String,
    pub x_label: Labeller<'f>,
    pub x_labels: usize,
    pub y: Scale,
    pub y_desc: String,
    /// Labels of the y axis other than the scale's own (layer numbers), with their count.
    pub y_ticks: Option<(Labeller<'f>, usize)>,
}

/// A chart with a caption and labelled axes on `area`.
pub fn frame<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: &str,
    axes: &Axes,
) -> Result<Plane<'a, 'b>, DrawError> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, caption_style())
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(76)
        .build_cartesian_2d(axes.x.clone(), axes.y.axis_range())?;
    let scale_label = |v: &f64| axes.y.label(*v);
    let (y_label, y_labels): (Labeller, usize) =
        axes.y_ticks.unwrap_or((&scale_label, axes.y.labels()));
    chart
        .configure_mesh()
        .x_desc(axes.x_desc.as_str())
        .y_desc(axes.y_desc.as_str())
        .x_label_formatter(axes.x_label)
        .y_label_formatter(y_label)
        .x_labels(axes.x_labels)
        .y_labels(y_labels)
        .label_style(label_style())
        .axis_desc_style(label_style())
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    Ok(chart)
}

/// A grid of hover cells over `chart`'s plotting area.
pub fn hover_over(chart: &Plane, columns: usize, rows: usize, cells: Vec<String>) -> Hover {
    let (x, y) = chart.plotting_area().get_pixel_range();
    Hover {
        left: x.start,
        right: x.end,
        top: y.start,
        bottom: y.end,
        columns,
        rows,
        cells,
    }
}
