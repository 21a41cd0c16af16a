//! gradlab's losses, optimizers, activations and remedies as the PyTorch code that computes
//! the same numbers (the engine's doc comments say which torch class each one matches).
//! Every engine setting has an exact counterpart; the `match`es have no default arm, so a
//! setting added to the engine does not compile here until it has one, or a refusal.

use crate::engine::{
    Activation, ClipScope, LossKind, OptimizerSpec, Precision, Remedies, Schedule,
};

/// A number as Python reads it back to the same f64 (Rust's shortest round-trip form).
pub fn py_num(x: f64) -> String {
    if x == f64::INFINITY {
        "math.inf".into()
    } else {
        format!("{x:?}")
    }
}

pub fn dtype(precision: Precision) -> &'static str {
    match precision {
        Precision::F32 => "torch.float32",
        Precision::F64 => "torch.float64",
    }
}

/// The module after a layer's linear part; `None` for the identity.
pub fn activation(a: Activation) -> Option<String> {
    Some(match a {
        Activation::Relu => "nn.ReLU()".into(),
        Activation::LeakyRelu { slope } => {
            format!("nn.LeakyReLU(negative_slope={})", py_num(slope))
        }
        Activation::Elu { alpha } => format!("nn.ELU(alpha={})", py_num(alpha)),
        // torch's default is the exact erf form, as the engine's.
        Activation::Gelu => "nn.GELU()".into(),
        Activation::Sigmoid => "nn.Sigmoid()".into(),
        Activation::Tanh => "nn.Tanh()".into(),
        // beta 1, threshold 20: torch's defaults.
        Activation::Softplus => "nn.Softplus()".into(),
        Activation::Linear => return None,
    })
}

/// The loss module (mean reduction, torch's default).
pub fn loss(kind: LossKind) -> &'static str {
    match kind {
        LossKind::Mse => "nn.MSELoss()",
        LossKind::Mae => "nn.L1Loss()",
        LossKind::Bce => "nn.BCEWithLogitsLoss()",
        LossKind::CrossEntropy => "nn.CrossEntropyLoss()",
    }
}

/// The optimizer over `params`. The `weight_decay` remedy adds to the optimizer's own, as
/// in the engine (torch adds `wd·p` to the gradient, linear in `wd`). `foreach=False` is the
/// per-tensor loop the engine's arithmetic follows.
pub fn optimizer(spec: OptimizerSpec, remedies: &Remedies, params: &str) -> String {
    let extra = remedies.weight_decay.unwrap_or(0.0);
    match spec {
        OptimizerSpec::Sgd {
            lr,
            momentum,
            nesterov,
            weight_decay,
        } => format!(
            "torch.optim.SGD({params}, lr={}, momentum={}, dampening=0.0, nesterov={}, weight_decay={}, foreach=False)",
            py_num(lr),
            py_num(momentum),
            if nesterov { "True" } else { "False" },
            py_num(weight_decay + extra)
        ),
        OptimizerSpec::Adam {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } => format!(
            "torch.optim.Adam({params}, lr={}, betas=({}, {}), eps={}, weight_decay={}, amsgrad=False, foreach=False)",
            py_num(lr),
            py_num(beta1),
            py_num(beta2),
            py_num(eps),
            py_num(weight_decay + extra)
        ),
        OptimizerSpec::RmsProp {
            lr,
            alpha,
            eps,
            weight_decay,
        } => format!(
            "torch.optim.RMSprop({params}, lr={}, alpha={}, eps={}, weight_decay={}, momentum=0.0, centered=False, foreach=False)",
            py_num(lr),
            py_num(alpha),
            py_num(eps),
            py_num(weight_decay + extra)
        ),
    }
}

/// The learning-rate schedulers, in the order the script gives them; each `.step()`s
/// once after every `optimizer.step()`. Chained torch schedulers multiply their factors
/// as the engine does. `total_steps` is the run's length, `cosine`'s default horizon.
pub fn schedulers(remedies: &Remedies, total_steps: usize) -> Vec<String> {
    let sched = "torch.optim.lr_scheduler";
    remedies
        .schedules
        .iter()
        .map(|s| match *s {
            Schedule::Warmup { steps } => format!(
                "{sched}.LinearLR(optimizer, start_factor=1.0 / {steps}, end_factor=1.0, total_iters={steps})"
            ),
            Schedule::StepDecay { every, factor } => format!(
                "{sched}.StepLR(optimizer, step_size={every}, gamma={})",
                py_num(factor)
            ),
            Schedule::Cosine { t_max } => format!(
                "{sched}.CosineAnnealingLR(optimizer, T_max={}, eta_min=0.0)",
                t_max.unwrap_or(total_steps)
            ),
        })
        .collect()
}

/// The clipping lines, in the engine's order: by norm, then by value.
pub fn clipping(remedies: &Remedies) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(c) = remedies.clip_norm {
        let args = format!(
            "{}, norm_type={}, foreach=False",
            py_num(c.max),
            py_num(c.norm_type)
        );
        lines.push(match c.scope {
            ClipScope::Global => format!("nn.utils.clip_grad_norm_(model.parameters(), {args})"),
            // `scope=per_layer`: every tensor by its own norm.
            ClipScope::PerLayer => {
                format!("for p in model.parameters():\n    nn.utils.clip_grad_norm_([p], {args})")
            }
        });
    }
    if let Some(c) = remedies.clip_value {
        lines.push(format!(
            "nn.utils.clip_grad_value_(model.parameters(), {}, foreach=False)",
            py_num(c)
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back_in_python() {
        assert_eq!(py_num(0.05), "0.05");
        assert_eq!(py_num(1e-8), "1e-8");
        assert_eq!(py_num(1.0), "1.0");
        assert_eq!(py_num(f64::INFINITY), "math.inf");
    }

    #[test]
    fn cosine_without_steps_decays_over_the_run() {
        let remedies = Remedies {
            schedules: vec![Schedule::Cosine { t_max: None }],
            ..Default::default()
        };
        assert!(schedulers(&remedies, 40)[0].contains("T_max=40"));
    }
}
