//! Connect: the connection must exist, be ready, follow a people contract, and have a
//! property for everything the mapping fills.

use super::{SyncError, SyncOptions};
use crate::graph::connections::ConnectionState;
use crate::graph::{ApiVersion, GraphClient};
use crate::people::entities::EntityKind;
use crate::people::ids::ConnectionId;
use crate::people::item::ItemLayout;
use crate::people::schema::Schema as PeopleSchema;
use crate::sync::mapping::Mapping;

/// Checks the connection can take people items and adapts the mapping to its schema.
pub(super) async fn connect(
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
    if connection.state != ConnectionState::Ready && !options.dry_run {
        return Err(refuse(format!(
            "it is {}, not ready: items can be written only once its schema is provisioned",
            connection.state.as_str()
        )));
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
