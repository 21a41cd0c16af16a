//! The training loop: mini-batches, forward/backward, statistics, detectors, updates.
//!
//! # Mini-batches
//! With `batch_size = Some(b)` and `b < n`, the row order is reshuffled at the start of
//! every epoch: the order is reset to `0..n`, then a Fisher–Yates shuffle
//! (`for i in (1..n).rev() { j = (next_u64() · (i+1)) >> 64; swap(i, j) }`) driven by a
//! `ChaCha8Rng::seed_from_u64(seed)` on stream 1 (init uses stream 0, so the two are
//! independent). Batches are consecutive slices of that order; the last one of an epoch may
//! be smaller (`drop_last=False`). `None` (or `b ≥ n`) = one full batch in data order.
//!
//! # Event order
//! For every step: the `Step` record (loss, stats measured before the update), then that
//! step's diagnostics: `NonFinite`, `ClipNonFinite`, `DegenerateNorm`, then the others in
//! the order documented in `detect.rs`; then the optimizer update. Remedies (clipping,
//! schedules, weight decay) act as documented in `remedies.rs`.
//!
//! # Normalisation
//! Training forward passes use batch statistics and update the batchnorm running statistics
//! (`norm.rs`). A batchnorm network needs every batch to have at least two rows: `train`
//! refuses a configuration with a one-row batch. `DegenerateNorm` fires once per layer: at
//! step 1 for a width-1 layernorm, and the first step a batchnorm layer sees a batch with
//! zero variance in every unit.
//! After the last step (only when the run completed): the end-of-run diagnostics.
//! A `Control::Stop` from the callback ends the run at once, without applying that step's
//! update and without end-of-run diagnostics.
//!
//! # Allocation
//! All buffers (workspace, optimizer state, the reused `StepRecord`, detector windows) are
//! allocated before the first step; the step loop allocates only when an event fires or
//! `record_values` is on.

use super::clip::{ClipOutcome, clip_norm, clip_value};
use super::detect::{Detectors, StepView};
use super::events::{
    Control, DegenerateReason, DiagnosticEvent, Event, LayerStats, Pass, StepRecord, StopReason,
    TrainSummary,
};
use super::loss::loss_and_grad;
use super::network::{Network, Workspace};
use super::optim::{self, Optimizer};
use super::params::NormKind;
use super::params::{init_params, validate_net};
use super::real::Real;
use super::real::norm;
use super::types::{Dataset, EngineError, LossKind, NetSpec, Precision, Stop, TrainSpec};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Check that `data` fits `net` and `loss`.
pub fn validate_data(net: &NetSpec, data: &Dataset, loss: LossKind) -> Result<(), EngineError> {
    validate_net(net)?;
    let err = |m: String| Err(EngineError::Data(m));
    if data.n == 0 {
        return err("the data set is empty".into());
    }
    if data.n.checked_mul(data.x_dim) != Some(data.x.len()) {
        return err(format!(
            "the data set has {} input values, expected {} rows × {} columns",
            data.x.len(),
            data.n,
            data.x_dim
        ));
    }
    if data.n.checked_mul(data.y_dim) != Some(data.y.len()) {
        return err(format!(
            "the data set has {} target values, expected {} rows × {} columns",
            data.y.len(),
            data.n,
            data.y_dim
        ));
    }
    if data.x_dim != net.input {
        return err(format!(
            "the data has {} input columns but the network takes {}",
            data.x_dim, net.input
        ));
    }
    let out = net.layers.last().map_or(net.input, |l| l.width);
    match loss {
        LossKind::CrossEntropy => {
            if data.y_dim != 1 {
                return err(format!(
                    "cross_entropy needs one target column (the class index), the data has {}",
                    data.y_dim
                ));
            }
            if let Some((i, &t)) = data
                .y
                .iter()
                .enumerate()
                .find(|(_, t)| !(t.fract() == 0.0 && **t >= 0.0 && **t < out as f64))
            {
                return err(format!(
                    "cross_entropy target of row {} is {}, expected a class index 0..{} (the output width is {})",
                    i + 1,
                    t,
                    out.saturating_sub(1),
                    out
                ));
            }
        }
        _ => {
            if data.y_dim != out {
                return err(format!(
                    "the data has {} target columns but the network outputs {}",
                    data.y_dim, out
                ));
            }
        }
    }
    Ok(())
}

/// Train a network, reporting every step and diagnostic to `on_event`, whose answer can
/// stop the run.
///
/// ```
/// use gradlab_engine::{Activation, Control, Event, LayerSpec, LossKind, NetSpec};
/// use gradlab_engine::{OptimizerSpec, Stop, StopReason, TrainSpec, data, train};
///
/// let net = NetSpec::new(2, vec![
///     LayerSpec::dense(8, Activation::Tanh),
///     LayerSpec::dense(1, Activation::Linear),
/// ]);
/// let spec = TrainSpec::new(net, data::xor())
///     .with_loss(LossKind::Bce)
///     .with_optimizer(OptimizerSpec::adam(0.05))
///     .with_stop(Stop::Steps(200));
/// let mut steps = 0;
/// let summary = train(&spec, &mut |event| {
///     if let Event::Step(_) = event {
///         steps += 1;
///     }
///     Control::Continue
/// })
/// .unwrap();
/// assert_eq!(steps, 200);
/// assert_eq!(summary.stop_reason, StopReason::Completed);
/// assert_eq!(summary.final_accuracy, Some(1.0));
/// ```
pub fn train(
    spec: &TrainSpec,
    on_event: &mut dyn FnMut(&Event) -> Control,
) -> Result<TrainSummary, EngineError> {
    validate_data(&spec.net, &spec.data, spec.loss)?;
    optim::validate(&spec.optimizer)?;
    if spec.batch_size == Some(0) {
        return Err(EngineError::Config(
            "the batch size must be at least 1".into(),
        ));
    }
    spec.remedies.validate()?;
    check_batchnorm_batches(spec)?;
    match spec.precision {
        Precision::F32 => run::<f32>(spec, on_event),
        Precision::F64 => run::<f64>(spec, on_event),
    }
}

/// torch raises "Expected more than 1 value per channel when training" for a batchnorm
/// layer fed a one-row batch; the engine refuses such a run before it starts.
fn check_batchnorm_batches(spec: &TrainSpec) -> Result<(), EngineError> {
    let Some(layer) = spec.net.layers.iter().position(|l| l.batchnorm) else {
        return Ok(());
    };
    let n = spec.data.n;
    let b = spec.batch_size.map_or(n, |b| b.min(n));
    let steps = match spec.stop {
        Stop::Steps(s) => s,
        Stop::Epochs(e) => e.saturating_mul(n.div_ceil(b)),
    };
    if steps == 0 {
        return Ok(());
    }
    // No batch size helps a data set of one row: batch norm does not apply to it.
    let fix = if n == 1 {
        "batch norm cannot train on it; use another remedy (clipping, init, depth)"
    } else {
        "use a batch size of at least 2 that does not leave one row over"
    };
    let what = if n == 1 {
        "the data set has a single row".to_string()
    } else if b == 1 {
        "the batch size is 1".to_string()
    } else if n % b == 1 && steps > n / b {
        format!("with {n} rows and batch size {b}, the last batch of every epoch has a single row")
    } else {
        return Ok(());
    };
    Err(EngineError::Config(format!(
        "layer {} uses batchnorm, which needs at least 2 rows per batch in training (a batch \
         mean of one row is the row itself, so every normalised value would be 0; torch \
         raises \"Expected more than 1 value per channel when training\"), but {what}: {fix}",
        layer + 1
    )))
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
        _ => None,
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

fn empty_stats(l: usize) -> LayerStats {
    LayerStats {
        index: l,
        origin: 0,
        weight_mean: 0.0,
        weight_std: 0.0,
        weight_norm: 0.0,
        grad_weight_norm: 0.0,
        grad_bias_norm: None,
        grad_affine_norm: None,
        grad_output_norm: 0.0,
        gain: 0.0,
        dead: false,
        weights: None,
        grad_weights: None,
    }
}

/// Hands each finding to `on_event` and keeps it in `kept`; true when the callback asked
/// to stop (the findings after that one are dropped, as the run ends there).
fn emit_findings(
    fired: &mut Vec<DiagnosticEvent>,
    kept: &mut Vec<DiagnosticEvent>,
    on_event: &mut dyn FnMut(&Event) -> Control,
) -> bool {
    for finding in fired.drain(..) {
        let event = Event::Diagnostic(finding);
        let control = on_event(&event);
        if let Event::Diagnostic(finding) = event {
            kept.push(finding);
        }
        if control == Control::Stop {
            return true;
        }
    }
    false
}

fn run<R: Real>(
    spec: &TrainSpec,
    on_event: &mut dyn FnMut(&Event) -> Control,
) -> Result<TrainSummary, EngineError> {
    let data = &spec.data;
    let params = init_params(&spec.net, spec.seed)?;
    let mut net = Network::<R>::new(&spec.net, &params)?;
    let depth = net.depth();
    let (n, xd, yd, c) = (data.n, data.x_dim, data.y_dim, net.output());
    let b = spec.batch_size.map_or(n, |b| b.min(n));
    let shuffle = b < n;
    let steps_per_epoch = n.div_ceil(b);
    let total_steps = match spec.stop {
        Stop::Steps(s) => s,
        Stop::Epochs(e) => e.saturating_mul(steps_per_epoch),
    };

    let xs: Vec<R> = data.x.iter().map(|&v| R::from_f64(v)).collect();
    let ys: Vec<R> = data.y.iter().map(|&v| R::from_f64(v)).collect();
    let mut ybuf = vec![R::ZERO; b * yd];
    let mut ws = Workspace::new(&net, b);
    let remedies = &spec.remedies;
    let opt_spec = optim::add_weight_decay(spec.optimizer, remedies.weight_decay.unwrap_or(0.0));
    let mut opt = Optimizer::<R>::new(opt_spec, net.layout.total);
    let base_lr = opt.base_lr();
    let clipping = remedies.clip_norm.is_some() || remedies.clip_value.is_some();
    ws.training = true;
    // DegenerateNorm fires once per layer; a width-1 layernorm is degenerate from the start.
    let mut degenerate_seen = vec![false; depth];
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    rng.set_stream(1);
    let mut det = Detectors::new(
        spec.thresholds,
        total_steps,
        steps_per_epoch,
        chance_rate(data, spec.loss, c),
        baseline_loss(data, spec.loss, c),
        spec.net.layers.iter().map(|l| l.width).collect(),
    );
    let mut event = Event::Step(StepRecord {
        step: 0,
        epoch: 0,
        loss: 0.0,
        loss_change: None,
        grad_norm: 0.0,
        clipped_norm: None,
        clipped: false,
        lr: base_lr,
        accuracy: None,
        layers: (0..depth).map(empty_stats).collect(),
    });
    let mut clipped_steps = 0;
    let mut fired: Vec<DiagnosticEvent> = Vec::new();
    let mut diagnostics: Vec<DiagnosticEvent> = Vec::new();

    let mut prev_loss: Option<R> = None;
    let mut first_loss = None;
    let mut final_loss = None;
    let mut final_accuracy = None;
    let mut steps = 0;
    let mut updates = 0;
    let mut stop_reason = StopReason::Completed;

    for step in 0..total_steps {
        let pos = step % steps_per_epoch;
        if pos == 0 && shuffle {
            for (i, o) in order.iter_mut().enumerate() {
                *o = i;
            }
            for i in (1..n).rev() {
                let j = ((rng.next_u64() as u128 * (i as u128 + 1)) >> 64) as usize;
                order.swap(i, j);
            }
        }
        let start = pos * b;
        let rows = b.min(n - start);
        ws.rows = rows;
        for (r, &idx) in order[start..start + rows].iter().enumerate() {
            ws.x[r * xd..(r + 1) * xd].copy_from_slice(&xs[idx * xd..(idx + 1) * xd]);
            ybuf[r * yd..(r + 1) * yd].copy_from_slice(&ys[idx * yd..(idx + 1) * yd]);
        }

        ws.forward(&net);
        net.update_running(&ws);
        let lv = loss_and_grad(
            spec.loss,
            &ws.a[depth - 1],
            &ybuf,
            rows,
            c,
            &mut ws.ga[depth - 1],
        );
        ws.backward(&net);
        let gn = ws.grad_norm();
        let lr = base_lr * remedies.lr_factor(step, total_steps);

        let loss = lv.loss.to_f64();
        let Event::Step(rec) = &mut event else {
            unreachable!("event is always a step record")
        };
        rec.step = step + 1;
        rec.epoch = step / steps_per_epoch + 1;
        rec.loss = loss;
        rec.loss_change = prev_loss.map(|p| (lv.loss - p).to_f64());
        rec.grad_norm = gn.to_f64();
        rec.accuracy = lv.accuracy;
        rec.lr = lr;
        ws.fill_stats(&net, &mut rec.layers, spec.record_values);

        // Non-finite verdict and location from the raw gradients (clipping may spread a NaN).
        let loss_bad = !lv.loss.is_finite();
        let bad = loss_bad || !ws.grads_finite();
        let location = bad.then(|| {
            if loss_bad {
                (Pass::Forward, ws.locate_forward(&net))
            } else {
                (Pass::Backward, ws.locate_backward(&net))
            }
        });

        let mut clip = ClipOutcome::default();
        if let Some(c) = &remedies.clip_norm {
            clip = clip_norm(&mut ws.grads, &net.layout.tensors, c);
        }
        if let Some(c) = remedies.clip_value {
            clip.clipped |= clip_value(&mut ws.grads, c);
        }
        rec.clipped = clip.clipped;
        rec.clipped_norm = clipping.then(|| norm(&ws.grads).to_f64());
        clipped_steps += usize::from(clip.clipped);

        prev_loss = Some(lv.loss);
        first_loss.get_or_insert(loss);
        final_loss = Some(loss);
        final_accuracy = lv.accuracy;
        steps = step + 1;
        if on_event(&event) == Control::Stop {
            stop_reason = StopReason::Interrupted;
            break;
        }
        let Event::Step(rec) = &event else {
            unreachable!("event is always a step record")
        };

        fired.clear();
        let stop_here = bad && !spec.continue_on_nonfinite;
        if det.nonfinite(bad)
            && let Some((pass, (layer, created, site))) = location
        {
            fired.push(DiagnosticEvent::NonFinite {
                step: step + 1,
                pass,
                layer,
                origin: net.origins[layer],
                created,
                stopped: stop_here,
                site,
            });
        }
        if let Some((norm, layer)) = clip.nonfinite {
            fired.push(DiagnosticEvent::ClipNonFinite {
                step: step + 1,
                norm,
                layer,
                origin: net.origins[layer],
            });
        }
        for (l, seen) in degenerate_seen.iter_mut().enumerate() {
            if *seen {
                continue;
            }
            let ll = &net.layout.layers[l];
            let reason = match (ll.norm.map(|n| n.kind), &ws.norm[l]) {
                (Some(NormKind::Layer), _) if ll.fan_out == 1 => {
                    Some(DegenerateReason::LayerNormWidthOne)
                }
                (Some(NormKind::Batch), Some(nb)) if nb.constant_batch(ll.fan_out) => {
                    Some(DegenerateReason::BatchNormConstantBatch)
                }
                _ => None,
            };
            if let Some(reason) = reason {
                *seen = true;
                fired.push(DiagnosticEvent::DegenerateNorm {
                    step: step + 1,
                    layer: l,
                    origin: net.origins[l],
                    reason,
                });
            }
        }
        if !stop_here {
            det.observe(
                &StepView {
                    step: step + 1,
                    loss,
                    grad_norm: rec.grad_norm,
                    accuracy: lv.accuracy,
                    layers: &rec.layers,
                },
                &mut fired,
            );
        }
        if emit_findings(&mut fired, &mut diagnostics, on_event) {
            stop_reason = StopReason::Interrupted;
            break;
        }
        if stop_here {
            stop_reason = StopReason::NonFinite;
            break;
        }
        opt.step_lr(&mut net.params, &ws.grads, lr);
        updates += 1;
    }

    if stop_reason == StopReason::Completed {
        det.finish(steps, &mut fired);
        if emit_findings(&mut fired, &mut diagnostics, on_event) {
            stop_reason = StopReason::Interrupted;
        }
    }

    Ok(TrainSummary {
        steps,
        updates,
        epochs: steps / steps_per_epoch,
        first_loss,
        final_loss,
        final_accuracy,
        stop_reason,
        diagnostics,
        params: net.to_params(),
        clipped_steps,
    })
}
