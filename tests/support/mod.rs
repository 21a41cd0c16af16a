//! What the integration tests share: one way to run the built binary
//! ([`process::gradlab`], always with a time limit) and one way to compare output
//! with a checked-in file ([`golden::assert_golden`], with one switch to rewrite it).
//!
//! Each test crate uses a part of it, so `dead_code` is allowed here.

#![allow(dead_code)]

pub mod golden;
pub mod process;

/// The package root: golden files and scripts are named relative to it.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
