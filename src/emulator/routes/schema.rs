//! `/external/connections/{id}/schema` and `/operations/{opId}`: schema registration as an
//! asynchronous operation, with the validation rules of graph-api §2 and §4.

use std::collections::HashSet;
use std::time::Duration;

use axum::http::{Method, StatusCode, header};
use serde_json::{Map, Value, json};

use super::connections::not_found;
use super::{Ctx, perms};
use crate::emulator::errors::{ErrorReply, Reply, ReplyResult};
use crate::emulator::model::{
    ConnectionState, Operation, OperationStatus, PropType, RegisteredSchema, SchemaProperty,
    UNSUPPORTED_PERSON_LABELS, canonical_label, label_type,
};

const BASE_TYPE: &str = "microsoft.graph.externalItem";
const MAX_PROPERTIES: usize = 128;

fn invalid(message: impl Into<String>) -> ErrorReply {
    ErrorReply::bad_request("InvalidRequest", message)
}

fn deserialization(value: &str) -> ErrorReply {
    ErrorReply::bad_request(
        "InvalidRequest",
        format!("The request is malformed or incorrect. Requested value '{value}' was not found."),
    )
    .inner("code", "DeserializationError")
}

/// Booleans come as JSON booleans or as the strings "true"/"false" (the docs' own examples).
fn flag(object: &Map<String, Value>, key: &str, property: &str) -> ReplyResult<Option<bool>> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(other) => Err(invalid(format!(
            "Property '{property}': {key} must be a boolean, got {other}."
        ))),
    }
}

/// ≤32 characters, alphanumeric only (graph-api §2.4 name and alias rule).
fn check_name(name: &str, what: &str) -> ReplyResult<()> {
    if name.is_empty() || name.chars().count() > 32 {
        return Err(invalid(format!(
            "The {what} '{name}' must be 1 to 32 characters long."
        )));
    }
    if let Some(bad) = name.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(invalid(format!(
            "The {what} '{name}' contains '{}': only letters and digits are allowed.",
            bad.escape_default()
        )));
    }
    Ok(())
}

fn parse_property(value: &Value) -> ReplyResult<SchemaProperty> {
    let object = value
        .as_object()
        .ok_or_else(|| invalid("Each schema property must be an object."))?;
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("Each schema property needs a string 'name'."))?
        .to_owned();
    check_name(&name, "property name")?;
    let type_text = object
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("Property '{name}' needs a string 'type'.")))?;
    // "Collection(String)" and other OData spellings are not propertyType members (§12 #3).
    let prop_type = PropType::parse(type_text).ok_or_else(|| deserialization(type_text))?;
    let labels = match object.get("labels") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(values)) => values
            .iter()
            .map(|v| {
                let text = v.as_str().ok_or_else(|| {
                    invalid(format!("Property '{name}': labels must be strings."))
                })?;
                canonical_label(text).ok_or_else(|| deserialization(text))
            })
            .collect::<ReplyResult<Vec<_>>>()?,
        Some(_) => {
            return Err(invalid(format!(
                "Property '{name}': labels must be an array."
            )));
        }
    };
    let aliases = match object.get("aliases") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(values)) => values
            .iter()
            .map(|v| {
                let alias = v.as_str().ok_or_else(|| {
                    invalid(format!("Property '{name}': aliases must be strings."))
                })?;
                check_name(alias, "alias")?;
                Ok(alias.to_owned())
            })
            .collect::<ReplyResult<Vec<_>>>()?,
        Some(_) => {
            return Err(invalid(format!(
                "Property '{name}': aliases must be an array."
            )));
        }
    };
    let description = match object.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(invalid(format!(
                "Property '{name}': description must be a string."
            )));
        }
    };
    Ok(SchemaProperty {
        is_searchable: flag(object, "isSearchable", &name)?.unwrap_or(false),
        is_queryable: flag(object, "isQueryable", &name)?.unwrap_or(false),
        is_retrievable: flag(object, "isRetrievable", &name)?.unwrap_or(false),
        is_refinable: flag(object, "isRefinable", &name)?.unwrap_or(false),
        is_exact_match_required: flag(object, "isExactMatchRequired", &name)?,
        ranking_hint: object.get("rankingHint").filter(|v| !v.is_null()).cloned(),
        name,
        prop_type,
        labels,
        aliases,
        description,
    })
}

/// Validates a schema body for a connection (`people` = contentCategory people), against the
/// schema it replaces, if any.
pub(crate) fn validate_schema(
    body: &Value,
    people: bool,
    previous: Option<&RegisteredSchema>,
) -> ReplyResult<RegisteredSchema> {
    let object = body
        .as_object()
        .ok_or_else(|| invalid("The schema must be a JSON object."))?;
    match object.get("baseType").and_then(Value::as_str) {
        Some(BASE_TYPE) => {}
        Some(other) => {
            return Err(invalid(format!(
                "baseType must be '{BASE_TYPE}', got '{other}'."
            )));
        }
        None => {
            return Err(invalid(format!(
                "baseType is required and must be '{BASE_TYPE}'."
            )));
        }
    }
    let values = object
        .get("properties")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("properties is required and must be an array."))?;
    if values.is_empty() || values.len() > MAX_PROPERTIES {
        return Err(invalid(format!(
            "A schema holds 1 to {MAX_PROPERTIES} properties, got {}.",
            values.len()
        )));
    }
    let properties = values
        .iter()
        .map(parse_property)
        .collect::<ReplyResult<Vec<_>>>()?;

    let mut names = HashSet::new();
    for p in &properties {
        for n in std::iter::once(&p.name).chain(&p.aliases) {
            if !names.insert(n.to_ascii_lowercase()) {
                return Err(invalid(format!(
                    "The name or alias '{n}' is used more than once."
                )));
            }
        }
    }
    let mut labelled = HashSet::new();
    for p in &properties {
        if p.is_searchable && !matches!(p.prop_type, PropType::String | PropType::StringCollection)
        {
            return Err(invalid(format!(
                "Property '{}': only string and stringCollection properties can be searchable.",
                p.name
            )));
        }
        if p.is_searchable && p.is_refinable {
            return Err(invalid(format!(
                "Property '{}' cannot be both searchable and refinable.",
                p.name
            )));
        }
        for label in &p.labels {
            if !labelled.insert(*label) {
                return Err(invalid(format!(
                    "The label '{label}' is set on more than one property."
                )));
            }
            if let Some(required) = label_type(label) {
                if p.prop_type != required {
                    return Err(invalid(format!(
                        "Property '{}': the label '{label}' needs type {}, not {}.",
                        p.name,
                        required.as_str(),
                        p.prop_type.as_str()
                    )));
                }
            }
            // People connectors ignore search attributes (graph-api §4.3) and their documented
            // example schema has none, so the retrievable rule applies only to other connections.
            if !people && !p.is_retrievable {
                return Err(invalid(format!(
                    "Property '{}' carries the label '{label}' and must be retrievable (isRetrievable: true).",
                    p.name
                )));
            }
        }
    }
    if people {
        check_people(&properties)?;
    }
    if let Some(previous) = previous {
        check_update(previous, &properties)?;
    }
    Ok(RegisteredSchema { properties })
}

fn check_people(properties: &[SchemaProperty]) -> ReplyResult<()> {
    let accounts = properties
        .iter()
        .filter(|p| p.has_label("personAccount"))
        .count();
    if accounts != 1 {
        return Err(invalid(format!(
            "A people connector schema needs exactly one string property labelled personAccount, found {accounts}."
        )));
    }
    for p in properties {
        if let Some(label) = p
            .labels
            .iter()
            .find(|l| UNSUPPORTED_PERSON_LABELS.contains(l))
        {
            return Err(invalid(format!(
                "Property '{}': the label '{label}' is not supported by people connectors; put relationships in workPosition.colleagues.",
                p.name
            )));
        }
        if matches!(
            p.prop_type,
            PropType::Principal | PropType::PrincipalCollection
        ) {
            return Err(invalid(format!(
                "Property '{}': the type {} is not supported by people connectors.",
                p.name,
                p.prop_type.as_str()
            )));
        }
    }
    Ok(())
}

/// Removing, renaming or retyping properties is undocumented (UNCONFIRMED): treated as
/// rejected, per graph-api §2.1; `isRefinable` cannot be added in an update.
fn check_update(previous: &RegisteredSchema, next: &[SchemaProperty]) -> ReplyResult<()> {
    for old in &previous.properties {
        let Some(new) = next.iter().find(|p| p.name.eq_ignore_ascii_case(&old.name)) else {
            return Err(invalid(format!(
                "Property '{}' cannot be removed or renamed in a schema update.",
                old.name
            )));
        };
        if new.prop_type != old.prop_type {
            return Err(invalid(format!(
                "Property '{}' cannot change type from {} to {}.",
                old.name,
                old.prop_type.as_str(),
                new.prop_type.as_str()
            )));
        }
        if new.is_refinable && !old.is_refinable {
            return Err(invalid(format!(
                "Property '{}': isRefinable cannot be added in a schema update.",
                old.name
            )));
        }
    }
    Ok(())
}

pub(crate) fn schema_json(schema: &RegisteredSchema, beta: bool, mask: bool) -> Value {
    // The schema is a singleton under its connection with no id of its own to serve: null, as
    // the entity key is declared (issue 16) rather than left out.
    json!({
        "id": null,
        "baseType": BASE_TYPE,
        "properties": schema.properties.iter().map(|p| p.to_json(beta, mask)).collect::<Vec<_>>(),
    })
}

/// `GET|PATCH|DELETE /external/connections/{id}/schema`.
pub(crate) fn schema(ctx: &Ctx<'_>, id: &str) -> ReplyResult<Reply> {
    match ctx.req.method {
        Method::GET => {
            ctx.require(perms::CONNECTION_READ, false)?;
            let state = ctx.app.read();
            let connection = state.connection(id).ok_or_else(|| not_found(id))?;
            // No schema yet (draft): graph-api's state table says unreadable; 404 tells the
            // client "nothing registered" better than a 400. UNCONFIRMED: chose 404.
            let schema = connection.schema.as_ref().ok_or_else(|| {
                ErrorReply::not_found(
                    "ItemNotFound",
                    format!("The connection '{}' has no schema yet.", connection.id),
                )
            })?;
            let mask = ctx.app.config.mask_evolvable_enums
                && !ctx.req.prefers("include-unknown-enum-members");
            let mut out = json!({"@odata.context": ctx.context(&format!("external/connections('{}')/schema/$entity", connection.id))});
            if let (Some(map), Value::Object(body)) =
                (out.as_object_mut(), schema_json(schema, ctx.req.beta, mask))
            {
                map.extend(body);
            }
            Ok(Reply::json(StatusCode::OK, out))
        }
        // The old POST form is not valid any more (graph-api §2.1, metadata#438).
        Method::PATCH => register(ctx, id),
        // There is no schema delete: Graph answers 404 UnknownError (§12 #1).
        Method::DELETE => Err(ErrorReply::not_found(
            "UnknownError",
            "The schema of a connection cannot be deleted.",
        )),
        _ => Err(ctx.method_not_allowed()),
    }
}

fn register(ctx: &Ctx<'_>, id: &str) -> ReplyResult<Reply> {
    ctx.require(perms::CONNECTION_WRITE, false)?;
    let body = ctx.req.json_body()?;
    let key = id.to_ascii_lowercase();
    let operation_id = uuid::Uuid::new_v4().to_string();
    let connection_id = {
        let mut state = ctx.app.write();
        let connection = state.connection_mut(id).ok_or_else(|| not_found(id))?;
        if connection.state == ConnectionState::Obsolete {
            return Err(invalid("An obsolete connection can only be deleted."));
        }
        if connection.has_pending_operation() {
            // UNCONFIRMED: chose 409 while an earlier schema operation is still running.
            return Err(ErrorReply::conflict(
                "Conflict",
                "A schema operation is already in progress for this connection; poll it before updating the schema again.",
            ));
        }
        let schema = validate_schema(&body, connection.is_people(), connection.schema.as_ref())?;
        let failure = ctx.app.faults.take_schema_failure(&key);
        let delay = Duration::from_millis(ctx.app.config.provisioning_delay_ms);
        connection.operations.push(Operation {
            id: operation_id.clone(),
            status: OperationStatus::InProgress {
                until: ctx.app.clock.instant() + delay,
                failure,
            },
        });
        connection.schema = Some(schema);
        connection.id.clone()
    };
    ctx.app.note_pending_operation();
    let location = format!(
        "{}/external/connections/{connection_id}/operations/{operation_id}",
        ctx.base()
    );
    Ok(Reply::empty(StatusCode::ACCEPTED).with_header(header::LOCATION, location))
}

/// `GET /external/connections/{id}/operations` (the navigation exists in CSDL; listing it is
/// UNCONFIRMED: served so that a client can find a failed operation it lost the Location of).
pub(crate) fn operations(ctx: &Ctx<'_>, id: &str) -> ReplyResult<Reply> {
    if ctx.req.method != Method::GET {
        return Err(ctx.method_not_allowed());
    }
    ctx.require(perms::CONNECTION_READ, false)?;
    let state = ctx.app.read();
    let connection = state.connection(id).ok_or_else(|| not_found(id))?;
    let value: Vec<Value> = connection
        .operations
        .iter()
        .map(Operation::to_json)
        .collect();
    Ok(Reply::json(
        StatusCode::OK,
        json!({
            "@odata.context": ctx.context(&format!("external/connections('{}')/operations", connection.id)),
            "value": value,
        }),
    ))
}

/// `GET /external/connections/{id}/operations/{opId}`.
pub(crate) fn operation(ctx: &Ctx<'_>, id: &str, operation_id: &str) -> ReplyResult<Reply> {
    if ctx.req.method != Method::GET {
        return Err(ctx.method_not_allowed());
    }
    ctx.require(perms::CONNECTION_READ, false)?;
    let state = ctx.app.read();
    let connection = state.connection(id).ok_or_else(|| not_found(id))?;
    let operation = connection
        .operations
        .iter()
        .find(|op| op.id.eq_ignore_ascii_case(operation_id))
        .ok_or_else(|| {
            ErrorReply::not_found(
                "ItemNotFound",
                format!("The operation '{operation_id}' was not found."),
            )
        })?;
    let mut out = json!({"@odata.context": ctx.context(&format!("external/connections('{}')/operations/$entity", connection.id))});
    if let (Some(map), Value::Object(body)) = (out.as_object_mut(), operation.to_json()) {
        map.extend(body);
    }
    Ok(Reply::json(StatusCode::OK, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people_schema() -> Value {
        json!({"baseType": BASE_TYPE, "properties": [
            {"name": "accountInformation", "type": "string", "labels": ["personAccount"]},
            {"name": "position", "type": "String", "labels": ["personCurrentPosition"]},
            {"name": "skills", "type": "stringCollection", "labels": ["personSkills"]},
            {"name": "requisitionId", "type": "string", "isQueryable": "true"}
        ]})
    }

    #[test]
    fn documented_people_schema_passes() {
        let schema = validate_schema(&people_schema(), true, None).unwrap();
        assert_eq!(schema.properties.len(), 4);
        assert_eq!(schema.properties[1].prop_type, PropType::String);
        assert!(schema.properties[3].is_queryable);
    }

    #[test]
    fn rejections() {
        let mut bad = people_schema();
        bad["properties"][2]["type"] = json!("Collection(String)");
        let err = validate_schema(&bad, true, None).unwrap_err();
        assert_eq!(err.code, "InvalidRequest");
        assert_eq!(err.inner["code"], "DeserializationError");

        let mut bad = people_schema();
        bad["properties"][0]["labels"] = json!([]);
        assert!(validate_schema(&bad, true, None).is_err());
        // Outside people connections the same schema needs retrievable labelled properties.
        assert!(validate_schema(&people_schema(), false, None).is_err());

        let mut bad = people_schema();
        bad["properties"][3]["name"] = json!("req-id");
        assert!(validate_schema(&bad, true, None).is_err());

        let mut bad = people_schema();
        bad["properties"][3]["labels"] = json!(["personManager"]);
        assert!(validate_schema(&bad, true, None).is_err());

        let mut bad = people_schema();
        bad["baseType"] = json!("microsoft.graph.other");
        assert!(validate_schema(&bad, true, None).is_err());
    }

    #[test]
    fn updates_cannot_drop_or_retype() {
        let first = validate_schema(&people_schema(), true, None).unwrap();
        let mut grown = people_schema();
        grown["properties"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "extra", "type": "int64"}));
        assert!(validate_schema(&grown, true, Some(&first)).is_ok());
        let mut shrunk = people_schema();
        shrunk["properties"].as_array_mut().unwrap().pop();
        assert!(validate_schema(&shrunk, true, Some(&first)).is_err());
    }
}
