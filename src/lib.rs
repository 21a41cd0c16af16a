//! gradlab: a scripting language for seeing, understanding and taming exploding and
//! vanishing gradients.
//!
//! The pipeline runs one way: `syntax` (source → tokens → AST) → `check` (AST → checked
//! program) → `engine` (numerics, no syntax) → events → `report` (text, JSON).

pub mod check;
pub mod diagnostics;
pub mod engine;
pub mod syntax;
