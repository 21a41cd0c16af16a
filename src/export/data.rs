//! A run's data as tensors: the rows, the targets, and the order gradlab visits them in.

use crate::engine::{Dataset, LossKind, epoch_orders};
use crate::weights::modules::{Tensor, Values};

/// `x` `[n, x_dim]`; `y` `[n, y_dim]`, or `[n]` int64 class indices for cross entropy (as
/// `nn.CrossEntropyLoss` takes them); with mini-batches, `order` `[epochs, n]` int64, the
/// row order of every epoch the run starts.
pub fn tensors(
    set: &Dataset,
    loss: LossKind,
    batch: Option<usize>,
    seed: u64,
    total_steps: usize,
) -> Vec<Tensor> {
    let mut out = vec![Tensor {
        name: "x".into(),
        shape: vec![set.n, set.x_dim],
        values: Values::Real(set.x.clone()),
    }];
    out.push(match loss {
        // The checker makes these whole numbers in range.
        LossKind::CrossEntropy => Tensor {
            name: "y".into(),
            shape: vec![set.n],
            values: Values::Int(set.y.iter().map(|&c| c as i64).collect()),
        },
        LossKind::Mse | LossKind::Mae | LossKind::Bce => Tensor {
            name: "y".into(),
            shape: vec![set.n, set.y_dim],
            values: Values::Real(set.y.clone()),
        },
    });
    if let Some(size) = batch.filter(|&b| b < set.n) {
        let epochs = total_steps.div_ceil(set.n.div_ceil(size));
        let orders = epoch_orders(set.n, Some(size), seed, epochs);
        out.push(Tensor {
            name: "order".into(),
            shape: vec![epochs, set.n],
            values: Values::Int(orders.concat().into_iter().map(|r| r as i64).collect()),
        });
    }
    out
}
