//! Signatures of everything a script can name but not define: activations, losses,
//! optimizers, init schemes, remedies, built-in functions and settings. One table per
//! family, so "did you mean" and the REPL's completion read the same lists.
//!
//! Each table is declared together with an enum of its names (`family!`): adding a
//! built-in is one line here, and every `match` on the enum that gives the name its
//! meaning stops compiling until it is handled there too.

use std::fmt;
use std::str::FromStr;

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

/// One parameter of a built-in's signature: its name, what it accepts, its default.
#[derive(Debug, Clone, Copy)]
pub struct ParamSig {
    pub name: &'static str,
    pub kind: Kind,
    pub default: Fallback,
}

const fn p(name: &'static str, kind: Kind, default: Fallback) -> ParamSig {
    ParamSig {
        name,
        kind,
        default,
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Signature {
    pub name: &'static str,
    pub params: &'static [ParamSig],
    /// One line for `:help` and for reports.
    pub summary: &'static str,
}

const fn sig(name: &'static str, params: &'static [ParamSig], summary: &'static str) -> Signature {
    Signature {
        name,
        params,
        summary,
    }
}

use Fallback as D;
use Kind as K;

/// A family of built-in names: an enum whose variants index the family's table.
pub trait Family: Copy + 'static {
    /// The family's signatures, in the order of `ALL`.
    const TABLE: &'static [Signature];
    /// Every name of the family.
    const ALL: &'static [Self];
    /// What one of them is called in messages: "loss", "init scheme".
    const WHAT: &'static str;
    fn signature(self) -> &'static Signature;

    fn name(self) -> &'static str {
        self.signature().name
    }

    /// The family member called `name`, if there is one.
    fn named(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }
}

/// A name that is not in a family (the error of the families' `FromStr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownBuiltin {
    pub what: &'static str,
    pub name: String,
}

impl fmt::Display for UnknownBuiltin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} `{}`", self.what, self.name)
    }
}

impl std::error::Error for UnknownBuiltin {}

/// Declares a family: its enum, its table (`pub const TABLE: &[Signature]`), and
/// `Family`, `FromStr` and `Display` for the enum, from one list of
/// `Variant => signature` lines.
macro_rules! family {
    (
        $(#[$meta:meta])*
        $Name:ident, $TABLE:ident, $what:literal {
            $($Variant:ident => $sig:expr,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $Name {
            $($Variant,)+
        }

        pub const $TABLE: &[Signature] = &[$($sig,)+];

        impl Family for $Name {
            const TABLE: &'static [Signature] = $TABLE;
            const ALL: &'static [Self] = &[$($Name::$Variant,)+];
            const WHAT: &'static str = $what;

            fn signature(self) -> &'static Signature {
                // The variants and the table are written in one list, so they agree.
                &$TABLE[self as usize]
            }
        }

        impl FromStr for $Name {
            type Err = UnknownBuiltin;

            fn from_str(name: &str) -> Result<Self, UnknownBuiltin> {
                <$Name as Family>::named(name).ok_or_else(|| UnknownBuiltin {
                    what: $what,
                    name: name.to_string(),
                })
            }
        }

        impl fmt::Display for $Name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.name())
            }
        }
    };
}

/// A parameter's set of names (`Kind::Choice`): an enum and the list `Kind::Choice`
/// checks against, from one list of `Variant => "name"` lines.
pub trait Choice: Copy + 'static {
    const NAMES: &'static [&'static str];
    const ALL: &'static [Self];

    fn name(self) -> &'static str;

    fn named(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == name)
    }
}

macro_rules! choice {
    (
        $(#[$meta:meta])*
        $Name:ident, $NAMES:ident { $($Variant:ident => $name:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $Name {
            $($Variant,)+
        }

        pub const $NAMES: &[&str] = &[$($name,)+];

        impl Choice for $Name {
            const NAMES: &'static [&'static str] = $NAMES;
            const ALL: &'static [Self] = &[$($Name::$Variant,)+];

            fn name(self) -> &'static str {
                $NAMES[self as usize]
            }
        }
    };
}

family! {
    ActivationName, ACTIVATIONS, "activation" {
        Relu => sig("relu", &[], "max(0, x)"),
        LeakyRelu => sig(
            "leaky_relu",
            &[p("slope", K::Num, D::Num(0.01))],
            "x, or slope·x below 0",
        ),
        Elu => sig(
            "elu",
            &[p("alpha", K::Num, D::Num(1.0))],
            "x, or alpha·(eˣ − 1) below 0",
        ),
        Gelu => sig("gelu", &[], "x·Φ(x), exact erf form"),
        Sigmoid => sig("sigmoid", &[], "1 / (1 + e⁻ˣ)"),
        Tanh => sig("tanh", &[], "hyperbolic tangent"),
        Softplus => sig("softplus", &[], "log(1 + eˣ)"),
        Linear => sig("linear", &[], "identity"),
    }
}

family! {
    LossName, LOSSES, "loss" {
        Mse => sig("mse", &[], "mean squared error"),
        Mae => sig("mae", &[], "mean absolute error"),
        Bce => sig("bce", &[], "binary cross-entropy on logits"),
        CrossEntropy => sig(
            "cross_entropy",
            &[],
            "softmax cross-entropy; targets are class indices",
        ),
    }
}

family! {
    OptimizerName, OPTIMIZERS, "optimizer" {
        Sgd => sig(
            "sgd",
            &[
                p("lr", K::Positive, D::Required),
                p("momentum", K::NonNegative, D::Num(0.0)),
                p("nesterov", K::Bool, D::Bool(false)),
                p("weight_decay", K::NonNegative, D::Num(0.0)),
            ],
            "stochastic gradient descent, as torch.optim.SGD",
        ),
        Adam => sig(
            "adam",
            &[
                p("lr", K::Positive, D::Num(0.001)),
                p("betas", K::Pair, D::Pair(0.9, 0.999)),
                p("eps", K::Positive, D::Num(1e-8)),
                p("weight_decay", K::NonNegative, D::Num(0.0)),
            ],
            "Adam, as torch.optim.Adam",
        ),
        RmsProp => sig(
            "rmsprop",
            &[
                p("lr", K::Positive, D::Num(0.01)),
                p("alpha", K::Positive, D::Num(0.99)),
                p("eps", K::Positive, D::Num(1e-8)),
                p("weight_decay", K::NonNegative, D::Num(0.0)),
            ],
            "RMSprop, as torch.optim.RMSprop",
        ),
    }
}

choice! {
    /// Which fan a Kaiming scheme scales by.
    FanModeName, FAN_MODES { FanIn => "fan_in", FanOut => "fan_out", }
}

choice! {
    /// The nonlinearity a Kaiming scheme computes its gain for.
    NonlinearityName, NONLINEARITIES {
        Relu => "relu",
        LeakyRelu => "leaky_relu",
        Tanh => "tanh",
        Sigmoid => "sigmoid",
        Linear => "linear",
        Selu => "selu",
    }
}

choice! {
    /// Whether `clip_norm` clips all gradients together or each layer's alone.
    ClipScopeName, CLIP_SCOPES { Global => "global", PerLayer => "per_layer", }
}

choice! {
    /// What a run does after a non-finite loss.
    OnNan, ON_NAN { Stop => "stop", Continue => "continue", }
}

choice! {
    /// The precision of a run: `precision f64`.
    PrecisionName, PRECISIONS { F32 => "f32", F64 => "f64", }
}

choice! {
    /// The attributes of a `dense` layer: `dense 4 relu init=he_normal batchnorm`.
    LayerAttr, LAYER_ATTRS {
        Weight => "weight",
        Bias => "bias",
        Init => "init",
        Batchnorm => "batchnorm",
        Layernorm => "layernorm",
    }
}

choice! {
    /// Training settings a sweep may vary besides the network's own parameters.
    SweepSetting, SWEEPABLE_SETTINGS {
        Lr => "lr",
        Batch => "batch",
        Steps => "steps",
        Epochs => "epochs",
    }
}

const KAIMING: &[ParamSig] = &[
    p("mode", K::Choice(FAN_MODES), D::Name("fan_in")),
    p("nonlinearity", K::Choice(NONLINEARITIES), D::Name("relu")),
];

family! {
    InitName, INITS, "init scheme" {
        Const => sig(
            "const",
            &[p("value", K::Num, D::Required)],
            "every weight the same value",
        ),
        Uniform => sig(
            "uniform",
            &[p("a", K::Num, D::Num(0.0)), p("b", K::Num, D::Num(1.0))],
            "U(a, b)",
        ),
        Normal => sig(
            "normal",
            &[
                p("mean", K::Num, D::Num(0.0)),
                p("std", K::NonNegative, D::Num(1.0)),
            ],
            "N(mean, std²)",
        ),
        XavierUniform => sig(
            "xavier_uniform",
            &[p("gain", K::Positive, D::Num(1.0))],
            "Glorot: U(±gain·√(6/(fan_in+fan_out)))",
        ),
        XavierNormal => sig(
            "xavier_normal",
            &[p("gain", K::Positive, D::Num(1.0))],
            "Glorot: N(0, gain²·2/(fan_in+fan_out))",
        ),
        HeUniform => sig("he_uniform", KAIMING, "Kaiming: U(±gain·√(3/fan))"),
        HeNormal => sig("he_normal", KAIMING, "Kaiming: N(0, gain²/fan)"),
        KaimingUniform => sig("kaiming_uniform", KAIMING, "same as he_uniform"),
        KaimingNormal => sig("kaiming_normal", KAIMING, "same as he_normal"),
        LecunNormal => sig("lecun_normal", &[], "N(0, 1/fan_in)"),
        Orthogonal => sig(
            "orthogonal",
            &[p("gain", K::Positive, D::Num(1.0))],
            "a (semi-)orthogonal matrix times gain",
        ),
        PytorchDefault => sig("pytorch_default", &[], "nn.Linear's default: U(±1/√fan_in)"),
    }
}

family! {
    RemedyName, REMEDIES, "remedy" {
        ClipNorm => sig(
            "clip_norm",
            &[
                p("max", K::Positive, D::Required),
                p("norm", K::PositiveOrInf, D::Num(2.0)),
                p("scope", K::Choice(CLIP_SCOPES), D::Name("global")),
            ],
            "gradient clipping by norm, as clip_grad_norm_",
        ),
        ClipValue => sig(
            "clip_value",
            &[p("c", K::Positive, D::Required)],
            "clamp every gradient to [-c, c], as clip_grad_value_",
        ),
        Batchnorm => sig(
            "batchnorm",
            &[],
            "batch normalisation in every hidden layer, before its activation",
        ),
        Layernorm => sig(
            "layernorm",
            &[],
            "layer normalisation in every hidden layer, before its activation",
        ),
        Init => sig(
            "init",
            &[p("scheme", K::Any, D::Required)],
            "re-initialise every dense layer",
        ),
        Depth => sig(
            "depth",
            &[p("n", K::Count, D::Required)],
            "fewer layers: set the network's depth",
        ),
        WeightDecay => sig(
            "weight_decay",
            &[p("lambda", K::NonNegative, D::Required)],
            "L2 weight decay, as torch.optim",
        ),
        Warmup => sig(
            "warmup",
            &[p("steps", K::Count, D::Required)],
            "linear learning-rate warm-up",
        ),
        StepDecay => sig(
            "step_decay",
            &[
                p("every", K::Count, D::Required),
                p("factor", K::Positive, D::Required),
            ],
            "multiply the learning rate by factor every N steps",
        ),
        Cosine => sig(
            "cosine",
            &[p("steps", K::Count, D::Absent)],
            "cosine learning-rate decay to 0 over steps (default: the whole run)",
        ),
    }
}

family! {
    ShowName, SHOW, "`show` option" {
        Loss => sig("loss", &[], "the loss at each shown step (default)"),
        Gradients => sig(
            "gradients",
            &[],
            "a per-layer table of gradient norms and gains",
        ),
        Weights => sig("weights", &[], "per-layer weight statistics"),
        Heatmap => sig(
            "heatmap",
            &[],
            "at the end, a chart of ‖∂L/∂W‖ per layer and shown step, on a log scale",
        ),
        None => sig("none", &[], "nothing per step; diagnostics only"),
    }
}

family! {
    /// The detectors whose thresholds `diagnose` overrides.
    DetectorName, DIAGNOSTICS, "diagnostic" {
        LossJump => sig(
            "loss_jump",
            &[p("factor", K::Positive, D::Num(10.0))],
            "the loss changes by more than this factor in one step",
        ),
        Plateau => sig(
            "plateau",
            &[
                p("steps", K::Count, D::Num(50.0)),
                p("fraction", K::NonNegative, D::Num(0.01)),
            ],
            "the loss improves by less than fraction over steps",
        ),
        Exploding => sig(
            "exploding",
            &[
                p("factor", K::Positive, D::Num(2.0)),
                p("norm", K::Positive, D::Num(1e3)),
            ],
            "gradients grow by factor per layer, or the global norm passes norm",
        ),
        Vanishing => sig(
            "vanishing",
            &[p("ratio", K::Positive, D::Num(1e-4))],
            "first-layer / last-layer gradient below ratio",
        ),
    }
}

family! {
    /// What a sweep reports for each grid point.
    Metric, METRICS, "metric" {
        FirstGrad => sig(
            "first_grad",
            &[],
            "the first layer's weight-gradient norm at the first step",
        ),
        FinalLoss => sig("final_loss", &[], "the loss at the last step"),
        MaxGradNorm => sig("max_grad_norm", &[], "the largest global gradient norm"),
        GradRatio => sig(
            "grad_ratio",
            &[],
            "first-layer / last-layer gradient norm at the first step",
        ),
        Verdict => sig(
            "verdict",
            &[],
            "diverged, exploding, vanishing, dead, unstable, stuck, plateau or healthy",
        ),
    }
}

impl Metric {
    /// What a sweep's table shows unless its block names a metric.
    pub const DEFAULT: Metric = Metric::Verdict;
}

family! {
    /// Built-in functions usable in expressions.
    FunctionName, FUNCTIONS, "function" {
        Forward => sig(
            "forward",
            &[p("net", K::Any, D::Required), p("x", K::List, D::Required)],
            "the network's output for input x, in evaluation mode",
        ),
        Xor => sig("xor", &[], "the four XOR points: 2 inputs, 1 target"),
        Spiral => sig(
            "spiral",
            &[
                p("n", K::Count, D::Num(100.0)),
                p("classes", K::Count, D::Num(3.0)),
                p("noise", K::NonNegative, D::Num(0.2)),
            ],
            "n points per class on interleaved spirals; targets are class indices",
        ),
        Sine => sig(
            "sine",
            &[p("n", K::Count, D::Num(64.0))],
            "n points of y = sin(x) on [-π, π]",
        ),
        Linear => sig(
            "linear",
            &[
                p("n", K::Count, D::Num(64.0)),
                p("noise", K::NonNegative, D::Num(0.1)),
            ],
            "n points of y = 2x + 1 plus Gaussian noise",
        ),
        Csv => sig(
            "csv",
            &[
                p("path", K::Str, D::Required),
                p("x", K::List, D::Required),
                p("y", K::List, D::Required),
                p("header", K::Bool, D::Absent),
            ],
            "rows of a CSV file; x and y list column indices or header names; header says whether the first row names the columns",
        ),
        Sqrt => sig(
            "sqrt",
            &[p("x", K::NonNegative, D::Required)],
            "square root",
        ),
        Exp => sig("exp", &[p("x", K::Num, D::Required)], "eˣ"),
        Log => sig(
            "log",
            &[p("x", K::Positive, D::Required)],
            "natural logarithm",
        ),
        Abs => sig("abs", &[p("x", K::Num, D::Required)], "absolute value"),
    }
}

/// Declares the settings of run blocks: `SettingName` and `RUN_SETTINGS` (each
/// setting's name and meaning), from one list.
macro_rules! settings {
    ($($Variant:ident => ($name:literal, $meaning:literal),)+) => {
        /// The settings of `train`, `compare`, `explain` and `sweep` blocks.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum SettingName {
            $($Variant,)+
        }

        /// Each setting's name and meaning, in the order of `SettingName::ALL`.
        pub const RUN_SETTINGS: &[(&str, &str)] = &[$(($name, $meaning),)+];

        impl SettingName {
            pub const ALL: &'static [SettingName] = &[$(SettingName::$Variant,)+];
        }
    };
}

settings! {
    Loss => ("loss", "the loss function (default mse)"),
    Optimizer => ("optimizer", "the optimizer (default sgd(lr=0.01))"),
    Steps => ("steps", "how many optimizer steps"),
    Epochs => ("epochs", "how many passes over the data"),
    Batch => ("batch", "the mini-batch size (default: the whole data set)"),
    Remedy => ("remedy", "one or more remedies, combined with + or listed with ,"),
    Show => ("show", "what to print: loss, gradients, weights, heatmap, none"),
    Every => ("every", "print every Nth step"),
    Diagnose => ("diagnose", "override diagnostic thresholds, or `diagnose none`"),
    OnNan => ("on_nan", "`stop` (default) or `continue` after a non-finite loss"),
    Seed => ("seed", "the seed for this run"),
    Precision => ("precision", "f32 or f64 for this run"),
    Variant => ("variant", "a compare variant: remedies to try against the baseline"),
    Metric => ("metric", "what a sweep reports"),
}

impl SettingName {
    pub fn name(self) -> &'static str {
        RUN_SETTINGS[self as usize].0
    }

    pub fn named(name: &str) -> Option<SettingName> {
        Self::ALL.iter().copied().find(|s| s.name() == name)
    }
}

impl fmt::Display for SettingName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

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
    let lower = name.to_lowercase();
    for candidate in candidates {
        let candidate = candidate.as_ref();
        // `Relu`, `ADAM`: only the case is wrong, which beats any near miss.
        let edits = if candidate == lower {
            0
        } else {
            strsim::osa_distance(name, candidate)
        };
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
        assert_eq!(
            did_you_mean("Relu", ["elu", "relu"]).as_deref(),
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
