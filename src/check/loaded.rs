//! `network net from "model.safetensors" { … }`: a network's weights read from a file,
//! checked whole against the network before it is used, so a bad file is an error
//! naming the tensor and never a partly loaded network.

use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use super::env::Env;
use super::value::{Weights, WeightsFile};
use crate::diagnostics::{Diagnostic, ErrorKind, Span};
use crate::engine::{NetSpec, Params};
use crate::format::bytes;
use crate::text_file;
use crate::weights::names::state_dict;
use crate::weights::{self, MAX_WEIGHTS_BYTES};

/// The weights in the file at `path` (relative to the script's folder) for `spec`. A
/// file that does not exist yet is read when first used: the script may save it
/// before then.
pub fn load(
    net_name: &str,
    path: &str,
    path_span: Span,
    decl_span: Span,
    spec: &NetSpec,
    env: &Env,
) -> Result<Weights, Diagnostic> {
    let folder = env.declared_in.get(net_name).unwrap_or(&env.base_dir);
    let full = folder.join(path);
    if !full.exists() {
        let mut weights = Weights::pending(path);
        weights.file = Some(Rc::new(WeightsFile {
            path: full.to_string_lossy().into_owned(),
            path_span,
            decl_span,
            spec: spec.clone(),
        }));
        return Ok(weights);
    }
    check_memory(&full, path, path_span, spec, env)?;
    let params = read(&full, path, path_span, decl_span, spec)?;
    Ok(Weights::known(path, params))
}

/// The parameters of `weights`: known, or read now from a file not read when checked.
/// `None` while the run that makes them has not ended.
pub fn resolve(weights: &Weights) -> Result<Option<Arc<Params>>, Diagnostic> {
    if let (None, Some(file)) = (weights.get(), &weights.file) {
        let full = Path::new(&file.path);
        let params = read(
            full,
            &weights.name,
            file.path_span,
            file.decl_span,
            &file.spec,
        )?;
        weights.fill(params);
    }
    Ok(weights.get().cloned())
}

/// Reading the file holds its bytes and the parameters (as f64) at once: both must fit
/// the memory limit, like a CSV file's data. Known before reading, from the file's size
/// and the network's tensors.
fn check_memory(
    full: &Path,
    path: &str,
    path_span: Span,
    spec: &NetSpec,
    env: &Env,
) -> Result<(), Diagnostic> {
    let file = std::fs::metadata(full).map_or(0, |m| m.len());
    let values: u64 = state_dict(spec)
        .iter()
        .map(|t| t.shape.iter().product::<usize>() as u64)
        .sum();
    let needed = file.saturating_add(values.saturating_mul(8));
    let limit = env.limits.max_memory;
    if needed <= limit {
        return Ok(());
    }
    Err(Diagnostic::error(format!(
        "reading `{path}` would hold {}, more than the {} memory limit",
        bytes(needed),
        bytes(limit)
    ))
    .with_kind(ErrorKind::TooLarge)
    .with_label(path_span, "this weights file")
    .with_help("raise the limit with --max-memory"))
}

fn read(
    full: &Path,
    path: &str,
    path_span: Span,
    decl_span: Span,
    spec: &NetSpec,
) -> Result<Params, Diagnostic> {
    let bytes =
        text_file::read_bytes(full, MAX_WEIGHTS_BYTES).map_err(|e| e.in_script(path, path_span))?;
    weights::from_bytes(spec, &bytes).map_err(|e| {
        Diagnostic::error(format!("`{path}` {e}"))
            .with_kind(ErrorKind::InvalidValue)
            .with_label(path_span, "these weights do not fit")
            .with_label(decl_span, "this network")
            .with_note(
                "tensors are named as in PyTorch's `state_dict` of the equivalent \
                 `nn.Sequential` (`0.weight`, `0.bias`, …); see grammar.md",
            )
    })
}
