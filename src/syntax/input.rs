//! Whether an input is finished: the parser's answer to the REPL's "does this need
//! another line?". The answer comes from what went wrong, not from where: an input
//! is partial when a bracket is still open, or when every syntax error found the end
//! of the input (`let x = 1 +`, `train n on`). Any other error cannot be mended by
//! more lines, so the input is submitted and reported.

use chumsky::error::{Rich, RichReason};
use chumsky::span::SimpleSpan;

use super::token::{self, Token};
use super::{mistakes, parser};

/// How far a piece of input is from a whole program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputStatus {
    /// It parses.
    Complete,
    /// It is unfinished: more lines could make it parse.
    Partial,
    /// It has an error that more lines cannot mend.
    Failed,
}

/// Classifies `src` (an input on its own, its spans starting at 0).
pub fn input_status(src: &str) -> InputStatus {
    let lexed = token::lex(src, 0);
    if lexed.too_deep {
        return InputStatus::Failed;
    }
    // The tokens as the parser will read them: a `(` left open before the next
    // setting is closed there (and reported), so it does not hold the input open.
    let (tokens, _) = mistakes::mend(lexed.tokens, src, 0);
    // An unclosed delimiter continues whatever else is wrong inside it: the error is
    // reported once the block is closed, not halfway through it.
    match open_brackets(&tokens) {
        depth if depth > 0 => return InputStatus::Partial,
        depth if depth < 0 => return InputStatus::Failed,
        _ => {}
    }
    if !lexed.errors.is_empty() {
        return InputStatus::Failed;
    }
    let (_, errors) = parser::parse_tokens(tokens, src.len());
    if errors.is_empty() {
        InputStatus::Complete
    } else if errors.iter().all(found_end_of_input) {
        InputStatus::Partial
    } else {
        InputStatus::Failed
    }
}

/// Opening brackets minus closing ones, of any kind.
fn open_brackets(tokens: &[(Token<'_>, crate::diagnostics::Span)]) -> isize {
    tokens
        .iter()
        .map(|(token, _)| match token {
            Token::LParen | Token::LBracket | Token::LBrace => 1,
            Token::RParen | Token::RBracket | Token::RBrace => -1,
            _ => 0,
        })
        .sum()
}

/// The parser wanted more and the input ended.
fn found_end_of_input(error: &Rich<'static, String, SimpleSpan>) -> bool {
    matches!(
        error.reason(),
        RichReason::ExpectedFound { found: None, .. }
    )
}

#[cfg(test)]
mod tests {
    use super::InputStatus::{Complete, Failed, Partial};
    use super::*;

    #[test]
    fn open_brackets_and_cut_constructs_are_partial() {
        for src in [
            "network n {",
            "network n {\n  input 1",
            "network n {\n  dense relu",
            "let x = [1,",
            "let x = 1 +",
            "let x =",
            "train n on",
            // The `(` is closed where `steps` begins; the block is still open.
            "train n on xor() {\n  optimizer sgd(lr=0.1\n  steps 3",
        ] {
            assert_eq!(input_status(src), Partial, "{src}");
        }
    }

    #[test]
    fn finished_inputs_are_complete() {
        for src in [
            "network n {\n  input 1\n  dense 1 relu\n}",
            "let x = 1 + 2",
            "",
        ] {
            assert_eq!(input_status(src), Complete, "{src}");
        }
    }

    /// A `(` that the next statement shows was never closed does not wait for more
    /// lines: the input is submitted, and its report says to close it.
    #[test]
    fn a_bracket_left_open_before_a_statement_is_submitted() {
        assert_eq!(input_status("let x = (1\nprint x"), Complete);
    }

    #[test]
    fn errors_more_lines_cannot_mend_fail() {
        for src in ["let x = ]", "let = 1 +", "let x = \"abc", "let x = (1))"] {
            assert_eq!(input_status(src), Failed, "{src}");
        }
    }
}
