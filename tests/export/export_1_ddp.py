#!/usr/bin/env python3
# train classifier on arms
# Written by `gradlab export examples/export.grad --to torch --ddp`; gradlab's run, step for step, in PyTorch.
#
# The network is the nn.Sequential below with gradlab's initial weights
# (export_1.init.safetensors, a state_dict). The data and the order gradlab visits it in are
# in export_1.data.safetensors, so no random stream has to match. The loss, optimizer,
# remedies and step order are gradlab's: forward, loss, backward, clipping,
# optimizer.step(), then each LR scheduler's step(). One line per step, `step N  loss L`,
# gives the loss in full; on a CPU it matches gradlab's (`gradlab run examples/export.grad
# --format json`) to about 1e-5 relative in float32.
#
# Run it on N processes (GPUs when there are, CPUs otherwise):
#     torchrun --nproc_per_node=N export_1.py
# Each process trains on its share of every batch (rows rank, rank+N, …) and
# DistributedDataParallel averages the gradients. When N divides every batch, that is the
# same mean as one process; the losses then differ from gradlab's only by summation order.
# On GPUs, batchnorm becomes SyncBatchNorm (statistics over the whole batch); on CPUs each
# process normalises its own share.

import math
import os
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors.torch import load_file
from torch import nn
from torch.nn.parallel import DistributedDataParallel

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
    dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")

    model = build_model().to(DTYPE)
    model.load_state_dict(load_file(HERE / "export_1.init.safetensors"))
    model = DistributedDataParallel(
        model.to(device), device_ids=[device.index] if device.type == "cuda" else None
    )
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
        rows = batch_rows(data["order"], step)[rank::world]
        xb, yb = x[rows], y[rows]
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        # The loss of the whole batch: the mean of the processes' means.
        loss = loss.detach().clone()
        dist.all_reduce(loss)
        loss /= world
        if rank == 0:
            print(f"step {step + 1:>2}  loss {loss.item()!r}", flush=True)
        if not all_finite(loss, model):
            break  # as gradlab: the step is not applied
        nn.utils.clip_grad_norm_(model.parameters(), 1.0, norm_type=2.0, foreach=False)
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
