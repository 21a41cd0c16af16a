//! Optimizers with exactly the `torch.optim` single-tensor (CPU) semantics, over one flat
//! parameter vector. State buffers are allocated once.
//!
//! * SGD: `d = g + wd·p`; with momentum, `buf = d` on the first step, then
//!   `buf = momentum·buf + d` (dampening 0); `d = d + momentum·buf` (nesterov) or `d = buf`;
//!   `p = p - lr·d`.
//! * Adam: `g = g + wd·p`; `m = m + (1-β1)(g - m)` (torch's `lerp_`, weight < 0.5);
//!   `v = β2·v + (1-β2)·g²`; `bc1 = 1-β1^t`, `bc2 = 1-β2^t` (in f64, like Python floats);
//!   `p = p - (lr/bc1) · m / (sqrt(v)/sqrt(bc2) + eps)`.
//! * RMSprop: `g = g + wd·p`; `s = α·s + (1-α)·g²`; `p = p - lr · g / (sqrt(s) + eps)`.

use super::real::Real;
use super::types::{EngineError, OptimizerSpec};

/// Check hyper-parameters the way `torch.optim` constructors do.
pub(crate) fn validate(spec: &OptimizerSpec) -> Result<(), EngineError> {
    let bad = |m: String| Err(EngineError::Config(m));
    let nonneg = |name: &str, v: f64| -> Result<(), EngineError> {
        if v.is_nan() || v < 0.0 {
            Err(EngineError::Config(format!(
                "invalid {name} {v}: must be a number >= 0"
            )))
        } else {
            Ok(())
        }
    };
    match *spec {
        OptimizerSpec::Sgd {
            lr,
            momentum,
            nesterov,
            weight_decay,
        } => {
            nonneg("learning rate", lr)?;
            nonneg("momentum", momentum)?;
            nonneg("weight_decay", weight_decay)?;
            if nesterov && momentum <= 0.0 {
                return bad("nesterov momentum requires a momentum > 0".into());
            }
        }
        OptimizerSpec::Adam {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } => {
            nonneg("learning rate", lr)?;
            nonneg("epsilon", eps)?;
            nonneg("weight_decay", weight_decay)?;
            for (name, b) in [("beta1", beta1), ("beta2", beta2)] {
                if !(0.0..1.0).contains(&b) {
                    return bad(format!("invalid {name} {b}: must be in [0, 1)"));
                }
            }
        }
        OptimizerSpec::RmsProp {
            lr,
            alpha,
            eps,
            weight_decay,
        } => {
            nonneg("learning rate", lr)?;
            nonneg("alpha", alpha)?;
            nonneg("epsilon", eps)?;
            nonneg("weight_decay", weight_decay)?;
        }
    }
    Ok(())
}

/// `spec` with `extra` added to its weight decay (the weight-decay remedy).
pub(crate) fn add_weight_decay(spec: OptimizerSpec, extra: f64) -> OptimizerSpec {
    let mut spec = spec;
    match &mut spec {
        OptimizerSpec::Sgd { weight_decay, .. }
        | OptimizerSpec::Adam { weight_decay, .. }
        | OptimizerSpec::RmsProp { weight_decay, .. } => *weight_decay += extra,
    }
    spec
}

/// Optimizer state for one run.
pub(crate) struct Optimizer<R: Real> {
    spec: OptimizerSpec,
    step: u32,
    /// SGD momentum buffer / Adam exp_avg / RMSprop square_avg.
    s1: Vec<R>,
    /// Adam exp_avg_sq.
    s2: Vec<R>,
}

impl<R: Real> Optimizer<R> {
    pub fn new(spec: OptimizerSpec, n: usize) -> Self {
        let (n1, n2) = match spec {
            OptimizerSpec::Sgd { momentum, .. } => (if momentum != 0.0 { n } else { 0 }, 0),
            OptimizerSpec::Adam { .. } => (n, n),
            OptimizerSpec::RmsProp { .. } => (n, 0),
        };
        Optimizer {
            spec,
            step: 0,
            s1: vec![R::ZERO; n1],
            s2: vec![R::ZERO; n2],
        }
    }

    /// The learning rate of the spec.
    pub fn base_lr(&self) -> f64 {
        match self.spec {
            OptimizerSpec::Sgd { lr, .. }
            | OptimizerSpec::Adam { lr, .. }
            | OptimizerSpec::RmsProp { lr, .. } => lr,
        }
    }

    /// One update of `params` with `grads` (same layout) at the spec's learning rate.
    #[cfg(test)]
    pub fn step(&mut self, params: &mut [R], grads: &[R]) {
        let lr = self.base_lr();
        self.step_lr(params, grads, lr);
    }

    /// One update with learning rate `lr` (a scheduled one). Does not allocate.
    pub fn step_lr(&mut self, params: &mut [R], grads: &[R], lr: f64) {
        self.step = self.step.saturating_add(1);
        match self.spec {
            OptimizerSpec::Sgd {
                momentum,
                nesterov,
                weight_decay,
                ..
            } => {
                let neg_lr = R::from_f64(-lr);
                let wd = R::from_f64(weight_decay);
                let mom = R::from_f64(momentum);
                let first = self.step == 1;
                for i in 0..params.len() {
                    let mut d = grads[i];
                    if weight_decay != 0.0 {
                        d += params[i] * wd;
                    }
                    if momentum != 0.0 {
                        let buf = &mut self.s1[i];
                        *buf = if first { d } else { *buf * mom + d };
                        d = if nesterov { d + *buf * mom } else { *buf };
                    }
                    params[i] += d * neg_lr;
                }
            }
            OptimizerSpec::Adam {
                beta1,
                beta2,
                eps,
                weight_decay,
                ..
            } => {
                let t = self.step.min(i32::MAX as u32) as i32;
                let bc1 = 1.0 - beta1.powi(t);
                let bc2 = 1.0 - beta2.powi(t);
                let neg_step_size = R::from_f64(-(lr / bc1));
                let bc2_sqrt = R::from_f64(bc2.sqrt());
                let w1 = R::from_f64(1.0 - beta1);
                let b2 = R::from_f64(beta2);
                let w2 = R::from_f64(1.0 - beta2);
                let wd = R::from_f64(weight_decay);
                let eps = R::from_f64(eps);
                for i in 0..params.len() {
                    let mut g = grads[i];
                    if weight_decay != 0.0 {
                        g += params[i] * wd;
                    }
                    let m = &mut self.s1[i];
                    *m = *m + w1 * (g - *m);
                    let v = &mut self.s2[i];
                    *v = *v * b2 + w2 * g * g;
                    let denom = v.sqrt() / bc2_sqrt + eps;
                    params[i] += neg_step_size * (*m / denom);
                }
            }
            OptimizerSpec::RmsProp {
                alpha,
                eps,
                weight_decay,
                ..
            } => {
                let neg_lr = R::from_f64(-lr);
                let a = R::from_f64(alpha);
                let w = R::from_f64(1.0 - alpha);
                let wd = R::from_f64(weight_decay);
                let eps = R::from_f64(eps);
                for i in 0..params.len() {
                    let mut g = grads[i];
                    if weight_decay != 0.0 {
                        g += params[i] * wd;
                    }
                    let s = &mut self.s1[i];
                    *s = *s * a + w * g * g;
                    let avg = s.sqrt() + eps;
                    params[i] += neg_lr * (g / avg);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(spec: OptimizerSpec, p0: f64, grads: [f64; 2]) -> [f64; 2] {
        let mut opt = Optimizer::<f64>::new(spec, 1);
        let mut p = [p0];
        opt.step(&mut p, &[grads[0]]);
        let a = p[0];
        opt.step(&mut p, &[grads[1]]);
        [a, p[0]]
    }

    fn close(a: [f64; 2], b: [f64; 2]) {
        for i in 0..2 {
            assert!((a[i] - b[i]).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn sgd_plain_momentum_nesterov_wd() {
        let s = |momentum, nesterov, weight_decay| OptimizerSpec::Sgd {
            lr: 0.1,
            momentum,
            nesterov,
            weight_decay,
        };
        // plain: p1 = 1 - 0.1*0.5 = 0.95 ; p2 = 0.95 - 0.1*0.25 = 0.925
        close(run(s(0.0, false, 0.0), 1.0, [0.5, 0.25]), [0.95, 0.925]);
        // momentum 0.9: buf1 = 0.5 → p1 = 0.95; buf2 = 0.45 + 0.25 = 0.7 → p2 = 0.88
        close(run(s(0.9, false, 0.0), 1.0, [0.5, 0.25]), [0.95, 0.88]);
        // nesterov: d1 = 0.5 + 0.9*0.5 = 0.95 → p1 = 0.905; buf2 = 0.7, d2 = 0.25 + 0.63 = 0.88
        //   → p2 = 0.905 - 0.088 = 0.817
        close(run(s(0.9, true, 0.0), 1.0, [0.5, 0.25]), [0.905, 0.817]);
        // weight decay 0.1: d1 = 0.5 + 0.1 = 0.6 → p1 = 0.94; d2 = 0.25 + 0.094 = 0.344
        //   → p2 = 0.94 - 0.0344 = 0.9056
        close(run(s(0.0, false, 0.1), 1.0, [0.5, 0.25]), [0.94, 0.9056]);
    }

    #[test]
    fn adam_two_steps() {
        let spec = OptimizerSpec::Adam {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        };
        // step 1: m = 0.05, v = 0.00025; m̂ = 0.5, v̂ = 0.25 → p1 = 1 - 0.1*0.5/(0.5+1e-8)
        let p1 = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8);
        // step 2: m = 0.045 + 0.025 = 0.07; v = 0.00024975 + 0.0000625 = 0.00031225
        let m: f64 = 0.07;
        let v: f64 = 0.000_312_25;
        let bc1 = 1.0 - 0.9f64.powi(2);
        let bc2 = 1.0 - 0.999f64.powi(2);
        let p2 = p1 - (0.1 / bc1) * m / (v.sqrt() / bc2.sqrt() + 1e-8);
        close(run(spec, 1.0, [0.5, 0.25]), [p1, p2]);

        // with weight decay 0.5 (L2 added to the gradient)
        let spec = OptimizerSpec::Adam {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.5,
        };
        let g1: f64 = 0.5 + 0.5;
        let m1 = 0.1 * g1;
        let v1 = 0.001 * g1 * g1;
        let p1 = 1.0 - (0.1 / 0.1) * m1 / ((v1 / 0.001f64).sqrt() + 1e-8);
        let g2 = 0.25 + 0.5 * p1;
        let m2 = m1 + 0.1 * (g2 - m1);
        let v2 = 0.999 * v1 + 0.001 * g2 * g2;
        let p2 = p1 - (0.1 / bc1) * m2 / (v2.sqrt() / bc2.sqrt() + 1e-8);
        close(run(spec, 1.0, [0.5, 0.25]), [p1, p2]);
    }

    #[test]
    fn rmsprop_two_steps() {
        let spec = OptimizerSpec::RmsProp {
            lr: 0.01,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.1,
        };
        let g1: f64 = 0.5 + 0.1;
        let s1 = 0.01 * g1 * g1;
        let p1 = 1.0 - 0.01 * g1 / (s1.sqrt() + 1e-8);
        let g2 = 0.25 + 0.1 * p1;
        let s2 = 0.99 * s1 + 0.01 * g2 * g2;
        let p2 = p1 - 0.01 * g2 / (s2.sqrt() + 1e-8);
        close(run(spec, 1.0, [0.5, 0.25]), [p1, p2]);
    }

    #[test]
    fn validation_like_torch() {
        let sgd = |lr, momentum, nesterov| OptimizerSpec::Sgd {
            lr,
            momentum,
            nesterov,
            weight_decay: 0.0,
        };
        assert!(validate(&sgd(-0.1, 0.0, false)).is_err());
        assert!(validate(&sgd(f64::NAN, 0.0, false)).is_err());
        assert!(validate(&sgd(0.1, 0.0, true)).is_err());
        assert!(validate(&sgd(0.1, 0.9, true)).is_ok());
        let adam = OptimizerSpec::Adam {
            lr: 0.1,
            beta1: 1.0,
            beta2: 0.9,
            eps: 1e-8,
            weight_decay: 0.0,
        };
        assert!(validate(&adam).is_err());
    }
}
