//! The command line through the real binary.

mod answers;
mod commands;
mod help;
mod propagation;
mod signin;
mod stuck;
