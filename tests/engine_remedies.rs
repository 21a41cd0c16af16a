//! Remedies through the public API: batch-norm refusals and degenerate layers, clipping
//! events and counts, schedules in the step records, init schemes, residual validation.

mod support;

use gradlab::engine::*;
use support::events::train_steps;

/// The runs of this file: SGD 0.05, seed 3, without the plateau detector.
fn spec(layers: Vec<LayerSpec>, data: Dataset, steps: usize) -> TrainSpec {
    TrainSpec::new(NetSpec::new(data.x_dim, layers), data)
        .with_optimizer(OptimizerSpec::sgd(0.05))
        .with_stop(Stop::Steps(steps))
        .with_seed(3)
        .with_thresholds(Thresholds {
            plateau_steps: 0,
            ..Thresholds::default()
        })
}

#[test]
fn batchnorm_refuses_one_row_batches() {
    let net = || {
        vec![
            LayerSpec::dense(4, Activation::Relu).with_batchnorm(),
            LayerSpec::dense(1, Activation::Linear),
        ]
    };
    let one = data::from_rows(&[vec![1.0]], &[vec![0.5]]).unwrap();
    let e = train(&spec(net(), one, 3), &mut |_| Control::Continue).unwrap_err();
    assert!(e.message().contains("at least 2 rows per batch"), "{e}");
    assert!(e.message().contains("single row"), "{e}");
    // A batch size cannot help one row, so the message does not suggest one.
    assert!(e.message().contains("use another remedy"), "{e}");
    assert!(!e.message().contains("batch size of at least 2"), "{e}");
    let mut s = spec(net(), data::sine(5, 1), 6);
    s.batch_size = Some(2); // 2 + 2 + 1
    let e = train(&s, &mut |_| Control::Continue).unwrap_err();
    assert!(e.message().contains("last batch of every epoch"), "{e}");
    assert!(e.message().contains("batch size of at least 2"), "{e}");
    s.batch_size = Some(1);
    assert!(train(&s, &mut |_| Control::Continue).is_err());
    // 2 + 2 + 1 but the run ends before the one-row batch
    s.batch_size = Some(2);
    s.stop = Stop::Steps(2);
    assert!(train(&s, &mut |_| Control::Continue).is_ok());
    s.batch_size = Some(3); // 3 + 2
    s.stop = Stop::Epochs(3);
    assert!(train(&s, &mut |_| Control::Continue).is_ok());
}

#[test]
fn degenerate_norms_are_explained_once() {
    // layernorm over one unit: always β
    let ln = LayerSpec::dense(1, Activation::Tanh).with_layernorm();
    let s = spec(
        vec![
            LayerSpec::dense(3, Activation::Tanh),
            ln,
            LayerSpec::dense(1, Activation::Linear),
        ],
        data::sine(8, 2),
        5,
    );
    let (_, summary) = train_steps(&s);
    let d: Vec<_> = summary
        .diagnostics
        .iter()
        .filter(|d| matches!(d, DiagnosticEvent::DegenerateNorm { .. }))
        .collect();
    assert_eq!(
        d,
        [&DiagnosticEvent::DegenerateNorm {
            step: 1,
            layer: 1,
            origin: 0,
            reason: DegenerateReason::LayerNormWidthOne
        }]
    );
    // batchnorm fed identical rows: zero variance in every unit
    let same = data::from_rows(&vec![vec![0.5, -1.0]; 4], &vec![vec![1.0]; 4]).unwrap();
    let s = spec(
        vec![
            LayerSpec::dense(3, Activation::Relu).with_batchnorm(),
            LayerSpec::dense(1, Activation::Linear),
        ],
        same,
        3,
    );
    let (_, summary) = train_steps(&s);
    assert!(summary.diagnostics.iter().any(|d| matches!(
        d,
        DiagnosticEvent::DegenerateNorm {
            layer: 0,
            reason: DegenerateReason::BatchNormConstantBatch,
            ..
        }
    )));
}

#[test]
fn batchnorm_running_statistics_reach_the_summary_and_eval_forward() {
    let s = spec(
        vec![
            LayerSpec::dense(4, Activation::Tanh).with_batchnorm(),
            LayerSpec::dense(1, Activation::Linear),
        ],
        data::sine(16, 4),
        7,
    );
    let (_, summary) = train_steps(&s);
    let np = summary.params.layers[0].norm.as_ref().unwrap();
    let rm = np.running_mean.as_ref().unwrap();
    let rv = np.running_var.as_ref().unwrap();
    assert!(rm.iter().any(|&v| v != 0.0) && rv.iter().any(|&v| v != 1.0));
    assert!(summary.params.layers[1].norm.is_none());
    // evaluation mode: one row works, and the output uses the running statistics
    let out = forward_with(&s.net, &summary.params, Precision::F64, &[vec![0.3]]).unwrap();
    let lp = &summary.params.layers[0];
    let mut want = lp.bias.as_ref().unwrap().clone();
    let l1 = &summary.params.layers[1];
    let mut y = l1.bias.as_ref().unwrap()[0];
    for j in 0..4 {
        want[j] += lp.weight[j][0] * 0.3;
        let z = (want[j] - rm[j]) / (rv[j] + 1e-5).sqrt() * np.gamma[j] + np.beta[j];
        y += l1.weight[0][j] * z.tanh();
    }
    assert!((out[0][0] - y).abs() < 1e-12, "{} vs {y}", out[0][0]);
}

#[test]
fn clipping_is_counted_and_recorded() {
    let mut s = spec(
        vec![
            LayerSpec::dense(8, Activation::Tanh),
            LayerSpec::dense(1, Activation::Linear),
        ],
        data::sine(20, 1),
        10,
    );
    let (recs, summary) = train_steps(&s);
    assert!(recs.iter().all(|r| r.clipped_norm.is_none() && !r.clipped));
    assert_eq!(summary.clipped_steps, 0);
    let bound = recs[0].grad_norm / 2.0;
    s.remedies.clip_norm = Some(ClipNorm::global(bound));
    let (recs, summary) = train_steps(&s);
    let first = &recs[0];
    assert!(first.clipped);
    assert!((first.clipped_norm.unwrap() - bound).abs() < 1e-5 * bound);
    assert_eq!(
        summary.clipped_steps,
        recs.iter().filter(|r| r.clipped).count()
    );
    for r in &recs {
        assert!(r.clipped_norm.unwrap() <= r.grad_norm * (1.0 + 1e-6));
    }
    // clip_value
    s.remedies.clip_norm = None;
    s.remedies.clip_value = Some(1e-3);
    let (recs, _) = train_steps(&s);
    assert!(recs[0].clipped);
}

#[test]
fn clipping_a_non_finite_norm_is_reported() {
    // the 60-layer chain of weight 2.34 in f32: the backward pass overflows to inf
    let layers = (0..60)
        .map(|_| {
            LayerSpec::dense(1, Activation::Relu)
                .with_weight(WeightSpec::Const(2.34))
                .with_bias(BiasSpec::None)
        })
        .collect();
    let mut s = spec(
        layers,
        data::from_rows(&[vec![1.0]], &[vec![1.0]]).unwrap(),
        1,
    );
    s.remedies.clip_norm = Some(ClipNorm::global(1.0));
    s.continue_on_nonfinite = true;
    let (recs, summary) = train_steps(&s);
    assert!(recs[0].grad_norm.is_infinite() || recs[0].grad_norm.is_nan());
    let kinds: Vec<&str> = summary
        .diagnostics
        .iter()
        .map(|d| match d {
            DiagnosticEvent::NonFinite { .. } => "nonfinite",
            DiagnosticEvent::ClipNonFinite { .. } => "clip",
            _ => "other",
        })
        .collect();
    assert_eq!(&kinds[..2], ["nonfinite", "clip"]);
}

#[test]
fn schedules_and_weight_decay_reach_the_records() {
    let mut s = spec(
        vec![
            LayerSpec::dense(4, Activation::Tanh),
            LayerSpec::dense(1, Activation::Linear),
        ],
        data::sine(10, 1),
        6,
    );
    s.remedies.schedules = vec![
        Schedule::Warmup { steps: 2 },
        Schedule::StepDecay {
            every: 4,
            factor: 0.1,
        },
    ];
    let (recs, _) = train_steps(&s);
    let lrs: Vec<f64> = recs.iter().map(|r| r.lr).collect();
    let want = [0.025, 0.0375, 0.05, 0.05, 0.005, 0.005];
    for (a, b) in lrs.iter().zip(want) {
        assert!((a - b).abs() < 1e-15, "{lrs:?}");
    }
    // the weight-decay remedy adds to the optimizer's own
    let mut a = spec(
        vec![
            LayerSpec::dense(4, Activation::Tanh),
            LayerSpec::dense(1, Activation::Linear),
        ],
        data::sine(10, 1),
        4,
    );
    a.precision = Precision::F64;
    let mut b = a.clone();
    let sgd = |weight_decay| OptimizerSpec::Sgd {
        lr: 0.05,
        momentum: 0.9,
        nesterov: false,
        weight_decay,
    };
    a.optimizer = sgd(0.03);
    b.optimizer = sgd(0.01);
    b.remedies.weight_decay = Some(0.02);
    let pa = train_steps(&a).1.params;
    let pb = train_steps(&b).1.params;
    for (la, lb) in pa.layers.iter().zip(&pb.layers) {
        for (x, y) in la.weight.iter().flatten().zip(lb.weight.iter().flatten()) {
            assert!((x - y).abs() < 1e-15);
        }
    }
}

#[test]
fn init_schemes_are_seeded_and_per_layer() {
    let he = InitScheme::KaimingNormal {
        mode: FanMode::FanIn,
        nonlinearity: Nonlinearity::Relu,
    };
    let net = |w0: WeightSpec, w1: WeightSpec| {
        NetSpec::new(
            5,
            vec![
                LayerSpec::dense(6, Activation::Relu).with_weight(w0),
                LayerSpec::dense(3, Activation::Linear).with_weight(w1),
            ],
        )
    };
    let a = init_params(&net(WeightSpec::Init(he), WeightSpec::Default), 11).unwrap();
    let b = init_params(&net(WeightSpec::Init(he), WeightSpec::Default), 11).unwrap();
    let c = init_params(&net(WeightSpec::Init(he), WeightSpec::Default), 12).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.layers[0].weight, c.layers[0].weight);
    // overriding layer 1 changes neither layer 0 nor the default biases
    let d = init_params(
        &net(
            WeightSpec::Init(he),
            WeightSpec::Init(InitScheme::Orthogonal { gain: 1.0 }),
        ),
        11,
    )
    .unwrap();
    assert_eq!(a.layers[0], d.layers[0]);
    assert_eq!(a.layers[1].bias, d.layers[1].bias);
    // the scheme of layer 0 does not touch the default values of layer 1
    let e = init_params(&net(WeightSpec::Default, WeightSpec::Default), 11).unwrap();
    assert_eq!(a.layers[1], e.layers[1]);
    assert_eq!(a.layers[0].bias, e.layers[0].bias);
    // pytorch_default = Default; const sets the bias too
    let f = init_params(
        &net(
            WeightSpec::Init(InitScheme::PytorchDefault),
            WeightSpec::Init(InitScheme::Const(0.25)),
        ),
        11,
    )
    .unwrap();
    assert_eq!(f.layers[0], e.layers[0]);
    assert!(f.layers[1].weight.iter().flatten().all(|&w| w == 0.25));
    assert_eq!(f.layers[1].bias, Some(vec![0.25; 3]));
}

#[test]
fn residual_and_norm_validation() {
    let mut s = spec(
        vec![
            LayerSpec::dense(3, Activation::Tanh),
            LayerSpec::dense(2, Activation::Tanh),
            LayerSpec::dense(1, Activation::Linear),
        ],
        data::sine(8, 1),
        2,
    );
    s.net.residuals = vec![Residual { first: 1, last: 1 }];
    let e = train(&s, &mut |_| Control::Continue).unwrap_err();
    assert!(e.message().contains("widths must match"), "{e}");
    s.net.residuals = vec![Residual { first: 2, last: 5 }];
    assert!(train(&s, &mut |_| Control::Continue).is_err());
    s.net.residuals = vec![];
    s.net.layers[0].batchnorm = true;
    s.net.layers[0].layernorm = true;
    let e = train(&s, &mut |_| Control::Continue).unwrap_err();
    assert!(e.message().contains("cannot both"), "{e}");
}

#[test]
fn explain_runs_in_evaluation_mode_with_norms_and_skips() {
    let net = NetSpec::new(
        1,
        vec![
            LayerSpec::dense(4, Activation::Tanh).with_batchnorm(),
            LayerSpec::dense(4, Activation::Gelu).with_layernorm(),
            LayerSpec::dense(1, Activation::Linear),
        ],
    )
    .with_residual(1, 1);
    // one row is fine in evaluation mode
    let one = data::from_rows(&[vec![0.5]], &[vec![1.0]]).unwrap();
    let ex = explain(&net, &one, LossKind::Mse, 1, Precision::F32).unwrap();
    assert_eq!(ex.factors.len(), 3);
    assert!(ex.loss.is_finite());
    // the loss explain reports is the evaluation-mode forward's
    let out = forward(&net, 1, Precision::F32, &[vec![0.5]]).unwrap();
    assert!(((out[0][0] - 1.0).powi(2) - ex.loss).abs() < 1e-6 * ex.loss.max(1.0));
}
