//! Rows derived from a snapshot, in the shapes of the command-line JSON contract; the CLI
//! prints them and the TUI's panes show them.

use serde::Serialize;

use super::snapshot::Snapshot;
use crate::people::ids::SourceId;
use crate::people::schema::Contract;
use crate::people::source_url::builtin_source;

/// One connection, as `connections list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRow {
    pub id: String,
    pub name: String,
    pub state: String,
    pub content_category: Option<String>,
    pub contract: Contract,
    /// Registered as a profile source.
    pub registered: bool,
    /// 1-based rank in the precedence list.
    pub rank: Option<usize>,
    pub items: Option<i64>,
}

/// One profile source, as `sources list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRow {
    pub source_id: String,
    pub display_name: Option<String>,
    pub kind: Option<String>,
    pub web_url: Option<String>,
    pub rank: Option<usize>,
    pub built_in: bool,
    /// A connector source whose connection no longer exists.
    pub orphan: bool,
}

/// The precedence list, as `precedence show` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrecedenceView {
    pub setting_id: Option<String>,
    pub sources: Vec<PrecedenceRow>,
}

/// One precedence entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrecedenceRow {
    /// 1 = highest priority.
    pub rank: usize,
    pub url: String,
    pub source_id: Option<String>,
    pub display_name: Option<String>,
    /// The entry names a registered profile source.
    pub registered: bool,
}

/// `connections list`.
pub fn connection_rows(snapshot: &Snapshot) -> Vec<ConnectionRow> {
    snapshot
        .connections
        .iter()
        .map(|c| {
            let id = &c.connection.id;
            ConnectionRow {
                id: id.clone(),
                name: c.connection.name.clone(),
                state: c.connection.state.as_str().to_owned(),
                content_category: c.connection.content_category.clone(),
                contract: c.contract,
                registered: snapshot.source(id).is_some(),
                rank: snapshot.rank_of(id),
                items: c.connection.ingested_items_count,
            }
        })
        .collect()
}

/// `sources list`.
pub fn source_rows(snapshot: &Snapshot) -> Vec<SourceRow> {
    snapshot
        .sources
        .iter()
        .map(|s| {
            let built_in = SourceId::new(s.source_id.clone())
                .ok()
                .and_then(|id| builtin_source(&id))
                .is_some();
            SourceRow {
                source_id: s.source_id.clone(),
                display_name: s.display_name.clone(),
                kind: s.kind.clone(),
                web_url: s.web_url.clone(),
                rank: snapshot.rank_of(&s.source_id),
                built_in,
                orphan: !built_in && snapshot.connection(&s.source_id).is_none(),
            }
        })
        .collect()
}

/// `precedence show`.
pub fn precedence_view(snapshot: &Snapshot) -> PrecedenceView {
    let list = snapshot.list();
    PrecedenceView {
        setting_id: snapshot.precedence.as_ref().map(|p| p.id.clone()),
        sources: list
            .entries()
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let source_id = entry.source_id().map(|s| s.as_str().to_owned());
                let source = source_id.as_deref().and_then(|id| snapshot.source(id));
                let display_name = source
                    .and_then(|s| s.display_name.clone())
                    .or_else(|| entry.builtin().map(|b| b.name.to_owned()));
                PrecedenceRow {
                    rank: i + 1,
                    url: entry.as_str().to_owned(),
                    registered: source.is_some(),
                    source_id,
                    display_name,
                }
            })
            .collect(),
    }
}
