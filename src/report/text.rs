//! The human-readable report: values and tables on stdout, diagnostics on stderr.

use crate::signature::Metric;
use std::io::Write;

use super::chart::{self, HeatColumn, HeatTrace, LossTrace, log_bar, positive_range};
use super::info::{CompareReport, RunInfo, SavedWeights, SweepReport};
use super::outcome::{Outcome, kept_early, metric, metric_heading};
use super::progress::Progress;
use super::shown;
use super::warnings::warning;
use super::{Printed, Reporter};
use crate::diagnostics::{Diagnostic, SourceMap, Span, render_within};
use crate::engine::{DiagnosticEvent, Explanation, LossKind, StepRecord, StopReason, TrainSummary};
use crate::format::{self, plural, sig, sig_opt, wrap};

pub struct TextReporter<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Colour diagnostics (stderr).
    pub color: bool,
    /// The terminal's width that diagnostics are fitted to, if any.
    width: Option<usize>,
    run: RunState,
    progress: Progress,
}

/// Cells of a bar in a per-layer table.
const BAR_WIDTH: usize = 16;

/// What the reporter remembers during one run, to summarise it.
#[derive(Default)]
struct RunState {
    /// The latest step, printed once it is known whether a finding needs it (when
    /// `has_pending`); the record stays, so the next step is copied into its storage.
    pending: Option<StepRecord>,
    has_pending: bool,
    last_printed: usize,
    every: usize,
    max_grad_norm: f64,
    best_loss: Option<f64>,
    trace: LossTrace,
    /// ‖∂L/∂W‖ per layer at the shown steps, for `show heatmap`.
    heat: HeatTrace,
}

impl<'a> TextReporter<'a> {
    pub fn new(out: &'a mut dyn Write, err: &'a mut dyn Write, color: bool) -> Self {
        TextReporter {
            out,
            err,
            color,
            width: None,
            run: RunState::default(),
            progress: Progress::default(),
        }
    }

    /// Draws `progress` for long runs (see `report::progress`); `out` and `err` must
    /// then take the bar down around their writes.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Fits diagnostics to a terminal `width` columns wide (the REPL's).
    pub fn fitted_to(mut self, width: Option<usize>) -> Self {
        self.width = width;
        self
    }

    /// Ends every event but a step record: a person or a pipe reader waits for it, so
    /// it leaves the buffer now (step lines may wait there).
    fn deliver(&mut self) {
        let _ = self.out.flush();
    }

    fn should_show(&self, step: usize, info: &RunInfo) -> bool {
        shown::is_shown(step, self.run.every, info)
    }

    /// Prints the pending step if `force` or the summary rule wants it.
    fn flush_pending(&mut self, info: &RunInfo, force: bool) {
        if !std::mem::take(&mut self.run.has_pending) {
            return;
        }
        let Some(record) = self.run.pending.take() else {
            return;
        };
        let show = &info.show;
        let shown = force || self.should_show(record.step, info);
        if show.heatmap && shown {
            self.run.heat.add(HeatColumn {
                step: record.step,
                values: record.layers.iter().map(|l| l.grad_weight_norm).collect(),
                dead: record.layers.iter().map(|l| l.dead).collect(),
            });
        }
        let printed = (show.loss || show.gradients || show.weights) && shown;
        if printed {
            if self.run.last_printed + 1 < record.step {
                let _ = writeln!(self.out, "  ⋮");
            }
            self.run.last_printed = record.step;
            self.write_step(&record, info);
            // A person watching a long run sees each step line as it comes.
            self.deliver();
        }
        self.run.pending = Some(record);
    }

    fn write_step(&mut self, r: &StepRecord, info: &RunInfo) {
        let width = info.planned_steps.max(1).to_string().len();
        let mut line = format!("step {:>width$}  loss {:<10}", r.step, sig(r.loss));
        if let Some(change) = r.loss_change {
            line += &format!("  Δ {:<10}", sig(change));
        } else {
            line += &format!("  Δ {:<10}", "—");
        }
        line += &format!("  ‖∇‖ {}", sig(r.grad_norm));
        if r.clipped
            && let Some(after) = r.clipped_norm
        {
            line += &format!(" → {} clipped", sig(after));
        }
        if let Some(acc) = r.accuracy {
            line += &format!("  acc {}%", sig(acc * 100.0));
        }
        let _ = writeln!(self.out, "{}", line.trim_end());
        if !(info.show.gradients || info.show.weights) {
            return;
        }
        let mut header = format!(
            "  {:>5}  {:>4}  {:>5}  {:<10}",
            "layer", "line", "width", "activation"
        );
        if info.show.weights || info.show.gradients {
            header += &format!("  {:>10}  {:>10}", "w mean", "w std");
        }
        if info.show.gradients {
            header += &format!(
                "  {:>10}  {:>10}  {:>10}  {:>10}  {}",
                "‖∂L/∂W‖", "‖∂L/∂b‖", "‖∂L/∂a‖", "gain", "‖∂L/∂a‖, log scale"
            );
        }
        let signal = positive_range(r.layers.iter().map(|l| l.grad_output_norm));
        let _ = writeln!(self.out, "{}", header.trim_end());
        for stats in &r.layers {
            let layer = info.layer(stats.index);
            let (line_no, width, activation) = layer.map_or((0, 0, String::new()), |l| {
                (l.line, l.width, format::activation(&l.activation))
            });
            let mut row = format!(
                "  {:>5}  {:>4}  {:>5}  {:<10}",
                stats.index + 1,
                line_no,
                width,
                activation
            );
            if info.show.weights || info.show.gradients {
                row += &format!(
                    "  {:>10}  {:>10}",
                    sig(stats.weight_mean),
                    sig(stats.weight_std)
                );
            }
            if info.show.gradients {
                let dead = if stats.dead { "  dead" } else { "" };
                let (low, high) = signal.unwrap_or((1.0, 1.0));
                row += &format!(
                    "  {:>10}  {:>10}  {:>10}  {:>10}  {}{dead}",
                    sig(stats.grad_weight_norm),
                    sig_opt(stats.grad_bias_norm),
                    sig(stats.grad_output_norm),
                    sig(stats.gain),
                    log_bar(stats.grad_output_norm, low / 10.0, high, BAR_WIDTH)
                );
            }
            let _ = writeln!(self.out, "{}", row.trim_end());
        }
    }
    /// The run's loss, one column per span of steps, under its summary line.
    fn loss_sparkline(&mut self, steps: usize) {
        let Some(spark) = self.run.trace.sparkline() else {
            return;
        };
        let scale = if spark.log {
            "log scale"
        } else {
            "linear scale"
        };
        let range = if spark.low.is_finite() {
            format!(" ▁ {} … █ {},", sig(spark.low), sig(spark.high))
        } else {
            String::new()
        };
        let marks = if spark.line.contains(chart::NON_FINITE) {
            format!("; {} not finite", chart::NON_FINITE)
        } else {
            String::new()
        };
        let _ = writeln!(
            self.out,
            "  loss {}  ({scale},{range} steps 1–{steps}{marks})",
            spark.line
        );
    }

    /// `show heatmap`: ‖∂L/∂W‖ of every layer at every shown step, on one log scale.
    fn heat_map(&mut self) {
        let (columns, stride) = std::mem::take(&mut self.run.heat).finish();
        let (rows, range) = chart::heatmap(&columns);
        let Some(first) = columns.first() else { return };
        let scale = range.map_or("no layer had a gradient".to_string(), |(low, high)| {
            format!("░ {} … █ {}, log scale", sig(low), sig(high))
        });
        let _ = writeln!(
            self.out,
            "  ‖∂L/∂W‖ per layer (rows) and {} (columns, steps {}–{}): {scale}; \
             {} no gradient; {} not finite",
            if stride > 1 {
                format!("every {stride}th shown step")
            } else {
                "shown step".to_string()
            },
            first.step,
            columns.last().map_or(first.step, |c| c.step),
            chart::NO_GRADIENT,
            chart::NON_FINITE
        );
        let _ = writeln!(self.out, "  layer");
        for row in rows {
            let _ = writeln!(self.out, "  {row}");
        }
    }

    /// `explain`'s table: the factor each layer multiplies the backward signal by.
    fn factor_table(&mut self, ex: &Explanation, info: &RunInfo) {
        let _ = writeln!(
            self.out,
            "the backward signal starts at ‖∂L/∂y‖ = {} and is multiplied by one factor per layer:",
            sig(ex.output_grad)
        );
        let _ = writeln!(
            self.out,
            "  {:>5}  {:>4}  {:<10}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}  \
             predicted, log scale up to the f32 limit ┃",
            "layer",
            "line",
            "activation",
            "weight",
            "slope",
            "factor",
            "product",
            "predicted",
            "observed",
        );
        // The predicted gradient, from the smallest (or 1) to where f32 overflows.
        let limit = f32::MAX as f64;
        let predicted =
            |f: &crate::engine::ExplainFactor| (f.running_product * ex.output_grad).abs();
        let low =
            positive_range(ex.factors.iter().map(predicted)).map_or(1.0, |(low, _)| low.min(1.0));
        for f in &ex.factors {
            let (line_no, activation) = info.layer(f.layer).map_or((0, String::new()), |l| {
                (l.line, format::activation(&l.activation))
            });
            let mark = if Some(f.layer) == ex.first_unstable {
                "  ← leaves [0.5, 2]"
            } else {
                ""
            };
            let value = predicted(f);
            let end = if value > limit { "╂ past it" } else { "┃" };
            let _ = writeln!(
                self.out,
                "  {:>5}  {:>4}  {:<10}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}  {}{end}{mark}",
                f.layer + 1,
                line_no,
                activation,
                sig(f.weight_factor),
                sig(f.slope),
                sig(f.factor),
                sig(f.running_product),
                sig(f.running_product * ex.output_grad),
                sig(f.observed_signal),
                log_bar(value, low, limit, BAR_WIDTH)
            );
        }
        let _ = writeln!(
            self.out,
            "(predicted = product × ‖∂L/∂y‖; observed = the measured ‖∂L/∂x‖ at the layer's input)"
        );
    }

    /// `explain`'s verdict: the layer where the running product leaves [0.5, 2], if any.
    fn where_unstable(&mut self, ex: &Explanation, info: &RunInfo) {
        let Some(l) = ex.first_unstable.and_then(|l| info.layer(l)) else {
            let _ = writeln!(
                self.out,
                "the running product stays within [0.5, 2]: the gradient flows evenly"
            );
            return;
        };
        let explodes = ex
            .factors
            .iter()
            .find(|f| Some(f.layer) == ex.first_unstable)
            .is_some_and(|f| f.running_product.abs() > 2.0);
        let _ = writeln!(
            self.out,
            "the running product leaves [0.5, 2] at layer {} (line {}): from there the gradient {}",
            l.number,
            l.line,
            if explodes { "explodes" } else { "vanishes" }
        );
    }

    /// `explain`'s prediction of the depth at which values overflow, per precision.
    fn overflow_table(&mut self, ex: &Explanation, info: &RunInfo) {
        let o = &ex.overflow;
        let depth = |d: Option<usize>| d.map_or_else(|| "never".to_string(), |d| d.to_string());
        let _ = writeln!(
            self.out,
            "growth per layer: forward ×{}, backward ×{}; at that rate, the depth where each overflows:",
            sig(o.forward_log_growth.exp()),
            sig(o.backward_log_growth.exp())
        );
        let _ = writeln!(
            self.out,
            "  {:<6}  {:>9}  {:>9}  {:>9}",
            "", "loss", "gradients", "output"
        );
        for (name, output, loss, grad) in [
            ("f32", o.output_f32, o.loss_f32, o.grad_f32),
            ("f64", o.output_f64, o.loss_f64, o.grad_f64),
        ] {
            let _ = writeln!(
                self.out,
                "  {name:<6}  {:>9}  {:>9}  {:>9}",
                depth(loss),
                depth(grad),
                depth(output)
            );
        }
        let _ = writeln!(
            self.out,
            "(this network has {} layers and runs in {})",
            info.layers.len(),
            format::precision(info.settings.precision)
        );
    }
    /// A sweep over two axes: one row per value of the first, one column per value of
    /// the second.
    fn sweep_table(
        &mut self,
        report: &SweepReport,
        (row_name, rows): (&str, &[f64]),
        (col_name, cols): (&str, &[f64]),
    ) {
        let corner = format!("{row_name} \\ {col_name}");
        // Wide enough for "interrupted", which only a cut-short verdict sweep shows.
        let width = report
            .points
            .iter()
            .map(|p| sweep_cell(report, &p.outcome).chars().count())
            .max()
            .unwrap_or(0)
            .max(10);
        let mut header = format!("  {corner:>12}");
        for c in cols {
            header += &format!("  {:>width$}", format::axis_value(*c));
        }
        let _ = writeln!(self.out, "{}", header.trim_end());
        // Points come in grid order, the last axis varying fastest: one chunk per row.
        for (row_value, points) in rows.iter().zip(report.points.chunks(cols.len())) {
            let mut line = format!("  {:>12}", format::axis_value(*row_value));
            for point in points {
                line += &format!("  {:>width$}", sweep_cell(report, &point.outcome));
            }
            let _ = writeln!(self.out, "{}", line.trim_end());
        }
    }

    /// The table again as one mark per point, so the boundary between the regions
    /// (healthy and exploding, say) shows at a glance.
    fn sweep_grid(
        &mut self,
        report: &SweepReport,
        (row_name, rows): (&str, &[f64]),
        (col_name, cols): (&str, &[f64]),
    ) {
        let values: Vec<Option<f64>> = report
            .points
            .iter()
            .map(|p| metric(&p.outcome, report.metric).filter(|_| !p.outcome.interrupted()))
            .collect();
        let range = positive_range(values.iter().flatten().copied());
        let mark = |i: usize| {
            let outcome = &report.points[i].outcome;
            match (report.metric, values[i]) {
                (Metric::Verdict, _) => chart::verdict_mark(outcome.verdict),
                (_, Some(value)) => chart::shade(value, range.unwrap_or((value, value))),
                (_, None) => ' ',
            }
        };
        let legend = if report.metric == Metric::Verdict {
            let mut seen: Vec<_> = report.points.iter().map(|p| p.outcome.verdict).collect();
            seen.sort_by_key(|v| *v as u8);
            seen.dedup();
            seen.iter()
                .map(|v| format!("{} {}", chart::verdict_mark(*v), v.name()))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            range.map_or("no positive values".to_string(), |(low, high)| {
                format!("log scale, ░ {} … █ {}", sig(low), sig(high))
            })
        };
        let (first, last) = (cols[0], cols[cols.len() - 1]);
        let _ = writeln!(
            self.out,
            "  at a glance, {row_name} down and {col_name} across ({} → {}): {legend}",
            format::axis_value(first),
            format::axis_value(last)
        );
        for (r, row_value) in rows.iter().enumerate() {
            let cells: Vec<String> = (0..cols.len())
                .map(|c| mark(r * cols.len() + c).to_string())
                .collect();
            let line = format!(
                "  {:>12}  {}",
                format::axis_value(*row_value),
                cells.join(" ")
            );
            let _ = writeln!(self.out, "{}", line.trim_end());
        }
    }

    /// Under a table some of whose runs were cut short: how many finished, so that no
    /// one reads the table as the whole answer.
    fn interrupted_note(&mut self, finished: usize, total: usize, what: &str) {
        if finished < total {
            let _ = writeln!(
                self.out,
                "interrupted after {finished} of {total} {what}: the unfinished ones read interrupted or —"
            );
        }
    }

    /// A sweep over one axis, or three and more: one line per point.
    fn sweep_list(&mut self, report: &SweepReport) {
        let mut header = String::from(" ");
        for (name, _) in &report.axes {
            header += &format!(" {name:>10}");
        }
        header += &format!("  {:>12}", report.metric);
        let _ = writeln!(self.out, "{}", header.trim_end());
        for point in &report.points {
            let mut line = String::from(" ");
            for v in &point.values {
                line += &format!(" {:>10}", format::axis_value(*v));
            }
            line += &format!("  {:>12}", sweep_cell(report, &point.outcome));
            let _ = writeln!(self.out, "{}", line.trim_end());
        }
    }
}

/// A sweep's metric for one point, as its table shows it.
fn sweep_cell(report: &SweepReport, outcome: &Outcome) -> String {
    if outcome.interrupted() && report.metric != Metric::Verdict {
        // A cut-short run's numbers are not the metric of the run the sweep asked for.
        "—".to_string()
    } else if report.metric == Metric::Verdict {
        outcome.verdict.name().to_string()
    } else {
        metric(outcome, report.metric).map_or_else(|| "—".to_string(), sig)
    }
}

impl Reporter for TextReporter<'_> {
    fn progress(&self) -> Progress {
        self.progress.clone()
    }

    fn diagnostics(&mut self, diagnostics: &[Diagnostic], sources: &SourceMap) {
        // Output is delivered first so a warning lands after the lines it comments on.
        self.deliver();
        let _ = self
            .err
            .write_all(render_within(diagnostics, sources, self.color, self.width).as_bytes());
        let _ = self.err.flush();
    }

    fn print(&mut self, value: &Printed, _span: Span, _sources: &SourceMap) {
        let _ = writeln!(self.out, "{}", value.text);
        self.deliver();
    }

    fn saved(&mut self, saved: &SavedWeights, _sources: &SourceMap) {
        let _ = writeln!(
            self.out,
            "saved `{}` to {} ({} tensor{})",
            saved.network,
            saved.file,
            saved.tensors,
            plural(saved.tensors)
        );
        self.deliver();
    }

    fn replaced(&mut self, name: &str, kind: &str, _span: Span, _sources: &SourceMap) {
        let _ = writeln!(self.out, "note: `{name}` now names the new {kind}");
        self.deliver();
    }

    fn run_start(&mut self, info: &RunInfo, _sources: &SourceMap) {
        self.run = RunState {
            every: shown::every(info),
            trace: LossTrace::new(info.planned_steps),
            ..RunState::default()
        };
        let _ = writeln!(
            self.out,
            "{} {} on {}: {} layer{}, {}",
            info.kind,
            info.network,
            info.data,
            info.layers.len(),
            plural(info.layers.len()),
            info.settings
        );
        self.deliver();
    }

    fn step(&mut self, record: &StepRecord, info: &RunInfo) {
        self.flush_pending(info, false);
        self.run.max_grad_norm = self.run.max_grad_norm.max(record.grad_norm);
        self.run.trace.add(record.step, record.loss);
        if record.loss.is_finite() {
            self.run.best_loss = Some(
                self.run
                    .best_loss
                    .map_or(record.loss, |b: f64| b.min(record.loss)),
            );
        }
        match &mut self.run.pending {
            Some(kept) => kept.clone_from(record),
            None => self.run.pending = Some(record.clone()),
        }
        self.run.has_pending = true;
    }

    fn finding(
        &mut self,
        event: &DiagnosticEvent,
        record: Option<&StepRecord>,
        info: &RunInfo,
        sources: &SourceMap,
    ) {
        if self.run.has_pending
            && self
                .run
                .pending
                .as_ref()
                .is_some_and(|p| p.step == event.step())
        {
            self.flush_pending(info, true);
        }
        self.diagnostics(&[warning(event, info, record)], sources);
    }

    fn run_end(&mut self, summary: &TrainSummary, info: &RunInfo) {
        self.flush_pending(info, true);
        let clipped = if info.clipping && summary.steps > 0 {
            format!(
                ", clipped {} of {} steps ({}%)",
                summary.clipped_steps,
                summary.steps,
                sig(100.0 * summary.clipped_steps as f64 / summary.steps as f64)
            )
        } else {
            String::new()
        };
        let how = match summary.stop_reason {
            StopReason::Completed => "",
            StopReason::NonFinite => ", stopped: the loss is not finite",
            StopReason::Interrupted => ", interrupted",
        };
        let _ = writeln!(
            self.out,
            "after {} step{}: loss {} → {} (best {}), largest ‖∇‖ {}{clipped}{how}",
            summary.steps,
            plural(summary.steps),
            sig_opt(summary.first_loss),
            sig_opt(summary.final_loss),
            sig_opt(self.run.best_loss),
            sig(self.run.max_grad_norm),
        );
        self.loss_sparkline(summary.steps);
        if info.show.heatmap {
            self.heat_map();
        }
        if let Some(note) = kept_early(summary, info) {
            let _ = writeln!(self.out, "note: {note}");
        }
        let _ = writeln!(self.out);
        self.deliver();
    }

    fn explanation(&mut self, ex: &Explanation, info: &RunInfo) {
        let _ = writeln!(
            self.out,
            "explain {} on {}: {} layer{}, {}",
            info.network,
            info.data,
            info.layers.len(),
            plural(info.layers.len()),
            info.settings
        );
        self.factor_table(ex, info);
        self.where_unstable(ex, info);
        self.overflow_table(ex, info);
        let _ = writeln!(self.out);
        self.deliver();
    }

    fn sweep(&mut self, report: &SweepReport, _sources: &SourceMap) {
        let names: Vec<&str> = report.axes.iter().map(|(n, _)| n.as_str()).collect();
        let _ = writeln!(
            self.out,
            "sweep {}({}) on {}: {}, each run {}",
            report.network,
            names.join(", "),
            report.data,
            metric_heading(report.metric, report.finished() < report.points.len()),
            report.settings_line()
        );
        match report.axes.as_slice() {
            [(row_name, rows), (col_name, cols)] => {
                self.sweep_table(report, (row_name, rows), (col_name, cols));
                self.sweep_grid(report, (row_name, rows), (col_name, cols));
            }
            _ => self.sweep_list(report),
        }
        self.interrupted_note(report.finished(), report.points.len(), "points");
        let _ = writeln!(self.out);
        self.deliver();
    }

    fn compare(&mut self, report: &CompareReport, _sources: &SourceMap) {
        let _ = writeln!(
            self.out,
            "compare {} on {}: {}",
            report.network, report.data, report.settings
        );
        let width = report
            .rows
            .iter()
            .map(|(label, _)| label.chars().count())
            .max()
            .unwrap_or(7)
            .max(7);
        // A classifier's loss says little on its own: its accuracy gets a column.
        let classifies = matches!(report.settings.loss, LossKind::Bce | LossKind::CrossEntropy);
        let mut headings = vec!["final loss", "best loss"];
        if classifies {
            headings.push("accuracy");
        }
        headings.extend(["max ‖∇‖", "non-finite", "first/last"]);
        let mut header = format!("  {:<width$}", "variant");
        for heading in &headings {
            header += &format!("  {heading:>10}");
        }
        let _ = writeln!(self.out, "{header}  verdict");
        let mut refused = Vec::new();
        for (label, row) in &report.rows {
            let (cells, verdict): (Vec<String>, &str) =
                match row {
                    Ok(o) if o.interrupted() => {
                        (vec!["—".to_string(); headings.len()], o.verdict.name())
                    }
                    Ok(o) => {
                        let mut cells = vec![sig_opt(o.final_loss), sig_opt(o.best_loss)];
                        if classifies {
                            cells.push(o.final_accuracy.map_or_else(
                                || "—".to_string(),
                                |a| format!("{}%", sig(a * 100.0)),
                            ));
                        }
                        cells.extend([
                            sig(o.max_grad_norm),
                            o.first_nonfinite
                                .map_or_else(|| "—".to_string(), |s| format!("step {s}")),
                            sig_opt(o.grad_ratio),
                        ]);
                        (cells, o.verdict.name())
                    }
                    Err(reason) => {
                        refused.push((label, reason));
                        (vec!["—".to_string(); headings.len()], "refused")
                    }
                };
            let mut line = format!("  {label:<width$}");
            for cell in cells {
                line += &format!("  {cell:>10}");
            }
            line += &format!("  {verdict}");
            let _ = writeln!(self.out, "{}", line.trim_end());
        }
        for (label, reason) in refused {
            let _ = writeln!(self.out, "  {label} was refused:");
            for line in wrap(reason, 88) {
                let _ = writeln!(self.out, "    {line}");
            }
        }
        self.interrupted_note(report.finished(), report.rows.len(), "variants");
        let accuracy = if classifies {
            "accuracy = of the last step's batch; "
        } else {
            ""
        };
        let _ = writeln!(
            self.out,
            "({accuracy}first/last = the first layer's ‖∂L/∂W‖ over the last layer's at step 1; non-finite = the first step whose loss was not a number)"
        );
        let _ = writeln!(self.out);
        self.deliver();
    }
}
