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

/// Bias values and gradients on the steps, the final parameters in `run_end`, worked
/// out by hand for `tests/json/bias_chain.grad` (x = 2, y = 0.5, lr = 0.125):
///
/// - forward: h = 0.5·2 + 0.25 = 1.25, out = 2·1.25 − 1 = 1.5, loss = (1.5 − 0.5)² = 1;
/// - backward: ∂L/∂out = 2·(1.5 − 0.5) = 2, so ∂L/∂b₂ = 2 and ∂L/∂w₂ = 2·h = 2.5;
///   ∂L/∂h = 2·w₂ = 4, so ∂L/∂b₁ = 4 and ∂L/∂w₁ = 4·x = 8;
/// - update: w₁ = 0.5 − 8/8 = −0.5, b₁ = 0.25 − 4/8 = −0.25, w₂ = 2 − 2.5/8 = 1.6875,
///   b₂ = −1 − 2/8 = −1.25.
#[test]
fn bias_chain_json_carries_biases_and_final_parameters() {
    let (code, stdout, stderr) = run_json("tests/json/bias_chain.grad");
    assert_eq!(code, 0, "{stderr}");
    assert_golden("tests/json/bias_chain.jsonl", &stdout);
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let step = events.iter().find(|e| e["event"] == "step").unwrap();
    let layer = |l: usize, field: &str| step["layers"][l][field].clone();
    assert_eq!(step["loss"], 1.0);
    assert_eq!(layer(0, "bias"), serde_json::json!([0.25]));
    assert_eq!(layer(0, "grad_bias"), serde_json::json!([4.0]));
    assert_eq!(layer(0, "grad_weights"), serde_json::json!([[8.0]]));
    assert_eq!(layer(1, "bias"), serde_json::json!([-1.0]));
    assert_eq!(layer(1, "grad_bias"), serde_json::json!([2.0]));
    assert_eq!(layer(1, "grad_weights"), serde_json::json!([[2.5]]));
    let end = events.iter().find(|e| e["event"] == "run_end").unwrap();
    let values: Vec<(String, serde_json::Value)> = end["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), t["values"].clone()))
        .collect();
    assert_eq!(
        values,
        [
            ("0.weight".to_string(), serde_json::json!([[-0.5]])),
            ("0.bias".to_string(), serde_json::json!([-0.25])),
            ("1.weight".to_string(), serde_json::json!([[1.6875]])),
            ("1.bias".to_string(), serde_json::json!([-1.25])),
        ]
    );
}

/// A run kept `as blown` that stops at a non-finite loss still binds its weights, after
/// a `kept_early` event that says they are those after step 1 of 5 (the text report's
/// note is in `tests/json/kept_early.stdout`).
#[test]
fn a_run_stopped_early_says_what_its_name_holds() {
    let (code, stdout, stderr) = run_json("tests/json/kept_early.grad");
    assert_eq!(code, 0, "{stderr}");
    assert_golden("tests/json/kept_early.jsonl", &stdout);
    let text = gradlab(&["run", "tests/json/kept_early.grad"]).run();
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    assert_golden("tests/json/kept_early.stdout", &text.stdout);
}

/// Without `show weights`, `run_end` carries no parameters (chain3 shows gradients).
#[test]
fn run_end_carries_parameters_only_with_show_weights() {
    let (_, stdout, _) = run_json("tests/json/chain3.grad");
    let end = stdout
        .lines()
        .find(|l| l.contains(r#""event":"run_end""#))
        .unwrap();
    assert!(!end.contains("parameters"), "{end}");
}

/// A compare row carries the accuracy of a classifier (and `null` for a regression), and
/// the verdict of a run that learned nothing is `stuck`.
#[test]
fn compare_rows_carry_final_accuracy_and_loss_verdicts() {
    let (code, stdout, stderr) = run_json("tests/json/stuck_classifier.grad");
    assert_eq!(code, 0, "{stderr}");
    let compares: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["event"] == "compare")
        .collect();
    assert_eq!(compares.len(), 2, "{stdout}");
    let rows = &compares[0]["rows"];
    assert_eq!(rows[0]["verdict"], "stuck", "{stdout}");
    assert_eq!(rows[0]["final_accuracy"], 0.5, "{stdout}");
    assert_eq!(rows[1]["verdict"], "healthy", "{stdout}");
    assert!(
        rows[1]["final_accuracy"].as_f64().unwrap() > 0.7,
        "{stdout}"
    );
    assert!(
        compares[1]["rows"][0]["final_accuracy"].is_null(),
        "{stdout}"
    );
}

/// `save` says what it wrote: the network, the file as the script names it, and how
/// many tensors (a batch-norm layer's running statistics and step count included).
#[test]
fn save_emits_a_saved_event() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("json_save");
    fs::create_dir_all(&dir).unwrap();
    let script = dir.join("save.grad");
    fs::write(
        &script,
        "network net {
    input 2
    dense 3 relu batchnorm
    dense 1 linear bias=none
}
save net to \"net.safetensors\"
",
    )
    .unwrap();
    let (code, stdout, stderr) = run_json(script.to_str().unwrap());
    assert_eq!(code, 0, "{stderr}");
    let event: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(event["event"], "saved", "{stdout}");
    assert_eq!(event["network"], "net");
    assert_eq!(event["file"], "net.safetensors");
    // 0.weight, 0.bias, 1.{weight, bias, running_mean, running_var,
    // num_batches_tracked}, 3.weight.
    assert_eq!(event["tensors"], 8);
    assert_eq!(event["location"]["line"], 6);
    assert!(dir.join("net.safetensors").is_file());
}
