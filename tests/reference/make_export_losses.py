#!/usr/bin/env python3
"""Runs the PyTorch scripts `gradlab export` writes for a few examples, and records their
per-step losses in tests/reference/export_losses.json.

It also runs every script once more in float64 (the same script with `DTYPE =
torch.float64`, its files widened) and records `conditioned_steps`: how many leading steps
the float32 losses stay within half the test's tolerance (0.5e-5 relative) of the float64
ones. Past that step a run is ill-conditioned (exploding runs, batch norm on a tiny batch):
float32 rounding alone, in torch as in any other implementation, moves the loss by more
than the tolerance, so no float32 run can be held to 1e-5 there.

`cargo test --test export` compares gradlab's own losses for the same runs with these, at
1e-5 relative over each run's conditioned steps, and checks that the files exported today are the ones these losses came
from (by an FNV-1a hash of each script and safetensors file): an export that changes
needs this script run again. CI needs no torch; this script does.

    pip install torch numpy safetensors
    cargo build && python3 tests/reference/make_export_losses.py [path/to/gradlab]
"""

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "reference" / "export_losses.json"
# Keep in step with EXPORTED in tests/export.rs.
EXAMPLES = ["xor", "spiral", "compare", "remedy_residual", "export"]


def fnv1a(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def loss_value(v):
    if math.isnan(v) or math.isinf(v):
        return repr(v)
    return v


def run_losses(script):
    printed = subprocess.run([sys.executable, str(script)], check=True,
                             capture_output=True, text=True).stdout
    losses = []
    for line in printed.splitlines():
        words = line.split()
        assert words[0] == "step" and words[2] == "loss", line
        assert int(words[1]) == len(losses) + 1, line
        losses.append(float(words[3]))
    return losses


def in_float64(out, stem, wide):
    """The losses of the run `stem` with every tensor and computation in float64."""
    from safetensors.torch import load_file, save_file
    wide.mkdir(exist_ok=True)
    for part in ["init", "data"]:
        tensors = load_file(out / f"{stem}.{part}.safetensors")
        save_file({k: v.double() if v.is_floating_point() else v for k, v in tensors.items()},
                  wide / f"{stem}.{part}.safetensors")
    text = (out / f"{stem}.py").read_text()
    (wide / f"{stem}.py").write_text(text.replace("DTYPE = torch.float32", "DTYPE = torch.float64"))
    return run_losses(wide / f"{stem}.py")


def conditioned(narrow, wide):
    """Leading steps whose float32 loss is within 0.5e-5 relative of the float64 one."""
    steps = 0
    for a, b in zip(narrow, wide):
        same = (math.isnan(a) and math.isnan(b)) or a == b or \
            abs(a - b) <= 0.5e-5 * max(abs(a), abs(b))
        if not same:
            break
        steps += 1
    return steps


def main():
    gradlab = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "debug" / "gradlab")
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for example in EXAMPLES:
            out = Path(tmp) / example
            subprocess.run([gradlab, "export", f"examples/{example}.grad", "--to", "torch",
                            "-o", str(out)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            for script in sorted(out.glob("*.py")):
                stem = script.stem
                losses = run_losses(script)
                steps = conditioned(losses, in_float64(out, stem, Path(tmp) / "wide"))
                runs[stem] = {
                    "example": example,
                    "hashes": {name: fnv1a((out / name).read_bytes()) for name in
                               [f"{stem}.py", f"{stem}.init.safetensors",
                                f"{stem}.data.safetensors"]},
                    "conditioned_steps": steps,
                    "losses": [loss_value(l) for l in losses],
                }
                print(f"{stem}: {len(losses)} steps, {steps} conditioned", file=sys.stderr)
    OUT.write_text(json.dumps({"torch": torch.__version__, "runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
