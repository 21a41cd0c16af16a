//! The engine's findings as warnings that point at the script: one function per kind
//! of finding.

use crate::diagnostics::{Diagnostic, Span};
use crate::engine::{
    Activation, DegenerateReason, DiagnosticEvent, ExplodingBlame, MIN_AMPLIFICATION,
    NonFiniteSite, Pass, PoorReason, Precision, StepRecord,
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
        } => vanishing(info, record, *step, *layer, *ratio),
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
    let mut d = Diagnostic::warning(format!("exploding gradients at step {step}"));
    let labels = amplifier_labels(info, step, layer, blame, record);
    // The `repeat` that multiplies the blamed layers is what a reader changes.
    let repeated = labels
        .iter()
        .map(|(l, _)| *l)
        .find(|&l| info.layer(l).is_some_and(|i| i.repeat.is_some()))
        .unwrap_or(layer);
    for (l, label) in labels {
        d = d.with_label(info.layer_span(l), label);
    }
    let mut d = info.with_repeat(d, repeated).with_note(format!(
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
    with_fewer_layers(
        d,
        depth_under_threshold(info, factor_per_layer, global_norm),
    )
}

fn vanishing(
    info: &RunInfo,
    record: Option<&StepRecord>,
    step: usize,
    layer: usize,
    ratio: f64,
) -> Diagnostic {
    let d = Diagnostic::warning(format!("vanishing gradients at step {step}")).with_label(
        info.layer_span(layer),
        format!(
            "from {} down, the gradient is under {:e} of the last layer's",
            info.layer_name(layer),
            info.thresholds.vanish_ratio
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
    with_fewer_layers(d, depth_above_ratio(info, record, ratio))
}

fn dead_layer(info: &RunInfo, step: usize, layer: usize, layers: &[usize]) -> Diagnostic {
    let which = if layers.len() == 1 {
        info.layer_name(layer)
    } else {
        layer_list(layers)
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
    // Nothing was measured on a step that is not finite: only a rough first try.
    let quarter = info.depth.map(|depth| (depth / 4.0).floor().max(1.0));
    with_fewer_layers(d, quarter.filter(|q| info.depth.is_some_and(|d| *q < d)))
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
            low,
            high,
            oscillates,
        } => (
            format!("the loss stopped improving by step {step}"),
            if *oscillates {
                format!(
                    "over the last {window} steps it oscillates between {} and {} instead of falling",
                    sig(*low),
                    sig(*high)
                )
            } else if low == high {
                format!("over the last {window} steps it stays at {}", sig(*low))
            } else if *improvement < 0.0 {
                format!(
                    "over the last {window} steps it rose by {}%",
                    sig(-improvement * 100.0)
                )
            } else {
                format!(
                    "over the last {window} steps it improved by only {}%",
                    sig(improvement * 100.0)
                )
            },
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
    let d = Diagnostic::warning(message)
        .with_label(info.span, label)
        .with_note("doing badly on its own training data is a warning sign of unstable gradients");
    let d = match reason {
        PoorReason::Plateau {
            oscillates: true, ..
        } => d.with_help(if info.clipping {
            "a loss that bounces takes steps too large: lower the learning rate"
        } else {
            "a loss that bounces takes steps too large: lower the learning rate, or `remedy clip_norm(1.0)`"
        }),
        _ => d,
    };
    // The run already prints its gradients: only `explain` is left to suggest.
    if info.show.gradients {
        d.with_help("see where the gradient grows or fades: `explain` the network")
    } else {
        d.with_help("look at the gradients: `show gradients`, or `explain` the network")
    }
}

/// What the layers blamed for an explosion do to the backward signal: one label per
/// line of the script whose layers amplify it (gain above 1), naming what sets their
/// weights; or, when none amplifies, the blamed layer's weight gradient. Each label goes
/// with the first layer it is about.
fn amplifier_labels(
    info: &RunInfo,
    step: usize,
    layer: usize,
    blame: ExplodingBlame,
    record: Option<&StepRecord>,
) -> Vec<(usize, String)> {
    let gains: Vec<f64> =
        record.map_or_else(Vec::new, |r| r.layers.iter().map(|l| l.gain).collect());
    let amplifiers: Vec<usize> = (0..gains.len())
        .filter(|&l| gains[l] > 1.0 && gains[l].is_finite())
        .collect();
    if blame == ExplodingBlame::WeightGradient || amplifiers.is_empty() {
        let label = match record.and_then(|r| r.layers.get(layer)) {
            Some(stats) if blame == ExplodingBlame::WeightGradient => format!(
                "{} has the largest weight gradient, ‖∂L/∂W‖ = {}",
                info.layer_name(layer),
                sig(stats.grad_weight_norm)
            ),
            _ => format!(
                "{} amplifies the backward signal the most",
                info.layer_name(layer)
            ),
        };
        return vec![(layer, label)];
    }
    // A large first layer's gain is not measured on steps without a table (NaN).
    let measured = gains.iter().filter(|g| !g.is_nan()).count();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for l in amplifiers {
        let line = |l: usize| info.layer(l).map(|i| i.line);
        match groups.iter_mut().find(|g| line(g[0]) == line(l)) {
            Some(group) => group.push(l),
            None => groups.push(vec![l]),
        }
    }
    groups
        .iter()
        .map(|group| {
            let (low, high) = group.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &l| {
                (lo.min(gains[l]), hi.max(gains[l]))
            });
            let even = high <= low * 1.01;
            let which = scattered_layers(info, group);
            let what = if group.len() == gains.len() && even {
                format!(
                    "each of the {} layers multiplies the backward signal by {}",
                    gains.len(),
                    sig(high)
                )
            } else if group.len() == measured && even && is_run(group) {
                format!(
                    "layers {} to {} each multiply the backward signal by {}",
                    group[0] + 1,
                    group[group.len() - 1] + 1,
                    sig(high)
                )
            } else if let [only] = group.as_slice() {
                format!(
                    "{} multiplies the backward signal by {}",
                    info.layer_name(*only),
                    sig(high)
                )
            } else if even {
                format!("{which} each multiply the backward signal by {}", sig(high))
            } else {
                format!(
                    "{which} multiply the backward signal by {} to {}",
                    sig(low),
                    sig(high)
                )
            };
            let weights = info.layer(group[0]).map_or("", |l| l.weights.as_str());
            let whose = if group.len() == 1 { "its" } else { "their" };
            // After the first update the weights are no longer the init's alone.
            let cause = if step == 1 {
                format!("{weights} sets {whose} weights")
            } else {
                format!("{whose} weights started from {weights}")
            };
            (group[0], format!("{what}; {cause}"))
        })
        .collect()
}

/// Several layers of one script line: `layers 2–10`, `layers 2, 5, 7`, or, when that
/// list would be long, `17 of the 30 layers of line 12`.
fn scattered_layers(info: &RunInfo, group: &[usize]) -> String {
    const LONGEST_LIST: usize = 5;
    let line = info.layer(group[0]).map(|l| l.line);
    if is_run(group) || group.len() <= LONGEST_LIST {
        return layer_list(group);
    }
    let on_line = info.layers.iter().filter(|l| Some(l.line) == line).count();
    format!(
        "{} of the {on_line} layers of line {}",
        group.len(),
        line.unwrap_or(0)
    )
}

/// `layers 2–10` or `layers 2, 5, 7` (1-based).
fn layer_list(layers: &[usize]) -> String {
    if is_run(layers) {
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
    }
}

fn is_run(layers: &[usize]) -> bool {
    layers.windows(2).all(|w| w[1] == w[0] + 1)
}

/// Suggests `remedy depth(n)`, when the network's depth is a parameter that can be
/// lowered and a smaller `n` was found.
fn with_fewer_layers(d: Diagnostic, depth: Option<f64>) -> Diagnostic {
    match depth {
        Some(n) => d.with_help(format!("use fewer layers: `remedy depth({n})`")),
        None => d,
    }
}

/// How many layers one unit of `depth` stands for (a `repeat depth` of two layers: 2).
fn layers_per_depth(info: &RunInfo, depth: f64) -> f64 {
    let repeated = info.layers.iter().filter(|l| l.repeat.is_some()).count() as f64;
    (repeated / depth).round().max(1.0)
}

/// The deepest `depth` below the network's at which, at the measured growth of `gain`
/// per layer, neither exploding rule would fire: the gradient norm shrinks by `gain²`
/// per layer removed (the signal crosses each layer forward and again backward), and
/// the growth over the remaining layers stays under the total the warning waits for.
/// `None` when nothing grows (fewer layers would not help) or no depth is enough.
fn depth_under_threshold(info: &RunInfo, gain: f64, norm: f64) -> Option<f64> {
    let depth = info.depth.filter(|d| *d > 1.0)?;
    if !(gain > 1.0 && gain.is_finite() && norm.is_finite()) {
        return None;
    }
    let th = &info.thresholds;
    let per_depth = layers_per_depth(info, depth);
    let layers = info.layers.len() as f64;
    let calm = |n: f64| {
        let removed = (depth - n) * per_depth;
        let norm_then = norm / gain.powf(2.0 * removed);
        let growth_then = gain.powf(layers - 1.0 - removed);
        norm_then <= th.explode_norm
            && (gain <= th.explode_factor || growth_then <= MIN_AMPLIFICATION)
    };
    deepest_below(depth, calm)
}

/// The deepest `depth` below the network's at which the first layer's gradient stays
/// above the vanishing threshold, when each layer removed takes away one factor of the
/// measured shrinking per layer: that of the per-unit backward signal `‖∂L/∂a‖/√width`
/// from the last layer to the first (what the table's gain column multiplies up), or,
/// without the step's record, of `ratio` itself. `None` when nothing shrinks or no depth
/// is enough.
fn depth_above_ratio(info: &RunInfo, record: Option<&StepRecord>, ratio: f64) -> Option<f64> {
    let depth = info.depth.filter(|d| *d > 1.0)?;
    let layers = info.layers.len() as f64;
    let per_unit = |l: usize| {
        let stats = record?.layers.get(l)?;
        let width = info.layer(l)?.width.max(1) as f64;
        Some(stats.grad_output_norm / width.sqrt())
    };
    let signal = match (per_unit(0), per_unit(info.layers.len().saturating_sub(1))) {
        (Some(first), Some(last)) if last > 0.0 => first / last,
        _ => ratio,
    };
    let shrinks = |r: f64| r > 0.0 && r < 1.0 && r.is_finite();
    if !(shrinks(signal) && layers > 1.0) {
        return None;
    }
    let per_layer = signal.powf(1.0 / (layers - 1.0));
    // The warning fires on the smaller of the two measures: both must recover.
    let worst = if shrinks(ratio) {
        ratio.min(signal)
    } else {
        signal
    };
    let per_depth = layers_per_depth(info, depth);
    let calm = |n: f64| {
        let removed = (depth - n) * per_depth;
        worst / per_layer.powf(removed) >= info.thresholds.vanish_ratio
    };
    deepest_below(depth, calm)
}

/// The largest whole `n` in `1..depth` for which `calm(n)` holds.
fn deepest_below(depth: f64, calm: impl Fn(f64) -> bool) -> Option<f64> {
    (1..depth.ceil() as usize)
        .rev()
        .map(|n| n as f64)
        .find(|&n| calm(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{LossKind, Thresholds};
    use crate::report::info::{LayerInfo, Settings, ShowOptions};

    /// The seed chain: `depth` layers of one ReLU unit on line 9, inside a `repeat`.
    fn chain(depth: usize) -> RunInfo {
        let span = Span { start: 0, end: 1 };
        RunInfo {
            kind: "train",
            network: "chain".into(),
            data: "one".into(),
            span,
            layers: (0..depth)
                .map(|i| LayerInfo {
                    number: i + 1,
                    line: 9,
                    span,
                    repeat: Some(span),
                    width: 1,
                    activation: Activation::Relu,
                    weights: "`weight=2.34`".into(),
                })
                .collect(),
            settings: Settings {
                loss: LossKind::Mse,
                training: None,
                precision: Precision::F32,
                seed: 0,
            },
            planned_steps: 60,
            show: ShowOptions::default(),
            depth: Some(depth as f64),
            thresholds: Thresholds::default(),
            clipping: false,
            residual: false,
            normalised: false,
            tensors: Vec::new(),
            result: None,
        }
    }

    #[test]
    fn the_depth_advice_comes_from_the_measured_gain() {
        // The seed chain at depth 20: ×2.34 per layer and ‖∇‖ 2.244e15. Depth 3 is the
        // deepest that trains (examples/remedy_depth.grad: ‖∇‖ 224.1 at 3, 1485 at 4).
        assert_eq!(depth_under_threshold(&chain(20), 2.34, 2.244e15), Some(3.0));
        // Nothing grows: fewer layers would not shrink the norm.
        assert_eq!(depth_under_threshold(&chain(20), 0.9, 2e3), None);
        // A shrinking signal of 0.5 per layer over 19 factors (1.9e-6) reaches 1e-4
        // again with 13 factors (1.2e-4): 14 layers.
        let ratio = 0.5f64.powi(19);
        assert_eq!(depth_above_ratio(&chain(20), None, ratio), Some(14.0));
        assert_eq!(depth_above_ratio(&chain(20), None, 0.0), None);
    }

    fn plateau(
        info: &RunInfo,
        low: f64,
        high: f64,
        improvement: f64,
        oscillates: bool,
    ) -> Diagnostic {
        let reason = PoorReason::Plateau {
            window: 50,
            improvement,
            low,
            high,
            oscillates,
        };
        poor_training(info, 60, &reason)
    }

    #[test]
    fn a_plateau_says_how_the_loss_behaved() {
        let info = chain(3);
        let bouncing = plateau(&info, 0.34, 0.7, -0.1689, true);
        assert_eq!(
            bouncing.labels[0].message,
            "over the last 50 steps it oscillates between 0.3400 and 0.7000 instead of falling"
        );
        assert!(bouncing.helps[0].contains("lower the learning rate"));
        let rising = plateau(&info, 1.0, 1.2, -0.1689, false);
        assert_eq!(
            rising.labels[0].message,
            "over the last 50 steps it rose by 16.89%"
        );
        let flat = plateau(&info, 1.0, 1.0, 0.0, false);
        assert_eq!(
            flat.labels[0].message,
            "over the last 50 steps it stays at 1.000"
        );
    }

    #[test]
    fn the_plateau_help_does_not_suggest_what_is_already_on() {
        let mut info = chain(3);
        let plain = plateau(&info, 1.0, 1.01, 0.005, false);
        assert!(
            plain.helps[0].contains("`show gradients`"),
            "{:?}",
            plain.helps
        );
        info.show.gradients = true;
        let shown = plateau(&info, 1.0, 1.01, 0.005, false);
        assert!(
            shown.helps.iter().all(|h| !h.contains("show gradients")),
            "{:?}",
            shown.helps
        );
    }
}
