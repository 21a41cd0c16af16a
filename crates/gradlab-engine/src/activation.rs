//! Activations and their derivatives, written as torch's CPU kernels compute them.

use super::real::{LANES, Lanes, Real, SumSq};
use super::types::Activation;

/// Activation parameters converted once to the run's precision.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Act<R: Real> {
    pub kind: Activation,
    /// LeakyReLU slope or ELU alpha (unused otherwise).
    pub param: R,
}

impl<R: Real> Act<R> {
    pub fn new(kind: Activation) -> Self {
        let param = match kind {
            Activation::LeakyRelu { slope } => R::from_f64(slope),
            Activation::Elu { alpha } => R::from_f64(alpha),
            _ => R::ZERO,
        };
        Act { kind, param }
    }

    /// `a = f(z)` element-wise.
    pub fn forward(&self, z: &[R], a: &mut [R]) {
        let half = R::from_f64(0.5);
        let sqrt1_2 = R::from_f64(std::f64::consts::FRAC_1_SQRT_2);
        let threshold = R::from_f64(20.0);
        let p = self.param;
        // One loop per activation, each a plain select or formula the compiler vectorises.
        match self.kind {
            // clamp_min(0) propagates NaN.
            Activation::Relu => map(z, a, |x| {
                if x > R::ZERO || x.is_nan() {
                    x
                } else {
                    R::ZERO
                }
            }),
            Activation::LeakyRelu { .. } => map(z, a, |x| if x > R::ZERO { x } else { x * p }),
            Activation::Elu { .. } => map(z, a, |x| if x > R::ZERO { x } else { p * x.exp_m1() }),
            Activation::Gelu => map(z, a, |x| x * half * (R::ONE + (x * sqrt1_2).erf())),
            Activation::Sigmoid => map(z, a, |x| R::ONE / (R::ONE + (-x).exp())),
            Activation::Tanh => map(z, a, |x| x.tanh()),
            Activation::Softplus => map(z, a, |x| if x > threshold { x } else { x.exp().ln_1p() }),
            Activation::Linear => map(z, a, |x| x),
        }
    }

    /// `gz = ga * f'(z)` element-wise; `a` is the forward output `f(z)`. Returns the sums
    /// of `ga` (`SumSq::of(ga)`, bit for bit), taken on the way: ‖∂L/∂a‖ for the statistics.
    pub fn backward(&self, z: &[R], a: &[R], ga: &[R], gz: &mut [R]) -> SumSq<R> {
        let half = R::from_f64(0.5);
        let sqrt1_2 = R::from_f64(std::f64::consts::FRAC_1_SQRT_2);
        // 1 / sqrt(2π)
        let k_beta = R::from_f64(0.398_942_280_401_432_7);
        let threshold = R::from_f64(20.0);
        let p = self.param;
        match self.kind {
            // threshold_backward(grad, result, 0)
            Activation::Relu => slope(
                z,
                a,
                ga,
                gz,
                |_, y, g| if y <= R::ZERO { R::ZERO } else { g },
            ),
            Activation::LeakyRelu { .. } => {
                slope(z, a, ga, gz, |x, _, g| if x > R::ZERO { g } else { g * p })
            }
            Activation::Elu { .. } => {
                slope(
                    z,
                    a,
                    ga,
                    gz,
                    |x, _, g| {
                        if x <= R::ZERO { g * p * x.exp() } else { g }
                    },
                )
            }
            Activation::Gelu => slope(z, a, ga, gz, |x, _, g| {
                let cdf = half * (R::ONE + (x * sqrt1_2).erf());
                let pdf = (-half * x * x).exp() * k_beta;
                g * (cdf + x * pdf)
            }),
            Activation::Sigmoid => slope(z, a, ga, gz, |_, y, g| g * (R::ONE - y) * y),
            Activation::Tanh => slope(z, a, ga, gz, |_, y, g| g * (R::ONE - y * y)),
            Activation::Softplus => slope(z, a, ga, gz, |x, _, g| {
                if x > threshold {
                    g
                } else {
                    let e = x.exp();
                    g * e / (e + R::ONE)
                }
            }),
            Activation::Linear => slope(z, a, ga, gz, |_, _, g| g),
        }
    }
}

/// `a[i] = f(z[i])`.
#[inline(always)]
fn map<R: Real>(z: &[R], a: &mut [R], f: impl Fn(R) -> R) {
    for (a, &x) in a.iter_mut().zip(z) {
        *a = f(x);
    }
}

/// `gz[i] = f(z[i], a[i], ga[i])`, and the sums of `ga`.
#[inline(always)]
fn slope<R: Real>(z: &[R], a: &[R], ga: &[R], gz: &mut [R], f: impl Fn(R, R, R) -> R) -> SumSq<R> {
    let n = gz.len();
    let (z, a, ga) = (&z[..n], &a[..n], &ga[..n]);
    let mut lanes = Lanes::ZERO;
    let chunks = gz
        .chunks_exact_mut(LANES)
        .zip(z.chunks_exact(LANES))
        .zip(a.chunks_exact(LANES))
        .zip(ga.chunks_exact(LANES));
    for (((gz, z), a), ga) in chunks {
        for i in 0..LANES {
            gz[i] = f(z[i], a[i], ga[i]);
            lanes.add(i, ga[i]);
        }
    }
    let full = n - n % LANES;
    for i in full..n {
        gz[i] = f(z[i], a[i], ga[i]);
    }
    lanes.finish(&ga[full..], full > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Activation; 8] = [
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.1 },
        Activation::Elu { alpha: 1.3 },
        Activation::Gelu,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Softplus,
        Activation::Linear,
    ];

    #[test]
    fn derivative_matches_finite_difference() {
        let xs = [-3.1, -0.7, -0.05, 0.13, 0.9, 2.5, 21.0, -25.0];
        for kind in ALL {
            let act = Act::<f64>::new(kind);
            for &x in &xs {
                let h = 1e-6;
                let mut out = [0.0; 3];
                act.forward(&[x - h, x, x + h], &mut out);
                let fd = (out[2] - out[0]) / (2.0 * h);
                let mut gz = [0.0];
                act.backward(&[x], &[out[1]], &[1.0], &mut gz);
                let err = (fd - gz[0]).abs() / (1.0f64).max(fd.abs());
                assert!(err < 1e-7, "{kind:?} at {x}: fd {fd} vs {}", gz[0]);
            }
        }
    }

    #[test]
    fn known_values() {
        let mut out = [0.0f64; 1];
        Act::new(Activation::Gelu).forward(&[1.0], &mut out);
        assert!((out[0] - 0.841_344_746_068_542_9).abs() < 1e-15);
        Act::new(Activation::Softplus).forward(&[30.0], &mut out);
        assert_eq!(out[0], 30.0);
        Act::new(Activation::Elu { alpha: 2.0 }).forward(&[-1.0], &mut out);
        assert!((out[0] - 2.0 * ((-1.0f64).exp() - 1.0)).abs() < 1e-15);
        Act::new(Activation::Relu).forward(&[f64::NAN], &mut out);
        assert!(out[0].is_nan());
    }

    #[test]
    fn backward_sums_its_gradient_as_sum_sq_does() {
        for n in [0, 5, 16, 37, 100] {
            let z: Vec<f32> = (0..n).map(|i| (i as f32 * 0.7).sin()).collect();
            let ga: Vec<f32> = (0..n).map(|i| (i as f32 * 1.3).cos() * 1e3).collect();
            for kind in ALL {
                let act = Act::<f32>::new(kind);
                let mut a = vec![0.0; n];
                act.forward(&z, &mut a);
                let mut gz = vec![0.0; n];
                let sums = act.backward(&z, &a, &ga, &mut gz);
                assert_eq!(sums, SumSq::of(&ga), "{kind:?}, {n} values");
            }
        }
    }
}
