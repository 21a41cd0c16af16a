//! The Python script of one exported run: builds the model, loads the weights and data
//! files, and trains in gradlab's step order, printing a step line per step.

use std::fmt::Write as _;

use super::torch;
use crate::check::plan::RunPlan;
use crate::engine::LossKind;
use crate::weights::modules::Module;

/// What the script of one run is made from.
pub struct Script<'a> {
    /// `train net on data`, or the compare variant's label.
    pub title: &'a str,
    /// The `.grad` file as named on the command line, for the comments.
    pub source: &'a str,
    /// Name of the script without `.py`; the data files are `STEM.init.safetensors` and
    /// `STEM.data.safetensors`.
    pub stem: &'a str,
    pub plan: &'a RunPlan,
    pub modules: &'a [Module],
    pub total_steps: usize,
    /// Write the DistributedDataParallel variant.
    pub ddp: bool,
}

/// The whole script text.
pub fn script(s: &Script) -> String {
    let mut out = String::new();
    header(&mut out, s);
    imports(&mut out, s);
    constants(&mut out, s);
    if has_residual(s.modules) {
        out.push_str(RESIDUAL_CLASS);
    }
    model(&mut out, s.modules);
    if s.plan.batch.is_some_and(|b| b < s.plan.data.set.n) {
        out.push_str(BATCH_ROWS);
    }
    if !s.plan.continue_on_nan {
        out.push_str(ALL_FINITE);
    }
    main(&mut out, s);
    out.push_str("\n\nif __name__ == \"__main__\":\n    main()\n");
    out
}

fn header(out: &mut String, s: &Script) {
    let (source, stem) = (s.source, s.stem);
    let _ = writeln!(out, "#!/usr/bin/env python3");
    let _ = writeln!(out, "# {}", s.title);
    let flag = if s.ddp { " --ddp" } else { "" };
    let _ = writeln!(
        out,
        "# Written by `gradlab export {source} --to torch{flag}`; gradlab's run, step for step, in PyTorch."
    );
    out.push_str(&format!(
        "#
# The network is the nn.Sequential below with gradlab's initial weights
# ({stem}.init.safetensors, a state_dict). The data and the order gradlab visits it in are
# in {stem}.data.safetensors, so no random stream has to match. The loss, optimizer,
# remedies and step order are gradlab's: forward, loss, backward, clipping,
# optimizer.step(), then each LR scheduler's step(). One line per step, `step N  loss L`,
# gives the loss in full; on a CPU it matches gradlab's (`gradlab run {source}
# --format json`) to about 1e-5 relative in float32.
#
"
    ));
    if s.ddp {
        out.push_str(&format!(
            "# Run it on N processes (GPUs when there are, CPUs otherwise):
#     torchrun --nproc_per_node=N {stem}.py
# Each process trains on its share of every batch (rows rank, rank+N, …) and
# DistributedDataParallel averages the gradients. When N divides every batch, that is the
# same mean as one process; the losses then differ from gradlab's only by summation order.
# On GPUs, batchnorm becomes SyncBatchNorm (statistics over the whole batch); on CPUs each
# process normalises its own share.
"
        ));
    } else {
        out.push_str(&format!(
            "# Run it:     pip install torch safetensors && python3 {stem}.py
# On a GPU:   python3 {stem}.py --device cuda   (GPU kernels sum in another order: the last
#             digits differ from gradlab's)
# Scale out:  `gradlab export {source} --to torch --ddp` writes the DistributedDataParallel
#             variant of this script, to run with `torchrun --nproc_per_node=N {stem}.py`.
"
        ));
    }
}

fn imports(out: &mut String, s: &Script) {
    // The DDP variant takes no options: torchrun sets the device.
    out.push_str(if s.ddp {
        "\nimport math\nimport os\n"
    } else {
        "\nimport argparse\nimport math\n"
    });
    out.push_str("from pathlib import Path\n\nimport torch\n");
    if s.ddp {
        out.push_str("import torch.distributed as dist\n");
    }
    out.push_str("from safetensors.torch import load_file\nfrom torch import nn\n");
    if s.ddp {
        out.push_str("from torch.nn.parallel import DistributedDataParallel\n");
    }
}

fn constants(out: &mut String, s: &Script) {
    let plan = s.plan;
    let batch = match plan.batch {
        Some(b) if b < plan.data.set.n => format!(
            "{b}  # rows per step, in gradlab's shuffled order (the last of an epoch may be shorter)"
        ),
        _ => "None  # full batch: every step trains on all rows, in order".into(),
    };
    let _ = write!(
        out,
        "\nHERE = Path(__file__).resolve().parent\nDTYPE = {}\nSTEPS = {}\nBATCH = {batch}\n",
        torch::dtype(plan.precision),
        s.total_steps,
    );
}

const RESIDUAL_CLASS: &str = "

class Residual(nn.Sequential):
    \"\"\"gradlab's `residual { … }` block: y = x + f(x), f the modules inside.\"\"\"

    def forward(self, x):
        return x + super().forward(x)
";

const BATCH_ROWS: &str = "

def batch_rows(order, step):
    \"\"\"The rows of 0-based `step`: its epoch's order (gradlab's shuffle), cut into batches.\"\"\"
    per_epoch = math.ceil(order.shape[1] / BATCH)
    epoch, position = divmod(step, per_epoch)
    return order[epoch, position * BATCH:(position + 1) * BATCH]
";

const ALL_FINITE: &str = "

def all_finite(loss, model):
    \"\"\"gradlab stops a run at a NaN or infinite loss or gradient (unless `on_nan continue`).\"\"\"
    if not math.isfinite(loss.item()):
        return False
    return all(bool(torch.isfinite(p.grad).all()) for p in model.parameters() if p.grad is not None)
";

fn has_residual(modules: &[Module]) -> bool {
    modules.iter().any(|m| matches!(m, Module::Residual(_)))
}

fn model(out: &mut String, modules: &[Module]) {
    out.push_str("\n\ndef build_model():\n    return ");
    sequential(out, "nn.Sequential", modules, 1);
    out.push('\n');
}

fn sequential(out: &mut String, class: &str, modules: &[Module], depth: usize) {
    let pad = "    ".repeat(depth + 1);
    let _ = writeln!(out, "{class}(");
    for m in modules {
        out.push_str(&pad);
        match m {
            Module::Linear {
                fan_in,
                width,
                bias,
                ..
            } => {
                let bias = if *bias { "True" } else { "False" };
                let _ = write!(out, "nn.Linear({fan_in}, {width}, bias={bias})");
            }
            Module::BatchNorm { width, .. } => {
                let _ = write!(out, "nn.BatchNorm1d({width}, eps=1e-5, momentum=0.1)");
            }
            Module::LayerNorm { width, .. } => {
                let _ = write!(out, "nn.LayerNorm({width}, eps=1e-5)");
            }
            Module::Activation(a) => {
                // `weights::modules::modules` leaves the identity out.
                out.push_str(&torch::activation(*a).unwrap_or_else(|| "nn.Identity()".into()));
            }
            Module::Residual(inner) => sequential(out, "Residual", inner, depth + 1),
        }
        out.push_str(",\n");
    }
    out.push_str(&"    ".repeat(depth));
    out.push(')');
}

fn main(out: &mut String, s: &Script) {
    let plan = s.plan;
    let stem = s.stem;
    let minibatch = plan.batch.is_some_and(|b| b < plan.data.set.n);
    let has_batchnorm = plan.net.spec.layers.iter().any(|l| l.batchnorm);
    out.push_str("\n\ndef main():\n");
    if s.ddp {
        out.push_str(
            "    dist.init_process_group(backend=\"nccl\" if torch.cuda.is_available() else \"gloo\")
    rank, world = dist.get_rank(), dist.get_world_size()
    if torch.cuda.is_available():
        device = torch.device(\"cuda\", int(os.environ[\"LOCAL_RANK\"]))
        torch.cuda.set_device(device)
    else:
        device = torch.device(\"cpu\")
",
        );
    } else {
        out.push_str(
            "    parser = argparse.ArgumentParser(description=\"gradlab's run in PyTorch\")
    parser.add_argument(\"--device\", default=\"cpu\", help=\"cpu (default), cuda, cuda:1, mps, …\")
    device = torch.device(parser.parse_args().device)
",
        );
    }
    let _ = writeln!(out, "\n    model = build_model().to(DTYPE)");
    let _ = writeln!(
        out,
        "    model.load_state_dict(load_file(HERE / \"{stem}.init.safetensors\"))"
    );
    if s.ddp {
        if has_batchnorm {
            out.push_str(
                "    if device.type == \"cuda\":\n        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)\n",
            );
        }
        out.push_str(
            "    model = DistributedDataParallel(\n        model.to(device), device_ids=[device.index] if device.type == \"cuda\" else None\n    )\n",
        );
    } else {
        out.push_str("    model.to(device)\n");
    }
    let _ = writeln!(
        out,
        "    data = load_file(HERE / \"{stem}.data.safetensors\", device=str(device))"
    );
    let target = if plan.loss == LossKind::CrossEntropy {
        "  # class indices"
    } else {
        ""
    };
    let _ = writeln!(out, "    x, y = data[\"x\"], data[\"y\"]{target}");
    let _ = writeln!(out, "    loss_fn = {}", torch::loss(plan.loss));
    let _ = writeln!(
        out,
        "    optimizer = {}",
        torch::optimizer(plan.optimizer, &plan.remedies, "model.parameters()")
    );
    let schedulers = torch::schedulers(&plan.remedies, s.total_steps);
    if schedulers.is_empty() {
        out.push_str("    schedulers = []\n");
    } else {
        out.push_str("    schedulers = [\n");
        for line in schedulers {
            let _ = writeln!(out, "        {line},");
        }
        out.push_str("    ]\n");
    }
    let width = s.total_steps.max(1).to_string().len();
    out.push_str("\n    model.train()\n    for step in range(STEPS):\n");
    let rows = match (minibatch, s.ddp) {
        (true, false) => {
            "        rows = batch_rows(data[\"order\"], step)\n        xb, yb = x[rows], y[rows]\n"
        }
        (true, true) => {
            "        rows = batch_rows(data[\"order\"], step)[rank::world]\n        xb, yb = x[rows], y[rows]\n"
        }
        (false, false) => "        xb, yb = x, y\n",
        (false, true) => "        xb, yb = x[rank::world], y[rank::world]\n",
    };
    out.push_str(rows);
    out.push_str(
        "        optimizer.zero_grad()\n        loss = loss_fn(model(xb), yb)\n        loss.backward()\n",
    );
    if s.ddp {
        out.push_str(
            "        # The loss of the whole batch: the mean of the processes' means.\n        loss = loss.detach().clone()\n        dist.all_reduce(loss)\n        loss /= world\n        if rank == 0:\n    ",
        );
    }
    let _ = writeln!(
        out,
        "        print(f\"step {{step + 1:>{width}}}  loss {{loss.item()!r}}\", flush=True)"
    );
    if !plan.continue_on_nan {
        out.push_str(
            "        if not all_finite(loss, model):\n            break  # as gradlab: the step is not applied\n",
        );
    }
    for line in torch::clipping(&plan.remedies) {
        for l in line.lines() {
            let _ = writeln!(out, "        {l}");
        }
    }
    out.push_str(
        "        optimizer.step()\n        for scheduler in schedulers:\n            scheduler.step()\n",
    );
    if s.ddp {
        out.push_str("\n    dist.destroy_process_group()\n");
    }
}
