//! Times one workload of issue 13 without criterion, for `vs_torch.py`.
//!
//! `step_time describe` prints the workloads as JSON lines (the networks `vs_torch.py`
//! rebuilds in PyTorch); `step_time NAME STEPS [WARMUP]` trains workload NAME (A–D) for
//! WARMUP (default 3) + STEPS steps and prints one JSON line with the µs per timed step.
//! `cargo bench` appends `--bench` to the arguments; it is ignored.

mod workload;

use std::process::ExitCode;

use workload::{WORKLOADS, Workload};

fn by_name(name: &str) -> Option<&'static Workload> {
    WORKLOADS.iter().find(|w| w.name.eq_ignore_ascii_case(name))
}

const USAGE: &str = "usage: step_time describe | step_time NAME STEPS [WARMUP]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["describe"] => {
            for w in &WORKLOADS {
                println!(
                    "{{\"workload\":\"{}\",\"title\":\"{}\",\"layers\":{},\"width\":{},\"batch\":{},\"constant_weight\":{},\"flops_per_step\":{}}}",
                    w.name,
                    w.title,
                    w.layers,
                    w.width,
                    w.batch,
                    w.constant_weight
                        .map_or("null".to_string(), |v| v.to_string()),
                    w.flops_per_step()
                );
            }
            ExitCode::SUCCESS
        }
        [name, steps, rest @ ..] if rest.len() <= 1 => {
            let (Some(w), Ok(steps), Ok(warmup)) = (
                by_name(name),
                steps.parse::<usize>(),
                rest.first().map_or(Ok(3), |s| s.parse::<usize>()),
            ) else {
                eprintln!("{USAGE}");
                return ExitCode::FAILURE;
            };
            if steps == 0 {
                eprintln!("STEPS must be at least 1");
                return ExitCode::FAILURE;
            }
            let elapsed = w.time_steps(warmup, steps);
            let us = elapsed.as_secs_f64() * 1e6 / steps as f64;
            println!(
                "{{\"workload\":\"{}\",\"steps\":{},\"warmup\":{},\"us_per_step\":{:.3},\"gflops\":{:.2}}}",
                w.name,
                steps,
                warmup,
                us,
                w.flops_per_step() / us / 1e3
            );
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::FAILURE
        }
    }
}
