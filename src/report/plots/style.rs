//! The look every chart shares: sizes, fonts, colour-blind-safe colours (viridis for
//! magnitudes, Okabe–Ito for categories) and log-scale ranges and ticks.

use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;

/// Width and height of a chart, in pixels (SVG user units).
pub const SIZE: (u32, u32) = (760, 380);
pub const FONT: &str = "sans-serif";

/// Okabe–Ito, distinguishable with every common colour-vision deficiency; black last,
/// so it is used only after seven series.
pub const CATEGORIES: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(240, 228, 66),  // yellow
    RGBColor(0, 0, 0),
];

/// Marks a value that is not a number (inf, NaN): vermillion, which viridis lacks.
pub const NON_FINITE: RGBColor = RGBColor(213, 94, 0);
/// A dead layer's cell.
pub const DEAD: RGBColor = RGBColor(189, 189, 189);
/// A gradient that is exactly zero in a layer that is not dead.
pub const ZERO: RGBColor = RGBColor(255, 255, 255);

/// The category colour of series `i`.
pub fn category(i: usize) -> RGBColor {
    CATEGORIES[i % CATEGORIES.len()]
}

/// Viridis at `t` in [0, 1] (dark purple to yellow).
pub fn viridis(t: f64) -> RGBColor {
    ViridisRGB::get_color(t.clamp(0.0, 1.0) as f32)
}

/// `#rrggbb`, for CSS.
pub fn hex(color: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", color.0, color.1, color.2)
}

/// The range of a value axis: linear, or logarithmic when the positive values span more
/// than `LOG_SPAN`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub low: f64,
    pub high: f64,
    pub log: bool,
}

/// Values spanning more than this ratio are drawn on a log scale.
pub const LOG_SPAN: f64 = 100.0;

impl Scale {
    /// The log scale of a chart with nothing positive to show: 0.1 to 10.
    pub const AROUND_ONE: Scale = Scale {
        low: 0.1,
        high: 10.0,
        log: true,
    };

    /// A log scale from the decade at or below the smallest positive finite value to the
    /// decade at or above the largest; `None` when no value is positive and finite.
    pub fn log(values: impl IntoIterator<Item = f64>) -> Option<Scale> {
        let (low, high) = positive_bounds(values)?;
        let low = 10f64.powf(low.log10().floor());
        let mut high = 10f64.powf(high.log10().ceil());
        if high <= low {
            high = low * 10.0;
        }
        Some(Scale {
            low,
            high,
            log: true,
        })
    }

    /// Log when the positive values span more than `LOG_SPAN`, linear from 0 otherwise.
    pub fn fitting(values: impl IntoIterator<Item = f64> + Clone) -> Scale {
        match positive_bounds(values.clone()) {
            Some((low, high)) if high / low > LOG_SPAN => {
                Scale::log(values).expect("positive values")
            }
            _ => {
                let finite = values.into_iter().filter(|v| v.is_finite());
                let (low, high) = finite.fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
                let high = if high > low { high * 1.05 } else { low + 1.0 };
                Scale {
                    low,
                    high,
                    log: false,
                }
            }
        }
    }

    /// Where 0 ≤ `t` ≤ 1 puts `value` on this scale (log or linear), clamped.
    pub fn fraction(&self, value: f64) -> f64 {
        let t = if self.log {
            (value.log10() - self.low.log10()) / (self.high.log10() - self.low.log10())
        } else {
            (value - self.low) / (self.high - self.low)
        };
        if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) }
    }

    /// `value` kept inside the scale, so a zero or a huge value still gets drawn, at an edge.
    pub fn clamp(&self, value: f64) -> f64 {
        if value.is_nan() {
            self.high
        } else {
            value.clamp(self.low, self.high)
        }
    }

    /// Where `value` goes on a chart's linear axis: its log10 on a log scale, so every
    /// chart draws on one kind of axis and labels a log axis with powers of ten.
    pub fn axis(&self, value: f64) -> f64 {
        let value = self.clamp(value);
        if self.log { value.log10() } else { value }
    }

    /// The axis range, in `axis` units.
    pub fn axis_range(&self) -> std::ops::Range<f64> {
        self.axis(self.low)..self.axis(self.high)
    }

    /// The label of an axis position: powers of ten only, on a log scale.
    pub fn label(&self, position: f64) -> String {
        if !self.log {
            return tick(position);
        }
        if (position - position.round()).abs() < 1e-6 {
            tick(10f64.powf(position.round()))
        } else {
            String::new()
        }
    }

    /// How many labels to ask for: one per decade on a log scale (at most 12).
    pub fn labels(&self) -> usize {
        if self.log {
            let decades = (self.high.log10() - self.low.log10()).round() as usize;
            let mut step = 1;
            while decades / step > 12 {
                step += 1;
            }
            decades / step + 1
        } else {
            6
        }
    }

    /// The axis name with its scale: `loss (log scale)`.
    pub fn describe(&self, name: &str) -> String {
        if self.log {
            format!("{name} (log scale)")
        } else {
            name.to_string()
        }
    }
}

fn positive_bounds(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold(None, |bounds, v| match bounds {
            None => Some((v, v)),
            Some((l, h)) => Some((f64::min(l, v), f64::max(h, v))),
        })
}

/// A tick label: powers of ten as `1e14` (plain from 0.001 to 1000), others with
/// three significant digits.
pub fn tick(value: f64) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let decade = value.abs().log10().round();
    let is_power = ((value.abs() - 10f64.powf(decade)) / value.abs()).abs() < 1e-9;
    if is_power && !(-3.0..=3.0).contains(&decade) {
        let sign = if value < 0.0 { "-" } else { "" };
        return format!("{sign}1e{decade}");
    }
    let text = crate::format::sig(value);
    // `sig` keeps four digits; a tick needs no trailing zeros.
    if text.contains('.') && !text.contains('e') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// An integer tick (steps, layers): blank between the integers.
pub fn whole(value: &f64) -> String {
    let value = *value;
    if (value - value.round()).abs() < 1e-6 && value >= 0.5 {
        format!("{}", value.round() as i64)
    } else {
        String::new()
    }
}

/// A caption's style.
pub fn caption_style() -> TextStyle<'static> {
    (FONT, 18).into_font().into()
}

/// Axis labels' style.
pub fn label_style() -> TextStyle<'static> {
    (FONT, 13).into_font().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_scale_covers_whole_decades() {
        let scale = Scale::log([3.0, 5.87e14, 0.0, f64::NAN]).unwrap();
        assert_eq!((scale.low, scale.high), (1.0, 1e15));
        assert!(Scale::log([0.0, f64::INFINITY]).is_none());
    }

    #[test]
    fn only_a_wide_span_is_drawn_on_a_log_scale() {
        assert!(Scale::fitting([1.0, 5.87e14]).log);
        assert!(!Scale::fitting([0.5, 1.0]).log);
    }

    #[test]
    fn ticks_read_as_people_write_them() {
        assert_eq!(tick(1e14), "1e14");
        assert_eq!(tick(100.0), "100");
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(1e-6), "1e-6");
        assert_eq!(whole(&3.0), "3");
        assert_eq!(whole(&2.5), "");
    }
}
