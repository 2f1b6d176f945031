//! One consistent read of the three lists (connections, profile sources, precedence) in parallel.

use futures::{StreamExt, TryFutureExt};

use crate::graph::connections::{
    ConnectionOperation, ConnectionState, ExternalConnection, OperationStatus, PublicError,
    WireSchema,
};
use crate::graph::settings::ProfilePropertySetting;
use crate::graph::sources::ProfileSource;
use crate::graph::{ApiVersion, GraphClient, GraphError};
use crate::people::ids::SourceId;
use crate::people::precedence::PrecedenceList;
use crate::people::schema::{self as people_schema, Contract};

/// How many schemas are read at once.
const SCHEMA_READS: usize = 8;

/// A connection with its schema and the people-connector contract that schema follows.
#[derive(Debug, Clone)]
pub struct ConnectionView {
    pub connection: ExternalConnection,
    /// The schema, when one is registered and readable.
    pub schema: Option<WireSchema>,
    /// Why the schema could not be read, when it could not.
    pub schema_error: Option<String>,
    pub contract: Contract,
    /// What is wrong with the schema under its contract (labels contract rules).
    pub schema_problems: Vec<String>,
    /// The error of the last schema operation, when it failed (read for drafts only: a
    /// draft is where a failed operation leaves a connection).
    pub failed_operation: Option<PublicError>,
    /// The schema operations, oldest first (read for drafts only, and only where Graph lists
    /// them): a running or failed one is what keeps a draft a draft.
    pub operations: Vec<ConnectionOperation>,
}

impl ConnectionView {
    /// True when the connection is meant to feed profiles: it says `people`, or its schema
    /// follows a people contract.
    pub fn is_people(&self) -> bool {
        self.connection.is_people() || self.contract != Contract::None
    }
}

/// The nameless precedence setting.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecedenceSetting {
    pub id: String,
    pub list: PrecedenceList,
}

impl PrecedenceSetting {
    fn from_graph(setting: ProfilePropertySetting) -> Self {
        Self {
            list: PrecedenceList::from_urls(setting.prioritized_source_urls),
            id: setting.id,
        }
    }
}

/// The tenant as peoplectl sees it.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub connections: Vec<ConnectionView>,
    pub sources: Vec<ProfileSource>,
    /// `None` when the tenant has no nameless setting yet.
    pub precedence: Option<PrecedenceSetting>,
    /// peoplectl's record of work in flight and the time the snapshot is judged at, when
    /// attached ([`super::stuck::attach`]): what tells stuck work from work in progress.
    pub work: Option<super::stuck::Work>,
    /// Per connection, the people its last propagation check found still not shown long after
    /// their data landed, when attached ([`super::stuck::attach_overdue`]).
    pub overdue: Vec<(String, Vec<super::propagation::Overdue>)>,
}

impl Snapshot {
    /// The connection with this id.
    pub fn connection(&self, id: &str) -> Option<&ConnectionView> {
        self.connections.iter().find(|c| c.connection.id == id)
    }

    /// The connection with this id, compared case-insensitively as Graph compares them.
    pub fn connection_any_case(&self, id: &str) -> Option<&ConnectionView> {
        self.connections
            .iter()
            .find(|c| c.connection.id.eq_ignore_ascii_case(id))
    }

    /// The profile source with this source id (case-insensitively, as Graph keys compare).
    pub fn source(&self, source_id: &str) -> Option<&ProfileSource> {
        self.sources
            .iter()
            .find(|s| s.source_id.eq_ignore_ascii_case(source_id))
    }

    /// Source ids of every registered profile source.
    pub fn registered_ids(&self) -> Vec<SourceId> {
        self.sources
            .iter()
            .filter_map(|s| SourceId::new(s.source_id.clone()).ok())
            .collect()
    }

    /// The 1-based rank of a source in the precedence list.
    pub fn rank_of(&self, source_id: &str) -> Option<usize> {
        let id = SourceId::new(source_id).ok()?;
        self.precedence
            .as_ref()
            .and_then(|p| p.list.index_of(&id))
            .map(|i| i + 1)
    }

    /// The precedence list, empty when there is no setting.
    pub fn list(&self) -> PrecedenceList {
        self.precedence
            .as_ref()
            .map(|p| p.list.clone())
            .unwrap_or_default()
    }
}

/// Reads connections (beta, for item counts), profile sources and the precedence setting at
/// once, then every connection's schema.
pub async fn read_snapshot(client: &GraphClient) -> Result<Snapshot, GraphError> {
    let (connections, sources, precedence) = tokio::try_join!(
        client.list_connections(ApiVersion::Beta),
        client.list_profile_sources(),
        client
            .precedence_setting()
            .map_ok(|s| s.map(PrecedenceSetting::from_graph)),
    )?;
    let connections = futures::stream::iter(connections)
        .map(|c| read_view(client, c))
        .buffered(SCHEMA_READS)
        .collect::<Vec<_>>()
        .await;
    Ok(Snapshot {
        connections,
        sources,
        precedence,
        work: None,
        overdue: Vec::new(),
    })
}

/// Reads the precedence setting alone (the read half of read-compare-write).
pub async fn read_precedence(
    client: &GraphClient,
) -> Result<Option<PrecedenceSetting>, GraphError> {
    Ok(client
        .precedence_setting()
        .await?
        .map(PrecedenceSetting::from_graph))
}

async fn read_view(client: &GraphClient, connection: ExternalConnection) -> ConnectionView {
    // A draft connection has no schema yet; asking would only produce an error to hide.
    // Its operations say why: the last one failed, or none was ever started.
    let mut operations = Vec::new();
    let (schema, schema_error) = if connection.state == ConnectionState::Draft {
        if let Ok(Some(ops)) = client.list_operations(&connection.id).await {
            operations = ops;
        }
        (None, None)
    } else {
        match client.get_schema(&connection.id).await {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e.to_string())),
        }
    };
    let engine_schema = schema.as_ref().and_then(engine_schema);
    let contract = engine_schema
        .as_ref()
        .map_or(Contract::None, people_schema::detect);
    let failed_operation = operations
        .last()
        .filter(|op| op.status == OperationStatus::Failed)
        .map(|op| op.error.clone().unwrap_or_default());
    let schema_problems = match (&engine_schema, contract) {
        (Some(s), Contract::Labels) => people_schema::validate(s, contract)
            .iter()
            .map(ToString::to_string)
            .collect(),
        _ => Vec::new(),
    };
    ConnectionView {
        connection,
        schema,
        schema_error,
        contract,
        schema_problems,
        failed_operation,
        operations,
    }
}

/// A wire schema as the rules engine's own type (it never sees wire DTOs), crossing over as
/// JSON: both follow Graph's shape.
pub fn engine_schema(schema: &WireSchema) -> Option<people_schema::Schema> {
    serde_json::to_value(schema)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
}
