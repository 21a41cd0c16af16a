//! Batch and layer normalisation between a dense layer's linear part `h = x Wᵀ + b` and its
//! activation: `z = γ · ĥ + β`, eps 1e-5.
//!
//! * **BatchNorm1d**, training: per unit j over the m rows of the batch,
//!   `μ = Σh/m`, `σ² = Σ(h−μ)²/m` (biased), `ĥ = (h−μ)/√(σ²+eps)`; then
//!   `running_mean ← 0.9·running_mean + 0.1·μ`,
//!   `running_var ← 0.9·running_var + 0.1·Σ(h−μ)²/(m−1)` (unbiased), once per training
//!   forward pass (= once per optimizer step). Evaluation (`forward`, `forward_with`,
//!   `explain`): `ĥ = (h − running_mean)/√(running_var + eps)`.
//!   Backward (training): `∂γ = Σ g·ĥ`, `∂β = Σ g`,
//!   `∂h = γ/√(σ²+eps) · (g − ∂β/m − ĥ·∂γ/m)`; evaluation: `∂h = γ·g/√(running_var+eps)`.
//!   A training batch of one row is refused up front (`train` returns an error, as torch
//!   raises "Expected more than 1 value per channel when training").
//! * **LayerNorm(width)**: per row over the layer's units, biased variance, same formulas
//!   with the roles of rows and units swapped; no running statistics, no mode difference.
//!
//! All arithmetic is in the run's precision; the output is computed as torch's CPU kernel
//! does, `z = h·α + (β − μ·α)` with `α = γ/√(σ²+eps)`.

#![allow(clippy::needless_range_loop)] // index-based kernels over rows × units

use super::params::NormKind;
use super::real::Real;

pub(crate) const EPS: f64 = 1e-5;
pub(crate) const MOMENTUM: f64 = 0.1;

/// Per-layer buffers of a normalisation, sized for `cap` rows.
pub(crate) struct NormBuf<R: Real> {
    pub kind: NormKind,
    /// Linear output `h` (`cap × w`).
    pub h: Vec<R>,
    /// Normalised `ĥ` (`cap × w`).
    pub xhat: Vec<R>,
    /// ∂L/∂h (`cap × w`).
    pub gh: Vec<R>,
    /// Batch: per unit (w). Layer: per row (cap).
    pub mean: Vec<R>,
    pub invstd: Vec<R>,
    /// Batch only: Σ(h−μ)² per unit of the last training pass.
    pub var_sum: Vec<R>,
}

impl<R: Real> NormBuf<R> {
    pub fn new(kind: NormKind, cap: usize, w: usize) -> Self {
        let stats = match kind {
            NormKind::Batch => w,
            NormKind::Layer => cap,
        };
        NormBuf {
            kind,
            h: vec![R::ZERO; cap * w],
            xhat: vec![R::ZERO; cap * w],
            gh: vec![R::ZERO; cap * w],
            mean: vec![R::ZERO; stats],
            invstd: vec![R::ZERO; stats],
            var_sum: vec![R::ZERO; if kind == NormKind::Batch { w } else { 0 }],
        }
    }

    /// `z = γ ĥ + β` for `rows` rows of width `w`. `running` = (mean, var) of a batchnorm
    /// layer, used in evaluation mode (`training == false`).
    #[allow(clippy::too_many_arguments)]
    pub fn forward(
        &mut self,
        rows: usize,
        w: usize,
        gamma: &[R],
        beta: &[R],
        running: Option<(&[R], &[R])>,
        training: bool,
        z: &mut [R],
    ) {
        let eps = R::from_f64(EPS);
        let n = rows * w;
        let (h, xhat) = (&self.h[..n], &mut self.xhat[..n]);
        match self.kind {
            NormKind::Batch => {
                if training || running.is_none() {
                    let m = R::from_usize(rows);
                    for j in 0..w {
                        let mut s = R::ZERO;
                        for i in 0..rows {
                            s += h[i * w + j];
                        }
                        let mu = s / m;
                        let mut v = R::ZERO;
                        for i in 0..rows {
                            let d = h[i * w + j] - mu;
                            v += d * d;
                        }
                        self.mean[j] = mu;
                        self.var_sum[j] = v;
                        self.invstd[j] = R::ONE / (v / m + eps).sqrt();
                    }
                } else if let Some((rm, rv)) = running {
                    for j in 0..w {
                        self.mean[j] = rm[j];
                        self.invstd[j] = R::ONE / (rv[j] + eps).sqrt();
                    }
                }
                for j in 0..w {
                    let (mu, is) = (self.mean[j], self.invstd[j]);
                    let alpha = is * gamma[j];
                    let shift = beta[j] - mu * alpha;
                    for i in 0..rows {
                        let k = i * w + j;
                        xhat[k] = (h[k] - mu) * is;
                        z[k] = h[k] * alpha + shift;
                    }
                }
            }
            NormKind::Layer => {
                let wr = R::from_usize(w);
                for i in 0..rows {
                    let row = &h[i * w..(i + 1) * w];
                    let mut s = R::ZERO;
                    for &v in row {
                        s += v;
                    }
                    let mu = s / wr;
                    let mut var = R::ZERO;
                    for &v in row {
                        let d = v - mu;
                        var += d * d;
                    }
                    let is = R::ONE / (var / wr + eps).sqrt();
                    self.mean[i] = mu;
                    self.invstd[i] = is;
                    for j in 0..w {
                        let k = i * w + j;
                        let xh = (h[k] - mu) * is;
                        xhat[k] = xh;
                        z[k] = xh * gamma[j] + beta[j];
                    }
                }
            }
        }
    }

    /// Update running statistics (batchnorm, after a training forward pass of `rows` rows).
    pub fn update_running(&self, rows: usize, rm: &mut [R], rv: &mut [R]) {
        let mom = R::from_f64(MOMENTUM);
        let keep = R::from_f64(1.0 - MOMENTUM);
        let m1 = R::from_usize(rows.saturating_sub(1));
        for j in 0..rm.len() {
            rm[j] = mom * self.mean[j] + keep * rm[j];
            rv[j] = mom * (self.var_sum[j] / m1) + keep * rv[j];
        }
    }

    /// From `gz` (∂L/∂z): `∂γ`, `∂β` into `dgamma`, `dbeta` and ∂L/∂h into `self.gh`.
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &mut self,
        rows: usize,
        w: usize,
        gamma: &[R],
        training: bool,
        gz: &[R],
        dgamma: &mut [R],
        dbeta: &mut [R],
    ) {
        let n = rows * w;
        let (xhat, gh) = (&self.xhat[..n], &mut self.gh[..n]);
        dgamma.fill(R::ZERO);
        dbeta.fill(R::ZERO);
        for i in 0..rows {
            for j in 0..w {
                let k = i * w + j;
                dgamma[j] += gz[k] * xhat[k];
                dbeta[j] += gz[k];
            }
        }
        match self.kind {
            NormKind::Batch if training => {
                let m = R::from_usize(rows);
                for j in 0..w {
                    let gm = dbeta[j] / m;
                    let gx = dgamma[j] / m;
                    let scale = self.invstd[j] * gamma[j];
                    for i in 0..rows {
                        let k = i * w + j;
                        gh[k] = (gz[k] - gm - xhat[k] * gx) * scale;
                    }
                }
            }
            NormKind::Batch => {
                for j in 0..w {
                    let scale = self.invstd[j] * gamma[j];
                    for i in 0..rows {
                        gh[i * w + j] = gz[i * w + j] * scale;
                    }
                }
            }
            NormKind::Layer => {
                let wr = R::from_usize(w);
                for i in 0..rows {
                    let mut s = R::ZERO;
                    let mut sx = R::ZERO;
                    for j in 0..w {
                        let k = i * w + j;
                        let d = gz[k] * gamma[j];
                        s += d;
                        sx += d * xhat[k];
                    }
                    let (gm, gx) = (s / wr, sx / wr);
                    let is = self.invstd[i];
                    for j in 0..w {
                        let k = i * w + j;
                        gh[k] = (gz[k] * gamma[j] - gm - xhat[k] * gx) * is;
                    }
                }
            }
        }
    }

    /// True if every unit's batch variance was 0 (batchnorm, training): ĥ = 0 everywhere.
    pub fn constant_batch(&self, w: usize) -> bool {
        self.kind == NormKind::Batch && self.var_sum[..w].iter().all(|&v| v == R::ZERO)
    }
}
