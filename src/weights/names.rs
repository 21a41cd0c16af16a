//! The PyTorch `state_dict` names and shapes of a network's parameters, so that a
//! weights file gradlab writes loads into the equivalent `nn.Sequential` as it is
//! (`model.load_state_dict(safetensors.torch.load_file(path))`), and a file PyTorch
//! wrote loads into gradlab. `gradlab export` builds its `nn.Sequential` to match.
//!
//! # The equivalent `nn.Sequential`
//! Each dense layer becomes, in order, the modules
//! 1. `nn.Linear(in, out, bias=…)`,
//! 2. `nn.BatchNorm1d(out)` or `nn.LayerNorm(out)` if the layer has one,
//! 3. its activation (`nn.ReLU()`, `nn.Tanh()`, …), unless it is `linear`, which adds
//!    no module.
//!
//! Modules are numbered from 0 across the whole network, activations included, as
//! `nn.Sequential` numbers them. Residual blocks are wiring only: they add no module
//! and take no index (an exported model keeps these indexes and adds the skips in its
//! own `forward`).
//!
//! # Tensors, in `state_dict` order
//! - Linear at index `i`: `i.weight` `[out, in]` (row-major, as gradlab's `[out][in]`),
//!   then `i.bias` `[out]` if the layer has a bias.
//! - BatchNorm1d at `j`: `j.weight` (γ), `j.bias` (β), `j.running_mean`,
//!   `j.running_var` (all `[out]`), and `j.num_batches_tracked`, an int64 scalar
//!   (shape `[]`). gradlab writes it as 0 and ignores it when reading: with torch's
//!   default momentum it changes nothing.
//! - LayerNorm at `j`: `j.weight` (γ) and `j.bias` (β), `[out]`.

use crate::engine::{Activation, BiasSpec, NetSpec};

/// What a tensor holds in gradlab's `Params`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The linear weight `[out][in]`.
    Weight,
    /// The linear bias.
    Bias,
    /// A norm's γ.
    NormWeight,
    /// A norm's β.
    NormBias,
    /// BatchNorm's running mean.
    RunningMean,
    /// BatchNorm's running variance.
    RunningVar,
    /// BatchNorm's step count: an int64 scalar gradlab does not use.
    BatchesTracked,
}

/// One tensor of the `state_dict`: its name, the gradlab layer (0-based) it belongs to,
/// what it holds and its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorName {
    pub name: String,
    pub layer: usize,
    pub role: Role,
    pub shape: Vec<usize>,
}

/// Every tensor of `net`'s `state_dict`, in PyTorch's order.
pub fn state_dict(net: &NetSpec) -> Vec<TensorName> {
    let mut tensors = Vec::new();
    let mut module = 0;
    let mut fan_in = net.input;
    for (layer, spec) in net.layers.iter().enumerate() {
        let out = spec.width;
        let mut push = |module: usize, suffix: &str, role: Role, shape: Vec<usize>| {
            tensors.push(TensorName {
                name: format!("{module}.{suffix}"),
                layer,
                role,
                shape,
            });
        };
        push(module, "weight", Role::Weight, vec![out, fan_in]);
        if !matches!(spec.bias, BiasSpec::None) {
            push(module, "bias", Role::Bias, vec![out]);
        }
        module += 1;
        if spec.batchnorm || spec.layernorm {
            push(module, "weight", Role::NormWeight, vec![out]);
            push(module, "bias", Role::NormBias, vec![out]);
            if spec.batchnorm {
                push(module, "running_mean", Role::RunningMean, vec![out]);
                push(module, "running_var", Role::RunningVar, vec![out]);
                push(module, "num_batches_tracked", Role::BatchesTracked, vec![]);
            }
            module += 1;
        }
        if spec.activation != Activation::Linear {
            module += 1;
        }
        fan_in = out;
    }
    tensors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{LayerSpec, NetSpec};

    #[test]
    fn names_follow_nn_sequential() {
        let mut hidden = LayerSpec::dense(4, Activation::Relu);
        hidden.batchnorm = true;
        let out = LayerSpec::dense(1, Activation::Linear).with_bias(BiasSpec::None);
        let names: Vec<(String, Vec<usize>)> = state_dict(&NetSpec::new(2, vec![hidden, out]))
            .into_iter()
            .map(|t| (t.name, t.shape))
            .collect();
        let expected = [
            ("0.weight", vec![4, 2]),
            ("0.bias", vec![4]),
            ("1.weight", vec![4]),
            ("1.bias", vec![4]),
            ("1.running_mean", vec![4]),
            ("1.running_var", vec![4]),
            ("1.num_batches_tracked", vec![]),
            ("3.weight", vec![1, 4]),
        ];
        let expected: Vec<(String, Vec<usize>)> = expected
            .into_iter()
            .map(|(n, s)| (n.to_string(), s))
            .collect();
        assert_eq!(names, expected);
    }
}
