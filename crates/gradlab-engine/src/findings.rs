//! The findings of each step and of the end of a run, in the order `train.rs` documents,
//! and how they are handed to the caller.

use super::detect::{Detectors, StepView};
use super::events::{
    Control, DegenerateReason, DiagnosticEvent, Event, NonFiniteSite, Pass, StepRecord,
};
use super::network::{Network, Workspace};
use super::norm::NormBuf;
use super::params::{LayerLayout, NormKind};
use super::real::Real;
use super::types::{Dataset, LossKind, TrainSpec};

/// Where a step's first NaN or infinity was met.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Blame {
    pub pass: Pass,
    pub layer: usize,
    /// The layer made it from finite inputs and parameters.
    pub created: bool,
    pub site: NonFiniteSite,
}

/// What a step found besides its record.
pub(crate) struct StepFacts {
    /// Set when the loss or some raw gradient is not finite.
    pub nonfinite: Option<Blame>,
    /// Training stops at this step (a non-finite value without `continue_on_nonfinite`).
    pub stops: bool,
    /// `clip_norm` met this non-finite norm in this layer.
    pub clip_nonfinite: Option<(f64, usize)>,
}

/// The detectors and every finding of a run. Its buffers are allocated before the first
/// step.
pub(crate) struct Findings {
    detectors: Detectors,
    /// `DegenerateNorm` fires once per layer.
    degenerate_seen: Vec<bool>,
    /// Found, not yet handed out.
    fired: Vec<DiagnosticEvent>,
    /// Handed out, for the summary.
    kept: Vec<DiagnosticEvent>,
}

impl Findings {
    /// `classes`: the network's output width; the other two bound the detector windows.
    pub fn new(
        spec: &TrainSpec,
        classes: usize,
        total_steps: usize,
        steps_per_epoch: usize,
    ) -> Self {
        let (data, loss) = (&spec.data, spec.loss);
        Findings {
            detectors: Detectors::new(
                spec.thresholds,
                total_steps,
                steps_per_epoch,
                chance_rate(data, loss, classes),
                baseline_loss(data, loss, classes),
                spec.net.layers.iter().map(|l| l.width).collect(),
            )
            .without_weight_gradient(normalised_single_inputs(spec)),
            degenerate_seen: vec![false; spec.net.layers.len()],
            fired: Vec::new(),
            kept: Vec::new(),
        }
    }

    /// The findings of the step `record` describes: `NonFinite`, `ClipNonFinite`,
    /// `DegenerateNorm`, then the detectors' (unless the run stops here).
    pub fn at_step<R: Real>(
        &mut self,
        record: &StepRecord,
        facts: &StepFacts,
        net: &Network<R>,
        ws: &Workspace<R>,
    ) {
        let step = record.step;
        self.fired.clear();
        if self.detectors.nonfinite(facts.nonfinite.is_some())
            && let Some(b) = facts.nonfinite
        {
            self.fired.push(DiagnosticEvent::NonFinite {
                step,
                pass: b.pass,
                layer: b.layer,
                origin: net.origins[b.layer],
                created: b.created,
                stopped: facts.stops,
                site: b.site,
            });
        }
        if let Some((norm, layer)) = facts.clip_nonfinite {
            self.fired.push(DiagnosticEvent::ClipNonFinite {
                step,
                norm,
                layer,
                origin: net.origins[layer],
            });
        }
        for (l, seen) in self.degenerate_seen.iter_mut().enumerate() {
            if *seen {
                continue;
            }
            if let Some(reason) = degenerate_reason(&net.layout.layers[l], &ws.norm[l]) {
                *seen = true;
                self.fired.push(DiagnosticEvent::DegenerateNorm {
                    step,
                    layer: l,
                    origin: net.origins[l],
                    reason,
                });
            }
        }
        if !facts.stops {
            let view = StepView {
                step,
                loss: record.loss,
                grad_norm: record.grad_norm,
                accuracy: record.accuracy,
                layers: &record.layers,
            };
            self.detectors.observe(&view, &mut self.fired);
        }
    }

    /// The end-of-run findings, after `steps` steps.
    pub fn at_end(&mut self, steps: usize) {
        self.detectors.finish(steps, &mut self.fired);
    }

    /// Hands each new finding to `on_event` and keeps it; true when the callback asked to
    /// stop (the findings after that one are dropped, as the run ends there).
    pub fn hand_out(&mut self, on_event: &mut dyn FnMut(&Event) -> Control) -> bool {
        for finding in self.fired.drain(..) {
            let event = Event::Diagnostic(finding);
            let control = on_event(&event);
            if let Event::Diagnostic(finding) = event {
                self.kept.push(finding);
            }
            if control == Control::Stop {
                return true;
            }
        }
        false
    }

    /// Every finding handed out, in order.
    pub fn into_kept(self) -> Vec<DiagnosticEvent> {
        self.kept
    }
}

/// Why a layer's normalisation cannot depend on its input at this step, if it cannot.
fn degenerate_reason<R: Real>(
    layer: &LayerLayout,
    buf: &Option<NormBuf<R>>,
) -> Option<DegenerateReason> {
    match (layer.norm.map(|n| n.kind), buf) {
        (Some(NormKind::Layer), _) if layer.fan_out == 1 => {
            Some(DegenerateReason::LayerNormWidthOne)
        }
        (Some(NormKind::Batch), Some(nb)) if nb.constant_batch(layer.fan_out) => {
            Some(DegenerateReason::BatchNormConstantBatch)
        }
        _ => None,
    }
}

/// Which layers have batch norm right after a single input: per unit the norm divides
/// out the one weight `w` (and the bias), `BN(w·x + b) = sign(w)·BN(x)` up to its `eps`, so
/// the weights' gradient is 0 by construction.
fn normalised_single_inputs(spec: &TrainSpec) -> Vec<bool> {
    let net = &spec.net;
    let fan_ins = std::iter::once(net.input).chain(net.layers.iter().map(|l| l.width));
    net.layers
        .iter()
        .zip(fan_ins)
        .map(|(layer, fan_in)| layer.batchnorm && fan_in == 1)
        .collect()
}

/// Majority-class rate of the data set for classification losses.
fn chance_rate(data: &Dataset, loss: LossKind, classes: usize) -> Option<f64> {
    match loss {
        LossKind::CrossEntropy => {
            let mut counts = vec![0usize; classes];
            for &t in &data.y {
                counts[(t as usize).min(classes - 1)] += 1;
            }
            Some(*counts.iter().max().unwrap_or(&0) as f64 / data.n as f64)
        }
        LossKind::Bce => {
            let pos = data.y.iter().filter(|&&t| t >= 0.5).count() as f64 / data.y.len() as f64;
            Some(pos.max(1.0 - pos))
        }
        LossKind::Mse | LossKind::Mae => None,
    }
}

/// The loss of the best constant prediction: what a network that learned nothing about
/// the inputs still achieves. A loss far below it has converged; a loss stuck above it
/// is a plateau worth reporting.
fn baseline_loss(data: &Dataset, loss: LossKind, classes: usize) -> f64 {
    let n = data.n.max(1) as f64;
    let columns = data.y_dim.max(1);
    let column = |j: usize| data.y.iter().skip(j).step_by(columns).copied();
    let mean_of = |j: usize| column(j).sum::<f64>() / n;
    let per_column = |f: &dyn Fn(usize) -> f64| (0..columns).map(f).sum::<f64>() / columns as f64;
    match loss {
        LossKind::Mse => per_column(&|j| {
            let m = mean_of(j);
            column(j).map(|y| (y - m) * (y - m)).sum::<f64>() / n
        }),
        LossKind::Mae => per_column(&|j| {
            let m = mean_of(j);
            column(j).map(|y| (y - m).abs()).sum::<f64>() / n
        }),
        LossKind::Bce => per_column(&|j| {
            let p = mean_of(j).clamp(0.0, 1.0);
            let h = |q: f64| if q > 0.0 { -q * q.ln() } else { 0.0 };
            h(p) + h(1.0 - p)
        }),
        LossKind::CrossEntropy => {
            let mut counts = vec![0usize; classes.max(1)];
            for &t in &data.y {
                counts[(t as usize).min(classes.max(1) - 1)] += 1;
            }
            counts
                .iter()
                .filter(|&&c| c > 0)
                .map(|&c| {
                    let p = c as f64 / n;
                    -p * p.ln()
                })
                .sum()
        }
    }
}
