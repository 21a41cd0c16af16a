//! Number formatting for reports: a fixed number of significant digits, so golden
//! files stay stable and columns line up.

/// `x` with four significant digits: plain notation for magnitudes in [1e-3, 1e4),
/// exponent notation outside it (so no digit is ever shown that is not significant).
pub fn sig(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
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

/// A parameter value as a person writes it: `2.34`, `20`, `0.001`.
pub fn short(x: f64) -> String {
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

/// An optional number, with a dash for "none".
pub fn sig_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), sig)
}

#[cfg(test)]
mod tests {
    use super::sig;

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
}
