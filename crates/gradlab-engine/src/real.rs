//! A small trait over `f32` / `f64` so the whole engine is written once and every run is
//! computed entirely in its own precision (like a torch tensor of that dtype).

use std::fmt::{Debug, Display};
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// The floating-point operations the engine needs.
pub trait Real:
    Copy
    + Default
    + PartialOrd
    + PartialEq
    + Debug
    + Display
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
{
    const ZERO: Self;
    const ONE: Self;

    /// Round an `f64` to this type (nearest).
    fn from_f64(v: f64) -> Self;
    fn from_usize(v: usize) -> Self;
    fn to_f64(self) -> f64;
    fn exp(self) -> Self;
    fn exp_m1(self) -> Self;
    fn ln(self) -> Self;
    fn ln_1p(self) -> Self;
    fn sqrt(self) -> Self;
    fn tanh(self) -> Self;
    fn erf(self) -> Self;
    fn abs(self) -> Self;
    fn is_finite(self) -> bool;
    fn is_nan(self) -> bool;
    /// `self * a + b` with one rounding (an FMA instruction where the caller enables it).
    fn mul_add(self, a: Self, b: Self) -> Self;

    /// `C = alpha * A B + beta * C` with arbitrary strides (`matrixmultiply`); called
    /// through `matmul::Products::product`.
    ///
    /// # Safety
    /// The pointers and strides must describe valid `m×k`, `k×n`, `m×n` matrices, and `c`
    /// must not alias `a` or `b`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

macro_rules! impl_real {
    ($t:ty, $gemm:path, $erf:path) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;

            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn from_usize(v: usize) -> Self {
                v as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline]
            fn exp_m1(self) -> Self {
                <$t>::exp_m1(self)
            }
            #[inline]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline]
            fn erf(self) -> Self {
                $erf(self)
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                <$t>::mul_add(self, a, b)
            }
            #[inline]
            unsafe fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                // SAFETY: forwarded contract of this function.
                unsafe { $gemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) }
            }
        }
    };
}

impl_real!(f32, matrixmultiply::sgemm, libm::erff);
impl_real!(f64, matrixmultiply::dgemm, libm::erf);

/// Independent partial sums per pass: enough to fill an AVX-512 register with f32. A
/// fixed count, written out in the source, keeps the order of the additions, and so the
/// result, the same on every machine whatever its vector width.
pub(crate) const LANES: usize = 16;

/// Σx² and max|x| of a slice, accumulated in `R`, in one pass.
///
/// The full chunks of `LANES` values are summed in `LANES` independent partial sums
/// (which the compiler vectorises), added up in lane order; the remainder follows in
/// sequence. A slice shorter than `LANES` is summed exactly as a plain loop would.
/// `max` ignores NaN: a NaN shows in the sum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SumSq<R> {
    /// Σx².
    pub sum: R,
    /// max|x| over the non-NaN elements.
    pub max: R,
}

/// The partial sums of [`SumSq::of`], for a loop that reads a slice for work of its own
/// (an activation's derivative reads ∂L/∂a) and sums it on the way, in the same order:
/// element `i` of each full chunk of `LANES` goes to lane `i`, the rest to `finish`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lanes<R> {
    sums: [R; LANES],
    maxes: [R; LANES],
}

impl<R: Real> Lanes<R> {
    pub const ZERO: Self = Lanes {
        sums: [R::ZERO; LANES],
        maxes: [R::ZERO; LANES],
    };

    /// Adds `x`, element `lane` of a full chunk.
    #[inline(always)]
    pub fn add(&mut self, lane: usize, x: R) {
        self.sums[lane] += x * x;
        let a = x.abs();
        self.maxes[lane] = if a > self.maxes[lane] {
            a
        } else {
            self.maxes[lane]
        };
    }

    /// The sums: the lanes in order, then the elements after the last full chunk. The
    /// lanes of a slice shorter than one chunk are all zero, and adding them is skipped
    /// (a step of a one-unit chain sums twenty such slices).
    #[inline(always)]
    pub fn finish(self, rest: &[R], full_chunks: bool) -> SumSq<R> {
        let mut out = SumSq::ZERO;
        for i in 0..if full_chunks { LANES } else { 0 } {
            out.sum += self.sums[i];
            out.max = if self.maxes[i] > out.max {
                self.maxes[i]
            } else {
                out.max
            };
        }
        for &x in rest {
            out.sum += x * x;
            let a = x.abs();
            out.max = if a > out.max { a } else { out.max };
        }
        out
    }
}

impl<R: Real> SumSq<R> {
    /// The sums of an empty slice.
    pub const ZERO: Self = SumSq {
        sum: R::ZERO,
        max: R::ZERO,
    };

    /// The sums of `v`.
    #[inline]
    pub fn of(v: &[R]) -> Self {
        let mut lanes = Lanes::ZERO;
        let chunks = v.chunks_exact(LANES);
        let rest = chunks.remainder();
        for chunk in chunks {
            for (i, &x) in chunk.iter().enumerate() {
                lanes.add(i, x);
            }
        }
        lanes.finish(rest, v.len() >= LANES)
    }

    /// The sums of two slices taken as one (this one first).
    #[inline]
    pub fn join(self, other: Self) -> Self {
        SumSq {
            sum: self.sum + other.sum,
            max: if other.max > self.max {
                other.max
            } else {
                self.max
            },
        }
    }

    /// True if every element is finite: a sum of squares is finite only then (a NaN or an
    /// infinity, or a square that overflows, makes it NaN or infinite), and otherwise
    /// the elements themselves are looked at.
    #[inline]
    pub fn all_finite(self, v: &[R]) -> bool {
        self.sum.is_finite() || all_finite(v)
    }

    /// The 2-norm of `v`, whose sums these are. The plain `√Σx²` is used unless it
    /// overflowed while every element is finite, or underflowed (tiny gradients of a
    /// vanishing chain square to below f32's range): the norm is at least max|x|, and a
    /// sum outside that bound is recomputed scaled by the largest element, as torch's
    /// norm does. So it is +Inf only if the norm itself is not representable.
    #[inline]
    pub fn norm(self, v: &[R]) -> R {
        let n = self.sum.sqrt();
        if n.is_finite() {
            if n >= self.max {
                return n;
            }
        } else if !all_finite(v) {
            return n;
        }
        let m = self.max;
        if m == R::ZERO {
            return m;
        }
        let mut s = R::ZERO;
        for &x in v {
            let r = x / m;
            s += r * r;
        }
        m * s.sqrt()
    }
}

/// Sum of squares of a slice, accumulated in `R` (see [`SumSq::of`] for the order).
#[inline]
pub fn sum_sq<R: Real>(v: &[R]) -> R {
    SumSq::of(v).sum
}

/// 2-norm of a slice, computed in `R` (see [`SumSq::norm`]).
#[inline]
pub fn norm<R: Real>(v: &[R]) -> R {
    SumSq::of(v).norm(v)
}

/// True if every element is finite.
#[inline]
pub fn all_finite<R: Real>(v: &[R]) -> bool {
    v.iter().all(|x| x.is_finite())
}

/// Largest absolute value (NaN-propagating: returns NaN if any element is NaN).
pub fn max_abs<R: Real>(v: &[R]) -> R {
    let mut m = R::ZERO;
    for &x in v {
        if x.is_nan() {
            return x;
        }
        let a = x.abs();
        if a > m {
            m = a;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_is_accurate() {
        // Reference values of erf.
        let cases = [
            (0.0, 0.0),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (-2.0, -0.995_322_265_018_952_7),
            (3.5, 0.999_999_256_901_627_7),
        ];
        for (x, e) in cases {
            assert!((Real::erf(x) - e).abs() < 1e-15, "erf({x})");
            assert!((Real::erf(x as f32) as f64 - e).abs() < 1e-6);
        }
    }

    #[test]
    fn norm_avoids_spurious_overflow() {
        let v = [3e30f32, 4e30];
        assert_eq!(norm(&v), 5e30);
        assert_eq!(norm(&[f32::MAX, f32::MAX]), f32::INFINITY);
        assert!(norm(&[1.0f32, f32::NAN]).is_nan());
    }

    #[test]
    fn norm_avoids_spurious_underflow() {
        // Squares of 3e-24 are below f32's smallest subnormal.
        let v = [3e-24f32, 4e-24];
        assert!((norm(&v) / 5e-24 - 1.0).abs() < 1e-6, "{}", norm(&v));
        assert_eq!(norm(&[0.0f32, 0.0]), 0.0);
    }

    #[test]
    fn gemm_strides() {
        // A (2x3) times B^T where B is stored 2x3: C = A B^T (2x2).
        let a = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [1.0f64, 0.0, 1.0, 0.0, 1.0, 0.0];
        let mut c = [0.0f64; 4];
        unsafe {
            f64::gemm(
                2,
                3,
                2,
                1.0,
                a.as_ptr(),
                3,
                1,
                b.as_ptr(),
                1,
                3,
                0.0,
                c.as_mut_ptr(),
                2,
                1,
            )
        };
        assert_eq!(c, [4.0, 2.0, 10.0, 5.0]);
    }
}
