//! Losses with mean reduction and their gradients w.r.t. the network output, as PyTorch.
//!
//! * `Mse`: `mean((x - y)²)`, grad `(2/N)(x - y)`, N = number of elements.
//! * `Mae` (`L1Loss`): `mean(|x - y|)`, grad `sign(x - y)/N` with sign(0) = 0.
//! * `Bce` (`BCEWithLogitsLoss`): `mean((1 - y) x - log_sigmoid(x))` with the stable
//!   `log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|))`, grad `(sigmoid(x) - y)/N`.
//! * `CrossEntropy`: log-softmax over each row, `-mean(logp[target])` over the batch,
//!   grad `(softmax - onehot)/B`.

use super::real::Real;
use super::types::LossKind;

/// Result of one loss evaluation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LossValue<R: Real> {
    pub loss: R,
    /// Fraction correct for classification losses.
    pub accuracy: Option<f64>,
}

/// Loss over `rows` rows of network output `out` (`rows × c`) against targets `y`
/// (`rows × y_dim`), writing ∂L/∂out into `grad` (`rows × c`).
pub(crate) fn loss_and_grad<R: Real>(
    kind: LossKind,
    out: &[R],
    y: &[R],
    rows: usize,
    c: usize,
    grad: &mut [R],
) -> LossValue<R> {
    let out = &out[..rows * c];
    let grad = &mut grad[..rows * c];
    match kind {
        LossKind::Mse => {
            let n = rows * c;
            let norm = R::from_f64(2.0 / n as f64);
            let mut sum = R::ZERO;
            for i in 0..n {
                let d = out[i] - y[i];
                sum += d * d;
                grad[i] = norm * d;
            }
            LossValue {
                loss: sum / R::from_usize(n),
                accuracy: None,
            }
        }
        LossKind::Mae => {
            let n = rows * c;
            let inv = R::ONE / R::from_usize(n);
            let mut sum = R::ZERO;
            for i in 0..n {
                let d = out[i] - y[i];
                sum += d.abs();
                grad[i] = if d > R::ZERO {
                    inv
                } else if d < R::ZERO {
                    -inv
                } else if d.is_nan() {
                    d
                } else {
                    R::ZERO
                };
            }
            LossValue {
                loss: sum / R::from_usize(n),
                accuracy: None,
            }
        }
        LossKind::Bce => {
            let n = rows * c;
            let nr = R::from_usize(n);
            let half = R::from_f64(0.5);
            let mut sum = R::ZERO;
            let mut correct = 0usize;
            for i in 0..n {
                let x = out[i];
                let t = y[i];
                let min0 = if x < R::ZERO { x } else { R::ZERO };
                let log_sig = min0 - (-x.abs()).exp().ln_1p();
                sum += (R::ONE - t) * x - log_sig;
                let sig = R::ONE / (R::ONE + (-x).exp());
                grad[i] = (sig - t) / nr;
                if (x > R::ZERO) == (t >= half) {
                    correct += 1;
                }
            }
            LossValue {
                loss: sum / nr,
                accuracy: Some(correct as f64 / n as f64),
            }
        }
        LossKind::CrossEntropy => {
            let nr = R::from_usize(rows);
            let inv = R::ONE / nr;
            let mut sum = R::ZERO;
            let mut correct = 0usize;
            for r in 0..rows {
                let x = &out[r * c..(r + 1) * c];
                let g = &mut grad[r * c..(r + 1) * c];
                // Target was validated to be an integer in [0, c).
                let t = (y[r].to_f64() as usize).min(c - 1);
                let mut m = x[0];
                let mut arg = 0;
                for (j, &v) in x.iter().enumerate() {
                    if v > m || (v.is_nan() && !m.is_nan()) {
                        m = v;
                        arg = j;
                    }
                }
                if arg == t {
                    correct += 1;
                }
                let mut s = R::ZERO;
                for &v in x {
                    s += (v - m).exp();
                }
                let ls = s.ln();
                sum += -((x[t] - m) - ls);
                for j in 0..c {
                    let p = ((x[j] - m) - ls).exp();
                    g[j] = p * inv - if j == t { inv } else { R::ZERO };
                }
            }
            LossValue {
                loss: sum / nr,
                accuracy: Some(correct as f64 / rows as f64),
            }
        }
    }
}

/// Largest per-element (per-row for cross-entropy) loss term before the mean, in f64.
/// Used by `explain` to predict where the loss overflows.
pub(crate) fn max_term(kind: LossKind, out: &[f64], y: &[f64], rows: usize, c: usize) -> f64 {
    let mut m = 0.0f64;
    match kind {
        LossKind::Mse | LossKind::Mae | LossKind::Bce => {
            for i in 0..rows * c {
                let x = out[i];
                let t = y[i];
                let d = x - t;
                let v = match kind {
                    LossKind::Mse => d * d,
                    LossKind::Mae => d.abs(),
                    _ => (1.0 - t) * x - (x.min(0.0) - (-x.abs()).exp().ln_1p()),
                };
                m = if v.is_nan() { v } else { m.max(v.abs()) };
            }
        }
        LossKind::CrossEntropy => {
            for r in 0..rows {
                let x = &out[r * c..(r + 1) * c];
                let t = (y[r] as usize).min(c - 1);
                let mx = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let s: f64 = x.iter().map(|v| (v - mx).exp()).sum();
                let v = -((x[t] - mx) - s.ln());
                m = if v.is_nan() { v } else { m.max(v.abs()) };
            }
        }
    }
    m
}

/// Power with which the loss grows in the output magnitude (2 for MSE, 1 otherwise).
pub(crate) fn growth_power(kind: LossKind) -> f64 {
    match kind {
        LossKind::Mse => 2.0,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_fd(kind: LossKind, out: &[f64], y: &[f64], rows: usize, c: usize) {
        let mut g = vec![0.0; out.len()];
        loss_and_grad(kind, out, y, rows, c, &mut g);
        let mut scratch = vec![0.0; out.len()];
        for i in 0..out.len() {
            let h = 1e-6;
            let mut p = out.to_vec();
            p[i] += h;
            let lp = loss_and_grad(kind, &p, y, rows, c, &mut scratch).loss;
            p[i] -= 2.0 * h;
            let lm = loss_and_grad(kind, &p, y, rows, c, &mut scratch).loss;
            let fd = (lp - lm) / (2.0 * h);
            let err = (fd - g[i]).abs() / 1e-3f64.max(fd.abs());
            assert!(err < 1e-6, "{kind:?} elem {i}: fd {fd} vs {}", g[i]);
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let out = [0.3, -1.2, 2.5, 0.05, -0.4, 1.7];
        let y = [1.0, 0.0, 2.0, -1.0, 0.5, 1.0];
        check_fd(LossKind::Mse, &out, &y, 3, 2);
        check_fd(LossKind::Mae, &out, &y, 3, 2);
        let yb = [1.0, 0.0, 1.0, 0.0, 0.3, 1.0];
        check_fd(LossKind::Bce, &out, &yb, 3, 2);
        let yc = [2.0, 0.0];
        check_fd(LossKind::CrossEntropy, &out, &yc, 2, 3);
    }

    #[test]
    fn torch_values() {
        let mut g = [0.0; 3];
        // torch.nn.functional.mse_loss(tensor([1.,2.,3.]), tensor([0.,0.,0.])) = 14/3
        let v = loss_and_grad(LossKind::Mse, &[1.0f64, 2.0, 3.0], &[0.0; 3], 3, 1, &mut g);
        assert!((v.loss - 14.0 / 3.0).abs() < 1e-15);
        // BCEWithLogits(0, 1) = ln 2; stable at large logits
        let v = loss_and_grad(
            LossKind::Bce,
            &[0.0f64, 100.0, -100.0],
            &[1.0, 1.0, 0.0],
            3,
            1,
            &mut g,
        );
        assert!((v.loss - std::f64::consts::LN_2 / 3.0).abs() < 1e-15);
        let mut g32 = [0.0f32; 1];
        let v = loss_and_grad(LossKind::Bce, &[-100.0f32], &[1.0], 1, 1, &mut g32);
        assert!((v.loss - 100.0).abs() < 1e-4);
        // cross_entropy([[1,2,3]], [2]) = log(e+e²+e³) - 3
        let v = loss_and_grad(
            LossKind::CrossEntropy,
            &[1.0f64, 2.0, 3.0],
            &[2.0],
            1,
            3,
            &mut g,
        );
        assert!((v.loss - 0.407_605_964_444_380_1).abs() < 1e-12);
        assert_eq!(v.accuracy, Some(1.0));
        // L1 grad is 0 at 0
        let v = loss_and_grad(
            LossKind::Mae,
            &[1.0f64, 1.0, 1.0],
            &[1.0, 0.0, 2.0],
            3,
            1,
            &mut g,
        );
        assert_eq!(g, [0.0, 1.0 / 3.0, -1.0 / 3.0]);
        assert!((v.loss - 2.0 / 3.0).abs() < 1e-15);
    }
}
