//! Signatures of everything a script can name but not define: activations, losses,
//! optimizers, init schemes, remedies, built-in functions and settings. One table per
//! family, so "did you mean" and the REPL's completion read the same lists.

/// What a parameter accepts. Checked when arguments are bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Num,
    /// A number > 0.
    Positive,
    /// A number ≥ 0.
    NonNegative,
    /// A number > 0, or `inf` (a norm's order).
    PositiveOrInf,
    /// A whole number ≥ 1.
    Count,
    /// A whole number ≥ 0.
    Natural,
    Bool,
    Str,
    /// One of the listed names, written bare: `scope=per_layer`.
    Choice(&'static [&'static str]),
    /// A pair of numbers: `betas=(0.9, 0.999)`.
    Pair,
    /// A list of numbers or a list of lists (checked where used).
    List,
    /// Any value; the user of the signature checks it.
    Any,
}

impl Kind {
    pub fn describe(self) -> String {
        match self {
            Kind::Num => "a number".into(),
            Kind::Positive => "a number greater than 0".into(),
            Kind::NonNegative => "a number ≥ 0".into(),
            Kind::PositiveOrInf => "a number greater than 0, or `inf`".into(),
            Kind::Count => "a whole number ≥ 1".into(),
            Kind::Natural => "a whole number ≥ 0".into(),
            Kind::Bool => "`true` or `false`".into(),
            Kind::Str => "a string".into(),
            Kind::Choice(options) => {
                let quoted: Vec<String> = options.iter().map(|o| format!("`{o}`")).collect();
                format!("one of {}", quoted.join(", "))
            }
            Kind::Pair => "a pair of numbers such as (0.9, 0.999)".into(),
            Kind::List => "a list".into(),
            Kind::Any => "a value".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fallback {
    Required,
    Num(f64),
    Bool(bool),
    Name(&'static str),
    Pair(f64, f64),
    /// Optional with no value: the user decides what absence means.
    Absent,
}

#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub default: Fallback,
}

const fn p(name: &'static str, kind: Kind, default: Fallback) -> Param {
    Param {
        name,
        kind,
        default,
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Signature {
    pub name: &'static str,
    pub params: &'static [Param],
    /// One line for `:help` and for reports.
    pub summary: &'static str,
}

const fn sig(name: &'static str, params: &'static [Param], summary: &'static str) -> Signature {
    Signature {
        name,
        params,
        summary,
    }
}

use Fallback as D;
use Kind as K;

pub const ACTIVATIONS: &[Signature] = &[
    sig("relu", &[], "max(0, x)"),
    sig(
        "leaky_relu",
        &[p("slope", K::Num, D::Num(0.01))],
        "x, or slope·x below 0",
    ),
    sig(
        "elu",
        &[p("alpha", K::Num, D::Num(1.0))],
        "x, or alpha·(eˣ − 1) below 0",
    ),
    sig("gelu", &[], "x·Φ(x), exact erf form"),
    sig("sigmoid", &[], "1 / (1 + e⁻ˣ)"),
    sig("tanh", &[], "hyperbolic tangent"),
    sig("softplus", &[], "log(1 + eˣ)"),
    sig("linear", &[], "identity"),
];

pub const LOSSES: &[Signature] = &[
    sig("mse", &[], "mean squared error"),
    sig("mae", &[], "mean absolute error"),
    sig("bce", &[], "binary cross-entropy on logits"),
    sig(
        "cross_entropy",
        &[],
        "softmax cross-entropy; targets are class indices",
    ),
];

pub const OPTIMIZERS: &[Signature] = &[
    sig(
        "sgd",
        &[
            p("lr", K::Positive, D::Required),
            p("momentum", K::NonNegative, D::Num(0.0)),
            p("nesterov", K::Bool, D::Bool(false)),
            p("weight_decay", K::NonNegative, D::Num(0.0)),
        ],
        "stochastic gradient descent, as torch.optim.SGD",
    ),
    sig(
        "adam",
        &[
            p("lr", K::Positive, D::Num(0.001)),
            p("betas", K::Pair, D::Pair(0.9, 0.999)),
            p("eps", K::Positive, D::Num(1e-8)),
            p("weight_decay", K::NonNegative, D::Num(0.0)),
        ],
        "Adam, as torch.optim.Adam",
    ),
    sig(
        "rmsprop",
        &[
            p("lr", K::Positive, D::Num(0.01)),
            p("alpha", K::Positive, D::Num(0.99)),
            p("eps", K::Positive, D::Num(1e-8)),
            p("weight_decay", K::NonNegative, D::Num(0.0)),
        ],
        "RMSprop, as torch.optim.RMSprop",
    ),
];

const FAN_MODES: &[&str] = &["fan_in", "fan_out"];
const NONLINEARITIES: &[&str] = &["relu", "leaky_relu", "tanh", "sigmoid", "linear", "selu"];

pub const INITS: &[Signature] = &[
    sig(
        "const",
        &[p("value", K::Num, D::Required)],
        "every weight the same value",
    ),
    sig(
        "uniform",
        &[p("a", K::Num, D::Num(0.0)), p("b", K::Num, D::Num(1.0))],
        "U(a, b)",
    ),
    sig(
        "normal",
        &[
            p("mean", K::Num, D::Num(0.0)),
            p("std", K::NonNegative, D::Num(1.0)),
        ],
        "N(mean, std²)",
    ),
    sig(
        "xavier_uniform",
        &[p("gain", K::Positive, D::Num(1.0))],
        "Glorot: U(±gain·√(6/(fan_in+fan_out)))",
    ),
    sig(
        "xavier_normal",
        &[p("gain", K::Positive, D::Num(1.0))],
        "Glorot: N(0, gain²·2/(fan_in+fan_out))",
    ),
    sig(
        "he_uniform",
        &[
            p("mode", K::Choice(FAN_MODES), D::Name("fan_in")),
            p("nonlinearity", K::Choice(NONLINEARITIES), D::Name("relu")),
        ],
        "Kaiming: U(±gain·√(3/fan))",
    ),
    sig(
        "he_normal",
        &[
            p("mode", K::Choice(FAN_MODES), D::Name("fan_in")),
            p("nonlinearity", K::Choice(NONLINEARITIES), D::Name("relu")),
        ],
        "Kaiming: N(0, gain²/fan)",
    ),
    sig(
        "kaiming_uniform",
        &[
            p("mode", K::Choice(FAN_MODES), D::Name("fan_in")),
            p("nonlinearity", K::Choice(NONLINEARITIES), D::Name("relu")),
        ],
        "same as he_uniform",
    ),
    sig(
        "kaiming_normal",
        &[
            p("mode", K::Choice(FAN_MODES), D::Name("fan_in")),
            p("nonlinearity", K::Choice(NONLINEARITIES), D::Name("relu")),
        ],
        "same as he_normal",
    ),
    sig("lecun_normal", &[], "N(0, 1/fan_in)"),
    sig(
        "orthogonal",
        &[p("gain", K::Positive, D::Num(1.0))],
        "a (semi-)orthogonal matrix times gain",
    ),
    sig("pytorch_default", &[], "nn.Linear's default: U(±1/√fan_in)"),
];

const CLIP_SCOPES: &[&str] = &["global", "per_layer"];

pub const REMEDIES: &[Signature] = &[
    sig(
        "clip_norm",
        &[
            p("max", K::Positive, D::Required),
            p("norm", K::PositiveOrInf, D::Num(2.0)),
            p("scope", K::Choice(CLIP_SCOPES), D::Name("global")),
        ],
        "gradient clipping by norm, as clip_grad_norm_",
    ),
    sig(
        "clip_value",
        &[p("c", K::Positive, D::Required)],
        "clamp every gradient to [-c, c], as clip_grad_value_",
    ),
    sig(
        "batchnorm",
        &[],
        "batch normalisation in every hidden layer, before its activation",
    ),
    sig(
        "layernorm",
        &[],
        "layer normalisation in every hidden layer, before its activation",
    ),
    sig(
        "init",
        &[p("scheme", K::Any, D::Required)],
        "re-initialise every dense layer",
    ),
    sig(
        "depth",
        &[p("n", K::Count, D::Required)],
        "fewer layers: set the network's depth",
    ),
    sig(
        "weight_decay",
        &[p("lambda", K::NonNegative, D::Required)],
        "L2 weight decay, as torch.optim",
    ),
    sig(
        "warmup",
        &[p("steps", K::Count, D::Required)],
        "linear learning-rate warm-up",
    ),
    sig(
        "step_decay",
        &[
            p("every", K::Count, D::Required),
            p("factor", K::Positive, D::Required),
        ],
        "multiply the learning rate by factor every N steps",
    ),
    sig(
        "cosine",
        &[p("steps", K::Count, D::Absent)],
        "cosine learning-rate decay to 0 over steps (default: the whole run)",
    ),
];

pub const SHOW: &[Signature] = &[
    sig("loss", &[], "the loss at each shown step (default)"),
    sig(
        "gradients",
        &[],
        "a per-layer table of gradient norms and gains",
    ),
    sig("weights", &[], "per-layer weight statistics"),
    sig("none", &[], "nothing per step; diagnostics only"),
];

pub const DIAGNOSTICS: &[Signature] = &[
    sig(
        "loss_jump",
        &[p("factor", K::Positive, D::Num(10.0))],
        "the loss changes by more than this factor in one step",
    ),
    sig(
        "plateau",
        &[
            p("steps", K::Count, D::Num(50.0)),
            p("fraction", K::NonNegative, D::Num(0.01)),
        ],
        "the loss improves by less than fraction over steps",
    ),
    sig(
        "exploding",
        &[
            p("factor", K::Positive, D::Num(2.0)),
            p("norm", K::Positive, D::Num(1e3)),
        ],
        "gradients grow by factor per layer, or the global norm passes norm",
    ),
    sig(
        "vanishing",
        &[p("ratio", K::Positive, D::Num(1e-4))],
        "first-layer / last-layer gradient below ratio",
    ),
];

pub const METRICS: &[Signature] = &[
    sig(
        "first_grad",
        &[],
        "the first layer's weight-gradient norm at the first step",
    ),
    sig("final_loss", &[], "the loss at the last step"),
    sig("max_grad_norm", &[], "the largest global gradient norm"),
    sig(
        "grad_ratio",
        &[],
        "first-layer / last-layer gradient norm at the first step",
    ),
    sig(
        "verdict",
        &[],
        "exploding, vanishing, dead, diverged or healthy",
    ),
];

/// Built-in functions usable in expressions.
pub const FUNCTIONS: &[Signature] = &[
    sig(
        "forward",
        &[p("net", K::Any, D::Required), p("x", K::List, D::Required)],
        "the network's output for input x, in evaluation mode",
    ),
    sig("xor", &[], "the four XOR points: 2 inputs, 1 target"),
    sig(
        "spiral",
        &[
            p("n", K::Count, D::Num(100.0)),
            p("classes", K::Count, D::Num(3.0)),
            p("noise", K::NonNegative, D::Num(0.2)),
        ],
        "n points per class on interleaved spirals; targets are class indices",
    ),
    sig(
        "sine",
        &[p("n", K::Count, D::Num(64.0))],
        "n points of y = sin(x) on [-π, π]",
    ),
    sig(
        "linear",
        &[
            p("n", K::Count, D::Num(64.0)),
            p("noise", K::NonNegative, D::Num(0.1)),
        ],
        "n points of y = 2x + 1 plus Gaussian noise",
    ),
    sig(
        "csv",
        &[
            p("path", K::Str, D::Required),
            p("x", K::List, D::Required),
            p("y", K::List, D::Required),
        ],
        "rows of a CSV file; x and y list column indices or header names",
    ),
    sig(
        "sqrt",
        &[p("x", K::NonNegative, D::Required)],
        "square root",
    ),
    sig("exp", &[p("x", K::Num, D::Required)], "eˣ"),
    sig(
        "log",
        &[p("x", K::Positive, D::Required)],
        "natural logarithm",
    ),
    sig("abs", &[p("x", K::Num, D::Required)], "absolute value"),
];

/// The settings of `train`, `compare`, `explain` and `sweep` blocks.
pub const RUN_SETTINGS: &[(&str, &str)] = &[
    ("loss", "the loss function (default mse)"),
    ("optimizer", "the optimizer (default sgd(lr=0.01))"),
    ("steps", "how many optimizer steps"),
    ("epochs", "how many passes over the data"),
    ("batch", "the mini-batch size (default: the whole data set)"),
    (
        "remedy",
        "one or more remedies, combined with + or listed with ,",
    ),
    (
        "show",
        "what to print per step: loss, gradients, weights, none",
    ),
    ("every", "print every Nth step"),
    (
        "diagnose",
        "override diagnostic thresholds, or `diagnose none`",
    ),
    (
        "on_nan",
        "`stop` (default) or `continue` after a non-finite loss",
    ),
    ("seed", "the seed for this run"),
    ("precision", "f32 or f64 for this run"),
    (
        "variant",
        "a compare variant: remedies to try against the baseline",
    ),
    ("metric", "what a sweep reports"),
];

/// Every family of built-in names a bare word can belong to (functions aside).
pub const FAMILIES: &[&[Signature]] = &[
    ACTIVATIONS,
    LOSSES,
    OPTIMIZERS,
    INITS,
    REMEDIES,
    SHOW,
    DIAGNOSTICS,
    METRICS,
];

pub fn find(table: &'static [Signature], name: &str) -> Option<&'static Signature> {
    table.iter().find(|s| s.name == name)
}

pub fn names<'a>(table: &'static [Signature]) -> impl Iterator<Item = &'a str> {
    table.iter().map(|s| s.name)
}

/// The closest candidate to a misspelt name, if one is close enough to be a likely typo:
/// a small edit distance (one edit for names of 3 to 5 characters, two from 6), or a
/// high Jaro-Winkler similarity. Jaro-Winkler alone misses swaps in short names, such
/// as `mes` for `mse`.
pub fn did_you_mean<'a, S: AsRef<str> + ?Sized + 'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a S>,
) -> Option<String> {
    let max_edits = match name.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    // Fewest edits first, then the highest similarity; ties keep the first candidate.
    let mut best: Option<(&str, usize, f64)> = None;
    for candidate in candidates {
        let candidate = candidate.as_ref();
        let edits = strsim::osa_distance(name, candidate);
        let score = strsim::jaro_winkler(name, candidate);
        if edits > max_edits && score < 0.8 {
            continue;
        }
        let better = best.is_none_or(|(_, e, s)| edits < e || (edits == e && score > s));
        if better {
            best = Some((candidate, edits, score));
        }
    }
    best.map(|(c, _, _)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggestions_catch_short_swaps_but_not_strangers() {
        let losses = ["mse", "mae", "bce", "cross_entropy"];
        assert_eq!(did_you_mean("mes", losses).as_deref(), Some("mse"));
        assert_eq!(
            did_you_mean("rleu", ["relu", "elu"]).as_deref(),
            Some("relu")
        );
        assert_eq!(did_you_mean("z", ["x", "y"]), None);
        assert_eq!(did_you_mean("velocity", ["lr"]), None);
        assert_eq!(
            did_you_mean("chian", ["chain", "one"]).as_deref(),
            Some("chain")
        );
    }
}
