//! Deterministic toy data sets. Every generator draws from its own
//! `ChaCha8Rng::seed_from_u64(seed)`; uniform draws use `u = (next_u64() >> 11) · 2⁻⁵³`,
//! normal draws use `rand_distr::StandardNormal`.
//!
//! ```
//! use gradlab_engine::data;
//!
//! let xor = data::xor();
//! assert_eq!((xor.n, xor.x_dim, xor.y_dim), (4, 2, 1));
//! assert_eq!(data::spiral(10, 3, 0.2, 1), data::spiral(10, 3, 0.2, 1)); // seeded
//! ```

use super::types::{Dataset, EngineError};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::f64::consts::PI;

fn uniform01(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample(StandardNormal)
}

/// The XOR truth table: 4 rows, inputs `[0,0],[0,1],[1,0],[1,1]`, targets `0,1,1,0`.
pub fn xor() -> Dataset {
    Dataset {
        x: vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0],
        y: vec![0.0, 1.0, 1.0, 0.0],
        n: 4,
        x_dim: 2,
        y_dim: 1,
    }
}

fn linspace(start: f64, end: f64, n: usize, i: usize) -> f64 {
    if n <= 1 {
        start
    } else {
        start + (end - start) * i as f64 / (n - 1) as f64
    }
}

/// The CS231n spiral: for class `j`, `r = linspace(0, 1, N)`,
/// `t = linspace(4j, 4(j+1), N) + noise · N(0, 1)`, `x = (r sin t, r cos t)`, target `j`
/// (class index, for `cross_entropy`). Rows are grouped by class; the normal draws are
/// consumed class by class, point by point.
pub fn spiral(n_per_class: usize, classes: usize, noise: f64, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = n_per_class.saturating_mul(classes);
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for j in 0..classes {
        for i in 0..n_per_class {
            let r = linspace(0.0, 1.0, n_per_class, i);
            let t = linspace(4.0 * j as f64, 4.0 * (j + 1) as f64, n_per_class, i)
                + normal(&mut rng) * noise;
            x.push(r * t.sin());
            x.push(r * t.cos());
            y.push(j as f64);
        }
    }
    Dataset {
        x,
        y,
        n,
        x_dim: 2,
        y_dim: 1,
    }
}

/// `n` points with `x ~ U[-π, π)` (one draw each, in row order) and `y = sin x`.
pub fn sine(n: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x: Vec<f64> = (0..n)
        .map(|_| -PI + 2.0 * PI * uniform01(&mut rng))
        .collect();
    let y = x.iter().map(|v| v.sin()).collect();
    Dataset {
        x,
        y,
        n,
        x_dim: 1,
        y_dim: 1,
    }
}

/// `n` points with `x ~ U[-1, 1)` and `y = 2x + 1 + noise · N(0, 1)`; per row the uniform
/// draw comes first, then the normal draw.
pub fn linear(n: usize, noise: f64, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let v = -1.0 + 2.0 * uniform01(&mut rng);
        let e = normal(&mut rng);
        x.push(v);
        y.push(2.0 * v + 1.0 + noise * e);
    }
    Dataset {
        x,
        y,
        n,
        x_dim: 1,
        y_dim: 1,
    }
}

/// Build a data set from rows; all input rows (and all target rows) must have one width.
pub fn from_rows(x_rows: &[Vec<f64>], y_rows: &[Vec<f64>]) -> Result<Dataset, EngineError> {
    if x_rows.len() != y_rows.len() {
        return Err(EngineError::Data(format!(
            "{} input rows but {} target rows",
            x_rows.len(),
            y_rows.len()
        )));
    }
    let x_dim = x_rows.first().map_or(0, Vec::len);
    let y_dim = y_rows.first().map_or(0, Vec::len);
    for (what, rows, dim) in [("input", x_rows, x_dim), ("target", y_rows, y_dim)] {
        if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != dim) {
            return Err(EngineError::Data(format!(
                "{what} row {} has {} values, row 1 has {}",
                i + 1,
                r.len(),
                dim
            )));
        }
    }
    Ok(Dataset {
        x: x_rows.iter().flatten().copied().collect(),
        y: y_rows.iter().flatten().copied().collect(),
        n: x_rows.len(),
        x_dim,
        y_dim,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_deterministic_and_shaped() {
        assert_eq!(spiral(10, 3, 0.2, 1), spiral(10, 3, 0.2, 1));
        assert_ne!(spiral(10, 3, 0.2, 1), spiral(10, 3, 0.2, 2));
        let s = spiral(10, 3, 0.0, 1);
        assert_eq!((s.n, s.x.len(), s.y.len()), (30, 60, 30));
        assert_eq!(s.y[29], 2.0);
        // last point of class 0 without noise: r = 1, t = 4
        assert!((s.x[18] - 4f64.sin()).abs() < 1e-15);
        let d = sine(50, 3);
        assert!(d.x.iter().all(|v| (-PI..PI).contains(v)));
        assert!((d.y[7] - d.x[7].sin()).abs() == 0.0);
        let l = linear(20, 0.0, 4);
        assert!((l.y[3] - (2.0 * l.x[3] + 1.0)).abs() < 1e-15);
        assert_eq!(linear(20, 0.1, 4), linear(20, 0.1, 4));
        assert_eq!(xor().n, 4);
        assert_eq!(spiral(0, 3, 0.1, 0).n, 0);
    }

    #[test]
    fn from_rows_checks_widths() {
        let d = from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0]], &[vec![1.0], vec![0.0]]).unwrap();
        assert_eq!((d.n, d.x_dim, d.y_dim), (2, 2, 1));
        assert!(from_rows(&[vec![1.0, 2.0], vec![3.0]], &[vec![1.0], vec![0.0]]).is_err());
        assert!(from_rows(&[vec![1.0]], &[]).is_err());
    }
}
