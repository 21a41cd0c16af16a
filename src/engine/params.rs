//! Parameters: validation of a `NetSpec`, deterministic initialisation, and the flat
//! layout the numerical code works on.
//!
//! # RNG draw order (`init_params`)
//! One `rand_chacha::ChaCha8Rng::seed_from_u64(seed)` (stream 0) for the whole network.
//! Layer by layer, in order:
//! 1. `out × in` draws for the weight, row-major (`w[0][0], w[0][1], …, w[1][0], …`);
//! 2. then, if the layer has a bias (any `BiasSpec` except `None`), `out` draws for it.
//!
//! Draws are consumed whatever the spec says (like `nn.Linear`, which always initialises
//! and is then overwritten), so switching one layer to `Const`/`Matrix`/`Vector` never
//! changes another layer's default values. A draw is
//! `u = (next_u64() >> 11) · 2⁻⁵³ ∈ [0, 1)`, value `= bound · (2u − 1)` with
//! `bound = 1/sqrt(fan_in)`, computed in f64 and rounded to f32 for f32 runs.

use super::real::Real;
use super::types::{BiasSpec, EngineError, NetSpec, WeightSpec};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Parameters of one layer, as f64 (`weight` is `[out][in]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerParams {
    pub weight: Vec<Vec<f64>>,
    pub bias: Option<Vec<f64>>,
}

/// Parameters of a whole network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub layers: Vec<LayerParams>,
}

/// Check that a network description is usable.
pub fn validate_net(net: &NetSpec) -> Result<(), EngineError> {
    let err = |m: String| Err(EngineError::Net(m));
    if net.input == 0 {
        return err("the network input width must be at least 1".into());
    }
    if net.layers.is_empty() {
        return err("the network has no layers".into());
    }
    let mut fan_in = net.input;
    for (i, l) in net.layers.iter().enumerate() {
        if l.width == 0 {
            return err(format!("layer {} has width 0", i + 1));
        }
        if let WeightSpec::Matrix(m) = &l.weight {
            if m.len() != l.width {
                return err(format!(
                    "layer {}: weight matrix has {} rows, expected {} (the layer width)",
                    i + 1,
                    m.len(),
                    l.width
                ));
            }
            if let Some((r, row)) = m.iter().enumerate().find(|(_, row)| row.len() != fan_in) {
                return err(format!(
                    "layer {}: weight row {} has {} columns, expected {} (the input width of the layer)",
                    i + 1,
                    r + 1,
                    row.len(),
                    fan_in
                ));
            }
        }
        if let BiasSpec::Vector(v) = &l.bias
            && v.len() != l.width
        {
            return err(format!(
                "layer {}: bias has {} values, expected {} (the layer width)",
                i + 1,
                v.len(),
                l.width
            ));
        }
        fan_in = l.width;
    }
    Ok(())
}

/// Deterministic initialisation (see the module docs for the draw order).
pub fn init_params(net: &NetSpec, seed: u64) -> Result<Params, EngineError> {
    validate_net(net)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draw = |bound: f64| {
        let u = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        bound * (2.0 * u - 1.0)
    };
    let mut layers = Vec::with_capacity(net.layers.len());
    let mut fan_in = net.input;
    for l in &net.layers {
        let bound = 1.0 / (fan_in as f64).sqrt();
        let mut weight: Vec<Vec<f64>> = (0..l.width)
            .map(|_| (0..fan_in).map(|_| draw(bound)).collect())
            .collect();
        match &l.weight {
            WeightSpec::Default => {}
            WeightSpec::Const(v) => weight.iter_mut().flatten().for_each(|w| *w = *v),
            WeightSpec::Matrix(m) => weight = m.clone(),
        }
        let bias = match &l.bias {
            BiasSpec::None => None,
            spec => {
                let mut b: Vec<f64> = (0..l.width).map(|_| draw(bound)).collect();
                match spec {
                    BiasSpec::Const(v) => b.iter_mut().for_each(|x| *x = *v),
                    BiasSpec::Vector(v) => b = v.clone(),
                    _ => {}
                }
                Some(b)
            }
        };
        layers.push(LayerParams { weight, bias });
        fan_in = l.width;
    }
    Ok(Params { layers })
}

/// Where one layer lives in the flat parameter vector.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerLayout {
    pub fan_in: usize,
    pub fan_out: usize,
    pub w_off: usize,
    pub b_off: Option<usize>,
}

impl LayerLayout {
    pub fn w_len(&self) -> usize {
        self.fan_in * self.fan_out
    }
}

/// Flat layout of all parameters: per layer the weight (row-major) then the bias.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub input: usize,
    pub layers: Vec<LayerLayout>,
    pub total: usize,
}

impl Layout {
    pub fn new(net: &NetSpec) -> Self {
        let mut off = 0;
        let mut fan_in = net.input;
        let layers = net
            .layers
            .iter()
            .map(|l| {
                let w_off = off;
                off += fan_in * l.width;
                let b_off = if matches!(l.bias, BiasSpec::None) {
                    None
                } else {
                    let b = off;
                    off += l.width;
                    Some(b)
                };
                let ll = LayerLayout {
                    fan_in,
                    fan_out: l.width,
                    w_off,
                    b_off,
                };
                fan_in = l.width;
                ll
            })
            .collect();
        Layout {
            input: net.input,
            layers,
            total: off,
        }
    }

    pub fn output(&self) -> usize {
        self.layers.last().map_or(self.input, |l| l.fan_out)
    }

    /// Flatten `params` (which must match this layout) into `R`.
    pub fn flatten<R: Real>(&self, params: &Params) -> Result<Vec<R>, EngineError> {
        let mut flat = vec![R::ZERO; self.total];
        if params.layers.len() != self.layers.len() {
            return Err(EngineError::Net(format!(
                "parameters have {} layers, the network {}",
                params.layers.len(),
                self.layers.len()
            )));
        }
        for (i, (ll, lp)) in self.layers.iter().zip(&params.layers).enumerate() {
            let shape_ok = lp.weight.len() == ll.fan_out
                && lp.weight.iter().all(|r| r.len() == ll.fan_in)
                && lp.bias.as_ref().map(|b| b.len()) == ll.b_off.map(|_| ll.fan_out);
            if !shape_ok {
                return Err(EngineError::Net(format!(
                    "parameters of layer {} do not match its shape ({} -> {})",
                    i + 1,
                    ll.fan_in,
                    ll.fan_out
                )));
            }
            for (dst, &src) in flat[ll.w_off..ll.w_off + ll.w_len()]
                .iter_mut()
                .zip(lp.weight.iter().flatten())
            {
                *dst = R::from_f64(src);
            }
            if let (Some(off), Some(b)) = (ll.b_off, &lp.bias) {
                for (dst, &src) in flat[off..off + ll.fan_out].iter_mut().zip(b) {
                    *dst = R::from_f64(src);
                }
            }
        }
        Ok(flat)
    }

    /// Weight `[out][in]` of layer `l` from a flat vector.
    pub fn weight_matrix<R: Real>(&self, flat: &[R], l: usize) -> Vec<Vec<f64>> {
        let ll = &self.layers[l];
        flat[ll.w_off..ll.w_off + ll.w_len()]
            .chunks(ll.fan_in)
            .map(|row| row.iter().map(|v| v.to_f64()).collect())
            .collect()
    }

    /// Back to the public f64 form.
    pub fn unflatten<R: Real>(&self, flat: &[R]) -> Params {
        Params {
            layers: (0..self.layers.len())
                .map(|l| LayerParams {
                    weight: self.weight_matrix(flat, l),
                    bias: self.layers[l].b_off.map(|off| {
                        flat[off..off + self.layers[l].fan_out]
                            .iter()
                            .map(|v| v.to_f64())
                            .collect()
                    }),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::types::{Activation, LayerSpec};

    fn layer(width: usize, weight: WeightSpec, bias: BiasSpec) -> LayerSpec {
        LayerSpec {
            width,
            activation: Activation::Relu,
            weight,
            bias,
            origin: 0,
        }
    }

    #[test]
    fn default_init_is_bounded_and_deterministic() {
        let net = NetSpec {
            input: 4,
            layers: vec![
                layer(3, WeightSpec::Default, BiasSpec::Default),
                layer(2, WeightSpec::Default, BiasSpec::None),
            ],
        };
        let a = init_params(&net, 7).unwrap();
        let b = init_params(&net, 7).unwrap();
        let c = init_params(&net, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        for w in a.layers[0].weight.iter().flatten() {
            assert!(w.abs() <= 0.5);
        }
        for w in a.layers[1].weight.iter().flatten() {
            assert!(w.abs() <= 1.0 / 3f64.sqrt());
        }
        assert!(a.layers[1].bias.is_none());
        assert_eq!(a.layers[0].bias.as_ref().unwrap().len(), 3);
    }

    #[test]
    fn overriding_one_layer_keeps_the_others() {
        let mk = |w| NetSpec {
            input: 2,
            layers: vec![
                layer(3, w, BiasSpec::Default),
                layer(2, WeightSpec::Default, BiasSpec::Default),
            ],
        };
        let a = init_params(&mk(WeightSpec::Default), 1).unwrap();
        let b = init_params(&mk(WeightSpec::Const(0.5)), 1).unwrap();
        assert_eq!(a.layers[1], b.layers[1]);
        assert_eq!(a.layers[0].bias, b.layers[0].bias);
        assert!(b.layers[0].weight.iter().flatten().all(|&w| w == 0.5));
    }

    #[test]
    fn shape_errors() {
        let net = NetSpec {
            input: 2,
            layers: vec![layer(
                2,
                WeightSpec::Matrix(vec![vec![1.0, 2.0], vec![3.0]]),
                BiasSpec::None,
            )],
        };
        let e = init_params(&net, 0).unwrap_err();
        assert!(e.message().contains("weight row 2"), "{e}");
        let net = NetSpec {
            input: 2,
            layers: vec![layer(2, WeightSpec::Default, BiasSpec::Vector(vec![1.0]))],
        };
        assert!(init_params(&net, 0).is_err());
        let net = NetSpec {
            input: 0,
            layers: vec![],
        };
        assert!(init_params(&net, 0).is_err());
    }
}
