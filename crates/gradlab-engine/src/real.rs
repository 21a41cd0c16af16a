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

    /// `C = alpha * A B + beta * C` with arbitrary strides (`matrixmultiply`).
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

/// Sum of squares of a slice, accumulated in `R`.
#[inline]
pub fn sum_sq<R: Real>(v: &[R]) -> R {
    let mut s = R::ZERO;
    for &x in v {
        s += x * x;
    }
    s
}

/// 2-norm of a slice, computed in `R`. The plain sum of squares is used unless it
/// overflows while every element is finite; then the norm is recomputed scaled by the
/// largest element, so it is +Inf only if the norm itself is not representable.
#[inline]
pub fn norm<R: Real>(v: &[R]) -> R {
    let n = sum_sq(v).sqrt();
    if !all_finite(v) {
        return n;
    }
    // The 2-norm is at least the largest |x|: a plain sum of squares that overflowed, or
    // underflowed (tiny gradients of a vanishing chain square to below f32's range),
    // falls outside that bound and is recomputed with scaling, as torch's norm does.
    let m = max_abs(v);
    if n.is_finite() && n >= m {
        return n;
    }
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
