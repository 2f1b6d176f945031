//! The command line through the real binary.

mod commands;
mod help;
mod signin;
