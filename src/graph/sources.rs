//! Profile sources (`/admin/people/profileSources`), addressed by their `sourceId` alternate key.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::{ApiVersion, Call, GraphClient, segment};
use super::error::GraphError;
use super::serde_util::null_as_empty;

const READ: &str = "PeopleSettings.Read.All";
const WRITE: &str = "PeopleSettings.ReadWrite.All";
const COLLECTION: &str = "/admin/people/profileSources";

/// A profile source as Graph returns it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSource {
    #[serde(default)]
    pub id: Option<String>,
    pub source_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub web_url: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub localizations: Vec<Localization>,
}

/// `profileSourceLocalization`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Localization {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub web_url: Option<String>,
    #[serde(default)]
    pub language_tag: Option<String>,
}

/// The body of a create.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NewProfileSource {
    pub source_id: String,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub web_url: String,
}

/// The body of an update.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSourcePatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// `/admin/people/profileSources(sourceId='x')`, with OData quote doubling inside the literal
/// and everything else that is not URL-safe percent-encoded.
pub fn source_path(source_id: &str) -> String {
    format!(
        "{COLLECTION}(sourceId='{}')",
        segment(&source_id.replace('\'', "''"))
    )
}

impl GraphClient {
    /// Lists every profile source, the built-in Microsoft ones included.
    pub async fn list_profile_sources(&self) -> Result<Vec<ProfileSource>, GraphError> {
        let call = Call::new(
            "list profile sources",
            Method::GET,
            ApiVersion::V1,
            COLLECTION,
        )
        .permission(READ);
        self.list_all(call).await
    }

    /// Reads one profile source; `None` when it does not exist.
    pub async fn find_profile_source(
        &self,
        source_id: &str,
    ) -> Result<Option<ProfileSource>, GraphError> {
        let call = Call::new(
            format!("get profile source '{source_id}'"),
            Method::GET,
            ApiVersion::V1,
            source_path(source_id),
        )
        .permission(READ);
        match self.send_json(&call).await {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Registers a profile source. A 409 (or a retry after a lost answer) reads the existing
    /// source back and accepts it when it is the one asked for.
    pub async fn create_profile_source(
        &self,
        new: &NewProfileSource,
    ) -> Result<ProfileSource, GraphError> {
        let call = Call::new(
            format!("register profile source '{}'", new.source_id),
            Method::POST,
            ApiVersion::V1,
            COLLECTION,
        )
        .json(new)
        .permission(WRITE)
        .idempotent(true);
        match self.send_json(&call).await {
            Ok(s) => Ok(s),
            Err(e) if e.is_conflict() => match self.find_profile_source(&new.source_id).await? {
                Some(existing) if existing.web_url.as_deref() == Some(new.web_url.as_str()) => {
                    Ok(existing)
                }
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// Updates a profile source's display name, web URL or kind.
    pub async fn update_profile_source(
        &self,
        source_id: &str,
        patch: &ProfileSourcePatch,
    ) -> Result<ProfileSource, GraphError> {
        let call = Call::new(
            format!("update profile source '{source_id}'"),
            Method::PATCH,
            ApiVersion::V1,
            source_path(source_id),
        )
        .json(patch)
        .permission(WRITE);
        self.send_json(&call).await
    }

    /// Deletes a profile source.
    pub async fn delete_profile_source(&self, source_id: &str) -> Result<(), GraphError> {
        let call = Call::new(
            format!("delete profile source '{source_id}'"),
            Method::DELETE,
            ApiVersion::V1,
            source_path(source_id),
        )
        .permission(WRITE);
        self.send(&call).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_key_path_doubles_quotes_and_encodes() {
        assert_eq!(
            source_path("contosohr"),
            "/admin/people/profileSources(sourceId='contosohr')"
        );
        assert_eq!(
            source_path("o'brien/x"),
            "/admin/people/profileSources(sourceId='o''brien%2Fx')"
        );
    }
}

#[cfg(test)]
mod hostile_tests;
