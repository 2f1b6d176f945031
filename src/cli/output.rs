//! Printing a command's result: one JSON document, or a table and notes for people.

use std::io::Write;

use serde::Serialize;

use super::table::{Table, terminal_width};
use super::{CliError, Output};
use crate::text::{json_safe, shown_lines};

/// `eprintln!` for the person at the terminal, through the sanitiser: untrusted text in the
/// message is shown inertly (line feeds stay, so a message may span lines).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::output::say_line(&format!($($arg)*))
    };
}
pub(crate) use say;

/// Writes one sanitised message line to stderr (see [`say!`]).
pub fn say_line(text: &str) {
    eprintln!("{}", shown_lines(text));
}

/// Why `--output csv` is refused.
pub const CSV_ONLY: &str = "-o csv prints the impact list of a --dry-run (precedence move/set/remove, sources register, remove)";

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

    /// True for `--output csv` (the impact list of a dry run).
    pub fn csv(&self) -> bool {
        self.output == Output::Csv
    }

    /// Prints `value` as JSON, `table` for people, or `csv` with `--output csv`.
    pub fn result_or_csv<T: Serialize>(
        &self,
        value: &T,
        table: impl FnOnce() -> String,
        csv: impl FnOnce() -> String,
    ) -> Result<(), CliError> {
        if !self.csv() {
            return self.result(value, table);
        }
        let mut out = std::io::stdout().lock();
        // Cells are sanitised like a table: a spreadsheet or `cat` shows controls inertly.
        match write!(out, "{}", shown_lines(&csv())).and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(CliError::Failed(format!("writing output: {e}"))),
        }
    }

    /// Prints `value` as JSON (json mode) or `table` (table mode).
    pub fn result<T: Serialize>(
        &self,
        value: &T,
        table: impl FnOnce() -> String,
    ) -> Result<(), CliError> {
        if self.csv() {
            // `run` refuses -o csv up front for commands without an impact list.
            return Err(CliError::Usage(CSV_ONLY.into()));
        }
        let mut out = std::io::stdout().lock();
        let written = if self.json() {
            // C1 and bidi characters become \u escapes too, so `cat`ting the JSON is inert.
            serde_json::to_string_pretty(value)
                .map_err(std::io::Error::other)
                .and_then(|doc| writeln!(out, "{}", json_safe(&doc)))
        } else {
            // Every untrusted piece was shown already; this pass guarantees it for the rest.
            write!(out, "{}", shown_lines(&table()))
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
        say_line(text);
    }
}
