"""Writes tests/reference/weights/torch_mlp.safetensors and torch_mlp.json: a small
PyTorch MLP (Linear, BatchNorm1d, Tanh, Linear, LayerNorm, ReLU, Linear) with trained-like
weights and running statistics, and its eval-mode output on a few rows. The test
`tests/torch_weights.rs` loads the file into gradlab's equivalent network and checks
that `forward` gives torch's output.

    python3 tests/reference/make_weights_fixture.py
"""
import json
import pathlib

import torch
from safetensors.torch import save_file

torch.manual_seed(7)
model = torch.nn.Sequential(
    torch.nn.Linear(3, 5),
    torch.nn.BatchNorm1d(5),
    torch.nn.Tanh(),
    torch.nn.Linear(5, 4, bias=False),
    torch.nn.LayerNorm(4),
    torch.nn.ReLU(),
    torch.nn.Linear(4, 2),
)
with torch.no_grad():
    # Running statistics and affine parameters that are not torch's initial ones.
    model[1].running_mean.copy_(torch.randn(5) * 0.3)
    model[1].running_var.copy_(torch.rand(5) + 0.5)
    model[1].weight.copy_(torch.rand(5) + 0.5)
    model[1].bias.copy_(torch.randn(5) * 0.1)
    model[4].weight.copy_(torch.rand(4) + 0.5)
    model[4].bias.copy_(torch.randn(4) * 0.1)
model.eval()
rows = torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.25, -0.75], [1.5, 1.5, 1.5]])
with torch.no_grad():
    output = model(rows)

here = pathlib.Path(__file__).parent / "weights"
here.mkdir(exist_ok=True)
save_file(model.state_dict(), str(here / "torch_mlp.safetensors"))
(here / "torch_mlp.json").write_text(
    json.dumps({"rows": rows.tolist(), "output": output.tolist()}, indent=1) + "\n"
)
