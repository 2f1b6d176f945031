//! The command line through the real binary.

mod answers;
mod commands;
mod help;
mod signin;
mod stuck;
