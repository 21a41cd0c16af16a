//! Remedies: turning `remedy …` and `variant …` specs into changes of a run, and init
//! scheme names into the engine's schemes.

use std::collections::HashSet;

use super::args::{Bound, bind};
use super::env::{Entry, Env};
use super::network::{self, instantiate};
use super::run::RunPlan;
use super::signature as sig;
use super::value::{NetRef, Spec, Value};
use crate::diagnostics::Diagnostic;
use crate::engine::{ClipNorm, ClipScope, FanMode, InitScheme, Nonlinearity, Schedule, WeightSpec};

/// The engine's init scheme for a checked spec such as `he_normal(mode=fan_out)`.
pub fn init_scheme(spec: &Spec) -> Result<InitScheme, Diagnostic> {
    let signature = sig::find(sig::INITS, &spec.name).ok_or_else(|| {
        Diagnostic::error(format!("unknown init scheme `{}`", spec.name))
            .with_label(spec.span, "not an init scheme")
    })?;
    let b = bind(signature, "init scheme", &spec.args, spec.span)?;
    let mode = || match b.choice("mode") {
        "fan_out" => FanMode::FanOut,
        _ => FanMode::FanIn,
    };
    let nonlinearity = || match b.choice("nonlinearity") {
        "linear" => Nonlinearity::Linear,
        "sigmoid" => Nonlinearity::Sigmoid,
        "tanh" => Nonlinearity::Tanh,
        "leaky_relu" => Nonlinearity::LeakyRelu { slope: 0.01 },
        "selu" => Nonlinearity::Selu,
        _ => Nonlinearity::Relu,
    };
    Ok(match spec.name.as_str() {
        "const" => InitScheme::Const(b.num("value")),
        "uniform" => {
            let (a, high) = (b.num("a"), b.num("b"));
            if high <= a {
                return Err(Diagnostic::error("`uniform(a, b)` needs a < b")
                    .with_label(spec.span, format!("{a} is not below {high}")));
            }
            InitScheme::Uniform { a, b: high }
        }
        "normal" => InitScheme::Normal {
            mean: b.num("mean"),
            std: b.num("std"),
        },
        "xavier_uniform" => InitScheme::XavierUniform {
            gain: b.num("gain"),
        },
        "xavier_normal" => InitScheme::XavierNormal {
            gain: b.num("gain"),
        },
        "he_uniform" | "kaiming_uniform" => InitScheme::KaimingUniform {
            mode: mode(),
            nonlinearity: nonlinearity(),
        },
        "he_normal" | "kaiming_normal" => InitScheme::KaimingNormal {
            mode: mode(),
            nonlinearity: nonlinearity(),
        },
        "lecun_normal" => InitScheme::LecunNormal,
        "orthogonal" => InitScheme::Orthogonal {
            gain: b.num("gain"),
        },
        _ => InitScheme::PytorchDefault,
    })
}

/// Applies `specs` to `plan`: network remedies change its layers, training remedies its
/// options. Each remedy may appear once.
pub fn apply(plan: &mut RunPlan, specs: &[Spec], env: &Env) -> Result<(), Diagnostic> {
    let mut seen: HashSet<&str> = HashSet::new();
    for spec in specs {
        if !seen.insert(spec.name.as_str()) {
            return Err(
                Diagnostic::error(format!("remedy `{}` is given twice", spec.name))
                    .with_label(spec.span, "given again here"),
            );
        }
        let signature = sig::find(sig::REMEDIES, &spec.name).ok_or_else(|| {
            Diagnostic::error(format!("unknown remedy `{}`", spec.name))
                .with_label(spec.span, "not a remedy")
        })?;
        let b = bind(signature, "remedy", &spec.args, spec.span)?;
        apply_one(plan, spec, &b, env)?;
    }
    if seen.contains("batchnorm") && seen.contains("layernorm") {
        return Err(
            Diagnostic::error("`batchnorm` and `layernorm` both normalise every layer")
                .with_label(specs[0].span, "pick one of them"),
        );
    }
    Ok(())
}

fn apply_one(plan: &mut RunPlan, spec: &Spec, b: &Bound, env: &Env) -> Result<(), Diagnostic> {
    let remedies = &mut plan.remedies;
    match spec.name.as_str() {
        "clip_norm" => {
            // Binding accepted a number > 0 or `inf`.
            let norm_type = match b.get("norm") {
                Some(Value::Num(p)) => *p,
                _ => f64::INFINITY,
            };
            remedies.clip_norm = Some(ClipNorm {
                max: b.num("max"),
                norm_type,
                scope: match b.choice("scope") {
                    "per_layer" => ClipScope::PerLayer,
                    _ => ClipScope::Global,
                },
            });
        }
        "clip_value" => remedies.clip_value = Some(b.num("c")),
        "weight_decay" => remedies.weight_decay = Some(b.num("lambda")),
        "warmup" => remedies.schedules.push(Schedule::Warmup {
            steps: b.count("steps"),
        }),
        "step_decay" => remedies.schedules.push(Schedule::StepDecay {
            every: b.count("every"),
            factor: b.num("factor"),
        }),
        // Without `steps`, the engine decays over the whole run.
        "cosine" => remedies.schedules.push(Schedule::Cosine {
            t_max: b.get("steps").map(|_| b.count("steps")),
        }),
        "batchnorm" | "layernorm" => {
            // Not after the last layer: normalising the output would fix its scale, which
            // the targets decide.
            let hidden = plan.net.spec.layers.len().saturating_sub(1);
            for layer in &mut plan.net.spec.layers[..hidden] {
                if spec.name == "batchnorm" {
                    layer.batchnorm = true;
                    layer.layernorm = false;
                } else {
                    layer.layernorm = true;
                    layer.batchnorm = false;
                }
            }
            if hidden == 0 {
                return Err(Diagnostic::error(format!(
                    "`{}` normalises hidden layers, and `{}` has none",
                    spec.name, plan.net.name
                ))
                .with_label(spec.span, "nothing to normalise")
                .with_help("add a `batchnorm` attribute to a layer to normalise it anyway"));
            }
        }
        "init" => {
            let written = b.get("scheme").cloned().unwrap_or(Value::None);
            let checked = network::init_scheme(written, b.span("scheme").unwrap_or(spec.span))?;
            let scheme = init_scheme(&checked)?;
            for layer in &mut plan.net.spec.layers {
                layer.weight = WeightSpec::Init(scheme);
            }
        }
        "depth" => {
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
            args.retain(|(n, _, _)| n != "depth");
            args.push(("depth".into(), Value::Num(b.num("n")), spec.span));
            let net_ref = NetRef {
                name: plan.net_ref.name.clone(),
                args,
                span: plan.net_ref.span,
            };
            // Network remedies applied before this one would be lost: depth goes first.
            plan.net = instantiate(&net_ref, env)?;
            plan.net_ref = net_ref;
        }
        other => unreachable!("remedy `{other}` has a signature but no meaning"),
    }
    Ok(())
}

/// Remedies in the order they must be applied: `depth` rebuilds the network, so it
/// comes before the remedies that change its layers.
pub fn ordered(specs: &[Spec]) -> Vec<Spec> {
    let mut out: Vec<Spec> = specs
        .iter()
        .filter(|s| s.name == "depth")
        .cloned()
        .collect();
    out.extend(specs.iter().filter(|s| s.name != "depth").cloned());
    out
}
