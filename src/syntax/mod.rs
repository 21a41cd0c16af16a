//! Source text to syntax tree: lexing, parsing and the reports for both.

mod activation;
pub mod ast;
mod input;
mod mistakes;
mod parser;
pub mod token;

use chumsky::error::{Rich, RichPattern, RichReason};
use chumsky::span::SimpleSpan;

use crate::diagnostics::{Diagnostic, Span};
use ast::Program;
pub use input::{InputStatus, input_status};

/// At most this many syntax errors are shown; past it, the rest are mostly echoes.
pub const MAX_SYNTAX_ERRORS: usize = 10;

pub struct Parsed {
    /// Present whenever the parser could build a tree, even a partial one.
    pub program: Option<Program>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses `src`, whose spans start at `base` (see `SourceMap`).
pub fn parse(src: &str, base: usize) -> Parsed {
    let token::Lexed {
        tokens,
        errors: mut diagnostics,
        hidden_errors,
        too_deep,
    } = token::lex(src, base);
    if too_deep {
        // Refused before parsing, so nothing downstream recurses that deep.
        return Parsed {
            program: None,
            diagnostics: capped(diagnostics, hidden_errors),
        };
    }
    let error_spans: Vec<Span> = tokens
        .iter()
        .filter(|(t, _)| *t == token::Token::Error)
        .map(|(_, s)| *s)
        .collect();
    let (tokens, mistakes) = mistakes::mend(tokens, src, base);
    diagnostics.extend(mistakes);
    let unmatched = unmatched_closers(&tokens);
    let read = tokens.clone();
    let (program, errors) = parser::parse_tokens(tokens, base + src.len());
    for error in errors {
        let at = Span::from(*error.span());
        // An invalid token was already reported by the lexer, which knows why.
        if error_spans.iter().any(|s| s.start == at.start) {
            continue;
        }
        let expects_activation = error
            .expected()
            .any(|p| matches!(p, RichPattern::Label(l) if *l == "activation"));
        let report = expects_activation
            .then(|| activation::missing(at, &read, src, base))
            .flatten();
        diagnostics.push(report.unwrap_or_else(|| syntax_error(&error, src, base, &unmatched)));
    }
    diagnostics.sort_by_key(|d| d.primary_span().start);
    Parsed {
        program,
        diagnostics: capped(diagnostics, hidden_errors),
    }
}

/// The first `MAX_SYNTAX_ERRORS` of `diagnostics`, the last one saying how many more
/// there are: those cut here and `uncounted`, which the lexer only counted.
fn capped(mut diagnostics: Vec<Diagnostic>, uncounted: usize) -> Vec<Diagnostic> {
    let total = diagnostics.len() + uncounted;
    if total > MAX_SYNTAX_ERRORS {
        let hidden = total - MAX_SYNTAX_ERRORS;
        diagnostics.truncate(MAX_SYNTAX_ERRORS);
        if let Some(last) = diagnostics.last_mut() {
            last.notes.push(format!(
                "{hidden} more syntax error{} not shown; fix these first",
                if hidden == 1 { "" } else { "s" }
            ));
        }
    }
    diagnostics
}

/// Start offsets of the closing brackets that close no open bracket of their kind.
fn unmatched_closers(tokens: &[(token::Token<'_>, Span)]) -> Vec<usize> {
    use token::Token as T;
    let mut open: Vec<T<'_>> = Vec::new();
    let mut unmatched = Vec::new();
    for (token, span) in tokens {
        let opener = match token {
            T::LParen | T::LBracket | T::LBrace => {
                open.push(token.clone());
                continue;
            }
            T::RParen => T::LParen,
            T::RBracket => T::LBracket,
            T::RBrace => T::LBrace,
            _ => continue,
        };
        if open.last() == Some(&opener) {
            open.pop();
        } else {
            unmatched.push(span.start);
        }
    }
    unmatched
}

fn describe_pattern(pattern: &RichPattern<'_, String>) -> String {
    match pattern {
        RichPattern::Token(t) => {
            let t: &String = t;
            if t.starts_with("identifier") || t.starts_with("number") || t == "string" {
                t.clone()
            } else {
                format!("`{t}`")
            }
        }
        RichPattern::Label(l) => l.to_string(),
        RichPattern::EndOfInput => "end of input".to_string(),
        other => other.to_string(),
    }
}

/// `unmatched`: where the closing brackets that match no opening one start.
fn syntax_error(
    error: &Rich<'static, String, SimpleSpan>,
    src: &str,
    base: usize,
    unmatched: &[usize],
) -> Diagnostic {
    let at = Span::from(*error.span());
    let found = match error.found() {
        Some(t) if t.starts_with("identifier") || t.starts_with("number") || t == "string" => {
            t.clone()
        }
        Some(t) => format!("`{t}`"),
        None => "end of input".to_string(),
    };
    let mut diagnostic = match error.reason() {
        RichReason::Custom(message) => {
            Diagnostic::error(message.clone()).with_label(at, message.clone())
        }
        RichReason::ExpectedFound { .. } => {
            // chumsky's "something else" tells a reader nothing: it is left out.
            let mut expected: Vec<String> = error
                .expected()
                .filter(|p| !matches!(p, RichPattern::SomethingElse))
                .map(describe_pattern)
                .collect();
            expected.sort();
            expected.dedup();
            let list = join_alternatives(&expected);
            let message = if list.is_empty() {
                format!("unexpected {found}")
            } else {
                format!("expected {list}, found {found}")
            };
            Diagnostic::error(message).with_label(at, format!("unexpected {found}"))
        }
    };
    for (label, ctx_span) in error.contexts() {
        let ctx = Span::from(*ctx_span);
        if ctx.start != at.start || ctx.end != at.end {
            diagnostic = diagnostic.with_label(
                Span::new(ctx.start, ctx.start.max(first_line_end(src, base, ctx))),
                format!("while parsing this {}", describe_pattern(label)),
            );
        }
    }
    if let Some(help) = hint_for(error, unmatched.contains(&at.start)) {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

/// Context labels underline only the first line of a construct, which is where the
/// reader looks for "what was I in", not the whole multi-line block.
fn first_line_end(src: &str, base: usize, span: Span) -> usize {
    let start = span.start.saturating_sub(base).min(src.len());
    let end = span.end.saturating_sub(base).min(src.len()).max(start);
    let local = src
        .get(start..end)
        .and_then(|s| s.find('\n'))
        .map_or(end, |i| start + i);
    base + local
}

fn join_alternatives(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn is_statement_start(token: &str) -> bool {
    mistakes::STATEMENTS.contains(&token)
}

fn hint_for(error: &Rich<'static, String, SimpleSpan>, unmatched_closer: bool) -> Option<String> {
    let expected: Vec<String> = error.expected().map(describe_pattern).collect();
    let found = error.found().map(String::as_str);
    if expected.iter().any(|e| e == "activation") {
        return Some(
            "a dense layer is `dense WIDTH ACTIVATION`, for example `dense 8 relu`".to_string(),
        );
    }
    if found == Some("=") && expected.iter().any(|e| e == "statement") {
        return Some("to bind a name, write `let NAME = …`".to_string());
    }
    if expected.iter().any(|e| e == "`in`") {
        return Some("a sweep axis is `NAME in VALUES`, for example `depth in 1..10`".to_string());
    }
    if found == Some("=") && expected.iter().any(|e| e == "`on`") {
        return Some("runs are written `train NET on DATA { … }`".to_string());
    }
    for (close, open) in [("`]`", "["), ("`)`", "("), ("`}`", "{")] {
        if expected.iter().any(|e| e == close)
            && (found.is_none() || found.is_some_and(is_statement_start))
        {
            return Some(format!(
                "a `{open}` is still open here: is a {close} missing?"
            ));
        }
    }
    if expected.iter().any(|e| e == "`on`") {
        return Some("runs are written `train NET on DATA { … }`".to_string());
    }
    if unmatched_closer {
        let (close, open) = match found {
            Some(")") => (")", "("),
            Some("]") => ("]", "["),
            _ => ("}", "{"),
        };
        return Some(format!(
            "this `{close}` closes nothing: is a `{open}` missing, or is it one too many?"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ast::*;

    fn parse_ok(src: &str) -> Program {
        let parsed = parse(src, 0);
        assert!(
            parsed.diagnostics.is_empty(),
            "unexpected errors: {:?}",
            parsed.diagnostics
        );
        parsed.program.expect("a program")
    }

    fn only_expr(src: &str) -> Expr {
        match parse_ok(src).items.remove(0).kind {
            ItemKind::Expr(e) => e,
            other => panic!("not an expression: {other:?}"),
        }
    }

    fn shape(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Num(n) => n.to_string(),
            ExprKind::Var(v) => v.clone(),
            ExprKind::Neg(x) => format!("(-{})", shape(x)),
            ExprKind::Binary { op, lhs, rhs } => {
                format!("({} {} {})", shape(lhs), op.symbol(), shape(rhs))
            }
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(shape(&only_expr("1 + 2 * 3")), "(1 + (2 * 3))");
        assert_eq!(shape(&only_expr("2 ^ 3 ^ 2")), "(2 ^ (3 ^ 2))");
        assert_eq!(shape(&only_expr("-2 ^ 2")), "(-(2 ^ 2))");
        assert_eq!(shape(&only_expr("8 - 2 - 1")), "((8 - 2) - 1)");
        assert_eq!(shape(&only_expr("(1 + 2) * 3")), "((1 + 2) * 3)");
    }

    #[test]
    fn spans_cover_their_text() {
        let src = "let x = 1 + 2";
        let program = parse_ok(src);
        let ItemKind::Let { name, value } = &program.items[0].kind else {
            panic!()
        };
        assert_eq!(&src[name.span.range()], "x");
        assert_eq!(&src[value.span.range()], "1 + 2");
        assert_eq!(&src[program.items[0].span.range()], src);
    }

    #[test]
    fn network_with_repeat_and_attributes() {
        let src = "network chain(depth = 20, w = 2.34) {\n input 1\n repeat depth { dense 1 relu weight=w bias=none batchnorm }\n}";
        let program = parse_ok(src);
        let ItemKind::Network(net) = &program.items[0].kind else {
            panic!()
        };
        assert_eq!(net.params.len(), 2);
        let LayerKind::Repeat { body, .. } = &net.body[1].kind else {
            panic!()
        };
        let LayerKind::Dense {
            attrs, activation, ..
        } = &body[0].kind
        else {
            panic!()
        };
        assert_eq!(activation.name.name, "relu");
        let names: Vec<_> = attrs.iter().map(|a| a.name.name.as_str()).collect();
        assert_eq!(names, ["weight", "bias", "batchnorm"]);
        assert!(attrs[2].value.is_none());
    }

    #[test]
    fn settings_split_on_names_not_newlines() {
        let src =
            "train n on d { loss mse optimizer sgd(lr=0.01) steps 3 show gradients, weights }";
        let program = parse_ok(src);
        let ItemKind::Run(run) = &program.items[0].kind else {
            panic!()
        };
        let keys: Vec<_> = run.settings.iter().map(|s| s.key.name.as_str()).collect();
        assert_eq!(keys, ["loss", "optimizer", "steps", "show"]);
        assert_eq!(run.settings[3].values.len(), 2);
    }

    #[test]
    fn seed_and_precision_are_run_settings_too() {
        let program = parse_ok("train n on d { seed 7 precision f64 steps 1 }");
        let ItemKind::Run(run) = &program.items[0].kind else {
            panic!()
        };
        let keys: Vec<_> = run.settings.iter().map(|s| s.key.name.as_str()).collect();
        assert_eq!(keys, ["seed", "precision", "steps"]);
    }

    #[test]
    fn several_errors_in_one_run() {
        let parsed = parse("let = 1\nlet y = (2 +\nprint 3\nlet z = ]\n", 0);
        assert!(parsed.diagnostics.len() >= 2, "{:?}", parsed.diagnostics);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let src = "(".repeat(100_000) + &")".repeat(100_000);
        let parsed = parse(&src, 0);
        assert!(
            parsed
                .diagnostics
                .iter()
                .any(|d| d.message.contains("nesting"))
        );
        let src = "-".repeat(100_000) + "1";
        assert!(!parse(&src, 0).diagnostics.is_empty());
    }

    /// The operator cap counts how deep the tree nests, not every operator: long
    /// sums of short products, sums in brackets and statement after statement pass,
    /// but one sum spread over bracket levels counts every level.
    #[test]
    fn operator_chains_count_their_depth() {
        // Lexing alone, as parsing these would need the command line's large stack.
        let deep = |src: &str| {
            let lexed = token::lex(src, 0);
            let refused = lexed.errors.iter().any(|d| d.message.contains("operators"));
            assert_eq!(lexed.too_deep, refused, "{:?}", lexed.errors);
            refused
        };
        let sum_of_products = vec!["2*3/4"; 90_000].join("+");
        assert!(!deep(&sum_of_products));
        let statements = "let a = 1+1+1\n".repeat(60_000);
        assert!(!deep(&statements));
        let groups = vec![format!("({})", vec!["1"; 50_000].join("+")); 3].join("+");
        assert!(!deep(&groups));
        let arguments = vec![vec!["1"; 50_000].join("+"); 3].join(", ");
        assert!(!deep(&format!("[{arguments}]")));
        let half = vec!["1"; 50_001].join("+");
        assert!(deep(&format!("{half} + ({half})")));
        assert!(deep(&format!("1{}", "^-1".repeat(50_001))));
    }

    #[test]
    fn one_lexing_mistake_gives_one_report() {
        for src in [
            "print 'hello'",
            "print `hello`",
            "% a comment: with `colons`\nlet x = 1",
            "train n on d {\n loss: mse\n}",
        ] {
            let parsed = parse(src, 0);
            assert_eq!(
                parsed.diagnostics.len(),
                1,
                "{src}: {:?}",
                parsed.diagnostics
            );
        }
    }

    /// A run of characters gradlab does not use is one mistake, reported once; the
    /// run is quoted up to a few characters.
    #[test]
    fn a_run_of_unknown_characters_is_one_error() {
        let parsed = parse("let a = 1 @@@ 2\nlet b = 1 @ @", 0);
        let messages: Vec<&str> = parsed
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "unexpected characters `@@@`",
                "unexpected character `@`",
                "unexpected character `@`"
            ]
        );
        let long = parse(&"$".repeat(1000), 0);
        assert_eq!(long.diagnostics.len(), 1);
        assert_eq!(
            long.diagnostics[0].message,
            format!("unexpected characters `{}`…", "$".repeat(16))
        );
    }

    /// Regression: every lexing error was kept, with its token, before the reports
    /// were cut to `MAX_SYNTAX_ERRORS`: 3 MB of `@` took 2.1 GB. Past the cap they are
    /// only counted, and the last report says how many were hidden.
    #[test]
    fn lexing_errors_past_the_cap_are_counted_not_kept() {
        const MISTAKES: usize = 100_000;
        let src = "@ ".repeat(MISTAKES);
        let lexed = token::lex(&src, 0);
        assert_eq!(lexed.errors.len(), MAX_SYNTAX_ERRORS);
        assert_eq!(lexed.hidden_errors, MISTAKES - MAX_SYNTAX_ERRORS);
        assert_eq!(lexed.tokens.len(), MAX_SYNTAX_ERRORS);
        let parsed = parse(&src, 0);
        assert_eq!(parsed.diagnostics.len(), MAX_SYNTAX_ERRORS);
        let notes = &parsed.diagnostics[MAX_SYNTAX_ERRORS - 1].notes;
        let hidden = MISTAKES - MAX_SYNTAX_ERRORS;
        assert_eq!(
            notes,
            &[format!(
                "{hidden} more syntax errors not shown; fix these first"
            )]
        );
    }

    #[test]
    fn huge_number_is_an_error_not_inf() {
        let parsed = parse("let x = 1e999", 0);
        assert_eq!(parsed.diagnostics.len(), 1, "{:?}", parsed.diagnostics);
        assert!(parsed.diagnostics[0].message.contains("too large"));
    }
}
