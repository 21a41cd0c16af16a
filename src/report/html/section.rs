//! One section of the page per recorded part of the script: its heading, a table of
//! what ran (network, data, settings), its charts and its warnings.

use std::fmt::Write;

use super::{escape, figure};
use crate::engine::StopReason;
use crate::format;
use crate::report::history::{RunHistory, Section, Warning};
use crate::report::info::{CompareReport, RunInfo};
use crate::report::outcome::stop_reason_name;
use crate::report::plots::Chart;

pub fn write(out: &mut String, id: &str, section: &Section, charts: &[Chart]) {
    let _ = writeln!(out, "<section id=\"{}\">", escape(id));
    match section {
        Section::Train(run) => train(out, run),
        Section::Explain(info, _) => {
            heading(out, &format!("explain {} on {}", info.network, info.data));
            header(out, info, &[]);
        }
        Section::Compare(report) => compare(out, report),
        Section::Sweep(report) => {
            heading(out, &format!("sweep {} on {}", report.network, report.data));
            table(
                out,
                &[
                    ("network", report.network.clone()),
                    ("data", report.data.clone()),
                    ("settings", report.settings_line()),
                    ("metric", report.metric.to_string()),
                    (
                        "points",
                        format!("{} of {} finished", report.finished(), report.points.len()),
                    ),
                ],
            );
        }
        Section::Diagnostics(warnings) => {
            heading(out, "Diagnostics about the script");
            write_warnings(out, warnings);
        }
    }
    for chart in charts {
        figure(out, chart);
    }
    if let Section::Train(run) = section {
        if !run.warnings.is_empty() {
            let _ = writeln!(out, "<h3>Warnings</h3>");
        }
        write_warnings(out, &run.warnings);
    }
    let _ = writeln!(out, "</section>");
}

fn heading(out: &mut String, text: &str) {
    let _ = writeln!(out, "<h2>{}</h2>", escape(text));
}

fn table(out: &mut String, rows: &[(&str, String)]) {
    let _ = writeln!(out, "<table class=\"header\">");
    for (name, value) in rows {
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(name),
            escape(value)
        );
    }
    let _ = writeln!(out, "</table>");
}

/// Network, data, settings and layers, with `more` rows after them.
fn header(out: &mut String, info: &RunInfo, more: &[(&str, String)]) {
    let mut rows = vec![
        ("network", info.network.clone()),
        ("data", info.data.clone()),
        ("settings", info.settings.to_string()),
        ("layers", layers(info)),
    ];
    rows.extend(more.iter().cloned());
    table(out, &rows);
}

/// The layers, runs of alike ones counted: `20 × dense 1 relu`.
fn layers(info: &RunInfo) -> String {
    let mut runs: Vec<(String, usize)> = Vec::new();
    for l in &info.layers {
        let text = format!("dense {} {}", l.width, format::activation(&l.activation));
        match runs.last_mut() {
            Some((last, n)) if *last == text => *n += 1,
            _ => runs.push((text, 1)),
        }
    }
    let parts: Vec<String> = runs
        .into_iter()
        .map(|(text, n)| {
            if n == 1 {
                text
            } else {
                format!("{n} × {text}")
            }
        })
        .collect();
    parts.join(", ")
}

fn train(out: &mut String, run: &RunHistory) {
    let info = &run.info;
    heading(
        out,
        &format!("{} {} on {}", info.kind, info.network, info.data),
    );
    let ended = match run.stop {
        Some(StopReason::Completed) => "completed".to_string(),
        Some(reason) => stop_reason_name(reason).replace('_', " "),
        None => "did not finish".to_string(),
    };
    let first = run.steps.first().map(|s| format::sig(s.loss));
    let last = run.steps.last().map(|s| format::sig(s.loss));
    header(
        out,
        info,
        &[
            (
                "steps",
                format!("{} of {} ({ended})", run.steps_run, info.planned_steps),
            ),
            (
                "loss",
                format!(
                    "{} → {}",
                    first.unwrap_or_else(|| "—".into()),
                    last.unwrap_or_else(|| "—".into())
                ),
            ),
        ],
    );
}

fn compare(out: &mut String, report: &CompareReport) {
    heading(
        out,
        &format!("compare {} on {}", report.network, report.data),
    );
    table(
        out,
        &[
            ("network", report.network.clone()),
            ("data", report.data.clone()),
            ("settings", report.settings.to_string()),
        ],
    );
    let _ = writeln!(
        out,
        "<table class=\"compare\">\n<tr><th>variant</th><th>final loss</th><th>best loss</th><th>max ‖∇‖</th><th>non-finite at</th><th>verdict</th></tr>"
    );
    for (label, row) in &report.rows {
        let cells = match row {
            Ok(o) => [
                format::sig_opt(o.final_loss),
                format::sig_opt(o.best_loss),
                format::sig(o.max_grad_norm),
                o.first_nonfinite
                    .map_or_else(|| "—".into(), |s| format!("step {s}")),
                o.verdict.name().to_string(),
            ],
            Err(reason) => [
                "—".into(),
                "—".into(),
                "—".into(),
                "—".into(),
                format!("refused: {reason}"),
            ],
        };
        let _ = write!(out, "<tr><td>{}</td>", escape(label));
        for cell in cells {
            let _ = write!(out, "<td>{}</td>", escape(&cell));
        }
        let _ = writeln!(out, "</tr>");
    }
    let _ = writeln!(out, "</table>");
}

fn write_warnings(out: &mut String, warnings: &[Warning]) {
    for w in warnings {
        let _ = writeln!(
            out,
            "<details open=\"open\" class=\"{}\"><summary>{}</summary><pre>{}</pre></details>",
            if w.is_error { "error" } else { "warning" },
            escape(&w.headline),
            escape(&w.text)
        );
    }
}
