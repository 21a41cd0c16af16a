//! The safetensors files of an exported run: the initial weights (a `state_dict`) and the
//! data with the batch order. Real tensors are stored in the run's precision: f32 values
//! are rounded from f64 as the engine rounds them (`as f32`, to nearest).

use safetensors::tensor::{Dtype, TensorView};

use crate::engine::Precision;
use crate::weights::modules::{Tensor, Values};

/// The bytes of a safetensors file holding `tensors`.
pub fn file(tensors: &[Tensor], precision: Precision) -> Result<Vec<u8>, String> {
    let encoded: Vec<(&str, Dtype, &[usize], Vec<u8>)> = tensors
        .iter()
        .map(|t| {
            let (dtype, bytes) = encode(&t.values, precision);
            (t.name.as_str(), dtype, t.shape.as_slice(), bytes)
        })
        .collect();
    let views = encoded
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            TensorView::new(*dtype, shape.to_vec(), bytes)
                .map(|view| (*name, view))
                .map_err(|e| format!("tensor {name}: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    safetensors::serialize(views, None).map_err(|e| e.to_string())
}

/// Little-endian bytes, as safetensors stores them.
fn encode(values: &Values, precision: Precision) -> (Dtype, Vec<u8>) {
    match (values, precision) {
        (Values::Int(v), _) => (Dtype::I64, v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        (Values::Real(v), Precision::F32) => (
            Dtype::F32,
            v.iter().flat_map(|&x| (x as f32).to_le_bytes()).collect(),
        ),
        (Values::Real(v), Precision::F64) => {
            (Dtype::F64, v.iter().flat_map(|x| x.to_le_bytes()).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use safetensors::SafeTensors;

    #[test]
    fn tensors_read_back_with_their_names_shapes_and_values() {
        let tensors = vec![
            Tensor {
                name: "0.weight".into(),
                shape: vec![2, 1],
                values: Values::Real(vec![0.1, -2.5]),
            },
            Tensor {
                name: "1.num_batches_tracked".into(),
                shape: vec![],
                values: Values::Int(vec![0]),
            },
        ];
        let bytes = file(&tensors, Precision::F32).unwrap();
        let read = SafeTensors::deserialize(&bytes).unwrap();
        let w = read.tensor("0.weight").unwrap();
        assert_eq!((w.dtype(), w.shape()), (Dtype::F32, &[2, 1][..]));
        assert_eq!(w.data()[..4], 0.1f32.to_le_bytes());
        let n = read.tensor("1.num_batches_tracked").unwrap();
        assert_eq!(
            (n.dtype(), n.shape(), n.data()),
            (Dtype::I64, &[][..], &[0u8; 8][..])
        );
    }
}
