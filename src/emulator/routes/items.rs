//! `/external/connections/{id}/items/{itemId}`: PUT (create or replace), GET, DELETE, with the
//! item rules of graph-api §3 and §4.3 and the per-connection write throttle.

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::connections::not_found;
use super::{Ctx, contrib, perms};
use crate::emulator::directory::Directory;
use crate::emulator::errors::{ErrorReply, Reply, ReplyResult};
use crate::emulator::model::{ConnectionState, Item, PropType, RegisteredSchema};

const ACL_TYPES: &[&str] = &[
    "user",
    "group",
    "everyone",
    "everyoneExceptGuests",
    "externalGroup",
];
const TOP_LEVEL: &[&str] = &[
    "id",
    "acl",
    "properties",
    "content",
    "activities",
    "informationProtectionLabel",
    "@odata.type",
];

fn bad(message: impl Into<String>) -> ErrorReply {
    ErrorReply::bad_request("BadRequest", message)
}

fn mismatch(property: &str) -> ErrorReply {
    bad(format!(
        "Property {property} in payload has a value that does not match schema."
    ))
}

/// Item ids: ≤128 characters of `[A-Za-z0-9_]`. The docs say alphanumeric; Microsoft's own
/// people sample uses `_` (alexw_at_contoso_dot_com). UNCONFIRMED: chose to accept `_`.
pub(crate) fn validate_item_id(id: &str) -> ReplyResult<()> {
    if id.is_empty() || id.len() > 128 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(ErrorReply::bad_request(
            "InvalidRequest",
            format!(
                "The request is malformed or incorrect. The item id '{id}' must be 1 to 128 characters, letters, digits and '_' only."
            ),
        ));
    }
    Ok(())
}

fn check_acl(value: Option<&Value>, people: bool) -> ReplyResult<Value> {
    let Some(Value::Array(entries)) = value else {
        return Err(bad("The acl is required and must be an array."));
    };
    if entries.is_empty() {
        return Err(bad("The acl must hold at least one entry."));
    }
    let mut everyone_granted = false;
    let mut denies = false;
    for entry in entries {
        let (Some(kind), Some(value), Some(access)) = (
            entry.get("type").and_then(Value::as_str),
            entry.get("value").and_then(Value::as_str),
            entry.get("accessType").and_then(Value::as_str),
        ) else {
            return Err(mismatch("acl"));
        };
        let Some(kind) = ACL_TYPES.iter().find(|t| t.eq_ignore_ascii_case(kind)) else {
            return Err(mismatch("acl"));
        };
        // Any non-empty value is accepted for everyone: the docs disagree on it (§3.3).
        if value.is_empty() {
            return Err(mismatch("acl"));
        }
        match access {
            a if a.eq_ignore_ascii_case("grant") => everyone_granted |= *kind == "everyone",
            a if a.eq_ignore_ascii_case("deny") => denies = true,
            _ => return Err(mismatch("acl")),
        }
    }
    // People data is visible to the whole organisation (graph-api §4.3). Whether the service
    // refuses other ACLs or ignores them is UNCONFIRMED: chose to refuse, so clients send the
    // documented ACL.
    if people && (!everyone_granted || denies) {
        return Err(ErrorReply::bad_request(
            "InvalidRequest",
            "Items of a people connector must be visible to everyone: the acl must grant 'everyone' and deny nobody.",
        ));
    }
    Ok(Value::Array(entries.clone()))
}

fn check_content(value: Option<&Value>) -> ReplyResult<Option<Value>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(content)) => {
            let kind_ok = content
                .get("type")
                .and_then(Value::as_str)
                .is_none_or(|t| t.eq_ignore_ascii_case("text") || t.eq_ignore_ascii_case("html"));
            let value_ok = content.get("value").is_none_or(Value::is_string);
            if kind_ok && value_ok {
                Ok(Some(Value::Object(content.clone())))
            } else {
                Err(mismatch("content"))
            }
        }
        // A plain string is the classic mistake (graph-api §12 #4).
        Some(_) => Err(mismatch("content")),
    }
}

fn scalar_ok(kind: PropType, value: &Value) -> bool {
    match kind {
        PropType::String | PropType::StringCollection => value.is_string(),
        PropType::Int64 | PropType::Int64Collection => value.is_i64() || value.is_u64(),
        PropType::Double | PropType::DoubleCollection => value.is_number(),
        PropType::Boolean => value.is_boolean(),
        PropType::DateTime | PropType::DateTimeCollection => value
            .as_str()
            .is_some_and(|s| OffsetDateTime::parse(s, &Rfc3339).is_ok()),
        PropType::Principal | PropType::PrincipalCollection => value.is_object(),
    }
}

fn check_properties(
    value: Option<&Value>,
    schema: &RegisteredSchema,
    connection_id: &str,
) -> ReplyResult<Map<String, Value>> {
    let Some(Value::Object(properties)) = value else {
        return Err(bad("properties is required and must be an object."));
    };
    if !properties.keys().any(|k| !k.contains('@')) {
        return Err(bad("properties must hold at least one property."));
    }
    for (key, value) in properties {
        if let Some((name, annotation)) = key.split_once('@') {
            if annotation != "odata.type" {
                return Err(bad(format!("The annotation '{key}' is not supported.")));
            }
            if schema.property(name).is_none() {
                return Err(bad(format!(
                    "The annotation '{key}' names a property that is not in the schema of connection '{connection_id}'."
                )));
            }
            continue;
        }
        let Some(definition) = schema.property(key) else {
            return Err(bad(format!(
                "Property '{key}' is not defined in the schema of connection '{connection_id}'."
            )));
        };
        if value.is_null() {
            continue;
        }
        let annotation = properties
            .iter()
            .find(|(k, _)| {
                k.split_once('@')
                    .is_some_and(|(n, a)| n.eq_ignore_ascii_case(key) && a == "odata.type")
            })
            .and_then(|(_, v)| v.as_str())
            .map(|a| a.trim_start_matches('#'));
        if definition.prop_type.is_collection() {
            let Value::Array(elements) = value else {
                return Err(mismatch(key));
            };
            let expected = definition
                .prop_type
                .annotation()
                .unwrap_or("Collection(String)");
            match annotation {
                None => {
                    return Err(bad(format!(
                        "Property {key} is a collection: it needs the annotation \"{key}@odata.type\": \"{expected}\"."
                    )));
                }
                Some(a) if a.eq_ignore_ascii_case("Collection(DateTime)") => {
                    return Err(bad(format!(
                        "Property {key}: Collection(DateTime) is not supported; annotate date collections as Collection(DateTimeOffset)."
                    )));
                }
                Some(a) if !a.eq_ignore_ascii_case(expected) => {
                    return Err(bad(format!(
                        "Property {key}: the annotation '{a}' does not match the schema type {}; use {expected}.",
                        definition.prop_type.as_str()
                    )));
                }
                Some(_) => {}
            }
            if !elements.iter().all(|e| scalar_ok(definition.prop_type, e)) {
                return Err(mismatch(key));
            }
        } else {
            if let Some(a) = annotation {
                let fits = match definition.prop_type {
                    PropType::String => a.eq_ignore_ascii_case("String"),
                    PropType::Int64 => a.eq_ignore_ascii_case("Int64"),
                    PropType::Double => a.eq_ignore_ascii_case("Double"),
                    PropType::Boolean => a.eq_ignore_ascii_case("Boolean"),
                    PropType::DateTime => a.eq_ignore_ascii_case("DateTimeOffset"),
                    _ => true,
                };
                if !fits {
                    return Err(bad(format!(
                        "Property {key}: the annotation '{a}' does not match the schema type {}.",
                        definition.prop_type.as_str()
                    )));
                }
            }
            if !scalar_ok(definition.prop_type, value) {
                return Err(mismatch(key));
            }
        }
    }
    Ok(properties.clone())
}

/// Validates an item body against a connection's registered schema and derives its profile
/// contribution (people connections).
pub(crate) fn validate_item(
    item_id: &str,
    body: &Value,
    schema: &RegisteredSchema,
    connection_id: &str,
    people: bool,
    directory: &Directory,
) -> ReplyResult<Item> {
    let Some(object) = body.as_object() else {
        return Err(bad("The item must be a JSON object."));
    };
    if let Some(key) = object.keys().find(|k| !TOP_LEVEL.contains(&k.as_str())) {
        return Err(bad(format!(
            "Invalid property '{key}': it does not exist on type 'microsoft.graph.externalConnectors.externalItem'."
        )));
    }
    if let Some(id) = object.get("id").and_then(Value::as_str) {
        if id != item_id {
            return Err(bad(format!(
                "The id '{id}' in the body does not match the id '{item_id}' in the URL."
            )));
        }
    }
    let acl = check_acl(object.get("acl"), people)?;
    let properties = check_properties(object.get("properties"), schema, connection_id)?;
    let content = check_content(object.get("content"))?;
    let contribution = contrib::derive(schema, &properties, directory, people);
    Ok(Item {
        id: item_id.to_owned(),
        acl,
        properties,
        content,
        contribution,
    })
}

/// `/external/connections/{id}/items`: there is no list operation in v1.0 (graph-api §3.1,
/// UNCONFIRMED: chose 405).
pub(crate) fn collection(ctx: &Ctx<'_>, _id: &str) -> ReplyResult<Reply> {
    Err(ctx.method_not_allowed())
}

fn item_not_found(item_id: &str) -> ErrorReply {
    ErrorReply::not_found(
        "ItemNotFound",
        format!("The item '{item_id}' was not found."),
    )
}

fn throttle(ctx: &Ctx<'_>, connection_id: &str) -> ReplyResult<()> {
    ctx.app
        .faults
        .take_ingest(&connection_id.to_ascii_lowercase())
        .map_err(ErrorReply::throttled)
}

/// `GET|PUT|DELETE /external/connections/{id}/items/{itemId}`.
pub(crate) fn entity(ctx: &Ctx<'_>, connection_id: &str, item_id: &str) -> ReplyResult<Reply> {
    match ctx.req.method {
        Method::GET => {
            ctx.require(perms::ITEM_READ, false)?;
            let state = ctx.app.read();
            let connection = state
                .connection(connection_id)
                .ok_or_else(|| not_found(connection_id))?;
            let item = connection
                .items
                .get(item_id)
                .ok_or_else(|| item_not_found(item_id))?;
            let mut out = json!({"@odata.context": ctx.context(&format!("external/connections('{}')/items/$entity", connection.id))});
            if let (Some(map), Value::Object(body)) =
                (out.as_object_mut(), item.to_json(ctx.req.beta))
            {
                map.extend(body);
            }
            Ok(Reply::json(StatusCode::OK, out))
        }
        Method::PUT => put(ctx, connection_id, item_id),
        Method::DELETE => {
            ctx.require(perms::ITEM_WRITE, false)?;
            if ctx.app.read().connection(connection_id).is_none() {
                return Err(not_found(connection_id));
            }
            throttle(ctx, connection_id)?;
            let mut state = ctx.app.write();
            let connection = state
                .connection_mut(connection_id)
                .ok_or_else(|| not_found(connection_id))?;
            connection
                .remove_item(
                    item_id,
                    ctx.app.clock.instant(),
                    ctx.app.visible_at(item_id),
                )
                .ok_or_else(|| item_not_found(item_id))?;
            connection.note_item_write(item_id);
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        _ => Err(ctx.method_not_allowed()),
    }
}

fn put(ctx: &Ctx<'_>, connection_id: &str, item_id: &str) -> ReplyResult<Reply> {
    ctx.require(perms::ITEM_WRITE, false)?;
    if ctx.app.read().connection(connection_id).is_none() {
        return Err(not_found(connection_id));
    }
    // Throttling comes first, as on the service: a throttled write is not even read.
    throttle(ctx, connection_id)?;
    validate_item_id(item_id)?;
    let body = ctx.req.json_body()?;
    let mut state = ctx.app.write();
    let connection = state
        .connection_mut(connection_id)
        .ok_or_else(|| not_found(connection_id))?;
    // Items need a ready connection (graph-api §1.2); the status for other states is
    // UNCONFIRMED: chose 400 InvalidRequest, the connectors service's usual answer.
    let schema = match (connection.state, &connection.active_schema) {
        (ConnectionState::Ready, Some(schema)) => schema,
        (state, _) => {
            return Err(ErrorReply::bad_request(
                "InvalidRequest",
                format!(
                    "The connection '{}' is {} : items can be written only once its schema is registered and the connection is ready.",
                    connection.id,
                    state.as_str()
                ),
            ));
        }
    };
    let item = validate_item(
        item_id,
        &body,
        schema,
        &connection.id,
        connection.is_people(),
        &ctx.app.directory,
    )?;
    connection.note_item_write(&item.id);
    let visible_at = ctx.app.visible_at(&item.id);
    connection.insert_item(item, ctx.app.clock.instant(), visible_at);
    Ok(Reply::empty(StatusCode::OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_ids() {
        assert!(validate_item_id("alexw_at_contoso_dot_com").is_ok());
        assert!(validate_item_id(&"a".repeat(128)).is_ok());
        assert!(validate_item_id(&"a".repeat(129)).is_err());
        assert!(validate_item_id("a-b").is_err());
        assert!(validate_item_id("").is_err());
    }
}
