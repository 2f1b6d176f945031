//! Connect: the connection must exist, be ready, follow a people contract, and have a
//! property for everything the mapping fills. All of it is checked before the input is read.

use std::sync::Arc;
use std::time::Instant;

use super::{Shared, SyncError, SyncOptions};
use crate::graph::connections::ConnectionState;
use crate::graph::{ApiVersion, GraphClient};
use crate::people::entities::EntityKind;
use crate::people::ids::ConnectionId;
use crate::people::item::ItemLayout;
use crate::people::schema::Schema as PeopleSchema;
use crate::sync::input::Input;
use crate::sync::mapping::Mapping;
use crate::sync::reader::InputFormat;
use crate::sync::report::{EventSink, IssueLog, Tally};
use crate::text::CommandLine;

/// Why a connection in `state` cannot take items now, or `None` when it can. The one rule for
/// the CLI, the engine and the console (whose Syncs pane offers only connections it allows).
pub fn not_ready(id: &str, state: ConnectionState) -> Option<String> {
    let show = CommandLine::peoplectl(["connections", "show"]).operand(id);
    let why = match state {
        ConnectionState::Ready => return None,
        ConnectionState::Draft => format!(
            "it is a draft: its schema was never registered, is still being provisioned, or its \
             schema operation failed (see `{show}`); items can be written only once the schema \
             is ready"
        ),
        ConnectionState::Obsolete => {
            "it is obsolete: Graph allows nothing but deleting it".to_owned()
        }
        ConnectionState::LimitExceeded => {
            "it has reached its item quota (limitExceeded): Graph takes no new items".to_owned()
        }
        ConnectionState::Unknown => {
            format!("its state is not one peoplectl knows (see `{show}`), so it may not take items")
        }
    };
    Some(why)
}

/// Checks the connection can take people items, adapts the mapping to its schema, and sets
/// up what every later phase shares.
pub(super) async fn connect(
    client: &GraphClient,
    options: &SyncOptions,
    input: Input,
    events: &EventSink,
    started: Instant,
) -> Result<Shared, SyncError> {
    let mapping = match &options.mapping {
        Some(path) => Mapping::load(path)?,
        None => Mapping::default_mapping(),
    };
    let (connection, layout, mapping) = check(client, options, mapping).await?;
    let format = options
        .format
        .or(mapping.format())
        .unwrap_or_else(|| InputFormat::from_path(&options.input));
    Ok(Shared {
        file: input.name().to_owned(),
        input,
        format,
        key_kind: mapping.key_kind(),
        mapping,
        layout,
        tenant_id: options.tenant_id.clone(),
        connection,
        full: options.full,
        tally: Arc::new(Tally::default()),
        issues: Arc::new(IssueLog::new(options.max_listed_issues)),
        events: events.clone(),
        started,
    })
}

async fn check(
    client: &GraphClient,
    options: &SyncOptions,
    mapping: Mapping,
) -> Result<(ConnectionId, ItemLayout, Mapping), SyncError> {
    let refuse = |reason: String| SyncError::Connection {
        connection: options.connection.clone(),
        reason,
    };
    let id = ConnectionId::new(options.connection.clone()).map_err(|e| refuse(e.to_string()))?;
    let connection = match client.get_connection(id.as_str(), ApiVersion::V1).await {
        Ok(c) => c,
        Err(e) if e.is_not_found() => return Err(refuse("no such connection".into())),
        Err(e) => return Err(e.into()),
    };
    // A dry run too: a plan against a schema that is not there yet would be a guess.
    if let Some(reason) = not_ready(id.as_str(), connection.state) {
        return Err(SyncError::NotReady {
            connection: options.connection.clone(),
            reason,
        });
    }
    let schema = client.get_schema(id.as_str()).await?;
    let schema: PeopleSchema = serde_json::to_value(&schema)
        .and_then(serde_json::from_value)
        .map_err(|e| refuse(format!("its schema cannot be read: {e}")))?;
    let layout = ItemLayout::from_schema(&schema)
        .map_err(|e| refuse(format!("{e}: it is not a people connection")))?;
    // What the mapping fills must have a property to go to.
    let missing: Vec<EntityKind> = mapping
        .kinds()
        .into_iter()
        .filter(|k| layout.property_for(*k).is_none())
        .collect();
    let mapping = if missing.is_empty() {
        mapping
    } else if mapping.is_lenient() {
        mapping.without_kinds(&missing)
    } else {
        let names: Vec<&str> = missing.iter().map(|k| k.label()).collect();
        return Err(refuse(format!(
            "its schema has no property for {} that {} fills; add the properties or remove them \
             from the mapping",
            names.join(", "),
            mapping.file()
        )));
    };
    if !layout.accept_undeclared {
        if let Some(name) = mapping
            .custom_properties()
            .find(|n| !layout.custom.iter().any(|(c, _)| c.eq_ignore_ascii_case(n)))
        {
            return Err(refuse(format!(
                "its schema has no custom property '{name}' that {} fills",
                mapping.file()
            )));
        }
    }
    Ok((id, layout, mapping))
}
