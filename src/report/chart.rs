//! Charts drawn with text, for the terminal and for golden files alike: a run's loss as
//! a sparkline, and values as bars on a log scale. Only block characters and a few
//! marks are used, so a chart reads the same with or without colour.

use super::outcome::Verdict;

/// Heights of a sparkline column, lowest first.
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Eighths of a bar cell, for the bar's last, partial cell.
const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
/// A value that is not a finite number.
pub const NON_FINITE: char = '×';

/// Columns of a run's loss sparkline.
pub const SPARK_WIDTH: usize = 60;

/// The loss of every step of a run, kept as one column per span of steps so that a run
/// of any length holds `SPARK_WIDTH` numbers: each column is the mean of its steps'
/// finite losses, or marked if any of them was not finite.
#[derive(Debug, Clone, Default)]
pub struct LossTrace {
    steps_per_column: usize,
    columns: Vec<Column>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Column {
    sum: f64,
    finite: usize,
    non_finite: bool,
}

impl LossTrace {
    /// A trace for a run of at most `planned` steps.
    pub fn new(planned: usize) -> Self {
        LossTrace {
            steps_per_column: planned.div_ceil(SPARK_WIDTH).max(1),
            columns: Vec::new(),
        }
    }

    /// Adds the loss of 1-based step `step`.
    pub fn add(&mut self, step: usize, loss: f64) {
        let index = step.saturating_sub(1) / self.steps_per_column;
        if index >= self.columns.len() {
            self.columns.resize(index + 1, Column::default());
        }
        let column = &mut self.columns[index];
        if loss.is_finite() {
            column.sum += loss;
            column.finite += 1;
        } else {
            column.non_finite = true;
        }
    }

    /// The sparkline, the lowest and highest column it shows, and whether it is on a
    /// log scale; `None` for an empty trace.
    ///
    /// ```
    /// use gradlab::report::chart::LossTrace;
    ///
    /// let mut trace = LossTrace::new(4);
    /// for (step, loss) in [1.0, 0.1, 0.01, f64::NAN].into_iter().enumerate() {
    ///     trace.add(step + 1, loss);
    /// }
    /// // 1 to 0.01 spans 100×: not yet a log scale.
    /// let spark = trace.sparkline().unwrap();
    /// assert_eq!((spark.line.as_str(), spark.low, spark.high, spark.log), ("█▂▁×", 0.01, 1.0, false));
    /// ```
    pub fn sparkline(&self) -> Option<Sparkline> {
        let means: Vec<Option<f64>> = self
            .columns
            .iter()
            .map(|c| (!c.non_finite && c.finite > 0).then(|| c.sum / c.finite as f64))
            .collect();
        let finite: Vec<f64> = means.iter().flatten().copied().collect();
        if means.is_empty() {
            return None;
        }
        let (min, max) = finite
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        let log = min > 0.0 && max / min > 100.0;
        let scale = |v: f64| if log { v.log10() } else { v };
        let (low, high) = (scale(min), scale(max));
        let line = means
            .iter()
            .map(|mean| match mean {
                None => NON_FINITE,
                Some(v) if high > low => {
                    let t = (scale(*v) - low) / (high - low);
                    LEVELS[((t * (LEVELS.len() - 1) as f64).round() as usize).min(7)]
                }
                Some(_) => LEVELS[0],
            })
            .collect();
        Some(Sparkline {
            line,
            low: min,
            high: max,
            log,
        })
    }
}

/// A drawn loss trace (see [`LossTrace::sparkline`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Sparkline {
    pub line: String,
    /// The lowest and highest column, in loss units (infinite when none is finite).
    pub low: f64,
    pub high: f64,
    pub log: bool,
}

/// A bar `width` cells long at most, for `value` on a log scale from `low` to `high`
/// (both positive): empty at `low`, full at `high`, in eighths of a cell. A value that
/// is not finite is marked; zero is left empty.
///
/// ```
/// use gradlab::report::chart::log_bar;
///
/// assert_eq!(log_bar(100.0, 1.0, 100.0, 4), "████");
/// assert_eq!(log_bar(10.0, 1.0, 100.0, 4), "██  ");
/// assert_eq!(log_bar(f64::INFINITY, 1.0, 100.0, 4), "×   ");
/// ```
pub fn log_bar(value: f64, low: f64, high: f64, width: usize) -> String {
    if !value.is_finite() {
        return format!("{NON_FINITE}{}", " ".repeat(width.saturating_sub(1)));
    }
    let t = if value <= 0.0 || high <= low {
        if value > 0.0 && value >= high {
            1.0
        } else {
            0.0
        }
    } else {
        ((value.log10() - low.log10()) / (high.log10() - low.log10())).clamp(0.0, 1.0)
    };
    let eighths = (t * (width * 8) as f64).round() as usize;
    let mut bar = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        bar.push(EIGHTHS[eighths % 8]);
    }
    let cells = bar.chars().count();
    bar + &" ".repeat(width.saturating_sub(cells))
}

/// The smallest and largest finite, positive values of `values`, or `None`.
pub fn positive_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold(None, |range, v| match range {
            None => Some((v, v)),
            Some((l, h)) => Some((v.min(l), v.max(h))),
        })
}

/// Shades of a heat map cell, lowest first; a cell with no gradient is `NO_GRADIENT`.
const SHADES: [char; 4] = ['░', '▒', '▓', '█'];
/// A layer that passed no gradient back: dead, or exactly zero.
pub const NO_GRADIENT: char = '·';

/// One column of a heat map: a shown step and each layer's value there.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatColumn {
    pub step: usize,
    pub values: Vec<f64>,
    pub dead: Vec<bool>,
}

/// The columns of a heat map as a run goes: at most [`SPARK_WIDTH`] of them, whatever
/// the run's length. When full, every other column goes and only every `stride`-th
/// shown step is kept from then on; the latest step is always kept for the last column.
#[derive(Debug, Clone, Default)]
pub struct HeatTrace {
    columns: Vec<HeatColumn>,
    stride: usize,
    seen: usize,
    latest: Option<HeatColumn>,
}

impl HeatTrace {
    /// Adds a shown step's column.
    ///
    /// ```
    /// use gradlab::report::chart::{HeatColumn, HeatTrace, SPARK_WIDTH};
    ///
    /// let mut trace = HeatTrace::default();
    /// for step in 1..=1000 {
    ///     trace.add(HeatColumn { step, values: vec![1.0], dead: vec![false] });
    /// }
    /// let (columns, stride) = trace.finish();
    /// assert!(columns.len() <= SPARK_WIDTH + 1);
    /// assert_eq!((columns[0].step, columns[1].step, stride), (1, 1 + stride, stride));
    /// assert_eq!(columns.last().unwrap().step, 1000);
    /// ```
    pub fn add(&mut self, column: HeatColumn) {
        let stride = self.stride.max(1);
        self.seen += 1;
        if (self.seen - 1).is_multiple_of(stride) {
            self.columns.push(column);
            self.latest = None;
        } else {
            self.latest = Some(column);
        }
        if self.columns.len() > SPARK_WIDTH {
            let mut index = 0;
            self.columns.retain(|_| {
                index += 1;
                index % 2 == 1
            });
            self.stride = stride * 2;
        }
    }

    /// The kept columns, the latest last, and how many shown steps apart they are.
    pub fn finish(self) -> (Vec<HeatColumn>, usize) {
        let mut columns = self.columns;
        columns.extend(self.latest);
        (columns, self.stride.max(1))
    }
}

/// Layers as rows (input side first) and steps as columns, each cell shaded by its
/// value on a log scale over the whole map. Returns the rows, each prefixed by its
/// layer number, and the scale's ends.
///
/// ```
/// use gradlab::report::chart::{HeatColumn, heatmap};
///
/// let column = |step, values: Vec<f64>| HeatColumn { step, dead: vec![false; values.len()], values };
/// let (rows, range) = heatmap(&[column(1, vec![1e4, 1.0]), column(2, vec![0.0, f64::NAN])]);
/// assert_eq!(rows, ["    1  █·", "    2  ░×"]);
/// assert_eq!(range, Some((1.0, 1e4)));
/// ```
pub fn heatmap(columns: &[HeatColumn]) -> (Vec<String>, Option<(f64, f64)>) {
    let layers = columns.iter().map(|c| c.values.len()).max().unwrap_or(0);
    let range = positive_range(columns.iter().flat_map(|c| c.values.iter().copied()));
    let rows = (0..layers)
        .map(|layer| {
            let cells: String = columns
                .iter()
                .map(|c| {
                    let value = c.values.get(layer).copied().unwrap_or(0.0);
                    if c.dead.get(layer).copied().unwrap_or(false) {
                        NO_GRADIENT
                    } else {
                        shade(value, range.unwrap_or((value, value)))
                    }
                })
                .collect();
            format!("{:>5}  {cells}", layer + 1)
        })
        .collect();
    (rows, range)
}

/// The mark of a verdict in a sweep's grid: a shape, so the grid reads without colour.
///
/// ```
/// use gradlab::report::chart::verdict_mark;
/// use gradlab::report::outcome::Verdict;
///
/// assert_eq!(verdict_mark(Verdict::Exploding), '▲');
/// ```
pub fn verdict_mark(verdict: Verdict) -> char {
    match verdict {
        Verdict::Healthy => '○',
        Verdict::Exploding => '▲',
        Verdict::Vanishing => '▼',
        Verdict::Dead => NO_GRADIENT,
        Verdict::Diverged => NON_FINITE,
        Verdict::Unstable => '~',
        Verdict::Stuck => '=',
        Verdict::Plateau => '−',
        Verdict::Interrupted => ' ',
    }
}

/// The shade of `value` on a log scale from `low` to `high` (a heat map's cell).
pub fn shade(value: f64, (low, high): (f64, f64)) -> char {
    if !value.is_finite() {
        return NON_FINITE;
    }
    if value <= 0.0 {
        return NO_GRADIENT;
    }
    let t = if high > low {
        ((value.log10() - low.log10()) / (high.log10() - low.log10())).clamp(0.0, 1.0)
    } else {
        1.0
    };
    SHADES[(t * (SHADES.len() - 1) as f64).round() as usize]
}
