//! The numerical engine. It knows nothing about syntax.
