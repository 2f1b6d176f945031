//! Profile property settings (`/admin/people/profilePropertySettings`): the source precedence list.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::{ApiVersion, Call, GraphClient, segment};
use super::error::GraphError;
use super::serde_util::null_as_empty;

const READ: &str = "PeopleSettings.Read.All";
const WRITE: &str = "PeopleSettings.ReadWrite.All";
const COLLECTION: &str = "/admin/people/profilePropertySettings";

/// A profile property setting. Extra fields older tenants return (`allowedAudiences`, ...) are
/// ignored.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProfilePropertySetting {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Index 0 is the highest priority.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub prioritized_source_urls: Vec<String>,
}

impl ProfilePropertySetting {
    /// The tenant-level precedence setting is the one without a name.
    pub fn is_nameless(&self) -> bool {
        self.name.as_deref().is_none_or(str::is_empty)
            && self.display_name.as_deref().is_none_or(str::is_empty)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UrlsBody<'a> {
    prioritized_source_urls: &'a [String],
}

fn setting_path(id: &str) -> String {
    format!("{COLLECTION}/{}", segment(id))
}

impl GraphClient {
    /// Lists the settings.
    pub async fn list_profile_property_settings(
        &self,
    ) -> Result<Vec<ProfilePropertySetting>, GraphError> {
        let call = Call::new(
            "list profile property settings",
            Method::GET,
            ApiVersion::V1,
            COLLECTION,
        )
        .permission(READ);
        self.list_all(call).await
    }

    /// The nameless (tenant-level precedence) setting, if there is one.
    pub async fn precedence_setting(&self) -> Result<Option<ProfilePropertySetting>, GraphError> {
        Ok(self
            .list_profile_property_settings()
            .await?
            .into_iter()
            .find(ProfilePropertySetting::is_nameless))
    }

    /// Reads one setting.
    pub async fn get_profile_property_setting(
        &self,
        id: &str,
    ) -> Result<ProfilePropertySetting, GraphError> {
        let call = Call::new(
            format!("get profile property setting '{id}'"),
            Method::GET,
            ApiVersion::V1,
            setting_path(id),
        )
        .permission(READ);
        self.send_json(&call).await
    }

    /// Creates the nameless precedence setting with the given list.
    pub async fn create_precedence_setting(
        &self,
        urls: &[String],
    ) -> Result<ProfilePropertySetting, GraphError> {
        let call = Call::new(
            "create the source precedence setting",
            Method::POST,
            ApiVersion::V1,
            COLLECTION,
        )
        .json(&UrlsBody {
            prioritized_source_urls: urls,
        })
        .permission(WRITE);
        self.send_json(&call).await
    }

    /// Replaces a setting's precedence list; returns the setting as Graph stored it.
    pub async fn update_precedence(
        &self,
        id: &str,
        urls: &[String],
    ) -> Result<ProfilePropertySetting, GraphError> {
        let call = Call::new(
            "update the source precedence list",
            Method::PATCH,
            ApiVersion::V1,
            setting_path(id),
        )
        .json(&UrlsBody {
            prioritized_source_urls: urls,
        })
        .permission(WRITE);
        self.send_json(&call).await
    }

    /// Deletes a setting (Graph allows it only when the list holds just Entra ID).
    pub async fn delete_profile_property_setting(&self, id: &str) -> Result<(), GraphError> {
        let call = Call::new(
            format!("delete profile property setting '{id}'"),
            Method::DELETE,
            ApiVersion::V1,
            setting_path(id),
        )
        .permission(WRITE);
        self.send(&call).await.map(drop)
    }
}
