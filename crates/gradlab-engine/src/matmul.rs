//! Matrix products `C = A·B` and `C += A·B`, with strided operands and a row-major `C`.
//!
//! Small products run as a plain loop: for them the GEMM crate's packing and dispatch cost
//! more than the arithmetic, and the loop allocates nothing, so a small network's step
//! allocates nothing at all. Larger ones go to `matrixmultiply`, which shares the large
//! ones among the machine's cores (its `threading` feature; `MATMUL_NUM_THREADS` limits
//! it). It splits a product over rows and columns only, never along the sum, so the
//! result does not depend on the number of threads.
//!
//! `matrixmultiply` was measured against `gemm` 0.19 with AVX-512 (`x86-v4`) on the
//! workloads of `benches/workload`, interleaved on the idle 2-core development machine:
//! µs per step, B (20 × 64, batch 32) 324–455 against 274–377, C (8 × 512, batch 256)
//! 24 300–25 400 against 26 700–32 100, D (4 × 1024, batch 512) 81 000–81 800 against
//! 81 300–89 400. It is as fast or faster where it matters, keeps the results of earlier
//! versions bit for bit, and allocates one packing buffer per product where `gemm`
//! allocates about five.

use super::real::Real;

/// A read-only matrix: element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a, R> {
    pub data: &'a [R],
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

impl<'a, R> View<'a, R> {
    /// A row-major `rows × cols` matrix.
    pub fn rows(data: &'a [R], cols: usize) -> Self {
        View {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    pub fn transposed(data: &'a [R], cols: usize) -> Self {
        View {
            data,
            rs: 1,
            cs: cols,
        }
    }

    /// True if every element of a `rows × cols` matrix lies inside `data`.
    fn holds(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.rs + (cols - 1) * self.cs < self.data.len()
    }
}

/// Products of at most this many multiply-adds run as a plain loop.
const LOOP_MAX: usize = 4096;

/// `matrixmultiply` sums in blocks of this many terms (`S_KC`, `D_KC`), rounding the
/// result after each: the loop, which sums in one run, matches it up to this length.
const BLOCK: usize = 256;

/// `matrixmultiply` shares a product among threads once its operands hold this many
/// values (`m·k + k·n`; its own rule, in `LoopThreadConfig`).
const SHARED_MIN: usize = 1 << 15;

/// True if a product of this shape is too large for the plain loop.
pub(crate) fn is_large((m, k, n): (usize, usize, usize)) -> bool {
    m * k * n > LOOP_MAX || k > BLOCK
}

/// True if a product of this shape keeps every core busy by itself.
pub(crate) fn uses_all_cores((m, k, n): (usize, usize, usize)) -> bool {
    m * k + k * n >= SHARED_MIN
}

/// `c = a·b`, or `c += a·b` with `accumulate`, where `a` is `m×k`, `b` is `k×n` and `c`
/// is the first `m×n` values of `c`, row-major.
///
/// # Panics
/// If a matrix does not fit its slice.
pub(crate) fn product<R: Real>(
    (m, k, n): (usize, usize, usize),
    a: View<R>,
    b: View<R>,
    c: &mut [R],
    accumulate: bool,
) {
    assert!(a.holds(m, k) && b.holds(k, n) && c.len() >= m * n);
    if m == 0 || n == 0 {
        return;
    }
    if !is_large((m, k, n)) {
        small_product((m, k, n), a, b, &mut c[..m * n], accumulate);
        return;
    }
    let beta = if accumulate { R::ONE } else { R::ZERO };
    // SAFETY: the assertion above keeps every element of a, b and c inside its slice;
    // c is borrowed mutably, so it aliases neither a nor b.
    unsafe {
        R::gemm(
            m,
            k,
            n,
            R::ONE,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// The plain loop, with the arithmetic of `matrixmultiply`'s kernels, so that a product
/// gives the same bits whichever path it takes: each element a sum over `k` in order,
/// starting from 0, one fused multiply-add per term where the processor has FMA (as the
/// kernels then use), then added to `c` with one rounding.
fn small_product<R: Real>(
    shape: (usize, usize, usize),
    a: View<R>,
    b: View<R>,
    c: &mut [R],
    accumulate: bool,
) {
    // matrixmultiply's FMA kernels: AVX-512, or AVX2 with FMA.
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        || (std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("avx2"))
    {
        // SAFETY: the processor has FMA.
        unsafe { small_product_fused(shape, a, b, c, accumulate) };
        return;
    }
    small_product_with(shape, a, b, c, accumulate, |sum, x, y| sum + x * y);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn small_product_fused<R: Real>(
    shape: (usize, usize, usize),
    a: View<R>,
    b: View<R>,
    c: &mut [R],
    accumulate: bool,
) {
    small_product_with(shape, a, b, c, accumulate, |sum, x, y| x.mul_add(y, sum));
}

/// `c` is `m×n`, its whole length.
#[inline(always)]
fn small_product_with<R: Real>(
    (_, k, n): (usize, usize, usize),
    a: View<R>,
    b: View<R>,
    c: &mut [R],
    accumulate: bool,
    term: impl Fn(R, R, R) -> R,
) {
    for (i, row) in c.chunks_exact_mut(n).enumerate() {
        for (j, out) in row.iter_mut().enumerate() {
            let mut sum = R::ZERO;
            for p in 0..k {
                sum = term(
                    sum,
                    a.data[i * a.rs + p * a.cs],
                    b.data[p * b.rs + j * b.cs],
                );
            }
            *out = if accumulate { *out + sum } else { sum };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both paths against a product written out by hand, with every stride pattern the
    /// network uses.
    #[test]
    fn small_and_large_products_agree_with_the_definition() {
        for (m, k, n) in [(2, 3, 4), (1, 1, 1), (40, 30, 20), (64, 64, 64)] {
            let a: Vec<f64> = (0..m * k).map(|v| (v as f64 * 0.37).sin()).collect();
            let w: Vec<f64> = (0..n * k).map(|v| (v as f64 * 0.11).cos()).collect();
            // c = a · wᵀ, with w stored row-major as n × k
            let mut c = vec![1.0; m * n];
            product(
                (m, k, n),
                View::rows(&a, k),
                View::transposed(&w, k),
                &mut c,
                true,
            );
            for i in 0..m {
                for j in 0..n {
                    let want: f64 = 1.0 + (0..k).map(|p| a[i * k + p] * w[j * k + p]).sum::<f64>();
                    assert!(
                        (c[i * n + j] - want).abs() < 1e-12,
                        "({m},{k},{n}) at ({i},{j})"
                    );
                }
            }
        }
    }

    /// Every product gives matrixmultiply's bits, whichever path it takes: the loop below
    /// `LOOP_MAX`, up to the length of matrixmultiply's blocks of the sum.
    #[test]
    fn products_give_the_bits_of_matrixmultiply() {
        for (m, k, n) in [(7, 13, 9), (1, 256, 1), (1, 300, 1), (2, 1000, 2)] {
            let a: Vec<f32> = (0..m * k).map(|v| (v as f32 * 0.37).sin() * 3.1).collect();
            let w: Vec<f32> = (0..n * k).map(|v| (v as f32 * 0.11).cos() / 7.0).collect();
            for accumulate in [false, true] {
                let mut ours = vec![0.25f32; m * n];
                product(
                    (m, k, n),
                    View::rows(&a, k),
                    View::transposed(&w, k),
                    &mut ours,
                    accumulate,
                );
                let mut packed = vec![0.25f32; m * n];
                let beta = if accumulate { 1.0 } else { 0.0 };
                // SAFETY: a is m×k, w read transposed is k×n, packed is m×n.
                unsafe {
                    f32::gemm(
                        m,
                        k,
                        n,
                        1.0,
                        a.as_ptr(),
                        k as isize,
                        1,
                        w.as_ptr(),
                        1,
                        k as isize,
                        beta,
                        packed.as_mut_ptr(),
                        n as isize,
                        1,
                    );
                }
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&ours),
                    bits(&packed),
                    "({m},{k},{n}), accumulate {accumulate}"
                );
            }
        }
    }
}
