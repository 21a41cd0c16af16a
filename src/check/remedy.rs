//! Remedies: turning `remedy …` and `variant …` specs into changes of a run.

use crate::weights::names::state_dict;
use std::collections::HashSet;

use super::args::{Bound, bind};
use super::env::{Entry, Env};
use super::init;
use super::network::instantiate;
use super::plan::RunPlan;
use super::value::{NetArg, NetRef, Spec};
use crate::diagnostics::{Diagnostic, ErrorKind};
use crate::engine::{ClipNorm, ClipScope, Schedule, WeightSpec};
use crate::signature::{ClipScopeName, Family, RemedyName};

/// Applies `specs` to `plan`: network remedies change its layers, training remedies its
/// options. Each remedy may appear once.
pub fn apply(plan: &mut RunPlan, specs: &[Spec], env: &Env) -> Result<(), Diagnostic> {
    let mut seen: HashSet<RemedyName> = HashSet::new();
    for spec in specs {
        let remedy = RemedyName::named(&spec.name).ok_or_else(|| {
            Diagnostic::error(format!("unknown remedy `{}`", spec.name))
                .with_kind(ErrorKind::UnknownBuiltin)
                .with_label(spec.span, "not a remedy")
        })?;
        if !seen.insert(remedy) {
            return Err(
                Diagnostic::error(format!("remedy `{}` is given twice", spec.name))
                    .with_label(spec.span, "given again here"),
            );
        }
        let b = bind(remedy.signature(), RemedyName::WHAT, &spec.args, spec.span)?;
        // Trained or loaded weights fit only the network they were made for.
        let held = plan
            .net
            .weights
            .as_ref()
            .map(|w| (w.name.clone(), state_dict(&plan.net.spec)));
        apply_one(plan, remedy, spec, &b, env)?;
        if let Some((name, tensors)) = held
            && (plan.net.weights.is_none() || state_dict(&plan.net.spec) != tensors)
        {
            return Err(Diagnostic::error(format!(
                "`{}` changes the layers of `{name}`, whose weights then no longer fit",
                spec.name
            ))
            .with_kind(ErrorKind::InvalidValue)
            .with_label(spec.span, "this remedy")
            .with_label(
                plan.net_ref.span,
                format!("`{name}` holds trained or loaded weights"),
            )
            .with_help("try it on the declared network, which starts from its seeded weights"));
        }
    }
    if seen.contains(&RemedyName::Batchnorm) && seen.contains(&RemedyName::Layernorm) {
        return Err(
            Diagnostic::error("`batchnorm` and `layernorm` both normalise every layer")
                .with_label(specs[0].span, "pick one of them"),
        );
    }
    Ok(())
}

fn apply_one(
    plan: &mut RunPlan,
    remedy: RemedyName,
    spec: &Spec,
    b: &Bound,
    env: &Env,
) -> Result<(), Diagnostic> {
    let remedies = &mut plan.remedies;
    match remedy {
        RemedyName::ClipNorm => {
            remedies.clip_norm = Some(ClipNorm {
                max: b.num("max")?,
                norm_type: b.num("norm")?,
                scope: match b.choice::<ClipScopeName>("scope")? {
                    ClipScopeName::Global => ClipScope::Global,
                    ClipScopeName::PerLayer => ClipScope::PerLayer,
                },
            });
        }
        RemedyName::ClipValue => remedies.clip_value = Some(b.num("c")?),
        RemedyName::WeightDecay => remedies.weight_decay = Some(b.num("lambda")?),
        RemedyName::Warmup => remedies.schedules.push(Schedule::Warmup {
            steps: b.count("steps")?,
        }),
        RemedyName::StepDecay => remedies.schedules.push(Schedule::StepDecay {
            every: b.count("every")?,
            factor: b.num("factor")?,
        }),
        // Without `steps`, the engine decays over the whole run.
        RemedyName::Cosine => remedies.schedules.push(Schedule::Cosine {
            t_max: b.optional_count("steps")?,
        }),
        RemedyName::Batchnorm | RemedyName::Layernorm => {
            let batchnorm = remedy == RemedyName::Batchnorm;
            // Not after the last layer: normalising the output would fix its scale, which
            // the targets decide.
            let hidden = plan.net.spec.layers.len().saturating_sub(1);
            for layer in &mut plan.net.spec.layers[..hidden] {
                layer.batchnorm = batchnorm;
                layer.layernorm = !batchnorm;
            }
            if hidden == 0 {
                return Err(Diagnostic::error(format!(
                    "`{remedy}` normalises hidden layers, and `{}` has none",
                    plan.net.name
                ))
                .with_label(spec.span, "nothing to normalise")
                .with_help("add a `batchnorm` attribute to a layer to normalise it anyway"));
            }
        }
        RemedyName::Init => {
            let span = b.span("scheme");
            let (_, scheme) = init::scheme(b.value("scheme")?.clone(), span)?;
            let mut fan_in = plan.net.spec.input;
            for layer in &mut plan.net.spec.layers {
                init::check_fits(&scheme, fan_in, layer.width, span)?;
                layer.weight = WeightSpec::Init(scheme);
                fan_in = layer.width;
            }
        }
        RemedyName::Depth => {
            let has_depth = matches!(
                env.get(&plan.net_ref.name).map(|b| &b.entry),
                Some(Entry::Network(n)) if n.params.iter().any(|p| p.name.name == "depth")
            );
            if !has_depth {
                let name = &plan.net_ref.name;
                return Err(Diagnostic::error(format!(
                    "`depth` needs a network with a `depth` parameter, and `{name}` has none"
                ))
                .with_label(spec.span, "this remedy")
                .with_help(format!(
                    "declare it as `network {name}(depth = …) {{ … repeat depth {{ … }} }}`"
                )));
            }
            let mut args = plan.net_ref.args.clone();
            args.retain(|a| a.name != "depth");
            args.push(NetArg::computed("depth", b.num("n")?, spec.span));
            let net_ref = NetRef {
                name: plan.net_ref.name.clone(),
                args,
                span: plan.net_ref.span,
                weights: None,
            };
            // Network remedies applied before this one would be lost: depth goes first.
            plan.net = instantiate(&net_ref, env)?;
            plan.net_ref = net_ref;
        }
    }
    Ok(())
}

/// Remedies in the order they must be applied: `depth` rebuilds the network, so it
/// comes before the remedies that change its layers.
pub fn ordered(specs: &[Spec]) -> Vec<Spec> {
    let mut out: Vec<Spec> = specs
        .iter()
        .filter(|s| s.name == RemedyName::Depth.name())
        .cloned()
        .collect();
    out.extend(
        specs
            .iter()
            .filter(|s| s.name != RemedyName::Depth.name())
            .cloned(),
    );
    out
}
