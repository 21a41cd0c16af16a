//! `:save` of a trained network (`as fitted`): its weights go to `fitted.safetensors`
//! next to the script, and the script declares `network fitted from
//! "fitted.safetensors" { … }` with the layers of the network it was trained from.

use super::save::declaration_text;
use crate::check::env::{Entry, Env};
use crate::check::fitted::LAST_RUN;
use crate::check::network::instantiate;
use crate::check::value::NetRef;
use crate::diagnostics::SourceMap;
use crate::weights;

/// A weights file to write next to the saved script.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsFile {
    /// The trained network's name.
    pub name: String,
    /// The file name, relative to the script's folder.
    pub file: String,
    pub bytes: Vec<u8>,
}

/// The declaration of trained network `name`, and its weights file. `None` when it
/// cannot be written so: `_` (the REPL's last run, saved under its own name if it has
/// one), a network trained with arguments (`train chain(depth = 3) …`), or one whose
/// run has not finished.
pub fn declaration(
    name: &str,
    net: &NetRef,
    env: &Env,
    sources: &SourceMap,
) -> Option<(String, WeightsFile)> {
    let params = net.weights.as_ref()?.get()?;
    if name == LAST_RUN || !net.args.is_empty() {
        return None;
    }
    let binding = env.get(&net.name)?;
    let Entry::Network(_) = &binding.entry else {
        return None;
    };
    let text = declaration_text(binding.span, sources)?;
    let spec = instantiate(net, env).ok()?.spec;
    let bytes = weights::to_bytes(&spec, params, env.precision).ok()?;
    let file = format!("{name}.safetensors");
    // `network NAME(params) [from …] {` becomes `network fitted(params) from "…" {`.
    let body = text.find('{')?;
    let header = text[..body].trim_end();
    let params_text = header
        .strip_prefix("network")?
        .trim_start()
        .strip_prefix(net.name.as_str())?;
    let params_text = params_text
        .find(" from")
        .map_or(params_text, |at| &params_text[..at])
        .trim_end();
    let declaration = format!(
        "network {name}{params_text} from {file:?} {}",
        &text[body..]
    );
    Some((
        declaration,
        WeightsFile {
            name: name.to_string(),
            file,
            bytes,
        },
    ))
}
