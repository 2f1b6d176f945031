//! The tenant's mutable state: connections, profile sources, precedence settings.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::model::Connection;
use crate::people::ids::SourceId;
use crate::people::source_url::{SourceUrl, builtin_source, canonical_url};

pub(crate) use crate::people::source_url::{ENTRA_SOURCE_ID, ORG_DATA_SOURCE_ID};

/// The tenant and its app registration.
#[derive(Debug, Clone)]
pub(crate) struct Tenant {
    pub id: String,
    pub domain: String,
    pub display_name: String,
    pub app_client_id: String,
    pub app_display_name: String,
    pub app_roles: Vec<String>,
    pub admin_upn: String,
    /// Base time of the seed.
    pub created: OffsetDateTime,
}

/// A profile source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProfileSource {
    pub id: String,
    pub source_id: String,
    pub display_name: Option<String>,
    pub kind: Option<String>,
    pub web_url: Option<String>,
    pub localizations: Value,
}

impl ProfileSource {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "sourceId": self.source_id,
            "displayName": self.display_name,
            "kind": self.kind,
            "webUrl": self.web_url,
            "localizations": self.localizations,
        })
    }

    pub fn is_built_in(&self) -> bool {
        is_built_in_source(&self.source_id)
    }
}

pub(crate) fn is_built_in_source(source_id: &str) -> bool {
    SourceId::new(source_id).is_ok_and(|id| builtin_source(&id).is_some())
}

/// A profile property setting (the nameless one holds the tenant's source precedence).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PropertySetting {
    pub id: String,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub prioritized_source_urls: Vec<String>,
}

impl PropertySetting {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "displayName": self.display_name,
            "prioritizedSourceUrls": self.prioritized_source_urls,
        })
    }

    /// Name and displayName both null or empty: the tenant-level precedence setting.
    pub fn is_nameless(&self) -> bool {
        self.name.as_deref().is_none_or(str::is_empty)
            && self.display_name.as_deref().is_none_or(str::is_empty)
    }
}

/// The canonical precedence URL of a source (v1.0 form, quotes doubled).
pub(crate) fn source_url(source_id: &str) -> String {
    SourceId::new(source_id).map_or_else(|_| String::new(), |id| canonical_url(&id))
}

/// The sourceId a precedence URL refers to, for every form graph-api §6.2 lists (any host, so
/// URLs naming the emulator's own root work too); `None` for a URL of no known form.
pub(crate) fn referenced_source_id(url: &str) -> Option<String> {
    SourceUrl::parse(url)
        .source_id()
        .map(|id| id.as_str().to_owned())
}

/// The mutable part of the tenant.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// By lower-cased id: connection ids are unique case-insensitively (UNCONFIRMED: chose so).
    pub connections: BTreeMap<String, Connection>,
    pub sources: Vec<ProfileSource>,
    pub settings: Vec<PropertySetting>,
    /// What users wrote through the profile API (the `user` source), by lower-cased user id.
    pub profile_edits: BTreeMap<String, Vec<super::profile::ProfileEdit>>,
    /// Deleted connections whose data profiles still show, each until its instant.
    pub departed: Vec<(Connection, Instant)>,
    /// Deleted connections Graph still lists, each until its instant (without their items).
    pub unlisting: Vec<(Connection, Instant)>,
}

impl State {
    /// Every connection whose data profiles show at `now`: the listed ones, then deleted ones
    /// still lingering.
    pub fn feeding_connections(&self, now: Instant) -> impl Iterator<Item = &Connection> {
        self.connections.values().chain(
            self.departed
                .iter()
                .filter(move |(_, until)| *until > now)
                .map(|(c, _)| c),
        )
    }

    /// A deleted connection the list still shows at `now`, unless one of that id exists again.
    pub fn still_listed(&self, id: &str, now: Instant) -> Option<&Connection> {
        if self.connection(id).is_some() {
            return None;
        }
        self.unlisting
            .iter()
            .find(|(c, until)| *until > now && c.id.eq_ignore_ascii_case(id))
            .map(|(c, _)| c)
    }

    /// Every connection `GET /external/connections` shows at `now`: the existing ones and the
    /// deleted ones still listed, in id order.
    pub fn listed_connections(&self, now: Instant) -> Vec<&Connection> {
        let mut listed: Vec<&Connection> = self.connections.values().collect();
        listed.extend(
            self.unlisting
                .iter()
                .filter(|(c, until)| *until > now && self.connection(&c.id).is_none())
                .map(|(c, _)| c),
        );
        listed.sort_by_key(|c| c.id.to_ascii_lowercase());
        listed
    }

    pub fn connection(&self, id: &str) -> Option<&Connection> {
        self.connections.get(&id.to_ascii_lowercase())
    }

    pub fn connection_mut(&mut self, id: &str) -> Option<&mut Connection> {
        self.connections.get_mut(&id.to_ascii_lowercase())
    }

    /// Settles due schema operations; returns how many are still running.
    pub fn settle(&mut self, now: Instant) -> usize {
        self.connections
            .values_mut()
            .map(|c| {
                c.settle(now);
                usize::from(c.has_pending_operation())
            })
            .sum()
    }

    /// Sources are matched case-insensitively by sourceId (UNCONFIRMED: chose so).
    pub fn source_index(&self, source_id: &str) -> Option<usize> {
        self.sources
            .iter()
            .position(|s| s.source_id.eq_ignore_ascii_case(source_id))
    }

    /// The tenant-level precedence list (the nameless setting's), if any.
    pub fn precedence(&self) -> Option<&PropertySetting> {
        self.settings.iter().find(|s| s.is_nameless())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_urls_in_every_form() {
        assert_eq!(
            referenced_source_id(&source_url(ENTRA_SOURCE_ID)).as_deref(),
            Some(ENTRA_SOURCE_ID)
        );
        assert_eq!(
            referenced_source_id(
                "https://127.0.0.1:9/beta/admin/people/profileSources(sourceId='hr')"
            )
            .as_deref(),
            Some("hr")
        );
        assert_eq!(
            referenced_source_id(&source_url("it's")).as_deref(),
            Some("it's")
        );
        assert_eq!(
            referenced_source_id(
                "https://graph.microsoft.com/v1.0/admin/people/profileSources%28sourceId%3D%27x%27%29"
            )
            .as_deref(),
            Some("x")
        );
        assert_eq!(
            referenced_source_id("https://login.microsoftonline.com/").as_deref(),
            Some(ENTRA_SOURCE_ID)
        );
        assert_eq!(
            referenced_source_id("/external/connections/contosohr1").as_deref(),
            Some("contosohr1")
        );
        assert_eq!(referenced_source_id("https://example.com/whatever"), None);
    }
}
