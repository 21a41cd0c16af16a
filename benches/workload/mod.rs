//! The four training workloads of issue 13 ("Speed"), shared by the criterion bench
//! (`workloads.rs`) and the timer `vs_torch.py` calls (`step_time.rs`).
//!
//! Every step: `layers` dense ReLU layers of `width` units (input width = `width`, so every
//! layer is `width × width`), MSE against `width` target columns, one full batch of `batch`
//! rows, SGD lr 0.01, `clip_grad_norm_(1.0)` (global, L2), f32, default thresholds,
//! only the statistics the detectors read (`StepDetail::Detectors`, as `gradlab run`
//! measures when no per-layer table is shown). A is the seed chain (weight 2.34, no bias); B–D use `nn.Linear`'s
//! default initialisation. The products of one step are 6·batch·width²·layers FLOPs, the
//! figure issue 13's GFLOP/s come from. `vs_torch.py` builds the same networks from
//! `step_time describe` and the same data as `data_value` (keep the two formulas in step).

use std::time::{Duration, Instant};

use gradlab::engine::{
    Activation, BiasSpec, ClipNorm, Control, Dataset, Event, LayerSpec, NetSpec, OptimizerSpec,
    Remedies, StepDetail, Stop, TrainSpec, WeightSpec, train,
};

/// One workload of the table.
pub struct Workload {
    pub name: &'static str,
    pub title: &'static str,
    pub layers: usize,
    pub width: usize,
    pub batch: usize,
    /// `Some(w)`: every weight is `w` and there is no bias (the seed chain).
    pub constant_weight: Option<f64>,
}

pub const WORKLOADS: [Workload; 4] = [
    Workload {
        name: "A",
        title: "seed chain, 20 layers × width 1, batch 1",
        layers: 20,
        width: 1,
        batch: 1,
        constant_weight: Some(2.34),
    },
    Workload {
        name: "B",
        title: "20 layers × 64, batch 32",
        layers: 20,
        width: 64,
        batch: 32,
        constant_weight: None,
    },
    Workload {
        name: "C",
        title: "8 layers × 512, batch 256",
        layers: 8,
        width: 512,
        batch: 256,
        constant_weight: None,
    },
    Workload {
        name: "D",
        title: "4 layers × 1024, batch 512",
        layers: 4,
        width: 1024,
        batch: 512,
        constant_weight: None,
    },
];

/// Inputs and targets: smooth, bounded, identical in `vs_torch.py`. The seed chain's
/// single row is x = 1, y = 1 as in `examples/seed.grad`.
pub fn data_value(constant_weight: Option<f64>, index: usize, target: bool) -> f64 {
    match (constant_weight, target) {
        (Some(_), _) => 1.0,
        (None, false) => (0.37 * index as f64 + 0.1).sin(),
        (None, true) => 0.5 * (0.23 * index as f64).cos(),
    }
}

impl Workload {
    /// Multiply-adds × 2 of the three products of every layer (forward, ∂W, ∂x).
    pub fn flops_per_step(&self) -> f64 {
        6.0 * (self.batch * self.width * self.width * self.layers) as f64
    }

    pub fn spec(&self, steps: usize) -> TrainSpec {
        let (weight, bias) = match self.constant_weight {
            Some(w) => (WeightSpec::Const(w), BiasSpec::None),
            None => (WeightSpec::Default, BiasSpec::Default),
        };
        let layer = LayerSpec::dense(self.width, Activation::Relu)
            .with_weight(weight)
            .with_bias(bias);
        let values = |target| {
            (0..self.batch * self.width)
                .map(|i| data_value(self.constant_weight, i, target))
                .collect()
        };
        let data = Dataset {
            x: values(false),
            y: values(true),
            n: self.batch,
            x_dim: self.width,
            y_dim: self.width,
        };
        // What `gradlab run` measures when the run shows no per-layer table.
        TrainSpec::new(NetSpec::new(self.width, vec![layer; self.layers]), data)
            .with_optimizer(OptimizerSpec::sgd(0.01))
            .with_stop(Stop::Steps(steps))
            .with_seed(1)
            .with_detail(StepDetail::Detectors)
            .with_remedies(Remedies {
                clip_norm: Some(ClipNorm::global(1.0)),
                ..Remedies::default()
            })
    }

    /// Wall time of `steps` training steps after `warmup` steps, measured between step
    /// records, so parameter initialisation and buffer allocation are left out.
    pub fn time_steps(&self, warmup: usize, steps: usize) -> Duration {
        let spec = self.spec(warmup + steps + 1);
        let (first, last) = (warmup + 1, warmup + steps + 1);
        let mut start = None;
        let mut elapsed = Duration::ZERO;
        let mut on_event = |event: &Event| {
            if let Event::Step(record) = event {
                if record.step == first {
                    start = Some(Instant::now());
                } else if record.step == last {
                    elapsed = start.expect("the first timed step comes first").elapsed();
                }
            }
            Control::Continue
        };
        let summary = train(&spec, &mut on_event).expect("the workload is valid");
        assert_eq!(summary.steps, last, "the run stopped early");
        elapsed
    }
}
