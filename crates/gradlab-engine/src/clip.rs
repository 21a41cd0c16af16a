//! Gradient clipping, as `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_`, in the
//! run's precision, over the flat gradient vector (no allocation).
//!
//! `clip_norm`: per parameter tensor `n_i = ‖g_i‖_p` (p = 2: `√Σg²`, p = ∞: `max|g|`, other
//! p: `(Σ|g|^p)^(1/p)` in f64), total `‖(n_1, n_2, …)‖_p`, `coef = max / (total + 1e-6)`
//! clamped to at most 1 (a NaN stays NaN, as `torch.clamp`), every gradient × coef.
//! Per-layer scope does the same for each tensor with its own norm. A non-finite norm is
//! reported to the caller (the `ClipNonFinite` event), and the numbers are torch's.

use super::params::Tensor;
use super::real::{Real, SumSq, max_abs, sum_sq};
use super::types::{ClipNorm, ClipScope};

/// What one clipping pass did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ClipOutcome {
    /// Some coefficient was below 1 (or NaN), or some value was clamped.
    pub clipped: bool,
    /// First non-finite norm met and the layer of its tensor.
    pub nonfinite: Option<(f64, usize)>,
    /// With the global scope: the coefficient every gradient was multiplied by (1 when
    /// none was clipped), so the clipped norm is this times the norm before.
    pub global_coef: Option<f64>,
}

/// `sums`: the tensor's Σg², when already taken.
fn tensor_norm<R: Real>(g: &[R], sums: Option<SumSq<R>>, p: f64) -> R {
    if p == 2.0 {
        sums.map_or_else(|| sum_sq(g), |s| s.sum).sqrt()
    } else if p == f64::INFINITY {
        max_abs(g)
    } else {
        let s: f64 = g.iter().map(|v| v.to_f64().abs().powf(p)).sum();
        R::from_f64(s.powf(1.0 / p))
    }
}

fn combine<R: Real>(acc: R, n: R, p: f64) -> R {
    if p == 2.0 {
        acc + n * n
    } else if p == f64::INFINITY {
        if n.is_nan() || acc.is_nan() {
            R::from_f64(f64::NAN)
        } else if n > acc {
            n
        } else {
            acc
        }
    } else {
        acc + R::from_f64(n.to_f64().abs().powf(p))
    }
}

fn finish<R: Real>(acc: R, p: f64) -> R {
    if p == 2.0 {
        acc.sqrt()
    } else if p == f64::INFINITY {
        acc
    } else {
        R::from_f64(acc.to_f64().powf(1.0 / p))
    }
}

/// `min(1, max / (norm + 1e-6))`, NaN-propagating.
fn coefficient<R: Real>(max: f64, norm: R) -> R {
    let c = R::from_f64(max) / (norm + R::from_f64(1e-6));
    if c > R::ONE { R::ONE } else { c }
}

fn scale<R: Real>(g: &mut [R], coef: R) -> bool {
    if coef == R::ONE {
        return false;
    }
    for v in g {
        *v *= coef;
    }
    true
}

/// Clip `grads` by norm. `sums` holds each tensor's Σg² (as `Workspace::sum_grads`
/// takes them), or is empty to have them taken here.
pub(crate) fn clip_norm<R: Real>(
    grads: &mut [R],
    tensors: &[Tensor],
    sums: &[SumSq<R>],
    c: &ClipNorm,
) -> ClipOutcome {
    let p = c.norm_type;
    let mut out = ClipOutcome::default();
    let note = |n: R, layer: usize, out: &mut ClipOutcome| {
        if !n.is_finite() && out.nonfinite.is_none() {
            out.nonfinite = Some((n.to_f64(), layer));
        }
    };
    match c.scope {
        ClipScope::Global => {
            let mut acc = R::ZERO;
            let mut first_bad = None;
            for (i, t) in tensors.iter().enumerate() {
                let n = tensor_norm(&grads[t.off..t.off + t.len], sums.get(i).copied(), p);
                if !n.is_finite() && first_bad.is_none() {
                    first_bad = Some(t.layer);
                }
                acc = combine(acc, n, p);
            }
            let total = finish(acc, p);
            if !total.is_finite() {
                out.nonfinite = Some((total.to_f64(), first_bad.unwrap_or(0)));
            }
            let coef = coefficient(c.max, total);
            out.clipped = scale(grads, coef);
            out.global_coef = Some(coef.to_f64());
        }
        ClipScope::PerLayer => {
            for (i, t) in tensors.iter().enumerate() {
                let g = &mut grads[t.off..t.off + t.len];
                let n = tensor_norm(g, sums.get(i).copied(), p);
                note(n, t.layer, &mut out);
                out.clipped |= scale(g, coefficient(c.max, n));
            }
        }
    }
    out
}

/// Clamp every gradient to `[-c, c]` (NaN stays NaN). True if some value changed.
pub(crate) fn clip_value<R: Real>(grads: &mut [R], c: f64) -> bool {
    let (hi, lo) = (R::from_f64(c), R::from_f64(-c));
    let mut changed = false;
    for g in grads {
        if *g > hi {
            *g = hi;
            changed = true;
        } else if *g < lo {
            *g = lo;
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensors() -> Vec<Tensor> {
        vec![
            Tensor {
                layer: 0,
                off: 0,
                len: 2,
            },
            Tensor {
                layer: 1,
                off: 2,
                len: 1,
            },
        ]
    }

    #[test]
    fn global_two_norm_and_inf() {
        let mut g = [3.0f64, 0.0, 4.0];
        let o = clip_norm(&mut g, &tensors(), &[], &ClipNorm::global(1.0));
        assert!(o.clipped && o.nonfinite.is_none());
        let k = 1.0 / (5.0 + 1e-6);
        assert_eq!(g, [3.0 * k, 0.0, 4.0 * k]);
        let mut g = [3.0f64, -6.0, 4.0];
        let c = ClipNorm {
            max: 3.0,
            norm_type: f64::INFINITY,
            scope: ClipScope::Global,
        };
        clip_norm(&mut g, &tensors(), &[], &c);
        let k = 3.0 / (6.0 + 1e-6);
        assert_eq!(g, [3.0 * k, -6.0 * k, 4.0 * k]);
        // below the bound: unchanged
        let mut g = [0.1f64, 0.1, 0.1];
        assert!(!clip_norm(&mut g, &tensors(), &[], &ClipNorm::global(1.0)).clipped);
        assert_eq!(g, [0.1; 3]);
    }

    #[test]
    fn per_layer_and_nonfinite() {
        let mut g = [3.0f64, 4.0, 0.5];
        let c = ClipNorm {
            max: 1.0,
            norm_type: 2.0,
            scope: ClipScope::PerLayer,
        };
        clip_norm(&mut g, &tensors(), &[], &c);
        let k = 1.0 / (5.0 + 1e-6);
        assert_eq!(g, [3.0 * k, 4.0 * k, 0.5]);
        // torch: an infinite total gives coefficient 0 (finite gradients become 0)
        let mut g = [f32::MAX, f32::MAX, 1.0];
        let o = clip_norm(&mut g, &tensors(), &[], &ClipNorm::global(1.0));
        assert_eq!(o.nonfinite, Some((f64::INFINITY, 0)));
        assert_eq!(g, [0.0, 0.0, 0.0]);
        let mut g = [1.0f32, f32::NAN, 1.0];
        let o = clip_norm(&mut g, &tensors(), &[], &ClipNorm::global(1.0));
        assert!(o.nonfinite.unwrap().0.is_nan());
        assert!(g.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn value() {
        let mut g = [2.0f64, -3.0, 0.5, f64::NAN];
        assert!(clip_value(&mut g, 1.0));
        assert_eq!(&g[..3], &[1.0, -1.0, 0.5]);
        assert!(g[3].is_nan());
    }
}
