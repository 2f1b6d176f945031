//! The beta profile API `/users/{id|upn}/profile[/collection[/id]]`: Entra's properties and the
//! registered people connectors' items, composed by source precedence with `people::compose`
//! (graph-api §6.4, §7).

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Ctx, perms};
use crate::emulator::app::App;
use crate::emulator::directory::User;
use crate::emulator::errors::{ErrorReply, Reply, ReplyResult, iso_time};
use crate::people::compose::{SourceEntities, compose_entities};
use crate::people::ids::SourceId;
use crate::people::precedence::PrecedenceList;
use crate::people::source_url::{builtin_source, source_type_token};

/// The profile's navigation collections (graph-api §7.2).
const COLLECTIONS: &[&str] = &[
    "account",
    "addresses",
    "anniversaries",
    "awards",
    "certifications",
    "educationalActivities",
    "emails",
    "interests",
    "languages",
    "names",
    "notes",
    "patents",
    "phones",
    "positions",
    "projects",
    "publications",
    "skills",
    "webAccounts",
    "websites",
];

/// A stable GUID-shaped id from some text (entity ids must not change between calls).
fn stable_id(parts: &[&str]) -> String {
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
fn entra_entities(app: &App, user: &User) -> SourceEntities {
    let mut out = SourceEntities::new(SourceId::entra());

    let mut name = Map::new();
    insert_some(&mut name, "displayName", user.display_name.as_ref());
    insert_some(&mut name, "first", user.given_name.as_ref());
    insert_some(&mut name, "last", user.surname.as_ref());
    if !name.is_empty() {
        out.push("names", Value::Object(name));
    }

    let mut account = Map::new();
    account.insert("userPrincipalName".into(), json!(user.user_principal_name));
    insert_some(&mut account, "countryCode", user.usage_location.as_ref());
    if let Some(language) = &user.preferred_language {
        account.insert("preferredLanguageTag".into(), json!({"locale": language}));
    }
    out.push("account", Value::Object(account));

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
        out.push("positions", position);
    }

    if let Some(mail) = &user.mail {
        out.push("emails", json!({"address": mail, "type": "work"}));
    }
    for number in &user.business_phones {
        out.push("phones", json!({"number": number, "type": "business"}));
    }
    if let Some(mobile) = &user.mobile_phone {
        out.push("phones", json!({"number": mobile, "type": "mobile"}));
    }
    out
}

fn source_name(app: &App, id: &SourceId) -> String {
    if id.is_entra() {
        return "AAD".to_owned();
    }
    if let Some(builtin) = builtin_source(id) {
        return builtin.name.to_owned();
    }
    app.read()
        .connection(id.as_str())
        .map_or_else(|| id.as_str().to_owned(), |c| c.name.clone())
}

/// Adds the itemFacet members Graph serves on every profile entity.
fn facet(
    app: &App,
    entity: &Value,
    id: &str,
    lead_source: &SourceId,
    types: &[&str],
    sources: Value,
) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("allowedAudiences".into(), json!("organization"));
    out.insert("inference".into(), Value::Null);
    let time = iso_time(app.tenant.created);
    out.insert("createdDateTime".into(), json!(time));
    out.insert("lastModifiedDateTime".into(), json!(time));
    let by = json!({"application": {"displayName": source_name(app, lead_source), "id": null}, "device": null, "user": null});
    out.insert("createdBy".into(), by.clone());
    out.insert("lastModifiedBy".into(), by);
    out.insert("source".into(), json!({"type": types}));
    out.insert("sources".into(), sources);
    out.insert("isSearchable".into(), json!(false));
    if let Some(fields) = entity.as_object() {
        for (k, v) in fields {
            if !["id", "source", "sources"].contains(&k.as_str()) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// The user's composed profile: entities per collection, in Graph's shape.
pub(crate) fn compose_for(app: &App, user: &User) -> BTreeMap<String, Vec<Value>> {
    let mut sources = vec![entra_entities(app, user)];
    let precedence = {
        let state = app.read();
        for connection in state.connections.values() {
            // Only connections registered as profile sources feed profiles.
            if state.source_index(&connection.id).is_none() {
                continue;
            }
            let contributions = connection.contributions_for(&user.id);
            let Ok(source_id) = SourceId::new(connection.id.clone()) else {
                continue;
            };
            if contributions.is_empty() {
                continue;
            }
            let mut entities = SourceEntities::new(source_id);
            for contribution in contributions {
                for (collection, values) in &contribution.entities {
                    for value in values {
                        entities.push(collection, value.clone());
                    }
                }
            }
            sources.push(entities);
        }
        state
            .precedence()
            .map(|s| PrecedenceList::from_urls(s.prioritized_source_urls.iter().cloned()))
            .unwrap_or_default()
    };
    let composed = compose_entities(&precedence, &sources);

    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (collection, composed) in &composed.collections {
        let mut entities = Vec::new();
        if let Some(merged) = &composed.merged {
            let lead = &merged.sources[0].source_id;
            let annotations = serde_json::to_value(merged.annotations()).unwrap_or(Value::Null);
            entities.push(facet(
                app,
                &merged.entity,
                &stable_id(&[&user.id, collection, "merged"]),
                lead,
                &merged.source_types(),
                annotations,
            ));
        }
        for (index, item) in composed.items.iter().enumerate() {
            let types: Vec<&str> = source_type_token(&item.source_id).into_iter().collect();
            entities.push(facet(
                app,
                &item.item,
                &stable_id(&[
                    &user.id,
                    collection,
                    item.source_id.as_str(),
                    &index.to_string(),
                ]),
                &item.source_id,
                &types,
                json!([{"sourceId": item.source_id.as_str(), "isDefaultSource": true}]),
            ));
        }
        out.insert(collection.clone(), entities);
    }
    out
}

/// `GET /beta/users/{id}/profile[/{collection}[/{id}]]` (and `/me/profile...`).
pub(crate) fn handle(ctx: &Ctx<'_>, user: &User, rest: &[&str]) -> ReplyResult<Reply> {
    // Like real Graph: no application permission exists for the profile API (§7.1, §12 #15).
    if !ctx.principal.delegated {
        return Err(ErrorReply::forbidden(
            "accessDenied",
            "The profile API does not support application permissions: call it with a delegated (user) token.",
        ));
    }
    ctx.require(perms::PROFILE_READ, false)?;
    if ctx.req.method != Method::GET {
        return Err(ErrorReply::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "The emulator serves the profile API read-only.",
        ));
    }
    if let Some(collection) = rest.first() {
        if !COLLECTIONS.contains(collection) {
            return Err(ErrorReply::bad_request(
                "BadRequest",
                format!("Resource not found for the segment '{collection}'."),
            ));
        }
    }
    let mut composed = compose_for(ctx.app, user);
    let base = format!("users('{}')/profile", user.id);
    match rest {
        [] => {
            let mut out = Map::new();
            out.insert(
                "@odata.context".into(),
                json!(ctx.context(&format!("{base}/$entity"))),
            );
            out.insert("id".into(), json!(stable_id(&[&user.id, "profile"])));
            for collection in COLLECTIONS {
                out.insert(
                    (*collection).to_owned(),
                    Value::Array(composed.remove(*collection).unwrap_or_default()),
                );
            }
            Ok(Reply::json(StatusCode::OK, Value::Object(out)))
        }
        [collection] => Ok(Reply::json(
            StatusCode::OK,
            json!({
                "@odata.context": ctx.context(&format!("{base}/{collection}")),
                "value": composed.remove(*collection).unwrap_or_default(),
            }),
        )),
        [collection, id] => {
            let entity = composed
                .remove(*collection)
                .unwrap_or_default()
                .into_iter()
                .find(|e| e["id"].as_str().is_some_and(|e| e.eq_ignore_ascii_case(id)))
                .ok_or_else(|| {
                    ErrorReply::not_found(
                        "itemNotFound",
                        format!("The {collection} entity '{id}' was not found."),
                    )
                })?;
            let mut out = Map::new();
            out.insert(
                "@odata.context".into(),
                json!(ctx.context(&format!("{base}/{collection}/$entity"))),
            );
            if let Value::Object(fields) = entity {
                out.extend(fields);
            }
            Ok(Reply::json(StatusCode::OK, Value::Object(out)))
        }
        [_, _, segment, ..] => Err(ErrorReply::bad_request(
            "BadRequest",
            format!("Resource not found for the segment '{segment}'."),
        )),
    }
}
