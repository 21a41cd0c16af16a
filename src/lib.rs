//! gradlab: a scripting language for seeing, understanding and taming exploding and
//! vanishing gradients.
//!
//! The pipeline runs one way: `syntax` (source → tokens → AST) → `check` (AST → checked
//! plans) → `exec` → `engine` (numerics, no syntax) → events → `report` (text, JSON).
//! `session` ties the stages together for `gradlab run`, `gradlab check` and the REPL.
//!
//! Running a script from Rust, with the JSON Lines reporter:
//!
//! ```
//! use gradlab::report::json::JsonReporter;
//! use gradlab::session::{EvalStatus, Mode, Redeclare, Session};
//!
//! let script = "
//!     network chain(depth = 20, w = 2.34) {
//!         input 1
//!         repeat depth { dense 1 relu weight=w bias=none }
//!     }
//!     print forward(chain, [1.0])
//! ";
//! let mut out = Vec::new();
//! let mut session = Session::new(Redeclare::Error);
//! let status = session.eval("chain.grad", script, Mode::Run, &mut JsonReporter { out: &mut out });
//! assert_eq!(status, EvalStatus::Ok);
//! let event: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(event["text"], "24227962"); // 2.34^20 in f32
//! ```

pub mod check;
pub mod diagnostics;
/// The numerical engine, a crate of its own (`crates/gradlab-engine`) so that it cannot import syntax.
pub use gradlab_engine as engine;
pub mod exec;
pub mod export;
pub mod format;
pub mod limits;
pub mod repl;
pub mod report;
pub mod save_file;
pub mod session;
pub mod signature;
pub mod syntax;
pub mod text_file;
pub mod weights;
