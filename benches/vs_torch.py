#!/usr/bin/env python3
"""gradlab against PyTorch on the four training workloads of issue 13, side by side.

    pip install torch numpy
    python3 benches/vs_torch.py            # from the repository root, on an idle machine

The script builds the `step_time` bench once (`cargo bench --bench step_time --no-run`),
reads the workloads from it (`step_time describe`: layers, width, batch, initialisation),
builds the same networks in PyTorch (CPU, `torch.set_num_threads(2)`), then times both
sides interleaved in one run: gradlab A, PyTorch A, gradlab B, ... repeated `--reps` times
(5 by default). Each measurement times whole training steps (forward, MSE, backward,
`clip_grad_norm_(1.0)`, SGD lr 0.01) after 3 warm-up steps, with a fresh network, and
excludes initialisation. The table gives the medians.

A measurement counts only if the machine was otherwise idle while it ran: the CPU time
other processes used during it (from /proc/stat, minus this script's and its child's own
CPU time) must stay below `--max-other` cores, and the 1-minute load average before the
run below `--max-load`. PyTorch's two threads slow down 10-40x when another process takes
a core, so a busy machine makes the ratios meaningless: such measurements are printed with
"VOID: machine busy (...)", and the table marks the rows they went into.
`--wait-idle 600` waits up to ten minutes for the machine to go quiet before starting.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOALS = {"A": 500.0, "B": 10.0, "C": 1.5, "D": 1.25}
REPO = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_busy_seconds():
    """Busy CPU seconds of the whole machine since boot (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def own_cpu_seconds():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class LoadWatch:
    """CPU used by other processes while a measurement runs, in cores."""

    def __enter__(self):
        self.load = os.getloadavg()[0]
        self.wall = time.perf_counter()
        self.busy = cpu_busy_seconds()
        self.own = own_cpu_seconds()
        return self

    def __exit__(self, *exc):
        wall = time.perf_counter() - self.wall
        other = (cpu_busy_seconds() - self.busy) - (own_cpu_seconds() - self.own)
        self.other_cores = max(other, 0.0) / wall
        return False


def idle_check(seconds=1.0):
    """Cores other processes keep busy, sampled over `seconds` while this script sleeps."""
    with LoadWatch() as w:
        time.sleep(seconds)
    return w.other_cores


def build_step_time():
    cmd = ["cargo", "bench", "--bench", "step_time", "--no-run", "--message-format=json"]
    print("building:", " ".join(cmd), file=sys.stderr)
    out = subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "step_time":
            if msg.get("executable"):
                return msg["executable"]
    sys.exit("cargo did not report the step_time executable")


def data_value(constant_weight, index, target):
    """As `data_value` in benches/workload/mod.rs."""
    import math

    if constant_weight is not None:
        return 1.0
    return 0.5 * math.cos(0.23 * index) if target else math.sin(0.37 * index + 0.1)


class TorchWorkload:
    def __init__(self, spec):
        import torch

        self.spec = spec
        n = spec["batch"] * spec["width"]
        shape = (spec["batch"], spec["width"])
        cw = spec["constant_weight"]
        self.x = torch.tensor([data_value(cw, i, False) for i in range(n)], dtype=torch.float32)
        self.y = torch.tensor([data_value(cw, i, True) for i in range(n)], dtype=torch.float32)
        self.x, self.y = self.x.reshape(shape), self.y.reshape(shape)

    def fresh(self):
        import torch
        from torch import nn

        s = self.spec
        layers = []
        for _ in range(s["layers"]):
            linear = nn.Linear(s["width"], s["width"], bias=s["constant_weight"] is None)
            if s["constant_weight"] is not None:
                with torch.no_grad():
                    linear.weight.fill_(s["constant_weight"])
            layers += [linear, nn.ReLU()]
        model = nn.Sequential(*layers)
        return model, torch.optim.SGD(model.parameters(), lr=0.01)

    def time_steps(self, warmup, steps):
        import torch
        from torch import nn

        model, opt = self.fresh()
        loss_fn = nn.MSELoss()
        params = list(model.parameters())
        x, y = self.x, self.y

        def step():
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()

        for _ in range(warmup):
            step()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        return (time.perf_counter() - start) * 1e6 / steps


def gradlab_time(exe, name, steps, warmup):
    out = subprocess.run(
        [exe, name, str(steps), str(warmup)], check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    return json.loads(out)["us_per_step"]


def steps_for(us_per_step, seconds):
    return max(3, min(200_000, round(seconds * 1e6 / max(us_per_step, 1e-3))))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5, help="interleaved repetitions (medians of these)")
    ap.add_argument("--seconds", type=float, default=0.5, help="target duration of one measurement")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps before each measurement")
    ap.add_argument("--workloads", default="A,B,C,D", help="comma-separated subset of A,B,C,D")
    ap.add_argument("--max-load", type=float, default=0.5, help="1-minute load average allowed before the run")
    ap.add_argument("--max-other", type=float, default=0.25, help="cores other processes may use during a measurement")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                    help="wait up to this long for the other processes to go quiet before measuring")
    ap.add_argument("--step-time", help="path of an already built step_time executable")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(2)
    load0 = os.getloadavg()[0]  # before the build, which loads the machine itself
    exe = args.step_time or build_step_time()
    described = subprocess.run([exe, "describe"], check=True, stdout=subprocess.PIPE, text=True).stdout
    specs = {s["workload"]: s for s in map(json.loads, described.splitlines())}
    names = [n.strip().upper() for n in args.workloads.split(",")]
    torch_side = {n: TorchWorkload(specs[n]) for n in names}

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# gradlab vs PyTorch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')}, {args.reps} interleaved reps, "
          f"{args.warmup} warm-up steps, ~{args.seconds} s per measurement")

    void_any = False
    other0 = idle_check(2.0)
    deadline = time.monotonic() + args.wait_idle
    waited = False
    while other0 > args.max_other and time.monotonic() < deadline:
        print(f"waiting for an idle machine (other processes use {other0:.2f} cores)", file=sys.stderr)
        other0 = idle_check(5.0)
        waited = True
    # After a wait, the 1-minute load average still remembers the busy minute before it.
    if other0 > args.max_other or (not waited and load0 > args.max_load):
        void_any = True
        print(f"VOID: machine busy (load {load0:.2f}; other processes use {other0:.2f} cores) before the run")

    # Calibrate step counts so each measurement lasts about --seconds (not recorded).
    steps = {}
    for n in names:
        probe = max(1, min(2000, round(1e9 / specs[n]["flops_per_step"])))
        g = gradlab_time(exe, n, probe, 1)
        t = torch_side[n].time_steps(1, probe)
        steps[n] = (steps_for(g, args.seconds), steps_for(t, args.seconds))

    samples = {n: {"gradlab": [], "torch": []} for n in names}
    void_rows = set()
    for rep in range(1, args.reps + 1):
        for n in names:
            for side, count in (("gradlab", steps[n][0]), ("torch", steps[n][1])):
                with LoadWatch() as w:
                    if side == "gradlab":
                        us = gradlab_time(exe, n, count, args.warmup)
                    else:
                        us = torch_side[n].time_steps(args.warmup, count)
                samples[n][side].append(us)
                print(f"rep {rep} {n} {side:7} {count:7d} steps {us:14.2f} µs/step   "
                      f"(load {w.load:.2f}, other processes {w.other_cores:.2f} cores)", flush=True)
                # The load average counts this script's own threads: only other processes'
                # CPU time decides.
                if w.other_cores > args.max_other:
                    void_any = True
                    void_rows.add(n)
                    print(f"VOID: machine busy (load {w.load:.2f}; other processes used "
                          f"{w.other_cores:.2f} cores during this measurement)", flush=True)

    print()
    print("| workload | PyTorch µs/step | gradlab µs/step | PyTorch / gradlab | goal |")
    print("|---|---|---|---|---|")
    for n in names:
        t = statistics.median(samples[n]["torch"])
        g = statistics.median(samples[n]["gradlab"])
        ratio = t / g
        met = "met" if ratio >= GOALS[n] else "not met"
        void = " (VOID: machine busy)" if n in void_rows else ""
        print(f"| {n}: {specs[n]['title']} | {t:,.1f} | {g:,.1f} | {ratio:.2f}× | "
              f"**≥ {GOALS[n]:g}×** {met}{void} |")
    print()
    print("raw µs/step (in run order) and GFLOP/s of the medians:")
    for n in names:
        flops = specs[n]["flops_per_step"]
        for side in ("torch", "gradlab"):
            xs = samples[n][side]
            med = statistics.median(xs)
            print(f"  {n} {side:7} {' '.join(f'{x:.2f}' for x in xs)}   "
                  f"median {med:.2f}, {flops / med / 1e3:.1f} GFLOP/s")
    if void_any:
        print("\nVOID: some measurements ran on a busy machine; re-run on an idle machine.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
