//! The integration tests: one crate, so the whole stack (axum, reqwest, rustls, SQLite,
//! ratatui) links once. Each module is an area; `support` holds what they share.
// Helpers outside #[test] fns are test code too (clippy.toml only covers the fns themselves).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod architecture;
mod auth;
mod cli;
mod emulator;
mod graph;
mod hostile;
mod ops;
mod reliability;
mod support;
mod sync;
mod tui;
