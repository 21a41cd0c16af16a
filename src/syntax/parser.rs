//! The parser: tokens to a spanned syntax tree, with error recovery.
//!
//! Newlines mean nothing to the grammar: every statement starts with a keyword or a
//! name and an expression ends where no operator continues it, so `loss mse` on one
//! line and `optimizer adam` on the next are two settings.

use chumsky::input::{Stream, ValueInput};
use chumsky::prelude::*;

use super::ast::*;
use super::token::Token;
use crate::diagnostics::Span;

type Extra<'t, 's> = extra::Err<Rich<'t, Token<'s>, SimpleSpan>>;

fn span(s: SimpleSpan) -> Span {
    Span::from(s)
}

/// Parses a whole token list. Returns the tree (possibly partial) and the raw errors.
pub fn parse_tokens<'s>(
    tokens: Vec<(Token<'s>, Span)>,
    src_len: usize,
) -> (Option<Program>, Vec<Rich<'static, String, SimpleSpan>>) {
    let eoi: SimpleSpan = (src_len..src_len).into();
    let stream = Stream::from_iter(
        tokens
            .into_iter()
            .map(|(t, s)| (t, SimpleSpan::from(s.start..s.end))),
    )
    .map(eoi, |(t, s): (_, _)| (t, s));
    let (program, errors) = program_parser().parse(stream).into_output_errors();
    let errors = errors
        .into_iter()
        .map(|e| e.map_token(|t| t.to_string()).into_owned())
        .collect();
    (program, errors)
}

fn ident<'t, 's: 't, I>() -> impl Parser<'t, I, Ident, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    select! { Token::Ident(name) => name }
        .map_with(|name: &str, e| Ident {
            name: name.to_string(),
            span: span(e.span()),
        })
        .labelled("name")
}

fn binary_expr(op: BinOp, lhs: Expr, rhs: Expr, at: SimpleSpan) -> Expr {
    Expr {
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span: span(at),
    }
}

fn expr_parser<'t, 's: 't, I>() -> impl Parser<'t, I, Expr, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    recursive(|expr| {
        let args = args_parser(expr.clone());

        let literal = select! {
            Token::Num(n) => ExprKind::Num(n),
            Token::Str(s) => ExprKind::Str(s),
            Token::True => ExprKind::Bool(true),
            Token::False => ExprKind::Bool(false),
            Token::None => ExprKind::None,
            // The lexer has already reported why this token is invalid.
            Token::Error => ExprKind::Error,
        }
        .labelled("value");

        let call_or_var =
            ident()
                .then(args.clone().or_not())
                .map_with(|(name, args), e| match args {
                    Some(args) => ExprKind::Call(Call {
                        name,
                        args: Some(args),
                        span: span(e.span()),
                    }),
                    None => ExprKind::Var(name.name),
                });

        let items = expr
            .clone()
            .separated_by(just(Token::Comma))
            .allow_trailing()
            .collect::<Vec<_>>();

        let list = items
            .clone()
            .delimited_by(just(Token::LBracket), just(Token::RBracket))
            .map(ExprKind::List)
            .labelled("list");

        // `(e)` groups; `(a, b)` is a tuple.
        let parens = expr
            .clone()
            .separated_by(just(Token::Comma))
            .at_least(1)
            .collect::<Vec<_>>()
            .then(just(Token::Comma).or_not())
            .delimited_by(just(Token::LParen), just(Token::RParen))
            .map(|(mut items, trailing): (Vec<Expr>, _)| {
                if items.len() == 1 && trailing.is_none() {
                    items.pop().map(|e| e.kind).unwrap_or(ExprKind::Error)
                } else {
                    ExprKind::Tuple(items)
                }
            });

        let atom = literal
            .or(call_or_var)
            .or(list)
            .or(parens)
            .map_with(|kind, e| Expr {
                kind,
                span: span(e.span()),
            })
            .recover_with(via_parser(nested_delimiters(
                Token::LParen,
                Token::RParen,
                [
                    (Token::LBracket, Token::RBracket),
                    (Token::LBrace, Token::RBrace),
                ],
                |s| Expr {
                    kind: ExprKind::Error,
                    span: span(s),
                },
            )))
            .recover_with(via_parser(nested_delimiters(
                Token::LBracket,
                Token::RBracket,
                [
                    (Token::LParen, Token::RParen),
                    (Token::LBrace, Token::RBrace),
                ],
                |s| Expr {
                    kind: ExprKind::Error,
                    span: span(s),
                },
            )))
            .boxed();

        // `^` binds tighter than unary minus and associates to the right: -2^2 = -4,
        // 2^3^2 = 2^9.
        let unary = recursive(|unary| {
            let power = atom
                .clone()
                .then(
                    just(Token::Caret)
                        .labelled("operator")
                        .ignore_then(unary.clone())
                        .or_not(),
                )
                .map_with(|(base, exp): (Expr, Option<Expr>), e| match exp {
                    Some(exp) => binary_expr(BinOp::Pow, base, exp, e.span()),
                    None => base,
                });
            just(Token::Minus)
                .ignore_then(unary.clone())
                .map_with(|inner: Expr, e| Expr {
                    kind: ExprKind::Neg(Box::new(inner)),
                    span: span(e.span()),
                })
                .or(power)
        })
        .boxed();

        let binary =
            |op_token: Token<'static>, op: BinOp| just(op_token).to(op).labelled("operator");
        let product = unary.clone().foldl_with(
            binary(Token::Star, BinOp::Mul)
                .or(binary(Token::Slash, BinOp::Div))
                .then(unary)
                .repeated(),
            |lhs, (op, rhs), e| binary_expr(op, lhs, rhs, e.span()),
        );
        let sum = product.clone().foldl_with(
            binary(Token::Plus, BinOp::Add)
                .or(binary(Token::Minus, BinOp::Sub))
                .then(product)
                .repeated(),
            |lhs, (op, rhs), e| binary_expr(op, lhs, rhs, e.span()),
        );

        // Ranges bind loosest: `1..n+1` is `1..(n+1)`.
        sum.clone()
            .then(
                just(Token::DotDot)
                    .labelled("operator")
                    .ignore_then(sum.clone())
                    .then(just(Token::Step).ignore_then(sum).or_not())
                    .or_not(),
            )
            .map_with(|(start, rest), e| match rest {
                None => start,
                Some((end, step)) => Expr {
                    kind: ExprKind::Range {
                        start: Box::new(start),
                        end: Box::new(end),
                        step: step.map(Box::new),
                    },
                    span: span(e.span()),
                },
            })
            .labelled("expression")
    })
}

/// `(a, name = b, …)`
fn args_parser<'t, 's: 't, I, P>(expr: P) -> impl Parser<'t, I, Vec<Arg>, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
    P: Parser<'t, I, Expr, Extra<'t, 's>> + Clone,
{
    ident()
        .then_ignore(just(Token::Eq))
        .or_not()
        .then(expr)
        .map_with(|(name, value), e| Arg {
            name,
            value,
            span: span(e.span()),
        })
        .separated_by(just(Token::Comma))
        .allow_trailing()
        .collect::<Vec<_>>()
        .delimited_by(just(Token::LParen), just(Token::RParen))
        .labelled("arguments")
}

/// A `{ … }` block whose contents are parsed by `inner`, recovering to an empty block
/// when its contents are broken beyond repair.
fn block<'t, 's: 't, I, O, P>(inner: P) -> impl Parser<'t, I, Vec<O>, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
    P: Parser<'t, I, O, Extra<'t, 's>> + Clone,
    O: Clone,
{
    inner
        .then_ignore(just(Token::Semi).repeated())
        .repeated()
        .collect::<Vec<_>>()
        .delimited_by(just(Token::LBrace), just(Token::RBrace))
        .recover_with(via_parser(nested_delimiters(
            Token::LBrace,
            Token::RBrace,
            [
                (Token::LParen, Token::RParen),
                (Token::LBracket, Token::RBracket),
            ],
            |_| Vec::new(),
        )))
}

fn setting_parser<'t, 's: 't, I>() -> impl Parser<'t, I, Setting, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    // `seed` and `precision` are statements, and settings of a run too.
    let keyword_key = select! {
        Token::Seed => "seed",
        Token::Precision => "precision",
    }
    .map_with(|name: &str, e| Ident {
        name: name.to_string(),
        span: span(e.span()),
    });
    ident()
        .or(keyword_key)
        .then_ignore(just(Token::Eq).or_not())
        .then(
            expr_parser()
                .separated_by(just(Token::Comma))
                .at_least(1)
                .collect::<Vec<_>>(),
        )
        .map_with(|(key, values), e| Setting {
            key,
            values,
            span: span(e.span()),
        })
        .labelled("setting")
        // A broken setting should not take the rest of its block down with it.
        .recover_with(skip_then_retry_until(
            any().ignored(),
            one_of([Token::RBrace]).ignored(),
        ))
}

fn layer_parser<'t, 's: 't, I>() -> impl Parser<'t, I, Layer, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    recursive(|layer| {
        let expr = expr_parser();
        let input = just(Token::Input)
            .ignore_then(expr.clone().labelled("input width"))
            .map(LayerKind::Input);

        // The activation is a name not followed by `=`, which would make it an attribute.
        let activation = ident()
            .then_ignore(just(Token::Eq).not().rewind())
            .then(args_parser(expr.clone()).or_not())
            .map_with(|(name, args), e| Call {
                name,
                args,
                span: span(e.span()),
            })
            .labelled("activation");

        let attr = ident()
            .then(just(Token::Eq).ignore_then(expr.clone()).or_not())
            .map_with(|(name, value), e| Attr {
                name,
                value,
                span: span(e.span()),
            })
            .labelled("attribute");

        let dense = just(Token::Dense)
            .ignore_then(expr.clone().labelled("width"))
            .then(activation)
            .then(attr.repeated().collect::<Vec<_>>())
            .map(|((width, activation), attrs)| LayerKind::Dense {
                width,
                activation,
                attrs,
            });

        let repeat = just(Token::Repeat)
            .ignore_then(expr.labelled("repeat count"))
            .then(block(layer.clone()))
            .map(|(count, body)| LayerKind::Repeat { count, body });

        let residual = just(Token::Residual)
            .ignore_then(block(layer))
            .map(|body| LayerKind::Residual { body });

        input
            .or(dense)
            .or(repeat)
            .or(residual)
            .map_with(|kind, e| Layer {
                kind,
                span: span(e.span()),
            })
            .labelled("layer")
    })
}

/// The keywords a statement begins with; no expression holds one.
pub(super) const STATEMENT_KEYWORDS: [Token<'static>; 10] = [
    Token::Let,
    Token::Print,
    Token::Network,
    Token::Data,
    Token::Train,
    Token::Compare,
    Token::Explain,
    Token::Sweep,
    Token::Seed,
    Token::Precision,
];

fn program_parser<'t, 's: 't, I>() -> impl Parser<'t, I, Program, Extra<'t, 's>>
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    let expr = expr_parser();
    let settings = block(setting_parser());

    let let_ = just(Token::Let)
        .ignore_then(ident())
        .then_ignore(just(Token::Eq))
        .then(expr.clone())
        .map(|(name, value)| ItemKind::Let { name, value })
        .labelled("let binding")
        .as_context();

    let print = just(Token::Print)
        .ignore_then(expr.clone())
        .map(ItemKind::Print);

    let seed = just(Token::Seed)
        .ignore_then(expr.clone())
        .map(ItemKind::Seed);

    let precision = just(Token::Precision)
        .ignore_then(ident().labelled("`f32` or `f64`"))
        .map(ItemKind::Precision);

    let param = ident()
        .then_ignore(just(Token::Eq))
        .then(expr.clone())
        .map(|(name, default)| NetworkParam { name, default })
        .labelled("parameter");
    let params = param
        .separated_by(just(Token::Comma))
        .allow_trailing()
        .collect::<Vec<_>>()
        .delimited_by(just(Token::LParen), just(Token::RParen));

    // `as`, `from`, `save` and `to` are words only where they are used, so no script
    // that names something `from` or `save` breaks.
    let word = |w: &'static str| just(Token::Ident(w));
    let network = just(Token::Network)
        .ignore_then(ident())
        .then(params.or_not())
        .then(word("from").ignore_then(expr.clone()).or_not())
        .then(block(layer_parser()))
        .map(|(((name, params), from), body)| {
            ItemKind::Network(NetworkDecl {
                name,
                params: params.unwrap_or_default(),
                from,
                body,
            })
        })
        .labelled("network")
        .as_context();

    let data = just(Token::Data)
        .ignore_then(ident())
        .then(
            just(Token::Eq)
                .ignore_then(expr.clone())
                .map(DataSource::Expr)
                .or(settings.clone().map(DataSource::Fields)),
        )
        .map(|(name, source)| ItemKind::Data(DataDecl { name, source }))
        .labelled("data set")
        .as_context();

    let run_kind = select! {
        Token::Train => RunKind::Train,
        Token::Compare => RunKind::Compare,
        Token::Explain => RunKind::Explain,
    };
    let run = run_kind
        .map_with(|kind, e| (kind, span(e.span())))
        .then(expr.clone().labelled("network"))
        .then_ignore(just(Token::On))
        .then(expr.clone().labelled("data set"))
        .then(word("as").ignore_then(ident()).or_not())
        .then(settings.clone().or_not())
        .map(|(((((kind, keyword), network), data), result), settings)| {
            ItemKind::Run(RunDecl {
                kind,
                keyword,
                network,
                data,
                settings: settings.unwrap_or_default(),
                result,
            })
        })
        .labelled("run")
        .as_context();

    let axis = ident()
        .then_ignore(just(Token::In))
        .then(expr.clone())
        .map_with(|(name, values), e| SweepAxisDecl {
            name,
            values,
            span: span(e.span()),
        })
        .labelled("sweep axis");
    let sweep = just(Token::Sweep)
        .map_with(|_, e| span(e.span()))
        .then(ident())
        .then(
            axis.separated_by(just(Token::Comma))
                .allow_trailing()
                .at_least(1)
                .collect::<Vec<_>>()
                .delimited_by(just(Token::LParen), just(Token::RParen)),
        )
        .then_ignore(just(Token::On))
        .then(expr.clone())
        .then(settings.or_not())
        .map(|((((keyword, network), axes), data), settings)| {
            ItemKind::Sweep(SweepDecl {
                keyword,
                network,
                axes,
                data,
                settings: settings.unwrap_or_default(),
            })
        })
        .labelled("sweep")
        .as_context();

    let save = word("save")
        .ignore_then(expr.clone().labelled("network"))
        .then_ignore(word("to"))
        .then(expr.clone().labelled("file name"))
        .map(|(network, path)| ItemKind::Save { network, path })
        .labelled("save")
        .as_context();

    let item = let_
        .or(print)
        .or(save)
        .or(seed)
        .or(precision)
        .or(network)
        .or(data)
        .or(run)
        .or(sweep)
        .or(expr.map(ItemKind::Expr))
        .map_with(|kind, e| Item {
            kind,
            span: span(e.span()),
        })
        .labelled("statement")
        // A broken statement is skipped up to the keyword that starts the next one, so
        // one mistake gives one report rather than a cascade.
        .recover_with(via_parser(
            any()
                .then(none_of(STATEMENT_KEYWORDS).repeated())
                .map_with(|_, e| Item {
                    kind: ItemKind::Expr(Expr {
                        kind: ExprKind::Error,
                        span: span(e.span()),
                    }),
                    span: span(e.span()),
                }),
        ));

    item.then_ignore(just(Token::Semi).repeated())
        .repeated()
        .collect::<Vec<_>>()
        .map(|items| Program { items })
        .then_ignore(just(Token::Semi).repeated())
}
