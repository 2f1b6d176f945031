//! Printing a command's result: one JSON document, or a table and notes for people.

use std::io::Write;

use serde::Serialize;

use super::table::{Table, terminal_width};
use super::{CliError, Output};

/// Writes results to stdout in the chosen format; notes and progress go to stderr.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub output: Output,
}

impl Printer {
    /// A printer for `output`.
    pub fn new(output: Output) -> Self {
        Self { output }
    }

    /// True for `--output json`.
    pub fn json(&self) -> bool {
        self.output == Output::Json
    }

    /// Prints `value` as JSON (json mode) or `table` (table mode).
    pub fn result<T: Serialize>(
        &self,
        value: &T,
        table: impl FnOnce() -> String,
    ) -> Result<(), CliError> {
        let mut out = std::io::stdout().lock();
        let written = if self.json() {
            serde_json::to_writer_pretty(&mut out, value)
                .map_err(std::io::Error::other)
                .and_then(|()| writeln!(out))
        } else {
            write!(out, "{}", table())
        };
        // A closed pipe (`| head`) is not worth an error message.
        match written.and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(CliError::Failed(format!("writing output: {e}"))),
        }
    }

    /// A table rendered to the terminal width.
    pub fn table(table: &Table) -> String {
        table.render(terminal_width())
    }

    /// A note for the person at the terminal (stderr, so JSON on stdout stays clean).
    pub fn note(&self, text: &str) {
        eprintln!("{text}");
    }
}
