//! Times the workloads of issue 13 without criterion, for `vs_torch.py`.
//!
//! * `step_time NAME STEPS [WARMUP]` trains workload NAME (A–D) for WARMUP (default 3) +
//!   STEPS steps and prints one JSON line with the µs per timed step.
//! * `step_time NAME` or `step_time` (every workload) picks a step count of its own.
//! * `step_time describe` prints the workloads as JSON lines: the networks `vs_torch.py`
//!   rebuilds in PyTorch.
//!
//! `cargo bench --bench step_time -- C 10` runs it through cargo, which appends `--bench`;
//! that flag is ignored. A plain `cargo bench` runs it with no arguments (every workload);
//! `cargo bench -- FILTER` hands it criterion's filter: a workload name runs that workload,
//! anything else is skipped.

mod workload;

use std::process::ExitCode;

use workload::{WORKLOADS, Workload};

const USAGE: &str = "usage: step_time [NAME [STEPS [WARMUP]]] | step_time describe";
const DEFAULT_WARMUP: usize = 3;

fn by_name(name: &str) -> Option<&'static Workload> {
    WORKLOADS.iter().find(|w| w.name.eq_ignore_ascii_case(name))
}

/// About 2 GFLOP of products: a fraction of a second on the development machine.
fn default_steps(w: &Workload) -> usize {
    ((2e9 / w.flops_per_step()) as usize).clamp(3, 20_000)
}

fn describe(w: &Workload) -> String {
    let constant_weight = w
        .constant_weight
        .map_or("null".to_string(), |v| v.to_string());
    format!(
        "{{\"workload\":\"{}\",\"title\":\"{}\",\"layers\":{},\"width\":{},\"batch\":{},\"constant_weight\":{},\"flops_per_step\":{}}}",
        w.name,
        w.title,
        w.layers,
        w.width,
        w.batch,
        constant_weight,
        w.flops_per_step()
    )
}

fn time(w: &Workload, steps: usize, warmup: usize) -> String {
    let us = w.time_steps(warmup, steps).as_secs_f64() * 1e6 / steps as f64;
    format!(
        "{{\"workload\":\"{}\",\"steps\":{},\"warmup\":{},\"us_per_step\":{:.3},\"gflops\":{:.2}}}",
        w.name,
        steps,
        warmup,
        us,
        w.flops_per_step() / us / 1e3
    )
}

/// Parses `[NAME [STEPS [WARMUP]]]`; None if the arguments are not of that form.
fn runs(args: &[&str]) -> Option<Vec<(&'static Workload, usize, usize)>> {
    let count = |s: Option<&&str>, default: usize| s.map_or(Some(default), |s| s.parse().ok());
    match args {
        [] => Some(
            WORKLOADS
                .iter()
                .map(|w| (w, default_steps(w), DEFAULT_WARMUP))
                .collect(),
        ),
        [name, rest @ ..] if rest.len() <= 2 => {
            let w = by_name(name)?;
            let steps = count(rest.first(), default_steps(w)).filter(|&s| s > 0)?;
            let warmup = count(rest.get(1), DEFAULT_WARMUP)?;
            Some(vec![(w, steps, warmup)])
        }
        _ => None,
    }
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let under_cargo_bench = raw.iter().any(|a| a == "--bench");
    let args: Vec<&str> = raw
        .iter()
        .map(String::as_str)
        .filter(|&a| a != "--bench")
        .collect();
    if args == ["describe"] {
        for w in &WORKLOADS {
            println!("{}", describe(w));
        }
        return ExitCode::SUCCESS;
    }
    match runs(&args) {
        Some(runs) => {
            for (w, steps, warmup) in runs {
                println!("{}", time(w, steps, warmup));
            }
            ExitCode::SUCCESS
        }
        None if under_cargo_bench => {
            eprintln!("step_time: skipped, {:?} is not a workload ({USAGE})", args);
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("{USAGE}");
            ExitCode::FAILURE
        }
    }
}
