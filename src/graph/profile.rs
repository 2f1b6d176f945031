//! The beta user profile API (`/users/{id}/profile`): Microsoft 365's own composed view.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;

use super::client::{ApiVersion, Call, GraphClient};
use super::error::GraphError;
use super::serde_util::null_as_empty;
use super::users::user_path;

/// A profile: collections of entities (`positions`, `names`, `emails`, ..., and `account`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Profile {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(flatten)]
    pub collections: BTreeMap<String, serde_json::Value>,
}

/// One entity of a profile collection with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileEntity {
    /// The entity as Graph sent it.
    pub value: serde_json::Value,
    /// `source.type`: tokens like `AAD`, `ConnectorSource`.
    pub source_types: Vec<String>,
    /// `sources`: which source supplied which properties.
    pub sources: Vec<SourceAnnotation>,
}

/// `profileSourceAnnotation`. Graph's metadata and live answers say `sourceId`; the docs say
/// `id`, so both are read.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SourceAnnotation {
    #[serde(alias = "id")]
    pub source_id: String,
    #[serde(default)]
    pub is_default_source: Option<bool>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub properties: Vec<String>,
}

#[derive(Deserialize, Default)]
struct Provenance {
    #[serde(default)]
    source: Option<SourceTypes>,
    #[serde(default, deserialize_with = "null_as_empty")]
    sources: Vec<SourceAnnotation>,
}

#[derive(Deserialize, Default)]
struct SourceTypes {
    #[serde(rename = "type", default, deserialize_with = "null_as_empty")]
    kind: Vec<String>,
}

impl Profile {
    /// The entities of one collection (`account` may be a list or a single object).
    pub fn entities(&self, collection: &str) -> Vec<ProfileEntity> {
        let items: Vec<serde_json::Value> = match self.collections.get(collection) {
            Some(serde_json::Value::Array(a)) => a.clone(),
            Some(v @ serde_json::Value::Object(_)) => vec![v.clone()],
            _ => Vec::new(),
        };
        items
            .into_iter()
            .map(|value| {
                let p: Provenance = serde_json::from_value(value.clone()).unwrap_or_default();
                ProfileEntity {
                    source_types: p.source.map(|s| s.kind).unwrap_or_default(),
                    sources: p.sources,
                    value,
                }
            })
            .collect()
    }
}

impl GraphClient {
    /// A user's profile. Needs a delegated sign-in: Graph refuses app-only tokens here.
    pub async fn get_profile(&self, id_or_upn: &str) -> Result<Profile, GraphError> {
        let call = Call::new(
            format!("read the profile of '{id_or_upn}'"),
            Method::GET,
            ApiVersion::Beta,
            format!("{}/profile", user_path(id_or_upn)),
        )
        .permission("User.Read.All (delegated sign-in; app-only tokens cannot read profiles)");
        self.send_json(&call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_provenance_in_both_annotation_spellings() {
        let profile: Profile = serde_json::from_value(serde_json::json!({
            "id": "p1",
            "positions": [{
                "detail": {"jobTitle": "Engineer"},
                "source": {"type": ["AAD", "ConnectorSource"]},
                "sources": [
                    {"sourceId": "4ce763dd-9214-4eff-af7c-da491cc3782d", "isDefaultSource": true},
                    {"id": "contosohr", "properties": ["detail/jobTitle"]}
                ]
            }],
            "account": {"userPrincipalName": "a@contoso.com"}
        }))
        .unwrap();
        let positions = profile.entities("positions");
        assert_eq!(positions.len(), 1);
        assert_eq!(positions[0].source_types, ["AAD", "ConnectorSource"]);
        assert_eq!(positions[0].sources[1].source_id, "contosohr");
        assert_eq!(positions[0].sources[1].properties, ["detail/jobTitle"]);
        assert_eq!(profile.entities("account").len(), 1);
        assert!(profile.entities("skills").is_empty());
    }
}
