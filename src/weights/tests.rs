use super::*;
use crate::engine::{Activation, BiasSpec, LayerSpec, init_params};

fn net() -> NetSpec {
    let mut hidden = LayerSpec::dense(3, Activation::Tanh);
    hidden.batchnorm = true;
    let mut second = LayerSpec::dense(3, Activation::Relu).with_bias(BiasSpec::None);
    second.layernorm = true;
    NetSpec::new(
        2,
        vec![hidden, second, LayerSpec::dense(1, Activation::Linear)],
    )
}

/// Parameters with every tensor distinct, running statistics included.
fn trained() -> Params {
    let mut params = init_params(&net(), 3).unwrap();
    let norm = params.layers[0].norm.as_mut().unwrap();
    norm.gamma = vec![1.5, -0.25, 0.1];
    norm.running_mean = Some(vec![0.125, 0.3, -2.0]);
    norm.running_var = Some(vec![0.7, 1.1, 3.0]);
    params
}

#[test]
fn a_round_trip_is_bit_identical_in_both_precisions() {
    let params = trained();
    // In f32, every value is first rounded to f32, as an f32 run's parameters are.
    let round = |v: &Vec<f64>| -> Vec<f64> { v.iter().map(|x| f64::from(*x as f32)).collect() };
    let f32_params = Params {
        layers: params
            .layers
            .iter()
            .map(|l| LayerParams {
                weight: l.weight.iter().map(round).collect(),
                bias: l.bias.as_ref().map(round),
                norm: l.norm.as_ref().map(|n| NormParams {
                    gamma: round(&n.gamma),
                    beta: round(&n.beta),
                    running_mean: n.running_mean.as_ref().map(round),
                    running_var: n.running_var.as_ref().map(round),
                }),
            })
            .collect(),
    };
    let bytes = to_bytes(&net(), &f32_params, Precision::F32).unwrap();
    assert_eq!(from_bytes(&net(), &bytes).unwrap(), f32_params);
    let bytes = to_bytes(&net(), &params, Precision::F64).unwrap();
    assert_eq!(from_bytes(&net(), &bytes).unwrap(), params);
}

#[test]
fn each_bad_file_is_named() {
    let bytes = to_bytes(&net(), &trained(), Precision::F32).unwrap();
    let truncated = from_bytes(&net(), &bytes[..bytes.len() - 3]).unwrap_err();
    assert!(matches!(truncated, WeightsError::Corrupt(_)), "{truncated}");
    let wider = {
        let mut n = net();
        n.layers[2].width = 2;
        n
    };
    assert_eq!(
        from_bytes(&wider, &bytes).unwrap_err(),
        WeightsError::Shape {
            name: "6.weight".into(),
            expected: vec![2, 3],
            found: vec![1, 3],
        }
    );
    let no_norm = {
        let mut n = net();
        n.layers[1].layernorm = false;
        n
    };
    assert!(matches!(
        from_bytes(&no_norm, &bytes).unwrap_err(),
        WeightsError::Unexpected { .. }
    ));
    let with_bias = {
        let mut n = net();
        n.layers[1].bias = BiasSpec::Default;
        n
    };
    assert_eq!(
        from_bytes(&with_bias, &bytes).unwrap_err(),
        WeightsError::Missing {
            name: "3.bias".into(),
            shape: vec![3],
        }
    );
}
