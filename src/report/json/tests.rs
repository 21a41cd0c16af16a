//! The `step` event is written without a `Value` tree; it must read exactly as the
//! `Value` it replaced, which is kept here as the reference.

use serde_json::{Value, json};

use super::write_step;
use crate::engine::{LayerStats, StepRecord};
use crate::format;
use crate::report::info::RunInfo;

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
                let vector = |v: &Option<Vec<f64>>| {
                    json!(
                        v.as_ref()
                            .map(|v| v.iter().map(|x| number(*x)).collect::<Vec<_>>())
                    )
                };
                layer["bias"] = vector(&s.bias);
                layer["grad_bias"] = vector(&s.grad_bias);
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
        // The first layer has a bias, the others none.
        bias: (values && index == 0).then(|| vec![0.5, f64::NAN]),
        grad_bias: (values && index == 0).then(|| vec![-0.25, 1e-45]),
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
        r#""bias":[0.5,"nan"],"dead":true"#,
        r#""grad_bias":[-0.25,1e-45],"grad_bias_norm":"-inf""#,
        r#""bias":null,"dead":true"#,
        r#""grad_bias":null,"grad_bias_norm":"-inf""#,
        r#""layer":2,"weight_mean":-0.0,"weight_norm":2.3399999141693115,"weight_std":1e-300}"#,
    ] {
        assert!(line.contains(part), "{part} not in {line}");
    }
    assert!(written(&bare).contains(r#""layers":[]"#));
}

/// `run_end`'s parameters: every tensor of the saved file but `num_batches_tracked`,
/// under its name, with the engine's numbers as they are.
#[test]
fn the_final_parameters_are_named_as_in_a_saved_file() {
    use super::parameters::{numbers, parameters};
    use crate::engine::{
        Activation, BiasSpec, LayerParams, LayerSpec, NetSpec, NormParams, Params,
    };
    use crate::weights::names::state_dict;

    let mut normed = LayerSpec::dense(2, Activation::Relu);
    normed.batchnorm = true;
    let mut last = LayerSpec::dense(1, Activation::Linear);
    last.bias = BiasSpec::None;
    let net = NetSpec::new(3, vec![normed, last]);
    let params = Params {
        layers: vec![
            LayerParams {
                weight: vec![vec![0.1f32 as f64, 2.0, -3.0], vec![4.0, 5.0, f64::NAN]],
                bias: Some(vec![0.5, -0.5]),
                norm: Some(NormParams {
                    gamma: vec![1.0, 1.5],
                    beta: vec![0.0, -1.0],
                    running_mean: Some(vec![0.25, 0.75]),
                    running_var: Some(vec![2.0, 3.0]),
                }),
            },
            LayerParams {
                weight: vec![vec![7.0, 8.0]],
                bias: None,
                norm: None,
            },
        ],
    };
    let tensors = state_dict(&net);
    let written = parameters(&tensors, &params);
    let tensor = |name: &str, layer: usize, shape: &[usize], values: Value| json!({"name": name, "layer": layer, "shape": shape, "values": values});
    assert_eq!(
        written,
        json!([
            tensor(
                "0.weight",
                1,
                &[2, 3],
                json!([[0.10000000149011612, 2.0, -3.0], [4.0, 5.0, "nan"]])
            ),
            tensor("0.bias", 1, &[2], json!([0.5, -0.5])),
            tensor("1.weight", 1, &[2], json!([1.0, 1.5])),
            tensor("1.bias", 1, &[2], json!([0.0, -1.0])),
            tensor("1.running_mean", 1, &[2], json!([0.25, 0.75])),
            tensor("1.running_var", 1, &[2], json!([2.0, 3.0])),
            tensor("3.weight", 2, &[1, 2], json!([[7.0, 8.0]])),
        ])
    );
    // What the budget counts is what is written: 6 + 2 + 4 × 2 + 2.
    assert_eq!(numbers(&tensors), 18);
}

/// A run showing weights of a network with one weight tensor of `rows × columns`.
fn run_showing_weights(rows: usize, columns: usize, planned_steps: usize) -> RunInfo {
    use crate::diagnostics::Span;
    use crate::engine::{LossKind, Precision, Thresholds};
    use crate::report::info::{Settings, ShowOptions};
    use crate::weights::names::{Role, TensorName};
    RunInfo {
        kind: "train",
        network: "wide".into(),
        data: "d".into(),
        span: Span { start: 0, end: 1 },
        layers: Vec::new(),
        settings: Settings {
            loss: LossKind::Mse,
            training: None,
            precision: Precision::F32,
            seed: 0,
        },
        planned_steps,
        show: ShowOptions {
            weights: true,
            every: Some(1),
            ..ShowOptions::default()
        },
        depth: None,
        thresholds: Thresholds::default(),
        clipping: false,
        residual: false,
        normalised: false,
        tensors: vec![TensorName {
            name: "0.weight".into(),
            layer: 0,
            role: Role::Weight,
            shape: vec![rows, columns],
        }],
        result: None,
    }
}

/// The final parameters share the steps' budget: when they fit, the steps get what they
/// leave; when they do not, they are left out with a warning.
#[test]
fn the_final_parameters_count_against_the_budget() {
    use super::matrices::{BUDGET, Matrices, parameters_fit, parameters_skipped};
    let record = |numbers: usize| StepRecord {
        step: 1,
        epoch: 1,
        loss: 1.0,
        loss_change: None,
        grad_norm: 1.0,
        clipped_norm: None,
        clipped: false,
        lr: 0.1,
        accuracy: None,
        layers: vec![LayerStats {
            weights: Some(vec![vec![0.0; numbers / 2]]),
            grad_weights: Some(vec![vec![0.0; numbers / 2]]),
            bias: None,
            grad_bias: None,
            ..layer(0, false)
        }],
    };
    // 10 steps of 800,000 numbers fit alone (8,000,000), not beside 4,000,000 parameters.
    let small = run_showing_weights(1, 1, 10);
    assert!(parameters_fit(&small));
    assert_eq!(Matrices::of(&record(800_000), &small), Matrices::Every(1));
    let large = run_showing_weights(2000, 2000, 10);
    assert!(parameters_fit(&large));
    assert_ne!(Matrices::of(&record(800_000), &large), Matrices::Every(1));
    assert!(
        Matrices::of(&record(800_000), &large)
            .thinned(&record(800_000), &large)
            .unwrap()
            .contains(&format!("the 6000000 left of the budget of {BUDGET}"))
    );
    // Parameters over the budget on their own: left out, and said so.
    let huge = run_showing_weights(4000, 3000, 10);
    assert!(!parameters_fit(&huge));
    let message = parameters_skipped(&huge).unwrap();
    assert!(message.contains("12000000 numbers"), "{message}");
    assert_eq!(Matrices::of(&record(800_000), &huge), Matrices::Every(1));
    // Without `show weights` nothing is written, so nothing is skipped.
    let mut gradients = run_showing_weights(4000, 3000, 10);
    gradients.show.weights = false;
    assert!(!parameters_fit(&gradients) && parameters_skipped(&gradients).is_none());
}
