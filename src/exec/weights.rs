//! The parameters a run or `forward` uses, and `save NET to "file"`.

use std::sync::Arc;

use crate::check::fitted::SavePlan;
use crate::check::value::Weights;
use crate::diagnostics::{Diagnostic, Span};
use crate::engine::{self, NetSpec, Params};
use crate::report::info::SavedWeights;
use crate::save_file::{self, Existing};
use crate::weights;

/// The trained or loaded parameters, or an error if the run that makes them did not
/// end (it failed or was interrupted).
pub fn ready(weights: &Weights, at: Span) -> Result<Arc<Params>, Diagnostic> {
    crate::check::loaded::resolve(weights)?.ok_or_else(|| {
        Diagnostic::error(format!(
            "`{}` holds no trained weights: the run that trains it did not finish",
            weights.name
        ))
        .with_label(at, "used here")
    })
}

/// The parameters `net` computes with: `weights`, else its seeded initialisation.
pub fn params_of(
    net: &NetSpec,
    weights: Option<&Weights>,
    seed: u64,
    at: Span,
) -> Result<Arc<Params>, Diagnostic> {
    match weights {
        Some(weights) => ready(weights, at),
        None => engine::init_params(net, seed)
            .map(Arc::new)
            .map_err(|e| Diagnostic::error(e.to_string()).with_label(at, "this network")),
    }
}

/// Writes the file, and says what it wrote.
pub fn save(plan: &SavePlan) -> Result<SavedWeights, Diagnostic> {
    let params = params_of(
        &plan.net.spec,
        plan.net.weights.as_ref(),
        plan.seed,
        plan.span,
    )?;
    let bytes = weights::to_bytes(&plan.net.spec, &params, plan.precision)
        .map_err(|e| Diagnostic::error(e).with_label(plan.span, "while saving"))?;
    save_file::write(&plan.path, &bytes, Existing::Replace)
        .map_err(|e| Diagnostic::error(e).with_label(plan.span, "while saving"))?;
    Ok(SavedWeights {
        network: plan.label.clone(),
        file: plan.file.clone(),
        tensors: weights::names::state_dict(&plan.net.spec).len(),
        span: plan.span,
    })
}
