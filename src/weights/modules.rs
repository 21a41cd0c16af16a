//! The network as PyTorch modules, and the names of its tensors: the `state_dict` of the
//! equivalent `nn.Sequential`, so `model.load_state_dict(safetensors.torch.load_file(…))`
//! loads a file gradlab writes (`save`, `gradlab export`) as it is. `names` reads the
//! same tree for loading.
//!
//! # Mapping
//! Each `dense` layer becomes, in order, `nn.Linear(in, width, bias=…)`, then
//! `nn.BatchNorm1d(width)` or `nn.LayerNorm(width)` if the layer has one, then its
//! activation module. A `linear` activation is the identity and adds no module. A
//! `residual { … }` block becomes one `Residual` module (an `nn.Sequential` whose forward
//! is `x + f(x)`) holding the block's modules. Modules are numbered from 0 within their
//! `nn.Sequential`, so the tensors are named by the path of indices:
//!
//! | module        | tensors                                                                   |
//! |---------------|---------------------------------------------------------------------------|
//! | `Linear`      | `P.weight` `[out, in]`, `P.bias` `[out]` (absent with `bias=none`)        |
//! | `BatchNorm1d` | `P.weight` (γ), `P.bias` (β), `P.running_mean`, `P.running_var` `[width]`, `P.num_batches_tracked` (int64, shape `[]`) |
//! | `LayerNorm`   | `P.weight` (γ), `P.bias` (β) `[width]`                                    |
//!
//! For `input 2, dense 4 tanh, dense 1 sigmoid`: `0.weight`, `0.bias`, `2.weight`,
//! `2.bias` (1 and 3 are `Tanh` and `Sigmoid`). A layer inside the second module, a
//! residual block, is `1.0.weight`.

use crate::engine::{Activation, NetSpec, Params, Residual};

/// One PyTorch module of the exported network.
#[derive(Debug, Clone, PartialEq)]
pub enum Module {
    /// `nn.Linear`; `layer` indexes `NetSpec::layers`.
    Linear {
        layer: usize,
        fan_in: usize,
        width: usize,
        bias: bool,
    },
    BatchNorm {
        layer: usize,
        width: usize,
    },
    LayerNorm {
        layer: usize,
        width: usize,
    },
    Activation(Activation),
    /// `x + f(x)` over the modules inside.
    Residual(Vec<Module>),
}

/// A tensor's values, in the dtype the file stores it in.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Stored in the run's precision.
    Real(Vec<f64>),
    /// Stored as int64.
    Int(Vec<i64>),
}

/// One named tensor of a state dict.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: Values,
}

/// The network's modules, or the skip connections that are not nested blocks (the checker
/// only makes nested ones; anything else has no `nn.Sequential` form).
pub fn modules(net: &NetSpec) -> Result<Vec<Module>, String> {
    let mut used = vec![false; net.residuals.len()];
    let mut closed = Vec::new();
    let tree = block(net, 0, net.layers.len(), &mut used, &mut closed);
    if closed != net.residuals {
        return Err(format!(
            "the skip connections {:?} are not nested blocks",
            net.residuals
                .iter()
                .map(|r| (r.first + 1, r.last + 1))
                .collect::<Vec<_>>()
        ));
    }
    Ok(tree)
}

/// The modules of layers `from..to`. Each residual block found is marked `used` and
/// recorded in `closed` in the order its addition happens (inner blocks first), which is
/// the order the engine adds skips ending at one layer.
fn block(
    net: &NetSpec,
    from: usize,
    to: usize,
    used: &mut [bool],
    closed: &mut Vec<Residual>,
) -> Vec<Module> {
    let mut out = Vec::new();
    let mut i = from;
    while i < to {
        // The outermost block not yet open that starts here and fits.
        let outer = net
            .residuals
            .iter()
            .enumerate()
            .filter(|(k, r)| !used[*k] && r.first == i && r.last < to)
            .max_by_key(|(k, r)| (r.last, std::cmp::Reverse(*k)))
            .map(|(k, r)| (k, *r));
        if let Some((k, r)) = outer {
            used[k] = true;
            out.push(Module::Residual(block(
                net,
                r.first,
                r.last + 1,
                used,
                closed,
            )));
            closed.push(r);
            i = r.last + 1;
            continue;
        }
        let l = &net.layers[i];
        let fan_in = if i == 0 {
            net.input
        } else {
            net.layers[i - 1].width
        };
        out.push(Module::Linear {
            layer: i,
            fan_in,
            width: l.width,
            bias: !matches!(l.bias, crate::engine::BiasSpec::None),
        });
        if l.batchnorm {
            out.push(Module::BatchNorm {
                layer: i,
                width: l.width,
            });
        }
        if l.layernorm {
            out.push(Module::LayerNorm {
                layer: i,
                width: l.width,
            });
        }
        if l.activation != Activation::Linear {
            out.push(Module::Activation(l.activation));
        }
        i += 1;
    }
    out
}

/// Every tensor of `params` under its `state_dict` name, in module order.
pub fn state_dict(modules: &[Module], params: &Params) -> Vec<Tensor> {
    let mut out = Vec::new();
    collect(modules, "", params, &mut out);
    out
}

fn collect(modules: &[Module], prefix: &str, params: &Params, out: &mut Vec<Tensor>) {
    let real = |name: String, values: Vec<f64>| Tensor {
        name,
        shape: vec![values.len()],
        values: Values::Real(values),
    };
    for (index, module) in modules.iter().enumerate() {
        let path = format!("{prefix}{index}");
        match module {
            Module::Linear {
                layer,
                fan_in,
                width,
                ..
            } => {
                let p = &params.layers[*layer];
                out.push(Tensor {
                    name: format!("{path}.weight"),
                    shape: vec![*width, *fan_in],
                    values: Values::Real(p.weight.concat()),
                });
                if let Some(bias) = &p.bias {
                    out.push(real(format!("{path}.bias"), bias.clone()));
                }
            }
            Module::BatchNorm { layer, .. } | Module::LayerNorm { layer, .. } => {
                let Some(norm) = &params.layers[*layer].norm else {
                    continue;
                };
                out.push(real(format!("{path}.weight"), norm.gamma.clone()));
                out.push(real(format!("{path}.bias"), norm.beta.clone()));
                if let (Some(mean), Some(var)) = (&norm.running_mean, &norm.running_var) {
                    out.push(real(format!("{path}.running_mean"), mean.clone()));
                    out.push(real(format!("{path}.running_var"), var.clone()));
                    out.push(Tensor {
                        name: format!("{path}.num_batches_tracked"),
                        shape: vec![],
                        values: Values::Int(vec![0]),
                    });
                }
            }
            Module::Activation(_) => {}
            Module::Residual(inner) => collect(inner, &format!("{path}."), params, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{LayerSpec, init_params};

    fn names(net: &NetSpec) -> Vec<String> {
        let tree = modules(net).unwrap();
        let params = init_params(net, 1).unwrap();
        state_dict(&tree, &params)
            .into_iter()
            .map(|t| t.name)
            .collect()
    }

    #[test]
    fn activations_take_an_index_and_linear_does_not() {
        let net = NetSpec::new(
            2,
            vec![
                LayerSpec::dense(4, Activation::Tanh),
                LayerSpec::dense(3, Activation::Linear),
                LayerSpec::dense(1, Activation::Sigmoid),
            ],
        );
        assert_eq!(
            names(&net),
            [
                "0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"
            ]
        );
    }

    #[test]
    fn residual_blocks_nest_and_batchnorm_has_running_statistics() {
        let mut hidden = LayerSpec::dense(2, Activation::Relu);
        hidden.batchnorm = true;
        let mut net = NetSpec::new(2, vec![hidden.clone(), hidden]);
        net.residuals = vec![
            Residual { first: 1, last: 1 },
            Residual { first: 0, last: 1 },
        ];
        let bn = |p: &str| {
            [
                "weight",
                "bias",
                "running_mean",
                "running_var",
                "num_batches_tracked",
            ]
            .map(|t| format!("{p}.{t}"))
        };
        let mut want = vec!["0.0.weight".to_string(), "0.0.bias".into()];
        want.extend(bn("0.1"));
        want.extend(["0.3.0.weight".into(), "0.3.0.bias".into()]);
        want.extend(bn("0.3.1"));
        assert_eq!(names(&net), want);
    }

    #[test]
    fn skips_that_are_not_nested_blocks_are_refused() {
        let mut net = NetSpec::new(2, vec![LayerSpec::dense(2, Activation::Relu); 2]);
        // Outer first: the engine would add it before the inner one, a nested block after.
        net.residuals = vec![
            Residual { first: 0, last: 1 },
            Residual { first: 1, last: 1 },
        ];
        assert!(modules(&net).is_err());
    }
}
