//! How a whole run went, in a few numbers: the rows of `compare` and the cells of `sweep`.

use crate::engine::{DiagnosticEvent, Event, PoorReason, StepRecord, StopReason, TrainSummary};
use crate::signature::Metric;

use super::info::RunInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Diverged,
    Exploding,
    Vanishing,
    Dead,
    /// No gradient warning, but the loss jumped.
    Unstable,
    /// No gradient warning, but the run learned nothing: its accuracy stays near chance,
    /// or its loss ended above where it started.
    Stuck,
    /// No gradient warning, but the loss stopped improving well above what it could reach.
    Plateau,
    Healthy,
    /// Stopped (Ctrl-C, or output nobody reads) before its last step: no finding of a
    /// cut-short run can say it was healthy.
    Interrupted,
}

impl Verdict {
    /// The verdicts of a finished run, the most serious first, as `of` ranks them.
    pub const FINISHED: [Verdict; 8] = [
        Verdict::Diverged,
        Verdict::Exploding,
        Verdict::Vanishing,
        Verdict::Dead,
        Verdict::Unstable,
        Verdict::Stuck,
        Verdict::Plateau,
        Verdict::Healthy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Diverged => "diverged",
            Verdict::Exploding => "exploding",
            Verdict::Vanishing => "vanishing",
            Verdict::Dead => "dead",
            Verdict::Unstable => "unstable",
            Verdict::Stuck => "stuck",
            Verdict::Plateau => "plateau",
            Verdict::Healthy => "healthy",
            Verdict::Interrupted => "interrupted",
        }
    }

    /// The most serious finding of a run decides: a loss that is no longer a number
    /// beats an explosion, which beats vanishing, which beats dead units. The gradient
    /// findings name the cause, so they come first; a run without one is still not
    /// healthy when its loss jumped, learned nothing, or stopped improving.
    pub fn of(findings: &[DiagnosticEvent]) -> Verdict {
        let has = |f: fn(&DiagnosticEvent) -> bool| findings.iter().any(f);
        let poor = |f: fn(&PoorReason) -> bool| {
            findings
                .iter()
                .any(|e| matches!(e, DiagnosticEvent::PoorTraining { reason, .. } if f(reason)))
        };
        if has(|e| matches!(e, DiagnosticEvent::NonFinite { .. })) {
            Verdict::Diverged
        } else if has(|e| matches!(e, DiagnosticEvent::Exploding { .. })) {
            Verdict::Exploding
        } else if has(|e| matches!(e, DiagnosticEvent::Vanishing { .. })) {
            Verdict::Vanishing
        } else if has(|e| matches!(e, DiagnosticEvent::DeadLayer { .. })) {
            Verdict::Dead
        } else if has(|e| matches!(e, DiagnosticEvent::LossJump { .. })) {
            Verdict::Unstable
        } else if poor(|r| {
            matches!(
                r,
                PoorReason::NearChance { .. } | PoorReason::EndedAboveStart { .. }
            )
        }) {
            Verdict::Stuck
        } else if poor(|r| matches!(r, PoorReason::Plateau { .. })) {
            Verdict::Plateau
        } else {
            Verdict::Healthy
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub steps: usize,
    pub final_loss: Option<f64>,
    pub best_loss: Option<f64>,
    /// The batch accuracy at the last step, for classification losses.
    pub final_accuracy: Option<f64>,
    pub max_grad_norm: f64,
    /// The first step whose loss or gradients were not finite.
    pub first_nonfinite: Option<usize>,
    /// ‖∂L/∂W‖ of the first layer at step 1.
    pub first_grad: Option<f64>,
    /// First-layer / last-layer ‖∂L/∂W‖ at step 1.
    pub grad_ratio: Option<f64>,
    pub verdict: Verdict,
    /// Why the run stopped: an interrupted run is unfinished, whatever it saw so far.
    pub stop_reason: StopReason,
    /// The loss of every `loss_stride`-th step from step 1, when the collector was asked
    /// to keep them (for a chart).
    pub losses: Vec<f64>,
    pub loss_stride: usize,
}

impl Outcome {
    /// Whether the run was stopped before its end (including a run that began after
    /// Ctrl-C, which stops at its first step).
    pub fn interrupted(&self) -> bool {
        self.stop_reason == StopReason::Interrupted
    }
}

/// The name JSON gives a stop reason.
pub fn stop_reason_name(reason: StopReason) -> &'static str {
    match reason {
        StopReason::Completed => "completed",
        StopReason::NonFinite => "non_finite",
        StopReason::Interrupted => "interrupted",
    }
}

/// The note for a run kept `as NAME` that stopped before its end: NAME still holds
/// the weights it reached, which a user may want to inspect, but not what the script
/// asked for.
pub fn kept_early(summary: &TrainSummary, info: &RunInfo) -> Option<String> {
    let name = info.result.as_ref()?;
    let why = match summary.stop_reason {
        StopReason::Completed => return None,
        StopReason::NonFinite => "the run stopped at a non-finite loss",
        StopReason::Interrupted => "the run was interrupted",
    };
    let planned = info.planned_steps;
    Some(match summary.updates {
        0 => format!("`{name}` holds its initial weights, no step of {planned} applied: {why}"),
        n => format!("`{name}` holds the weights after step {n} of {planned}: {why}"),
    })
}

/// Watches a run's events and sums it up.
#[derive(Debug, Default)]
pub struct OutcomeCollector {
    best_loss: Option<f64>,
    max_grad_norm: f64,
    first_nonfinite: Option<usize>,
    first_grad: Option<f64>,
    grad_ratio: Option<f64>,
    /// `Some` when the losses are kept: every `loss_stride`-th step's.
    losses: Option<Vec<f64>>,
    loss_stride: usize,
}

impl OutcomeCollector {
    /// A collector that also keeps the losses of a run of `planned` steps: every step's,
    /// or every k-th step's beyond `history::MAX_POINTS` steps.
    pub fn keeping_losses(planned: usize) -> Self {
        OutcomeCollector {
            losses: Some(Vec::new()),
            loss_stride: super::history::stride_for(planned),
            ..Self::default()
        }
    }

    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::Step(record) => self.step(record),
            Event::Diagnostic(DiagnosticEvent::NonFinite { step, .. }) => {
                self.first_nonfinite.get_or_insert(*step);
            }
            Event::Diagnostic(_) => {}
        }
    }

    fn step(&mut self, r: &StepRecord) {
        if let Some(losses) = &mut self.losses
            && (r.step - 1).is_multiple_of(self.loss_stride.max(1))
        {
            losses.push(r.loss);
        }
        if r.grad_norm.is_finite() {
            self.max_grad_norm = self.max_grad_norm.max(r.grad_norm);
        } else {
            self.max_grad_norm = f64::INFINITY;
        }
        if r.loss.is_finite() {
            self.best_loss = Some(self.best_loss.map_or(r.loss, |b| b.min(r.loss)));
        }
        if r.step == 1
            && let (Some(first), Some(last)) = (r.layers.first(), r.layers.last())
        {
            self.first_grad = Some(first.grad_weight_norm);
            self.grad_ratio = (last.grad_weight_norm > 0.0)
                .then(|| first.grad_weight_norm / last.grad_weight_norm);
        }
    }

    pub fn finish(self, summary: &TrainSummary) -> Outcome {
        Outcome {
            steps: summary.steps,
            final_loss: summary.final_loss,
            best_loss: self.best_loss,
            final_accuracy: summary.final_accuracy,
            max_grad_norm: self.max_grad_norm,
            first_nonfinite: self.first_nonfinite,
            first_grad: self.first_grad,
            grad_ratio: self.grad_ratio,
            verdict: if summary.stop_reason == StopReason::Interrupted {
                Verdict::Interrupted
            } else {
                Verdict::of(&summary.diagnostics)
            },
            stop_reason: summary.stop_reason,
            losses: self.losses.unwrap_or_default(),
            loss_stride: self.loss_stride.max(1),
        }
    }
}

/// The sweep header's definition of `metric`, in the notation of the reports (‖∂L/∂W‖)
/// where the signature's summary is in words. A verdict sweep lists what its cells can
/// read: `interrupted` too once some point was cut short, as the note under its table
/// and its chart's key say.
pub fn metric_heading(metric: Metric, interrupted: bool) -> String {
    match metric {
        Metric::FirstGrad => "first_grad = the first layer's ‖∂L/∂W‖ at step 1".into(),
        Metric::FinalLoss => "final_loss = the loss at the last step".into(),
        Metric::MaxGradNorm => "max_grad_norm = the largest global gradient norm".into(),
        Metric::GradRatio => "grad_ratio = first-layer / last-layer ‖∂L/∂W‖ at step 1".into(),
        Metric::Verdict => {
            let mut names: Vec<&str> = Verdict::FINISHED.iter().map(|v| v.name()).collect();
            if interrupted {
                names.push(Verdict::Interrupted.name());
            }
            let last = names.pop().unwrap_or_default();
            format!("verdict = {} or {last}", names.join(", "))
        }
    }
}

/// A sweep's metric read off an outcome; `None` for the verdict, which is no number.
pub fn metric(outcome: &Outcome, metric: Metric) -> Option<f64> {
    match metric {
        Metric::FirstGrad => outcome.first_grad,
        Metric::FinalLoss => outcome.final_loss,
        Metric::MaxGradNorm => Some(outcome.max_grad_norm),
        Metric::GradRatio => outcome.grad_ratio,
        Metric::Verdict => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poor(reason: PoorReason) -> DiagnosticEvent {
        DiagnosticEvent::PoorTraining { step: 1, reason }
    }

    #[test]
    fn a_verdict_heading_names_interrupted_only_after_an_interrupt() {
        assert_eq!(
            metric_heading(Metric::Verdict, false),
            "verdict = diverged, exploding, vanishing, dead, unstable, stuck, plateau or healthy"
        );
        assert_eq!(
            metric_heading(Metric::Verdict, true),
            "verdict = diverged, exploding, vanishing, dead, unstable, stuck, plateau, healthy or interrupted"
        );
        // A number's heading stays: its interrupted cells read —, which the note explains.
        assert_eq!(
            metric_heading(Metric::FinalLoss, true),
            metric_heading(Metric::FinalLoss, false)
        );
    }

    #[test]
    fn the_loss_warnings_count_after_the_gradient_ones() {
        let plateau = poor(PoorReason::Plateau {
            window: 50,
            improvement: 0.0,
            low: 1.0,
            high: 1.0,
            oscillates: false,
        });
        let chance = poor(PoorReason::NearChance {
            accuracy: 0.5,
            chance: 0.5,
        });
        let above = poor(PoorReason::EndedAboveStart {
            start: 1.0,
            end: 2.0,
        });
        let jump = DiagnosticEvent::LossJump {
            step: 2,
            from: 1.0,
            to: 20.0,
            factor: 20.0,
        };
        let dead = DiagnosticEvent::DeadLayer {
            step: 1,
            layer: 0,
            origin: 0,
            layers: vec![0],
        };
        assert_eq!(Verdict::of(&[]), Verdict::Healthy);
        assert_eq!(
            Verdict::of(std::slice::from_ref(&plateau)),
            Verdict::Plateau
        );
        assert_eq!(Verdict::of(&[plateau.clone(), chance]), Verdict::Stuck);
        assert_eq!(
            Verdict::of(&[above.clone(), plateau.clone()]),
            Verdict::Stuck
        );
        assert_eq!(Verdict::of(&[above, jump.clone()]), Verdict::Unstable);
        assert_eq!(Verdict::of(&[plateau, jump, dead]), Verdict::Dead);
    }
}
