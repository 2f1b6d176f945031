//! `peoplectl connections`: list, show, create (with schema), delete.

use clap::Subcommand;
use serde::Serialize;

use super::output::say;
use super::table::Table;
use super::{CliError, Exit, Printer, Session};
use crate::graph::connections::SchemaProperty;
use crate::ops::snapshot::read_snapshot;
use crate::ops::views::{ConnectionRow, connection_rows};
use crate::text::{CommandLine, shown};

#[derive(Debug, Subcommand)]
pub enum ConnectionsCmd {
    /// List connections with their contract, state and rank.
    List,
    /// Show one connection and its schema.
    Show {
        /// The connection id.
        id: String,
    },
    /// Create a people connection and register its schema.
    Create(CreateArgs),
    /// Delete a connection and its items (refused while it is still a profile source: use
    /// `peoplectl remove` for connectors).
    Delete {
        /// The connection id.
        id: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Connection id: 3–32 letters and digits.
    pub id: String,
    /// Display name shown in the Microsoft 365 admin center.
    #[arg(long)]
    pub name: String,
    /// Description (defaults to the name).
    #[arg(long)]
    pub description: Option<String>,
    /// Schema contract: labels (current), preview (2025 preview) or none.
    #[arg(long, value_enum, default_value_t = SchemaArg::Labels)]
    pub schema: SchemaArg,
    /// Wait until the schema is provisioned (Microsoft quotes 5–15 minutes).
    #[arg(long)]
    pub wait: bool,
    /// Show what would be created; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `--schema` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaArg {
    Labels,
    Preview,
    None,
}

pub(super) async fn run(session: &Session, cmd: ConnectionsCmd) -> Result<Exit, CliError> {
    match cmd {
        ConnectionsCmd::List => list(session).await,
        ConnectionsCmd::Show { id } => show(session, &id).await,
        ConnectionsCmd::Create(args) => create(session, args).await,
        ConnectionsCmd::Delete { id } => delete(session, &id).await,
    }
}

async fn list(session: &Session) -> Result<Exit, CliError> {
    let snapshot = read_snapshot(&session.client).await?;
    let rows = connection_rows(&snapshot);
    session.printer.result(&rows, || {
        let mut t =
            Table::new(["ID", "NAME", "CONTRACT", "STATE", "SOURCE", "RANK", "ITEMS"]).keep(0);
        for r in &rows {
            t.row([
                r.id.clone(),
                r.name.clone(),
                crate::vocab::contract_name(r.contract).to_owned(),
                r.state.clone(),
                if r.registered { "yes" } else { "no" }.to_owned(),
                r.rank.map_or("-".into(), |n| n.to_string()),
                r.items.map_or("-".into(), |n| n.to_string()),
            ]);
        }
        Printer::table(&t)
    })?;
    Ok(Exit::Ok)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ShowDoc<'a> {
    #[serde(flatten)]
    row: &'a ConnectionRow,
    description: Option<&'a str>,
    schema: Option<&'a [SchemaProperty]>,
    schema_error: Option<&'a str>,
    /// The last schema operation's error, when it failed (`code`, `message`, `target`).
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_operation_error: Option<&'a crate::graph::connections::PublicError>,
}

async fn show(session: &Session, id: &str) -> Result<Exit, CliError> {
    let snapshot = read_snapshot(&session.client).await?;
    let rows = connection_rows(&snapshot);
    let (Some(view), Some(row)) = (snapshot.connection(id), rows.iter().find(|r| r.id == id))
    else {
        return Err(CliError::Failed(format!("there is no connection '{id}'")));
    };
    let doc = ShowDoc {
        row,
        description: view.connection.description.as_deref(),
        schema: view.schema.as_ref().map(|s| s.properties.as_slice()),
        schema_error: view.schema_error.as_deref(),
        schema_operation_error: view.failed_operation.as_ref(),
    };
    session.printer.result(&doc, || {
        let mut out = format!(
            "{}  {}\n  state {}, contract {}, category {}, {}, rank {}, items {}\n",
            shown(&row.id),
            shown(&row.name),
            shown(&row.state),
            crate::vocab::contract_name(row.contract),
            shown(row.content_category.as_deref().unwrap_or("-")),
            if row.registered {
                "registered as a profile source"
            } else {
                "not a profile source"
            },
            row.rank.map_or("-".into(), |n| n.to_string()),
            row.items.map_or("-".into(), |n| n.to_string()),
        );
        match (&view.schema, &view.schema_error) {
            (Some(schema), _) => {
                let mut t = Table::new(["PROPERTY", "TYPE", "LABELS"]);
                for p in &schema.properties {
                    t.row([p.name.clone(), p.kind.clone(), p.labels.join(",")]);
                }
                out.push_str(&Printer::table(&t));
            }
            (None, Some(e)) => {
                out.push_str(&format!("  schema could not be read: {}\n", shown(e)));
            }
            (None, None) => out.push_str("  no schema registered\n"),
        }
        if let Some(e) = &view.failed_operation {
            out.push_str(&format!(
                "  schema operation FAILED: {}\n",
                shown(&e.summary())
            ));
        }
        out
    })?;
    Ok(Exit::Ok)
}

async fn create(session: &Session, args: CreateArgs) -> Result<Exit, CliError> {
    use crate::ops::setup::{Polling, SchemaChoice, SetupRequest, execute_setup, schema_for};
    let id = crate::people::ids::ConnectionId::new(args.id.clone())
        .map_err(|e| CliError::Usage(format!("connection id '{}': {e}", args.id)))?;
    let choice = match args.schema {
        SchemaArg::Labels => SchemaChoice::Labels,
        SchemaArg::Preview => SchemaChoice::Preview,
        SchemaArg::None => SchemaChoice::None,
    };
    if args.dry_run {
        let schema = schema_for(choice)?;
        let doc = serde_json::json!({"connection": id.as_str(), "dryRun": true, "name": args.name, "schema": schema});
        session.printer.result(&doc, || {
            let mut out = format!("Would create connection '{id}' ({}).\n", shown(&args.name));
            if let Some(schema) = &schema {
                let mut t = Table::new(["PROPERTY", "TYPE", "LABELS"]);
                for p in &schema.properties {
                    t.row([p.name.clone(), p.kind.clone(), p.labels.join(",")]);
                }
                out.push_str(&Printer::table(&t));
            }
            out.push_str("Dry run: nothing was changed.\n");
            out
        })?;
        return Ok(Exit::Ok);
    }
    session.check_writable(&format!("create connection '{id}'"))?;
    let request = SetupRequest {
        id: id.clone(),
        name: args.name,
        description: args.description,
        schema: choice,
        wait: args.wait,
        polling: Polling::default(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let chatty = !session.printer.json();
    let (log, created) = (session.work_log(), id.as_str().to_owned());
    let printer = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if crate::ops::stuck::is_creation(&event) {
                if let Err(e) = crate::ops::stuck::note_created(&log, &created) {
                    say!(
                        "peoplectl: {e} (the connection stands; `peoplectl doctor` will not know when it was created)"
                    );
                }
            }
            if let (true, crate::ops::Event::Step { step, detail, .. }) = (chatty, &event) {
                say!("  {step}: {}", shown(detail));
            }
        }
    });
    let result = execute_setup(
        &session.client,
        &request,
        &crate::ops::Progress::channel(tx),
    )
    .await;
    let _ = printer.await;
    let steps = result?;
    if crate::ops::stuck::created_connection(&steps) {
        if let Err(e) = crate::ops::stuck::note_created(&session.work_log(), id.as_str()) {
            say!(
                "peoplectl: {e} (the connection stands; `peoplectl doctor` will not know when it was created)"
            );
        }
    }
    super::sources::print_steps(session, id.as_str(), false, &steps, None)?;
    Ok(Exit::Ok)
}

async fn delete(session: &Session, id: &str) -> Result<Exit, CliError> {
    session.check_writable(&format!("delete connection '{id}'"))?;
    let snapshot = read_snapshot(&session.client).await?;
    if snapshot.connection(id).is_none() {
        return Err(CliError::Failed(format!("there is no connection '{id}'")));
    }
    if snapshot.source(id).is_some() || snapshot.rank_of(id).is_some() {
        return Err(CliError::Refused(format!(
            "'{id}' is still a profile source or in the precedence list; `{}` removes all three in the right order",
            CommandLine::peoplectl(["remove"]).operand(id)
        )));
    }
    session.client.delete_connection(id).await?;
    if let Err(e) = crate::ops::stuck::note_deleted(&session.work_log(), id) {
        say!("peoplectl: {e} (the deletion stands; `peoplectl doctor` will not know it was ours)");
    }
    session.printer.result(
        &serde_json::json!({"connection": id, "deleted": true}),
        || format!("Connection '{id}' deleted.\n"),
    )?;
    Ok(Exit::Ok)
}
