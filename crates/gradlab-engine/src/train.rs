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
//! `StepDetail::Values` asks for the matrices.

use super::batch::Batcher;
use super::clip::{ClipOutcome, clip_norm, clip_value};
use super::cost::run_steps;
use super::events::{Control, Event, LayerStats, Pass, StepRecord, StopReason, TrainSummary};
use super::findings::{Blame, Findings, StepFacts};
use super::loss::{LossValue, loss_and_grad};
use super::network::{Network, Workspace};
use super::optim::{self, Optimizer};
use super::params::{init_params, validate_net};
use super::real::{Real, norm};
use super::types::{Dataset, EngineError, LossKind, NetSpec, Precision, StepDetail, TrainSpec};

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

/// True if training `net` on batches of `rows` rows keeps every core busy by itself: its
/// largest products are shared among the cores. Such runs are best trained one after the
/// other; smaller ones side by side, one per core.
pub fn uses_all_cores(net: &NetSpec, rows: usize) -> bool {
    let mut fan_in = net.input;
    net.layers.iter().any(|layer| {
        let (fi, fo) = (fan_in, layer.width);
        fan_in = fo;
        // forward, ∂L/∂W and ∂L/∂x
        [(rows, fi, fo), (fo, rows, fi), (rows, fo, fi)]
            .into_iter()
            .any(super::matmul::uses_all_cores)
    })
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
    validate_train(spec)?;
    match spec.precision {
        Precision::F32 => train_in::<f32>(spec, on_event),
        Precision::F64 => train_in::<f64>(spec, on_event),
    }
}

/// The checks `train` makes before its first step: the error it would refuse `spec`
/// with, if any. (`gradlab export` refuses the same runs.)
pub fn validate_train(spec: &TrainSpec) -> Result<(), EngineError> {
    validate_data(&spec.net, &spec.data, spec.loss)?;
    optim::validate(&spec.optimizer)?;
    if spec.batch_size == Some(0) {
        return Err(EngineError::Config(
            "the batch size must be at least 1".into(),
        ));
    }
    spec.remedies.validate()?;
    check_batchnorm_batches(spec)
}

/// torch raises "Expected more than 1 value per channel when training" for a batchnorm
/// layer fed a one-row batch; the engine refuses such a run before it starts.
fn check_batchnorm_batches(spec: &TrainSpec) -> Result<(), EngineError> {
    let Some(layer) = spec.net.layers.iter().position(|l| l.batchnorm) else {
        return Ok(());
    };
    let n = spec.data.n;
    let b = spec.batch_size.map_or(n, |b| b.min(n));
    let steps = run_steps(spec.stop, n, spec.batch_size) as usize;
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
        bias: None,
        grad_bias: None,
    }
}

/// The state of one run, all allocated before the first step.
struct Training<'s, R: Real> {
    spec: &'s TrainSpec,
    net: Network<R>,
    ws: Workspace<R>,
    opt: Optimizer<R>,
    batches: Batcher<R>,
    findings: Findings,
    /// Always `Event::Step`: the record is reused, and handed out without a copy.
    event: Event,
    total_steps: usize,
    base_lr: f64,
    prev_loss: Option<R>,
    first_loss: Option<f64>,
    steps: usize,
    updates: usize,
    clipped_steps: usize,
}

/// `train` computed in `R`.
fn train_in<R: Real>(
    spec: &TrainSpec,
    on_event: &mut dyn FnMut(&Event) -> Control,
) -> Result<TrainSummary, EngineError> {
    let mut training = Training::<R>::new(spec)?;
    let mut stop_reason = StopReason::Completed;
    for step in 0..training.total_steps {
        if let Some(reason) = training.step(step, on_event) {
            stop_reason = reason;
            break;
        }
    }
    if stop_reason == StopReason::Completed {
        training.findings.at_end(training.steps);
        if training.findings.hand_out(on_event) {
            stop_reason = StopReason::Interrupted;
        }
    }
    Ok(training.summary(stop_reason))
}

impl<'s, R: Real> Training<'s, R> {
    fn new(spec: &'s TrainSpec) -> Result<Self, EngineError> {
        let params = match &spec.start {
            Some(start) => start.clone(),
            None => init_params(&spec.net, spec.seed)?,
        };
        let net = Network::<R>::new(&spec.net, &params)?;
        let batches = Batcher::new(&spec.data, spec.batch_size, spec.seed);
        let steps_per_epoch = batches.steps_per_epoch();
        let total_steps = run_steps(spec.stop, spec.data.n, spec.batch_size) as usize;
        let mut ws = Workspace::new(&net, batches.size());
        ws.training = true;
        // The detectors read the first layer's gain only in a one-layer network, and the
        // warnings show it; skipping its product is worth it only when the product is large.
        let first = spec.net.layers.first().map_or(0, |l| l.width);
        ws.input_grad = spec.detail >= StepDetail::Display
            || net.depth() == 1
            || !super::matmul::is_large((batches.size(), first, spec.net.input));
        let weight_decay = spec.remedies.weight_decay.unwrap_or(0.0);
        let opt = Optimizer::<R>::new(
            optim::add_weight_decay(spec.optimizer, weight_decay),
            net.layout.total,
        );
        let base_lr = opt.base_lr();
        let findings = Findings::new(spec, net.output(), total_steps, steps_per_epoch);
        let event = Event::Step(StepRecord {
            step: 0,
            epoch: 0,
            loss: 0.0,
            loss_change: None,
            grad_norm: 0.0,
            clipped_norm: None,
            clipped: false,
            lr: base_lr,
            accuracy: None,
            layers: (0..net.depth()).map(empty_stats).collect(),
        });
        Ok(Training {
            spec,
            net,
            ws,
            opt,
            batches,
            findings,
            event,
            total_steps,
            base_lr,
            prev_loss: None,
            first_loss: None,
            steps: 0,
            updates: 0,
            clipped_steps: 0,
        })
    }

    /// One optimizer step (0-based `step`): its record, its findings, then the update.
    /// Returns why the run ends here, if it does.
    fn step(
        &mut self,
        step: usize,
        on_event: &mut dyn FnMut(&Event) -> Control,
    ) -> Option<StopReason> {
        self.ws.rows = self.batches.load(step, &mut self.ws.x);
        let lv = self.forward_backward();
        let lr = self.base_lr * self.spec.remedies.lr_factor(step, self.total_steps);
        self.record(step, lv, lr);
        // Verdict and location from the raw gradients (clipping may spread a NaN).
        let nonfinite = self.blame(lv.loss);
        let clip = self.clip();
        self.steps = step + 1;
        if on_event(&self.event) == Control::Stop {
            return Some(StopReason::Interrupted);
        }
        let facts = StepFacts {
            nonfinite,
            stops: nonfinite.is_some() && !self.spec.continue_on_nonfinite,
            clip_nonfinite: clip.nonfinite,
        };
        let record = step_record(&mut self.event);
        self.findings.at_step(record, &facts, &self.net, &self.ws);
        if self.findings.hand_out(on_event) {
            return Some(StopReason::Interrupted);
        }
        if facts.stops {
            return Some(StopReason::NonFinite);
        }
        self.opt.step_lr(&mut self.net.params, &self.ws.grads, lr);
        self.updates += 1;
        None
    }

    /// Forward pass in training mode, loss, backward pass.
    fn forward_backward(&mut self) -> LossValue<R> {
        let (ws, net) = (&mut self.ws, &mut self.net);
        let last = net.depth() - 1;
        ws.forward(net);
        net.update_running(ws);
        let targets = &self.batches.targets;
        let (rows, classes) = (ws.rows, net.output());
        let lv = loss_and_grad(
            self.spec.loss,
            &ws.a[last],
            targets,
            rows,
            classes,
            &mut ws.ga[last],
        );
        ws.backward(net);
        lv
    }

    /// Fill the step record with what was measured before clipping and the update.
    fn record(&mut self, step: usize, lv: LossValue<R>, lr: f64) {
        let steps_per_epoch = self.batches.steps_per_epoch();
        self.ws.sum_grads(&self.net);
        let grad_norm = self.ws.grad_norm().to_f64();
        let loss_change = self.prev_loss.map(|p| (lv.loss - p).to_f64());
        let detail = self.spec.detail;
        let (ws, net) = (&self.ws, &self.net);
        let rec = step_record(&mut self.event);
        rec.step = step + 1;
        rec.epoch = step / steps_per_epoch + 1;
        rec.loss = lv.loss.to_f64();
        rec.loss_change = loss_change;
        rec.grad_norm = grad_norm;
        rec.accuracy = lv.accuracy;
        rec.lr = lr;
        ws.fill_stats(net, &mut rec.layers, detail);
        self.prev_loss = Some(lv.loss);
        self.first_loss.get_or_insert(lv.loss.to_f64());
    }

    /// Where the step's first NaN or infinity is, if the loss or a gradient has one.
    fn blame(&self, loss: R) -> Option<Blame> {
        let (ws, net) = (&self.ws, &self.net);
        let (pass, (layer, created, site)) = if !loss.is_finite() {
            (Pass::Forward, ws.locate_forward(net))
        } else if !ws.grads_finite() {
            (Pass::Backward, ws.locate_backward(net))
        } else {
            return None;
        };
        Some(Blame {
            pass,
            layer,
            created,
            site,
        })
    }

    /// Apply the clipping remedies to the gradients, and note them in the record.
    fn clip(&mut self) -> ClipOutcome {
        let remedies = &self.spec.remedies;
        let grad_norm = step_record(&mut self.event).grad_norm;
        let ws = &mut self.ws;
        let mut clip = ClipOutcome::default();
        if let Some(c) = &remedies.clip_norm {
            clip = clip_norm(&mut ws.grads, &self.net.layout.tensors, &ws.grad_sums, c);
        }
        if let Some(c) = remedies.clip_value {
            clip.clipped |= clip_value(&mut ws.grads, c);
        }
        // Scaling every gradient by one coefficient scales the norm by it; a clamp or a
        // coefficient per tensor needs the norm taken again.
        let clipped_norm = match (clip.global_coef, remedies.clip_value) {
            (Some(coef), None) => Some((R::from_f64(coef) * R::from_f64(grad_norm)).to_f64()),
            _ if remedies.clip_norm.is_some() || remedies.clip_value.is_some() => {
                Some(norm(&ws.grads).to_f64())
            }
            _ => None,
        };
        self.clipped_steps += usize::from(clip.clipped);
        let rec = step_record(&mut self.event);
        rec.clipped = clip.clipped;
        rec.clipped_norm = clipped_norm;
        clip
    }

    fn summary(mut self, stop_reason: StopReason) -> TrainSummary {
        let last = step_record(&mut self.event);
        let ran = self.steps > 0;
        TrainSummary {
            steps: self.steps,
            updates: self.updates,
            epochs: self.steps / self.batches.steps_per_epoch(),
            first_loss: self.first_loss,
            final_loss: ran.then_some(last.loss),
            final_accuracy: if ran { last.accuracy } else { None },
            stop_reason,
            params: self.net.to_params(),
            diagnostics: self.findings.into_kept(),
            clipped_steps: self.clipped_steps,
        }
    }
}

/// The record inside the run's reused step event.
fn step_record(event: &mut Event) -> &mut StepRecord {
    let Event::Step(record) = event else {
        unreachable!("the run's event is always a step record")
    };
    record
}
