//! Matrix products `C = A·B` and `C += A·B`, with strided operands and a row-major `C`.
//!
//! Three paths, one arithmetic: each element of `C` is a sum over `k` in order, one fused
//! multiply-add per term where the processor has FMA, rounded into `C` once per block of
//! `BLOCK` terms, exactly as `matrixmultiply`'s kernels do. Which path a product takes
//! changes its speed, never its bits (a test checks every path against `matrixmultiply`).
//! * Small products run as a plain loop: for them the GEMM crate's packing and dispatch
//!   cost more than the arithmetic.
//! * Medium ones, which `matrixmultiply` would run on one thread after packing both
//!   operands, run as a tiled loop: tiles of `C` sum side by side in registers, reading
//!   `B` where it lies (transposed once into a kept buffer when its rows are not
//!   contiguous). On a 20 × 64 network, batch 32 (issue 13's B) this took a step from 265
//!   to 205 µs. Neither path allocates, so a step up to a 128-wide network allocates
//!   nothing at all.
//! * Large ones go to `matrixmultiply`, which shares them among the machine's cores (its
//!   `threading` feature; `MATMUL_NUM_THREADS` limits it). It splits a product over rows
//!   and columns only, never along the sum, so the result does not depend on the number
//!   of threads.
//!
//! `matrixmultiply` was measured against `gemm` 0.19 with AVX-512 (`x86-v4`) on the
//! workloads of `benches/workload`, interleaved on the idle 2-core development machine:
//! µs per step, B (20 × 64, batch 32) 324–455 against 274–377, C (8 × 512, batch 256)
//! 24 300–25 400 against 26 700–32 100, D (4 × 1024, batch 512) 81 000–81 800 against
//! 81 300–89 400. It is as fast or faster where it matters, keeps the results of earlier
//! versions bit for bit, and allocates one packing buffer per product where `gemm`
//! allocates about five.
//!
//! A second core for the medium products was tried (branch `partner-experiment`: a
//! spinning partner thread taking half of each product's rows). On the development
//! machine B went from 230–245 to 450–560 µs per step, and to 247–265 µs once the caller
//! took back every half the partner had not started: handing a product's operands and
//! results between the two cores costs as much as the half product saves.

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

/// True if a product of this shape keeps every core busy by itself: matrixmultiply
/// shares it among its threads.
pub(crate) fn uses_all_cores((m, k, n): (usize, usize, usize)) -> bool {
    m * k + k * n >= SHARED_MIN
}

/// True if a product of this shape runs as the tiled loop: too large for the plain loop,
/// too small for matrixmultiply to share it among threads (it would run it on one thread,
/// after packing both operands), and short enough for one block of the sum.
pub(crate) fn is_tiled(shape: (usize, usize, usize)) -> bool {
    is_large(shape) && !uses_all_cores(shape) && shape.1 <= BLOCK
}

/// What the products of one training run keep between steps: room for a transposed
/// operand. It grows to the largest once, on the first step, so the step loop does not
/// allocate.
#[derive(Debug, Default)]
pub(crate) struct Products<R> {
    scratch: Vec<R>,
}

impl<R: Real> Products<R> {
    /// `c = a·b`, or `c += a·b` with `accumulate`, where `a` is `m×k`, `b` is `k×n` and
    /// `c` is the first `m×n` values of `c`, row-major.
    ///
    /// # Panics
    /// If a matrix does not fit its slice.
    pub fn product(
        &mut self,
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
        let c = &mut c[..m * n];
        if !is_large((m, k, n)) {
            small_product((m, k, n), a, b, c, accumulate);
        } else if is_tiled((m, k, n)) {
            let b = if b.cs == 1 {
                b
            } else {
                copy_row_major(&mut self.scratch, (k, n), b)
            };
            tiled_product((m, k, n), a, b, c, accumulate);
        } else {
            let beta = if accumulate { R::ONE } else { R::ZERO };
            // SAFETY: the assertion above keeps every element of a, b and c inside its
            // slice; c is borrowed mutably, so it aliases neither a nor b.
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
    }
}

/// `b` (`rows × cols`) copied row-major into `scratch`: the forward's `Wᵀ`, transposed.
fn copy_row_major<'s, R: Real>(
    scratch: &'s mut Vec<R>,
    (rows, cols): (usize, usize),
    b: View<R>,
) -> View<'s, R> {
    if scratch.len() < rows * cols {
        scratch.resize(rows * cols, R::ZERO);
    }
    let out = &mut scratch[..rows * cols];
    for (p, row) in out.chunks_exact_mut(cols).enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = b.data[p * b.rs + j * b.cs];
        }
    }
    View::rows(out, cols)
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

/// Rows of `c` in one tile of the tiled loop.
const TILE_ROWS: usize = 4;

/// The tiled loop: the arithmetic of the plain loop (and so of matrixmultiply), in tiles
/// of `TILE_ROWS × COLS` elements of `c` whose sums run side by side in registers,
/// reading `b` (row-major, `b.cs == 1`) where it lies instead of packing it.
fn tiled_product<R: Real>(
    shape: (usize, usize, usize),
    a: View<R>,
    b: View<R>,
    c: &mut [R],
    accumulate: bool,
) {
    debug_assert_eq!(b.cs, 1);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the processor has AVX-512.
        unsafe { tiled_product_avx512(shape, a, b, c, accumulate) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 and FMA.
        unsafe { tiled_product_avx2(shape, a, b, c, accumulate) };
        return;
    }
    let (rows, dims) = tile_extent(shape, 16);
    tiles::<R, TILE_ROWS, 16>(0..rows, dims, a, b, c, accumulate, unfused);
    tiles::<R, 1, 16>(rows..shape.0, dims, a, b, c, accumulate, unfused);
    edges(shape, dims.2, a, b, c, accumulate, unfused);
}

/// The rows in whole tiles of `TILE_ROWS`, and `(k, n, columns in whole tiles of cols)`.
fn tile_extent((m, k, n): (usize, usize, usize), cols: usize) -> (usize, (usize, usize, usize)) {
    (m - m % TILE_ROWS, (k, n, n - n % cols))
}

/// One term of a sum with one rounding, as matrixmultiply's FMA kernels add it.
#[inline(always)]
fn fused<R: Real>(sum: R, x: R, y: R) -> R {
    x.mul_add(y, sum)
}

/// One term of a sum as matrixmultiply's kernels without FMA add it.
#[inline(always)]
fn unfused<R: Real>(sum: R, x: R, y: R) -> R {
    sum + x * y
}

// The tiles run in functions of their own (`#[inline(never)]`), compiled for the
// processor's vector instructions. Their speed rests on the compiler unrolling a tile and
// keeping its sums in vector registers. As separate functions, B took 200 µs per step
// against 220 µs inlined into one; built with `codegen-units = 1` neither form did, and
// the loop ran ten times slower, though with the same results. Kernels written with
// `std::arch` intrinsics per type would not depend on the compiler's choices.

/// One instruction set's tiled loop: `$product`, a whole product, and `$tiles`, its
/// tiles of `ROWS × $cols`, both compiled with `$features`.
macro_rules! tiled_kernels {
    ($features:literal, $cols:literal, $product:ident, $tiles:ident) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        unsafe fn $product<R: Real>(
            shape: (usize, usize, usize),
            a: View<R>,
            b: View<R>,
            c: &mut [R],
            accumulate: bool,
        ) {
            let (rows, dims) = tile_extent(shape, $cols);
            // SAFETY: this function's own target features.
            unsafe {
                $tiles::<R, TILE_ROWS>(0..rows, dims, a, b, c, accumulate);
                $tiles::<R, 1>(rows..shape.0, dims, a, b, c, accumulate);
            }
            edges(shape, dims.2, a, b, c, accumulate, fused);
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        #[inline(never)]
        unsafe fn $tiles<R: Real, const ROWS: usize>(
            rows: std::ops::Range<usize>,
            dims: (usize, usize, usize),
            a: View<R>,
            b: View<R>,
            c: &mut [R],
            accumulate: bool,
        ) {
            tiles::<R, ROWS, $cols>(rows, dims, a, b, c, accumulate, fused);
        }
    };
}

tiled_kernels!("avx512f,fma", 32, tiled_product_avx512, tiles_avx512);
tiled_kernels!("avx2,fma", 16, tiled_product_avx2, tiles_avx2);

/// The columns right of the whole tiles (from `tiled_n`), every row.
#[inline(always)]
fn edges<R: Real>(
    (m, k, n): (usize, usize, usize),
    tiled_n: usize,
    a: View<R>,
    b: View<R>,
    c: &mut [R],
    accumulate: bool,
    term: impl Fn(R, R, R) -> R,
) {
    for i in 0..m {
        for j in tiled_n..n {
            let mut sum = R::ZERO;
            for p in 0..k {
                sum = term(sum, a.data[i * a.rs + p * a.cs], b.data[p * b.rs + j]);
            }
            let out = &mut c[i * n + j];
            *out = if accumulate { *out + sum } else { sum };
        }
    }
}

/// The tiles of `c` in `rows` (a multiple of `ROWS` of them) and its first `tiled_n`
/// columns.
#[inline(always)]
fn tiles<R: Real, const ROWS: usize, const COLS: usize>(
    rows: std::ops::Range<usize>,
    (k, n, tiled_n): (usize, usize, usize),
    a: View<R>,
    b: View<R>,
    c: &mut [R],
    accumulate: bool,
    term: impl Fn(R, R, R) -> R + Copy,
) {
    for i0 in rows.step_by(ROWS) {
        for j0 in (0..tiled_n).step_by(COLS) {
            let mut sums = [[R::ZERO; COLS]; ROWS];
            for p in 0..k {
                let b_row: &[R; COLS] = b.data[p * b.rs + j0..][..COLS].try_into().unwrap();
                for (r, row_sums) in sums.iter_mut().enumerate() {
                    let x = a.data[(i0 + r) * a.rs + p * a.cs];
                    for (sum, &y) in row_sums.iter_mut().zip(b_row) {
                        *sum = term(*sum, x, y);
                    }
                }
            }
            for (r, row_sums) in sums.iter().enumerate() {
                let out = &mut c[(i0 + r) * n + j0..][..COLS];
                for (o, &sum) in out.iter_mut().zip(row_sums) {
                    *o = if accumulate { *o + sum } else { sum };
                }
            }
        }
    }
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
        // the plain loop, the tiled loop (with and without edges), matrixmultiply
        for (m, k, n) in [
            (2, 3, 4),
            (1, 1, 1),
            (40, 30, 20),
            (64, 64, 64),
            (300, 300, 90),
        ] {
            let a: Vec<f64> = (0..m * k).map(|v| (v as f64 * 0.37).sin()).collect();
            let w: Vec<f64> = (0..n * k).map(|v| (v as f64 * 0.11).cos()).collect();
            // c = a · wᵀ, with w stored row-major as n × k
            let mut c = vec![1.0; m * n];
            Products::default().product(
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

    /// Every product gives matrixmultiply's bits, whichever path it takes: the plain loop
    /// below `LOOP_MAX`, and the tiled loop (with edges) up to the length of
    /// matrixmultiply's blocks of the sum.
    #[test]
    fn products_give_the_bits_of_matrixmultiply() {
        let shapes = [
            (7, 13, 9),
            (1, 256, 1),
            (1, 300, 1),
            (2, 1000, 2),
            (32, 64, 64),
            (64, 32, 64),
            (37, 50, 70),
            (5, 256, 40),
            (1, 128, 128),
            (3, 100, 70),
        ];
        let mut products = Products::default();
        for (m, k, n) in shapes {
            let a: Vec<f32> = (0..m * k).map(|v| (v as f32 * 0.37).sin() * 3.1).collect();
            let w: Vec<f32> = (0..n * k).map(|v| (v as f32 * 0.11).cos() / 7.0).collect();
            // b read transposed (the forward product) and read by rows (the backward ones)
            for (b, brs, bcs) in [(View::transposed(&w, k), 1, k), (View::rows(&w, n), n, 1)] {
                for accumulate in [false, true] {
                    let mut ours = vec![0.25f32; m * n];
                    let a_view = View::rows(&a, k);
                    products.product((m, k, n), a_view, b, &mut ours, accumulate);
                    let mut packed = vec![0.25f32; m * n];
                    let beta = if accumulate { 1.0 } else { 0.0 };
                    // SAFETY: a is m×k, w read either way is k×n, packed is m×n.
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
                            brs as isize,
                            bcs as isize,
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
                        "({m},{k},{n}), b strides ({brs},{bcs}), accumulate {accumulate}"
                    );
                }
            }
        }
    }

    /// The tiled loop's AVX2 tiles give the bits of its AVX-512 ones: machines without
    /// AVX-512 compute what this one does.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn tiled_kernels_agree() {
        use std::arch::is_x86_feature_detected as has;
        if !(has!("avx512f") && has!("avx2") && has!("fma")) {
            eprintln!("SKIPPED tiled_kernels_agree: this processor lacks AVX-512, AVX2 or FMA");
            return;
        }
        let (m, k, n) = (37, 50, 70);
        let a: Vec<f32> = (0..m * k).map(|v| (v as f32 * 0.37).sin() * 3.1).collect();
        let b: Vec<f32> = (0..k * n).map(|v| (v as f32 * 0.11).cos() / 7.0).collect();
        let (a, b) = (View::rows(&a, k), View::rows(&b, n));
        let mut wide = vec![0.5f32; m * n];
        let mut narrow = wide.clone();
        // SAFETY: the processor has both instruction sets (checked above).
        unsafe {
            tiled_product_avx512((m, k, n), a, b, &mut wide, true);
            tiled_product_avx2((m, k, n), a, b, &mut narrow, true);
        }
        assert!(
            wide.iter()
                .zip(&narrow)
                .all(|(x, y)| x.to_bits() == y.to_bits())
        );
    }
}
