//! Finite-difference gradient checks (f64, central differences) of the whole network:
//! every activation × every loss × bias / no bias, depth 3.

use super::loss::loss_and_grad;
use super::network::{Network, Workspace};
use super::params::init_params;
use super::types::{Activation, BiasSpec, LayerSpec, LossKind, NetSpec, Residual, WeightSpec};

const ACTS: [Activation; 8] = [
    Activation::Relu,
    Activation::LeakyRelu { slope: 0.05 },
    Activation::Elu { alpha: 0.7 },
    Activation::Gelu,
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Softplus,
    Activation::Linear,
];

fn loss_of(net: &Network<f64>, ws: &mut Workspace<f64>, kind: LossKind, y: &[f64]) -> f64 {
    ws.forward(net);
    let last = net.depth() - 1;
    loss_and_grad(
        kind,
        &ws.a[last],
        y,
        ws.rows,
        net.output(),
        &mut ws.ga[last],
    )
    .loss
}

fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-7)
}

#[allow(clippy::needless_range_loop)]
fn check(act: Activation, bias: bool, kind: LossKind) {
    let out = match kind {
        LossKind::CrossEntropy => 3,
        _ => 2,
    };
    let b = || {
        if bias {
            BiasSpec::Default
        } else {
            BiasSpec::None
        }
    };
    let layer = |width, activation| LayerSpec {
        width,
        activation,
        weight: WeightSpec::Default,
        bias: b(),
        origin: 0,
        batchnorm: false,
        layernorm: false,
    };
    let spec = NetSpec {
        residuals: Vec::new(),
        input: 3,
        layers: vec![layer(5, act), layer(4, act), layer(out, Activation::Linear)],
    };
    let params = init_params(&spec, 11).unwrap();
    let mut net = Network::<f64>::new(&spec, &params).unwrap();
    let rows = 4;
    let x = [
        0.9, -1.3, 0.4, //
        -0.2, 0.8, 1.7, //
        1.1, 0.3, -0.6, //
        -1.5, -0.7, 0.25,
    ];
    let y: Vec<f64> = match kind {
        LossKind::CrossEntropy => vec![0.0, 2.0, 1.0, 2.0],
        LossKind::Bce => vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.3],
        _ => vec![0.5, -0.3, 1.2, 0.1, -0.8, 0.9, 0.05, -1.1],
    };
    let mut ws = Workspace::new(&net, rows);
    ws.rows = rows;
    ws.x[..12].copy_from_slice(&x);
    loss_of(&net, &mut ws, kind, &y);
    ws.backward(&net);
    let analytic = ws.grads.clone();
    let analytic_x = ws.gx.clone();
    let h = 1e-6;
    for i in 0..net.params.len() {
        let p0 = net.params[i];
        net.params[i] = p0 + h;
        let lp = loss_of(&net, &mut ws, kind, &y);
        net.params[i] = p0 - h;
        let lm = loss_of(&net, &mut ws, kind, &y);
        net.params[i] = p0;
        let fd = (lp - lm) / (2.0 * h);
        let e = rel_err(fd, analytic[i]);
        assert!(
            e < 1e-5 || (fd - analytic[i]).abs() < 1e-9,
            "{act:?} bias={bias} {kind:?} param {i}: fd {fd} vs analytic {}",
            analytic[i]
        );
    }
    for i in 0..12 {
        let x0 = ws.x[i];
        ws.x[i] = x0 + h;
        let lp = loss_of(&net, &mut ws, kind, &y);
        ws.x[i] = x0 - h;
        let lm = loss_of(&net, &mut ws, kind, &y);
        ws.x[i] = x0;
        let fd = (lp - lm) / (2.0 * h);
        assert!(
            rel_err(fd, analytic_x[i]) < 1e-5 || (fd - analytic_x[i]).abs() < 1e-9,
            "{act:?} bias={bias} {kind:?} input {i}: fd {fd} vs {}",
            analytic_x[i]
        );
    }
}

#[test]
fn network_gradients_match_finite_differences() {
    for act in ACTS {
        for bias in [false, true] {
            for kind in [
                LossKind::Mse,
                LossKind::Mae,
                LossKind::Bce,
                LossKind::CrossEntropy,
            ] {
                check(act, bias, kind);
            }
        }
    }
}

/// Central differences on every parameter and input of `spec` (MSE, 5 rows), with the
/// workspace in training (`true`) or evaluation mode.
#[allow(clippy::needless_range_loop)]
fn check_spec(spec: &NetSpec, training: bool, what: &str) {
    let mut params = init_params(spec, 5).unwrap();
    // non-trivial γ, β and running statistics
    for (l, lp) in params.layers.iter_mut().enumerate() {
        if let Some(np) = lp.norm.as_mut() {
            for (j, g) in np.gamma.iter_mut().enumerate() {
                *g = 0.7 + 0.3 * j as f64 + 0.1 * l as f64;
            }
            for (j, b) in np.beta.iter_mut().enumerate() {
                *b = 0.2 - 0.15 * j as f64;
            }
            if let (Some(m), Some(v)) = (np.running_mean.as_mut(), np.running_var.as_mut()) {
                m.iter_mut()
                    .enumerate()
                    .for_each(|(j, x)| *x = 0.1 * j as f64 - 0.2);
                v.iter_mut()
                    .enumerate()
                    .for_each(|(j, x)| *x = 0.5 + 0.25 * j as f64);
            }
        }
    }
    let mut net = Network::<f64>::new(spec, &params).unwrap();
    let rows = 5;
    let d = spec.input;
    let out = net.output();
    let x: Vec<f64> = (0..rows * d)
        .map(|i| ((i * 7 % 11) as f64 - 5.0) * 0.3 + 0.1 * (i as f64).sin())
        .collect();
    let y: Vec<f64> = (0..rows * out).map(|i| (i as f64 * 0.37).cos()).collect();
    let mut ws = Workspace::new(&net, rows);
    ws.rows = rows;
    ws.training = training;
    ws.x[..rows * d].copy_from_slice(&x);
    loss_of(&net, &mut ws, LossKind::Mse, &y);
    ws.backward(&net);
    let analytic = ws.grads.clone();
    let analytic_x = ws.gx.clone();
    let h = 1e-6;
    for i in 0..net.params.len() {
        let p0 = net.params[i];
        net.params[i] = p0 + h;
        let lp = loss_of(&net, &mut ws, LossKind::Mse, &y);
        net.params[i] = p0 - h;
        let lm = loss_of(&net, &mut ws, LossKind::Mse, &y);
        net.params[i] = p0;
        let fd = (lp - lm) / (2.0 * h);
        assert!(
            rel_err(fd, analytic[i]) < 1e-5 || (fd - analytic[i]).abs() < 1e-9,
            "{what} param {i}: fd {fd} vs analytic {}",
            analytic[i]
        );
    }
    for i in 0..rows * d {
        let x0 = ws.x[i];
        ws.x[i] = x0 + h;
        let lp = loss_of(&net, &mut ws, LossKind::Mse, &y);
        ws.x[i] = x0 - h;
        let lm = loss_of(&net, &mut ws, LossKind::Mse, &y);
        ws.x[i] = x0;
        let fd = (lp - lm) / (2.0 * h);
        assert!(
            rel_err(fd, analytic_x[i]) < 1e-5 || (fd - analytic_x[i]).abs() < 1e-9,
            "{what} input {i}: fd {fd} vs {}",
            analytic_x[i]
        );
    }
}

fn norm_layer(width: usize, act: Activation, bias: bool, bn: bool, ln: bool) -> LayerSpec {
    LayerSpec {
        width,
        activation: act,
        weight: WeightSpec::Default,
        bias: if bias {
            BiasSpec::Default
        } else {
            BiasSpec::None
        },
        origin: 0,
        batchnorm: bn,
        layernorm: ln,
    }
}

#[test]
fn batchnorm_layernorm_gradients_match_finite_differences() {
    for act in [Activation::Tanh, Activation::Gelu, Activation::Sigmoid] {
        for bias in [false, true] {
            for (bn, ln) in [(true, false), (false, true)] {
                let spec = NetSpec {
                    input: 3,
                    layers: vec![
                        norm_layer(4, act, bias, bn, ln),
                        norm_layer(3, act, bias, bn, ln),
                        norm_layer(2, Activation::Linear, true, false, false),
                    ],
                    residuals: Vec::new(),
                };
                for training in [true, false] {
                    let what = format!("{act:?} bias={bias} bn={bn} ln={ln} training={training}");
                    check_spec(&spec, training, &what);
                }
            }
        }
    }
}

#[test]
fn residual_gradients_match_finite_differences() {
    let l = |w, act, bn, ln| norm_layer(w, act, true, bn, ln);
    let spec = NetSpec {
        input: 3,
        layers: vec![
            l(3, Activation::Tanh, false, false),
            l(4, Activation::Gelu, false, false),
            l(3, Activation::Sigmoid, false, false),
            l(3, Activation::Elu { alpha: 0.5 }, true, false),
            l(3, Activation::Softplus, false, true),
            l(2, Activation::Linear, false, false),
        ],
        // from the input over one layer; a block of two layers; nested and overlapping
        // blocks ending at the same layer; a block with batchnorm and layernorm inside
        residuals: vec![
            Residual { first: 0, last: 0 },
            Residual { first: 1, last: 2 },
            Residual { first: 0, last: 2 },
            Residual { first: 3, last: 4 },
            Residual { first: 1, last: 4 },
        ],
    };
    check_spec(&spec, true, "residual (training)");
    check_spec(&spec, false, "residual (evaluation)");
}
