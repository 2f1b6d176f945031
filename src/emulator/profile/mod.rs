//! The beta profile API's data: each source's entities for a user (Entra ID, registered people
//! connectors, the profile API's own `user` source), composed by the emulator's own rules and
//! rendered in Graph's shape with every declared property present.

pub(crate) mod compose;
pub(crate) mod query;
pub(crate) mod types;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::directory::User;
use super::errors::iso_time;
use super::service::Emulator;
use super::state::{ENTRA_SOURCE_ID, referenced_source_id};
use compose::{Instance, Origin, SourceData, compose, effective_order};

pub(crate) use crate::people::source_url::USER_SOURCE_ID;

/// One entry a user wrote through the profile API (`POST /me/profile/{collection}`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProfileEdit {
    pub id: String,
    pub collection: &'static str,
    /// The members as written (declared ones only; facets are the emulator's).
    pub entity: Map<String, Value>,
    pub allowed_audiences: String,
    /// Who wrote it (object id; the owner, or an admin writing for them).
    pub author: String,
    pub created: OffsetDateTime,
    pub modified: OffsetDateTime,
}

/// A stable GUID-shaped id from some text (entity ids must not change between calls).
pub(crate) fn stable_id(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let hex = hex::encode(&hasher.finalize()[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn insert_some(map: &mut Map<String, Value>, key: &str, value: Option<&String>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), json!(value));
    }
}

/// Entra ID's view of a user as profile entities.
fn entra_entities(app: &Emulator, user: &User) -> SourceData {
    let mut collections: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut push = |collection: &str, entity: Value| {
        collections
            .entry(collection.to_owned())
            .or_default()
            .push(entity);
    };

    let mut name = Map::new();
    insert_some(&mut name, "displayName", user.display_name.as_ref());
    insert_some(&mut name, "first", user.given_name.as_ref());
    insert_some(&mut name, "last", user.surname.as_ref());
    if !name.is_empty() {
        push("names", Value::Object(name));
    }

    let mut account = Map::new();
    account.insert("userPrincipalName".into(), json!(user.user_principal_name));
    insert_some(&mut account, "countryCode", user.usage_location.as_ref());
    if let Some(language) = &user.preferred_language {
        account.insert("preferredLanguageTag".into(), json!({"locale": language}));
    }
    push("account", Value::Object(account));

    let mut company = Map::new();
    insert_some(&mut company, "displayName", user.company_name.as_ref());
    insert_some(&mut company, "department", user.department.as_ref());
    insert_some(
        &mut company,
        "officeLocation",
        user.office_location.as_ref(),
    );
    let mut detail = Map::new();
    insert_some(&mut detail, "jobTitle", user.job_title.as_ref());
    insert_some(&mut detail, "employeeId", user.employee_id.as_ref());
    if !company.is_empty() {
        detail.insert("company".into(), Value::Object(company));
    }
    if !detail.is_empty() {
        let mut position = json!({"detail": detail, "isCurrent": true});
        let manager = user
            .manager_id
            .as_deref()
            .and_then(|id| app.directory.find(id));
        if let Some(manager) = manager {
            position["manager"] = json!({
                "displayName": manager.display_name,
                "userPrincipalName": manager.user_principal_name,
                "relationship": "manager",
            });
        }
        push("positions", position);
    }

    if let Some(mail) = &user.mail {
        push("emails", json!({"address": mail, "type": "work"}));
    }
    for number in &user.business_phones {
        push("phones", json!({"number": number, "type": "business"}));
    }
    if let Some(mobile) = &user.mobile_phone {
        push("phones", json!({"number": mobile, "type": "mobile"}));
    }
    SourceData {
        source_id: ENTRA_SOURCE_ID.to_owned(),
        origin: Origin::Entra,
        collections,
    }
}

/// What the composition of one user starts from: the source order, every source's data, and
/// the user's own entries by id (for their ids and timestamps).
struct Inputs {
    order: Vec<String>,
    sources: Vec<SourceData>,
    edits: Vec<ProfileEdit>,
    connection_names: BTreeMap<String, String>,
}

fn inputs(app: &Emulator, user: &User) -> Inputs {
    let mut sources = vec![entra_entities(app, user)];
    let state = app.read();
    let listed: Vec<String> = state
        .precedence()
        .map(|s| {
            s.prioritized_source_urls
                .iter()
                .filter_map(|u| referenced_source_id(u))
                .collect()
        })
        .unwrap_or_default();
    let mut connection_names = BTreeMap::new();
    let now = app.clock.instant();
    for connection in state.feeding_connections(now) {
        // Only connections registered as profile sources feed profiles.
        if state.source_index(&connection.id).is_none() {
            continue;
        }
        connection_names.insert(connection.id.to_ascii_lowercase(), connection.name.clone());
        let mut collections: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for contribution in connection.contributions_for(&user.id, now) {
            for (collection, values) in &contribution.entities {
                collections
                    .entry((*collection).to_owned())
                    .or_default()
                    .extend(values.iter().cloned());
            }
        }
        if !collections.is_empty() {
            sources.push(SourceData {
                source_id: connection.id.clone(),
                origin: Origin::Connector,
                collections,
            });
        }
    }
    let edits = state
        .profile_edits
        .get(&user.id.to_ascii_lowercase())
        .cloned()
        .unwrap_or_default();
    if !edits.is_empty() {
        let mut collections: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for edit in &edits {
            collections
                .entry(edit.collection.to_owned())
                .or_default()
                .push(Value::Object(edit.entity.clone()));
        }
        sources.push(SourceData {
            source_id: USER_SOURCE_ID.to_owned(),
            origin: Origin::User,
            collections,
        });
    }
    Inputs {
        order: effective_order(&listed, ENTRA_SOURCE_ID),
        sources,
        edits,
        connection_names,
    }
}

fn type_token(origin: Origin) -> &'static str {
    match origin {
        Origin::Entra => "AAD",
        Origin::Connector => "ConnectorSource",
        Origin::User => "user",
    }
}

/// The itemFacet `createdBy`/`lastModifiedBy` of an instance.
fn identity_set(app: &Emulator, inputs: &Inputs, lead: &(String, Origin, Vec<String>)) -> Value {
    let application = match lead.1 {
        Origin::Entra => "AAD".to_owned(),
        Origin::Connector => inputs
            .connection_names
            .get(&lead.0.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| lead.0.clone()),
        Origin::User => app.tenant.app_display_name.clone(),
    };
    json!({"application": {"displayName": application, "id": null}, "device": null, "user": null})
}

/// Renders one instance in Graph's shape: itemFacet members, the entity, every declared
/// property (null when unset).
fn render(
    app: &Emulator,
    user: &User,
    inputs: &Inputs,
    collection: &str,
    instance: &Instance,
    index_among_user_entries: Option<usize>,
) -> Value {
    let mut out = Map::new();
    let edit = index_among_user_entries.and_then(|i| {
        inputs
            .edits
            .iter()
            .filter(|e| e.collection == collection)
            .nth(i)
    });
    let id = edit.map_or_else(
        || stable_id(&[&user.id, collection, &instance.key]),
        |e| e.id.clone(),
    );
    out.insert("id".into(), json!(id));
    out.insert(
        "allowedAudiences".into(),
        json!(edit.map_or("organization", |e| e.allowed_audiences.as_str())),
    );
    out.insert("inference".into(), Value::Null);
    let (created, modified) = edit.map_or((app.tenant.created, app.tenant.created), |e| {
        (e.created, e.modified)
    });
    out.insert("createdDateTime".into(), json!(iso_time(created)));
    out.insert("lastModifiedDateTime".into(), json!(iso_time(modified)));
    let by = match (&edit, instance.contributions.first()) {
        (Some(edit), _) => {
            let author = app.directory.find(&edit.author);
            json!({
                "application": {"displayName": app.tenant.app_display_name, "id": app.tenant.app_client_id},
                "device": null,
                "user": {
                    "displayName": author.as_ref().and_then(|a| a.display_name.clone()),
                    "id": edit.author,
                },
            })
        }
        (None, Some(lead)) => identity_set(app, inputs, lead),
        (None, None) => Value::Null,
    };
    out.insert("createdBy".into(), by.clone());
    out.insert("lastModifiedBy".into(), by);
    let mut tokens: Vec<&str> = Vec::new();
    for (_, origin, _) in &instance.contributions {
        let token = type_token(*origin);
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    out.insert("source".into(), json!({"type": tokens}));
    out.insert("sources".into(), Value::Array(instance.annotations()));
    out.insert("isSearchable".into(), json!(false));
    for (k, v) in &instance.entity {
        out.insert(k.clone(), v.clone());
    }
    if let Some(type_name) = types::entity_type(collection) {
        types::fill_declared(type_name, &mut out);
    }
    Value::Object(out)
}

/// The user's composed profile: entities per collection, in Graph's shape.
pub(crate) fn composed_for(app: &Emulator, user: &User) -> BTreeMap<String, Vec<Value>> {
    let inputs = inputs(app, user);
    let composed = compose(&inputs.order, &inputs.sources);
    let mut out = BTreeMap::new();
    for (collection, instances) in &composed {
        let mut user_index = 0;
        let rendered = instances
            .iter()
            .map(|instance| {
                let own = instance
                    .contributions
                    .first()
                    .is_some_and(|c| c.1 == Origin::User);
                let index = own.then(|| {
                    user_index += 1;
                    user_index - 1
                });
                render(app, user, &inputs, collection, instance, index)
            })
            .collect();
        out.insert(collection.clone(), rendered);
    }
    out
}
