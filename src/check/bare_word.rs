//! A bare word that names nothing, given where a number, `none` or one of a few names
//! is expected: `bias=zero`, `weight=ones`, `init=zeros`, `on_nan ignore`. What takes
//! it says what was likely meant, which the generic "unknown name" cannot.

use crate::diagnostics::{Diagnostic, ErrorKind};
use crate::signature::{LayerAttr, did_you_mean};
use crate::syntax::ast::{Expr, ExprKind};

/// PyTorch's `nn.init.zeros_` and `ones_`, which gradlab writes as numbers (`bias=0`)
/// or as `const(…)` (`init=const(0)`): the words a PyTorch user reaches for.
const CONSTANTS: &[(&str, &str)] = &[("zeros", "0"), ("ones", "1")];

/// The number a word such as `zero` or `ones_` likely stands for.
fn constant(word: &str) -> Option<&'static str> {
    let word = word.trim_end_matches('_').to_lowercase();
    let best = did_you_mean(&word, CONSTANTS.iter().map(|(w, _)| *w))?;
    CONSTANTS
        .iter()
        .find(|(w, _)| *w == best)
        .map(|(_, value)| *value)
}

/// The report for `error`, the failed evaluation of `expr`, the value of attribute
/// `which` on a layer `width` wide with `fan_in` inputs: the same error with a help
/// about the attribute, when `expr` is a bare word that names nothing and no declared
/// name is close to it. Any other error is returned as it is.
pub fn for_attribute(
    which: LayerAttr,
    expr: &Expr,
    width: usize,
    fan_in: usize,
    error: Diagnostic,
) -> Diagnostic {
    let Some(name) = unknown_name(expr, &error) else {
        return error;
    };
    if error.helps.iter().any(|h| h.starts_with("did you mean")) {
        return error;
    }
    // `bias=zero` is `bias=0`; any other word gets a number as an example.
    let number = |attr: &str| match constant(name) {
        Some(value) => format!("`{attr}={value}`"),
        None => format!("a number such as `{attr}=0`"),
    };
    let (label, help) = match which {
        LayerAttr::Bias => {
            if did_you_mean(name, ["none"]).is_some() {
                return with_help(error, "did you mean `none`?".into());
            }
            (
                format!(
                    "`bias` takes a number, a list of {width} number{} or `none`",
                    crate::format::plural(width)
                ),
                format!("write {}, or `bias=none` for no bias", number("bias")),
            )
        }
        LayerAttr::Weight => (
            format!("`weight` takes a number, a {width}×{fan_in} matrix or an init scheme"),
            format!(
                "write {}, or an init scheme such as `weight=he_normal`",
                number("weight")
            ),
        ),
        LayerAttr::Init | LayerAttr::Batchnorm | LayerAttr::Layernorm => return error,
    };
    let mut error = with_help(error, help);
    if let Some(first) = error.labels.first_mut() {
        first.message = label;
    }
    error
}

/// The word `expr` is, if `error` (its failed evaluation) says it names nothing.
pub fn unknown_name<'e>(expr: &'e Expr, error: &Diagnostic) -> Option<&'e str> {
    let ExprKind::Var(name) = &expr.kind else {
        return None;
    };
    matches!(&error.kind, ErrorKind::UnknownName { name: n } if **n == *name).then_some(name)
}

/// `error` with `help` in place of its own.
fn with_help(mut error: Diagnostic, help: String) -> Diagnostic {
    error.helps = vec![help];
    error
}

/// The help for an init scheme `name` that is no near miss of a scheme, when it is a
/// PyTorch word for a constant: `init=zeros` is `init=const(0)`.
pub fn init_help(name: &str) -> Option<String> {
    constant(name)
        .map(|value| format!("write `init=const({value})` to set every weight to {value}"))
}

#[cfg(test)]
mod tests {
    use super::constant;

    #[test]
    fn pytorch_constant_words_are_numbers() {
        assert_eq!(constant("zero"), Some("0"));
        assert_eq!(constant("zeros_"), Some("0"));
        assert_eq!(constant("Ones"), Some("1"));
        assert_eq!(constant("one"), Some("1"));
        assert_eq!(constant("normal"), None);
    }
}
