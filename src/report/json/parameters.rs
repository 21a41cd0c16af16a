//! The final parameters in `run_end` (with `show weights`): every tensor a saved file
//! holds, under the same `state_dict` name, so a reader can match the two. Only
//! `num_batches_tracked` is left out: gradlab keeps no such count (a file gets 0).

use serde_json::{Value, json};

use super::number_json;
use crate::engine::Params;
use crate::weights::{self, names::TensorName};

/// How many numbers `parameters` writes for a network with these tensors.
pub fn numbers(tensors: &[TensorName]) -> usize {
    tensors
        .iter()
        .filter(|t| !t.shape.is_empty())
        .map(|t| t.shape.iter().product::<usize>())
        .sum()
}

/// `[{name, layer, shape, values}]` in `state_dict` order; a weight's values are its
/// `[out][in]` rows, as in `step` events.
pub fn parameters(tensors: &[TensorName], params: &Params) -> Value {
    let tensor = |t: &TensorName| {
        let values = weights::values(params, t)?;
        let numbers = values.iter().map(|&x| number_json(x));
        let values: Vec<Value> = match t.shape[..] {
            [_, columns] if columns > 0 => values
                .chunks(columns)
                .map(|row| json!(row.iter().map(|&x| number_json(x)).collect::<Vec<_>>()))
                .collect(),
            _ => numbers.collect(),
        };
        Some(json!({
            "name": t.name,
            "layer": t.layer + 1,
            "shape": t.shape,
            "values": values,
        }))
    };
    Value::Array(tensors.iter().filter_map(tensor).collect())
}
