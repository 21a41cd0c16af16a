//! The plans the checker hands to the engine: a run, with the compare variants made
//! from it, and a sweep's grid of runs. Only data: building them is `run` and
//! `settings`.

use std::rc::Rc;

use super::network::Instance;
use super::value::{Data, NetRef, Spec, Weights};
use crate::diagnostics::Span;
use crate::engine::{LossKind, OptimizerSpec, Precision, Remedies, Stop, Thresholds};
use crate::report::info::ShowOptions;
use crate::signature::Metric;
use crate::syntax::ast::RunKind;

/// A remedy combination tried by `compare`: the text the table labels it by, and the
/// baseline's plan with the remedies applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub label: String,
    pub plan: Box<RunPlan>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    pub kind: RunKind,
    pub span: Span,
    pub keyword: Span,
    pub net: Instance,
    pub net_ref: NetRef,
    pub data: Rc<Data>,
    pub data_span: Span,
    pub loss: LossKind,
    pub optimizer: OptimizerSpec,
    pub stop: Stop,
    pub batch: Option<usize>,
    /// The remedies as written, for reports.
    pub remedy_specs: Vec<Spec>,
    /// The training remedies for the engine; network remedies are already in `net`.
    pub remedies: Remedies,
    pub show: ShowOptions,
    pub thresholds: Thresholds,
    /// `diagnose none` turns the warnings off.
    pub diagnose: bool,
    pub continue_on_nan: bool,
    pub seed: u64,
    pub precision: Precision,
    pub variants: Vec<Variant>,
    /// `as fitted`: the slot the trained parameters go to when the run ends.
    pub result: Option<Weights>,
}

/// One axis of a sweep grid with its values listed, checked from an `ast::SweepAxisDecl`.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    pub name: String,
    pub values: Vec<f64>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SweepPlan {
    pub span: Span,
    pub axes: Vec<SweepAxis>,
    /// One plan per grid point, the last axis varying fastest.
    pub points: Vec<RunPlan>,
    pub metric: Metric,
}
