//! What the integration tests share: one way to run the built binary
//! ([`process::gradlab`], always with a time limit), one way to compare output with a
//! checked-in file ([`golden::assert_golden`], with one switch to rewrite it), the
//! comparison with the PyTorch reference fixtures ([`fixtures`]), the sorting of the
//! engine's events ([`events`]), and what any script must satisfy ([`invariants`],
//! [`tiny_plan`]; the fuzz targets in `fuzz/` include both too). The engine's builders
//! live in the engine itself (`TrainSpec::new`, `LayerSpec::dense`, …).
//!
//! Each test crate uses a part of it, so `dead_code` is allowed here.

#![allow(dead_code)]

pub mod events;
pub mod fixtures;
pub mod golden;
pub mod invariants;
pub mod process;
pub mod tiny_plan;

/// The package root: golden files and scripts are named relative to it.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
