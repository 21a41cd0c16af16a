//! Arguments written where there is no room for them: a network parameter without
//! its default (`network n(depth)`), an optimizer's parameters after its name
//! (`optimizer adam, lr=0.01`).

use super::super::token::Token;
use super::{Block, Mender};
use crate::diagnostics::{Diagnostic, Span};
use crate::signature;

impl<'s> Mender<'s> {
    /// `network n(depth)`: reported at `depth`, token `i`, which gets a stand-in
    /// default so the parser reads on; with a syntax error reported, nothing is
    /// checked or run.
    pub(super) fn parameter_default(&mut self, i: usize, word: &str) -> usize {
        let span = self.span(i);
        self.report(
            Diagnostic::error("a network's parameter needs a default value")
                .with_label(span, format!("write `{word} = …`"))
                .with_help(format!(
                    "for example `network {}({word} = 4)`; a call such as \
                     `{0}({word} = 8)` gives it another value",
                    self.network_name()
                )),
        );
        let at = Span::new(span.end, span.end);
        self.keep(i);
        self.out.push((Token::Eq, at));
        self.out.push((Token::Num(1.0), at));
        i + 1
    }

    /// True if token `i` is a parameter of a network's header written without its
    /// default: the `depth` of `network n(depth) {`.
    pub(super) fn parameter_without_default(&self, i: usize) -> bool {
        self.statement == Some(Token::Network)
            && matches!(self.open_brackets.as_slice(), [(Token::LParen, _)])
            && matches!(
                self.token(i.wrapping_sub(1)),
                Some(Token::LParen | Token::Comma)
            )
            && matches!(self.token(i + 1), Some(Token::Comma | Token::RParen))
    }

    /// The optimizer named just before token `i`, `word`, if `word = …` is an
    /// optimizer's parameter written after it instead of in its parentheses:
    /// `optimizer adam, lr=0.01` or `optimizer adam lr=0.01`.
    pub(super) fn optimizer_parameter_outside(&self, i: usize, word: &str) -> Option<&'s str> {
        if self.block() != Some(Block::Run)
            || !self.open_brackets.is_empty()
            || self.token(i + 1) != Some(&Token::Eq)
        {
            return None;
        }
        let mut before = self.out.as_slice();
        if let [rest @ .., (Token::Comma, _)] = before {
            before = rest;
        }
        let [.., (Token::Ident("optimizer"), _), (Token::Ident(name), _)] = before else {
            return None;
        };
        // Any optimizer's parameter: `sgd, betas=…` is still meant for the optimizer,
        // and the checker says which parameters `sgd` takes once it is in place.
        signature::OPTIMIZERS
            .iter()
            .any(|o| o.params.iter().any(|p| p.name == word))
            .then_some(*name)
    }

    /// `optimizer adam, lr=0.01, eps=1e-6`: reported once, and mended into
    /// `optimizer adam(lr=0.01, eps=1e-6)`.
    pub(super) fn optimizer_arguments(&mut self, i: usize, word: &str) -> usize {
        let name = self.optimizer_parameter_outside(i, word).unwrap_or("sgd");
        if self.out.last().is_some_and(|(t, _)| *t == Token::Comma) {
            self.out.pop();
        }
        let start = self.span(i).start;
        self.out.push((Token::LParen, Span::new(start, start)));
        let mut j = i;
        loop {
            // `NAME =`, then one value: a bracketed group, or a (negated) operand.
            j = self.keep(j);
            j = self.keep(j);
            if self.token(j) == Some(&Token::Minus) {
                j = self.keep(j);
            }
            let depth = self.open_brackets.len();
            if !matches!(self.token(j), None | Some(Token::RBrace | Token::Comma)) {
                j = self.keep(j);
            }
            while self.open_brackets.len() > depth && j < self.input.len() {
                j = self.keep(j);
            }
            let another = self.token(j) == Some(&Token::Comma)
                && matches!(self.token(j + 1), Some(Token::Ident(_)))
                && self.token(j + 2) == Some(&Token::Eq);
            if !another {
                break;
            }
            j = self.keep(j);
        }
        let end = self.span(j - 1).end;
        self.out.push((Token::RParen, Span::new(end, end)));
        let whole = Span::new(start, end);
        let arguments = self.text(whole);
        self.report(
            Diagnostic::error("an optimizer's parameters go in its parentheses")
                .with_label(whole, format!("write `optimizer {name}({arguments})`")),
        );
        j
    }

    /// The name of the network whose header is being read.
    fn network_name(&self) -> &'s str {
        let network = self.out.iter().rposition(|(t, _)| *t == Token::Network);
        match network.and_then(|n| self.out.get(n + 1)) {
            Some((Token::Ident(name), _)) => name,
            _ => "net",
        }
    }
}
