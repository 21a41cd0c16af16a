//! Training loop behaviour: determinism, batching, errors, non-finite handling, detectors.

mod common;

use common::events::{diags, run, steps};
use gradlab::engine::data;
use gradlab::engine::*;

fn dense(width: usize, activation: Activation, origin: usize) -> LayerSpec {
    LayerSpec {
        width,
        activation,
        weight: WeightSpec::Default,
        bias: BiasSpec::Default,
        origin,
        batchnorm: false,
        layernorm: false,
    }
}

fn spiral_spec() -> TrainSpec {
    TrainSpec {
        net: NetSpec {
            residuals: Vec::new(),
            input: 2,
            layers: vec![
                dense(16, Activation::Relu, 1),
                dense(16, Activation::Tanh, 2),
                dense(3, Activation::Linear, 3),
            ],
        },
        data: data::spiral(20, 3, 0.2, 5),
        loss: LossKind::CrossEntropy,
        optimizer: OptimizerSpec::Adam {
            lr: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        },
        stop: Stop::Epochs(4),
        batch_size: Some(16),
        seed: 42,
        precision: Precision::F32,
        thresholds: Thresholds::default(),
        continue_on_nonfinite: false,
        record_values: false,
        remedies: Default::default(),
    }
}

#[test]
fn same_seed_same_records() {
    let spec = spiral_spec();
    let (a, sa) = run(&spec);
    let (b, sb) = run(&spec);
    assert_eq!(a, b);
    assert_eq!(sa, sb);
    let mut other = spec.clone();
    other.seed = 43;
    let (c, _) = run(&other);
    assert_ne!(a, c);
}

#[test]
fn epochs_and_steps_count_as_documented() {
    let spec = spiral_spec(); // 60 rows, batch 16 → 4 steps per epoch
    let (events, summary) = run(&spec);
    let st = steps(&events);
    assert_eq!(st.len(), 16);
    assert_eq!(summary.steps, 16);
    assert_eq!(summary.updates, 16);
    assert_eq!(summary.epochs, 4);
    assert_eq!(st[3].epoch, 1);
    assert_eq!(st[4].epoch, 2);
    assert!(st.iter().all(|s| s.accuracy.is_some()));
    assert_eq!(st[0].loss_change, None);
    assert!(st[1].loss_change.is_some());

    let mut by_steps = spec.clone();
    by_steps.stop = Stop::Steps(10);
    let (events, summary) = run(&by_steps);
    assert_eq!(steps(&events).len(), 10);
    assert_eq!(steps(&events)[9].epoch, 3);
    assert_eq!(summary.epochs, 2);
    // the first 10 steps are the same as in the epoch-based run
    let (all, _) = run(&spec);
    assert_eq!(steps(&events), steps(&all)[..10].to_vec());
}

#[test]
fn training_learns_xor_in_f64() {
    let spec = TrainSpec {
        net: NetSpec {
            residuals: Vec::new(),
            input: 2,
            layers: vec![
                dense(8, Activation::Tanh, 0),
                dense(1, Activation::Linear, 1),
            ],
        },
        data: data::xor(),
        loss: LossKind::Bce,
        optimizer: OptimizerSpec::Adam {
            lr: 0.05,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        },
        stop: Stop::Steps(300),
        batch_size: None,
        seed: 1,
        precision: Precision::F64,
        thresholds: Thresholds::default(),
        continue_on_nonfinite: false,
        record_values: false,
        remedies: Default::default(),
    };
    let (events, summary) = run(&spec);
    assert_eq!(summary.final_accuracy, Some(1.0));
    assert!(summary.final_loss.unwrap() < 0.1);
    let out = forward_with(
        &spec.net,
        &summary.params,
        Precision::F64,
        &[vec![0.0, 1.0], vec![1.0, 1.0]],
    )
    .unwrap();
    assert!(out[0][0] > 0.0 && out[1][0] < 0.0);
    assert!(
        !diags(&events)
            .iter()
            .any(|d| matches!(d, DiagnosticEvent::PoorTraining { .. }))
    );
}

#[test]
fn f32_runs_compute_in_f32() {
    let mut spec = spiral_spec();
    spec.stop = Stop::Steps(1);
    let (events, _) = run(&spec);
    let s = steps(&events)[0];
    assert_eq!(s.loss, s.loss as f32 as f64);
    assert_eq!(s.grad_norm, s.grad_norm as f32 as f64);
    spec.precision = Precision::F64;
    let (events64, _) = run(&spec);
    let s64 = steps(&events64)[0];
    assert!((s.loss - s64.loss).abs() < 1e-5);
    assert_ne!(s.loss, s64.loss);
}

#[test]
fn nan_input_is_reported_not_panicking() {
    let mut spec = spiral_spec();
    spec.data.x[0] = f64::NAN;
    spec.batch_size = None;
    let (events, summary) = run(&spec);
    assert_eq!(summary.stop_reason, StopReason::NonFinite);
    assert!(matches!(
        diags(&events)[0],
        DiagnosticEvent::NonFinite {
            step: 1,
            pass: Pass::Forward,
            layer: 0,
            origin: 1,
            created: false,
            stopped: true,
            site: NonFiniteSite::Input
        }
    ));

    // continue_on_nonfinite keeps going and reports once
    spec.continue_on_nonfinite = true;
    spec.stop = Stop::Steps(5);
    let (events, summary) = run(&spec);
    assert_eq!(summary.steps, 5);
    assert_eq!(summary.stop_reason, StopReason::Completed);
    let nf = diags(&events)
        .iter()
        .filter(|d| matches!(d, DiagnosticEvent::NonFinite { .. }))
        .count();
    assert_eq!(nf, 1);
}

#[test]
fn huge_learning_rate_explodes_then_goes_non_finite() {
    let mut spec = spiral_spec();
    spec.optimizer = OptimizerSpec::Sgd {
        lr: 1e6,
        momentum: 0.0,
        nesterov: false,
        weight_decay: 0.0,
    };
    spec.loss = LossKind::Mse;
    spec.data = data::linear(32, 0.1, 3);
    spec.net = NetSpec {
        residuals: Vec::new(),
        input: 1,
        layers: vec![
            dense(8, Activation::Linear, 1),
            dense(8, Activation::Linear, 2),
            dense(1, Activation::Linear, 3),
        ],
    };
    spec.stop = Stop::Steps(50);
    let (events, summary) = run(&spec);
    assert_eq!(summary.stop_reason, StopReason::NonFinite);
    let d = diags(&events);
    let kinds: Vec<&str> = d
        .iter()
        .map(|d| match d {
            DiagnosticEvent::NonFinite { .. } => "nonfinite",
            DiagnosticEvent::LossJump { .. } => "jump",
            DiagnosticEvent::Exploding { .. } => "exploding",
            _ => "other",
        })
        .collect();
    assert!(kinds.contains(&"jump"), "{kinds:?}");
    assert!(kinds.contains(&"exploding"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"nonfinite"));
}

#[test]
fn deep_sigmoid_vanishes() {
    let layers = (0..12)
        .map(|i| dense(8, Activation::Sigmoid, i))
        .chain(std::iter::once(dense(1, Activation::Linear, 99)))
        .collect();
    let spec = TrainSpec {
        net: NetSpec {
            input: 1,
            layers,
            residuals: Vec::new(),
        },
        data: data::sine(32, 2),
        loss: LossKind::Mse,
        optimizer: OptimizerSpec::Sgd {
            lr: 0.01,
            momentum: 0.9,
            nesterov: false,
            weight_decay: 0.0,
        },
        stop: Stop::Steps(3),
        batch_size: None,
        seed: 3,
        precision: Precision::F32,
        thresholds: Thresholds::default(),
        continue_on_nonfinite: false,
        record_values: false,
        remedies: Default::default(),
    };
    let (events, _) = run(&spec);
    let v = diags(&events)
        .into_iter()
        .find(|d| matches!(d, DiagnosticEvent::Vanishing { .. }))
        .expect("vanishing");
    match v {
        DiagnosticEvent::Vanishing { step, ratio, .. } => {
            assert_eq!(*step, 1);
            assert!(*ratio < 1e-4);
        }
        _ => unreachable!(),
    }
    let ex = explain(&spec.net, &spec.data, spec.loss, 3, Precision::F32).unwrap();
    assert_eq!(ex.factors.len(), 13);
    assert!(ex.factors.last().unwrap().running_product.abs() < 1e-3);
    assert!(ex.first_unstable.is_some());
    assert_eq!(ex.overflow.output_f32, None);
}

#[test]
fn interrupt_stops_immediately() {
    let spec = spiral_spec();
    let mut n = 0;
    let summary = train(&spec, &mut |e| {
        if matches!(e, Event::Step(_)) {
            n += 1;
        }
        if n == 3 {
            Control::Stop
        } else {
            Control::Continue
        }
    })
    .unwrap();
    assert_eq!(summary.stop_reason, StopReason::Interrupted);
    assert_eq!(summary.steps, 3);
    assert_eq!(summary.updates, 2);
}

#[test]
fn bad_inputs_are_errors() {
    let base = spiral_spec();
    let mut cb = |_: &Event| Control::Continue;

    let mut s = base.clone();
    s.data.x_dim = 3;
    assert!(matches!(train(&s, &mut cb), Err(EngineError::Data(_))));

    let mut s = base.clone();
    s.data.y[4] = 3.0; // class index out of range for 3 outputs
    let e = train(&s, &mut cb).unwrap_err();
    assert!(e.message().contains("row 5"), "{e}");

    let mut s = base.clone();
    s.data.y[0] = f64::NAN;
    assert!(train(&s, &mut cb).is_err());

    let mut s = base.clone();
    s.batch_size = Some(0);
    assert!(matches!(train(&s, &mut cb), Err(EngineError::Config(_))));

    let mut s = base.clone();
    s.net.layers[1].width = 0;
    assert!(matches!(train(&s, &mut cb), Err(EngineError::Net(_))));

    let mut s = base.clone();
    s.loss = LossKind::Mse; // y_dim 1 vs 3 outputs
    assert!(train(&s, &mut cb).is_err());

    let mut s = base.clone();
    s.data.n = 0;
    s.data.x.clear();
    s.data.y.clear();
    assert!(train(&s, &mut cb).is_err());

    assert!(forward(&base.net, 0, Precision::F32, &[vec![1.0]]).is_err());
    assert_eq!(
        forward(&base.net, 0, Precision::F32, &[]).unwrap(),
        Vec::<Vec<f64>>::new()
    );

    // weird but legal values never panic
    let mut s = base.clone();
    s.thresholds = Thresholds {
        loss_jump_factor: f64::NAN,
        plateau_steps: usize::MAX,
        plateau_fraction: f64::INFINITY,
        explode_factor: -1.0,
        explode_norm: f64::NAN,
        vanish_ratio: f64::INFINITY,
    };
    s.stop = Stop::Steps(3);
    assert!(train(&s, &mut cb).is_ok());
    s.stop = Stop::Steps(0);
    let sum = train(&s, &mut cb).unwrap();
    assert_eq!(sum.steps, 0);
    assert_eq!(sum.final_loss, None);
}

#[test]
fn record_values_and_plateau() {
    // a linear model with lr 0 never improves: plateau, ended-above-or-equal not reported.
    let spec = TrainSpec {
        net: NetSpec {
            residuals: Vec::new(),
            input: 1,
            layers: vec![dense(1, Activation::Linear, 7)],
        },
        data: data::linear(8, 0.0, 1),
        loss: LossKind::Mae,
        optimizer: OptimizerSpec::RmsProp {
            lr: 0.0,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
        },
        stop: Stop::Steps(60),
        batch_size: None,
        seed: 9,
        precision: Precision::F64,
        thresholds: Thresholds::default(),
        continue_on_nonfinite: false,
        record_values: true,
        remedies: Default::default(),
    };
    let (events, _) = run(&spec);
    let st = steps(&events);
    assert_eq!(st[0].layers[0].weights.as_ref().unwrap().len(), 1);
    let d = diags(&events);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(matches!(
        d[0],
        DiagnosticEvent::PoorTraining {
            step: 50,
            reason: PoorReason::Plateau { window: 50, .. }
        }
    ));
}
