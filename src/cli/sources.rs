//! `peoplectl sources`: list, register a connection as a source, remove a source.

use clap::{Args, Subcommand};

use super::impact::ImpactArgs;
use super::output::say;
use super::table::Table;
use super::{CliError, Exit, Printer, Session};
use crate::ops::impact::Proposal;
use crate::ops::register::{RegisterRequest, execute_register, plan_register};
use crate::ops::snapshot::read_snapshot;
use crate::ops::views::source_rows;
use crate::ops::{Progress, StepReport};
use crate::people::ids::SourceId;
use crate::people::precedence::Position;
use crate::text::shown;

#[derive(Debug, Subcommand)]
pub enum SourcesCmd {
    /// List profile sources with their rank in the precedence list.
    List,
    /// Register a connection as a profile source and rank it (top by default).
    Register(RegisterArgs),
    /// Remove a profile source: first from the precedence list, then the source itself.
    Remove {
        /// The source id.
        source_id: String,
        /// Show the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The connection to register (its id becomes the source id).
    pub connection_id: String,
    /// HTTPS link to the source system, shown on profile cards.
    #[arg(long)]
    pub web_url: String,
    /// Display name (defaults to the connection's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Free-form kind, e.g. Workday.
    #[arg(long)]
    pub kind: Option<String>,
    /// Where in the precedence list: top, bottom or a rank (1 = highest).
    #[arg(long, default_value = "top", value_parser = parse_position)]
    pub at: Position,
    /// Show the plan and its impact, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Register even a connection that cannot feed profiles (not people, no personAccount
    /// property, not ready); its reasons are printed as warnings.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub impact: ImpactArgs,
}

/// `top`, `bottom` or a 1-based rank.
pub fn parse_position(text: &str) -> Result<Position, String> {
    match text {
        "top" => Ok(Position::Top),
        "bottom" => Ok(Position::Bottom),
        n => match n.parse::<usize>() {
            Ok(r) if r >= 1 => Ok(Position::Index(r - 1)),
            _ => Err(format!("'{n}' is not top, bottom or a rank from 1")),
        },
    }
}

pub(super) async fn run(session: &Session, cmd: SourcesCmd) -> Result<Exit, CliError> {
    match cmd {
        SourcesCmd::List => list(session).await,
        SourcesCmd::Register(args) => register(session, args).await,
        SourcesCmd::Remove { source_id, dry_run } => {
            super::remove::remove_source_only(session, &source_id, dry_run).await
        }
    }
}

async fn list(session: &Session) -> Result<Exit, CliError> {
    let snapshot = read_snapshot(&session.client).await?;
    let rows = source_rows(&snapshot);
    session.printer.result(&rows, || {
        let mut t = Table::new(["RANK", "SOURCE ID", "NAME", "KIND", "FLAGS"]).keep(1);
        let mut sorted: Vec<_> = rows.iter().collect();
        sorted.sort_by_key(|r| (r.rank.unwrap_or(usize::MAX), r.source_id.clone()));
        for r in sorted {
            let mut flags = Vec::new();
            if r.built_in {
                flags.push("built-in");
            }
            if r.orphan {
                flags.push("ORPHAN");
            }
            t.row([
                r.rank.map_or("-".into(), |n| n.to_string()),
                r.source_id.clone(),
                r.display_name.clone().unwrap_or_default(),
                r.kind.clone().unwrap_or_default(),
                flags.join(","),
            ]);
        }
        Printer::table(&t)
    })?;
    Ok(Exit::Ok)
}

async fn register(session: &Session, args: RegisterArgs) -> Result<Exit, CliError> {
    let plan = plan_register(
        &session.client,
        RegisterRequest {
            connection_id: args.connection_id,
            web_url: args.web_url,
            display_name: args.name,
            kind: args.kind,
            at: args.at,
            force: args.force,
        },
    )
    .await?;
    for w in &plan.warnings {
        say!("warning (--force): {}", shown(w));
    }
    // The impact comes first: a dry run shows it, --impact-file files it before the write.
    let impact = if plan.writes() {
        let source =
            SourceId::new(plan.source_id.clone()).map_err(|e| CliError::Usage(e.to_string()))?;
        args.impact
            .measure(
                session,
                args.dry_run,
                &Proposal::Register {
                    source,
                    before: plan.list_before(),
                    after: plan.after.clone(),
                },
            )
            .await
    } else {
        None
    };
    args.impact.write_file(impact.as_ref())?;
    if args.dry_run {
        print_steps(session, &plan.source_id, true, &plan.steps, impact.as_ref())?;
        return Ok(Exit::Ok);
    }
    session.check_writable("register a profile source")?;
    let steps = execute_register(&session.client, &plan, &Progress::none()).await?;
    print_steps(session, &plan.source_id, false, &steps, impact.as_ref())?;
    Ok(Exit::Ok)
}

/// Prints a workflow's steps in the `remove` JSON shape.
pub(super) fn print_steps(
    session: &Session,
    subject: &str,
    dry_run: bool,
    steps: &[StepReport],
    impact: Option<&crate::ops::impact::ImpactSummary>,
) -> Result<(), CliError> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Doc<'a> {
        connection: &'a str,
        dry_run: bool,
        steps: &'a [StepReport],
        #[serde(skip_serializing_if = "Option::is_none")]
        impact: Option<&'a crate::ops::impact::ImpactSummary>,
    }
    session.printer.result_or_csv(
        &Doc {
            connection: subject,
            dry_run,
            steps,
            impact,
        },
        || {
            let mut t = Table::new(["STEP", "STATUS", "DETAIL"]);
            for s in steps {
                t.row([
                    crate::vocab::step_name(&s.step).to_owned(),
                    s.status.to_string(),
                    s.detail.clone(),
                ]);
            }
            let mut out = Printer::table(&t);
            if let Some(impact) = impact {
                out.push_str(&super::impact::impact_text(impact));
            }
            if dry_run {
                out.push_str("Dry run: nothing was changed.\n");
            }
            out
        },
        || super::impact::csv(impact),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        assert_eq!(parse_position("top"), Ok(Position::Top));
        assert_eq!(parse_position("bottom"), Ok(Position::Bottom));
        assert_eq!(parse_position("3"), Ok(Position::Index(2)));
        assert!(parse_position("0").is_err());
        assert!(parse_position("first").is_err());
    }
}
