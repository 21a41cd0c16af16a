//! Forward and backward passes over a batch, with buffers allocated once and reused.
//!
//! Layout as `nn.Linear`: weight `[out][in]`, `z = x Wᵀ + b`, `a = f(z)`. All products go
//! through `matmul::Products::product` with strides (it copies an operand only where its
//! tiled loop needs contiguous rows):
//! * forward `z = a_prev · Wᵀ`         (m = rows, k = in,   n = out)
//! * `∂L/∂W = (∂L/∂z)ᵀ · a_prev`       (m = out,  k = rows, n = in)
//! * `∂L/∂a_prev = ∂L/∂z · W`          (m = rows, k = out,  n = in)
//!
//! With a normalisation (`norm.rs`) the linear output goes to `NormBuf::h` and `z` is the
//! normalised, affine value the activation sees; the products then use ∂L/∂h.
//! A residual block `first..=last` adds the input of `first` to the activation output of
//! `last` (kept separately in `f[last]` for the activation's derivative); backward, ∂L/∂a of
//! `last` is added to the gradient of the input of `first`.

use super::activation::Act;
use super::events::{LayerStats, NonFiniteSite};
use super::matmul::{Products, View};
use super::norm::NormBuf;
use super::params::{Layout, Params};
use super::real::{Real, SumSq, all_finite, norm};
use super::types::{EngineError, NetSpec, StepDetail};

/// Running mean and variance of a batchnorm layer.
pub(crate) struct Running<R: Real> {
    pub mean: Vec<R>,
    pub var: Vec<R>,
}

/// A network in precision `R`: layout, activations and flat parameters.
pub(crate) struct Network<R: Real> {
    pub layout: Layout,
    pub acts: Vec<Act<R>>,
    pub origins: Vec<usize>,
    pub params: Vec<R>,
    /// Batchnorm running statistics per layer.
    pub running: Vec<Option<Running<R>>>,
    /// Per layer: the `first` of every residual block ending at it.
    pub skip_in: Vec<Vec<usize>>,
    /// Per layer: the `last` of every residual block starting at it.
    pub skip_out: Vec<Vec<usize>>,
}

impl<R: Real> Network<R> {
    pub fn new(net: &NetSpec, params: &Params) -> Result<Self, EngineError> {
        super::params::validate_net(net)?;
        let layout = Layout::new(net);
        let flat = layout.flatten(params)?;
        let conv = |v: &Option<Vec<f64>>| -> Vec<R> {
            v.iter().flatten().map(|&x| R::from_f64(x)).collect()
        };
        let running = params
            .layers
            .iter()
            .map(|lp| {
                lp.norm
                    .as_ref()
                    .filter(|n| n.running_mean.is_some())
                    .map(|n| Running {
                        mean: conv(&n.running_mean),
                        var: conv(&n.running_var),
                    })
            })
            .collect();
        let depth = net.layers.len();
        let mut skip_in = vec![Vec::new(); depth];
        let mut skip_out = vec![Vec::new(); depth];
        for r in &net.residuals {
            skip_in[r.last].push(r.first);
            skip_out[r.first].push(r.last);
        }
        Ok(Network {
            acts: net.layers.iter().map(|l| Act::new(l.activation)).collect(),
            origins: net.layers.iter().map(|l| l.origin).collect(),
            layout,
            params: flat,
            running,
            skip_in,
            skip_out,
        })
    }

    /// The public parameters, with running statistics.
    pub fn to_params(&self) -> Params {
        let mut p = self.layout.unflatten(&self.params);
        for (lp, run) in p.layers.iter_mut().zip(&self.running) {
            if let (Some(np), Some(run)) = (lp.norm.as_mut(), run) {
                np.running_mean = Some(run.mean.iter().map(|v| v.to_f64()).collect());
                np.running_var = Some(run.var.iter().map(|v| v.to_f64()).collect());
            }
        }
        p
    }

    /// Update every batchnorm layer's running statistics from a training forward pass.
    pub fn update_running(&mut self, ws: &Workspace<R>) {
        for (run, nb) in self.running.iter_mut().zip(&ws.norm) {
            if let (Some(run), Some(nb)) = (run, nb) {
                nb.update_running(ws.rows, &mut run.mean, &mut run.var);
            }
        }
    }

    pub fn depth(&self) -> usize {
        self.layout.layers.len()
    }

    pub fn input(&self) -> usize {
        self.layout.input
    }

    pub fn output(&self) -> usize {
        self.layout.output()
    }

    fn weight(&self, l: usize) -> &[R] {
        let ll = &self.layout.layers[l];
        &self.params[ll.w_off..ll.w_off + ll.w_len()]
    }

    fn layer_params_finite(&self, l: usize) -> bool {
        self.layout
            .tensors
            .iter()
            .filter(|t| t.layer == l)
            .all(|t| all_finite(&self.params[t.off..t.off + t.len]))
    }
}

/// Per-batch buffers, sized for at most `cap` rows.
pub(crate) struct Workspace<R: Real> {
    pub cap: usize,
    /// Rows of the current batch.
    pub rows: usize,
    /// Input batch, `cap × input`.
    pub x: Vec<R>,
    /// Pre-activations per layer, `cap × out`.
    pub z: Vec<Vec<R>>,
    /// Outputs per layer, `cap × out`.
    pub a: Vec<Vec<R>>,
    /// ∂L/∂a per layer.
    pub ga: Vec<Vec<R>>,
    /// ∂L/∂z per layer.
    pub gz: Vec<Vec<R>>,
    /// The sums of each layer's ∂L/∂a, taken by the activation's backward loop.
    ga_sums: Vec<SumSq<R>>,
    /// ∂L/∂x (input of layer 0).
    pub gx: Vec<R>,
    /// Parameter gradients, same layout as `Network::params`.
    pub grads: Vec<R>,
    /// Σg² and max|g| of each parameter tensor's gradient (`Layout::tensors` order), and
    /// of all of them, from `sum_grads`.
    pub grad_sums: Vec<SumSq<R>>,
    pub grad_total: SumSq<R>,
    /// Per layer, the index in `grad_sums` of its weight, bias and γ (β follows γ).
    tensor_of: Vec<LayerTensors>,
    /// Normalisation buffers of the layers that have one.
    pub norm: Vec<Option<NormBuf<R>>>,
    /// Activation output of a layer that ends a residual block (before the skip is
    /// added; empty for other layers).
    pub f: Vec<Vec<R>>,
    /// Batchnorm mode: batch statistics (true, `train`) or running statistics.
    pub training: bool,
    /// Whether `backward` computes ∂L/∂x, the gradient of the network's input. Nothing
    /// but the first layer's gain reads it, and that product is a third of the first
    /// layer's work.
    pub input_grad: bool,
    /// Room for a transposed operand of the products.
    products: Products<R>,
}

impl<R: Real> Workspace<R> {
    pub fn new(net: &Network<R>, cap: usize) -> Self {
        let per = |w: usize| vec![R::ZERO; cap * w];
        let widths: Vec<usize> = net.layout.layers.iter().map(|l| l.fan_out).collect();
        Workspace {
            cap,
            rows: 0,
            x: per(net.input()),
            z: widths.iter().map(|&w| per(w)).collect(),
            a: widths.iter().map(|&w| per(w)).collect(),
            ga: widths.iter().map(|&w| per(w)).collect(),
            gz: widths.iter().map(|&w| per(w)).collect(),
            ga_sums: vec![SumSq::ZERO; widths.len()],
            gx: per(net.input()),
            grads: vec![R::ZERO; net.layout.total],
            grad_sums: vec![SumSq::ZERO; net.layout.tensors.len()],
            grad_total: SumSq::ZERO,
            tensor_of: LayerTensors::of(net),
            norm: net
                .layout
                .layers
                .iter()
                .map(|ll| ll.norm.map(|nl| NormBuf::new(nl.kind, cap, ll.fan_out)))
                .collect(),
            f: net
                .skip_in
                .iter()
                .zip(&widths)
                .map(|(s, &w)| if s.is_empty() { Vec::new() } else { per(w) })
                .collect(),
            training: false,
            input_grad: true,
            products: Products::default(),
        }
    }

    /// Output of layer `l`'s activation (before a residual skip is added).
    pub fn act_out(&self, l: usize) -> &[R] {
        if self.f[l].is_empty() {
            &self.a[l]
        } else {
            &self.f[l]
        }
    }

    /// Network output of the current batch (`rows × out`).
    pub fn output(&self) -> &[R] {
        let a = self.a.last().expect("validated: at least one layer");
        &a[..self.rows * (a.len() / self.cap.max(1))]
    }

    fn input_of(&self, l: usize) -> &[R] {
        if l == 0 { &self.x } else { &self.a[l - 1] }
    }

    /// Forward pass over `self.rows` rows already in `self.x`.
    pub fn forward(&mut self, net: &Network<R>) {
        let rows = self.rows;
        if rows == 0 {
            return;
        }
        for l in 0..net.depth() {
            let ll = net.layout.layers[l];
            let (fi, fo) = (ll.fan_in, ll.fan_out);
            let n = rows * fo;
            let w = net.weight(l);
            let (a_prev, a_rest) = self.a.split_at_mut(l);
            let inp: &[R] = if l == 0 { &self.x } else { &a_prev[l - 1] };
            let lin: &mut [R] = match self.norm[l].as_mut() {
                Some(nb) => &mut nb.h[..n],
                None => &mut self.z[l][..n],
            };
            let with_bias = match ll.b_off {
                Some(off) => {
                    let b = &net.params[off..off + fo];
                    for row in lin.chunks_mut(fo) {
                        row.copy_from_slice(b);
                    }
                    true
                }
                None => false,
            };
            // z = x · Wᵀ (+ b, already in place)
            self.products.product(
                (rows, fi, fo),
                View::rows(inp, fi),
                View::transposed(w, fi),
                lin,
                with_bias,
            );
            if let (Some(nb), Some(nl)) = (self.norm[l].as_mut(), ll.norm) {
                let gamma = &net.params[nl.g_off..nl.g_off + fo];
                let shift = &net.params[nl.beta_off..nl.beta_off + fo];
                let running = net.running[l]
                    .as_ref()
                    .map(|r| (r.mean.as_slice(), r.var.as_slice()));
                nb.forward(
                    rows,
                    fo,
                    gamma,
                    shift,
                    running,
                    self.training,
                    &mut self.z[l][..n],
                );
            }
            let z = &self.z[l][..n];
            if self.f[l].is_empty() {
                net.acts[l].forward(z, &mut a_rest[0][..n]);
            } else {
                let f = &mut self.f[l][..n];
                net.acts[l].forward(z, f);
                let a = &mut a_rest[0][..n];
                a.copy_from_slice(f);
                for &first in &net.skip_in[l] {
                    let src = if first == 0 {
                        &self.x[..n]
                    } else {
                        &a_prev[first - 1][..n]
                    };
                    for (d, &v) in a.iter_mut().zip(src) {
                        *d += v;
                    }
                }
            }
        }
    }

    /// Backward pass; `self.ga[last]` must hold ∂L/∂output.
    pub fn backward(&mut self, net: &Network<R>) {
        let rows = self.rows;
        if rows == 0 {
            self.ga_sums.fill(SumSq::ZERO);
            return;
        }
        for l in (0..net.depth()).rev() {
            let ll = net.layout.layers[l];
            let (fi, fo) = (ll.fan_in, ll.fan_out);
            let n = rows * fo;
            let act_out = if self.f[l].is_empty() {
                &self.a[l][..n]
            } else {
                &self.f[l][..n]
            };
            self.ga_sums[l] = net.acts[l].backward(
                &self.z[l][..n],
                act_out,
                &self.ga[l][..n],
                &mut self.gz[l][..n],
            );
            if let (Some(nb), Some(nl)) = (self.norm[l].as_mut(), ll.norm) {
                let gamma = &net.params[nl.g_off..nl.g_off + fo];
                let (dg, db) = self.grads[nl.g_off..nl.beta_off + fo].split_at_mut(fo);
                nb.backward(rows, fo, gamma, self.training, &self.gz[l][..n], dg, db);
            }
            let gz: &[R] = match &self.norm[l] {
                Some(nb) => &nb.gh[..n],
                None => &self.gz[l][..n],
            };
            let inp: &[R] = if l == 0 { &self.x } else { &self.a[l - 1] };
            let gw = &mut self.grads[ll.w_off..ll.w_off + ll.w_len()];
            // ∂L/∂W = (∂L/∂z)ᵀ · x
            self.products.product(
                (fo, rows, fi),
                View::transposed(gz, fo),
                View::rows(inp, fi),
                gw,
                false,
            );
            if let Some(off) = ll.b_off {
                let gb = &mut self.grads[off..off + fo];
                gb.fill(R::ZERO);
                for row in gz.chunks(fo) {
                    for (g, &v) in gb.iter_mut().zip(row) {
                        *g += v;
                    }
                }
            }
            if l == 0 && !self.input_grad {
                continue;
            }
            let w = net.weight(l);
            let (ga_lo, ga_hi) = self.ga.split_at_mut(l);
            let gprev: &mut [R] = if l == 0 {
                &mut self.gx[..rows * fi]
            } else {
                &mut ga_lo[l - 1][..rows * fi]
            };
            // ∂L/∂x = ∂L/∂z · W
            self.products.product(
                (rows, fo, fi),
                View::rows(gz, fo),
                View::rows(w, fi),
                gprev,
                false,
            );
            for &last in &net.skip_out[l] {
                // the block's output width equals its input width fi (validated)
                for (d, &v) in gprev.iter_mut().zip(&ga_hi[last - l][..rows * fi]) {
                    *d += v;
                }
            }
        }
    }

    /// ‖∂L/∂a‖ of layer `l` (its output) over the batch (after `backward`).
    pub fn grad_output_norm(&self, net: &Network<R>, l: usize) -> R {
        let ga = &self.ga[l][..self.rows * net.layout.layers[l].fan_out];
        self.ga_sums[l].norm(ga)
    }

    /// ‖∂L/∂(input of layer l)‖.
    pub fn grad_input_norm(&self, net: &Network<R>, l: usize) -> R {
        let fi = net.layout.layers[l].fan_in;
        if l == 0 {
            norm(&self.gx[..self.rows * fi])
        } else {
            norm(&self.ga[l - 1][..self.rows * fi])
        }
    }

    /// Sum up every parameter tensor's gradient (one pass over the gradients), for the
    /// global norm, the finiteness check, the per-layer norms and clipping.
    pub fn sum_grads(&mut self, net: &Network<R>) {
        let mut total = SumSq::ZERO;
        for (t, sums) in net.layout.tensors.iter().zip(&mut self.grad_sums) {
            *sums = SumSq::of(&self.grads[t.off..t.off + t.len]);
            total = total.join(*sums);
        }
        self.grad_total = total;
    }

    /// Global gradient norm over all parameters, in `R` (after `sum_grads`).
    pub fn grad_norm(&self) -> R {
        self.grad_total.norm(&self.grads)
    }

    /// True if every parameter gradient is finite (after `sum_grads`).
    pub fn grads_finite(&self) -> bool {
        self.grad_total.all_finite(&self.grads)
    }

    /// The 2-norm of tensor `t`'s gradient (after `sum_grads`).
    fn tensor_grad_norm(&self, net: &Network<R>, t: usize) -> R {
        let tensor = net.layout.tensors[t];
        self.grad_sums[t].norm(&self.grads[tensor.off..tensor.off + tensor.len])
    }

    /// Fill per-layer statistics of the current step into `out` (one entry per layer),
    /// as far as `detail` asks; `sum_grads` must have run.
    pub fn fill_stats(&self, net: &Network<R>, out: &mut [LayerStats], detail: StepDetail) {
        let rows = self.rows;
        // The input of layer l is the output of layer l - 1: each ‖∂L/∂a‖ is taken once.
        let mut g_in = if self.input_grad {
            norm(&self.gx[..rows * net.input()])
        } else {
            R::from_f64(f64::NAN)
        };
        for (l, st) in out.iter_mut().enumerate() {
            let ll = net.layout.layers[l];
            let tensors = self.tensor_of[l];
            let g_out = self.grad_output_norm(net, l);
            st.index = l;
            st.origin = net.origins[l];
            st.grad_weight_norm = self.tensor_grad_norm(net, tensors.weight).to_f64();
            st.grad_output_norm = g_out.to_f64();
            st.gain = if g_out > R::ZERO {
                (g_in / g_out).to_f64()
            } else if g_out.is_nan() || g_in.is_nan() {
                f64::NAN
            } else {
                0.0
            };
            g_in = g_out;
            st.dead = net.acts[l].kind.can_die()
                && rows > 0
                && self.act_out(l)[..rows * ll.fan_out]
                    .iter()
                    .all(|&v| v == R::ZERO);
            if detail >= StepDetail::Display {
                self.fill_display_stats(net, l, st);
            } else {
                st.weight_mean = f64::NAN;
                st.weight_std = f64::NAN;
                st.weight_norm = f64::NAN;
                st.grad_bias_norm = tensors.bias.map(|_| f64::NAN);
                st.grad_affine_norm = tensors.gamma.map(|_| f64::NAN);
            }
            if detail >= StepDetail::Values {
                st.weights = Some(net.layout.weight_matrix(&net.params, l));
                st.grad_weights = Some(net.layout.weight_matrix(&self.grads, l));
                st.bias = net.layout.bias_vector(&net.params, l);
                st.grad_bias = net.layout.bias_vector(&self.grads, l);
            } else {
                st.weights = None;
                st.grad_weights = None;
                st.bias = None;
                st.grad_bias = None;
            }
        }
    }

    /// The statistics only a table or JSON shows: the weights' mean, standard deviation
    /// and norm, and the bias and affine gradient norms.
    fn fill_display_stats(&self, net: &Network<R>, l: usize, st: &mut LayerStats) {
        let ll = net.layout.layers[l];
        let tensors = self.tensor_of[l];
        let w = net.weight(l);
        let n = R::from_usize(w.len());
        let mut s = R::ZERO;
        for &v in w {
            s += v;
        }
        let mean = s / n;
        let mut var = R::ZERO;
        for &v in w {
            let d = v - mean;
            var += d * d;
        }
        st.weight_mean = mean.to_f64();
        st.weight_std = (var / n).sqrt().to_f64();
        st.weight_norm = norm(w).to_f64();
        st.grad_bias_norm = tensors.bias.map(|t| self.tensor_grad_norm(net, t).to_f64());
        st.grad_affine_norm = ll.norm.zip(tensors.gamma).map(|(nl, t)| {
            let sums = self.grad_sums[t].join(self.grad_sums[t + 1]);
            sums.norm(&self.grads[nl.g_off..nl.beta_off + ll.fan_out])
                .to_f64()
        });
    }

    /// Where the first non-finite value of the forward pass appeared:
    /// `(layer, created, site)`.
    pub fn locate_forward(&self, net: &Network<R>) -> (usize, bool, NonFiniteSite) {
        let rows = self.rows;
        if !all_finite(&self.x[..rows * net.input()]) {
            return (0, false, NonFiniteSite::Input);
        }
        for l in 0..net.depth() {
            if !net.layer_params_finite(l) {
                return (l, false, NonFiniteSite::Parameters);
            }
            let fo = net.layout.layers[l].fan_out;
            if !all_finite(&self.z[l][..rows * fo]) || !all_finite(&self.a[l][..rows * fo]) {
                return (l, true, NonFiniteSite::Layer);
            }
        }
        (net.depth() - 1, true, NonFiniteSite::Loss)
    }

    /// Where the first non-finite value of the backward pass appeared (walking from the
    /// output back): `(layer, created, site)`. `created` is false when the layer's forward
    /// values or parameters were already non-finite.
    pub fn locate_backward(&self, net: &Network<R>) -> (usize, bool, NonFiniteSite) {
        let rows = self.rows;
        let last = net.depth() - 1;
        let fo_last = net.layout.layers[last].fan_out;
        if !all_finite(&self.ga[last][..rows * fo_last]) {
            let fwd_ok = all_finite(&self.a[last][..rows * fo_last]);
            return (last, fwd_ok, NonFiniteSite::Loss);
        }
        for l in (0..net.depth()).rev() {
            let ll = net.layout.layers[l];
            let (fi, fo) = (ll.fan_in, ll.fan_out);
            let gprev: &[R] = if l == 0 { &self.gx } else { &self.ga[l - 1] };
            let bias_ok = net
                .layout
                .tensors
                .iter()
                .filter(|t| t.layer == l && t.off != ll.w_off)
                .all(|t| all_finite(&self.grads[t.off..t.off + t.len]));
            let grads_ok = all_finite(&self.gz[l][..rows * fo])
                && all_finite(&self.grads[ll.w_off..ll.w_off + ll.w_len()])
                && bias_ok
                && all_finite(&gprev[..rows * fi]);
            if !grads_ok {
                let fwd_ok = net.layer_params_finite(l)
                    && all_finite(&self.input_of(l)[..rows * fi])
                    && all_finite(&self.z[l][..rows * fo])
                    && all_finite(&self.a[l][..rows * fo]);
                return (l, fwd_ok, NonFiniteSite::Layer);
            }
        }
        // Unreachable when called as documented (some gradient is non-finite).
        (last, true, NonFiniteSite::Layer)
    }
}

/// Evaluation-mode forward pass of `rows` through `net` with `params`, in precision `R`.
pub(crate) fn forward_rows<R: Real>(
    net: &NetSpec,
    params: &Params,
    rows: &[Vec<f64>],
) -> Result<Vec<Vec<f64>>, EngineError> {
    let network = Network::<R>::new(net, params)?;
    let d = network.input();
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != d) {
        return Err(EngineError::Data(format!(
            "input row {} has {} values, the network expects {}",
            i + 1,
            r.len(),
            d
        )));
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut ws = Workspace::new(&network, rows.len());
    ws.rows = rows.len();
    for (dst, &src) in ws.x.iter_mut().zip(rows.iter().flatten()) {
        *dst = R::from_f64(src);
    }
    ws.forward(&network);
    let o = network.output();
    Ok(ws
        .output()
        .chunks(o)
        .map(|r| r.iter().map(|v| v.to_f64()).collect())
        .collect())
}

/// Where a layer's gradient tensors are in `Workspace::grad_sums`.
#[derive(Debug, Clone, Copy)]
struct LayerTensors {
    weight: usize,
    bias: Option<usize>,
    /// γ; β is the next tensor.
    gamma: Option<usize>,
}

impl LayerTensors {
    fn of<R: Real>(net: &Network<R>) -> Vec<LayerTensors> {
        net.layout
            .layers
            .iter()
            .map(|ll| {
                let weight = ll.first_tensor;
                let bias = ll.b_off.map(|_| weight + 1);
                let gamma = ll.norm.map(|_| weight + 1 + usize::from(bias.is_some()));
                LayerTensors {
                    weight,
                    bias,
                    gamma,
                }
            })
            .collect()
    }
}
