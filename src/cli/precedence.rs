//! `peoplectl precedence`: show the list, move an entry, set the whole order, remove an entry.

use clap::{ArgGroup, Args, Subcommand};
use serde::Serialize;

use super::impact::{ImpactArgs, csv as impact_csv, impact_text};
use super::table::Table;
use super::{CliError, Exit, Printer, Session};
use crate::ops::impact::{ImpactSummary, Proposal};
use crate::ops::reorder::{Edit, ReorderPlan, apply, plan_edit};
use crate::ops::snapshot::{read_precedence, read_snapshot};
use crate::ops::views::precedence_view;
use crate::people::ids::SourceId;
use crate::people::precedence::Change;

#[derive(Debug, Subcommand)]
pub enum PrecedenceCmd {
    /// Show the list, highest priority first.
    Show,
    /// Move one source up, down or to a rank.
    Move(MoveArgs),
    /// Replace the order with these source ids (comma-separated, highest first). Entries no
    /// source id can name (unrecognised URLs) would be dropped: that is asked first, or needs
    /// --yes.
    Set {
        /// Source ids, e.g. contosohr,4ce763dd-9214-4eff-af7c-da491cc3782d
        #[arg(value_delimiter = ',', required = true)]
        ids: Vec<String>,
        /// Show the change and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Drop entries no source id can name without asking (needed when there is no
        /// terminal to ask on).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        impact: ImpactArgs,
    },
    /// Remove an entry by source id or by rank (for entries that name no known source).
    #[command(group(ArgGroup::new("which").required(true).args(["source_id", "rank"])))]
    Remove {
        source_id: Option<String>,
        /// The rank of the entry to remove (1 = highest).
        #[arg(long)]
        rank: Option<usize>,
        /// Show the change and write nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        impact: ImpactArgs,
    },
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("direction").required(true).args(["up", "down", "to"])))]
pub struct MoveArgs {
    /// The source to move.
    pub source_id: String,
    /// One rank higher.
    #[arg(long)]
    pub up: bool,
    /// One rank lower.
    #[arg(long)]
    pub down: bool,
    /// To this rank (1 = highest).
    #[arg(long)]
    pub to: Option<usize>,
    /// Show the change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub impact: ImpactArgs,
}

pub(super) async fn run(session: &Session, cmd: PrecedenceCmd) -> Result<Exit, CliError> {
    let mut yes = true;
    let (edit, dry_run, impact) = match cmd {
        PrecedenceCmd::Show => return show(session).await,
        PrecedenceCmd::Move(args) => {
            let id = source_id(&args.source_id)?;
            let edit = if args.up {
                Edit::MoveUp(id)
            } else if args.down {
                Edit::MoveDown(id)
            } else {
                Edit::MoveTo(id, args.to.unwrap_or(1))
            };
            (edit, args.dry_run, args.impact)
        }
        PrecedenceCmd::Set {
            ids,
            dry_run,
            yes: given,
            impact,
        } => {
            yes = given;
            (
                Edit::Set(ids.iter().map(|i| source_id(i)).collect::<Result<_, _>>()?),
                dry_run,
                impact,
            )
        }
        PrecedenceCmd::Remove {
            source_id: Some(id),
            dry_run,
            impact,
            ..
        } => (Edit::Remove(source_id(&id)?), dry_run, impact),
        PrecedenceCmd::Remove {
            rank,
            dry_run,
            impact,
            ..
        } => (Edit::RemoveRank(rank.unwrap_or(0)), dry_run, impact),
    };
    edit_list(session, &edit, dry_run, yes, &impact).await
}

fn source_id(text: &str) -> Result<SourceId, CliError> {
    SourceId::parse_arg(text).map_err(|e| CliError::Usage(e.to_string()))
}

async fn show(session: &Session) -> Result<Exit, CliError> {
    let snapshot = read_snapshot(&session.client).await?;
    let view = precedence_view(&snapshot);
    session.printer.result(&view, || {
        if view.setting_id.is_none() {
            return "No precedence setting: Microsoft's default order applies.\n".into();
        }
        let mut t = Table::new(["RANK", "SOURCE ID", "NAME", "NOTE"]).keep(1);
        for r in &view.sources {
            let note = match (&r.source_id, r.registered) {
                (None, _) => "unrecognised entry (kept as is)",
                (Some(_), false) => "NOT REGISTERED",
                _ => "",
            };
            t.row([
                r.rank.to_string(),
                r.source_id.clone().unwrap_or_else(|| r.url.clone()),
                r.display_name.clone().unwrap_or_default(),
                note.to_owned(),
            ]);
        }
        Printer::table(&t)
    })?;
    Ok(Exit::Ok)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EditDoc<'a> {
    dry_run: bool,
    applied: bool,
    setting_id: &'a str,
    before: Vec<String>,
    after: Vec<String>,
    changes: &'a [Change],
    /// Who sees a different profile (a dry run, `-o csv` or `--impact-file`).
    #[serde(skip_serializing_if = "Option::is_none")]
    impact: Option<&'a ImpactSummary>,
}

/// `yes`: entries no source id can name may be dropped without asking.
async fn edit_list(
    session: &Session,
    edit: &Edit,
    dry_run: bool,
    yes: bool,
    impact_args: &ImpactArgs,
) -> Result<Exit, CliError> {
    let setting = read_precedence(&session.client).await?.ok_or_else(|| {
        CliError::Failed(
            "the tenant has no precedence setting yet; `peoplectl sources register` creates it"
                .into(),
        )
    })?;
    let plan = plan_edit(&setting, edit)?;
    // Measured before anything is written: the impact is shown first, or filed for a ticket.
    let impact = if plan.is_noop() {
        None
    } else {
        impact_args
            .measure(
                session,
                dry_run,
                &Proposal::Reorder {
                    before: plan.before.clone(),
                    after: plan.after.clone(),
                },
            )
            .await
    };
    impact_args.write_file(impact.as_ref())?;
    let lost = unnameable_dropped(&plan);
    if !lost.is_empty() {
        let mut text = format!(
            "This drops {} from the precedence list that no source id can name:",
            if lost.len() == 1 {
                "1 entry".to_owned()
            } else {
                format!("{} entries", lost.len())
            }
        );
        for (rank, url) in &lost {
            // Debug quoting shows control characters from Graph inertly.
            text.push_str(&format!("\n  rank {rank}: {url:?}"));
        }
        if dry_run || yes {
            session.printer.note(&text);
        } else {
            confirm_drop(session, &text)?;
        }
    }
    if !dry_run && !plan.is_noop() {
        session.check_writable("change the precedence list")?;
        apply(&session.client, &plan).await?;
    }
    print_plan(session, &plan, dry_run, impact.as_ref())?;
    Ok(Exit::Ok)
}

/// Entries of the current list that the plan drops and that no id typed on the command line
/// could name: URLs naming no source we recognise, and ids a URL cannot carry. `set` would
/// lose them silently otherwise; `precedence remove --rank N` removes one on purpose.
fn unnameable_dropped(plan: &ReorderPlan) -> Vec<(usize, String)> {
    plan.before
        .entries()
        .iter()
        .enumerate()
        .filter(|(_, entry)| {
            let nameable = entry
                .source_id()
                .is_some_and(|id| SourceId::parse_arg(id.as_str()).is_ok());
            !nameable
                && !plan
                    .after
                    .entries()
                    .iter()
                    .any(|a| a.as_str() == entry.as_str())
        })
        .map(|(i, entry)| (i + 1, entry.as_str().to_owned()))
        .collect()
}

/// Asks before dropping unnameable entries; refuses (exit 4) when there is no terminal.
fn confirm_drop(session: &Session, text: &str) -> Result<(), CliError> {
    use std::io::{BufRead, IsTerminal, Write};
    let keep = "Nothing was written. `peoplectl precedence move` reorders without dropping \
                them; pass --yes to drop them.";
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Refused(format!("{text}\n{keep}")));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{text}\nDrop them? [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::Failed(format!("reading the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        session.printer.note(keep);
        Err(CliError::Reported(Exit::Refused))
    }
}

fn print_plan(
    session: &Session,
    plan: &ReorderPlan,
    dry_run: bool,
    impact: Option<&ImpactSummary>,
) -> Result<(), CliError> {
    let doc = EditDoc {
        dry_run,
        applied: !dry_run && !plan.is_noop(),
        setting_id: &plan.setting_id,
        before: plan.before.to_strings(),
        after: plan.after.to_strings(),
        changes: &plan.changes,
        impact,
    };
    let table = || {
        let mut t = Table::new(["RANK", "BEFORE", "AFTER"]);
        let name = |list: &crate::people::precedence::PrecedenceList, i: usize| {
            list.entries().get(i).map_or(String::new(), |e| {
                e.source_id()
                    .map_or_else(|| e.as_str().to_owned(), short_name)
            })
        };
        for i in 0..plan.before.len().max(plan.after.len()) {
            let (b, a) = (name(&plan.before, i), name(&plan.after, i));
            let a = if a == b { a } else { format!("{a}  *") };
            t.row([(i + 1).to_string(), b, a]);
        }
        let mut out = Printer::table(&t);
        if let Some(impact) = impact {
            out.push_str(&impact_text(impact));
        }
        out.push_str(if plan.is_noop() {
            "No change.\n"
        } else if dry_run {
            "Dry run: nothing was written.\n"
        } else {
            "Precedence list updated.\n"
        });
        out
    };
    session
        .printer
        .result_or_csv(&doc, table, || impact_csv(impact))
}

/// A built-in source's name, else its id.
fn short_name(id: &SourceId) -> String {
    crate::people::source_url::builtin_source(id)
        .map_or_else(|| id.to_string(), |b| b.name.to_owned())
}
