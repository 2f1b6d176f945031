//! `peoplectl remove`: the guided, resumable removal of a connector, with typed confirmation.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;

use super::impact::ImpactArgs;
use super::output::say;
use super::sources::print_steps;
use super::{CliError, Exit, Session};
use crate::ops::impact::ImpactSummary;
use crate::ops::remove::{Scope, execute_remove, plan_with_impact};
use crate::ops::stuck;
use crate::ops::{Event, Progress, StepStatus};
use crate::text::shown;

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The connection (and source) id to remove.
    pub connection_id: String,
    /// Show what exists and what would be done; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask to type the connection id (needed when there is no terminal).
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub impact: ImpactArgs,
}

pub(super) async fn run(session: &Session, args: RemoveArgs) -> Result<Exit, CliError> {
    remove(
        session,
        &args.connection_id,
        Scope::Connector,
        args.dry_run,
        args.yes,
        &args.impact,
    )
    .await
}

/// `sources remove`: the first two steps of a removal, keeping the connection.
pub(super) async fn remove_source_only(
    session: &Session,
    source_id: &str,
    dry_run: bool,
) -> Result<Exit, CliError> {
    let no_impact = ImpactArgs {
        impact_file: None,
        impact_users: 0,
    };
    remove(
        session,
        source_id,
        Scope::SourceOnly,
        dry_run,
        true,
        &no_impact,
    )
    .await
}

async fn remove(
    session: &Session,
    id: &str,
    scope: Scope,
    dry_run: bool,
    yes: bool,
    impact_args: &ImpactArgs,
) -> Result<Exit, CliError> {
    let (plan, impact_error) =
        plan_with_impact(&session.client, id, impact_args.impact_users).await?;
    plan.check_found(scope)?;
    if let Some(e) = impact_error {
        // The impact informs; it does not stand in the way of a removal.
        say!(
            "warning: could not measure the impact: {}",
            shown(&e.to_string())
        );
    }
    impact_args.write_file(plan.impact.as_ref())?;
    let planned = plan.steps_in(scope);
    if dry_run {
        print_steps(session, id, true, &planned, plan.impact.as_ref())?;
        return Ok(Exit::Ok);
    }
    if planned.iter().all(|s| s.status == StepStatus::AlreadyDone) {
        print_steps(session, id, false, &planned, None)?;
        return Ok(Exit::Ok);
    }
    session.check_writable(&format!("remove '{id}'"))?;
    if !yes {
        confirm(session, id, &planned, plan.impact.as_ref())?;
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let show_progress = !session.printer.json() && std::io::stderr().is_terminal();
    let printer = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if let (
                true,
                Event::Step {
                    step,
                    status,
                    detail,
                },
            ) = (show_progress, &event)
            {
                if *status != StepStatus::Running {
                    say!("  {step}: {status} {}", shown(detail));
                }
            }
        }
    });
    let (report, error) = execute_remove(&session.client, id, scope, &Progress::channel(tx)).await;
    let _ = printer.await;
    if stuck::deleted_connection(&report.steps) {
        if let Err(e) = stuck::note_deleted(&session.work_log(), id) {
            say!(
                "peoplectl: {e} (the removal stands; `peoplectl doctor` will not know it was ours)"
            );
        }
    }
    print_steps(session, id, false, &report.steps, plan.impact.as_ref())?;
    match error {
        None => Ok(Exit::Ok),
        Some(e) => {
            let refused = e.is_refusal();
            say!(
                "peoplectl: {e}\nThe steps above that are done stay done; run the same command again to finish."
            );
            Err(CliError::Reported(if refused {
                Exit::Refused
            } else {
                Exit::Error
            }))
        }
    }
}

/// Asks the admin to type the id; refuses (exit 4) when there is no terminal to ask on.
fn confirm(
    session: &Session,
    id: &str,
    steps: &[crate::ops::StepReport],
    impact: Option<&ImpactSummary>,
) -> Result<(), CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Refused(format!(
            "removing '{id}' needs confirmation: run it on a terminal, or pass --yes"
        )));
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "This will:");
    for s in steps.iter().filter(|s| s.status == StepStatus::Planned) {
        let _ = writeln!(err, "  - {}", shown(&s.detail));
    }
    if let Some(impact) = impact {
        let _ = writeln!(err, "Impact: {}.", shown(&impact.text));
    }
    let _ = write!(err, "Type the connection id ({}) to confirm: ", shown(id));
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::Failed(format!("reading the confirmation: {e}")))?;
    if answer.trim() != id {
        session.printer.note("Not confirmed: nothing was changed.");
        return Err(CliError::Reported(Exit::Refused));
    }
    Ok(())
}
