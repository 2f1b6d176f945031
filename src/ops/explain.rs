//! Explain one user: the composed profile with every source's value and why the winner won,
//! and, when the profile API can be read (delegated sign-in), where Microsoft 365 shows
//! something else.

use serde::Serialize;

use super::OpsError;
use super::snapshot::{Snapshot, engine_schema, read_snapshot};
use crate::graph::GraphClient;
use crate::graph::profile::Profile;
use crate::people::compose::{PropertyKind, Provenance, Rule, SourceEntities, explain_entities};
use crate::people::entities::entities_from_entra_user;
use crate::people::ids::SourceId;
use crate::people::item::{ItemLayout, entities_from_item, item_id_for_upn};
use crate::people::source_url::builtin_source;

/// One property of the explanation (the `properties` of `profile show --explain`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyLine {
    /// `positions/detail/jobTitle`, `emails`, ...
    pub property: String,
    /// The composed value (multi-valued: every item in order).
    pub value: serde_json::Value,
    /// The winning source (multi-valued: the sources in order, comma-separated).
    pub source: Option<String>,
    /// Its 1-based effective rank.
    pub rank: Option<usize>,
    pub rule: Rule,
    /// Lower-ranked values the winner hid.
    pub shadowed: Vec<Shadowed>,
    /// Multi-valued: the source of each item of `value`, in the same order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub item_sources: Vec<String>,
}

/// A value that lost.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shadowed {
    pub source: String,
    pub value: serde_json::Value,
}

/// A place where Microsoft 365's own view differs from the composition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mismatch {
    pub property: String,
    pub expected: serde_json::Value,
    pub actual: serde_json::Value,
    /// A likely reason, for the admin.
    pub hint: String,
}

/// What each source contributed, or why it did not.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceNote {
    pub source: String,
    pub rank: Option<usize>,
    /// `used`, `noItem`, `notReadable`, `otherAccount`, `noMailbox`.
    pub status: &'static str,
    pub detail: String,
}

/// The whole explanation (`profile show --explain`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub upn: String,
    pub display_name: Option<String>,
    pub properties: Vec<PropertyLine>,
    pub mismatches: Vec<Mismatch>,
    pub sources: Vec<SourceNote>,
    /// Whether the profile API was read (it needs delegated sign-in).
    pub profile_api: String,
}

/// Explains one user, reading everything it needs.
pub async fn explain_user(client: &GraphClient, upn: &str) -> Result<Explanation, OpsError> {
    let snapshot = read_snapshot(client).await?;
    explain_with(client, &snapshot, upn).await
}

/// Explains one user against an already-read snapshot (the TUI keeps one).
pub async fn explain_with(
    client: &GraphClient,
    snapshot: &Snapshot,
    upn: &str,
) -> Result<Explanation, OpsError> {
    let user = client
        .find_user_json(upn)
        .await?
        .ok_or_else(|| OpsError::Invalid(format!("there is no user '{upn}'")))?;
    let user_upn = user
        .get("userPrincipalName")
        .and_then(|v| v.as_str())
        .unwrap_or(upn)
        .to_owned();
    let user_id = user
        .get("id")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    let list = snapshot.list();
    let mut sources = vec![entities_from_entra_user(&user)];
    let mut notes = vec![SourceNote {
        source: SourceId::entra().to_string(),
        rank: list.index_of(&SourceId::entra()).map(|i| i + 1),
        status: "used",
        detail: "the user's Entra ID properties".into(),
    }];
    for view in &snapshot.connections {
        let id = &view.connection.id;
        let Ok(source_id) = SourceId::new(id.clone()) else {
            continue;
        };
        // Only registered sources reach profiles.
        if snapshot.source(id).is_none() {
            continue;
        }
        let rank = list.index_of(&source_id).map(|i| i + 1);
        let Some(layout) = view
            .schema
            .as_ref()
            .and_then(engine_schema)
            .and_then(|s| ItemLayout::from_schema(&s).ok())
        else {
            notes.push(note(
                id,
                rank,
                "notReadable",
                "no people schema to read items with",
            ));
            continue;
        };
        let item_id = item_id_for_upn(&user_upn);
        let item = match client.get_item(id, &item_id).await {
            Ok(Some(item)) => item,
            Ok(None) => {
                notes.push(note(
                    id,
                    rank,
                    "noItem",
                    &format!("no item '{item_id}' (not synced yet?)"),
                ));
                continue;
            }
            Err(e) => {
                notes.push(note(id, rank, "notReadable", &e.to_string()));
                continue;
            }
        };
        let properties = serde_json::Value::Object(item.properties);
        let entities = entities_from_item(&layout, &properties, source_id);
        if !names_user(&entities, &user_upn, &user_id) {
            notes.push(note(
                id,
                rank,
                "otherAccount",
                &format!(
                    "item '{item_id}' names another account; the service ignores it for this user"
                ),
            ));
            continue;
        }
        notes.push(note(id, rank, "used", &format!("item '{item_id}'")));
        sources.push(entities);
    }
    let provenance = explain_entities(&list, &sources);
    let properties: Vec<PropertyLine> = provenance.iter().map(line).collect();
    let (mismatches, profile_api) = match client.get_profile(&user_upn).await {
        Ok(profile) => (mismatches(&properties, &profile), "read".to_owned()),
        Err(e)
            if e.status()
                .is_some_and(|s| s.as_u16() == 403 || s.as_u16() == 401) =>
        {
            (
                Vec::new(),
                "not read: the profile API needs a delegated sign-in (`peoplectl auth login`)"
                    .to_owned(),
            )
        }
        Err(e) => (Vec::new(), format!("not read: {e}")),
    };
    Ok(Explanation {
        upn: user_upn,
        display_name: user
            .get("displayName")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        properties,
        mismatches,
        sources: notes,
        profile_api,
    })
}

fn note(source: &str, rank: Option<usize>, status: &'static str, detail: &str) -> SourceNote {
    SourceNote {
        source: source.to_owned(),
        rank,
        status,
        detail: detail.to_owned(),
    }
}

/// Whether a connector item's account entity names this user (by UPN or object id).
fn names_user(entities: &SourceEntities, upn: &str, id: &str) -> bool {
    let Some(accounts) = entities.collections.get("account") else {
        return false;
    };
    accounts.iter().any(|a| {
        a.get("userPrincipalName")
            .and_then(|v| v.as_str())
            .is_some_and(|u| u.eq_ignore_ascii_case(upn))
            || a.get("externalDirectoryObjectId")
                .and_then(|v| v.as_str())
                .is_some_and(|o| !id.is_empty() && o.eq_ignore_ascii_case(id))
    })
}

fn source_name(id: &SourceId) -> String {
    builtin_source(id).map_or_else(|| id.to_string(), |b| b.name.to_owned())
}

fn line(p: &Provenance) -> PropertyLine {
    match p.kind {
        PropertyKind::Single => PropertyLine {
            property: p.property.clone(),
            value: p
                .winner
                .as_ref()
                .map_or(serde_json::Value::Null, |w| w.value.to_json()),
            source: p.winner.as_ref().map(|w| source_name(&w.source)),
            rank: p.winner.as_ref().map(|w| w.rank),
            rule: p.rule,
            shadowed: p
                .shadowed
                .iter()
                .map(|c| Shadowed {
                    source: source_name(&c.source),
                    value: c.value.to_json(),
                })
                .collect(),
            item_sources: Vec::new(),
        },
        PropertyKind::Multi => {
            let mut names: Vec<String> = Vec::new();
            for c in &p.items {
                let n = source_name(&c.source);
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            PropertyLine {
                property: p.property.clone(),
                value: serde_json::Value::Array(
                    p.items.iter().map(|c| c.value.to_json()).collect(),
                ),
                source: (!names.is_empty()).then(|| names.join(", ")),
                rank: p.items.first().map(|c| c.rank),
                rule: p.rule,
                shadowed: Vec::new(),
                item_sources: p.items.iter().map(|c| source_name(&c.source)).collect(),
            }
        }
    }
}

/// Single-valued leaves where the profile API shows another value than the composition.
fn mismatches(lines: &[PropertyLine], profile: &Profile) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for l in lines.iter().filter(|l| !l.value.is_array()) {
        let mut segs = l.property.split('/');
        let Some(collection) = segs.next() else {
            continue;
        };
        let rest: Vec<&str> = segs.collect();
        let entities = profile.entities(collection);
        let current = entities
            .iter()
            .find(|e| e.value.get("isCurrent") != Some(&serde_json::Value::Bool(false)));
        let actual = current
            .and_then(|e| rest.iter().try_fold(&e.value, |v, s| v.get(*s)))
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        if actual != l.value {
            out.push(Mismatch {
                property: l.property.clone(),
                expected: l.value.clone(),
                actual,
                hint: "data not ingested yet (allow up to 6 hours after the connection is created), or the account has no mailbox".into(),
            });
        }
    }
    out
}

/// A short label for a property path, as an admin reads it (one vocabulary: `crate::vocab`).
pub fn display_label(path: &str) -> &str {
    crate::vocab::property_label(path)
}

/// Display order of a property path (one order: `crate::vocab`).
pub fn display_order(path: &str) -> (u8, u8, &str) {
    crate::vocab::property_order(path)
}

/// One line of text for a value: strings as they are (`""` shown as such), items of a
/// multi-valued property by their address, number or name.
pub fn summarize(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::String(s) if s.is_empty() => "\"\" (empty string)".into(),
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        Value::Array(items) => items.iter().map(summarize).collect::<Vec<_>>().join(", "),
        Value::Object(map) => [
            "address",
            "number",
            "displayName",
            "webUrl",
            "userPrincipalName",
        ]
        .iter()
        .find_map(|k| map.get(*k).and_then(Value::as_str))
        .map_or_else(|| value.to_string(), str::to_owned),
        other => other.to_string(),
    }
}
