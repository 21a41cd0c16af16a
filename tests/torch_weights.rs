//! Weights in and out: a safetensors file made by PyTorch (`tests/reference/
//! make_weights_fixture.py`, checked in with torch's output) loads into the equivalent
//! gradlab network, whose `forward` gives torch's numbers; and gradlab's own file loads
//! back bit for bit.

mod support;

use std::path::Path;

use gradlab::report::json::JsonReporter;
use gradlab::session::{EvalStatus, Mode, Redeclare, Session};

/// The JSON events of running `script`, which must succeed.
fn run(script: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut session = Session::new(Redeclare::Error);
    let status = session.eval(
        "weights.grad",
        script,
        Mode::Run,
        &mut JsonReporter { out: &mut out },
    );
    let events: Vec<serde_json::Value> = String::from_utf8(out)
        .expect("UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(status, EvalStatus::Ok, "{events:#?}");
    events
}

/// The values every printed event holds, in order.
fn printed(events: &[serde_json::Value]) -> Vec<serde_json::Value> {
    events
        .iter()
        .filter(|e| e["event"] == "print")
        .map(|e| e["value"].clone())
        .collect()
}

const TORCH_MLP: &str = "
    input 3
    dense 5 tanh batchnorm
    dense 4 relu layernorm bias=none
    dense 2 linear
";

#[test]
fn a_pytorch_mlp_loads_and_forward_matches_torch() {
    let dir = Path::new(support::ROOT).join("tests/reference/weights");
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("torch_mlp.json")).expect("the fixture's output"),
    )
    .expect("JSON");
    let file = dir.join("torch_mlp.safetensors");
    let script = format!(
        "network mlp from {:?} {{ {TORCH_MLP} }}\nprint forward(mlp, {})",
        file.display().to_string(),
        expected["rows"]
    );
    let got = printed(&run(&script));
    let got = got[0].as_array().expect("rows");
    let want = expected["output"].as_array().expect("rows");
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        for (g, w) in g.as_array().unwrap().iter().zip(w.as_array().unwrap()) {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!(
                (g - w).abs() <= 1e-5 * g.abs().max(w.abs()) + 1e-6,
                "gradlab {g} vs torch {w}"
            );
        }
    }
}

#[test]
fn gradlab_weights_round_trip_bit_for_bit() {
    let dir = Path::new(support::ROOT).join("target/torch-weights-test");
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let file = dir.join("trained.safetensors");
    let _ = std::fs::remove_file(&file);
    let net = "input 2 dense 6 tanh batchnorm dense 3 gelu layernorm dense 1 sigmoid";
    let script = format!(
        "precision f64
network n {{ {net} }}
data d = xor()
train n on d as fitted {{ loss bce optimizer adam(lr=0.1) steps 40 batch 2 }}
save fitted to {file:?}
network back from {file:?} {{ {net} }}
print forward(fitted, [[0, 0], [0, 1], [1, 0], [1, 1], [0.3, -7]])
print forward(back, [[0, 0], [0, 1], [1, 0], [1, 1], [0.3, -7]])
print forward(n, [[0, 1]])
train back on d as again {{ loss bce optimizer adam(lr=0.1) steps 5 batch 2 }}
train fitted on d as again2 {{ loss bce optimizer adam(lr=0.1) steps 5 batch 2 }}
save again to {again:?}
save again2 to {again2:?}
",
        file = file.display().to_string(),
        again = dir.join("again.safetensors").display().to_string(),
        again2 = dir.join("again2.safetensors").display().to_string(),
    );
    let values = printed(&run(&script));
    // The trained network and the one loaded from its file compute the same bits; the
    // declaration itself keeps its seeded weights.
    assert_eq!(values[0], values[1]);
    assert_ne!(values[0][1], values[2][0]);
    // Training either further gives the same file, byte for byte.
    let again = std::fs::read(dir.join("again.safetensors")).expect("again");
    let again2 = std::fs::read(dir.join("again2.safetensors")).expect("again2");
    assert_eq!(again, again2);
}
