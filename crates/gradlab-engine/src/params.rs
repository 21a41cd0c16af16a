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
//! and is then overwritten), so switching one layer to `Const`/`Matrix`/`Vector`/`Init`
//! never changes another layer's default values (an `Init` scheme draws from its own
//! per-layer stream, see `init.rs`). A draw is
//! `u = (next_u64() >> 11) · 2⁻⁵³ ∈ [0, 1)`, value `= bound · (2u − 1)` with
//! `bound = 1/sqrt(fan_in)`, computed in f64 and rounded to f32 for f32 runs.
//!
//! # Biases under an init scheme
//! `WeightSpec::Init(scheme)` sets only the weight, like `torch.nn.init.*_(layer.weight)`:
//! a `BiasSpec::Default` bias keeps nn.Linear's default (stream-0) values, except under
//! `InitScheme::Const(v)`, where the bias is `v` too (every parameter the same value).
//! An explicit `BiasSpec::Const` / `Vector` / `None` always wins.
//!
//! # Normalisation parameters
//! A `batchnorm` / `layernorm` layer has γ (init 1) and β (init 0), and a batchnorm layer
//! running statistics (mean 0, variance 1), exactly as torch initialises them; no draws.

use super::init::{InitScheme, init_weight};
use super::real::Real;
use super::types::{BiasSpec, EngineError, NetSpec, WeightSpec};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Parameters of one layer, as f64 (`weight` is `[out][in]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerParams {
    /// `[out][in]`.
    pub weight: Vec<Vec<f64>>,
    /// One per output unit (None without a bias).
    pub bias: Option<Vec<f64>>,
    /// γ, β (and running statistics) of a `batchnorm` / `layernorm` layer.
    #[serde(default)]
    pub norm: Option<NormParams>,
}

/// Affine parameters and (batchnorm only) running statistics of a normalisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormParams {
    /// γ (`weight` in torch), one per unit.
    pub gamma: Vec<f64>,
    /// β (`bias` in torch), one per unit.
    pub beta: Vec<f64>,
    /// BatchNorm `running_mean` (None for LayerNorm).
    pub running_mean: Option<Vec<f64>>,
    /// BatchNorm `running_var` (unbiased batch variances averaged with momentum 0.1).
    pub running_var: Option<Vec<f64>>,
}

/// Parameters of a whole network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// One per dense layer, input side first.
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
        if let WeightSpec::Init(scheme) = &l.weight {
            scheme.validate(i + 1)?;
        }
        if l.batchnorm && l.layernorm {
            return err(format!(
                "layer {}: batchnorm and layernorm cannot both be used on one layer",
                i + 1
            ));
        }
        fan_in = l.width;
    }
    for r in &net.residuals {
        let depth = net.layers.len();
        if r.first > r.last || r.last >= depth {
            return err(format!(
                "a residual block runs from layer {} to layer {}, but the network has layers 1 to {}",
                r.first + 1,
                r.last + 1,
                depth
            ));
        }
        let w_in = if r.first == 0 {
            net.input
        } else {
            net.layers[r.first - 1].width
        };
        let w_out = net.layers[r.last].width;
        if w_in != w_out {
            return err(format!(
                "the residual block of layers {} to {} adds its input (width {}) to its output (width {}): the widths must match",
                r.first + 1,
                r.last + 1,
                w_in,
                w_out
            ));
        }
    }
    Ok(())
}

/// Deterministic initialisation (see the module docs for the draw order): the same `net`
/// and `seed` always give the same parameters, as `torch.manual_seed` then `nn.Linear`.
///
/// ```
/// use gradlab_engine::{Activation, LayerSpec, NetSpec, init_params};
///
/// let net = NetSpec::new(3, vec![LayerSpec::dense(2, Activation::Relu)]);
/// let params = init_params(&net, 7).unwrap();
/// assert_eq!(params.layers[0].weight.len(), 2); // [out][in]
/// assert_eq!(params.layers[0].weight[0].len(), 3);
/// assert_eq!(params, init_params(&net, 7).unwrap());
/// ```
pub fn init_params(net: &NetSpec, seed: u64) -> Result<Params, EngineError> {
    validate_net(net)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draw = |bound: f64| {
        let u = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        bound * (2.0 * u - 1.0)
    };
    let mut layers = Vec::with_capacity(net.layers.len());
    let mut fan_in = net.input;
    for (i, l) in net.layers.iter().enumerate() {
        let bound = 1.0 / (fan_in as f64).sqrt();
        let mut weight: Vec<Vec<f64>> = (0..l.width)
            .map(|_| (0..fan_in).map(|_| draw(bound)).collect())
            .collect();
        match &l.weight {
            WeightSpec::Default => {}
            WeightSpec::Const(v) => weight.iter_mut().flatten().for_each(|w| *w = *v),
            WeightSpec::Matrix(m) => weight = m.clone(),
            WeightSpec::Init(scheme) => {
                weight = init_weight(scheme, seed, i, fan_in, l.width, weight);
            }
        }
        let bias = match &l.bias {
            BiasSpec::None => None,
            spec => {
                let mut b: Vec<f64> = (0..l.width).map(|_| draw(bound)).collect();
                match spec {
                    BiasSpec::Const(v) => b.iter_mut().for_each(|x| *x = *v),
                    BiasSpec::Vector(v) => b = v.clone(),
                    _ => {
                        if let WeightSpec::Init(InitScheme::Const(v)) = &l.weight {
                            b.iter_mut().for_each(|x| *x = *v);
                        }
                    }
                }
                Some(b)
            }
        };
        let norm = (l.batchnorm || l.layernorm).then(|| NormParams {
            gamma: vec![1.0; l.width],
            beta: vec![0.0; l.width],
            running_mean: l.batchnorm.then(|| vec![0.0; l.width]),
            running_var: l.batchnorm.then(|| vec![1.0; l.width]),
        });
        layers.push(LayerParams { weight, bias, norm });
        fan_in = l.width;
    }
    Ok(Params { layers })
}

/// Which normalisation a layer applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NormKind {
    Batch,
    Layer,
}

/// Where a layer's γ and β live (each `fan_out` long).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NormLayout {
    pub kind: NormKind,
    pub g_off: usize,
    pub beta_off: usize,
}

/// Where one layer lives in the flat parameter vector.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerLayout {
    pub fan_in: usize,
    pub fan_out: usize,
    pub w_off: usize,
    pub b_off: Option<usize>,
    pub norm: Option<NormLayout>,
    /// The index in `Layout::tensors` of its weight; its bias, γ and β follow, those
    /// it has.
    pub first_tensor: usize,
}

impl LayerLayout {
    pub fn w_len(&self) -> usize {
        self.fan_in * self.fan_out
    }
}

/// One parameter tensor (a weight matrix, a bias, γ or β) in the flat vector.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tensor {
    pub layer: usize,
    pub off: usize,
    pub len: usize,
}

/// Flat layout of all parameters: per layer the weight (row-major), the bias, then γ and β.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub input: usize,
    pub layers: Vec<LayerLayout>,
    /// Every parameter tensor in flat order (the tensors `torch.nn.Module.parameters()`
    /// yields, in the same order).
    pub tensors: Vec<Tensor>,
    pub total: usize,
}

impl Layout {
    pub fn new(net: &NetSpec) -> Self {
        let mut off = 0;
        let mut fan_in = net.input;
        let mut tensors = Vec::new();
        let layers = net
            .layers
            .iter()
            .enumerate()
            .map(|(layer, l)| {
                let first_tensor = tensors.len();
                let mut take = |len: usize| {
                    let o = off;
                    off += len;
                    tensors.push(Tensor { layer, off: o, len });
                    o
                };
                let w_off = take(fan_in * l.width);
                let b_off = (!matches!(l.bias, BiasSpec::None)).then(|| take(l.width));
                let kind = if l.batchnorm {
                    Some(NormKind::Batch)
                } else if l.layernorm {
                    Some(NormKind::Layer)
                } else {
                    None
                };
                let norm = kind.map(|kind| NormLayout {
                    kind,
                    g_off: take(l.width),
                    beta_off: take(l.width),
                });
                let ll = LayerLayout {
                    fan_in,
                    fan_out: l.width,
                    w_off,
                    b_off,
                    norm,
                    first_tensor,
                };
                fan_in = l.width;
                ll
            })
            .collect();
        Layout {
            input: net.input,
            layers,
            tensors,
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
        let mut put = |off: usize, src: &[f64]| {
            for (dst, &v) in flat[off..off + src.len()].iter_mut().zip(src) {
                *dst = R::from_f64(v);
            }
        };
        for (i, (ll, lp)) in self.layers.iter().zip(&params.layers).enumerate() {
            let fo = ll.fan_out;
            let norm_ok = match (&ll.norm, &lp.norm) {
                (None, None) => true,
                (Some(nl), Some(np)) => {
                    let stats = |v: &Option<Vec<f64>>| match nl.kind {
                        NormKind::Batch => v.as_ref().is_some_and(|v| v.len() == fo),
                        NormKind::Layer => v.is_none(),
                    };
                    np.gamma.len() == fo
                        && np.beta.len() == fo
                        && stats(&np.running_mean)
                        && stats(&np.running_var)
                }
                _ => false,
            };
            let shape_ok = lp.weight.len() == fo
                && lp.weight.iter().all(|r| r.len() == ll.fan_in)
                && lp.bias.as_ref().map(|b| b.len()) == ll.b_off.map(|_| fo)
                && norm_ok;
            if !shape_ok {
                return Err(EngineError::Net(format!(
                    "parameters of layer {} do not match its shape ({} -> {}{})",
                    i + 1,
                    ll.fan_in,
                    fo,
                    match ll.norm.map(|n| n.kind) {
                        Some(NormKind::Batch) => ", batchnorm",
                        Some(NormKind::Layer) => ", layernorm",
                        None => "",
                    }
                )));
            }
            for (r, row) in lp.weight.iter().enumerate() {
                put(ll.w_off + r * ll.fan_in, row);
            }
            if let (Some(off), Some(b)) = (ll.b_off, &lp.bias) {
                put(off, b);
            }
            if let (Some(nl), Some(np)) = (&ll.norm, &lp.norm) {
                put(nl.g_off, &np.gamma);
                put(nl.beta_off, &np.beta);
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

    /// Bias of layer `l` from a flat vector (None without a bias).
    pub fn bias_vector<R: Real>(&self, flat: &[R], l: usize) -> Option<Vec<f64>> {
        let ll = &self.layers[l];
        ll.b_off.map(|off| {
            flat[off..off + ll.fan_out]
                .iter()
                .map(|v| v.to_f64())
                .collect()
        })
    }

    /// Back to the public f64 form (running statistics left `None`; see
    /// `Network::to_params`).
    pub fn unflatten<R: Real>(&self, flat: &[R]) -> Params {
        let vec = |off: usize, len: usize| -> Vec<f64> {
            flat[off..off + len].iter().map(|v| v.to_f64()).collect()
        };
        Params {
            layers: (0..self.layers.len())
                .map(|l| {
                    let ll = &self.layers[l];
                    LayerParams {
                        weight: self.weight_matrix(flat, l),
                        bias: self.bias_vector(flat, l),
                        norm: ll.norm.map(|nl| NormParams {
                            gamma: vec(nl.g_off, ll.fan_out),
                            beta: vec(nl.beta_off, ll.fan_out),
                            running_mean: None,
                            running_var: None,
                        }),
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Activation, LayerSpec};

    fn layer(width: usize, weight: WeightSpec, bias: BiasSpec) -> LayerSpec {
        LayerSpec {
            width,
            activation: Activation::Relu,
            weight,
            bias,
            origin: 0,
            batchnorm: false,
            layernorm: false,
        }
    }

    #[test]
    fn default_init_is_bounded_and_deterministic() {
        let net = NetSpec {
            residuals: Vec::new(),
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
            residuals: Vec::new(),
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
            residuals: Vec::new(),
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
            residuals: Vec::new(),
            input: 2,
            layers: vec![layer(2, WeightSpec::Default, BiasSpec::Vector(vec![1.0]))],
        };
        assert!(init_params(&net, 0).is_err());
        let net = NetSpec {
            residuals: Vec::new(),
            input: 0,
            layers: vec![],
        };
        assert!(init_params(&net, 0).is_err());
    }
}
