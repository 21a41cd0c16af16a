//! Arithmetic written back as the script wrote it, for labels: `gain=5/3` rather than
//! `gain=1.6666666666666667`.

use crate::format;
use crate::syntax::ast::{BinOp, Expr, ExprKind};

/// The text of `expr` when it is arithmetic (`5/3`, `-a`, `sqrt(2)`), to show in place
/// of its value; `None` for a plain value, which reads best as the value itself.
pub fn arithmetic(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Binary { .. } => text(expr),
        ExprKind::Neg(inner) if !matches!(inner.kind, ExprKind::Num(_)) => text(expr),
        ExprKind::Call(call) if call.args.as_ref().is_some_and(|a| !a.is_empty()) => text(expr),
        _ => None,
    }
}

/// How tightly an operator binds.
fn binding(op: BinOp) -> u8 {
    match op {
        BinOp::Add | BinOp::Sub => 1,
        BinOp::Mul | BinOp::Div => 2,
        BinOp::Pow => 3,
    }
}

/// `expr` as text, `None` if it holds something other than numbers, names and calls.
fn text(expr: &Expr) -> Option<String> {
    Some(match &expr.kind {
        ExprKind::Num(n) => format::number(*n),
        ExprKind::Var(name) => name.clone(),
        ExprKind::Neg(inner) => format!("-{}", operand(inner, 3, false)?),
        ExprKind::Binary { op, lhs, rhs } => {
            let (lhs, rhs) = (
                operand(lhs, binding(*op), *op == BinOp::Pow)?,
                operand(rhs, binding(*op), *op != BinOp::Pow)?,
            );
            match op {
                BinOp::Pow => format!("{lhs}^{rhs}"),
                BinOp::Mul | BinOp::Div => format!("{lhs}{}{rhs}", op.symbol()),
                BinOp::Add | BinOp::Sub => format!("{lhs} {} {rhs}", op.symbol()),
            }
        }
        ExprKind::Call(call) => {
            let args = call.args.as_deref().unwrap_or(&[]);
            let args: Option<Vec<String>> = args
                .iter()
                .map(|arg| {
                    let value = text(&arg.value)?;
                    Some(match &arg.name {
                        Some(name) => format!("{}={value}", name.name),
                        None => value,
                    })
                })
                .collect();
            format!("{}({})", call.name.name, args?.join(", "))
        }
        ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::None
        | ExprKind::List(_)
        | ExprKind::Tuple(_)
        | ExprKind::Range { .. }
        | ExprKind::Error => return None,
    })
}

/// An operand of an operator that binds `outer`; in parentheses when it binds less
/// tightly, or as tightly on the side where the order matters (`a - (b - c)`).
fn operand(expr: &Expr, outer: u8, strict: bool) -> Option<String> {
    let inner = match &expr.kind {
        ExprKind::Binary { op, .. } => binding(*op),
        _ => return text(expr),
    };
    let text = text(expr)?;
    Some(if inner < outer || (strict && inner == outer) {
        format!("({text})")
    } else {
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(source: &str) -> Option<String> {
        let program = crate::syntax::parse(&format!("print {source}\n"), 0)
            .program
            .expect("a program");
        match &program.items[0].kind {
            crate::syntax::ast::ItemKind::Print(expr) => arithmetic(expr),
            other => panic!("not a print: {other:?}"),
        }
    }

    #[test]
    fn arithmetic_reads_as_written() {
        assert_eq!(written("5/3").as_deref(), Some("5/3"));
        assert_eq!(written("5 / 3").as_deref(), Some("5/3"));
        assert_eq!(written("1 - (2 - 3)").as_deref(), Some("1 - (2 - 3)"));
        assert_eq!(written("(1 + 2) * 3").as_deref(), Some("(1 + 2)*3"));
        assert_eq!(written("2^0.5 / k").as_deref(), Some("2^0.5/k"));
        assert_eq!(written("sqrt(2)").as_deref(), Some("sqrt(2)"));
        assert_eq!(written("-a").as_deref(), Some("-a"));
    }

    #[test]
    fn plain_values_read_as_values() {
        assert_eq!(written("1.5"), None);
        assert_eq!(written("-2"), None);
        assert_eq!(written("a"), None);
        assert_eq!(written("[1, 2] + 1"), None);
    }
}
