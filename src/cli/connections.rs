//! `peoplectl connections`: list, show, create (with schema), delete.

use clap::Subcommand;
use serde::Serialize;

use super::table::Table;
use super::{CliError, Exit, Printer, Session};
use crate::graph::connections::SchemaProperty;
use crate::ops::snapshot::read_snapshot;
use crate::ops::views::{ConnectionRow, connection_rows};

#[derive(Debug, Subcommand)]
pub enum ConnectionsCmd {
    /// List connections with their contract, state and rank.
    List,
    /// Show one connection and its schema.
    Show {
        /// The connection id.
        id: String,
    },
    /// Delete a connection and its items (refused while it is still a profile source: use
    /// `peoplectl remove` for connectors).
    Delete {
        /// The connection id.
        id: String,
    },
}

pub(super) async fn run(session: &Session, cmd: ConnectionsCmd) -> Result<Exit, CliError> {
    match cmd {
        ConnectionsCmd::List => list(session).await,
        ConnectionsCmd::Show { id } => show(session, &id).await,
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
                serde_plain(&r.contract),
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
    };
    session.printer.result(&doc, || {
        let mut out = format!(
            "{}  {}\n  state {}, contract {}, category {}, {}, rank {}, items {}\n",
            row.id,
            row.name,
            row.state,
            serde_plain(&row.contract),
            row.content_category.as_deref().unwrap_or("-"),
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
            (None, Some(e)) => out.push_str(&format!("  schema could not be read: {e}\n")),
            (None, None) => out.push_str("  no schema registered\n"),
        }
        out
    })?;
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
            "'{id}' is still a profile source or in the precedence list; `peoplectl remove {id}` removes all three in the right order"
        )));
    }
    session.client.delete_connection(id).await?;
    session.printer.result(
        &serde_json::json!({"connection": id, "deleted": true}),
        || format!("Connection '{id}' deleted.\n"),
    )?;
    Ok(Exit::Ok)
}

/// A serde enum's wire name (e.g. a contract as "labels").
fn serde_plain<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}
