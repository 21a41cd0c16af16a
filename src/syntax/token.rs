//! The lexer: source text to a flat list of spanned tokens.
//!
//! Lexing never fails as a whole. A character or literal it cannot read becomes a
//! `Token::Error`, so the parser can still see the shape of the rest of the line, and
//! the lexer's own message (which knows *why*) is what the user sees.

use std::fmt;
use std::ops::Range;

use logos::Logos;

use super::MAX_SYNTAX_ERRORS;
use crate::diagnostics::{Diagnostic, Span};

#[derive(Debug, Clone, PartialEq, Default)]
pub enum LexError {
    #[default]
    UnknownCharacter,
    NumberTooLarge,
    BadEscape(char),
    UnterminatedString,
    /// `'text'` or `` `text` ``: reported once for the whole string, not once per quote.
    SingleQuoted,
    /// `% …`: a comment in another language's style; the rest of the line is skipped.
    PercentComment,
}

#[derive(Logos, Debug, Clone, PartialEq)]
#[logos(error = LexError)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
pub enum Token<'src> {
    // Keywords.
    #[token("let")]
    Let,
    #[token("print")]
    Print,
    #[token("network")]
    Network,
    #[token("input")]
    Input,
    #[token("dense")]
    Dense,
    #[token("repeat")]
    Repeat,
    #[token("residual")]
    Residual,
    #[token("data")]
    Data,
    #[token("train")]
    Train,
    #[token("compare")]
    Compare,
    #[token("sweep")]
    Sweep,
    #[token("explain")]
    Explain,
    #[token("on")]
    On,
    #[token("in")]
    In,
    #[token("step")]
    Step,
    #[token("seed")]
    Seed,
    #[token("precision")]
    Precision,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("none")]
    None,

    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident(&'src str),
    #[regex(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?", parse_number)]
    Num(f64),
    #[regex(r#""([^"\\\n]|\\[^\n])*""#, unescape)]
    #[regex(r#""([^"\\\n]|\\[^\n])*"#, unterminated)]
    #[regex(r"'[^'\n]*'?", single_quoted)]
    #[regex(r"`[^`\n]*`?", single_quoted)]
    #[regex(r"%[^\n]*", percent_comment, allow_greedy = true)]
    Str(String),

    // Operators and punctuation.
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("^")]
    Caret,
    #[token("=")]
    Eq,
    #[token("..")]
    DotDot,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,

    /// Produced by `lex` for input the lexer could not read; never by logos itself.
    Error,
}

fn parse_number<'s>(lex: &mut logos::Lexer<'s, Token<'s>>) -> Result<f64, LexError> {
    let value: f64 = lex.slice().parse().map_err(|_| LexError::NumberTooLarge)?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(LexError::NumberTooLarge)
    }
}

fn unterminated<'s>(_: &mut logos::Lexer<'s, Token<'s>>) -> Result<String, LexError> {
    Err(LexError::UnterminatedString)
}

fn single_quoted<'s>(_: &mut logos::Lexer<'s, Token<'s>>) -> Result<String, LexError> {
    Err(LexError::SingleQuoted)
}

fn percent_comment<'s>(_: &mut logos::Lexer<'s, Token<'s>>) -> Result<String, LexError> {
    Err(LexError::PercentComment)
}

fn unescape<'s>(lex: &mut logos::Lexer<'s, Token<'s>>) -> Result<String, LexError> {
    let slice = lex.slice();
    let body = &slice[1..slice.len() - 1];
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some(other) => return Err(LexError::BadEscape(other)),
            None => return Err(LexError::UnterminatedString),
        }
    }
    Ok(out)
}

impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let text = match self {
            Token::Let => "let",
            Token::Print => "print",
            Token::Network => "network",
            Token::Input => "input",
            Token::Dense => "dense",
            Token::Repeat => "repeat",
            Token::Residual => "residual",
            Token::Data => "data",
            Token::Train => "train",
            Token::Compare => "compare",
            Token::Sweep => "sweep",
            Token::Explain => "explain",
            Token::On => "on",
            Token::In => "in",
            Token::Step => "step",
            Token::Seed => "seed",
            Token::Precision => "precision",
            Token::True => "true",
            Token::False => "false",
            Token::None => "none",
            Token::Ident(name) => return write!(f, "identifier `{name}`"),
            Token::Num(n) => return write!(f, "number {n}"),
            Token::Str(_) => "string",
            Token::Plus => "+",
            Token::Minus => "-",
            Token::Star => "*",
            Token::Slash => "/",
            Token::Caret => "^",
            Token::Eq => "=",
            Token::DotDot => "..",
            Token::Comma => ",",
            Token::Semi => ";",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::LBracket => "[",
            Token::RBracket => "]",
            Token::LBrace => "{",
            Token::RBrace => "}",
            Token::Error => "invalid input",
        };
        write!(f, "{text}")
    }
}

/// The keywords, as written: one list for completion, highlighting and tests.
pub const KEYWORDS: &[&str] = &[
    "let",
    "print",
    "network",
    "input",
    "dense",
    "repeat",
    "residual",
    "data",
    "train",
    "compare",
    "sweep",
    "explain",
    "on",
    "in",
    "step",
    "seed",
    "precision",
    "true",
    "false",
    "none",
];

/// Words that mean something only where the grammar uses them (`train … as NAME`,
/// `network NAME from "file"`, `save NET to "file"`): lexed as names, and free as
/// names elsewhere, but words of the language for completion and the fuzzers.
pub const CONTEXTUAL_WORDS: &[&str] = &["as", "from", "save", "to"];

/// Brackets and unary minuses deeper than this are refused before parsing: no real
/// script comes near it, and it keeps every later recursive pass shallow.
pub const MAX_NESTING: usize = 256;

pub struct Lexed<'src> {
    pub tokens: Vec<(Token<'src>, Span)>,
    /// The first `MAX_SYNTAX_ERRORS` lexing errors, in source order.
    pub errors: Vec<Diagnostic>,
    /// Lexing errors past those, only counted: 10 MB of `@ @ @ …` kept every report
    /// (and its token) and took gigabytes. Their tokens are left out too, so the
    /// parser does not report around them; nothing past the cap is shown anyway.
    pub hidden_errors: usize,
    /// Nesting passed `MAX_NESTING`: the tokens must not be parsed.
    pub too_deep: bool,
}

/// Lexes the whole source, whose spans start at `base`. Errors come back as
/// diagnostics, and their tokens stay in the stream as `Token::Error` so the parser
/// can recover around them. A run of unknown characters (`@@@`) is one error.
pub fn lex(src: &str, base: usize) -> Lexed<'_> {
    let mut lexed = Lexed {
        tokens: Vec::new(),
        errors: Vec::new(),
        hidden_errors: 0,
        too_deep: false,
    };
    let mut unknown_run: Option<Range<usize>> = None;
    for (result, range) in Token::lexer(src).spanned() {
        // A stray `:` has its own help, so it is never part of a run.
        if result == Err(LexError::UnknownCharacter) && &src[range.clone()] != ":" {
            match &mut unknown_run {
                Some(run) if run.end == range.start => run.end = range.end,
                _ => {
                    if let Some(run) = unknown_run.replace(range) {
                        lexed.error(LexError::UnknownCharacter, src, run, base);
                    }
                }
            }
            continue;
        }
        if let Some(run) = unknown_run.take() {
            lexed.error(LexError::UnknownCharacter, src, run, base);
        }
        match result {
            Ok(token) => lexed
                .tokens
                .push((token, Span::new(base + range.start, base + range.end))),
            Err(error) => lexed.error(error, src, range, base),
        }
    }
    if let Some(run) = unknown_run {
        lexed.error(LexError::UnknownCharacter, src, run, base);
    }
    if let Some(error) = check_nesting(&lexed.tokens) {
        lexed.errors.push(error);
        lexed.too_deep = true;
    }
    lexed
}

impl Lexed<'_> {
    /// Records a lexing error at `range` of `src`: reported (up to the cap) and kept in
    /// the stream as `Token::Error`, or past the cap only counted.
    fn error(&mut self, error: LexError, src: &str, range: Range<usize>, base: usize) {
        if self.errors.len() == MAX_SYNTAX_ERRORS {
            self.hidden_errors += 1;
            return;
        }
        let text = &src[range.clone()];
        let span = Span::new(base + range.start, base + range.end);
        // A `%` comment and a stray `:` are reported and then left out, as the fix is
        // to delete them: the parser must not report them a second time.
        let drop = error == LexError::PercentComment
            || (error == LexError::UnknownCharacter && text == ":");
        self.errors.push(lex_error(error, text, span));
        if !drop {
            self.tokens.push((Token::Error, span));
        }
    }
}

/// How many characters of a run of unknown ones a report quotes.
const SHOWN_RUN: usize = 16;

fn lex_error(error: LexError, text: &str, span: Span) -> Diagnostic {
    match error {
        LexError::UnknownCharacter => {
            let shown: String = text
                .chars()
                .take(SHOWN_RUN)
                .map(|c| match c.is_control() {
                    true => c.escape_debug().to_string(),
                    false => c.to_string(),
                })
                .collect();
            let d = match text.chars().nth(1) {
                None => Diagnostic::error(format!("unexpected character `{shown}`"))
                    .with_label(span, "gradlab does not use this character"),
                Some(_) => {
                    let count = text.chars().count();
                    let cut = if count > SHOWN_RUN { "…" } else { "" };
                    Diagnostic::error(format!("unexpected characters `{shown}`{cut}")).with_label(
                        span,
                        format!("gradlab does not use these {count} characters"),
                    )
                }
            };
            match text {
                ":" => d.with_help("settings take no colon: write `loss mse`, not `loss: mse`"),
                _ => d,
            }
        }
        LexError::SingleQuoted => Diagnostic::error("strings use double quotes")
            .with_label(span, "only double quotes make a string")
            .with_help(format!("write \"{}\"", text.trim_matches(['\'', '`']))),
        LexError::PercentComment => Diagnostic::error("unexpected character `%`")
            .with_label(
                Span::new(span.start, span.start + 1),
                "this is not a comment",
            )
            .with_help("comments start with `#`"),
        LexError::NumberTooLarge => Diagnostic::error("number literal is too large")
            .with_label(span, "this does not fit in a 64-bit float")
            .with_help("the largest finite value is about 1.8e308"),
        LexError::BadEscape(c) => Diagnostic::error(format!("unknown escape `\\{c}` in string"))
            .with_label(span, "in this string")
            .with_help("the escapes are \\n, \\t, \\\\ and \\\""),
        LexError::UnterminatedString => Diagnostic::error("unterminated string")
            .with_label(span, "this string has no closing `\"` on its line")
            .with_help("add a `\"` where the string should end"),
    }
}

fn check_nesting(tokens: &[(Token<'_>, Span)]) -> Option<Diagnostic> {
    let mut open: Vec<Span> = Vec::new();
    let mut minus_run = 0usize;
    let mut chains = ChainDepth::default();
    let mut previous: Option<&Token<'_>> = None;
    for (token, span) in tokens {
        match token {
            Token::LParen | Token::LBracket | Token::LBrace => open.push(*span),
            Token::RParen | Token::RBracket | Token::RBrace => {
                open.pop();
            }
            _ => {}
        }
        minus_run = if *token == Token::Minus {
            minus_run + 1
        } else {
            0
        };
        if open.len() > MAX_NESTING || minus_run > MAX_NESTING {
            return Some(
                Diagnostic::error(format!("nesting deeper than {MAX_NESTING} levels"))
                    .with_label(*span, "too deeply nested here")
                    .with_help("split the expression with `let` bindings"),
            );
        }
        if chains.step(token, previous) > MAX_CHAIN {
            return Some(
                Diagnostic::error(format!("expression deeper than {MAX_CHAIN} operators"))
                    .with_label(*span, "too many operators in one expression here")
                    .with_help("split the expression with `let` bindings"),
            );
        }
        previous = Some(token);
    }
    None
}

/// Operators in one expression deeper than this are refused before parsing: every
/// operator of a chain is one level of the expression tree, which the later passes
/// walk recursively.
pub const MAX_CHAIN: usize = 100_000;

/// An upper bound on how deep the expression tree is at the current token, counted
/// per precedence level so that a long sum of short products (`2*3 + 2*3 + …`) counts
/// its sum once, as the tree nests it, and not every operator.
#[derive(Default)]
struct ChainDepth {
    /// One entry per open bracket: the counts of the enclosing expression there.
    outer: Vec<(usize, usize, usize)>,
    /// The depth of all the enclosing expressions together.
    base: usize,
    /// `+` and binary `-` since the current expression started.
    sum: usize,
    /// `*` and `/` since the last `+` or `-`.
    product: usize,
    /// `^` and unary `-` since the last binary operator of a looser kind.
    tight: usize,
}

impl ChainDepth {
    fn step(&mut self, token: &Token<'_>, previous: Option<&Token<'_>>) -> usize {
        let after_operand = previous.is_some_and(ends_operand);
        match token {
            Token::Plus => (self.sum, self.product, self.tight) = (self.sum + 1, 0, 0),
            Token::Minus if after_operand => {
                (self.sum, self.product, self.tight) = (self.sum + 1, 0, 0)
            }
            Token::Star | Token::Slash => (self.product, self.tight) = (self.product + 1, 0),
            Token::Caret | Token::Minus => self.tight += 1,
            Token::LParen | Token::LBracket | Token::LBrace => {
                let counts = (self.sum, self.product, self.tight);
                self.base += counts.0 + counts.1 + counts.2;
                self.outer.push(counts);
                self.restart();
            }
            // The bracketed expression was one operand of the enclosing one.
            Token::RParen | Token::RBracket | Token::RBrace => match self.outer.pop() {
                Some((sum, product, tight)) => {
                    self.base -= sum + product + tight;
                    (self.sum, self.product, self.tight) = (sum, product, tight);
                }
                None => self.restart(),
            },
            token if ends_operand(token) => {}
            // A comma, `=`, `..`, `;` or a keyword starts another expression.
            _ => self.restart(),
        }
        self.here()
    }

    fn here(&self) -> usize {
        self.base + self.sum + self.product + self.tight
    }

    fn restart(&mut self) {
        (self.sum, self.product, self.tight) = (0, 0, 0);
    }
}

/// Whether an expression can end with this token, so that a `-` after it subtracts.
fn ends_operand(token: &Token<'_>) -> bool {
    matches!(
        token,
        Token::Ident(_)
            | Token::Num(_)
            | Token::Str(_)
            | Token::True
            | Token::False
            | Token::None
            | Token::RParen
            | Token::RBracket
            | Token::Error
    )
}
