//! The `step` event is written without a `Value` tree; it must read exactly as the
//! `Value` it replaced, which is kept here as the reference.

use serde_json::{Value, json};

use super::write_step;
use crate::engine::{LayerStats, StepRecord};
use crate::format;

/// The `step` event as it was built before, one `Value` per step.
fn step_value(r: &StepRecord) -> Value {
    fn number(x: f64) -> Value {
        if x.is_finite() {
            json!(x)
        } else {
            json!(format::number(x))
        }
    }
    let matrix = |m: &Vec<Vec<f64>>| -> Value {
        json!(
            m.iter()
                .map(|row| row.iter().map(|x| number(*x)).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        )
    };
    let layers: Vec<Value> = r
        .layers
        .iter()
        .map(|s| {
            let mut layer = json!({
                "layer": s.index + 1,
                "weight_mean": number(s.weight_mean),
                "weight_std": number(s.weight_std),
                "weight_norm": number(s.weight_norm),
                "grad_weight_norm": number(s.grad_weight_norm),
                "grad_bias_norm": s.grad_bias_norm.map(number),
                "grad_output_norm": number(s.grad_output_norm),
                "gain": number(s.gain),
                "dead": s.dead,
            });
            if let Some(w) = &s.weights {
                layer["weights"] = matrix(w);
            }
            if let Some(g) = &s.grad_weights {
                layer["grad_weights"] = matrix(g);
            }
            layer
        })
        .collect();
    json!({
        "event": "step",
        "step": r.step,
        "epoch": r.epoch,
        "loss": number(r.loss),
        "loss_change": r.loss_change.map(number),
        "grad_norm": number(r.grad_norm),
        "clipped_norm": r.clipped_norm.map(number),
        "clipped": r.clipped,
        "lr": number(r.lr),
        "accuracy": r.accuracy.map(number),
        "layers": layers,
    })
}

fn layer(index: usize, values: bool) -> LayerStats {
    let matrix = |m: &[&[f64]]| values.then(|| m.iter().map(|row| row.to_vec()).collect());
    LayerStats {
        index,
        origin: 7,
        weight_mean: -0.0,
        weight_std: 1e-300,
        weight_norm: 2.34f32 as f64,
        grad_weight_norm: f64::INFINITY,
        grad_bias_norm: values.then_some(f64::NEG_INFINITY),
        grad_affine_norm: Some(3.0),
        grad_output_norm: f64::NAN,
        gain: 1e20,
        dead: values,
        weights: matrix(&[&[1.0, f64::NAN], &[-2.5e-7, f64::INFINITY]]),
        grad_weights: matrix(&[&[f64::NEG_INFINITY, 0.1], &[123456789.0, 0.0]]),
    }
}

fn written(record: &StepRecord) -> String {
    let mut out = Vec::new();
    write_step(&mut out, record, true).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_step_reads_as_its_value_tree_did() {
    let full = StepRecord {
        step: 12,
        epoch: 3,
        loss: f64::NAN,
        loss_change: Some(f64::INFINITY),
        grad_norm: f64::NEG_INFINITY,
        clipped_norm: Some(1.0),
        clipped: true,
        lr: 0.001,
        accuracy: Some(0.75),
        layers: vec![layer(0, true), layer(1, false), layer(2, true)],
    };
    let bare = StepRecord {
        loss: 139.54469299316406,
        loss_change: None,
        grad_norm: 224.06756591796875,
        clipped_norm: None,
        clipped: false,
        accuracy: None,
        layers: Vec::new(),
        ..full.clone()
    };
    for record in [&full, &bare] {
        assert_eq!(written(record), format!("{}\n", step_value(record)));
    }
    // The reference must cover what it claims to: strings for non-finite numbers,
    // nulls, and matrices both present and absent.
    let line = written(&full);
    for part in [
        r#""loss":"nan""#,
        r#""grad_norm":"-inf""#,
        r#""grad_bias_norm":null"#,
        r#""weights":[[1.0,"nan"],"#,
        r#""layer":2,"weight_mean":-0.0,"weight_norm":2.3399999141693115,"weight_std":1e-300}"#,
    ] {
        assert!(line.contains(part), "{part} not in {line}");
    }
    assert!(written(&bare).contains(r#""layers":[]"#));
}
