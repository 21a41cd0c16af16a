//! The seed chain: 20 layers of `dense 1 relu weight=2.34 bias=none`, input 1.

mod support;

use gradlab::engine::*;
use support::events::{diags, steps, train_events};

fn chain(depth: usize) -> NetSpec {
    let layers = (0..depth).map(|i| {
        LayerSpec::dense(1, Activation::Relu)
            .with_weight(WeightSpec::Const(2.34))
            .with_bias(BiasSpec::None)
            .with_origin(1000 + i)
    });
    NetSpec::new(1, layers.collect())
}

fn one_row(target: f64) -> Dataset {
    Dataset {
        x: vec![1.0],
        y: vec![target],
        n: 1,
        x_dim: 1,
        y_dim: 1,
    }
}

fn spec(depth: usize, target: f64, steps: usize) -> TrainSpec {
    TrainSpec::new(chain(depth), one_row(target)).with_stop(Stop::Steps(steps))
}

#[test]
fn forward_is_exactly_24227962_in_f32() {
    let out = forward(&chain(20), 0, Precision::F32, &[vec![1.0]]).unwrap();
    assert_eq!(format!("{}", out[0][0] as f32), "24227962");
    let out64 = forward(&chain(20), 0, Precision::F64, &[vec![1.0]]).unwrap();
    assert!((out64[0][0] - 2.34f64.powi(20)).abs() < 1e-6);
}

#[test]
fn loss_and_first_gradient_with_target_zero() {
    let mut s = spec(20, 0.0, 1);
    s.detail = StepDetail::Values;
    let (events, summary) = train_events(&s);
    let st = steps(&events);
    assert_eq!(st.len(), 1);
    let loss = st[0].loss;
    assert!((loss / 5.87e14 - 1.0).abs() < 1e-3, "loss {loss}");
    let g1 = st[0].layers[0].grad_weight_norm;
    assert!((g1 / 5.017e14 - 1.0).abs() < 1e-3, "dL/dw1 {g1}");
    let gw = st[0].layers[0].grad_weights.as_ref().unwrap()[0][0];
    assert_eq!(gw, g1);
    assert_eq!(summary.stop_reason, StopReason::Completed);
    // the 2.34-per-layer growth is reported as exploding
    assert!(diags(&events).iter().any(|d| matches!(
        d,
        DiagnosticEvent::Exploding { factor_per_layer, .. } if (factor_per_layer - 2.34).abs() < 1e-3
    )));
}

#[test]
fn one_sgd_step_kills_the_chain() {
    let (events, _) = train_events(&spec(20, 1.0, 2));
    let st = steps(&events);
    assert_eq!(st.len(), 2);
    assert!(st[1].layers.iter().all(|l| l.dead));
    assert_eq!(st[1].loss, 1.0);
    assert_eq!(st[1].grad_norm, 0.0);
    let dead: Vec<_> = diags(&events)
        .into_iter()
        .filter(|d| matches!(d, DiagnosticEvent::DeadLayer { .. }))
        .collect();
    assert_eq!(dead.len(), 1);
    match dead[0] {
        DiagnosticEvent::DeadLayer {
            step,
            layer,
            origin,
            layers,
        } => {
            assert_eq!((*step, *layer, *origin), (2, 0, 1000));
            assert_eq!(layers.len(), 20);
        }
        _ => unreachable!(),
    }
}

#[test]
fn explain_predicts_overflow_depths() {
    let ex = explain(&chain(20), &one_row(1.0), LossKind::Mse, 0, Precision::F32).unwrap();
    assert_eq!(ex.factors.len(), 20);
    assert_eq!(ex.factors[0].layer, 19);
    for f in &ex.factors {
        assert!((f.factor - 2.34).abs() < 1e-6, "{f:?}");
        assert!((f.weight_factor - 2.34).abs() < 1e-6);
        assert_eq!(f.slope, 1.0);
    }
    assert_eq!(ex.first_unstable, Some(19));
    let o = &ex.overflow;
    assert_eq!(o.loss_f32, Some(53));
    assert_eq!(o.output_f32, Some(105));
    assert_eq!(o.grad_f32, Some(53));
    assert_eq!(o.output_f64, Some(835));
    assert!(o.loss_f64.unwrap() > 400);
}

#[test]
fn loss_overflow_is_located_and_stops() {
    // depth 53: the output is finite in f32 but the squared error overflows.
    let (events, summary) = train_events(&spec(53, 1.0, 5));
    assert_eq!(summary.stop_reason, StopReason::NonFinite);
    assert_eq!(summary.updates, 0);
    let d = diags(&events);
    assert!(matches!(
        d[0],
        DiagnosticEvent::NonFinite {
            step: 1,
            pass: Pass::Forward,
            layer: 52,
            created: true,
            stopped: true,
            site: NonFiniteSite::Loss,
            ..
        }
    ));
    // depth 52 is still finite
    let (_, summary) = train_events(&spec(52, 1.0, 1));
    assert_eq!(summary.stop_reason, StopReason::Completed);
    assert!(summary.final_loss.unwrap().is_finite());
}

#[test]
fn output_overflow_names_the_creating_layer() {
    let (events, _) = train_events(&spec(110, 1.0, 1));
    let d = diags(&events);
    assert!(
        matches!(
            d[0],
            DiagnosticEvent::NonFinite {
                pass: Pass::Forward,
                layer: 104,
                origin: 1104,
                created: true,
                site: NonFiniteSite::Layer,
                ..
            }
        ),
        "{:?}",
        d[0]
    );
    // in f64 the same chain is fine
    let mut s = spec(110, 1.0, 1);
    s.precision = Precision::F64;
    let (_, summary) = train_events(&s);
    assert!(summary.final_loss.unwrap().is_finite());
}
