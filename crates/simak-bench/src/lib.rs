//! `simak bench`: the figures the README quotes, each measured against a baseline in the same
//! run (bare tantivy, scikit-learn, the analyzer without fact-checks, bare HTTP, the searcher
//! in-process), so a ratio holds on a noisy machine.
//!
//! | what | module |
//! |---|---|
//! | `pipeline`, `classify`, `hoax`, `alerts` | [`pipeline`] |
//! | `sources` | [`sources`] |
//! | `search` | [`search`] |
//! | `memory` | [`memory`] |
//!
//! The binary only parses [`BenchArgs`] and calls [`run`]; phases that must be measured in a
//! process of their own start the `simak` binary again (`std::env::current_exe`).

mod data;
pub mod memory;
pub mod pipeline;
pub mod search;
pub mod sources;

pub use pipeline::{run, BenchArgs};
