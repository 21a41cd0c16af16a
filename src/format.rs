//! How numbers and built-in names read, for every stage that shows them: the checker's
//! messages, the REPL and the reports. A leaf: it knows the engine's types and nothing
//! else in the crate, so one rule cannot drift into two.

use crate::engine::{Activation, Dataset, LossKind, OptimizerSpec, Precision};

/// A number as people write it: integers without a fraction, very large or small
/// magnitudes in exponent form, and otherwise the shortest text that reads back exactly.
pub fn number(x: f64) -> String {
    if let Some(text) = non_finite(x) {
        return text;
    }
    let magnitude = x.abs();
    if magnitude != 0.0 && !(1e-4..1e16).contains(&magnitude) {
        return format!("{x:e}");
    }
    format!("{x}")
}

/// As [`number`], for a value computed in `precision`: in f32, the shortest text that
/// reads back to the same f32, so `2.34^20` prints as 24227962 rather than its f64
/// widening.
pub fn number_in(x: f64, precision: Precision) -> String {
    match precision {
        Precision::F64 => number(x),
        Precision::F32 => {
            let single = x as f32;
            if !single.is_finite() || single == 0.0 {
                return number(single as f64);
            }
            let magnitude = single.abs();
            if !(1e-4..1e16).contains(&magnitude) {
                format!("{single:e}")
            } else {
                format!("{single}")
            }
        }
    }
}

/// `x` with four significant digits, so that measured values line up in columns and
/// golden files stay stable: plain notation for magnitudes in [1e-3, 1e4), exponent
/// notation outside it (so no digit is ever shown that is not significant).
pub fn sig(x: f64) -> String {
    if let Some(text) = non_finite(x) {
        return text;
    }
    if x == 0.0 {
        return "0".into();
    }
    // Round to four significant digits first, so a carry (99.995 → 100.0) is counted.
    let rounded: f64 = format!("{x:.3e}").parse().unwrap_or(x);
    let magnitude = rounded.abs();
    if (1e-3..1e4).contains(&magnitude) {
        let digits_before = magnitude.log10().floor() as i32 + 1;
        let decimals = (4 - digits_before).max(0) as usize;
        format!("{rounded:.decimals$}")
    } else {
        format!("{x:.3e}")
    }
}

/// An optional measured value, with a dash for "none".
pub fn sig_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), sig)
}

/// A value on a sweep's axis: `2.34`, `20`, `0.001`, and exponent form once the plain
/// text grows past ten characters (a table cell's width).
pub fn axis_value(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let text = format!("{x}");
        if text.len() > 10 {
            format!("{x:e}")
        } else {
            text
        }
    }
}

fn non_finite(x: f64) -> Option<String> {
    if x.is_nan() {
        Some("nan".into())
    } else if x.is_infinite() {
        Some(if x > 0.0 { "inf" } else { "-inf" }.into())
    } else {
        None
    }
}

/// The plural ending of a noun counted `n` times: `""` for one, `"s"` otherwise.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A size in bytes with a binary unit, as `--max-memory` reads it back: `512 KiB`,
/// `1.5 GiB`.
///
/// ```
/// assert_eq!(gradlab::format::bytes(3 << 29), "1.5 GiB");
/// assert_eq!(gradlab::format::bytes(2000), "2.0 KiB");
/// assert_eq!(gradlab::format::bytes(17), "17 bytes");
/// ```
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = None;
    for name in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = Some(name);
    }
    match unit {
        Some(unit) => format!("{value:.1} {unit}"),
        None => format!("{n} bytes"),
    }
}

/// A whole number with its digits grouped by threes, as README writes limits:
/// `10 000 000`.
///
/// ```
/// assert_eq!(gradlab::format::grouped(10_000_000), "10 000 000");
/// assert_eq!(gradlab::format::grouped(999), "999");
/// ```
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

/// `1 row`, `4 rows`.
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", plural(n))
}

/// `4 rows, 2 inputs, 1 target`.
pub fn dataset(set: &Dataset) -> String {
    dataset_size(set.n, set.x_dim, set.y_dim)
}

/// [`dataset`] from the three sizes, for a data set described rather than held.
pub fn dataset_size(rows: usize, inputs: usize, targets: usize) -> String {
    format!(
        "{}, {}, {}",
        count(rows, "row"),
        count(inputs, "input"),
        count(targets, "target")
    )
}

/// An activation as a script writes it: `relu`, `leaky_relu(0.01)`.
pub fn activation(activation: &Activation) -> String {
    match activation {
        Activation::Relu => "relu".into(),
        Activation::LeakyRelu { slope } => format!("leaky_relu({})", number(*slope)),
        Activation::Elu { alpha } => format!("elu({})", number(*alpha)),
        Activation::Gelu => "gelu".into(),
        Activation::Sigmoid => "sigmoid".into(),
        Activation::Tanh => "tanh".into(),
        Activation::Softplus => "softplus".into(),
        Activation::Linear => "linear".into(),
    }
}

/// A loss as a script names it.
pub fn loss(loss: LossKind) -> &'static str {
    match loss {
        LossKind::Mse => "mse",
        LossKind::Mae => "mae",
        LossKind::Bce => "bce",
        LossKind::CrossEntropy => "cross_entropy",
    }
}

pub fn precision(precision: Precision) -> &'static str {
    match precision {
        Precision::F32 => "f32",
        Precision::F64 => "f64",
    }
}

/// An optimizer with its hyper-parameters, as a script writes it; a zero weight decay
/// (and sgd's zero momentum) is left out.
pub fn optimizer(optimizer: &OptimizerSpec) -> String {
    let weight_decay = |w: f64| {
        if w != 0.0 {
            format!(", weight_decay={}", number(w))
        } else {
            String::new()
        }
    };
    match *optimizer {
        OptimizerSpec::Sgd {
            lr,
            momentum,
            nesterov,
            weight_decay: decay,
        } => {
            let mut args = format!("lr={}", number(lr));
            if momentum != 0.0 {
                args += &format!(", momentum={}", number(momentum));
            }
            if nesterov {
                args += ", nesterov=true";
            }
            format!("sgd({args}{})", weight_decay(decay))
        }
        OptimizerSpec::Adam {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay: decay,
        } => format!(
            "adam(lr={}, betas=({}, {}), eps={}{})",
            number(lr),
            number(beta1),
            number(beta2),
            number(eps),
            weight_decay(decay)
        ),
        OptimizerSpec::RmsProp {
            lr,
            alpha,
            eps,
            weight_decay: decay,
        } => format!(
            "rmsprop(lr={}, alpha={}, eps={}{})",
            number(lr),
            number(alpha),
            number(eps),
            weight_decay(decay)
        ),
    }
}

/// `text` in lines of at most `width` characters, broken at spaces (a word longer
/// than `width` stays whole on its own line).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(1e300), "1e300");
        assert_eq!(number(-2.5e-7), "-2.5e-7");
        let chain = (0..20).fold(1.0f32, |acc, _| acc * 2.34);
        assert_eq!(number_in(chain as f64, Precision::F32), "24227962");
    }

    #[test]
    fn four_significant_digits() {
        assert_eq!(sig(2.34), "2.340");
        assert_eq!(sig(0.012345), "0.01235");
        assert_eq!(sig(12345.0), "1.234e4");
        assert_eq!(sig(9999.4), "9999");
        assert_eq!(sig(9999.6), "1.000e4");
        assert_eq!(sig(5.0168e14), "5.017e14");
        assert_eq!(sig(-3.2e-9), "-3.200e-9");
        assert_eq!(sig(0.0), "0");
        assert_eq!(sig(1.0), "1.000");
        assert_eq!(sig(f64::INFINITY), "inf");
        assert_eq!(sig(99.995), "100.0");
    }

    #[test]
    fn activation_arguments_read_as_written() {
        // The training table once showed `leaky_relu(0.01000)` and `:show` `leaky_relu(0.01)`.
        assert_eq!(
            activation(&Activation::LeakyRelu { slope: 0.01 }),
            "leaky_relu(0.01)"
        );
        assert_eq!(activation(&Activation::Elu { alpha: 1.0 }), "elu(1)");
        assert_eq!(activation(&Activation::Softplus), "softplus");
    }

    #[test]
    fn counted_nouns() {
        assert_eq!(count(1, "row"), "1 row");
        assert_eq!(count(0, "row"), "0 rows");
        let set = Dataset {
            x: vec![0.0; 8],
            y: vec![0.0; 4],
            n: 4,
            x_dim: 2,
            y_dim: 1,
        };
        assert_eq!(dataset(&set), "4 rows, 2 inputs, 1 target");
    }

    #[test]
    fn optimizers_leave_out_defaults_of_zero() {
        let sgd = OptimizerSpec::Sgd {
            lr: 0.1,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        };
        assert_eq!(optimizer(&sgd), "sgd(lr=0.1)");
        let adam = OptimizerSpec::Adam {
            lr: 0.001,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        };
        assert_eq!(
            optimizer(&adam),
            "adam(lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)"
        );
    }
}
