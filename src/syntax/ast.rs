//! The syntax tree. Every node carries the span of the text it came from, so any
//! later stage can point back at the exact place in the script.

use crate::diagnostics::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Program {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    Let {
        name: Ident,
        value: Expr,
    },
    Print(Expr),
    /// A bare expression: its value is printed, as in the REPL.
    Expr(Expr),
    Network(NetworkDecl),
    Data(DataDecl),
    /// `train`, `compare` and `explain` share one shape: `KEYWORD NET on DATA { settings }`.
    Run(RunDecl),
    Sweep(SweepDecl),
    /// `save fitted to "w.safetensors"`: a network's parameters to a weights file.
    Save {
        network: Expr,
        path: Expr,
    },
    Seed(Expr),
    Precision(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkDecl {
    pub name: Ident,
    pub params: Vec<NetworkParam>,
    /// `from "model.safetensors"`: the file its weights are loaded from.
    pub from: Option<Expr>,
    pub body: Vec<Layer>,
}

/// A network's parameter and its default: `depth = 10` in `network deep(depth = 10)`.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkParam {
    pub name: Ident,
    pub default: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub kind: LayerKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LayerKind {
    Input(Expr),
    Dense {
        width: Expr,
        activation: Call,
        attrs: Vec<Attr>,
    },
    Repeat {
        count: Expr,
        body: Vec<Layer>,
    },
    Residual {
        body: Vec<Layer>,
    },
}

/// A layer attribute: `weight=2.34`, `bias=none`, or a bare flag such as `batchnorm`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub name: Ident,
    pub value: Option<Expr>,
    pub span: Span,
}

/// A name with optional arguments: `relu`, `leaky_relu(slope=0.1)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: Ident,
    pub args: Option<Vec<Arg>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataDecl {
    pub name: Ident,
    pub source: DataSource,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    /// `data d { x = [...] y = [...] }`
    Fields(Vec<Setting>),
    /// `data d = spiral(100, 3, 0.2)`
    Expr(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Train,
    Compare,
    Explain,
}

impl RunKind {
    pub fn keyword(self) -> &'static str {
        match self {
            RunKind::Train => "train",
            RunKind::Compare => "compare",
            RunKind::Explain => "explain",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunDecl {
    pub kind: RunKind,
    pub keyword: Span,
    pub network: Expr,
    pub data: Expr,
    pub settings: Vec<Setting>,
    /// `as fitted`: the name the trained network is bound to (`train` only).
    pub result: Option<Ident>,
}

/// One line of a settings block: `loss mse`, `optimizer sgd(lr=0.01)`, `show gradients, weights`.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub key: Ident,
    pub values: Vec<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SweepDecl {
    pub keyword: Span,
    pub network: Ident,
    pub axes: Vec<SweepAxisDecl>,
    pub data: Expr,
    pub settings: Vec<Setting>,
}

/// A sweep axis as written: `depth in 1..30`, `w in [0.5, 1, 2]`. The checker turns
/// it into a `check::plan::SweepAxis` with the values listed.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxisDecl {
    pub name: Ident,
    pub values: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Num(f64),
    Str(String),
    Bool(bool),
    None,
    Var(String),
    List(Vec<Expr>),
    /// `(a, b)`: used for pairs such as Adam's `betas=(0.9, 0.999)`.
    Tuple(Vec<Expr>),
    Range {
        start: Box<Expr>,
        end: Box<Expr>,
        step: Option<Box<Expr>>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Neg(Box<Expr>),
    Call(Call),
    /// Stands in for text that did not parse; the error is already reported.
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }
}
