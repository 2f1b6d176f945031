//! External connections, their schema and schema operations (`/external/connections`).

use reqwest::Method;
use reqwest::header::HeaderName;
use serde::{Deserialize, Serialize};

use super::client::{ApiVersion, Call, GraphClient, segment};
use super::error::GraphError;
use super::serde_util::{lenient_bool, null_as_empty};

const READ: &str = "ExternalConnection.Read.All";
const WRITE: &str = "ExternalConnection.ReadWrite.OwnedBy";

/// An external connection as Graph returns it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExternalConnection {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub state: ConnectionState,
    /// Kept as text: the enum is evolvable, and `people` is the one value we act on.
    #[serde(default)]
    pub content_category: Option<String>,
    #[serde(default)]
    pub configuration: Option<Configuration>,
    /// Beta only; refreshed by the service every 15 minutes, null in draft.
    #[serde(default)]
    pub ingested_items_count: Option<i64>,
}

impl ExternalConnection {
    /// True when the connection declares itself a people connector.
    pub fn is_people(&self) -> bool {
        self.content_category
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("people"))
    }
}

/// `connectionState`.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ConnectionState {
    Draft,
    Ready,
    Obsolete,
    LimitExceeded,
    #[default]
    #[serde(other)]
    Unknown,
}

impl ConnectionState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Ready => "ready",
            Self::Obsolete => "obsolete",
            Self::LimitExceeded => "limitExceeded",
            Self::Unknown => "unknown",
        }
    }
}

/// `configuration` of a connection.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub authorized_app_ids: Vec<String>,
}

/// The body of `POST /external/connections`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NewConnection {
    pub id: String,
    pub name: String,
    /// The create page lists it as required, so we always send one.
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_category: Option<String>,
}

/// The body of `PATCH /external/connections/{id}`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A connection schema as Graph sends and takes it (`people::schema::Schema` is what it means
/// for profiles).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WireSchema {
    #[serde(default = "external_item_base_type")]
    pub base_type: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub properties: Vec<SchemaProperty>,
}

fn external_item_base_type() -> String {
    "microsoft.graph.externalItem".to_owned()
}

/// One schema property.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SchemaProperty {
    pub name: String,
    /// Kept as text (`string`, `stringCollection`, ...): Graph accepts either case.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_searchable: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_queryable: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_retrievable: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_refinable: Option<bool>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub labels: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A `connectionOperation` (schema provisioning).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionOperation {
    pub id: String,
    #[serde(default)]
    pub status: OperationStatus,
    #[serde(default)]
    pub error: Option<PublicError>,
}

/// `connectionOperationStatus`.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum OperationStatus {
    Unspecified,
    Inprogress,
    Completed,
    Failed,
    #[default]
    #[serde(other)]
    Unknown,
}

impl OperationStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::Inprogress => "inprogress",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
        }
    }
}

/// `publicError`, as carried by a failed operation.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PublicError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// The property or field at fault, when the service names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl PublicError {
    /// "InvalidSchema: Property 'manager' uses label ..." (untrusted: shown through `text`).
    pub fn summary(&self) -> String {
        let mut out = self.code.clone().unwrap_or_else(|| "error".into());
        if let Some(m) = self.message.as_deref().filter(|m| !m.is_empty()) {
            out.push_str(": ");
            out.push_str(m);
        }
        if let Some(t) = self.target.as_deref().filter(|t| !t.is_empty()) {
            out.push_str(&format!(" (target: {t})"));
        }
        out
    }
}

/// Where to poll a schema operation, from the 202's `Location` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRef {
    pub connection_id: String,
    pub operation_id: String,
    /// The `Location` URL itself.
    pub location: String,
}

fn connection_path(id: &str) -> String {
    format!("/external/connections/{}", segment(id))
}

impl GraphClient {
    /// Lists the connections the app can see. Beta adds `ingestedItemsCount`.
    pub async fn list_connections(
        &self,
        version: ApiVersion,
    ) -> Result<Vec<ExternalConnection>, GraphError> {
        let call = Call::new(
            "list connections",
            Method::GET,
            version,
            "/external/connections",
        )
        .permission(READ);
        self.list_all(call).await
    }

    /// Reads one connection.
    pub async fn get_connection(
        &self,
        id: &str,
        version: ApiVersion,
    ) -> Result<ExternalConnection, GraphError> {
        let call = Call::new(
            format!("get connection '{id}'"),
            Method::GET,
            version,
            connection_path(id),
        )
        .permission(READ);
        self.send_json(&call).await
    }

    /// Reads one connection; `None` when it does not exist.
    pub async fn find_connection(
        &self,
        id: &str,
        version: ApiVersion,
    ) -> Result<Option<ExternalConnection>, GraphError> {
        match self.get_connection(id, version).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a connection. When Graph says it exists already (e.g. a first attempt landed but
    /// its answer was lost, then the retry met 409), the existing one is read back and accepted
    /// if it is the one we asked for.
    pub async fn create_connection(
        &self,
        new: &NewConnection,
    ) -> Result<ExternalConnection, GraphError> {
        let call = Call::new(
            format!("create connection '{}'", new.id),
            Method::POST,
            ApiVersion::V1,
            "/external/connections",
        )
        .json(new)
        .permission(WRITE)
        // Safe to resend: a duplicate is caught by the 409 read-back below.
        .idempotent(true);
        match self.send_json(&call).await {
            Ok(c) => Ok(c),
            Err(e) if e.is_conflict() => {
                let existing = self.get_connection(&new.id, ApiVersion::V1).await?;
                let same = existing.name == new.name
                    && existing
                        .content_category
                        .as_deref()
                        .map(str::to_ascii_lowercase)
                        == new.content_category.as_deref().map(str::to_ascii_lowercase);
                if same { Ok(existing) } else { Err(e) }
            }
            Err(e) => Err(e),
        }
    }

    /// Updates a connection's name or description.
    pub async fn update_connection(
        &self,
        id: &str,
        patch: &ConnectionPatch,
    ) -> Result<(), GraphError> {
        let call = Call::new(
            format!("update connection '{id}'"),
            Method::PATCH,
            ApiVersion::V1,
            connection_path(id),
        )
        .json(patch)
        .permission(WRITE);
        self.send(&call).await.map(drop)
    }

    /// Deletes a connection and every item in it.
    pub async fn delete_connection(&self, id: &str) -> Result<(), GraphError> {
        let call = Call::new(
            format!("delete connection '{id}'"),
            Method::DELETE,
            ApiVersion::V1,
            connection_path(id),
        )
        .permission(WRITE);
        self.send(&call).await.map(drop)
    }

    /// Registers or updates the schema. Graph answers 202 and provisions asynchronously; the
    /// returned reference is what [`GraphClient::get_operation`] polls.
    pub async fn patch_schema(
        &self,
        id: &str,
        schema: &WireSchema,
    ) -> Result<OperationRef, GraphError> {
        let call = Call::new(
            format!("register schema of connection '{id}'"),
            Method::PATCH,
            ApiVersion::V1,
            format!("{}/schema", connection_path(id)),
        )
        .json(schema)
        .header(HeaderName::from_static("prefer"), "respond-async")
        .permission(WRITE);
        let response = self.send(&call).await?;
        let location = response.header("location").unwrap_or_default().to_owned();
        let operation_id = location
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty() && location.contains("/operations/"))
            .ok_or_else(|| GraphError::Decode {
                what: call.what.clone(),
                reason: format!("202 without an operation Location (got '{location}')"),
            })?
            .to_owned();
        Ok(OperationRef {
            connection_id: id.to_owned(),
            operation_id,
            location,
        })
    }

    /// Reads a connection's schema. Asks for evolvable enum members, or Graph would mask every
    /// `person*` label (they come after `unknownFutureValue`) as `unknownFutureValue`.
    pub async fn get_schema(&self, id: &str) -> Result<WireSchema, GraphError> {
        let call = Call::new(
            format!("get schema of connection '{id}'"),
            Method::GET,
            ApiVersion::V1,
            format!("{}/schema", connection_path(id)),
        )
        .header(
            HeaderName::from_static("prefer"),
            "include-unknown-enum-members",
        )
        .permission(READ);
        self.send_json(&call).await
    }

    /// The connection's schema operations, oldest first. Listing the navigation is not
    /// documented as supported (graph-api.md §2.3 documents only GET by id): `Ok(None)` when
    /// Graph refuses to list, so a caller that lost the operation's Location can still try.
    pub async fn list_operations(
        &self,
        id: &str,
    ) -> Result<Option<Vec<ConnectionOperation>>, GraphError> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            value: Vec<ConnectionOperation>,
        }
        let call = Call::new(
            format!("list schema operations of connection '{id}'"),
            Method::GET,
            ApiVersion::V1,
            format!("{}/operations", connection_path(id)),
        )
        .permission(READ);
        match self.send_json::<Page>(&call).await {
            Ok(page) => Ok(Some(page.value)),
            Err(e)
                if e.status()
                    .is_some_and(|s| matches!(s.as_u16(), 400 | 404 | 405 | 501)) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Reads a schema operation.
    pub async fn get_operation(
        &self,
        op: &OperationRef,
    ) -> Result<ConnectionOperation, GraphError> {
        let call = Call::new(
            format!("get schema operation of connection '{}'", op.connection_id),
            Method::GET,
            ApiVersion::V1,
            format!(
                "{}/operations/{}",
                connection_path(&op.connection_id),
                segment(&op.operation_id)
            ),
        )
        .permission(READ);
        self.send_json(&call).await
    }
}
