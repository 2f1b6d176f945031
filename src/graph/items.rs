//! External items of a connection (`/external/connections/{id}/items`).

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::{ApiVersion, Call, GraphClient, segment};
use super::error::GraphError;

const READ: &str = "ExternalItem.Read.All";
const WRITE: &str = "ExternalItem.ReadWrite.OwnedBy";

/// An external item as sent and read back. `properties` stays an open JSON object: its shape
/// is the connection's schema.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExternalItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub acl: Vec<Acl>,
    pub properties: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ItemContent>,
}

/// One access control entry.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Acl {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    pub access_type: String,
}

impl Acl {
    /// Grant to everyone in the tenant: what people connectors require.
    pub fn everyone(tenant_id: &str) -> Self {
        Self {
            kind: "everyone".into(),
            value: tenant_id.into(),
            access_type: "grant".into(),
        }
    }
}

/// `externalItemContent`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct ItemContent {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

fn item_path(connection_id: &str, item_id: &str) -> String {
    format!(
        "/external/connections/{}/items/{}",
        segment(connection_id),
        segment(item_id)
    )
}

impl GraphClient {
    /// Creates or replaces an item.
    pub async fn put_item(
        &self,
        connection_id: &str,
        item_id: &str,
        item: &ExternalItem,
    ) -> Result<(), GraphError> {
        let call = Call::new(
            format!("put item '{item_id}' in connection '{connection_id}'"),
            Method::PUT,
            ApiVersion::V1,
            item_path(connection_id, item_id),
        )
        .json(item)
        .permission(WRITE);
        self.send(&call).await.map(drop)
    }

    /// Reads an item; `None` when it does not exist.
    pub async fn get_item(
        &self,
        connection_id: &str,
        item_id: &str,
    ) -> Result<Option<ExternalItem>, GraphError> {
        let call = Call::new(
            format!("get item '{item_id}' in connection '{connection_id}'"),
            Method::GET,
            ApiVersion::V1,
            item_path(connection_id, item_id),
        )
        .permission(READ);
        match self.send_json(&call).await {
            Ok(item) => Ok(Some(item)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes an item; an item already gone counts as deleted.
    pub async fn delete_item(&self, connection_id: &str, item_id: &str) -> Result<(), GraphError> {
        let call = Call::new(
            format!("delete item '{item_id}' in connection '{connection_id}'"),
            Method::DELETE,
            ApiVersion::V1,
            item_path(connection_id, item_id),
        )
        .permission(WRITE);
        match self.send(&call).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }
}
