//! `explain`: the first layer's gradient as a chain of per-layer factors, and where a
//! repeated-factor chain would overflow f32 / f64.
//!
//! One full-batch forward/backward pass with the initial parameters, in evaluation mode
//! (batchnorm uses its running statistics, initially mean 0 and variance 1, like
//! `model.eval()`). With a normalisation, `weight_factor` includes it (it is measured from
//! ∂L/∂z, the activation's input); with a residual block, the input gradient includes the
//! skip.
//! For each layer `l`, walking from the last layer back to the first:
//! * `slope` = ‖∂L/∂z_l‖ / ‖∂L/∂a_l‖ (the activation's share; the mean f'(z) when the
//!   incoming gradient is 0);
//! * `weight_factor` = the weight itself for a 1→1 layer, else ‖∂L/∂a_{l-1}‖ / ‖∂L/∂z_l‖
//!   (‖W‖_F/√out when ∂L/∂z is 0);
//! * `factor = weight_factor × slope` (= the layer's gain), `running_product` = product of
//!   the factors so far, `observed_grad` = the observed ‖∂L/∂W_l‖.
//!
//! `first_unstable` = the first layer in that order where |running_product| leaves [0.5, 2].
//!
//! Overflow prediction (always from an f64 pass, so values are still finite): with
//! `r_f = (ln max|output| − ln max|x|) / depth` the forward log-growth per layer and `r_b` the
//! backward log-growth per layer of ‖∂L/∂a‖ (from the last layer to the first), the depth `D`
//! at which a quantity `q` overflows is the smallest `D ≥ 1` with
//! `ln q_now + (D − depth)·rate > ln MAX`, with rate `r_f` for the output (max |element|),
//! `p·r_f` for the loss (largest per-element term; p = 2 for MSE, 1 otherwise) and
//! `(p−1)·r_f + r_b` for the gradients (largest |∂L/∂W| element). `None` = no growth.

use super::loss::{growth_power, loss_and_grad, max_term};
use super::network::{Network, Workspace};
use super::params::{Params, init_params};
use super::real::{Real, max_abs, norm};
use super::train::validate_data;
use super::types::{Dataset, EngineError, LossKind, NetSpec, Precision};
use serde::{Deserialize, Serialize};

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplainFactor {
    /// 0-based layer index.
    pub layer: usize,
    /// The layer's `LayerSpec::origin`.
    pub origin: usize,
    /// The weight's share of the factor (see the module docs).
    pub weight_factor: f64,
    /// The activation's share: ‖∂L/∂z‖ / ‖∂L/∂a‖.
    pub slope: f64,
    /// `weight_factor × slope`, the layer's gain.
    pub factor: f64,
    /// Product of the factors from the last layer back to this one.
    pub running_product: f64,
    /// The observed ‖∂L/∂W‖ of this layer.
    pub observed_grad: f64,
    /// The observed ‖∂L/∂(this layer's input)‖: the backward signal after this factor,
    /// which the running product predicts as `running_product × output_grad`.
    pub observed_signal: f64,
}

/// Depths at which output, loss and gradients overflow (None: never, no growth).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverflowPrediction {
    /// Forward log-growth per layer `r_f` (ln of the factor).
    pub forward_log_growth: f64,
    /// Backward log-growth per layer `r_b`.
    pub backward_log_growth: f64,
    /// Depth at which the output overflows f32.
    pub output_f32: Option<usize>,
    /// Depth at which the output overflows f64.
    pub output_f64: Option<usize>,
    /// Depth at which the loss overflows f32.
    pub loss_f32: Option<usize>,
    /// Depth at which the loss overflows f64.
    pub loss_f64: Option<usize>,
    /// Depth at which the gradients overflow f32.
    pub grad_f32: Option<usize>,
    /// Depth at which the gradients overflow f64.
    pub grad_f64: Option<usize>,
}

/// Result of `explain`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// One per layer, from the last layer back to the first.
    pub factors: Vec<ExplainFactor>,
    /// First layer, walking back from the output, where |running_product| leaves [0.5, 2].
    pub first_unstable: Option<usize>,
    /// Where a chain of the same factors would overflow.
    pub overflow: OverflowPrediction,
    /// Loss of the full batch with the initial parameters (in the requested precision).
    pub loss: f64,
    /// ‖∂L/∂output‖.
    pub output_grad: f64,
}

struct FullPass<R: Real> {
    net: Network<R>,
    ws: Workspace<R>,
    loss: R,
}

fn full_batch<R: Real>(
    net: &NetSpec,
    params: &Params,
    data: &Dataset,
    loss: LossKind,
) -> Result<FullPass<R>, EngineError> {
    let network = Network::<R>::new(net, params)?;
    let mut ws = Workspace::new(&network, data.n);
    ws.rows = data.n;
    for (d, &s) in ws.x.iter_mut().zip(&data.x) {
        *d = R::from_f64(s);
    }
    let y: Vec<R> = data.y.iter().map(|&v| R::from_f64(v)).collect();
    ws.forward(&network);
    let last = network.depth() - 1;
    let lv = loss_and_grad(
        loss,
        &ws.a[last],
        &y,
        data.n,
        network.output(),
        &mut ws.ga[last],
    );
    ws.backward(&network);
    Ok(FullPass {
        net: network,
        ws,
        loss: lv.loss,
    })
}

/// Explain the gradient chain of `net` (initialised from `seed`) on `data`.
///
/// ```
/// use gradlab_engine::{Activation, BiasSpec, LayerSpec, LossKind, NetSpec, Precision};
/// use gradlab_engine::{WeightSpec, data, explain};
///
/// // Every layer multiplies the backward signal by 2: the chain leaves [0.5, 2] at once.
/// let layer = LayerSpec::dense(1, Activation::Linear)
///     .with_weight(WeightSpec::Const(2.0))
///     .with_bias(BiasSpec::None);
/// let net = NetSpec::new(1, vec![layer; 10]);
/// let one = data::from_rows(&[vec![1.0]], &[vec![0.0]]).unwrap();
/// let ex = explain(&net, &one, LossKind::Mse, 0, Precision::F64).unwrap();
/// assert_eq!(ex.factors.len(), 10);
/// assert_eq!(ex.factors[0].factor, 2.0);
/// assert!(ex.overflow.output_f32.is_some());
/// ```
pub fn explain(
    net: &NetSpec,
    data: &Dataset,
    loss: LossKind,
    seed: u64,
    precision: Precision,
) -> Result<Explanation, EngineError> {
    validate_data(net, data, loss)?;
    explain_with(net, &init_params(net, seed)?, data, loss, precision)
}

/// [`explain`] with explicit parameters (a trained or loaded network's).
pub fn explain_with(
    net: &NetSpec,
    params: &Params,
    data: &Dataset,
    loss: LossKind,
    precision: Precision,
) -> Result<Explanation, EngineError> {
    validate_data(net, data, loss)?;
    let mut ex = match precision {
        Precision::F32 => chain::<f32>(net, params, data, loss)?,
        Precision::F64 => chain::<f64>(net, params, data, loss)?,
    };
    ex.overflow = predict(net, params, data, loss)?;
    Ok(ex)
}

fn chain<R: Real>(
    net: &NetSpec,
    params: &Params,
    data: &Dataset,
    loss: LossKind,
) -> Result<Explanation, EngineError> {
    let p = full_batch::<R>(net, params, data, loss)?;
    let (network, ws) = (&p.net, &p.ws);
    let rows = ws.rows;
    let mut factors = Vec::with_capacity(network.depth());
    let mut running = 1.0f64;
    let mut first_unstable = None;
    for l in (0..network.depth()).rev() {
        let ll = network.layout.layers[l];
        let n_out = rows * ll.fan_out;
        let g_out = ws.grad_output_norm(network, l);
        let g_z = norm(&ws.gz[l][..n_out]);
        let g_in = ws.grad_input_norm(network, l);
        let slope = if g_out > R::ZERO && g_out.is_finite() {
            (g_z / g_out).to_f64()
        } else {
            let ones = vec![R::ONE; n_out];
            let mut d = vec![R::ZERO; n_out];
            network.acts[l].backward(&ws.z[l][..n_out], &ws.act_out(l)[..n_out], &ones, &mut d);
            d.iter().map(|v| v.to_f64()).sum::<f64>() / n_out.max(1) as f64
        };
        let w = &network.params[ll.w_off..ll.w_off + ll.w_len()];
        let weight_factor = if ll.fan_in == 1 && ll.fan_out == 1 {
            w[0].to_f64()
        } else if g_z > R::ZERO && g_z.is_finite() {
            (g_in / g_z).to_f64()
        } else {
            norm(w).to_f64() / (ll.fan_out as f64).sqrt()
        };
        let factor = weight_factor * slope;
        running *= factor;
        if first_unstable.is_none() && !(0.5..=2.0).contains(&running.abs()) {
            first_unstable = Some(l);
        }
        factors.push(ExplainFactor {
            layer: l,
            origin: network.origins[l],
            weight_factor,
            slope,
            factor,
            running_product: running,
            observed_grad: norm(&ws.grads[ll.w_off..ll.w_off + ll.w_len()]).to_f64(),
            observed_signal: g_in.to_f64(),
        });
    }
    let last = network.depth() - 1;
    Ok(Explanation {
        factors,
        first_unstable,
        overflow: OverflowPrediction {
            forward_log_growth: 0.0,
            backward_log_growth: 0.0,
            output_f32: None,
            output_f64: None,
            loss_f32: None,
            loss_f64: None,
            grad_f32: None,
            grad_f64: None,
        },
        loss: p.loss.to_f64(),
        output_grad: ws.grad_output_norm(network, last).to_f64(),
    })
}

/// Smallest depth `D ≥ 1` with `ln_now + (D − depth)·rate > ln_max`.
fn overflow_depth(ln_now: f64, depth: usize, rate: f64, ln_max: f64) -> Option<usize> {
    if ln_now.is_nan() || ln_now == f64::NEG_INFINITY {
        return None;
    }
    if ln_now == f64::INFINITY {
        return Some(depth);
    }
    if rate.is_nan() || rate <= 0.0 || !rate.is_finite() {
        return (ln_now > ln_max).then_some(depth);
    }
    let d = depth as f64 + ((ln_max - ln_now) / rate).floor() + 1.0;
    if d > 1e12 {
        None
    } else {
        Some(d.max(1.0) as usize)
    }
}

fn predict(
    net: &NetSpec,
    params: &Params,
    data: &Dataset,
    loss: LossKind,
) -> Result<OverflowPrediction, EngineError> {
    let p = full_batch::<f64>(net, params, data, loss)?;
    let (network, ws) = (&p.net, &p.ws);
    let depth = network.depth();
    let last = depth - 1;
    let rows = ws.rows;
    let c = network.output();
    let out = &ws.a[last][..rows * c];
    let ln_x = max_abs(&ws.x[..rows * network.input()]).ln();
    let ln_out = max_abs(out).ln();
    let r_f = (ln_out - ln_x) / depth as f64;
    let r_b = if depth >= 2 {
        (ws.grad_output_norm(network, 0).ln() - ws.grad_output_norm(network, last).ln())
            / (depth - 1) as f64
    } else {
        (ws.grad_input_norm(network, 0) / ws.grad_output_norm(network, 0)).ln()
    };
    let pw = growth_power(loss);
    let ln_loss = max_term(loss, out, &data.y, rows, c).ln();
    let ln_grad = network
        .layout
        .layers
        .iter()
        .map(|ll| max_abs(&ws.grads[ll.w_off..ll.w_off + ll.w_len()]))
        .fold(0.0f64, |m, v| if v.is_nan() { v } else { m.max(v) })
        .ln();
    let (ln32, ln64) = ((f32::MAX as f64).ln(), f64::MAX.ln());
    let loss_rate = pw * r_f;
    let grad_rate = (pw - 1.0) * r_f + r_b;
    Ok(OverflowPrediction {
        forward_log_growth: r_f,
        backward_log_growth: r_b,
        output_f32: overflow_depth(ln_out, depth, r_f, ln32),
        output_f64: overflow_depth(ln_out, depth, r_f, ln64),
        loss_f32: overflow_depth(ln_loss, depth, loss_rate, ln32),
        loss_f64: overflow_depth(ln_loss, depth, loss_rate, ln64),
        grad_f32: overflow_depth(ln_grad, depth, grad_rate, ln32),
        grad_f64: overflow_depth(ln_grad, depth, grad_rate, ln64),
    })
}
