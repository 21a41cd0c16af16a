//! gradlab: a scripting language for seeing, understanding and taming exploding and
//! vanishing gradients.
//!
//! The pipeline runs one way: `syntax` (source → tokens → AST) → `check` (AST → checked
//! plans) → `exec` → `engine` (numerics, no syntax) → events → `report` (text, JSON).
//! `session` ties the stages together for `gradlab run`, `gradlab check` and the REPL.

pub mod check;
pub mod diagnostics;
pub mod engine;
pub mod exec;
mod exec_run;
pub mod repl;
pub mod report;
pub mod session;
pub mod syntax;
