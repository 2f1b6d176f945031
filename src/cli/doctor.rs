//! `peoplectl doctor`: every disagreement between the three lists and all stuck work, with the
//! command that fixes each.

use serde::Serialize;

use super::output::say;
use super::table::{Table, terminal_width};
use super::{CliError, Exit, Printer, Session};
use crate::ops::doctor::{Problem, diagnose};
use crate::ops::snapshot::read_snapshot;
use crate::ops::stuck;
use crate::text::{shown, wrap_indented};
use time::OffsetDateTime;

#[derive(Serialize)]
struct Report<'a> {
    problems: &'a [Problem],
}

pub(super) async fn run(session: &Session) -> Result<Exit, CliError> {
    let mut snapshot = read_snapshot(&session.client).await?;
    if let Some(e) = stuck::attach(
        &mut snapshot,
        &session.work_log(),
        OffsetDateTime::now_utc(),
    ) {
        say!("peoplectl: {e}; stuck work is judged without peoplectl's record of it");
    }
    let context = session.context_name().to_owned();
    let (data_dir, tenant) = (session.data_dir.clone(), session.tenant_id.clone());
    // The last propagation checks live in the sync state files: file reads, off the runtime.
    snapshot = tokio::task::spawn_blocking(move || {
        stuck::attach_overdue(&mut snapshot, &data_dir, &context, &tenant);
        snapshot
    })
    .await
    .map_err(|e| CliError::Failed(e.to_string()))?;
    let problems = diagnose(&snapshot);
    session.printer.result(
        &Report {
            problems: &problems,
        },
        || {
            if problems.is_empty() {
                return "No problems: connections, profile sources and precedence agree, and no work is stuck.\n".into();
            }
            let width = terminal_width();
            let mut out = String::new();
            for p in &problems {
                out.push_str(&format!(
                    "{:<7}  {}  {}\n  {}\n  fix: {}\n",
                    p.severity.as_str().to_uppercase(),
                    p.code,
                    shown(&p.subject),
                    wrap_indented(&p.message, width, 2),
                    shown(&p.fix)
                ));
                if shown(&p.fix) != p.fix {
                    // Pasting the inert form would pass the pictures, not the characters.
                    out.push_str(
                        "  (an argument holds control characters, shown inertly above: \
                         `peoplectl doctor -o json` has the exact command)\n",
                    );
                }
                out.push('\n');
            }
            let mut t = Table::new(["SEVERITY", "COUNT"]);
            for sev in ["error", "warning", "info"] {
                let n = problems
                    .iter()
                    .filter(|p| p.severity.as_str() == sev)
                    .count();
                if n > 0 {
                    t.row([sev.to_owned(), n.to_string()]);
                }
            }
            out.push_str(&Printer::table(&t));
            out
        },
    )?;
    Ok(if problems.is_empty() {
        Exit::Ok
    } else {
        Exit::Problems
    })
}
