#!/usr/bin/env python3
"""Generate the PyTorch reference fixtures for the gradlab engine.

Usage (from the repository root):

    pip install torch numpy
    python3 tests/reference/make_fixtures.py

Writes one JSON file per case into tests/reference/fixtures/NAME.json (the directory is
emptied of stale *.json files first). The script is deterministic: every weight and bias is
explicit (small matrices are written out, larger ones come from numpy generators with fixed
seeds and are rounded to 4 decimals, and the JSON stores the values actually used). Training
is full batch, so no shuffling is involved. See README.md in this directory for the schema.
"""

import json
import math
import os
import sys

import numpy as np
import torch

torch.set_num_threads(1)  # determinism (and the machine is shared)
torch.use_deterministic_algorithms(True)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "fixtures")
SCHEMA_VERSION = 1  # cases using batchnorm/layernorm, residuals or remedies are schema 2
# The tolerance of tests/pytorch_fixtures.rs for f32 cases:
# |a-b| <= RTOL * max(|a|,|b|) + FLOOR * scale, scale = largest |expected| of the group
# (a layer's weight+bias or their gradients, an output matrix, or a lone scalar).
F32_RTOL = 1e-5
F32_FLOOR = 1e-5

# --------------------------------------------------------------------------------------
# helpers for building cases


def mat(seed, rows, cols, scale=1.0, offset=0.0):
    """A rows x cols matrix from a fixed seed, rounded to 4 decimals (explicit in the JSON)."""
    rng = np.random.default_rng(seed)
    m = rng.uniform(-scale, scale, size=(rows, cols)) + offset
    return [[round(float(v), 4) for v in row] for row in m]


def vec(seed, n, scale=1.0, offset=0.0):
    return mat(seed, 1, n, scale, offset)[0]


def layer(width, activation, weight, bias):
    return {"width": width, "activation": activation, "weight": weight, "bias": bias}


def act(name, **params):
    d = {"name": name}
    d.update(params)
    return d


RELU = act("relu")
LEAKY = act("leaky_relu", slope=0.1)
ELU = act("elu", alpha=1.0)
GELU = act("gelu")
SIGMOID = act("sigmoid")
TANH = act("tanh")
SOFTPLUS = act("softplus", beta=1.0, threshold=20.0)
LINEAR = act("linear")


def sgd(lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    return {"name": "sgd", "lr": lr, "momentum": momentum, "nesterov": nesterov,
            "weight_decay": weight_decay}


def adam(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    return {"name": "adam", "lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps,
            "weight_decay": weight_decay}


def rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    return {"name": "rmsprop", "lr": lr, "alpha": alpha, "eps": eps,
            "weight_decay": weight_decay}


def dense_net(seed, input_dim, spec, bias=True, scale=None):
    """spec: list of (width, activation). Weights U(-s, s) with s = scale or 1.2/sqrt(fan_in)."""
    layers = []
    fan_in = input_dim
    for i, (width, a) in enumerate(spec):
        s = scale if scale is not None else 1.2 / math.sqrt(fan_in)
        w = mat(seed * 100 + i, width, fan_in, s)
        b = vec(seed * 100 + 50 + i, width, 0.5) if bias else None
        layers.append(layer(width, a, w, b))
        fan_in = width
    return layers


def case(name, description, input_dim, layers, x, y, loss, optimizer, steps,
         precision="f32", guard=True, residuals=None, remedies=None):
    c = {
        "name": name,
        "description": description,
        "precision": precision,
        "input": input_dim,
        "layers": layers,
        "data": {"x": x, "y": y},
        "loss": loss,
        "optimizer": optimizer,
        "steps": steps,
        "_guard": guard,
    }
    # schema 2 fields, only present when used (schema-1 cases stay byte-identical)
    if residuals is not None:
        c["residuals"] = residuals
    if remedies is not None:
        c["remedies"] = remedies
    return c


def normed(layers, norm, which=None, drop_bias=False):
    """Mark layers (all but the last, or the indices in `which`) with a norm. drop_bias: no
    linear bias before it (with batchnorm its gradient is 0 up to rounding noise, which Adam
    would amplify into full-size steps: ill-conditioned)."""
    idx = range(len(layers) - 1) if which is None else which
    for i in idx:
        layers[i]["norm"] = norm
        if drop_bias:
            layers[i]["bias"] = None
    return layers


def clip_norm(max_norm, norm=2.0, scope="global"):
    return {"max": max_norm, "norm": "inf" if norm == math.inf else norm, "scope": scope}


def remedies(clip=None, clip_value=None, weight_decay=None, schedules=None):
    r = {}
    if clip is not None:
        r["clip_norm"] = clip
    if clip_value is not None:
        r["clip_value"] = clip_value
    if weight_decay is not None:
        r["weight_decay"] = weight_decay
    if schedules is not None:
        r["schedules"] = schedules
    return r


# --------------------------------------------------------------------------------------
# the cases

X4x2 = [[0.5, -1.2], [1.5, 0.3], [-0.7, 0.8], [0.2, 2.0]]
X6x3 = mat(7, 6, 3, 1.5)
CLS6 = [[0.0], [2.0], [1.0], [2.0], [0.0], [1.0]]


def cases():
    cs = []

    # --- one case per activation (small nets, mostly f32), mixing losses and optimizers ---
    cs.append(case(
        "relu_mse_sgd",
        "2-3-1 relu/linear with bias, MSE, plain SGD lr 0.1 (hand-written weights; one hidden "
        "unit negative on some rows)",
        2,
        [layer(3, RELU, [[0.5, -0.3], [-0.8, 0.6], [0.2, 0.9]], [0.1, -0.2, 0.05]),
         layer(1, LINEAR, [[0.7, -0.4, 0.3]], [0.2])],
        X4x2, [[1.0], [0.5], [-0.5], [2.0]], "mse", sgd(0.1), 3))

    cs.append(case(
        "leaky_relu_mse_sgd_momentum",
        "2-4-2 leaky_relu(0.1)/linear, MSE, SGD momentum 0.9",
        2, dense_net(2, 2, [(4, LEAKY), (2, LINEAR)]),
        X4x2, [[1.0, -1.0], [0.5, 0.0], [-0.5, 1.0], [2.0, 0.3]], "mse", sgd(0.05, momentum=0.9), 5))

    cs.append(case(
        "elu_mse_sgd_nesterov",
        "3-4-1 elu(1)/linear, MSE, SGD nesterov momentum 0.9",
        3, dense_net(3, 3, [(4, ELU), (1, LINEAR)]),
        X6x3, [[0.3], [-1.0], [0.8], [1.5], [0.0], [-0.4]], "mse",
        sgd(0.05, momentum=0.9, nesterov=True), 5))

    cs.append(case(
        "gelu_mae_sgd",
        "3-4-2 gelu(exact)/linear, MAE (L1), plain SGD",
        3, dense_net(4, 3, [(4, GELU), (2, LINEAR)]),
        X6x3, mat(41, 6, 2, 2.0), "mae", sgd(0.1), 4))

    cs.append(case(
        "sigmoid_bce_adam",
        "2-3-2 sigmoid/linear, BCE with logits (2 independent targets), Adam defaults",
        2, dense_net(5, 2, [(3, SIGMOID), (2, LINEAR)]),
        X4x2, [[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [0.0, 1.0]], "bce", adam(), 5))

    cs.append(case(
        "tanh_cross_entropy_adam_betas",
        "3-5-3 tanh/linear, cross entropy (class indices), Adam lr 0.01 betas (0.8, 0.99) eps 1e-7",
        3, dense_net(6, 3, [(5, TANH), (3, LINEAR)]),
        X6x3, CLS6, "cross_entropy", adam(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-7), 5))

    cs.append(case(
        "softplus_mse_rmsprop",
        "2-3-1 softplus/linear, MSE, RMSprop defaults",
        2, dense_net(7, 2, [(3, SOFTPLUS), (1, LINEAR)]),
        X4x2, [[1.0], [0.5], [-0.5], [2.0]], "mse", rmsprop(), 5))

    cs.append(case(
        "linear_mse_sgd_weight_decay",
        "2-3-1 linear/linear (affine regression), MSE, SGD weight_decay 0.1",
        2, dense_net(8, 2, [(3, LINEAR), (1, LINEAR)]),
        X4x2, [[1.0], [0.5], [-0.5], [2.0]], "mse", sgd(0.05, weight_decay=0.1), 5))

    # --- activations in their other regions ---
    cs.append(case(
        "softplus_threshold_mse_sgd",
        "1-2-1 softplus: one unit with pre-activation above the threshold 20 (identity "
        "branch), one far negative; MSE, SGD",
        1,
        [layer(2, SOFTPLUS, [[12.0], [-9.0]], [1.5, 0.5]),
         layer(1, LINEAR, [[0.05, 0.8]], [0.1])],
        [[2.0], [1.0], [-0.5]], [[1.0], [0.2], [0.0]], "mse", sgd(0.001), 3))

    cs.append(case(
        "leaky_elu_negative_region_sgd",
        "2-3-3-1 leaky_relu(0.1) then elu(1) with mostly negative pre-activations, MSE, SGD",
        2,
        [layer(3, LEAKY, [[-0.9, 0.4], [-0.6, -0.7], [0.3, -1.1]], [-0.3, -0.2, -0.1]),
         layer(3, ELU, [[0.8, -0.5, 0.6], [-1.2, 0.4, -0.3], [0.5, 0.9, -0.8]], [-0.4, -0.1, 0.2]),
         layer(1, LINEAR, [[0.6, -0.9, 0.4]], None)],
        X4x2, [[0.5], [-0.5], [1.0], [0.0]], "mse", sgd(0.1), 3))

    # --- bias / no bias, width, depth ---
    cs.append(case(
        "relu_no_bias_mse_sgd",
        "2-4-4-1 relu/relu/linear, no bias anywhere, MSE, SGD (row 3 kills every unit of "
        "layer 1, so layer 2 sees pre-activations exactly 0: relu'(0) = 0 as in torch)",
        2, dense_net(9, 2, [(4, RELU), (4, RELU), (1, LINEAR)], bias=False),
        X4x2, [[1.0], [0.5], [-0.5], [2.0]], "mse", sgd(0.05), 4))

    cs.append(case(
        "mixed_bias_deep_tanh_adam",
        "3-6-5-4-2 tanh x3/linear; layers 2 and 4 without bias; MSE, Adam lr 0.01",
        3,
        [layer(6, TANH, mat(101, 6, 3, 0.8), vec(102, 6, 0.3)),
         layer(5, TANH, mat(103, 5, 6, 0.6), None),
         layer(4, TANH, mat(104, 4, 5, 0.6), vec(105, 4, 0.3)),
         layer(2, LINEAR, mat(106, 2, 4, 0.7), None)],
        X6x3, mat(107, 6, 2, 1.0), "mse", adam(lr=0.01), 5))

    cs.append(case(
        "deep_sigmoid_chain_sgd",
        "1-2x10-1: ten width-2 sigmoid layers then a linear output (vanishing gradients), "
        "MSE, SGD lr 0.5",
        1,
        [layer(2, SIGMOID, mat(110 + i, 2, 1 if i == 0 else 2, 1.5), vec(130 + i, 2, 0.5))
         for i in range(10)] + [layer(1, LINEAR, [[1.0, -1.0]], [0.0])],
        [[1.0], [-1.0], [0.5]], [[0.3], [-0.2], [0.1]], "mse", sgd(0.5), 3))

    cs.append(case(
        "wide_mixed_cross_entropy_sgd_momentum",
        "4-8-6-3 relu/gelu/linear, cross entropy 3 classes, SGD momentum 0.9",
        4, dense_net(12, 4, [(8, RELU), (6, GELU), (3, LINEAR)]),
        mat(13, 8, 4, 1.2), [[0.0], [1.0], [2.0], [1.0], [0.0], [2.0], [2.0], [1.0]],
        "cross_entropy", sgd(0.1, momentum=0.9), 5))

    cs.append(case(
        "bce_sgd_nesterov_weight_decay",
        "2-5-1 elu/linear, BCE with logits, SGD momentum 0.9 nesterov weight_decay 0.01",
        2, dense_net(14, 2, [(5, ELU), (1, LINEAR)]),
        X4x2, [[1.0], [0.0], [1.0], [0.0]], "bce",
        sgd(0.1, momentum=0.9, nesterov=True, weight_decay=0.01), 5))

    cs.append(case(
        "adam_weight_decay_mae",
        "3-4-1 leaky_relu/linear, MAE, Adam lr 0.01 weight_decay 0.05 (L2, not AdamW)",
        3, dense_net(15, 3, [(4, LEAKY), (1, LINEAR)]),
        X6x3, [[2.0], [-2.0], [1.5], [3.0], [-1.0], [-2.5]], "mae",
        adam(lr=0.01, weight_decay=0.05), 5))

    cs.append(case(
        "rmsprop_custom_cross_entropy",
        "3-5-4 softplus/linear, cross entropy 4 classes, RMSprop lr 0.005 alpha 0.9 eps 1e-6 "
        "weight_decay 0.01",
        3, dense_net(16, 3, [(5, SOFTPLUS), (4, LINEAR)]),
        X6x3, [[0.0], [3.0], [1.0], [2.0], [3.0], [1.0]], "cross_entropy",
        rmsprop(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.01), 5))

    # --- f64 cases ---
    cs.append(case(
        "f64_relu_mse_sgd",
        "same as relu_mse_sgd in float64",
        2,
        [layer(3, RELU, [[0.5, -0.3], [-0.8, 0.6], [0.2, 0.9]], [0.1, -0.2, 0.05]),
         layer(1, LINEAR, [[0.7, -0.4, 0.3]], [0.2])],
        X4x2, [[1.0], [0.5], [-0.5], [2.0]], "mse", sgd(0.1), 3, precision="f64"))

    cs.append(case(
        "f64_gelu_cross_entropy_rmsprop",
        "3-5-3 gelu/linear, cross entropy, RMSprop defaults, float64",
        3, dense_net(17, 3, [(5, GELU), (3, LINEAR)]),
        X6x3, CLS6, "cross_entropy", rmsprop(), 6, precision="f64"))

    cs.append(case(
        "f64_elu_bce_sgd_nesterov",
        "2-4-2 elu/linear, BCE with logits, SGD nesterov, float64",
        2, dense_net(18, 2, [(4, ELU), (2, LINEAR)]),
        X4x2, [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]], "bce",
        sgd(0.1, momentum=0.9, nesterov=True), 5, precision="f64"))

    cs.append(case(
        "f64_softplus_sigmoid_mae_adam",
        "3-4-3-1 softplus/sigmoid/linear, MAE, Adam defaults, float64",
        3, dense_net(19, 3, [(4, SOFTPLUS), (3, SIGMOID), (1, LINEAR)]),
        X6x3, [[2.0], [-2.0], [1.5], [3.0], [-1.0], [-2.5]], "mae", adam(), 5, precision="f64"))

    cs.append(case(
        "f64_tanh_leaky_mse_adam_betas",
        "2-6-4-2 tanh/leaky_relu/linear, no bias in the first layer, MSE, Adam lr 0.02 betas "
        "(0.5, 0.9), float64",
        2,
        [layer(6, TANH, mat(201, 6, 2, 1.0), None),
         layer(4, LEAKY, mat(202, 4, 6, 0.6), vec(203, 4, 0.3)),
         layer(2, LINEAR, mat(204, 2, 4, 0.6), vec(205, 2, 0.3))],
        X4x2, [[1.0, -1.0], [0.5, 0.0], [-0.5, 1.0], [2.0, 0.3]], "mse",
        adam(lr=0.02, beta1=0.5, beta2=0.9), 6, precision="f64"))

    cs.append(case(
        "f64_linear_sgd_momentum_weight_decay",
        "3-2 single linear layer, MSE, SGD momentum 0.9 weight_decay 0.1, 10 steps, float64",
        3, [layer(2, LINEAR, [[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]], [0.05, -0.05])],
        X6x3, mat(206, 6, 2, 1.0), "mse", sgd(0.05, momentum=0.9, weight_decay=0.1), 10,
        precision="f64"))

    # --- the seed chain (tests/engine_seed_chain.rs) ---
    chain20 = [layer(1, RELU, [[2.34]], None) for _ in range(20)]
    cs.append(case(
        "seed_chain_target1",
        "seed chain: 20 x (dense 1 relu weight=2.34 bias=none), input [[1]], target 1, MSE, "
        "one SGD step lr 0.01 (output 2.34^20 ~ 2.42e7; the step sends every weight hugely "
        "negative and the net dies)",
        1, chain20, [[1.0]], [[1.0]], "mse", sgd(0.01), 1, guard=False))
    cs.append(case(
        "seed_chain_target0",
        "seed chain with target 0: loss ~ 5.87e14, dL/dw1 ~ 5.017e14",
        1, chain20, [[1.0]], [[0.0]], "mse", sgd(0.01), 1, guard=False))
    cs.append(case(
        "f64_seed_chain_target1",
        "seed chain in float64, target 1, two SGD steps lr 0.01",
        1, chain20, [[1.0]], [[1.0]], "mse", sgd(0.01), 2, precision="f64", guard=False))

    # --- overflow in f32 ---
    cs.append(case(
        "overflow_f32_loss_chain60",
        "60 x (dense 1 relu weight=2.34 bias=none), target 1, f32: the output 2.34^60 ~ 1.3e22 "
        "is finite but the loss overflows to inf and the early-layer gradients are inf; the "
        "SGD step makes weights -inf and then 0 * -inf = nan appears",
        1, [layer(1, RELU, [[2.34]], None) for _ in range(60)], [[1.0]], [[1.0]], "mse",
        sgd(0.01), 3, guard=False))
    cs.append(case(
        "overflow_f32_output_chain110",
        "110 x (dense 1 relu weight=2.34 bias=none), target 1, f32: the output itself overflows "
        "to inf (from about depth 105)",
        1, [layer(1, RELU, [[2.34]], None) for _ in range(110)], [[1.0]], [[1.0]], "mse",
        sgd(0.01), 2, guard=False))
    cs.append(case(
        "f64_chain60_finite",
        "the 60-layer chain in float64: everything stays finite (loss ~ 1.7e44)",
        1, [layer(1, RELU, [[2.34]], None) for _ in range(60)], [[1.0]], [[1.0]], "mse",
        sgd(0.01), 1, precision="f64", guard=False))

    # --- schema 2: remedies ---
    X8x3 = mat(301, 8, 3, 1.5)
    Y8x2 = mat(302, 8, 2, 1.0)
    Y8x1 = mat(303, 8, 1, 1.0)
    cs.append(case(
        "batchnorm_tanh_mse_sgd",
        "3-6-4-2 tanh/tanh/linear with BatchNorm1d after the two hidden linears, MSE, SGD lr "
        "0.1, 5 steps (batch statistics, running statistics, evaluation output)",
        3, normed(dense_net(30, 3, [(6, TANH), (4, TANH), (2, LINEAR)]), "batchnorm"),
        X8x3, Y8x2, "mse", sgd(0.1), 5))
    cs.append(case(
        "batchnorm_relu_no_bias_momentum_clip_norm",
        "3-5-1 relu with BatchNorm1d and no linear bias before it, MSE, SGD momentum 0.9, "
        "clip_norm(0.5) global",
        3, normed(dense_net(31, 3, [(5, RELU), (1, LINEAR)], bias=False), "batchnorm"),
        X8x3, Y8x1, "mse", sgd(0.2, momentum=0.9), 5,
        remedies=remedies(clip=clip_norm(0.5))))
    cs.append(case(
        "f64_batchnorm_gelu_adam",
        "3-6-5-2 gelu with BatchNorm1d (no linear bias) on both hidden layers, MSE, Adam lr "
        "0.05, float64",
        3, normed(dense_net(32, 3, [(6, GELU), (5, GELU), (2, LINEAR)]), "batchnorm",
                  drop_bias=True),
        X8x3, Y8x2, "mse", adam(lr=0.05), 6, precision="f64"))
    cs.append(case(
        "clip_norm_global_sgd",
        "3-5-4-2 tanh, MSE, SGD lr 0.5 with large weights, clip_norm(1.0) over all gradients",
        3, dense_net(33, 3, [(5, TANH), (4, TANH), (2, LINEAR)], scale=1.5),
        X8x3, mat(304, 8, 2, 3.0), "mse", sgd(0.5), 5,
        remedies=remedies(clip=clip_norm(1.0))))
    cs.append(case(
        "clip_norm_per_layer_sgd",
        "the same network, clip_norm(0.3, scope=per_layer): each weight and bias by its own norm",
        3, dense_net(33, 3, [(5, TANH), (4, TANH), (2, LINEAR)], scale=1.5),
        X8x3, mat(304, 8, 2, 3.0), "mse", sgd(0.5), 5,
        remedies=remedies(clip=clip_norm(0.3, scope="per_layer"))))
    cs.append(case(
        "clip_norm_inf_adam",
        "3-5-2 sigmoid, BCE, Adam lr 0.05, clip_norm(0.05, norm=inf)",
        3, dense_net(34, 3, [(5, SIGMOID), (2, LINEAR)], scale=2.0),
        X8x3, [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0],
               [1.0, 1.0], [0.0, 0.0]], "bce", adam(lr=0.05), 5,
        remedies=remedies(clip=clip_norm(0.05, norm=math.inf))))
    cs.append(case(
        "clip_value_sgd_momentum",
        "3-5-3 elu, cross entropy, SGD momentum 0.9 nesterov, clip_value(0.1)",
        3, dense_net(35, 3, [(5, ELU), (3, LINEAR)], scale=1.5),
        X8x3, [[0.0], [1.0], [2.0], [1.0], [0.0], [2.0], [2.0], [1.0]], "cross_entropy",
        sgd(0.3, momentum=0.9, nesterov=True), 5, remedies=remedies(clip_value=0.1)))
    cs.append(case(
        "f64_clip_norm_global_momentum_weight_decay",
        "float64, 3-5-4-2 tanh, SGD momentum 0.9 weight_decay 0.01 plus the weight_decay "
        "remedy 0.02 (added), clip_norm(1.0)",
        3, dense_net(33, 3, [(5, TANH), (4, TANH), (2, LINEAR)], scale=1.5),
        X8x3, mat(304, 8, 2, 3.0), "mse", sgd(0.5, momentum=0.9, weight_decay=0.01), 6,
        precision="f64", remedies=remedies(clip=clip_norm(1.0), weight_decay=0.02)))
    cs.append(case(
        "residual_tanh_sgd_weight_decay",
        "3-3-3-3-2 tanh with skips: input -> layer 1 output, layers 2..3 as one block; SGD "
        "lr 0.1 and the weight_decay remedy 0.05",
        3, dense_net(36, 3, [(3, TANH), (3, TANH), (3, TANH), (2, LINEAR)]),
        X8x3, Y8x2, "mse", sgd(0.1), 5, residuals=[[0, 0], [1, 2]],
        remedies=remedies(weight_decay=0.05)))
    cs.append(case(
        "residual_relu_adam_weight_decay",
        "3-3-3-3-1 relu with a skip over layers 2..3 and one over 1..3 (nested, ending at the "
        "same layer), Adam lr 0.02 weight_decay 0.01 plus the remedy 0.03 (L2 form)",
        3, dense_net(37, 3, [(3, RELU), (3, RELU), (3, RELU), (1, LINEAR)]),
        X8x3, Y8x1, "mse", adam(lr=0.02, weight_decay=0.01), 5,
        residuals=[[1, 2], [0, 2]], remedies=remedies(weight_decay=0.03)))
    cs.append(case(
        "layernorm_gelu_cross_entropy_sgd",
        "3-6-5-3 gelu with LayerNorm after both hidden linears, cross entropy, SGD lr 0.2",
        3, normed(dense_net(38, 3, [(6, GELU), (5, GELU), (3, LINEAR)]), "layernorm"),
        X8x3, [[0.0], [1.0], [2.0], [1.0], [0.0], [2.0], [2.0], [1.0]], "cross_entropy",
        sgd(0.2), 5))
    cs.append(case(
        "f64_layernorm_residual_rmsprop",
        "float64, 3-3-3-2 tanh/softplus, LayerNorm on layers 1-2 inside a residual block "
        "over both, RMSprop",
        3, normed(dense_net(39, 3, [(3, TANH), (3, SOFTPLUS), (2, LINEAR)]), "layernorm"),
        X8x3, Y8x2, "mse", rmsprop(lr=0.02), 6, precision="f64", residuals=[[0, 1]]))
    cs.append(case(
        "batchnorm_residual_clip_value_adam",
        "3-3-3-1 tanh, BatchNorm (no linear bias) on layer 1, a residual over layers 1-2, "
        "Adam, clip_value(0.2)",
        3, normed(dense_net(40, 3, [(3, TANH), (3, TANH), (1, LINEAR)]), "batchnorm", [0],
                  drop_bias=True),
        X8x3, Y8x1, "mse", adam(lr=0.05), 5, residuals=[[0, 1]],
        remedies=remedies(clip_value=0.2)))
    cs.append(case(
        "warmup_sgd",
        "3-5-2 tanh, MSE, SGD lr 0.2, warmup(4) = LinearLR(1/4, total_iters=4), 6 steps",
        3, dense_net(41, 3, [(5, TANH), (2, LINEAR)]),
        X8x3, Y8x2, "mse", sgd(0.2), 6,
        remedies=remedies(schedules=[{"name": "warmup", "steps": 4}])))
    cs.append(case(
        "step_decay_sgd_momentum",
        "3-5-2 tanh, MSE, SGD momentum, step_decay(2, 0.5) = StepLR(2, 0.5), 6 steps",
        3, dense_net(42, 3, [(5, TANH), (2, LINEAR)]),
        X8x3, Y8x2, "mse", sgd(0.1, momentum=0.9), 6,
        remedies=remedies(schedules=[{"name": "step_decay", "every": 2, "factor": 0.5}])))
    cs.append(case(
        "cosine_adam",
        "3-5-2 tanh, MSE, Adam lr 0.05, CosineAnnealingLR(T_max=6)",
        3, dense_net(43, 3, [(5, TANH), (2, LINEAR)]),
        X8x3, Y8x2, "mse", adam(lr=0.05), 6,
        remedies=remedies(schedules=[{"name": "cosine", "t_max": 6}])))
    cs.append(case(
        "f64_warmup_cosine_step_decay_sgd",
        "float64, warmup(3) then cosine(T_max=8) then step_decay(3, 0.7), chained, SGD lr 0.3",
        3, dense_net(44, 3, [(5, TANH), (2, LINEAR)]),
        X8x3, Y8x2, "mse", sgd(0.3), 8, precision="f64",
        remedies=remedies(schedules=[{"name": "warmup", "steps": 3},
                                     {"name": "cosine", "t_max": 8},
                                     {"name": "step_decay", "every": 3, "factor": 0.7}])))
    return cs


# --------------------------------------------------------------------------------------
# torch side


def activation_module(a):
    n = a["name"]
    if n == "relu":
        return torch.nn.ReLU()
    if n == "leaky_relu":
        return torch.nn.LeakyReLU(a["slope"])
    if n == "elu":
        return torch.nn.ELU(a["alpha"])
    if n == "gelu":
        return torch.nn.GELU(approximate="none")
    if n == "sigmoid":
        return torch.nn.Sigmoid()
    if n == "tanh":
        return torch.nn.Tanh()
    if n == "softplus":
        return torch.nn.Softplus(beta=a.get("beta", 1.0), threshold=a.get("threshold", 20.0))
    if n == "linear":
        return torch.nn.Identity()
    raise ValueError(n)


KINKED = {"relu", "leaky_relu", "elu"}


def build(c, dtype):
    linears, acts, norms = [], [], []
    fan_in = c["input"]
    for spec in c["layers"]:
        lin = torch.nn.Linear(fan_in, spec["width"], bias=spec["bias"] is not None, dtype=dtype)
        with torch.no_grad():
            w = torch.tensor(spec["weight"], dtype=dtype)
            assert w.shape == (spec["width"], fan_in), (c["name"], w.shape)
            lin.weight.copy_(w)
            if spec["bias"] is not None:
                lin.bias.copy_(torch.tensor(spec["bias"], dtype=dtype))
        linears.append(lin)
        acts.append(activation_module(spec["activation"]))
        norm = spec.get("norm")
        if norm == "batchnorm":
            norms.append(torch.nn.BatchNorm1d(spec["width"], eps=1e-5, momentum=0.1, dtype=dtype))
        elif norm == "layernorm":
            norms.append(torch.nn.LayerNorm(spec["width"], eps=1e-5, dtype=dtype))
        else:
            assert norm is None, norm
            norms.append(None)
        fan_in = spec["width"]
    return linears, acts, norms


def forward(net, x, pre=None, residuals=()):
    linears, acts, norms = net
    h = x
    inputs = []
    for l, (lin, a, nm) in enumerate(zip(linears, acts, norms)):
        inputs.append(h)
        z = lin(h)
        if nm is not None:
            z = nm(z)
        if pre is not None:
            pre.append(z.detach().clone())
        h = a(z)
        for first, last in residuals:
            if last == l:
                h = h + inputs[first]
    return h


def set_training(net, mode):
    for nm in net[2]:
        if nm is not None:
            nm.train(mode)


def loss_fn(c, dtype):
    n = c["loss"]
    if n == "mse":
        f = torch.nn.MSELoss()
        return lambda out, y: f(out, y)
    if n == "mae":
        f = torch.nn.L1Loss()
        return lambda out, y: f(out, y)
    if n == "bce":
        f = torch.nn.BCEWithLogitsLoss()
        return lambda out, y: f(out, y)
    if n == "cross_entropy":
        f = torch.nn.CrossEntropyLoss()
        return lambda out, y: f(out, y[:, 0].long())
    raise ValueError(n)


def optimizer(c, params):
    o = c["optimizer"]
    if o["name"] == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"], dampening=0.0,
                               nesterov=o["nesterov"], weight_decay=o["weight_decay"],
                               foreach=False)
    if o["name"] == "adam":
        return torch.optim.Adam(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                                weight_decay=o["weight_decay"], amsgrad=False, foreach=False)
    if o["name"] == "rmsprop":
        return torch.optim.RMSprop(params, lr=o["lr"], alpha=o["alpha"], eps=o["eps"],
                                   weight_decay=o["weight_decay"], momentum=0.0, centered=False,
                                   foreach=False)
    raise ValueError(o["name"])


def num(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def tolist(t):
    if t is None:
        return None
    lst = t.detach().to(torch.float64).tolist()

    def conv(x):
        return [conv(e) for e in x] if isinstance(x, list) else num(x)

    return conv(lst)


def norm_of(tensors):
    return math.sqrt(sum(float((t.detach().to(torch.float64) ** 2).sum()) for t in tensors))


def clip(c, params):
    """Apply the clipping remedies after backward, as the engine does (norm, then value)."""
    r = c.get("remedies", {})
    if "clip_norm" in r:
        cn = r["clip_norm"]
        p = math.inf if cn["norm"] == "inf" else cn["norm"]
        if cn["scope"] == "global":
            torch.nn.utils.clip_grad_norm_(params, cn["max"], norm_type=p, foreach=False)
        else:
            for t in params:
                torch.nn.utils.clip_grad_norm_([t], cn["max"], norm_type=p, foreach=False)
    if "clip_value" in r:
        torch.nn.utils.clip_grad_value_(params, r["clip_value"], foreach=False)


def schedulers(c, opt):
    out = []
    for sch in c.get("remedies", {}).get("schedules", []):
        n = sch["name"]
        if n == "warmup":
            out.append(torch.optim.lr_scheduler.LinearLR(
                opt, start_factor=1.0 / sch["steps"], end_factor=1.0, total_iters=sch["steps"]))
        elif n == "step_decay":
            out.append(torch.optim.lr_scheduler.StepLR(opt, step_size=sch["every"],
                                                       gamma=sch["factor"]))
        elif n == "cosine":
            out.append(torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=sch["t_max"],
                                                                  eta_min=0.0))
        else:
            raise ValueError(n)
    return out


def run(c, dtype):
    """Train with torch; return the expected block plus guard information."""
    net = build(c, dtype)
    linears, acts, norms = net
    v2 = c.get("schema2", False)
    residuals = [tuple(r) for r in c.get("residuals", [])]
    params = []
    for lin, nm in zip(linears, norms):
        params.append(lin.weight)
        if lin.bias is not None:
            params.append(lin.bias)
        if nm is not None:
            params += [nm.weight, nm.bias]
    x = torch.tensor(c["data"]["x"], dtype=dtype)
    y = torch.tensor(c["data"]["y"], dtype=dtype)
    lf = loss_fn(c, dtype)
    extra_wd = c.get("remedies", {}).get("weight_decay", 0.0)
    if extra_wd:
        c = dict(c, optimizer=dict(c["optimizer"],
                                   weight_decay=c["optimizer"]["weight_decay"] + extra_wd))
    opt = optimizer(c, params)
    scheds = schedulers(c, opt)

    def snapshot_w():
        return [tolist(l.weight) for l in linears]

    def snapshot_b():
        return [tolist(l.bias) if l.bias is not None else None for l in linears]

    def snapshot_norms(grads=False):
        out = []
        for nm in norms:
            if nm is None:
                out.append(None)
                continue
            d = {"gamma": tolist(nm.weight), "beta": tolist(nm.bias)}
            if isinstance(nm, torch.nn.BatchNorm1d):
                d["running_mean"] = tolist(nm.running_mean)
                d["running_var"] = tolist(nm.running_var)
            if grads:
                d["grad_gamma"] = tolist(nm.weight.grad)
                d["grad_beta"] = tolist(nm.bias.grad)
            out.append(d)
        return out

    with torch.no_grad():
        set_training(net, False)
        output_before = tolist(forward(net, x, residuals=residuals))
        set_training(net, True)

    steps = []
    min_kink = math.inf
    min_resid = math.inf
    for k in range(c["steps"]):
        opt.zero_grad(set_to_none=False)
        pre = []
        lr = opt.param_groups[0]["lr"]
        out = forward(net, x, pre, residuals)
        loss = lf(out, y)
        loss.backward()
        for z, spec in zip(pre, c["layers"]):
            if spec["activation"]["name"] in KINKED:
                # exact zeros are fine (e.g. a row where every unit of the previous layer is
                # dead): they are exact in any summation order, and exercise relu'(0) = 0
                nz = z.abs()[z != 0]
                if nz.numel() > 0:
                    min_kink = min(min_kink, float(nz.min()))
        if c["loss"] == "mae":
            min_resid = min(min_resid, float((out - y).detach().abs().min()))
        grads = [p.grad.detach().to(torch.float64) for p in params]
        gnorm = torch.sqrt(sum((g * g).sum() for g in grads))
        rec = {
            "step": k + 1,
            "loss": num(loss.item()),
            "grad_norm": num(gnorm.item()),
            "weights": snapshot_w(),
            "biases": snapshot_b(),
            "grad_weights": [tolist(l.weight.grad) for l in linears],
            "grad_biases": [tolist(l.bias.grad) if l.bias is not None else None
                            for l in linears],
        }
        if v2:
            # the running statistics already include this step's forward pass
            rec["norms"] = snapshot_norms(grads=True)
            rec["lr"] = lr
        clip(c, params)
        if v2 and ("clip_norm" in c.get("remedies", {}) or "clip_value" in c.get("remedies", {})):
            rec["clipped_norm"] = num(norm_of([p.grad for p in params]))
        opt.step()
        for sch in scheds:
            sch.step()
        rec["weights_after"] = snapshot_w()
        rec["biases_after"] = snapshot_b()
        if v2:
            rec["norms_after"] = snapshot_norms()
        steps.append(rec)

    final_norms = snapshot_norms()
    with torch.no_grad():
        set_training(net, False)
        out_eval = forward(net, x, residuals=residuals)
        set_training(net, True)
        # the loss of one more training-mode step (batch statistics), as the engine's
        # record of step steps+1 reports it
        out = forward(net, x, residuals=residuals)
        final = {"loss": num(lf(out, y).item()), "output": tolist(out_eval),
                 "weights": snapshot_w(), "biases": snapshot_b()}
        if v2:
            final["norms"] = final_norms
    expected = {"output_before": output_before, "steps": steps, "final": final}
    return expected, min_kink, min_resid


def flat(v):
    if isinstance(v, list):
        return [x for e in v for x in flat(e)]
    return [] if v is None else [v]


def groups(e):
    """The compared values of an expected block as (values, scale-group) pairs, grouped like
    tests/pytorch_fixtures.rs scales its absolute floor: a layer's weight and bias (or their
    gradients) together, an output matrix, a lone scalar."""
    yield flat(e["output_before"]), flat(e["output_before"])
    for st in e["steps"]:
        yield [st["loss"]], [st["loss"]]
        yield [st["grad_norm"]], [st["grad_norm"]]
        for w, b in (("weights", "biases"), ("grad_weights", "grad_biases"),
                     ("weights_after", "biases_after")):
            for lw, lb in zip(st[w], st[b]):
                vals = flat(lw) + flat(lb)
                yield vals, vals
        if "clipped_norm" in st:
            yield [st["clipped_norm"]], [st["clipped_norm"]]
        for key in ("norms", "norms_after"):
            for nm in st.get(key, []):
                if nm is None:
                    continue
                for group in (("gamma", "beta"), ("grad_gamma", "grad_beta"),
                              ("running_mean",), ("running_var",)):
                    vals = [v for g in group for v in flat(nm.get(g))]
                    yield vals, vals
    yield [e["final"]["loss"]], [e["final"]["loss"]]
    yield flat(e["final"]["output"]), flat(e["final"]["output"])


def tolerance_units(a, b, rtol, floor):
    """Max |a-b| / (rtol * max(|a|,|b|) + floor * scale) over matching finite values, where
    scale = the largest |value| of the value's group in a. 1.0 = at the edge of the
    tolerance of tests/pytorch_fixtures.rs."""
    worst = 0.0
    for (ga, sa), (gb, _) in zip(groups(a), groups(b)):
        assert len(ga) == len(gb)
        scale = max([abs(p) for p in sa if not isinstance(p, str)], default=0.0)
        for p, q in zip(ga, gb):
            if isinstance(p, str) or isinstance(q, str) or p == q:
                continue
            t = rtol * max(abs(p), abs(q)) + floor * scale
            worst = max(worst, abs(p - q) / t if t > 0 else math.inf)
    return worst


def emit(v, indent=0):
    """JSON with one line per innermost list (matrix rows stay readable and diffable)."""
    pad = " " * indent
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = [f'{pad} {json.dumps(k)}: {emit(e, indent + 1)}' for k, e in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list):
        if all(not isinstance(e, (list, dict)) for e in v):
            return json.dumps(v, allow_nan=False)
        items = [pad + " " + emit(e, indent + 1) for e in v]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(v, allow_nan=False)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for f in os.listdir(OUT_DIR):
        if f.endswith(".json"):
            os.remove(os.path.join(OUT_DIR, f))
    names = set()
    problems = []
    for c in cases():
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        guard = c.pop("_guard")
        v2 = any(k in c for k in ("residuals", "remedies")) or any(
            "norm" in l for l in c["layers"])
        c["schema2"] = v2
        dtype = torch.float32 if c["precision"] == "f32" else torch.float64
        expected, min_kink, min_resid = run(c, dtype)
        # Conditioning check: the same case in float64. A well-conditioned f32 case agrees with
        # it to ~1e-6; a larger gap means a tiny rounding difference (e.g. summation order in
        # the engine) could be amplified beyond the f32 test tolerance.
        cond = ""
        if guard:
            if min_kink < 1e-3:
                problems.append(f"{c['name']}: a relu/leaky/elu pre-activation is {min_kink:.2e}"
                                " (too close to the kink)")
            if min_resid < 1e-3:
                problems.append(f"{c['name']}: an MAE residual is {min_resid:.2e}")
            if dtype == torch.float32:
                e64, _, _ = run(c, torch.float64)
                gap = tolerance_units(expected, e64, F32_RTOL, F32_FLOOR)
                cond = f" f32-vs-f64 gap {gap:.2f} tol"
                if gap > 0.5:
                    problems.append(f"{c['name']}: f32 vs f64 gap {gap:.2f} x tolerance "
                                    "(ill-conditioned)")
        del c["schema2"]
        doc = {"schema": 2 if v2 else SCHEMA_VERSION, **c, "expected": expected}
        path = os.path.join(OUT_DIR, c["name"] + ".json")
        with open(path, "w") as fh:
            text = emit(doc)
            assert json.loads(text) == doc
            fh.write(text + "\n")
        s = expected["steps"]
        print(f"{c['name']:42s} {c['precision']} loss {s[0]['loss']!s:>24} -> "
              f"{expected['final']['loss']!s:>24}{cond}")
    print(f"wrote {len(names)} fixtures to {os.path.relpath(OUT_DIR)}")
    if problems:
        print("\nGUARD FAILURES:", *problems, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
