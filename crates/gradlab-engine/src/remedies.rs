//! Training remedies: gradient clipping, extra weight decay and learning-rate schedules.
//!
//! # Order within one step
//! forward → loss → backward → `StepRecord::grad_norm` (the raw global 2-norm) and the
//! per-layer statistics (raw gradients) → `clip_norm` → `clip_value` →
//! `StepRecord::clipped_norm` → diagnostics → optimizer update with the scheduled learning
//! rate (weight decay is part of the update, added to the *clipped* gradient, as
//! `torch.optim` does after `clip_grad_norm_`).
//!
//! # Schedules
//! The learning rate of update `t` (0-based: the first update is `t = 0`) is
//! `lr · Π factor_s(t)` over the schedules, in the order given (multiplication; torch's
//! chainable schedulers compose the same way). Schedules step once per optimizer update,
//! as `optimizer.step(); scheduler.step()` per batch:
//! * `Warmup { steps: s }` = `LinearLR(start_factor=1/s, end_factor=1, total_iters=s)`:
//!   `1/s + (1 − 1/s)·min(t, s)/s` (lr/s at the first update, the full lr from update `s`).
//! * `StepDecay { every: k, factor: γ }` = `StepLR(step_size=k, gamma=γ)`: `γ^⌊t/k⌋`.
//! * `Cosine { t_max }` = `CosineAnnealingLR(T_max = t_max or the total steps of the run,
//!   eta_min = 0)`: `(1 + cos(π t / T))/2` (torch's closed form; past T it rises again,
//!   as torch's recursive form does).
//!
//! The factor is computed in f64 (like Python floats) and the product `lr · factor` is
//! what the optimizer uses (Adam: `step_size = lr_t / bias_correction1`).

use super::types::EngineError;
use serde::{Deserialize, Serialize};

/// Which gradients one `clip_norm` coefficient covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ClipScope {
    /// `torch.nn.utils.clip_grad_norm_` over all parameters: one total norm, one coefficient.
    #[default]
    Global,
    /// Each parameter tensor (weight matrix, bias vector, norm γ, norm β) by its own norm,
    /// like Keras `clipnorm`.
    PerLayer,
}

/// `clip_norm(max, norm, scope)`: `coef = min(1, max / (norm + 1e-6))`, gradients × coef.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClipNorm {
    /// Largest norm allowed.
    pub max: f64,
    /// The p of the p-norm (`f64::INFINITY` = max |g|). 2 by default.
    pub norm_type: f64,
    /// Over which gradients the norm is taken.
    pub scope: ClipScope,
}

impl ClipNorm {
    /// `clip_norm(max)` with the 2-norm over all gradients.
    pub fn global(max: f64) -> Self {
        ClipNorm {
            max,
            norm_type: 2.0,
            scope: ClipScope::Global,
        }
    }
}

/// A learning-rate schedule (see the module docs for the exact factors).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// Linear warm-up from lr/steps to lr over `steps` updates.
    Warmup {
        /// Length of the warm-up.
        steps: usize,
    },
    /// Multiply by `factor` every `every` updates.
    StepDecay {
        /// Updates between two decays.
        every: usize,
        /// Multiplies the learning rate at each decay.
        factor: f64,
    },
    /// Cosine decay to 0 over `t_max` updates (None = the whole run).
    Cosine {
        /// Updates to reach 0.
        t_max: Option<usize>,
    },
}

/// Remedies applied by `train`. `Default` = none.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Remedies {
    /// Clip by norm (applied first).
    pub clip_norm: Option<ClipNorm>,
    /// Clamp every gradient to `[-c, c]` (`clip_grad_value_`), after `clip_norm`.
    pub clip_value: Option<f64>,
    /// L2 weight decay added to the optimizer's own `weight_decay` (the two add up: torch
    /// adds `wd·p` to the gradient, which is linear in `wd`). Adam: the L2 form, not AdamW.
    pub weight_decay: Option<f64>,
    /// Learning-rate schedules, multiplied together.
    pub schedules: Vec<Schedule>,
}

impl Remedies {
    /// Check the settings.
    pub fn validate(&self) -> Result<(), EngineError> {
        let bad = |m: String| Err(EngineError::Config(m));
        if let Some(c) = &self.clip_norm {
            if !(c.max.is_finite() && c.max > 0.0) {
                return bad(format!(
                    "clip_norm: max must be a number > 0, got {}",
                    c.max
                ));
            }
            if c.norm_type.is_nan() || c.norm_type <= 0.0 {
                return bad(format!(
                    "clip_norm: the norm must be > 0 (or inf), got {}",
                    c.norm_type
                ));
            }
        }
        if let Some(c) = self.clip_value
            && !(c.is_finite() && c > 0.0)
        {
            return bad(format!("clip_value: c must be a number > 0, got {c}"));
        }
        if let Some(wd) = self.weight_decay
            && !(wd.is_finite() && wd >= 0.0)
        {
            return bad(format!("weight_decay: must be a number >= 0, got {wd}"));
        }
        for s in &self.schedules {
            match *s {
                Schedule::Warmup { steps: 0 } => {
                    return bad("warmup: the number of steps must be at least 1".into());
                }
                Schedule::StepDecay { every: 0, .. } => {
                    return bad("step_decay: `every` must be at least 1".into());
                }
                Schedule::Cosine { t_max: Some(0) } => {
                    return bad("cosine: t_max must be at least 1".into());
                }
                Schedule::StepDecay { factor, .. } if !(factor.is_finite() && factor > 0.0) => {
                    return bad(format!("step_decay: factor must be > 0, got {factor}"));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Learning-rate factor of update `t` (0-based) in a run of `total` updates.
    pub fn lr_factor(&self, t: usize, total: usize) -> f64 {
        let mut f = 1.0;
        for s in &self.schedules {
            f *= match *s {
                Schedule::Warmup { steps } => {
                    let sf = 1.0 / steps as f64;
                    sf + (1.0 - sf) * (t.min(steps) as f64) / steps as f64
                }
                Schedule::StepDecay { every, factor } => {
                    factor.powi(i32::try_from(t / every).unwrap_or(i32::MAX))
                }
                Schedule::Cosine { t_max } => {
                    let total = t_max.unwrap_or(total);
                    if total == 0 {
                        1.0
                    } else {
                        (1.0 + (std::f64::consts::PI * t as f64 / total as f64).cos()) / 2.0
                    }
                }
            };
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_factors() {
        let r = |schedules| Remedies {
            schedules,
            ..Default::default()
        };
        let w = r(vec![Schedule::Warmup { steps: 4 }]);
        let f: Vec<f64> = (0..6).map(|t| w.lr_factor(t, 10)).collect();
        assert_eq!(f, [0.25, 0.4375, 0.625, 0.8125, 1.0, 1.0]);
        let s = r(vec![Schedule::StepDecay {
            every: 2,
            factor: 0.5,
        }]);
        let f: Vec<f64> = (0..5).map(|t| s.lr_factor(t, 10)).collect();
        assert_eq!(f, [1.0, 1.0, 0.5, 0.5, 0.25]);
        let c = r(vec![Schedule::Cosine { t_max: None }]);
        assert_eq!(c.lr_factor(0, 4), 1.0);
        assert!((c.lr_factor(2, 4) - 0.5).abs() < 1e-15);
        let both = r(vec![
            Schedule::Warmup { steps: 2 },
            Schedule::Cosine { t_max: None },
        ]);
        assert!((both.lr_factor(0, 4) - 0.5).abs() < 1e-15);
        assert!(r(vec![Schedule::Warmup { steps: 0 }]).validate().is_err());
    }
}
