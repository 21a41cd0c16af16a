//! Mini-batches: which rows each step trains on, in the run's precision. The shuffle rule is
//! documented in `train.rs`.

use super::real::Real;
use super::types::Dataset;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The data set in `R` and the row order of the current epoch. Every buffer is allocated
/// here, so loading a batch allocates nothing.
pub(crate) struct Batcher<R: Real> {
    xs: Vec<R>,
    ys: Vec<R>,
    x_dim: usize,
    y_dim: usize,
    rows: usize,
    size: usize,
    shuffle: bool,
    order: Vec<usize>,
    rng: ChaCha8Rng,
    /// Targets of the current batch, `size × y_dim`.
    pub targets: Vec<R>,
}

impl<R: Real> Batcher<R> {
    /// Batches of `batch_size` rows (`None`: the whole data set), shuffled from `seed`.
    pub fn new(data: &Dataset, batch_size: Option<usize>, seed: u64) -> Self {
        let size = batch_size.map_or(data.n, |b| b.min(data.n));
        // Stream 1: the initialisation draws from stream 0, so the two are independent.
        let rng = shuffle_rng(seed);
        Batcher {
            xs: data.x.iter().map(|&v| R::from_f64(v)).collect(),
            ys: data.y.iter().map(|&v| R::from_f64(v)).collect(),
            x_dim: data.x_dim,
            y_dim: data.y_dim,
            rows: data.n,
            size,
            shuffle: size < data.n,
            order: (0..data.n).collect(),
            rng,
            targets: vec![R::ZERO; size * data.y_dim],
        }
    }

    /// Rows of a full batch.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Steps in one pass over the data (the last batch may be smaller).
    pub fn steps_per_epoch(&self) -> usize {
        self.rows.div_ceil(self.size)
    }

    /// Copy the rows of 0-based `step` into `x` (the workspace's input) and `targets`, and
    /// return how many there are.
    pub fn load(&mut self, step: usize, x: &mut [R]) -> usize {
        let pos = step % self.steps_per_epoch();
        if pos == 0 && self.shuffle {
            self.reshuffle();
        }
        let start = pos * self.size;
        let rows = self.size.min(self.rows - start);
        let (xd, yd) = (self.x_dim, self.y_dim);
        for (r, &idx) in self.order[start..start + rows].iter().enumerate() {
            x[r * xd..(r + 1) * xd].copy_from_slice(&self.xs[idx * xd..(idx + 1) * xd]);
            self.targets[r * yd..(r + 1) * yd].copy_from_slice(&self.ys[idx * yd..(idx + 1) * yd]);
        }
        rows
    }

    fn reshuffle(&mut self) {
        reshuffle(&mut self.order, &mut self.rng);
    }
}

/// Stream 1 of the seed: the initialisation draws from stream 0, so the two are independent.
fn shuffle_rng(seed: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(1);
    rng
}

/// Reset the order to `0..n`, then a Fisher–Yates shuffle.
fn reshuffle(order: &mut [usize], rng: &mut ChaCha8Rng) {
    for (i, o) in order.iter_mut().enumerate() {
        *o = i;
    }
    for i in (1..order.len()).rev() {
        let j = ((rng.next_u64() as u128 * (i as u128 + 1)) >> 64) as usize;
        order.swap(i, j);
    }
}

/// The row order of each of the first `epochs` passes over `rows` rows, exactly as `train`
/// visits them with `batch_size` and `seed`: pass `e` trains on `orders[e]` cut into batches
/// of `batch_size` rows (the last one may be shorter). A full batch keeps the data order.
/// This is what an exported run replays, so that another framework sees the same batches.
pub fn epoch_orders(
    rows: usize,
    batch_size: Option<usize>,
    seed: u64,
    epochs: usize,
) -> Vec<Vec<usize>> {
    let shuffled = batch_size.is_some_and(|b| b < rows);
    let mut rng = shuffle_rng(seed);
    let mut order: Vec<usize> = (0..rows).collect();
    (0..epochs)
        .map(|_| {
            if shuffled {
                reshuffle(&mut order, &mut rng);
            }
            order.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Dataset {
        Dataset {
            x: (0..n).map(|i| i as f64).collect(),
            y: (0..n).map(|i| -(i as f64)).collect(),
            n,
            x_dim: 1,
            y_dim: 1,
        }
    }

    #[test]
    fn full_batch_keeps_data_order() {
        let mut b = Batcher::<f64>::new(&rows(5), None, 1);
        let mut x = vec![0.0; 5];
        assert_eq!(b.steps_per_epoch(), 1);
        assert_eq!(b.load(3, &mut x), 5);
        assert_eq!(x, [0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(b.targets, [0.0, -1.0, -2.0, -3.0, -4.0]);
    }

    #[test]
    fn each_epoch_is_a_permutation_with_a_short_last_batch() {
        let mut b = Batcher::<f64>::new(&rows(5), Some(2), 7);
        let mut x = vec![0.0; 2];
        assert_eq!(b.steps_per_epoch(), 3);
        let mut epochs = Vec::new();
        for epoch in 0..2 {
            let mut seen = Vec::new();
            for pos in 0..3 {
                let n = b.load(epoch * 3 + pos, &mut x);
                assert_eq!(n, if pos == 2 { 1 } else { 2 });
                assert_eq!(
                    b.targets[..n],
                    x[..n].iter().map(|v| -v).collect::<Vec<_>>()
                );
                seen.extend_from_slice(&x[..n]);
            }
            epochs.push(seen.clone());
            seen.sort_by(f64::total_cmp);
            assert_eq!(seen, [0.0, 1.0, 2.0, 3.0, 4.0]);
        }
        assert_ne!(epochs[0], epochs[1], "reshuffled every epoch");
        let as_rows = |e: &Vec<f64>| e.iter().map(|&v| v as usize).collect::<Vec<_>>();
        let orders = epoch_orders(5, Some(2), 7, 2);
        assert_eq!(orders, [as_rows(&epochs[0]), as_rows(&epochs[1])]);
    }
}
