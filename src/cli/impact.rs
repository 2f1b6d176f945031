//! A change's impact on the command line: the list of who changes (in the JSON of a dry run,
//! as CSV with `-o csv`, or in a private `--impact-file`), and how many users are read for it.

use std::path::PathBuf;

use clap::Args;

use super::table::{Table, terminal_width};
use super::{CliError, Printer, Session};
use crate::ops::impact::{ImpactSummary, Proposal, changes_csv, measure_now};
use crate::ops::remove::IMPACT_USERS;
use crate::text::{shown, wrap_indented};

/// Rows of the impact list a table shows before pointing at the full list.
const TABLE_ROWS: usize = 15;

#[derive(Debug, Clone, Args)]
pub struct ImpactArgs {
    /// Write the impact list (who changes, which property, from which value and source to
    /// which) to FILE as CSV, readable by you only.
    #[arg(long, value_name = "FILE")]
    pub impact_file: Option<PathBuf>,
    /// Most users read to measure the impact (each costs one item read per people
    /// connector; 0 skips it).
    #[arg(long, default_value_t = IMPACT_USERS, value_name = "N")]
    pub impact_users: usize,
}

impl ImpactArgs {
    /// True when the impact list goes somewhere: a dry run shows it, `-o csv` prints it, an
    /// impact file holds it.
    pub fn wanted(&self, session: &Session, dry_run: bool) -> bool {
        self.impact_users > 0 && (dry_run || session.printer.csv() || self.impact_file.is_some())
    }

    /// Measures the proposal when [`Self::wanted`]; a failure to measure is a warning, not a
    /// reason to stop (the change itself was planned without it).
    pub async fn measure(
        &self,
        session: &Session,
        dry_run: bool,
        proposal: &Proposal,
    ) -> Option<ImpactSummary> {
        if !self.wanted(session, dry_run) {
            return None;
        }
        match measure_now(&session.client, proposal, Some(self.impact_users)).await {
            Ok(impact) => Some(impact),
            Err(e) => {
                super::output::say!(
                    "warning: could not measure the impact: {}",
                    shown(&e.to_string())
                );
                None
            }
        }
    }

    /// Writes the impact file, when one was asked for.
    pub fn write_file(&self, impact: Option<&ImpactSummary>) -> Result<(), CliError> {
        let (Some(path), Some(impact)) = (&self.impact_file, impact) else {
            return Ok(());
        };
        crate::files::write_private_file(path, changes_csv(&impact.changes).as_bytes())
            .map_err(|e| CliError::Failed(format!("writing the impact list: {e}")))?;
        super::output::say!(
            "Impact list ({} changed values) written to {}.",
            impact.changes.len(),
            shown(&path.display().to_string())
        );
        Ok(())
    }
}

/// The impact for people: the sentence, then the first changes.
pub fn impact_text(impact: &ImpactSummary) -> String {
    let width = terminal_width();
    let mut out = wrap_indented(&impact.sentence(), width, 0);
    out.push('\n');
    if impact.changes.is_empty() {
        return out;
    }
    let mut t = Table::new(["USER", "PROPERTY", "BEFORE", "AFTER"]);
    let side = |v: &crate::ops::impact::ValueAt| {
        let value = crate::ops::explain::summarize(&v.value);
        match &v.source {
            Some(s) => format!("{value} ({s})"),
            None => value,
        }
    };
    // Changed values first, then multi-valued properties whose order changed.
    let mut rows: Vec<_> = impact.changes.iter().collect();
    rows.sort_by_key(|c| !c.property.contains('/'));
    for c in rows.into_iter().take(TABLE_ROWS) {
        t.row([
            c.upn.clone(),
            crate::ops::explain::display_label(&c.property).to_owned(),
            side(&c.before),
            side(&c.after),
        ]);
    }
    out.push_str(&Printer::table(&t));
    if impact.changes.len() > TABLE_ROWS {
        out.push_str(&format!(
            "… {} more changed values: -o json, -o csv or --impact-file FILE has them all.\n",
            impact.changes.len() - TABLE_ROWS
        ));
    }
    out
}

/// The CSV document of an impact (for `-o csv`); no impact is a header alone.
pub fn csv(impact: Option<&ImpactSummary>) -> String {
    changes_csv(impact.map_or(&[], |i| i.changes.as_slice()))
}
