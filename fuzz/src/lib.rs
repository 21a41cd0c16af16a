//! What the fuzz targets share: the same invariants and the same bound on runs as the
//! property tests (`tests/properties.rs`), from the same files.

#[path = "../../tests/support/invariants.rs"]
pub mod invariants;
#[path = "../../tests/support/tiny_plan.rs"]
pub mod tiny_plan;
