//! Legends: the series' names in a box, a key of samples beside a chart, and the colour
//! bar beside a heat map.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::DrawError;
use super::frame::Plane;
use super::style::{NON_FINITE, Scale, label_style, viridis};

/// The series' legend in the upper right corner, over a translucent white box.
pub fn series<'a, 'b: 'a>(chart: &mut Plane<'a, 'b>) -> Result<(), DrawError> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(160, 160, 160))
        .label_font(label_style())
        .draw()?;
    Ok(())
}

/// What a key entry shows of its series.
#[derive(Debug, Clone, Copy)]
pub enum Sample {
    Line(RGBColor),
    Dashed(RGBColor),
    /// A zero on the bottom edge.
    Cross,
    /// A value that is not a number, on the top edge.
    NotNumber,
}

/// The space between a key's rows, and the width of a sample.
const ROW: i32 = 20;
const SAMPLE: i32 = 22;

/// The width a key of `entries` needs: its longest text, its samples and a margin.
pub fn key_width(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    entries: &[(Sample, String)],
) -> Result<u32, DrawError> {
    let mut text = 0;
    for (_, label) in entries {
        text = text.max(area.estimate_text_size(label, &label_style())?.0);
    }
    Ok(text + SAMPLE as u32 + 12)
}

/// A key of samples and their names on `area`, one row each from `top`: beside a chart
/// rather than over it, so that it covers none of its lines.
pub fn key(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    top: i32,
    entries: &[(Sample, String)],
) -> Result<(), DrawError> {
    for (i, (sample, label)) in entries.iter().enumerate() {
        let y = top + ROW * i as i32;
        let (start, end, middle) = ((6, y + 7), (6 + SAMPLE, y + 7), (6 + SAMPLE / 2, y + 7));
        match *sample {
            Sample::Line(colour) => {
                area.draw(&PathElement::new([start, end], colour.stroke_width(2)))?
            }
            Sample::Dashed(colour) => area.draw(&DashedPathElement::new(
                [start, end],
                4,
                3,
                colour.stroke_width(2),
            ))?,
            Sample::Cross => area.draw(&Cross::new(middle, 5, BLACK.stroke_width(2)))?,
            Sample::NotNumber => area.draw(&TriangleMarker::new(middle, 6, NON_FINITE.filled()))?,
        }
        area.draw(&Text::new(label.clone(), (SAMPLE + 12, y), label_style()))?;
    }
    Ok(())
}

/// A colour bar on `area`: viridis from `scale.low` (bottom) to `scale.high` (top),
/// labelled `desc` with the scale's ticks.
pub fn colour_bar(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    scale: &Scale,
    desc: &str,
) -> Result<(), DrawError> {
    let range = scale.axis_range();
    let mut bar = ChartBuilder::on(area)
        .margin_top(44)
        .margin_bottom(56)
        .margin_right(8)
        .y_label_area_size(0)
        .right_y_label_area_size(64)
        .build_cartesian_2d(0.0..1.0, range.clone())?
        .set_secondary_coord(0.0..1.0, range.clone());
    let label = |v: &f64| scale.label(*v);
    bar.configure_secondary_axes()
        .y_desc(desc)
        .y_label_formatter(&label)
        .y_labels(scale.labels())
        .label_style(label_style())
        .axis_desc_style(label_style())
        .draw()?;
    const BANDS: usize = 64;
    let height = range.end - range.start;
    bar.draw_series((0..BANDS).map(|i| {
        let t0 = i as f64 / BANDS as f64;
        let t1 = (i + 1) as f64 / BANDS as f64;
        Rectangle::new(
            [
                (0.0, range.start + t0 * height),
                (1.0, range.start + t1 * height),
            ],
            viridis((t0 + t1) / 2.0).filled(),
        )
    }))?;
    Ok(())
}

/// Boxes of colour with their meaning, in a column on `area` from `top`.
pub fn swatches(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    top: i32,
    entries: &[(RGBColor, &str)],
) -> Result<(), DrawError> {
    for (i, (colour, text)) in entries.iter().enumerate() {
        let y = top + 22 * i as i32;
        area.draw(&Rectangle::new([(4, y), (18, y + 14)], colour.filled()))?;
        area.draw(&Rectangle::new(
            [(4, y), (18, y + 14)],
            BLACK.stroke_width(1),
        ))?;
        area.draw(&Text::new(text.to_string(), (24, y + 1), label_style()))?;
    }
    Ok(())
}
