//! `--format json`: every line is a JSON object with an `event`, for every example; and
//! one small script's whole output is checked in (`tests/json/chain3.jsonl`).
//!
//! The numbers in `chain3.jsonl` were checked against PyTorch, bit for bit in f32:
//!
//! ```python
//! ws = [torch.nn.Parameter(torch.tensor(2.34)) for _ in range(3)]
//! opt = torch.optim.SGD(ws, lr=0.001)
//! for step in range(2):
//!     opt.zero_grad(); a = torch.tensor(1.0)
//!     for w in ws: a = torch.relu(w * a)
//!     loss = ((a - 1.0) ** 2).mean(); loss.backward()
//!     print(a.item(), loss.item(), [w.grad.item() for w in ws]); opt.step()
//! # 12.81290340423584 139.54469299316406 [129.36546325683594] * 3
//! # 10.803159713745117 96.10194396972656 [95.81421661376953] * 3
//! ```
//!
//! Re-bless with `BLESS=1 cargo test --test json_output`, then check the diff.

mod support;

use std::fs;
use std::path::Path;

use support::ROOT;
use support::golden::assert_golden;
use support::process::gradlab;

fn run_json(script: &str) -> (i32, String, String) {
    let output = gradlab(&["run", "--format", "json", script]).run();
    (output.code.unwrap_or(-1), output.stdout, output.stderr)
}

#[test]
fn every_example_prints_json_lines() {
    let mut failures = Vec::new();
    let mut examples: Vec<_> = fs::read_dir(Path::new(ROOT).join("examples"))
        .expect("examples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "grad"))
        .collect();
    examples.sort();
    assert!(!examples.is_empty());
    for path in examples {
        let relative = path
            .strip_prefix(ROOT)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let (code, stdout, stderr) = run_json(&relative);
        if code != 0 {
            failures.push(format!("{relative}: exit {code}"));
        }
        if !stderr.is_empty() {
            failures.push(format!(
                "{relative}: stderr is not empty in JSON mode:\n{stderr}"
            ));
        }
        for (i, line) in stdout.lines().enumerate() {
            match serde_json::from_str::<serde_json::Value>(line) {
                Ok(value) if value.get("event").and_then(|e| e.as_str()).is_some() => {}
                Ok(_) => failures.push(format!("{relative}:{}: no \"event\" field", i + 1)),
                Err(e) => failures.push(format!("{relative}:{}: not JSON: {e}", i + 1)),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn script_errors_are_json_diagnostics_with_line_and_column() {
    let (code, stdout, stderr) = run_json("tests/json/unknown_loss.grad");
    assert_eq!(code, 1);
    assert!(stderr.is_empty(), "{stderr}");
    let event: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(event["event"], "diagnostic");
    assert_eq!(event["severity"], "error");
    assert_eq!(event["message"], "unknown loss `mse2`");
    assert_eq!(event["location"]["line"], 8);
    assert_eq!(event["location"]["column"], 10);
    assert_eq!(event["help"][0], "did you mean `mse`?");
}

#[test]
fn chain3_json_matches_the_checked_in_output() {
    let (code, stdout, stderr) = run_json("tests/json/chain3.grad");
    assert_eq!(code, 0, "{stderr}");
    assert_golden("tests/json/chain3.jsonl", &stdout);
}
