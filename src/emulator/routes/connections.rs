//! `/external/connections[/{id}]`: create, list, get, update, delete (+ beta quota).

use std::collections::HashMap;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::{Ctx, allow_options, body_object, collection_reply, opt_string, page, perms};
use crate::emulator::errors::{ErrorReply, Reply, ReplyResult};
use crate::emulator::model::{CONTENT_CATEGORIES, Connection, ConnectionState};
use crate::emulator::odata::apply_select;

/// Ids a connection may not take, compared case-insensitively (graph-api §1.1 says the case
/// sensitivity of this check is UNCONFIRMED: chose case-insensitive, the stricter reading).
const RESERVED_IDS: &[&str] = &[
    "None",
    "Directory",
    "Exchange",
    "ExchangeArchive",
    "LinkedIn",
    "Mailbox",
    "OneDriveBusiness",
    "SharePoint",
    "Teams",
    "Yammer",
    "Connectors",
    "TaskFabric",
    "PowerBI",
    "Assistant",
    "TopicEngine",
    "MSFT_All_Connectors",
];

/// A documented items-per-connection capacity, for the beta quota (graph-api §1.4).
const ITEM_CAPACITY: usize = 5_000_000;

const V1_WRITABLE: &[&str] = &[
    "id",
    "name",
    "description",
    "configuration",
    "contentCategory",
    "activitySettings",
    "searchSettings",
    "connectorId",
];
const BETA_ONLY_WRITABLE: &[&str] = &["complianceSettings", "enabledContentExperiences"];
/// Read-only members a client may echo back; ignored.
const READ_ONLY: &[&str] = &[
    "state",
    "ingestedItemsCount",
    "@odata.type",
    "@odata.context",
];

fn malformed(detail: &str) -> ErrorReply {
    ErrorReply::bad_request(
        "InvalidRequest",
        format!("The request is malformed or incorrect. {detail}"),
    )
}

pub(crate) fn not_found(id: &str) -> ErrorReply {
    // UNCONFIRMED: the connectors service's code for a missing connection; chose ItemNotFound.
    ErrorReply::not_found(
        "ItemNotFound",
        format!("The connection '{id}' was not found."),
    )
}

/// The id rules of graph-api §1.1.
pub(crate) fn validate_id(id: &str) -> ReplyResult<()> {
    if !(3..=32).contains(&id.len()) || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(malformed(&format!(
            "The connection id '{id}' must be 3 to 32 characters, letters and digits only."
        )));
    }
    if id.len() >= 9 && id[..9].eq_ignore_ascii_case("microsoft") {
        return Err(malformed(&format!(
            "The connection id '{id}' must not start with 'Microsoft'."
        )));
    }
    if RESERVED_IDS.iter().any(|r| r.eq_ignore_ascii_case(id)) {
        return Err(malformed(&format!(
            "The connection id '{id}' is a reserved name."
        )));
    }
    Ok(())
}

fn check_members(object: &Map<String, Value>, beta: bool) -> ReplyResult<()> {
    for key in object.keys() {
        let known = V1_WRITABLE.contains(&key.as_str())
            || (beta && BETA_ONLY_WRITABLE.contains(&key.as_str()))
            || READ_ONLY.contains(&key.as_str());
        if !known {
            return Err(ErrorReply::bad_request(
                "BadRequest",
                format!(
                    "Invalid property '{key}': it does not exist on type 'microsoft.graph.externalConnectors.externalConnection'{}.",
                    if BETA_ONLY_WRITABLE.contains(&key.as_str()) {
                        " in v1.0"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    Ok(())
}

fn check_name(name: &str) -> ReplyResult<()> {
    if name.trim().is_empty() || name.chars().count() > 128 {
        return Err(malformed("The name must be 1 to 128 characters."));
    }
    Ok(())
}

fn check_configuration(value: &Value) -> ReplyResult<Value> {
    let Some(object) = value.as_object() else {
        return Err(malformed("configuration must be an object."));
    };
    let mut out = object.clone();
    match object.get("authorizedAppIds") {
        None | Some(Value::Null) => {
            out.insert("authorizedAppIds".into(), json!([]));
        }
        Some(Value::Array(ids)) if ids.iter().all(Value::is_string) => {}
        Some(_) => {
            return Err(malformed(
                "configuration.authorizedAppIds must be an array of strings.",
            ));
        }
    }
    Ok(Value::Object(out))
}

fn canonical_category(text: &str) -> ReplyResult<&'static str> {
    CONTENT_CATEGORIES
        .iter()
        .find(|c| c.eq_ignore_ascii_case(text))
        .copied()
        .ok_or_else(|| {
            ErrorReply::bad_request(
                "InvalidRequest",
                format!("Requested value '{text}' was not found."),
            )
            .inner("code", "DeserializationError")
        })
}

fn check_experiences(value: &Value) -> ReplyResult<()> {
    let ok = value.as_str().is_some_and(|s| {
        s.split(',')
            .map(str::trim)
            .all(|f| ["search", "compliance"].contains(&f))
    });
    if ok {
        Ok(())
    } else {
        Err(ErrorReply::bad_request(
            "InvalidRequest",
            "enabledContentExperiences must be 'search', 'compliance' or 'search, compliance'.",
        )
        .inner("code", "DeserializationError"))
    }
}

/// Graph's representation of a connection for `version`.
pub(crate) fn connection_json(connection: &Connection, beta: bool) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("id".into(), json!(connection.id));
    out.insert("name".into(), json!(connection.name));
    out.insert("description".into(), json!(connection.description));
    out.insert("state".into(), json!(connection.state.as_str()));
    out.insert("configuration".into(), connection.configuration.clone());
    out.insert("contentCategory".into(), json!(connection.content_category));
    out.insert(
        "connectorId".into(),
        connection
            .extra
            .get("connectorId")
            .cloned()
            .unwrap_or(Value::Null),
    );
    // Declared properties are served null when unset, as Graph does.
    let extra = |key: &str| connection.extra.get(key).cloned().unwrap_or(Value::Null);
    for key in ["activitySettings", "searchSettings"] {
        out.insert(key.into(), extra(key));
    }
    if beta {
        out.insert(
            "enabledContentExperiences".into(),
            connection
                .extra
                .get("enabledContentExperiences")
                .cloned()
                .unwrap_or_else(|| json!("search")),
        );
        out.insert("complianceSettings".into(), extra("complianceSettings"));
        // Exact here; the real service refreshes it every 15 minutes. Null while draft.
        let count = (connection.state != ConnectionState::Draft).then_some(connection.items.len());
        out.insert("ingestedItemsCount".into(), json!(count));
    }
    out
}

fn with_select(ctx: &Ctx<'_>, object: Map<String, Value>) -> Map<String, Value> {
    match ctx.req.query.select() {
        Some(names) => apply_select(&object, &names),
        None => object,
    }
}

/// `GET|POST /external/connections`.
pub(crate) fn collection(ctx: &Ctx<'_>) -> ReplyResult<Reply> {
    match ctx.req.method {
        Method::GET => {
            ctx.require(perms::CONNECTION_READ, false)?;
            allow_options(ctx, &["select", "top", "skiptoken"])?;
            let now = ctx.app.clock.instant();
            let value: Vec<Value> = ctx
                .app
                .read()
                .listed_connections(now)
                .into_iter()
                .map(|c| Value::Object(with_select(ctx, connection_json(c, ctx.req.beta))))
                .collect();
            let page = page(ctx, value, "external/connections")?;
            Ok(collection_reply(ctx, "external/connections", page))
        }
        Method::POST => create(ctx),
        _ => Err(ctx.method_not_allowed()),
    }
}

fn create(ctx: &Ctx<'_>) -> ReplyResult<Reply> {
    ctx.require(perms::CONNECTION_WRITE, false)?;
    let body = ctx.req.json_body()?;
    let object = body_object(&body)?;
    check_members(object, ctx.req.beta)?;
    let id = opt_string(object, "id", "InvalidRequest")?
        .ok_or_else(|| malformed("The property 'id' is required."))?;
    validate_id(&id)?;
    let name = opt_string(object, "name", "InvalidRequest")?
        .ok_or_else(|| malformed("The property 'name' is required."))?;
    check_name(&name)?;
    // The Create page lists description as required, the resource page as optional; Microsoft's
    // own people-connector walkthrough (seed 002) creates a connection with only id and name,
    // so what the sample sends is accepted.
    let description = opt_string(object, "description", "InvalidRequest")?;
    let configuration = match object.get("configuration") {
        None | Some(Value::Null) => json!({"authorizedAppIds": []}),
        Some(value) => check_configuration(value)?,
    };
    let content_category = match opt_string(object, "contentCategory", "InvalidRequest")? {
        Some(text) => canonical_category(&text)?,
        None => "uncategorized",
    };
    let mut extra = Map::new();
    for key in [
        "activitySettings",
        "searchSettings",
        "connectorId",
        "complianceSettings",
    ] {
        if let Some(value) = object.get(key).filter(|v| !v.is_null()) {
            extra.insert(key.into(), value.clone());
        }
    }
    if let Some(value) = object
        .get("enabledContentExperiences")
        .filter(|v| !v.is_null())
    {
        check_experiences(value)?;
        extra.insert("enabledContentExperiences".into(), value.clone());
    }
    let connection = Connection {
        id: id.clone(),
        name,
        description,
        content_category: content_category.to_owned(),
        state: ConnectionState::Draft,
        configuration,
        extra,
        schema: None,
        active_schema: None,
        operations: Vec::new(),
        items: HashMap::new(),
        feed: HashMap::new(),
        feed_by_user: HashMap::new(),
        item_writes: HashMap::new(),
    };
    let json = connection_json(&connection, ctx.req.beta);
    {
        let mut state = ctx.app.write();
        let key = id.to_ascii_lowercase();
        if state.connections.contains_key(&key) {
            // UNCONFIRMED (graph-api §12 #7 shows 409 on a retried create): chose 409 Conflict.
            return Err(ErrorReply::conflict(
                "Conflict",
                format!("A connection with the id '{id}' already exists."),
            ));
        }
        state.connections.insert(key, connection);
    }
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(ctx.context("external/connections/$entity")),
    );
    out.extend(json);
    Ok(Reply::json(StatusCode::CREATED, Value::Object(out)))
}

/// `GET|PATCH|DELETE /external/connections/{id}`.
pub(crate) fn entity(ctx: &Ctx<'_>, id: &str) -> ReplyResult<Reply> {
    match ctx.req.method {
        Method::GET => {
            ctx.require(perms::CONNECTION_READ, false)?;
            let state = ctx.app.read();
            let now = ctx.app.clock.instant();
            let connection = state
                .connection(id)
                .or_else(|| state.still_listed(id, now))
                .ok_or_else(|| not_found(id))?;
            let mut out = Map::new();
            out.insert(
                "@odata.context".into(),
                json!(ctx.context("external/connections/$entity")),
            );
            out.extend(with_select(ctx, connection_json(connection, ctx.req.beta)));
            Ok(Reply::json(StatusCode::OK, Value::Object(out)))
        }
        Method::PATCH => update(ctx, id),
        Method::DELETE => {
            ctx.require(perms::CONNECTION_WRITE, false)?;
            let mut state = ctx.app.write();
            let now = ctx.app.clock.instant();
            state.unlisting.retain(|(_, until)| *until > now);
            let Some(removed) = state.connections.remove(&id.to_ascii_lowercase()) else {
                // Deleting one already being deleted is accepted again (UNCONFIRMED: chose
                // 204 over 404 while Graph still lists it).
                if state.still_listed(id, now).is_some() {
                    return Ok(Reply::empty(StatusCode::NO_CONTENT));
                }
                return Err(not_found(id));
            };
            // The list may show it for a while yet: as it was, without its items.
            let listed = Duration::from_millis(ctx.app.config.deleted_connection_listed_ms);
            if !listed.is_zero() {
                let mut ghost = removed.clone();
                ghost.items.clear();
                ghost.feed.clear();
                ghost.feed_by_user.clear();
                state.unlisting.push((ghost, now + listed));
            }
            // Its data fades from profiles only after a while ("delays can be expected").
            state.departed.retain(|(_, until)| *until > now);
            let linger = Duration::from_millis(ctx.app.config.deleted_connection_linger_ms);
            if !linger.is_zero() {
                state.departed.push((removed, now + linger));
            }
            drop(state);
            // Its items go with it (graph-api §1.3); forget its throttle bucket too.
            ctx.app.faults.forget_connection(&id.to_ascii_lowercase());
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        _ => Err(ctx.method_not_allowed()),
    }
}

fn update(ctx: &Ctx<'_>, id: &str) -> ReplyResult<Reply> {
    ctx.require(perms::CONNECTION_WRITE, false)?;
    let body = ctx.req.json_body()?;
    let object = body_object(&body)?;
    check_members(object, ctx.req.beta)?;
    let name = opt_string(object, "name", "InvalidRequest")?;
    if let Some(name) = &name {
        check_name(name)?;
    }
    let description = opt_string(object, "description", "InvalidRequest")?;
    let configuration = match object.get("configuration") {
        None | Some(Value::Null) => None,
        Some(value) => Some(check_configuration(value)?),
    };
    if let Some(value) = object
        .get("enabledContentExperiences")
        .filter(|v| !v.is_null())
    {
        check_experiences(value)?;
    }
    let category = opt_string(object, "contentCategory", "InvalidRequest")?
        .map(|c| canonical_category(&c))
        .transpose()?;

    let mut state = ctx.app.write();
    let connection = state.connection_mut(id).ok_or_else(|| not_found(id))?;
    if let Some(new_id) = opt_string(object, "id", "InvalidRequest")? {
        if new_id != connection.id {
            return Err(malformed("The connection id cannot be changed."));
        }
    }
    if connection.state == ConnectionState::Obsolete {
        return Err(malformed("An obsolete connection can only be deleted."));
    }
    if let Some(category) = category {
        // Not listed as updatable; changing it would bypass the people schema rules.
        // UNCONFIRMED: chose to refuse a change.
        if category != connection.content_category {
            return Err(malformed(
                "The contentCategory of a connection cannot be changed.",
            ));
        }
    }
    if let Some(name) = name {
        connection.name = name;
    }
    if let Some(description) = description {
        connection.description = Some(description);
    }
    if let Some(configuration) = configuration {
        connection.configuration = configuration;
    }
    for key in [
        "activitySettings",
        "searchSettings",
        "connectorId",
        "complianceSettings",
        "enabledContentExperiences",
    ] {
        match object.get(key) {
            None => {}
            Some(Value::Null) => {
                connection.extra.remove(key);
            }
            Some(value) => {
                connection.extra.insert(key.into(), value.clone());
            }
        }
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// `GET /beta/external/connections/{id}/quota`.
pub(crate) fn quota(ctx: &Ctx<'_>, id: &str) -> ReplyResult<Reply> {
    if ctx.req.method != Method::GET {
        return Err(ctx.method_not_allowed());
    }
    ctx.require(perms::CONNECTION_READ, false)?;
    let state = ctx.app.read();
    let connection = state.connection(id).ok_or_else(|| not_found(id))?;
    Ok(Reply::json(
        StatusCode::OK,
        json!({
            "@odata.context": ctx.context(&format!("external/connections('{}')/quota/$entity", connection.id)),
            // A singleton under its connection, with no id of its own (as for the schema).
            "id": null,
            "itemsRemaining": ITEM_CAPACITY.saturating_sub(connection.items.len()),
        }),
    ))
}
