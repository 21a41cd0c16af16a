//! The engine's findings as warnings that point at the script: one function per kind
//! of finding.

use crate::diagnostics::{Diagnostic, Span};
use crate::engine::{
    Activation, DegenerateReason, DiagnosticEvent, ExplodingBlame, NonFiniteSite, Pass, PoorReason,
    Precision, StepRecord,
};
use crate::format::{self, sig};

use super::info::RunInfo;

impl RunInfo {
    fn layer_span(&self, index: usize) -> Span {
        self.layer(index).map_or(self.span, |l| l.span)
    }

    fn layer_name(&self, index: usize) -> String {
        match self.layer(index) {
            Some(l) => format!("layer {} (line {})", l.number, l.line),
            None => format!("layer {}", index + 1),
        }
    }

    /// `, or remedy batchnorm` when the network does not normalise yet.
    fn or_normalise(&self) -> &'static str {
        if self.normalised {
            ""
        } else {
            ", or `remedy batchnorm`"
        }
    }

    /// Adds a label on the `repeat` around `index`, which is what sets the depth.
    fn with_repeat(&self, d: Diagnostic, index: usize) -> Diagnostic {
        let Some(repeat) = self.layer(index).and_then(|l| l.repeat) else {
            return d;
        };
        let inside = self
            .layers
            .iter()
            .filter(|l| l.repeat == Some(repeat))
            .count();
        let total = self.layers.len();
        let label = if inside == total {
            format!("repeated: {total} layers")
        } else {
            format!("repeated: {inside} of the {total} layers")
        };
        d.with_label(repeat, label)
    }
}

/// The kind of a finding, as JSON names it.
pub fn finding_kind(event: &DiagnosticEvent) -> &'static str {
    match event {
        DiagnosticEvent::NonFinite { .. } => "non_finite",
        DiagnosticEvent::LossJump { .. } => "loss_jump",
        DiagnosticEvent::PoorTraining { .. } => "poor_training",
        DiagnosticEvent::Exploding { .. } => "exploding",
        DiagnosticEvent::Vanishing { .. } => "vanishing",
        DiagnosticEvent::DeadLayer { .. } => "dead_layer",
        DiagnosticEvent::ClipNonFinite { .. } => "clip_non_finite",
        DiagnosticEvent::DegenerateNorm { .. } => "degenerate_norm",
    }
}

/// The engine's finding as a warning that points at the script. `record` is the step
/// the finding is about, when the reporter has it.
pub fn warning(event: &DiagnosticEvent, info: &RunInfo, record: Option<&StepRecord>) -> Diagnostic {
    match event {
        DiagnosticEvent::Exploding {
            step,
            layer,
            blame,
            factor_per_layer,
            global_norm,
            ..
        } => exploding(
            info,
            record,
            *step,
            (*layer, *blame),
            *factor_per_layer,
            *global_norm,
        ),
        DiagnosticEvent::Vanishing {
            step, ratio, layer, ..
        } => vanishing(info, *step, *layer, *ratio),
        DiagnosticEvent::DeadLayer {
            step,
            layer,
            layers,
            ..
        } => dead_layer(info, *step, *layer, layers),
        DiagnosticEvent::NonFinite {
            step,
            pass,
            layer,
            created,
            stopped,
            site,
            ..
        } => non_finite(info, *step, *pass, *layer, *site, *created, *stopped),
        DiagnosticEvent::LossJump {
            step,
            from,
            to,
            factor,
        } => loss_jump(info, *step, *from, *to, *factor),
        DiagnosticEvent::ClipNonFinite {
            step, norm, layer, ..
        } => clip_non_finite(info, *step, *norm, *layer),
        DiagnosticEvent::DegenerateNorm {
            step,
            layer,
            reason,
            ..
        } => degenerate_norm(info, *step, *layer, *reason),
        DiagnosticEvent::PoorTraining { step, reason } => poor_training(info, *step, reason),
    }
}

fn exploding(
    info: &RunInfo,
    record: Option<&StepRecord>,
    step: usize,
    (layer, blame): (usize, ExplodingBlame),
    factor_per_layer: f64,
    global_norm: f64,
) -> Diagnostic {
    let d = Diagnostic::warning(format!("exploding gradients at step {step}")).with_label(
        info.layer_span(layer),
        amplifier_label(info, layer, blame, record),
    );
    let mut d = info.with_repeat(d, layer).with_note(format!(
        "toward the input the gradient grows ×{} per layer; the global gradient norm is {}",
        sig(factor_per_layer),
        sig(global_norm)
    ));
    if info.clipping {
        d = d.with_help(
            "clipping keeps each update small, but the network still amplifies the signal: treat the cause",
        );
    } else {
        d = d.with_help("clip the gradients: `remedy clip_norm(1.0)`");
    }
    d = d.with_help(format!(
        "start smaller: `remedy init(he_normal)`{}",
        info.or_normalise()
    ));
    with_fewer_layers(d, info)
}

fn vanishing(info: &RunInfo, step: usize, layer: usize, ratio: f64) -> Diagnostic {
    let d = Diagnostic::warning(format!("vanishing gradients at step {step}")).with_label(
        info.layer_span(layer),
        format!(
            "from {} down, the gradient is under {:e} of the last layer's",
            info.layer_name(layer),
            info.vanish_ratio
        ),
    );
    let mut d = info.with_repeat(d, layer).with_note(if ratio == 0.0 {
        "no gradient at all reaches the first layer: it cannot learn".to_string()
    } else {
        format!(
            "the first layer's gradient is {} of the last layer's: the first layers barely learn",
            sig(ratio)
        )
    });
    // ReLU-family layers already have slope 1 where active: what they need is He's
    // scale (Xavier's is right for tanh and sigmoid, and too small for ReLU).
    let relu_like = info.layer(layer).is_some_and(|l| {
        matches!(
            l.activation,
            Activation::Relu
                | Activation::LeakyRelu { .. }
                | Activation::Elu { .. }
                | Activation::Gelu
        )
    });
    if relu_like {
        d = d.with_help(format!(
            "start with the right scale: `remedy init(he_normal)`{}",
            info.or_normalise()
        ));
    } else {
        d = d
            .with_help("an activation whose slope is 1 where it is active: `relu` or `leaky_relu`")
            .with_help(format!(
                "start with the right scale: `remedy init(xavier_uniform)`{}",
                info.or_normalise()
            ));
    }
    with_fewer_layers(d, info)
}

fn dead_layer(info: &RunInfo, step: usize, layer: usize, layers: &[usize]) -> Diagnostic {
    let which = if layers.len() == 1 {
        info.layer_name(layer)
    } else if is_run(layers) {
        format!("layers {}–{}", layers[0] + 1, layers[layers.len() - 1] + 1)
    } else {
        format!(
            "layers {}",
            layers
                .iter()
                .map(|l| (l + 1).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let d = Diagnostic::warning(format!("dead ReLU layer at step {step}: {which} output 0"))
        .with_label(
            info.layer_span(layer),
            format!(
                "{} outputs 0 for the whole batch, so no gradient passes it",
                info.layer_name(layer)
            ),
        );
    info.with_repeat(d, layer)
        .with_note(if info.residual {
            "its pre-activations are negative for every input; only the skip connections still carry a gradient past it"
        } else {
            "its pre-activations are negative for every input (often after one large update); no gradient passes it, so the layers before it cannot learn"
        })
        .with_help("take smaller steps: a lower `lr`, or `remedy clip_norm(1.0)`")
        .with_help("or let some gradient through: `leaky_relu` instead of `relu`")
}

fn non_finite(
    info: &RunInfo,
    step: usize,
    pass: Pass,
    layer: usize,
    site: NonFiniteSite,
    created: bool,
    stopped: bool,
) -> Diagnostic {
    let pass_name = match pass {
        Pass::Forward => "forward",
        Pass::Backward => "backward",
    };
    let what = match (site, created) {
        (NonFiniteSite::Loss, _) => format!(
            "every layer's output is finite, but the loss overflows {}",
            format::precision(info.settings.precision)
        ),
        (NonFiniteSite::Input, _) => "the input data is not finite".to_string(),
        (NonFiniteSite::Parameters, _) => format!(
            "{}'s parameters were already inf or NaN",
            info.layer_name(layer)
        ),
        (NonFiniteSite::Layer, true) => format!(
            "{} is where inf or NaN first appears ({pass_name} pass)",
            info.layer_name(layer)
        ),
        (NonFiniteSite::Layer, false) => format!(
            "{} passes along an inf or NaN from before it",
            info.layer_name(layer)
        ),
    };
    let d = Diagnostic::warning(format!(
        "the loss is not a finite number at step {step} ({pass_name} pass)"
    ))
    .with_label(info.layer_span(layer), what);
    let mut d = info.with_repeat(d, layer);
    if stopped {
        d = d.with_note("training stopped here; write `on_nan continue` to go on regardless");
    }
    d = d.with_help("clip the gradients: `remedy clip_norm(1.0)`, or lower the learning rate");
    if info.settings.precision == Precision::F32 {
        d = d.with_help("see how far it goes with more range: `precision f64`");
    }
    with_fewer_layers(d, info)
}

fn loss_jump(info: &RunInfo, step: usize, from: f64, to: f64, factor: f64) -> Diagnostic {
    Diagnostic::warning(format!("the loss jumped ×{} at step {step}", sig(factor)))
        .with_label(info.span, format!("from {} to {}", sig(from), sig(to)))
        .with_note("large jumps in the loss are a warning sign of exploding gradients")
        .with_help("clip the gradients: `remedy clip_norm(1.0)`, or lower the learning rate")
}

fn clip_non_finite(info: &RunInfo, step: usize, norm: f64, layer: usize) -> Diagnostic {
    Diagnostic::warning(format!(
        "gradient clipping met a gradient norm of {norm} at step {step}"
    ))
    .with_label(
        info.layer_span(layer),
        format!("{}'s gradient is not finite", info.layer_name(layer)),
    )
    .with_note(if norm.is_nan() {
        "as in torch, the clipping coefficient max/(norm+1e-6) is NaN, so every gradient becomes NaN"
    } else {
        "as in torch, the clipping coefficient max/(norm+1e-6) is 0: finite gradients become 0 (the step does nothing) and infinite ones NaN"
    })
    .with_help("clipping cannot repair an overflow: lower the learning rate, or `precision f64`")
}

fn degenerate_norm(
    info: &RunInfo,
    step: usize,
    layer: usize,
    reason: DegenerateReason,
) -> Diagnostic {
    let what = match reason {
        DegenerateReason::LayerNormWidthOne => {
            "layernorm over a single unit always normalises to 0"
        }
        DegenerateReason::BatchNormConstantBatch => {
            "every row of the batch is the same here, so batchnorm normalises it to 0"
        }
    };
    Diagnostic::warning(format!(
        "{} cannot pass its input on (step {step})",
        info.layer_name(layer)
    ))
    .with_label(info.layer_span(layer), what)
    .with_note(
        "the layer outputs its shift β whatever its input, so the layers before it get no gradient",
    )
    .with_help("normalise wider layers, or give the batch different rows")
}

fn poor_training(info: &RunInfo, step: usize, reason: &PoorReason) -> Diagnostic {
    let (message, label) = match reason {
        PoorReason::Plateau {
            window,
            improvement,
        } => (
            format!("the loss stopped improving by step {step}"),
            format!(
                "over the last {window} steps it improved by {}%",
                sig(improvement * 100.0)
            ),
        ),
        PoorReason::EndedAboveStart { start, end } => (
            "the loss ended higher than it started".to_string(),
            format!("from {} to {}", sig(*start), sig(*end)),
        ),
        PoorReason::NearChance { accuracy, chance } => (
            "training accuracy stays near chance".to_string(),
            format!(
                "accuracy {}% where always guessing the commonest class gives {}%",
                sig(accuracy * 100.0),
                sig(chance * 100.0)
            ),
        ),
    };
    Diagnostic::warning(message)
        .with_label(info.span, label)
        .with_note("doing badly on its own training data is a warning sign of unstable gradients")
        .with_help("look at the gradients: `show gradients`, or `explain` the network")
}

/// What the layer blamed for an explosion does to the backward signal.
fn amplifier_label(
    info: &RunInfo,
    layer: usize,
    blame: ExplodingBlame,
    record: Option<&StepRecord>,
) -> String {
    let gains: Vec<f64> =
        record.map_or_else(Vec::new, |r| r.layers.iter().map(|l| l.gain).collect());
    let Some(gain) = gains.get(layer).copied() else {
        return format!(
            "{} amplifies the backward signal the most",
            info.layer_name(layer)
        );
    };
    // `min` and `max` pass over a NaN: the first layer's gain when it was not measured.
    let (low, high) = gains.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), g| {
        (lo.min(*g), hi.max(*g))
    });
    // Blamed for its weight gradient, the layer's gain says nothing (it may even be
    // below 1), unless it is also the largest.
    if blame == ExplodingBlame::WeightGradient
        && (gain.is_nan() || gain < high)
        && let Some(grad) = record
            .and_then(|r| r.layers.get(layer))
            .map(|l| l.grad_weight_norm)
    {
        return format!(
            "{} has the largest weight gradient, ‖∂L/∂W‖ = {}",
            info.layer_name(layer),
            sig(grad)
        );
    }
    // A large first layer's gain is not measured on steps without a table (NaN).
    let measured = gains.iter().filter(|g| !g.is_nan()).count();
    if measured > 1 && high <= low * 1.01 {
        if measured == gains.len() {
            format!(
                "each of the {} layers multiplies the backward signal by {}",
                gains.len(),
                sig(gain)
            )
        } else {
            format!(
                "layers 2 to {} each multiply the backward signal by {}",
                gains.len(),
                sig(gain)
            )
        }
    } else {
        format!(
            "{} multiplies the backward signal by {}, more than any other layer",
            info.layer_name(layer),
            sig(gain)
        )
    }
}

fn is_run(layers: &[usize]) -> bool {
    layers.windows(2).all(|w| w[1] == w[0] + 1)
}

/// Suggests `remedy depth(…)` with a quarter of the layers, when the network's depth
/// is a parameter that can be lowered.
fn with_fewer_layers(d: Diagnostic, info: &RunInfo) -> Diagnostic {
    match info.depth.filter(|depth| *depth > 1.0) {
        Some(depth) => d.with_help(format!(
            "use fewer layers: `remedy depth({})`",
            (depth / 4.0).floor().max(1.0)
        )),
        None => d,
    }
}
