//! A dense layer written without its activation, `dense 4` and then the next layer.
//! The parser only notices at the next token, which may be a line further down; the
//! report belongs at the layer that lacks it.

use super::token::Token;
use crate::diagnostics::{Diagnostic, Span};
use crate::signature::{self as sig, ACTIVATIONS};

/// The report for a parse error at `at` that expected an activation, when the layer
/// before it ends where its line (or block, or input) ends: anchored at the `dense …`
/// it belongs to. `tokens` are the tokens the parser read, lexed from `src`, whose
/// spans start at `base`. None when the token found continues the layer's line
/// (`dense 4 "relu"`), which the parser's own report describes better.
pub fn missing(
    at: Span,
    tokens: &[(Token<'_>, Span)],
    src: &str,
    base: usize,
) -> Option<Diagnostic> {
    let found = tokens.partition_point(|(_, s)| s.start < at.start);
    let last = found.checked_sub(1)?;
    let ends_the_layer = match tokens.get(found) {
        None | Some((Token::RBrace, _)) => true,
        Some((_, next)) => {
            let between = src.get(tokens[last].1.end - base..next.start - base);
            between.is_some_and(|text| text.contains('\n'))
        }
    };
    if !ends_the_layer {
        return None;
    }
    let dense = tokens[..=last]
        .iter()
        .rposition(|(t, _)| matches!(t, Token::Dense | Token::LBrace | Token::RBrace))
        .filter(|&i| tokens[i].0 == Token::Dense)?;
    let layer = Span::new(tokens[dense].1.start, tokens[last].1.end);
    let written = src.get(layer.start - base..layer.end - base)?;
    if let Some(bare) = called(&tokens[dense + 1..=last], src, base) {
        return Some(
            Diagnostic::error("a dense layer is written without parentheses")
                .with_label(layer, format!("write `dense {bare}`"))
                .with_help("a dense layer is `dense WIDTH ACTIVATION`, for example `dense 8 relu`"),
        );
    }
    Some(
        Diagnostic::error("this dense layer has no activation")
            .with_label(
                layer,
                format!("write its activation after the width, such as `{written} relu`"),
            )
            .with_help(format!(
                "the activations are {}",
                sig::names(ACTIVATIONS).collect::<Vec<_>>().join(", ")
            )),
    )
}

/// `(4, relu)`, the width of `dense(4, relu)` written as a call, as its items
/// separated by spaces: `4 relu`. None if `width` is not one parenthesised list.
fn called(width: &[(Token<'_>, Span)], src: &str, base: usize) -> Option<String> {
    let [(Token::LParen, open), inner @ .., (Token::RParen, close)] = width else {
        return None;
    };
    let mut depth = 0usize;
    let mut cuts = vec![open.end];
    for (token, at) in inner {
        match token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth = depth.checked_sub(1)?,
            Token::Comma if depth == 0 => cuts.extend([at.start, at.end]),
            _ => {}
        }
    }
    if cuts.len() == 1 {
        return None;
    }
    cuts.push(close.start);
    let items: Option<Vec<&str>> = cuts
        .chunks(2)
        .map(|c| src.get(c[0] - base..c[1] - base).map(str::trim))
        .collect();
    Some(items?.join(" "))
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    fn messages(src: &str) -> Vec<String> {
        parse(src, 0)
            .diagnostics
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    /// Before a new line, a `}` or the end of input, the layer is reported, once.
    #[test]
    fn a_layer_that_ends_without_activation_is_reported_at_the_layer() {
        for src in [
            "network n { input 2\n dense 4\n dense 1 relu }",
            "network n { input 2 repeat 2 { dense 4 } }",
            "network n { input 2 dense 2 * 2",
        ] {
            let parsed = parse(src, 0);
            let [only] = parsed.diagnostics.as_slice() else {
                panic!("{src}: {:?}", parsed.diagnostics);
            };
            assert_eq!(only.message, "this dense layer has no activation", "{src}");
            let at = only.primary_span();
            assert!(src[at.range()].starts_with("dense"), "{src}");
        }
    }

    /// `dense(4, relu)` is a call where gradlab writes words.
    #[test]
    fn a_dense_layer_written_as_a_call_is_written_bare() {
        let parsed = parse("network n { input 2\n dense(4, relu)\n dense 1 relu }", 0);
        let [only] = parsed.diagnostics.as_slice() else {
            panic!("{:?}", parsed.diagnostics);
        };
        assert_eq!(only.message, "a dense layer is written without parentheses");
        assert_eq!(only.labels[0].message, "write `dense 4 relu`");
    }

    /// A token on the layer's own line is what is wrong: the parser says so.
    #[test]
    fn a_wrong_token_on_the_line_keeps_the_parser_report() {
        let found = messages("network n { input 2 dense 4 \"relu\" }");
        assert!(found[0].contains("found string"), "{found:?}");
    }
}
