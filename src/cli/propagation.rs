//! `peoplectl propagation CONNECTION_ID [--sample N | --all | --user UPN]`: is it live yet? Each
//! checked person's state on Microsoft 365, a summary line first, then a table.

use clap::Args;

use super::output::say;
use super::table::Table;
use super::{CliError, Exit, Printer, Session};
use crate::ops::propagation::{
    self, DEFAULT_SAMPLE, ProfileAccess, PropagationError, PropagationReport, Selection, describe,
};
use crate::sync::state::{now_unix, state_path};
use crate::text::CommandLine;

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("who").multiple(false))]
pub struct PropagationArgs {
    /// The connection whose synced people to check.
    pub connection_id: String,
    /// Check N people of the ledger, picked by a seeded shuffle (the same seed checks the same
    /// people again) [default: 100].
    #[arg(long, value_name = "N", group = "who")]
    pub sample: Option<usize>,
    /// The shuffle's seed for --sample.
    #[arg(long, value_name = "SEED", default_value_t = 1, requires = "sample")]
    pub seed: u64,
    /// Check every person the ledger holds.
    #[arg(long, group = "who")]
    pub all: bool,
    /// Check one person (synced or not).
    #[arg(long, value_name = "UPN", group = "who")]
    pub user: Option<String>,
}

impl PropagationArgs {
    fn selection(&self) -> Selection {
        if self.all {
            Selection::All
        } else if let Some(upn) = &self.user {
            Selection::User(upn.clone())
        } else {
            Selection::Sample {
                size: self.sample.unwrap_or(DEFAULT_SAMPLE),
                seed: self.seed,
            }
        }
    }
}

/// What to do when the profile API refused the sign-in.
pub(super) const NEEDS_DELEGATED: &str = "the profile API needs a delegated sign-in, so live and \
    stale cannot be told: people whose data should show are listed as pending \
    (profileNotRead). Sign in as yourself with `peoplectl auth login`, then run this again with \
    --auth device-code";

pub(super) async fn run(session: &Session, args: PropagationArgs) -> Result<Exit, CliError> {
    let path = state_path(
        &session.data_dir,
        session.context_name(),
        &args.connection_id,
    );
    let report = propagation::run(
        &session.client,
        &path,
        &session.tenant_id,
        &args.connection_id,
        &args.selection(),
    )
    .await
    .map_err(|e| match e {
        PropagationError::Ops(o) => CliError::from(o),
        other => CliError::Failed(other.to_string()),
    })?;
    if report.profile == ProfileAccess::NeedsDelegatedSignIn {
        say!("note: {NEEDS_DELEGATED}.");
    }
    if report.checked == 0 && session.is_demo() {
        say!(
            "note: each --demo command starts a fresh demo tenant with an empty ledger, so a \
             `--demo sync` before this one is gone. To sync and then check, run `peoplectl \
             emulator` and point the CLI at it (README: \"Is it live yet?\")."
        );
    } else if report.checked == 0 {
        // Printed for pasting: quoted like every command we print.
        let sync = CommandLine::peoplectl(["sync"]).operand(&report.connection);
        say!(
            "note: the ledger of '{}' ({}) holds nobody: run `{sync}` first, or check one \
             person with --user UPN.",
            report.connection,
            path.display(),
        );
    }
    let now = now_unix();
    session
        .printer
        .result(&report, || text_report(&report, now))?;
    Ok(if report.all_live() {
        Exit::Ok
    } else {
        Exit::Problems
    })
}

/// The summary line.
pub fn summary(report: &PropagationReport) -> String {
    format!(
        "{}: {} checked, {} live, {} pending, {} dropped, {} stale, {} not synced",
        report.connection,
        report.checked,
        report.live,
        report.pending,
        report.dropped,
        report.stale,
        report.not_synced
    )
}

fn text_report(report: &PropagationReport, now: i64) -> String {
    let mut out = summary(report);
    out.push('\n');
    if report.users.is_empty() {
        return out;
    }
    out.push('\n');
    // UPN and file:line are what an admin acts on: never cut; the file by its name (the path
    // is in -o json).
    let mut t = Table::new(["UPN", "STATE", "REASON / AGE", "SOURCE"])
        .keep(0)
        .keep(3);
    for u in &report.users {
        let file = u.source.file.as_deref().map(|f| {
            std::path::Path::new(f)
                .file_name()
                .map_or_else(|| f.to_owned(), |n| n.to_string_lossy().into_owned())
        });
        let source = match (file, u.source.line) {
            (Some(f), Some(l)) => format!("{f}:{l}"),
            (Some(f), None) => f,
            _ => "-".to_owned(),
        };
        t.row([
            u.upn.clone(),
            crate::vocab::propagation_state(u.state.code()).to_owned(),
            describe(u, now),
            source,
        ]);
    }
    out.push_str(&Printer::table(&t));
    out
}
