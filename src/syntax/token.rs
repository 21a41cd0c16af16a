//! The lexer: source text to a flat list of spanned tokens.
//!
//! Lexing never fails as a whole. A character or literal it cannot read becomes a
//! `Token::Error`, so the parser can still see the shape of the rest of the line, and
//! the lexer's own message (which knows *why*) is what the user sees.

use std::fmt;

use logos::Logos;

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

/// Brackets and unary minuses deeper than this are refused before parsing: no real
/// script comes near it, and it keeps every later recursive pass shallow.
pub const MAX_NESTING: usize = 256;

pub struct Lexed<'src> {
    pub tokens: Vec<(Token<'src>, Span)>,
    pub errors: Vec<Diagnostic>,
    /// Nesting passed `MAX_NESTING`: the tokens must not be parsed.
    pub too_deep: bool,
}

/// Lexes the whole source, whose spans start at `base`. Errors come back as
/// diagnostics, and their tokens stay in the stream as `Token::Error` so the parser
/// can recover around them.
pub fn lex(src: &str, base: usize) -> Lexed<'_> {
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    for (result, range) in Token::lexer(src).spanned() {
        let span = Span::new(base + range.start, base + range.end);
        match result {
            Ok(token) => tokens.push((token, span)),
            Err(error) => {
                let text = &src[range];
                // A `%` comment and a stray `:` are reported and then left out, as the
                // fix is to delete them: the parser must not report them a second time.
                let drop = error == LexError::PercentComment
                    || (error == LexError::UnknownCharacter && text == ":");
                errors.push(lex_error(error, text, span));
                if !drop {
                    tokens.push((Token::Error, span));
                }
            }
        }
    }
    let too_deep = match check_nesting(&tokens) {
        Some(error) => {
            errors.push(error);
            true
        }
        None => false,
    };
    Lexed {
        tokens,
        errors,
        too_deep,
    }
}

fn lex_error(error: LexError, text: &str, span: Span) -> Diagnostic {
    match error {
        LexError::UnknownCharacter => {
            let c = text.chars().next().unwrap_or('?');
            let shown = if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            };
            let d = Diagnostic::error(format!("unexpected character `{shown}`"))
                .with_label(span, "gradlab does not use this character");
            match c {
                ':' => d.with_help("settings take no colon: write `loss mse`, not `loss: mse`"),
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
