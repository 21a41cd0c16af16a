#!/usr/bin/env python3
"""Runs the PyTorch scripts `gradlab export` writes for a few examples, and records their
per-step losses in tests/reference/export_losses.json.

`cargo test --test export` compares gradlab's own losses for the same runs with these, at
1e-5 relative, and checks that the files exported today are the ones these losses came
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


def loss_value(text):
    v = float(text)
    if math.isnan(v) or math.isinf(v):
        return text
    return v


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
                printed = subprocess.run([sys.executable, str(script)], check=True,
                                         capture_output=True, text=True).stdout
                losses = []
                for line in printed.splitlines():
                    words = line.split()
                    assert words[0] == "step" and words[2] == "loss", line
                    assert int(words[1]) == len(losses) + 1, line
                    losses.append(loss_value(words[3]))
                runs[stem] = {
                    "example": example,
                    "hashes": {name: fnv1a((out / name).read_bytes()) for name in
                               [f"{stem}.py", f"{stem}.init.safetensors",
                                f"{stem}.data.safetensors"]},
                    "losses": losses,
                }
                print(f"{stem}: {len(losses)} steps", file=sys.stderr)
    OUT.write_text(json.dumps({"torch": torch.__version__, "runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
