//! Which settings each kind of block uses. A setting that a block never uses is never
//! silent, because a script that says more than the run does misleads its reader:
//!
//! * an **error** when the setting asks for something the block never does, so the run
//!   would not do or show what the script says (`show gradients` in `compare`, a
//!   training remedy in `explain`);
//! * a **warning** when the block only has no use for the value, so the run is what the
//!   script says without it (`steps` in `explain`, which trains nothing).

use crate::diagnostics::{Diagnostic, Span};
use crate::signature::{RemedyName, SettingName, ShowName};
use crate::syntax::ast::RunKind;

/// The kind of block whose settings are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    Train,
    Compare,
    Explain,
    Sweep,
}

impl Block {
    pub fn of(kind: RunKind) -> Block {
        match kind {
            RunKind::Train => Block::Train,
            RunKind::Compare => Block::Compare,
            RunKind::Explain => Block::Explain,
        }
    }

    pub fn keyword(self) -> &'static str {
        match self {
            Block::Train => "train",
            Block::Compare => "compare",
            Block::Explain => "explain",
            Block::Sweep => "sweep",
        }
    }

    /// What the block prints, to say why per-step output has no place in it.
    fn prints(self) -> &'static str {
        match self {
            Block::Train => "`train` prints the steps `show` asks for",
            Block::Compare => "`compare` prints one row per run, not the runs' steps",
            Block::Explain => {
                "`explain` prints one table of factors, from one pass: it has no steps"
            }
            Block::Sweep => "`sweep` prints one value per grid point, not the runs' steps",
        }
    }
}

/// `explain`'s one pass, said in every message about what it leaves out.
const ONE_PASS: &str =
    "`explain` runs one forward and backward pass with the initial weights: it does not train";

/// Where to see a per-step setting at work.
const TRY_TRAIN: &str = "to see it step by step, use it in a `train` block";

/// What a setting asks the run to do, as far as whether the block uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asks {
    /// A setting whose value is all that matters (`steps`, `optimizer`…).
    Setting(SettingName),
    /// One name of a `show` line.
    Show(ShowName),
    /// `diagnose none`.
    NoWarnings,
    /// `diagnose` with thresholds.
    Thresholds,
    Remedy(RemedyName),
}

/// The error or warning for a setting, written at `at`, that `block` does not use;
/// `None` when the block uses it.
pub fn unused(block: Block, asks: Asks, at: Span) -> Option<Diagnostic> {
    let keyword = block.keyword();
    match (block, asks) {
        (Block::Train, _) => None,
        (_, Asks::Show(ShowName::Gradients | ShowName::Weights | ShowName::Heatmap)
            | Asks::Setting(SettingName::Every)) => {
            let what = match asks {
                Asks::Show(name) => format!("show {name}"),
                _ => "every".to_string(),
            };
            Some(
                Diagnostic::error(format!("`{what}` does nothing in `{keyword}`"))
                    .with_label(at, "never printed")
                    .with_note(block.prints())
                    .with_help(format!("remove it; {TRY_TRAIN}")),
            )
        }
        (_, Asks::Show(ShowName::Loss | ShowName::None)) => Some(
            Diagnostic::warning(format!("`show` has no effect in `{keyword}`"))
                .with_label(at, "ignored")
                .with_note(block.prints())
                .with_help("remove it"),
        ),
        (Block::Explain, Asks::Setting(setting)) => explain_setting(setting, at),
        (Block::Explain, Asks::Thresholds) => Some(
            Diagnostic::error(format!("`diagnose` thresholds do nothing in `{keyword}`"))
                .with_label(at, "never used")
                .with_note("`explain` runs no detectors: it marks the first layer whose running product leaves [0.5, 2]")
                .with_help("remove it; the thresholds judge the steps of `train`, `compare` and `sweep`"),
        ),
        (Block::Explain, Asks::NoWarnings) => Some(
            Diagnostic::warning(format!("`diagnose none` has no effect in `{keyword}`"))
                .with_label(at, "ignored")
                .with_note("`explain` runs no detectors, so it has no warnings to turn off")
                .with_help("remove it"),
        ),
        (Block::Explain, Asks::Remedy(remedy)) if trains(remedy) => Some(
            Diagnostic::error(format!("remedy `{remedy}` does nothing in `{keyword}`"))
                .with_label(at, "never applied")
                .with_note(format!("{ONE_PASS}, and `{remedy}` changes training steps"))
                .with_help(format!(
                    "remove it, or see what it changes with `compare NET on DATA {{ variant {remedy}(…) }}`"
                )),
        ),
        (Block::Compare | Block::Sweep, Asks::NoWarnings) => Some(
            Diagnostic::warning(format!("`diagnose none` has no effect in `{keyword}`"))
                .with_label(at, "ignored")
                .with_note(format!(
                    "`{keyword}` prints no warnings, and its verdicts always come from the detectors"
                ))
                .with_help("remove it"),
        ),
        (Block::Explain | Block::Compare | Block::Sweep, _) => None,
    }
}

/// A remedy that changes training steps, not the network `explain` looks at.
fn trains(remedy: RemedyName) -> bool {
    match remedy {
        RemedyName::ClipNorm
        | RemedyName::ClipValue
        | RemedyName::WeightDecay
        | RemedyName::Warmup
        | RemedyName::StepDecay
        | RemedyName::Cosine => true,
        RemedyName::Batchnorm | RemedyName::Layernorm | RemedyName::Init | RemedyName::Depth => {
            false
        }
    }
}

/// Settings `explain` has no use for: it trains nothing, on the whole data at once.
fn explain_setting(setting: SettingName, at: Span) -> Option<Diagnostic> {
    let why = match setting {
        SettingName::Optimizer | SettingName::Steps | SettingName::Epochs => ONE_PASS.to_string(),
        SettingName::Batch => "`explain` passes the whole data set at once".to_string(),
        SettingName::OnNan => format!("{ONE_PASS}, so there is no training to stop or continue"),
        SettingName::Loss
        | SettingName::Remedy
        | SettingName::Show
        | SettingName::Every
        | SettingName::Diagnose
        | SettingName::Seed
        | SettingName::Precision
        | SettingName::Variant
        | SettingName::Metric => return None,
    };
    Some(
        Diagnostic::warning(format!("`{setting}` has no effect in `explain`"))
            .with_label(at, "ignored")
            .with_note(why)
            .with_help("remove it, or use `train` to train with it"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn severity(block: Block, asks: Asks) -> Option<bool> {
        unused(block, asks, Span::default()).map(|d| d.is_error())
    }

    #[test]
    fn train_uses_every_setting() {
        for setting in SettingName::ALL {
            assert_eq!(severity(Block::Train, Asks::Setting(*setting)), None);
        }
        assert_eq!(
            severity(Block::Train, Asks::Show(ShowName::Gradients)),
            None
        );
        assert_eq!(severity(Block::Train, Asks::NoWarnings), None);
    }

    #[test]
    fn what_a_block_never_does_is_an_error_and_an_unused_value_a_warning() {
        let error = Some(true);
        let warning = Some(false);
        assert_eq!(
            severity(Block::Explain, Asks::Remedy(RemedyName::ClipNorm)),
            error
        );
        assert_eq!(
            severity(Block::Explain, Asks::Remedy(RemedyName::Init)),
            None
        );
        assert_eq!(
            severity(Block::Explain, Asks::Show(ShowName::Gradients)),
            error
        );
        assert_eq!(
            severity(Block::Explain, Asks::Setting(SettingName::Every)),
            error
        );
        assert_eq!(severity(Block::Explain, Asks::Thresholds), error);
        assert_eq!(
            severity(Block::Explain, Asks::Setting(SettingName::Steps)),
            warning
        );
        assert_eq!(
            severity(Block::Explain, Asks::Setting(SettingName::Optimizer)),
            warning
        );
        assert_eq!(
            severity(Block::Explain, Asks::Setting(SettingName::Loss)),
            None
        );
        assert_eq!(
            severity(Block::Explain, Asks::Setting(SettingName::Seed)),
            None
        );
        assert_eq!(
            severity(Block::Compare, Asks::Show(ShowName::Weights)),
            error
        );
        assert_eq!(
            severity(Block::Compare, Asks::Show(ShowName::Loss)),
            warning
        );
        assert_eq!(severity(Block::Compare, Asks::NoWarnings), warning);
        assert_eq!(severity(Block::Compare, Asks::Thresholds), None);
        assert_eq!(
            severity(Block::Compare, Asks::Remedy(RemedyName::ClipNorm)),
            None
        );
        assert_eq!(
            severity(Block::Sweep, Asks::Setting(SettingName::Every)),
            error
        );
        assert_eq!(
            severity(Block::Sweep, Asks::Setting(SettingName::Steps)),
            None
        );
    }
}
