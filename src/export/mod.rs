//! `gradlab export FILE.grad --to torch`: every `train` run, and every run of a `compare`,
//! as a self-contained PyTorch script with its initial weights and data in safetensors
//! files, so that a user who outgrows gradlab gets the same numbers in PyTorch and scales
//! out from there (GPU, `torchrun`, DistributedDataParallel).
//!
//! It works from the checked plans and the engine's initial parameters, never from syntax:
//! `weights::modules` maps the network to modules and tensor names, `torch` the settings to
//! PyTorch code, `data` the data set and batch order to tensors, `tensors` writes the
//! safetensors files and `python` the script.

mod data;
mod python;
mod tensors;
mod torch;

use crate::check::Plan;
use crate::check::plan::RunPlan;
use crate::check::spec::RunParts;
use crate::diagnostics::{Diagnostic, Span};
use crate::engine::{StepDetail, init_params, run_steps, validate_train};
use crate::syntax::ast::RunKind;
use crate::weights::modules;

/// How to export.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Write the DistributedDataParallel variant of every script.
    pub ddp: bool,
}

/// The files of one exported run: `STEM.py`, `STEM.init.safetensors` (the initial
/// weights as a `state_dict`) and `STEM.data.safetensors` (the data and batch order).
#[derive(Debug, Clone)]
pub struct ExportedRun {
    pub stem: String,
    pub title: String,
    pub script: String,
    pub weights: Vec<u8>,
    pub data: Vec<u8>,
}

/// What one exported file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// `STEM.py`.
    Script,
    /// `STEM.init.safetensors`.
    InitialWeights,
    /// `STEM.data.safetensors`.
    Data,
}

impl Contents {
    /// The name JSON gives it.
    pub fn name(self) -> &'static str {
        match self {
            Contents::Script => "script",
            Contents::InitialWeights => "initial_weights",
            Contents::Data => "data",
        }
    }
}

impl ExportedRun {
    /// The three files, by name.
    pub fn files(&self) -> [(String, Contents, &[u8]); 3] {
        [
            (
                format!("{}.py", self.stem),
                Contents::Script,
                self.script.as_bytes(),
            ),
            (
                format!("{}.init.safetensors", self.stem),
                Contents::InitialWeights,
                &self.weights[..],
            ),
            (
                format!("{}.data.safetensors", self.stem),
                Contents::Data,
                &self.data[..],
            ),
        ]
    }
}

/// A file `write_files` wrote, and which run (an index into its `runs`) it is of.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenFile {
    pub path: std::path::PathBuf,
    pub contents: Contents,
    pub run: usize,
}

/// One run to export: its plan, where errors about it point (the `train` block or the
/// compare variant), what it is, and the stem of its file names.
#[derive(Debug, Clone)]
pub struct Selected<'a> {
    pub plan: &'a RunPlan,
    pub span: Span,
    pub title: String,
    pub stem: String,
}

/// Exports every training run of `plans` (see [`select`]); `source` names the script in
/// the comments.
pub fn export(
    plans: &[Plan],
    source: &str,
    prefix: &str,
    options: Options,
) -> Result<Vec<ExportedRun>, Diagnostic> {
    select(plans, prefix)?
        .into_iter()
        .map(|run| one(&run, source, options))
        .collect()
}

/// The training runs of `plans`, in script order. `prefix` starts every file name: run `n`
/// (1-based, counting `train` and `compare` blocks) is `PREFIX_n`, and a `compare`'s runs
/// are `PREFIX_n_baseline`, `PREFIX_n_LABEL`. A sweep is refused, and so is a script
/// with no training run.
pub fn select<'a>(plans: &'a [Plan], prefix: &str) -> Result<Vec<Selected<'a>>, Diagnostic> {
    let mut runs = Vec::new();
    let mut number = 0;
    for plan in plans {
        match plan {
            Plan::Run(run) => match run.kind {
                RunKind::Train => {
                    number += 1;
                    runs.push(Selected {
                        plan: run,
                        span: run.span,
                        title: format!("train {} on {}", run.net_ref.label(), run.data.name),
                        stem: format!("{prefix}_{number}"),
                    });
                }
                RunKind::Compare => {
                    number += 1;
                    let compared = format!("compare {} on {}", run.net_ref.label(), run.data.name);
                    runs.push(Selected {
                        plan: run,
                        span: run.span,
                        title: format!("{compared}: the baseline"),
                        stem: format!("{prefix}_{number}_baseline"),
                    });
                    runs.extend(run.variants.iter().map(|variant| Selected {
                        plan: &variant.plan,
                        span: variant.span,
                        title: format!("{compared}: {}", variant.label),
                        stem: format!("{prefix}_{number}_{}", slug(&variant.label)),
                    }));
                }
                // Nothing is trained.
                RunKind::Explain => {}
            },
            Plan::Sweep(sweep) => {
                return Err(Diagnostic::error(format!(
                    "`gradlab export` writes `train` and `compare` runs, not a sweep of {} runs",
                    sweep.points.len()
                ))
                .with_label(sweep.span, "this sweep")
                .with_help(
                    "export the grid point you want to keep as a `train` block with its settings",
                ));
            }
            Plan::Declared { .. } | Plan::Print { .. } | Plan::Setting | Plan::Save(_) => {}
        }
    }
    if runs.is_empty() {
        return Err(Diagnostic::error(
            "nothing to export: the script has no `train` or `compare` block",
        )
        .with_label(Span::default(), "no training run in this script"));
    }
    Ok(runs)
}

/// One run's files.
fn one(run: &Selected, source: &str, options: Options) -> Result<ExportedRun, Diagnostic> {
    let (plan, span, title, stem) = (run.plan, run.span, run.title.as_str(), &run.stem);
    let refused = |message: String| {
        Diagnostic::error(format!("cannot export this run to PyTorch: {message}"))
            .with_label(span, "this run")
    };
    // A run the engine would refuse (a batchnorm fed one-row batches) is not exported:
    // torch refuses it too.
    validate_train(&RunParts::of(plan).spec(StepDetail::Detectors))
        .map_err(|e| refused(e.message().to_string()))?;
    let modules = modules::modules(&plan.net.spec).map_err(refused)?;
    // A trained network's weights exist only once the script has run; a loaded one's
    // are known now, and are where the exported run starts.
    let params = match &plan.net.weights {
        Some(weights) => match weights.get() {
            Some(loaded) => (**loaded).clone(),
            None => {
                return Err(refused(format!(
                    "it starts from `{}`, whose weights exist only once the script has \
                     run (a trained network, or a file it writes); save them (`save {} to \"FILE\"`) and export a script \
                     that loads them with `network … from \"FILE\"`",
                    weights.name, weights.name
                )));
            }
        },
        None => {
            init_params(&plan.net.spec, plan.seed).map_err(|e| refused(e.message().to_string()))?
        }
    };
    let set = &plan.data.set;
    let total_steps = usize::try_from(run_steps(plan.stop, set.n, plan.batch))
        .map_err(|_| refused("too many steps".into()))?;
    let weights = modules::state_dict(&modules, &params);
    let data = data::tensors(set, plan.loss, plan.batch, plan.seed, total_steps);
    let weights = tensors::file(&weights, plan.precision).map_err(refused)?;
    let data = tensors::file(&data, plan.precision).map_err(refused)?;
    let script = python::script(&python::Script {
        title,
        source,
        stem,
        plan,
        modules: &modules,
        total_steps,
        ddp: options.ddp,
    });
    Ok(ExportedRun {
        stem: stem.clone(),
        title: title.to_string(),
        script,
        weights,
        data,
    })
}

/// A compare label as part of a file name: `clip_norm(1.0)` → `clip_norm_1_0`.
fn slug(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// Writes every run's three files into `dir` (created if missing); every file written,
/// in order.
pub fn write_files(
    dir: &std::path::Path,
    runs: &[ExportedRun],
) -> Result<Vec<WrittenFile>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for (index, run) in runs.iter().enumerate() {
        for (name, contents, bytes) in run.files() {
            let path = dir.join(name);
            std::fs::write(&path, bytes)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            written.push(WrittenFile {
                path,
                contents,
                run: index,
            });
        }
    }
    Ok(written)
}
