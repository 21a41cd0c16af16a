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
//! Modules are numbered from 0 within their `nn.Sequential`, activations included. A
//! `residual { … }` block is one module (an `nn.Sequential` computing `x + f(x)`) whose
//! layers are named by the path of indices (`1.0.weight`). The tree is
//! [`super::modules::modules`], the one `save` and `gradlab export` write by.
//!
//! # Tensors, in `state_dict` order
//! - Linear at index `i`: `i.weight` `[out, in]` (row-major, as gradlab's `[out][in]`),
//!   then `i.bias` `[out]` if the layer has a bias.
//! - BatchNorm1d at `j`: `j.weight` (γ), `j.bias` (β), `j.running_mean`,
//!   `j.running_var` (all `[out]`), and `j.num_batches_tracked`, an int64 scalar
//!   (shape `[]`). gradlab writes it as 0 and ignores it when reading: with torch's
//!   default momentum it changes nothing.
//! - LayerNorm at `j`: `j.weight` (γ) and `j.bias` (β), `[out]`.

use super::modules::{Module, modules};
use crate::engine::NetSpec;

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
    // Skip connections that are not nested blocks have no `nn.Sequential` form (the
    // checker makes none); their layers are then named as if there were no skips.
    let tree = modules(net).unwrap_or_else(|_| {
        let flat = NetSpec {
            residuals: Vec::new(),
            ..net.clone()
        };
        modules(&flat).unwrap_or_default()
    });
    let mut tensors = Vec::new();
    name(&tree, "", &mut tensors);
    tensors
}

fn name(tree: &[Module], prefix: &str, tensors: &mut Vec<TensorName>) {
    for (index, module) in tree.iter().enumerate() {
        let path = format!("{prefix}{index}");
        let mut push = |layer: usize, suffix: &str, role: Role, shape: Vec<usize>| {
            tensors.push(TensorName {
                name: format!("{path}.{suffix}"),
                layer,
                role,
                shape,
            });
        };
        match module {
            Module::Linear {
                layer,
                fan_in,
                width,
                bias,
            } => {
                push(*layer, "weight", Role::Weight, vec![*width, *fan_in]);
                if *bias {
                    push(*layer, "bias", Role::Bias, vec![*width]);
                }
            }
            Module::BatchNorm { layer, width } | Module::LayerNorm { layer, width } => {
                push(*layer, "weight", Role::NormWeight, vec![*width]);
                push(*layer, "bias", Role::NormBias, vec![*width]);
                if matches!(module, Module::BatchNorm { .. }) {
                    push(*layer, "running_mean", Role::RunningMean, vec![*width]);
                    push(*layer, "running_var", Role::RunningVar, vec![*width]);
                    push(*layer, "num_batches_tracked", Role::BatchesTracked, vec![]);
                }
            }
            Module::Activation(_) => {}
            Module::Residual(inner) => name(inner, &format!("{path}."), tensors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Activation, BiasSpec, LayerSpec, NetSpec, init_params};

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

    /// A residual block is one module: its layers are named inside it, as `save` and
    /// `gradlab export` write them.
    #[test]
    fn a_residual_block_is_one_module() {
        let tanh = || LayerSpec::dense(3, Activation::Tanh);
        let net = NetSpec::new(
            2,
            vec![
                tanh(),
                tanh(),
                tanh(),
                LayerSpec::dense(1, Activation::Linear),
            ],
        )
        .with_residual(1, 2);
        let names: Vec<String> = state_dict(&net).into_iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            [
                "0.weight",
                "0.bias",
                "2.0.weight",
                "2.0.bias",
                "2.2.weight",
                "2.2.bias",
                "3.weight",
                "3.bias"
            ]
        );
        let params = init_params(&net, 0).unwrap();
        let written: Vec<String> =
            super::super::modules::state_dict(&modules(&net).unwrap(), &params)
                .into_iter()
                .map(|t| t.name)
                .collect();
        assert_eq!(names, written);
    }
}
