//! peoplectl: a console for Microsoft 365 Copilot connectors for people data.
#![forbid(unsafe_code)]

pub mod auth;
pub mod cli;
pub mod config;
pub mod emulator;
pub mod files;
pub mod graph;
pub mod ops;
pub mod people;
pub mod sync;
pub mod text;
pub mod tui;
pub mod vocab;
