//! Mistakes people make often, recognised in the tokens before parsing. Each gets the
//! report a person needs (`trian` → did you mean `train`?, `**` → powers are `^`), and
//! the tokens are mended, so that the parser reports only what is left instead of a
//! generic error at some later token.

use logos::Logos;

mod arguments;
mod brackets;

use super::token::Token;
use crate::diagnostics::{Diagnostic, Span};
use crate::signature::{self, RUN_SETTINGS, SHOW, did_you_mean};

/// What a block holds, which decides the words expected at the start of a line in it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Block {
    Network,
    Run,
    Other,
}

/// The keywords a statement starts with.
pub(super) const STATEMENTS: &[&str] = &[
    "let",
    "print",
    "network",
    "data",
    "train",
    "compare",
    "explain",
    "sweep",
    "seed",
    "precision",
    // Not a keyword: a word the grammar gives meaning only at the start of a statement.
    "save",
];

const LAYERS: &[&str] = &["input", "dense", "repeat", "residual"];

/// The keywords that begin a layer, which no expression holds.
const LAYER_TOKENS: &[Token<'static>] =
    &[Token::Input, Token::Dense, Token::Repeat, Token::Residual];

/// Finds the mistakes in `tokens` (lexed from `src`, whose spans start at `base`),
/// reports each, and mends the tokens.
pub fn mend<'s>(
    tokens: Vec<(Token<'s>, Span)>,
    src: &'s str,
    base: usize,
) -> (Vec<(Token<'s>, Span)>, Vec<Diagnostic>) {
    let mut mender = Mender {
        src,
        base,
        input: tokens,
        out: Vec::new(),
        diagnostics: Vec::new(),
        blocks: Vec::new(),
        statement: None,
        open_brackets: Vec::new(),
    };
    mender.run();
    (mender.out, mender.diagnostics)
}

struct Mender<'s> {
    src: &'s str,
    base: usize,
    input: Vec<(Token<'s>, Span)>,
    out: Vec<(Token<'s>, Span)>,
    diagnostics: Vec<Diagnostic>,
    /// The blocks open at the current token, innermost last.
    blocks: Vec<Block>,
    /// The keyword that began the statement (or layer) the current token is in.
    statement: Option<Token<'s>>,
    /// Round and square brackets open at the current token, innermost last.
    open_brackets: Vec<(Token<'s>, Span)>,
}

impl<'s> Mender<'s> {
    fn run(&mut self) {
        let mut i = 0;
        while i < self.input.len() {
            i = self.step(i);
        }
    }

    fn token(&self, i: usize) -> Option<&Token<'s>> {
        self.input.get(i).map(|(t, _)| t)
    }

    fn span(&self, i: usize) -> Span {
        self.input[i].1
    }

    /// The source text of `span`.
    fn text(&self, span: Span) -> &'s str {
        let start = span.start.saturating_sub(self.base);
        let end = span.end.saturating_sub(self.base);
        self.src.get(start..end).unwrap_or_default()
    }

    /// True if token `i` is the first of its line, or follows a bracket that opens or
    /// closes a block: where a statement, a layer or a setting starts.
    /// Past the last token counts as a new line: `network n { input 1,` ends there.
    fn starts_a_line(&self, i: usize) -> bool {
        if i >= self.input.len() {
            return true;
        }
        if i == 0 || matches!(self.token(i - 1), Some(Token::LBrace | Token::RBrace)) {
            return true;
        }
        let start = self.span(i).start.saturating_sub(self.base);
        let before = self.src.get(..start).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        before[line_start..].trim().is_empty()
    }

    /// True if tokens `i` and `i + 1` touch, as the two characters of `**` or `//` do.
    fn touch(&self, i: usize) -> bool {
        i + 1 < self.input.len() && self.span(i).end == self.span(i + 1).start
    }

    fn keep(&mut self, i: usize) -> usize {
        let (token, span) = self.input[i].clone();
        self.track(&token, span);
        self.out.push((token, span));
        i + 1
    }

    /// Keeps the block stack and the current statement up to date with `token`.
    fn track(&mut self, token: &Token<'s>, span: Span) {
        match token {
            Token::LBrace => {
                let block = match &self.statement {
                    Some(Token::Network | Token::Repeat | Token::Residual) => Block::Network,
                    Some(Token::Train | Token::Compare | Token::Explain | Token::Sweep) => {
                        Block::Run
                    }
                    _ => Block::Other,
                };
                self.blocks.push(block);
                self.statement = None;
            }
            Token::RBrace => {
                self.blocks.pop();
                self.statement = None;
            }
            Token::LParen | Token::LBracket => self.open_brackets.push((token.clone(), span)),
            Token::RParen | Token::RBracket => {
                self.open_brackets.pop();
            }
            Token::Let
            | Token::Print
            | Token::Network
            | Token::Data
            | Token::Train
            | Token::Compare
            | Token::Explain
            | Token::Sweep
            | Token::Seed
            | Token::Precision
            | Token::Input
            | Token::Dense
            | Token::Repeat
            | Token::Residual => self.statement = Some(token.clone()),
            _ => {}
        }
    }

    fn block(&self) -> Option<Block> {
        self.blocks.last().copied()
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Looks at token `i`, reports and mends a mistake that starts there, and returns
    /// the index of the next token to look at.
    fn step(&mut self, i: usize) -> usize {
        if !self.open_brackets.is_empty() && self.begins_something_new(i) {
            self.close_brackets(i);
        }
        let span = self.span(i);
        let next = self.token(i + 1).cloned();
        match self.token(i).cloned() {
            Some(Token::Slash) if self.touch(i) && self.token(i + 1) == Some(&Token::Slash) => {
                self.comment(i)
            }
            Some(Token::Star) if self.touch(i) && next == Some(Token::Star) => {
                let both = Span::new(span.start, self.span(i + 1).end);
                self.report(
                    Diagnostic::error("gradlab writes powers as `^`, not `**`")
                        .with_label(both, "write `^` here")
                        .with_help("for example `2 ^ 3`"),
                );
                self.track(&Token::Caret, both);
                self.out.push((Token::Caret, both));
                i + 2
            }
            Some(Token::Ident(activation))
                if self.out.last().is_some_and(|(t, _)| *t == Token::Dense)
                    && signature::find(signature::ACTIVATIONS, activation).is_some()
                    && matches!(next, Some(Token::Num(_))) =>
            {
                self.width_after_activation(i, activation)
            }
            Some(Token::Ident("activation"))
                if self.block() == Some(Block::Network) && next == Some(Token::Eq) =>
            {
                self.activation_attribute(i)
            }
            Some(token)
                if LAYER_TOKENS.contains(&token)
                    && matches!(self.statement, Some(Token::Repeat | Token::Residual))
                    && self.open_brackets.is_empty() =>
            {
                self.layer_without_braces(i)
            }
            Some(Token::Ident(word)) if self.parameter_without_default(i) => {
                self.parameter_default(i, word)
            }
            Some(Token::Ident(word)) if self.optimizer_parameter_outside(i, word).is_some() => {
                self.optimizer_arguments(i, word)
            }
            Some(Token::Ident(word)) if self.setting_without_value(i, word) => {
                let meaning = RUN_SETTINGS
                    .iter()
                    .find(|(name, _)| *name == word)
                    .map_or("", |(_, meaning)| *meaning);
                self.report(
                    Diagnostic::error(format!("`{word}` needs a value"))
                        .with_label(span, format!("write `{word} …` here"))
                        .with_help(format!("`{word}` sets {meaning}")),
                );
                i + 1
            }
            Some(Token::Ident(word)) if self.outside_the_run_block(i, word) => {
                let line_end = self.line_end(span.start);
                let rest = self.text(Span::new(span.start, line_end)).trim_end();
                self.report(
                    Diagnostic::error("a run's settings go in braces")
                        .with_label(span, "this setting is outside the run's `{ … }`")
                        .with_help(format!("write them after the data: `… {{ {rest} }}`")),
                );
                self.keep(i)
            }
            Some(Token::Ident(word)) if self.starts_a_line(i) => self.unknown_word(i, word, next),
            Some(Token::Comma)
                if self.block() == Some(Block::Network)
                    && self.open_brackets.is_empty()
                    && (next == Some(Token::RBrace)
                        || next.as_ref().is_some_and(|t| LAYER_TOKENS.contains(t))
                        || self.starts_a_line(i + 1)) =>
            {
                self.report(
                    Diagnostic::error("layers are written one per line, without commas")
                        .with_label(span, "remove this `,`"),
                );
                i + 1
            }
            Some(keyword @ (Token::Seed | Token::Precision))
                if self.block().is_none() && next == Some(Token::Eq) =>
            {
                let value = self.input.get(i + 2).map_or("…", |(_, at)| self.text(*at));
                self.report(
                    Diagnostic::error(format!("`{keyword}` takes its value without `=`"))
                        .with_label(self.span(i + 1), "remove this `=`")
                        .with_help(format!("write `{keyword} {value}`")),
                );
                self.keep(i);
                i + 2
            }
            Some(Token::Step) if self.block() == Some(Block::Run) && self.starts_a_line(i) => {
                self.unknown_setting(i, "step")
            }
            _ => self.keep(i),
        }
    }

    /// Where the line holding offset `at` ends.
    fn line_end(&self, at: usize) -> usize {
        self.src[at.saturating_sub(self.base)..]
            .find('\n')
            .map_or(self.base + self.src.len(), |n| at + n)
    }

    /// True if `word`, token `i`, is a run setting with nothing after it: `steps }`.
    /// Only where a setting must begin (after `{`, `;`, or a value that ends with a
    /// number, a string or a bracket), so that `show loss }` keeps its value `loss`.
    fn setting_without_value(&self, i: usize, word: &str) -> bool {
        self.block() == Some(Block::Run)
            && self.open_brackets.is_empty()
            && RUN_SETTINGS.iter().any(|(name, _)| *name == word)
            && matches!(self.token(i + 1), None | Some(Token::RBrace | Token::Semi))
            && matches!(
                self.token(i.wrapping_sub(1)),
                Some(
                    Token::LBrace
                        | Token::Semi
                        | Token::Num(_)
                        | Token::Str(_)
                        | Token::RParen
                        | Token::RBracket
                )
            )
    }

    /// True if `word`, token `i`, is a run setting written after a run's data with no
    /// block around it: `train net on xor() steps 10`.
    fn outside_the_run_block(&self, i: usize, word: &str) -> bool {
        self.block().is_none()
            && matches!(
                self.statement,
                Some(Token::Train | Token::Compare | Token::Explain | Token::Sweep)
            )
            && matches!(
                self.token(i.wrapping_sub(1)),
                Some(Token::RParen | Token::Ident(_))
            )
            && RUN_SETTINGS.iter().any(|(name, _)| *name == word)
    }

    /// `// text`: skipped to the end of its line, as a `#` comment would be.
    fn comment(&mut self, i: usize) -> usize {
        let start = self.span(i).start;
        let line_end = self.line_end(start);
        let text = self.text(Span::new(start, line_end)).trim_end();
        self.report(
            Diagnostic::error("comments start with `#`")
                .with_label(Span::new(start, start + 2), "not a comment in gradlab")
                .with_help(format!("write `#{}`", text.trim_start_matches('/'))),
        );
        let mut j = i;
        while j < self.input.len() && self.span(j).start < line_end {
            j += 1;
        }
        j
    }

    /// An identifier at the start of a line: a misspelt statement, layer or `show`.
    fn unknown_word(&mut self, i: usize, word: &'s str, next: Option<Token<'s>>) -> usize {
        let span = self.span(i);
        let followed_by_word_or_number =
            matches!(next, Some(Token::Ident(_) | Token::Num(_) | Token::LBrace));
        match self.block() {
            // `save` is itself an identifier: only a near miss is a mistake.
            None if matches!(next, Some(Token::Ident(_))) && !STATEMENTS.contains(&word) => {
                if let Some(keyword) = suggest(word, STATEMENTS) {
                    self.report(
                        Diagnostic::error(format!("unknown statement `{word}`"))
                            .with_label(span, format!("did you mean `{keyword}`?")),
                    );
                    return self.replace(i, keyword);
                }
            }
            Some(Block::Network) if followed_by_word_or_number => {
                if let Some(keyword) = suggest(word, LAYERS) {
                    self.report(
                        Diagnostic::error(format!("unknown layer `{word}`"))
                            .with_label(span, format!("did you mean `{keyword}`?"))
                            .with_help(
                                "a network holds `input N`, `dense WIDTH ACTIVATION`, \
                                 `repeat N { … }` and `residual { … }`",
                            ),
                    );
                    return self.replace(i, keyword);
                }
            }
            Some(Block::Run) if word == "show" => return self.show_list(i),
            _ => {}
        }
        self.keep(i)
    }

    /// A keyword where a run block's setting is expected: `step 10` for `steps 10`.
    fn unknown_setting(&mut self, i: usize, word: &str) -> usize {
        let settings = RUN_SETTINGS.iter().map(|(name, _)| *name);
        let Some(setting) = did_you_mean(word, settings) else {
            return self.keep(i);
        };
        self.report(
            Diagnostic::error(format!("unknown setting `{word}`"))
                .with_label(self.span(i), format!("did you mean `{setting}`?")),
        );
        let span = self.span(i);
        let name: &'static str = RUN_SETTINGS
            .iter()
            .map(|(name, _)| *name)
            .find(|name| *name == setting)
            .expect("a run setting");
        self.out.push((Token::Ident(name), span));
        i + 1
    }

    /// Replaces token `i` with the keyword `keyword` names.
    fn replace(&mut self, i: usize, keyword: &'static str) -> usize {
        let token = match Token::lexer(keyword).next() {
            // A word that means something only where the grammar uses it (`save`).
            Some(Ok(Token::Ident(_))) => Token::Ident(keyword),
            Some(Ok(token)) => token,
            _ => return self.keep(i),
        };
        self.track(&token, self.span(i));
        self.out.push((token, self.span(i)));
        i + 1
    }

    /// `activation="relu"` or `activation=relu` on a layer, for `dense 8 relu`.
    fn activation_attribute(&mut self, i: usize) -> usize {
        let value = i + 2;
        let (name, end) = match self.token(value) {
            Some(Token::Str(_)) => {
                let quoted = self.text(self.span(value));
                (quoted.trim_matches('"'), self.span(value).end)
            }
            Some(Token::Ident(name)) => (*name, self.span(value).end),
            _ => ("relu", self.span(i + 1).end),
        };
        let whole = Span::new(self.span(i).start, end);
        self.report(
            Diagnostic::error("a layer's activation is written bare")
                .with_label(whole, format!("write `{name}` here"))
                .with_help(format!("for example `dense 8 {name}`")),
        );
        if matches!(self.token(value), Some(Token::Str(_) | Token::Ident(_))) {
            self.out.push((Token::Ident(name), self.span(value)));
            value + 1
        } else {
            i + 2
        }
    }

    /// `dense relu 4`: the activation (token `i`) before the width. Reported, and the
    /// two are swapped for the parser.
    fn width_after_activation(&mut self, i: usize, activation: &str) -> usize {
        let width = self.text(self.span(i + 1));
        let both = Span::new(self.span(i).start, self.span(i + 1).end);
        self.report(
            Diagnostic::error("a dense layer's width comes before its activation")
                .with_label(both, format!("write `{width} {activation}`"))
                .with_help(format!("for example `dense {width} {activation}`")),
        );
        self.keep(i + 1);
        self.keep(i);
        i + 2
    }

    /// `show gradients weights`: the items of `show` are separated by commas.
    fn show_list(&mut self, i: usize) -> usize {
        let mut j = self.keep(i);
        let items: Vec<&str> = signature::names(SHOW).collect();
        let is_item =
            |t: Option<&Token<'s>>| matches!(t, Some(Token::Ident(w)) if items.contains(w));
        while is_item(self.token(j)) {
            j = self.keep(j);
            if is_item(self.token(j)) && !self.starts_a_line(j) {
                let span = self.span(j);
                let previous = self.text(self.span(j - 1));
                let word = self.text(span);
                self.report(
                    Diagnostic::error("separate what `show` prints with `,`")
                        .with_label(span, "a `,` is missing before this")
                        .with_help(format!("write `show {previous}, {word}`")),
                );
                self.out
                    .push((Token::Comma, Span::new(span.start, span.start)));
            } else if self.token(j) == Some(&Token::Comma) {
                j = self.keep(j);
            } else {
                break;
            }
        }
        j
    }
}

/// The word of `words` that `word` is a likely misspelling of.
fn suggest(word: &str, words: &'static [&'static str]) -> Option<&'static str> {
    let best = did_you_mean(word, words)?;
    words.iter().copied().find(|w| *w == best)
}

#[cfg(test)]
mod tests {
    use super::super::{parse, token};
    use super::*;

    /// Every example and grammar snippet that parses is left exactly as it is.
    #[test]
    fn valid_scripts_are_untouched() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).expect("examples") {
            let path = entry.expect("an entry").path();
            if path.extension().is_none_or(|e| e != "grad") {
                continue;
            }
            let src = std::fs::read_to_string(&path).expect("an example");
            let tokens = token::lex(&src, 0).tokens;
            let (mended, reports) = mend(tokens.clone(), &src, 0);
            assert!(reports.is_empty(), "{}: {reports:?}", path.display());
            assert_eq!(mended, tokens, "{}", path.display());
            seen += 1;
        }
        assert!(seen >= 10, "only {seen} examples");
    }

    /// After mending, the parser has nothing left to report: one mistake, one report.
    #[test]
    fn a_mended_mistake_is_the_only_report() {
        let net = "network n { input 2 dense 4 relu dense 1 sigmoid }\n";
        for (src, says) in [
            ("trian n on xor() { steps 3 }", "unknown statement `trian`"),
            ("explian n on xor()", "unknown statement `explian`"),
            ("sav n to \"n.safetensors\"", "unknown statement `sav`"),
            ("train n on xor() { step 10 }", "unknown setting `step`"),
            ("let a = 2 ** 3", "powers"),
            ("train n on xor() { show loss gradients }", "separate"),
            ("// note\nlet a = 1", "comments start with `#`"),
            ("network m { imput 1 dens 2 relu }", "unknown layer `imput`"),
            (
                "network m { input 1 dense 2 activation=tanh }",
                "activation",
            ),
            (
                "train n on xor() {\n optimizer sgd(lr=0.1, momentum=0.9\n steps 3\n}",
                "this `(` is not closed",
            ),
            (
                "network m { input 1\n dense 2 relu init=normal(0, [1\n dense 1 relu }",
                "this `(` is not closed",
            ),
            ("let a = (1 + 2\nprint a", "this `(` is not closed"),
            ("network m { input 1 dense relu 2 }", "width comes before"),
            (
                "train n on xor() { show loss every 10 steps }",
                "`steps` needs a value",
            ),
            (
                "train n on xor() { steps 3\n batch\n}",
                "`batch` needs a value",
            ),
            (
                "train n on xor() { optimizer adam(lr=0.01 steps 3 }",
                "this `(` is not closed",
            ),
            (
                "network m(depth, w = 2) { input 1 repeat depth { dense 1 relu } }",
                "needs a default value",
            ),
            (
                "train n on xor() { optimizer adam, lr=0.01, betas=(0.9, 0.99)\n steps 3 }",
                "parentheses",
            ),
            ("train n on xor() { optimizer sgd lr=-0.1 }", "parentheses"),
            (
                "network m { input 1\n repeat 3 dense 2 relu\n dense 1 relu }",
                "go in braces",
            ),
            (
                "network m { input 1 residual dense 1 relu }",
                "go in braces",
            ),
            (
                "network m { input 1\n repeat 2 repeat 3 {\n dense 1 relu\n }\n}",
                "go in braces",
            ),
            (
                "network m { input 1 dense 2 relu, dense 1 relu }",
                "without commas",
            ),
        ] {
            let src = format!("{net}{src}");
            let parsed = parse(&src, 0);
            let messages: Vec<&str> = parsed
                .diagnostics
                .iter()
                .map(|d| d.message.as_str())
                .collect();
            assert!(
                messages.first().is_some_and(|m| m.contains(says)),
                "{src}: {messages:?}"
            );
            let extra = if src.contains("dens 2") { 2 } else { 1 };
            assert_eq!(messages.len(), extra, "{src}: {messages:?}");
            assert!(parsed.program.is_some(), "{src}");
        }
    }

    /// A comma that ends the input inside a network block is reported, not a panic
    /// (the token after it was looked up).
    #[test]
    fn a_comma_at_the_end_of_a_network_block_is_a_report() {
        for src in ["repeat { ,", "network n { input 1,"] {
            let tokens = token::lex(src, 0).tokens;
            let (_, reports) = mend(tokens, src, 0);
            assert!(
                reports.iter().any(|d| d.message.contains("without commas")),
                "{src}: {reports:?}"
            );
        }
    }

    /// A word that is no near miss is left to the parser and the checker.
    #[test]
    fn unknown_words_without_a_near_keyword_are_left_alone() {
        let src = "network n { input 2 dense 4 relu init=normal(0,\n 1) }\nfoo n on xor()\n\
                   train n on xor() { optimizer sgd(\n lr=0.1,\n momentum=0.9\n )\n steps 3 }";
        let tokens = token::lex(src, 0).tokens;
        let (mended, reports) = mend(tokens.clone(), src, 0);
        assert!(reports.is_empty());
        assert_eq!(mended, tokens);
    }
}
