//! `torch.nn.init` schemes for a layer's weight (`WeightSpec::Init`).
//!
//! # Draws
//! A scheme layer draws from its own generator,
//! `ChaCha8Rng::seed_from_u64(seed)` with `set_stream(2 + layer index)` (stream 0 is the
//! default initialisation, which is consumed for every layer whatever its spec; stream 1 is
//! the mini-batch shuffle), so choosing a scheme for one layer never changes another
//! layer's values, and a scheme layer's values depend only on (seed, layer index, scheme,
//! shape). Values are drawn row-major (`w[0][0], w[0][1], …`):
//! * uniform: `u = (next_u64() >> 11) · 2⁻⁵³ ∈ [0, 1)`, value `lo + (hi − lo)·u`;
//! * normal (Box–Muller, two draws per value): `u1`, `u2` as above,
//!   `z = sqrt(−2 ln(1 − u1)) · cos(2π u2)`, value `mean + std·z`.
//!
//! Values are computed in f64 and rounded to f32 for f32 runs.
//!
//! # Formulas (fan_in = input width, fan_out = layer width, as `nn.Linear.weight`)
//! * `Const(v)`: every weight v (and the bias v, see `params.rs`).
//! * `Uniform { a, b }`: U(a, b). `Normal { mean, std }`: N(mean, std²).
//! * `XavierUniform { gain }`: U(±gain·√(6/(fan_in+fan_out))).
//!   `XavierNormal { gain }`: N(0, gain²·2/(fan_in+fan_out)).
//! * `KaimingUniform { mode, nonlinearity }`: U(±gain·√(3/fan)); `KaimingNormal`:
//!   N(0, gain²/fan), `fan` = fan_in or fan_out by `mode`, gain = [`Nonlinearity::gain`]
//!   (`calculate_gain`).
//! * `LecunNormal`: N(0, 1/fan_in) (not truncated).
//! * `Orthogonal { gain }`: torch's `orthogonal_`: a fan_out × fan_in normal matrix
//!   (transposed first if fan_out < fan_in), its QR decomposition (modified Gram–Schmidt,
//!   done twice), Q's columns multiplied by sign(diag R) (so the result does not depend on
//!   the QR convention), transposed back, times gain.
//! * `PytorchDefault`: exactly `WeightSpec::Default` (the stream-0 values).

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::types::EngineError;

/// `mode` of the Kaiming schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FanMode {
    /// Scale by the input width (preserves the forward signal).
    #[default]
    FanIn,
    /// Scale by the layer width (preserves the backward signal).
    FanOut,
}

/// `nonlinearity` of the Kaiming schemes (`torch.nn.init.calculate_gain`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Nonlinearity {
    /// Gain 1.
    Linear,
    /// Gain 1.
    Sigmoid,
    /// Gain 5/3.
    Tanh,
    /// Gain √2.
    Relu,
    /// `√(2/(1+slope²))`; torch's `calculate_gain('leaky_relu')` default slope is 0.01.
    LeakyRelu {
        /// The negative slope.
        slope: f64,
    },
    /// Gain 3/4.
    Selu,
}

impl Nonlinearity {
    /// `calculate_gain`: linear 1, sigmoid 1, tanh 5/3, relu √2, leaky_relu √(2/(1+a²)),
    /// selu 3/4.
    pub fn gain(&self) -> f64 {
        match *self {
            Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
            Nonlinearity::Tanh => 5.0 / 3.0,
            Nonlinearity::Relu => 2f64.sqrt(),
            Nonlinearity::LeakyRelu { slope } => (2.0 / (1.0 + slope * slope)).sqrt(),
            Nonlinearity::Selu => 0.75,
        }
    }
}

/// A `torch.nn.init` scheme (see the module docs for formulas and draws).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum InitScheme {
    /// `constant_`: every weight (and the bias) this value.
    Const(f64),
    /// `uniform_(a, b)`.
    Uniform {
        /// Lower bound.
        a: f64,
        /// Upper bound.
        b: f64,
    },
    /// `normal_(mean, std)`.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// `xavier_uniform_(gain)`.
    XavierUniform {
        /// Scale factor.
        gain: f64,
    },
    /// `xavier_normal_(gain)`.
    XavierNormal {
        /// Scale factor.
        gain: f64,
    },
    /// `kaiming_uniform_(mode, nonlinearity)`.
    KaimingUniform {
        /// Which fan scales the bound.
        mode: FanMode,
        /// Gives the gain.
        nonlinearity: Nonlinearity,
    },
    /// `kaiming_normal_(mode, nonlinearity)`.
    KaimingNormal {
        /// Which fan scales the standard deviation.
        mode: FanMode,
        /// Gives the gain.
        nonlinearity: Nonlinearity,
    },
    /// N(0, 1/fan_in), not truncated.
    LecunNormal,
    /// `orthogonal_(gain)`.
    Orthogonal {
        /// Scale factor.
        gain: f64,
    },
    /// The `nn.Linear` default, the same values as `WeightSpec::Default`.
    PytorchDefault,
}

impl InitScheme {
    /// Check the scheme's numbers (message names layer `layer`, 1-based).
    pub(crate) fn validate(&self, layer: usize) -> Result<(), EngineError> {
        let finite = |what: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(EngineError::Net(format!(
                    "layer {layer}: init {what} must be a finite number, got {v}"
                )))
            }
        };
        match *self {
            InitScheme::Const(v) => finite("value", v),
            InitScheme::Uniform { a, b } => {
                finite("a", a)?;
                finite("b", b)?;
                if a > b {
                    return Err(EngineError::Net(format!(
                        "layer {layer}: uniform({a}, {b}) needs a <= b"
                    )));
                }
                Ok(())
            }
            InitScheme::Normal { mean, std } => {
                finite("mean", mean)?;
                finite("std", std)?;
                if std < 0.0 {
                    return Err(EngineError::Net(format!(
                        "layer {layer}: normal std must be >= 0, got {std}"
                    )));
                }
                Ok(())
            }
            InitScheme::XavierUniform { gain }
            | InitScheme::XavierNormal { gain }
            | InitScheme::Orthogonal { gain } => finite("gain", gain),
            InitScheme::KaimingUniform { nonlinearity, .. }
            | InitScheme::KaimingNormal { nonlinearity, .. } => match nonlinearity {
                Nonlinearity::LeakyRelu { slope } => finite("leaky_relu slope", slope),
                _ => Ok(()),
            },
            InitScheme::LecunNormal | InitScheme::PytorchDefault => Ok(()),
        }
    }
}

struct Draws(ChaCha8Rng);

impl Draws {
    fn uniform01(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform01();
        let u2 = self.uniform01();
        (-2.0 * (1.0 - u1).ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// The generator of layer `layer`'s scheme draws.
fn layer_rng(seed: u64, layer: usize) -> Draws {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(2 + layer as u64);
    Draws(rng)
}

/// Weight `[fan_out][fan_in]` of layer `layer` under `scheme`. `default` is the stream-0
/// matrix (returned for `PytorchDefault`).
pub(crate) fn init_weight(
    scheme: &InitScheme,
    seed: u64,
    layer: usize,
    fan_in: usize,
    fan_out: usize,
    default: Vec<Vec<f64>>,
) -> Vec<Vec<f64>> {
    let mut rng = layer_rng(seed, layer);
    let (fi, fo) = (fan_in as f64, fan_out as f64);
    let fan = |mode: FanMode| match mode {
        FanMode::FanIn => fi,
        FanMode::FanOut => fo,
    };
    let mut fill = |f: &mut dyn FnMut(&mut Draws) -> f64| -> Vec<Vec<f64>> {
        (0..fan_out)
            .map(|_| (0..fan_in).map(|_| f(&mut rng)).collect())
            .collect()
    };
    let uniform = |lo: f64, hi: f64| move |r: &mut Draws| lo + (hi - lo) * r.uniform01();
    let normal = |mean: f64, std: f64| move |r: &mut Draws| mean + std * r.normal();
    match *scheme {
        InitScheme::PytorchDefault => default,
        InitScheme::Const(v) => fill(&mut |_| v),
        InitScheme::Uniform { a, b } => fill(&mut uniform(a, b)),
        InitScheme::Normal { mean, std } => fill(&mut normal(mean, std)),
        InitScheme::XavierUniform { gain } => {
            let bound = gain * (6.0 / (fi + fo)).sqrt();
            fill(&mut uniform(-bound, bound))
        }
        InitScheme::XavierNormal { gain } => {
            fill(&mut normal(0.0, gain * (2.0 / (fi + fo)).sqrt()))
        }
        InitScheme::KaimingUniform { mode, nonlinearity } => {
            let bound = nonlinearity.gain() * (3.0 / fan(mode)).sqrt();
            fill(&mut uniform(-bound, bound))
        }
        InitScheme::KaimingNormal { mode, nonlinearity } => {
            fill(&mut normal(0.0, nonlinearity.gain() / fan(mode).sqrt()))
        }
        InitScheme::LecunNormal => fill(&mut normal(0.0, 1.0 / fi.sqrt())),
        InitScheme::Orthogonal { gain } => {
            let a = fill(&mut normal(0.0, 1.0));
            orthogonal(a, gain)
        }
    }
}

/// torch's `orthogonal_` applied to the normal matrix `a` (`rows × cols`).
fn orthogonal(a: Vec<Vec<f64>>, gain: f64) -> Vec<Vec<f64>> {
    let rows = a.len();
    let cols = a.first().map_or(0, Vec::len);
    // Work on columns of an m × n matrix with m >= n ("flattened", transposed if rows < cols).
    let transpose = rows < cols;
    let (m, n) = if transpose {
        (cols, rows)
    } else {
        (rows, cols)
    };
    // q[j] = column j (length m).
    let mut q: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            (0..m)
                .map(|i| if transpose { a[j][i] } else { a[i][j] })
                .collect()
        })
        .collect();
    // Modified Gram–Schmidt, twice; diag(R) = the norms before normalising (> 0), so the
    // sign correction of torch (multiply by sign(diag R) of its Householder QR) yields
    // exactly this unique Q with positive diag(R).
    for j in 0..n {
        for _pass in 0..2 {
            for k in 0..j {
                let (done, rest) = q.split_at_mut(j);
                let d: f64 = done[k].iter().zip(&rest[0]).map(|(x, y)| x * y).sum();
                for (v, u) in rest[0].iter_mut().zip(&done[k]) {
                    *v -= d * u;
                }
            }
        }
        let nrm = q[j].iter().map(|v| v * v).sum::<f64>().sqrt();
        if nrm > 0.0 {
            q[j].iter_mut().for_each(|v| *v /= nrm);
        }
    }
    (0..rows)
        .map(|i| {
            (0..cols)
                .map(|j| gain * if transpose { q[i][j] } else { q[j][i] })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(w: &[Vec<f64>]) -> (f64, f64) {
        let v: Vec<f64> = w.iter().flatten().copied().collect();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        (mean, var.sqrt())
    }

    /// Mean and std over a 400 × 300 matrix vs the formula: the sample mean is within
    /// 5 standard errors (σ/√N), the sample std within 2% (its standard error is
    /// about σ/√(2N) ≈ 0.2% for N = 120 000).
    #[test]
    fn scheme_moments_match_the_formulas() {
        let (fi, fo) = (300usize, 400usize);
        let (fif, fof) = (fi as f64, fo as f64);
        let relu = Nonlinearity::Relu;
        let uni_std = |bound: f64| bound / 3f64.sqrt();
        let cases: Vec<(InitScheme, f64, f64)> = vec![
            (
                InitScheme::Uniform { a: -0.5, b: 1.5 },
                0.5,
                2.0 / 12f64.sqrt(),
            ),
            (
                InitScheme::Normal {
                    mean: 0.3,
                    std: 0.2,
                },
                0.3,
                0.2,
            ),
            (
                InitScheme::XavierUniform { gain: 2.0 },
                0.0,
                uni_std(2.0 * (6.0 / (fif + fof)).sqrt()),
            ),
            (
                InitScheme::XavierNormal { gain: 0.5 },
                0.0,
                0.5 * (2.0 / (fif + fof)).sqrt(),
            ),
            (
                InitScheme::KaimingUniform {
                    mode: FanMode::FanIn,
                    nonlinearity: relu,
                },
                0.0,
                uni_std(2f64.sqrt() * (3.0 / fif).sqrt()),
            ),
            (
                InitScheme::KaimingUniform {
                    mode: FanMode::FanOut,
                    nonlinearity: Nonlinearity::Tanh,
                },
                0.0,
                uni_std(5.0 / 3.0 * (3.0 / fof).sqrt()),
            ),
            (
                InitScheme::KaimingNormal {
                    mode: FanMode::FanIn,
                    nonlinearity: Nonlinearity::LeakyRelu { slope: 0.01 },
                },
                0.0,
                (2.0 / 1.0001f64).sqrt() / fif.sqrt(),
            ),
            (
                InitScheme::KaimingNormal {
                    mode: FanMode::FanOut,
                    nonlinearity: Nonlinearity::Selu,
                },
                0.0,
                0.75 / fof.sqrt(),
            ),
            (InitScheme::LecunNormal, 0.0, 1.0 / fif.sqrt()),
            // a 400 × 300 matrix with orthonormal columns: Σw² = 300, mean ≈ 0
            (
                InitScheme::Orthogonal { gain: 1.5 },
                0.0,
                1.5 * (1.0 / fof).sqrt(),
            ),
        ];
        for (scheme, mean, std) in cases {
            let w = init_weight(&scheme, 42, 0, fi, fo, Vec::new());
            assert_eq!((w.len(), w[0].len()), (fo, fi));
            let (m, s) = moments(&w);
            let n = (fi * fo) as f64;
            assert!(
                (m - mean).abs() < 5.0 * std / n.sqrt(),
                "{scheme:?}: mean {m} vs {mean}"
            );
            assert!((s / std - 1.0).abs() < 0.02, "{scheme:?}: std {s} vs {std}");
        }
        let c = init_weight(&InitScheme::Const(0.25), 1, 0, 3, 2, Vec::new());
        assert_eq!(c, vec![vec![0.25; 3]; 2]);
    }

    #[test]
    fn orthogonal_is_orthogonal_both_shapes() {
        for (fi, fo) in [(5, 8), (8, 5), (6, 6)] {
            let w = init_weight(&InitScheme::Orthogonal { gain: 2.0 }, 3, 1, fi, fo, vec![]);
            // the smaller side is orthonormal (times gain²)
            let (short, long) = if fo >= fi { (fi, fo) } else { (fo, fi) };
            let get = |i: usize, j: usize| if fo >= fi { w[j][i] } else { w[i][j] };
            for a in 0..short {
                for b in 0..short {
                    let d: f64 = (0..long).map(|k| get(a, k) * get(b, k)).sum();
                    let want = if a == b { 4.0 } else { 0.0 };
                    assert!((d - want).abs() < 1e-12, "{fi}x{fo} ({a},{b}) = {d}");
                }
            }
        }
    }

    #[test]
    fn draws_are_reproducible_and_per_layer() {
        let s = InitScheme::KaimingNormal {
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::Relu,
        };
        let a = init_weight(&s, 9, 2, 4, 3, vec![]);
        assert_eq!(a, init_weight(&s, 9, 2, 4, 3, vec![]));
        assert_ne!(a, init_weight(&s, 9, 1, 4, 3, vec![]));
        assert_ne!(a, init_weight(&s, 10, 2, 4, 3, vec![]));
    }

    #[test]
    fn gains() {
        assert_eq!(Nonlinearity::Relu.gain(), 2f64.sqrt());
        assert_eq!(Nonlinearity::Tanh.gain(), 5.0 / 3.0);
        assert_eq!(Nonlinearity::Selu.gain(), 0.75);
        let l = Nonlinearity::LeakyRelu { slope: 0.01 }.gain();
        assert!((l - (2.0 / 1.0001f64).sqrt()).abs() < 1e-15);
    }
}
