//! Weights in and out, as safetensors files with PyTorch's `state_dict` names
//! (`names`). Writing turns a network's parameters into the file's bytes; reading checks
//! a file against the network it is for and gives all of its parameters or an error,
//! never part of them. Files are read and written by the caller (`text_file`,
//! `save_file`): this module only converts.

pub mod modules;
pub mod names;

use std::collections::HashSet;
use std::fmt;

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

use crate::engine::{LayerParams, NetSpec, NormParams, Params, Precision};
use names::{Role, TensorName, state_dict};

/// The largest weights file read, in bytes, as for CSV files.
pub const MAX_WEIGHTS_BYTES: u64 = 256 * crate::text_file::MIB;

/// Why a weights file does not fit its network.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsError {
    /// Not a safetensors file, or cut short: what the safetensors reader said.
    Corrupt(String),
    /// The network has this tensor, the file does not.
    Missing { name: String, shape: Vec<usize> },
    /// The file has a tensor the network does not.
    Unexpected { name: String, shape: Vec<usize> },
    /// The tensor's shape in the network and in the file.
    Shape {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    /// A tensor in a format other than F32 or F64 (I64 for `num_batches_tracked`).
    Dtype { name: String, found: String },
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightsError::Corrupt(why) => {
                write!(f, "is not a whole safetensors file ({why})")
            }
            WeightsError::Missing { name, shape } => {
                write!(f, "has no tensor `{name}` (shape {})", shown(shape))
            }
            WeightsError::Unexpected { name, shape } => write!(
                f,
                "has a tensor `{name}` (shape {}) that the network does not have",
                shown(shape)
            ),
            WeightsError::Shape {
                name,
                expected,
                found,
            } => write!(
                f,
                "has tensor `{name}` with shape {}, but the network needs {}",
                shown(found),
                shown(expected)
            ),
            WeightsError::Dtype { name, found } => write!(
                f,
                "has tensor `{name}` in {found}, but weights must be F32 or F64"
            ),
        }
    }
}

/// `[4, 2]`, as PyTorch prints a size.
pub fn shown(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("[{}]", dims.join(", "))
}

/// The safetensors bytes of `params`, every tensor in `precision`'s format.
pub fn to_bytes(net: &NetSpec, params: &Params, precision: Precision) -> Result<Vec<u8>, String> {
    let tensors: Vec<(String, Vec<u8>, Dtype, Vec<usize>)> = state_dict(net)
        .into_iter()
        .map(|t| {
            let (dtype, data) = match values(params, &t) {
                None => (Dtype::I64, 0i64.to_le_bytes().to_vec()),
                Some(values) => encode(&values, precision),
            };
            (t.name, data, dtype, t.shape)
        })
        .collect();
    let views = tensors
        .iter()
        .map(|(name, data, dtype, shape)| {
            TensorView::new(*dtype, shape.clone(), data).map(|view| (name.as_str(), view))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    safetensors::serialize(views, None).map_err(|e| e.to_string())
}

/// The values of tensor `t` in `params`, row-major (`None` for `num_batches_tracked`,
/// which gradlab does not keep).
pub fn values(params: &Params, t: &TensorName) -> Option<Vec<f64>> {
    let layer = &params.layers[t.layer];
    let norm = layer.norm.as_ref();
    let zeros = || vec![0.0; t.shape.iter().product()];
    match t.role {
        Role::Weight => Some(layer.weight.iter().flatten().copied().collect()),
        Role::Bias => Some(layer.bias.clone().unwrap_or_else(zeros)),
        Role::NormWeight => Some(norm.map_or_else(zeros, |n| n.gamma.clone())),
        Role::NormBias => Some(norm.map_or_else(zeros, |n| n.beta.clone())),
        // A network that never trained has torch's initial statistics.
        Role::RunningMean => Some(
            norm.and_then(|n| n.running_mean.clone())
                .unwrap_or_else(zeros),
        ),
        Role::RunningVar => Some(
            norm.and_then(|n| n.running_var.clone())
                .unwrap_or_else(|| vec![1.0; t.shape.iter().product()]),
        ),
        Role::BatchesTracked => None,
    }
}

fn encode(values: &[f64], precision: Precision) -> (Dtype, Vec<u8>) {
    match precision {
        Precision::F32 => (
            Dtype::F32,
            values
                .iter()
                .flat_map(|v| (*v as f32).to_le_bytes())
                .collect(),
        ),
        Precision::F64 => (
            Dtype::F64,
            values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ),
    }
}

/// Every parameter of `net` from the safetensors `bytes`, or the first way they do not
/// fit it: a tensor missing, extra, of another shape or format, or a broken file.
pub fn from_bytes(net: &NetSpec, bytes: &[u8]) -> Result<Params, WeightsError> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Corrupt(e.to_string()))?;
    let expected = state_dict(net);
    let known: HashSet<&str> = expected.iter().map(|t| t.name.as_str()).collect();
    let mut extra: Vec<(String, TensorView)> = file
        .tensors()
        .into_iter()
        .filter(|(name, _)| !known.contains(name.as_str()))
        .collect();
    extra.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some((name, view)) = extra.into_iter().next() {
        return Err(WeightsError::Unexpected {
            name,
            shape: view.shape().to_vec(),
        });
    }
    let mut layers: Vec<LayerParams> = net
        .layers
        .iter()
        .map(|l| LayerParams {
            weight: Vec::new(),
            bias: None,
            norm: (l.batchnorm || l.layernorm).then(|| NormParams {
                gamma: Vec::new(),
                beta: Vec::new(),
                running_mean: None,
                running_var: None,
            }),
        })
        .collect();
    for t in &expected {
        let view = file.tensor(&t.name).map_err(|_| WeightsError::Missing {
            name: t.name.clone(),
            shape: t.shape.clone(),
        })?;
        if t.role == Role::BatchesTracked {
            // Unused, so any count will do, in any integer format.
            continue;
        }
        if view.shape() != t.shape.as_slice() {
            return Err(WeightsError::Shape {
                name: t.name.clone(),
                expected: t.shape.clone(),
                found: view.shape().to_vec(),
            });
        }
        let values = decode(&view).ok_or_else(|| WeightsError::Dtype {
            name: t.name.clone(),
            found: format!("{:?}", view.dtype()),
        })?;
        let layer = &mut layers[t.layer];
        let norm = layer.norm.as_mut();
        match (t.role, norm) {
            (Role::Weight, _) => {
                let fan_in = t.shape[1];
                layer.weight = values.chunks(fan_in.max(1)).map(<[f64]>::to_vec).collect();
            }
            (Role::Bias, _) => layer.bias = Some(values),
            (Role::NormWeight, Some(n)) => n.gamma = values,
            (Role::NormBias, Some(n)) => n.beta = values,
            (Role::RunningMean, Some(n)) => n.running_mean = Some(values),
            (Role::RunningVar, Some(n)) => n.running_var = Some(values),
            // `state_dict` names norm tensors only for layers with a norm.
            (Role::NormWeight | Role::NormBias | Role::RunningMean | Role::RunningVar, None)
            | (Role::BatchesTracked, _) => {}
        }
    }
    Ok(Params { layers })
}

fn decode(view: &TensorView) -> Option<Vec<f64>> {
    let data = view.data();
    match view.dtype() {
        Dtype::F32 => Some(
            data.chunks_exact(4)
                .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
                .collect(),
        ),
        Dtype::F64 => Some(
            data.chunks_exact(8)
                .map(|b| {
                    let mut bytes = [0; 8];
                    bytes.copy_from_slice(b);
                    f64::from_le_bytes(bytes)
                })
                .collect(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
