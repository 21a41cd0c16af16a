#!/usr/bin/env python3
# train classifier on arms
# Written by `gradlab export examples/spiral.grad --to torch`; gradlab's run, step for step, in PyTorch.
#
# The network is the nn.Sequential below with gradlab's initial weights
# (spiral_1.init.safetensors, a state_dict). The data and the order gradlab visits it in are
# in spiral_1.data.safetensors, so no random stream has to match. The loss, optimizer,
# remedies and step order are gradlab's: forward, loss, backward, clipping,
# optimizer.step(), then each LR scheduler's step(). One line per step, `step N  loss L`,
# gives the loss in full; on a CPU it matches gradlab's (`gradlab run examples/spiral.grad
# --format json`) to about 1e-5 relative in float32.
#
# Run it:     pip install torch safetensors && python3 spiral_1.py
# On a GPU:   python3 spiral_1.py --device cuda   (GPU kernels sum in another order: the last
#             digits differ from gradlab's)
# Scale out:  `gradlab export examples/spiral.grad --to torch --ddp` writes the DistributedDataParallel
#             variant of this script, to run with `torchrun --nproc_per_node=N spiral_1.py`.

import argparse
import math
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

HERE = Path(__file__).resolve().parent
DTYPE = torch.float32
STEPS = 200
BATCH = 60  # rows per step, in gradlab's shuffled order (the last of an epoch may be shorter)


def build_model():
    return nn.Sequential(
        nn.Linear(2, 32, bias=True),
        nn.ReLU(),
        nn.Linear(32, 32, bias=True),
        nn.ReLU(),
        nn.Linear(32, 3, bias=True),
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
    model.load_state_dict(load_file(HERE / "spiral_1.init.safetensors"))
    model.to(device)
    data = load_file(HERE / "spiral_1.data.safetensors", device=str(device))
    x, y = data["x"], data["y"]  # class indices
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, foreach=False)
    schedulers = []

    model.train()
    for step in range(STEPS):
        rows = batch_rows(data["order"], step)
        xb, yb = x[rows], y[rows]
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        print(f"step {step + 1:>3}  loss {loss.item()!r}", flush=True)
        if not all_finite(loss, model):
            break  # as gradlab: the step is not applied
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()


if __name__ == "__main__":
    main()
