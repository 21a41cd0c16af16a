//! Init schemes: checking a written scheme such as `he_normal(mode=fan_out)` and
//! building the engine's scheme from it, in one step, for layers (`init=…`,
//! `weight=…`) and for the `init(…)` remedy alike.

use super::args::{Bound, bind};
use super::bare_word::init_help;
use super::value::{Spec, Value};
use crate::diagnostics::{Diagnostic, ErrorKind, Span};
use crate::engine::{FanMode, InitScheme, Nonlinearity};
use crate::signature::{
    self as sig, Family, FanModeName, InitName, NonlinearityName, did_you_mean,
};
use crate::syntax::ast::{Expr, ExprKind};

/// Checks an init scheme written as `value` at `span`: the scheme as written (for
/// reports), and as the engine runs it.
pub fn scheme(value: Value, span: Span) -> Result<(Spec, InitScheme), Diagnostic> {
    let spec = match value {
        Value::Spec(spec) => spec,
        other => {
            return Err(Diagnostic::error(format!(
                "expected an init scheme such as `he_normal`, found a {}",
                other.type_name()
            ))
            .with_label(span, "here"));
        }
    };
    let Some(name) = InitName::named(&spec.name) else {
        let mut d = Diagnostic::error(format!("unknown init scheme `{}`", spec.name))
            .with_kind(ErrorKind::UnknownBuiltin)
            .with_label(span, "not an init scheme");
        if let Some(best) = did_you_mean(&spec.name, sig::names(sig::INITS)) {
            d = d.with_help(format!("did you mean `{best}`?"));
        }
        return Err(d);
    };
    let bound = bind(name.signature(), InitName::WHAT, &spec.args, spec.span)?;
    let scheme = build(name, &bound, spec.span)?;
    Ok((spec, scheme))
}

/// The most work `orthogonal` may do on one layer: fan_in × fan_out × the smaller of
/// the two (its QR decomposition's cost), up to a 1024 × 1024 layer. A 8192-wide layer
/// would take the engine's exact Gram–Schmidt 512 times as long, tens of minutes.
pub const MAX_ORTHOGONAL_WORK: u64 = 1 << 30;

/// Refuses `scheme` on a `fan_out × fan_in` layer when it would take too long to
/// compute, before any work starts.
pub fn check_fits(
    scheme: &InitScheme,
    fan_in: usize,
    fan_out: usize,
    span: Span,
) -> Result<(), Diagnostic> {
    let InitScheme::Orthogonal { .. } = scheme else {
        return Ok(());
    };
    let (fi, fo) = (fan_in as u64, fan_out as u64);
    let work = fi * fo * fi.min(fo);
    if work <= MAX_ORTHOGONAL_WORK {
        return Ok(());
    }
    Err(Diagnostic::error(format!(
        "`orthogonal` init of a {fan_out} × {fan_in} layer would take too long"
    ))
    .with_kind(ErrorKind::TooLarge)
    .with_label(span, "this init needs a QR decomposition of the whole weight matrix")
    .with_note(format!(
        "orthogonal init works up to a 1024 × 1024 layer (fan_in × fan_out × the smaller of the two at most 2^30); this layer needs {} times that",
        work.div_ceil(MAX_ORTHOGONAL_WORK)
    ))
    .with_help("use `xavier_normal` or `he_normal` for layers this wide"))
}

/// The report for an init scheme written as a bare name (or call) that is neither
/// declared nor a scheme, if `expr` is one: `init=he_nromal` is a misspelt scheme,
/// not a missing declaration.
pub fn unknown(expr: &Expr, declared: impl Fn(&str) -> bool) -> Option<Diagnostic> {
    let (name, span) = match &expr.kind {
        ExprKind::Var(name) => (name.as_str(), expr.span),
        ExprKind::Call(call) => (call.name.name.as_str(), call.name.span),
        _ => return None,
    };
    if declared(name) || InitName::named(name).is_some() {
        return None;
    }
    let d = Diagnostic::error(format!("unknown init scheme `{name}`"))
        .with_kind(ErrorKind::UnknownBuiltin)
        .with_label(span, "not an init scheme");
    Some(match did_you_mean(name, sig::names(sig::INITS)) {
        Some(best) => d.with_help(format!("did you mean `{best}`?")),
        None => d.with_help(init_help(name).unwrap_or_else(|| {
            format!(
                "the init schemes are {}",
                sig::names(sig::INITS).collect::<Vec<_>>().join(", ")
            )
        })),
    })
}

fn build(name: InitName, b: &Bound, span: Span) -> Result<InitScheme, Diagnostic> {
    Ok(match name {
        InitName::Const => InitScheme::Const(b.num("value")?),
        InitName::Uniform => {
            let (a, high) = (b.num("a")?, b.num("b")?);
            if high <= a {
                return Err(Diagnostic::error("`uniform(a, b)` needs a < b")
                    .with_kind(ErrorKind::InvalidValue)
                    .with_label(span, format!("{a} is not below {high}")));
            }
            InitScheme::Uniform { a, b: high }
        }
        InitName::Normal => InitScheme::Normal {
            mean: b.num("mean")?,
            std: b.num("std")?,
        },
        InitName::XavierUniform => InitScheme::XavierUniform {
            gain: b.num("gain")?,
        },
        InitName::XavierNormal => InitScheme::XavierNormal {
            gain: b.num("gain")?,
        },
        InitName::HeUniform | InitName::KaimingUniform => {
            let (mode, nonlinearity) = kaiming(b)?;
            InitScheme::KaimingUniform { mode, nonlinearity }
        }
        InitName::HeNormal | InitName::KaimingNormal => {
            let (mode, nonlinearity) = kaiming(b)?;
            InitScheme::KaimingNormal { mode, nonlinearity }
        }
        InitName::LecunNormal => InitScheme::LecunNormal,
        InitName::Orthogonal => InitScheme::Orthogonal {
            gain: b.num("gain")?,
        },
        InitName::PytorchDefault => InitScheme::PytorchDefault,
    })
}

/// The fan mode and nonlinearity of the He/Kaiming schemes.
fn kaiming(b: &Bound) -> Result<(FanMode, Nonlinearity), Diagnostic> {
    let mode = match b.choice::<FanModeName>("mode")? {
        FanModeName::FanIn => FanMode::FanIn,
        FanModeName::FanOut => FanMode::FanOut,
    };
    let nonlinearity = match b.choice::<NonlinearityName>("nonlinearity")? {
        NonlinearityName::Relu => Nonlinearity::Relu,
        // PyTorch's default slope: `kaiming_*` takes no slope here.
        NonlinearityName::LeakyRelu => Nonlinearity::LeakyRelu { slope: 0.01 },
        NonlinearityName::Tanh => Nonlinearity::Tanh,
        NonlinearityName::Sigmoid => Nonlinearity::Sigmoid,
        NonlinearityName::Linear => Nonlinearity::Linear,
        NonlinearityName::Selu => Nonlinearity::Selu,
    };
    Ok((mode, nonlinearity))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_is_capped_by_its_work_not_by_one_width() {
        let orthogonal = InitScheme::Orthogonal { gain: 1.0 };
        let fits = |fan_in, fan_out| check_fits(&orthogonal, fan_in, fan_out, Span::new(0, 0));
        assert!(fits(1024, 1024).is_ok());
        assert!(fits(1024, 1025).is_err());
        assert!(fits(8192, 8192).is_err());
        // Long and thin is cheap: the work grows with the smaller side squared.
        assert!(fits(1, 65_536).is_ok());
        assert!(fits(65_536, 16).is_ok());
        // Only orthogonal needs a decomposition.
        assert!(check_fits(&InitScheme::LecunNormal, 8192, 8192, Span::new(0, 0)).is_ok());
    }
}
