//! Brackets left open, and braces left out: `sgd(lr=0.1` before the next setting,
//! `repeat 3 dense 4 relu`. Each is closed (or opened) where the line shows it was
//! meant to be, so that the parser goes on as if it had been written.

use super::super::parser::STATEMENT_KEYWORDS;
use super::super::token::Token;
use super::{Block, LAYER_TOKENS, Mender};
use crate::diagnostics::{Diagnostic, Span};
use crate::signature::RUN_SETTINGS;

impl<'s> Mender<'s> {
    /// True if token `i` can only begin a statement, a layer or a setting, never
    /// continue an expression: a keyword such as `print` or `dense`, or in a run block
    /// a setting's name followed by its value (`steps 10`; `momentum=0.9` or `steps - 1`
    /// may be an argument, and no expression sets two operands side by side).
    /// Newlines mean nothing, so this is what says that a bracket still open before
    /// it was meant to be closed.
    pub(super) fn begins_something_new(&self, i: usize) -> bool {
        match self.token(i) {
            Some(Token::Ident(word)) => {
                self.block() == Some(Block::Run)
                    && RUN_SETTINGS.iter().any(|(name, _)| name == word)
                    && matches!(
                        self.token(i + 1),
                        Some(Token::Num(_) | Token::Ident(_) | Token::Str(_))
                    )
            }
            Some(token) => STATEMENT_KEYWORDS.contains(token) || LAYER_TOKENS.contains(token),
            None => false,
        }
    }

    /// Reports the brackets still open before token `i` and closes them where the
    /// line before `i` ends, so that the parser goes on as if they had been closed.
    pub(super) fn close_brackets(&mut self, i: usize) {
        let end = self.span(i - 1).end;
        let place = if self.starts_a_line(i) {
            "at the end of the line".to_string()
        } else {
            format!("before `{}`", self.text(self.span(i)))
        };
        let open = std::mem::take(&mut self.open_brackets);
        let closers: String = open
            .iter()
            .rev()
            .map(|(t, _)| if *t == Token::LBracket { ']' } else { ')' })
            .collect();
        let (first, first_at) = open[0].clone();
        let mut report = Diagnostic::error(format!("this `{first}` is not closed"))
            .with_label(first_at, "opened here");
        for (token, at) in &open[1..] {
            report = report.with_label(*at, format!("nor is this `{token}`"));
        }
        self.report(
            report
                .with_label(Span::new(end, end), format!("add `{closers}` here"))
                .with_help(format!("add `{closers}` {place}")),
        );
        for closer in closers.chars() {
            let token = if closer == ']' {
                Token::RBracket
            } else {
                Token::RParen
            };
            self.out.push((token, Span::new(end, end)));
        }
    }

    /// `repeat 3 dense 4 relu`: the layer that `repeat` (or `residual`) holds, written
    /// without braces. Reported, and mended into `repeat 3 { dense 4 relu }`, the
    /// block holding the rest of the line.
    pub(super) fn layer_without_braces(&mut self, i: usize) -> usize {
        let start = self.span(i).start;
        let line_end = self.line_end(start);
        // To the end of the line, or of the block around, past the layer's own blocks.
        let (mut j, mut depth) = (i, 0usize);
        while j < self.input.len() && (self.span(j).start < line_end || depth > 0) {
            match self.token(j) {
                Some(Token::LBrace) => depth += 1,
                Some(Token::RBrace) if depth == 0 => break,
                Some(Token::RBrace) => depth -= 1,
                _ => {}
            }
            j += 1;
        }
        let end = self.span(j - 1).end;
        let outer = self
            .out
            .iter()
            .rposition(|(t, _)| matches!(t, Token::Repeat | Token::Residual))
            .map_or(start, |n| self.out[n].1.start);
        let head = self.text(Span::new(outer, start)).trim_end();
        let first_line = Span::new(start, end.min(line_end));
        let mut body = self.text(first_line).trim_end().to_string();
        if end > line_end {
            // The layer's own block: its first line stands for it.
            body.push_str(" … }");
        }
        let keyword = head.split_whitespace().next().unwrap_or("repeat");
        self.report(
            Diagnostic::error(format!("the layers of `{keyword}` go in braces"))
                .with_label(first_line, "write this layer in `{ … }`")
                .with_help(format!("write `{head} {{ {body} }}`")),
        );
        let open = (Token::LBrace, Span::new(start, start));
        self.track(&open.0, open.1);
        self.out.push(open);
        for k in i..j {
            self.keep(k);
        }
        let close = (Token::RBrace, Span::new(end, end));
        self.track(&close.0, close.1);
        self.out.push(close);
        j
    }
}
