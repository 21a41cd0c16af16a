#!/usr/bin/env python3
# train classifier on arms
# Written by `gradlab export examples/export.grad --to torch`; gradlab's run, step for step, in PyTorch.
#
# The network is the nn.Sequential below with gradlab's initial weights
# (export_1.init.safetensors, a state_dict). The data and the order gradlab visits it in are
# in export_1.data.safetensors, so no random stream has to match. The loss, optimizer,
# remedies and step order are gradlab's: forward, loss, backward, clipping,
# optimizer.step(), then each LR scheduler's step(). One line per step, `step N  loss L`,
# gives the loss in full; on a CPU it matches gradlab's (`gradlab run examples/export.grad
# --format json`) to about 1e-5 relative in float32.
#
# Run it:     pip install torch safetensors && python3 export_1.py
# On a GPU:   python3 export_1.py --device cuda   (GPU kernels sum in another order: the last
#             digits differ from gradlab's)
# Scale out:  `gradlab export examples/export.grad --to torch --ddp` writes the DistributedDataParallel
#             variant of this script, to run with `torchrun --nproc_per_node=N export_1.py`.

import argparse
import math
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

HERE = Path(__file__).resolve().parent
DTYPE = torch.float32
STEPS = 48
BATCH = 32  # rows per step, in gradlab's shuffled order (the last of an epoch may be shorter)


class Residual(nn.Sequential):
    """gradlab's `residual { … }` block: y = x + f(x), f the modules inside."""

    def forward(self, x):
        return x + super().forward(x)


def build_model():
    return nn.Sequential(
        nn.Linear(2, 16, bias=True),
        nn.ReLU(),
        Residual(
            nn.Linear(16, 16, bias=True),
            nn.LayerNorm(16, eps=1e-5),
            nn.Tanh(),
            nn.Linear(16, 16, bias=True),
            nn.GELU(),
        ),
        nn.Linear(16, 3, bias=True),
    )


def batch_rows(order, step):
    """The rows of 0-based `step`: its epoch's order (gradlab's shuffle), cut into batches."""
    per_epoch = math.ceil(order.shape[1] / BATCH)
    epoch, position = divmod(step, per_epoch)
    return order[epoch, position * BATCH:(position + 1) * BATCH]


def all_finite(loss, model):
    """gradlab stops a run at a NaN or infinite loss or gradient (unless `on_nan continue`)."""
    if not math.isfinite(loss.item()):
        return False
    return all(bool(torch.isfinite(p.grad).all()) for p in model.parameters() if p.grad is not None)


def main():
    parser = argparse.ArgumentParser(description="gradlab's run in PyTorch")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:1, mps, …")
    device = torch.device(parser.parse_args().device)

    model = build_model().to(DTYPE)
    model.load_state_dict(load_file(HERE / "export_1.init.safetensors"))
    model.to(device)
    data = load_file(HERE / "export_1.data.safetensors", device=str(device))
    x, y = data["x"], data["y"]  # class indices
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0, foreach=False)
    schedulers = [
        torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0 / 5, end_factor=1.0, total_iters=5),
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=48, eta_min=0.0),
    ]

    model.train()
    for step in range(STEPS):
        rows = batch_rows(data["order"], step)
        xb, yb = x[rows], y[rows]
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        print(f"step {step + 1:>2}  loss {loss.item()!r}", flush=True)
        if not all_finite(loss, model):
            break  # as gradlab: the step is not applied
        nn.utils.clip_grad_norm_(model.parameters(), 1.0, norm_type=2.0, foreach=False)
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()


if __name__ == "__main__":
    main()
