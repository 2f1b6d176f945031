//! `/admin/people/profilePropertySettings`: the source precedence setting (graph-api §6).

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::sources::require_people_admin;
use super::{Ctx, body_object};
use crate::emulator::errors::{ErrorReply, Reply, ReplyResult};
use crate::emulator::odata::apply_select;
use crate::emulator::state::{ENTRA_SOURCE_ID, PropertySetting, referenced_source_id, source_url};

fn invalid(message: impl Into<String>) -> ErrorReply {
    ErrorReply::bad_request("invalidRequest", message)
}

fn not_found(id: &str) -> ErrorReply {
    ErrorReply::not_found(
        "itemNotFound",
        format!("The profile property setting '{id}' was not found."),
    )
}

fn refers_to_entra(url: &str) -> bool {
    referenced_source_id(url).is_some_and(|id| id.eq_ignore_ascii_case(ENTRA_SOURCE_ID))
}

/// A list from a body; the Entra ID URL is appended last when the list lacks it (the docs'
/// examples show this, graph-api §6.3 rule 3). Duplicates and unregistered URLs are kept
/// verbatim (UNCONFIRMED, §6.3 rule 4: chose to accept).
fn parse_urls(value: &Value) -> ReplyResult<Vec<String>> {
    let Some(entries) = value.as_array() else {
        return Err(invalid(
            "prioritizedSourceUrls must be an array of strings.",
        ));
    };
    let mut urls = entries
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid("prioritizedSourceUrls must be an array of strings."))
        })
        .collect::<ReplyResult<Vec<_>>>()?;
    if !urls.iter().any(|u| refers_to_entra(u)) {
        urls.push(source_url(ENTRA_SOURCE_ID));
    }
    Ok(urls)
}

/// A name member: absent (`None`), null (`Some(None)`) or a string (unknown members are
/// tolerated and ignored).
#[allow(clippy::option_option)] // absent and null mean different things in a PATCH
fn name_member(object: &Map<String, Value>, key: &str) -> ReplyResult<Option<Option<String>>> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(invalid(format!("{key} must be a string or null."))),
    }
}

fn entity_json(ctx: &Ctx<'_>, setting: &PropertySetting) -> Value {
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(ctx.context("admin/people/profilePropertySettings/$entity")),
    );
    if let Value::Object(body) = setting.to_json() {
        out.extend(body);
    }
    Value::Object(out)
}

fn duplicate(settings: &[PropertySetting], candidate: &PropertySetting) -> Option<ErrorReply> {
    let clash = settings.iter().filter(|s| s.id != candidate.id).find(|s| {
        if candidate.is_nameless() {
            s.is_nameless()
        } else {
            let name = |p: &PropertySetting| {
                p.name
                    .clone()
                    .or_else(|| p.display_name.clone())
                    .unwrap_or_default()
                    .to_lowercase()
            };
            !s.is_nameless() && name(s) == name(candidate)
        }
    })?;
    // "Only one source precedence setting can be created"; the status is UNCONFIRMED:
    // chose 409.
    Some(ErrorReply::conflict(
        "nameAlreadyExists",
        if candidate.is_nameless() {
            format!(
                "A setting with no name (the source precedence setting) already exists: '{}'. PATCH it instead.",
                clash.id
            )
        } else {
            format!("A setting with that name already exists: '{}'.", clash.id)
        },
    ))
}

/// Every setting as served (for `$expand` on `/admin/people`).
pub(crate) fn all_json(ctx: &Ctx<'_>) -> Vec<Value> {
    ctx.app
        .read()
        .settings
        .iter()
        .map(PropertySetting::to_json)
        .collect()
}

/// `GET|POST /admin/people/profilePropertySettings`.
pub(crate) fn collection(ctx: &Ctx<'_>) -> ReplyResult<Reply> {
    match ctx.req.method {
        Method::GET => {
            require_people_admin(ctx, false)?;
            let select = ctx.req.query.select();
            let state = ctx.app.read();
            let value: Vec<Value> = state
                .settings
                .iter()
                .filter_map(|s| match s.to_json() {
                    Value::Object(object) => Some(Value::Object(match &select {
                        Some(names) => apply_select(&object, names),
                        None => object,
                    })),
                    _ => None,
                })
                .collect();
            Ok(Reply::json(
                StatusCode::OK,
                json!({"@odata.context": ctx.context("admin/people/profilePropertySettings"), "value": value}),
            ))
        }
        Method::POST => {
            require_people_admin(ctx, true)?;
            let body = ctx.req.json_body()?;
            let object = body_object(&body)?;
            let urls = object
                .get("prioritizedSourceUrls")
                .ok_or_else(|| invalid("prioritizedSourceUrls is required."))?;
            let setting = PropertySetting {
                id: uuid::Uuid::new_v4().to_string(),
                name: name_member(object, "name")?.flatten(),
                display_name: name_member(object, "displayName")?.flatten(),
                prioritized_source_urls: parse_urls(urls)?,
            };
            let mut state = ctx.app.write();
            if let Some(error) = duplicate(&state.settings, &setting) {
                return Err(error);
            }
            let reply = Reply::json(StatusCode::CREATED, entity_json(ctx, &setting));
            state.settings.push(setting);
            Ok(reply)
        }
        _ => Err(ctx.method_not_allowed()),
    }
}

/// `GET|PATCH|DELETE /admin/people/profilePropertySettings/{id}`.
pub(crate) fn entity(ctx: &Ctx<'_>, id: &str) -> ReplyResult<Reply> {
    let find =
        |settings: &[PropertySetting]| settings.iter().position(|s| s.id.eq_ignore_ascii_case(id));
    match ctx.req.method {
        Method::GET => {
            require_people_admin(ctx, false)?;
            let state = ctx.app.read();
            let index = find(&state.settings).ok_or_else(|| not_found(id))?;
            let mut json = entity_json(ctx, &state.settings[index]);
            if let (Some(names), Some(object)) = (ctx.req.query.select(), json.as_object()) {
                json = Value::Object(apply_select(object, &names));
            }
            Ok(Reply::json(StatusCode::OK, json))
        }
        Method::PATCH => {
            require_people_admin(ctx, true)?;
            let body = ctx.req.json_body()?;
            let object = body_object(&body)?;
            let urls = match object.get("prioritizedSourceUrls") {
                None => None,
                Some(value) => Some(parse_urls(value)?),
            };
            let name = name_member(object, "name")?;
            let display_name = name_member(object, "displayName")?;
            let mut state = ctx.app.write();
            let index = find(&state.settings).ok_or_else(|| not_found(id))?;
            let mut updated = state.settings[index].clone();
            if let Some(urls) = urls {
                updated.prioritized_source_urls = urls;
            }
            if let Some(name) = name {
                updated.name = name;
            }
            if let Some(display_name) = display_name {
                updated.display_name = display_name;
            }
            if let Some(error) = duplicate(&state.settings, &updated) {
                return Err(error);
            }
            let reply = Reply::json(StatusCode::OK, entity_json(ctx, &updated));
            state.settings[index] = updated;
            Ok(reply)
        }
        Method::DELETE => {
            require_people_admin(ctx, true)?;
            let mut state = ctx.app.write();
            let index = find(&state.settings).ok_or_else(|| not_found(id))?;
            let urls = &state.settings[index].prioritized_source_urls;
            // Deletable only once PATCHed back to the Entra-only default (§6.3 rule 2); the
            // failure status is UNCONFIRMED: chose 400 invalidRequest.
            let only_entra = urls.iter().all(|u| refers_to_entra(u));
            if !only_entra {
                return Err(invalid(
                    "A setting that holds a source precedence cannot be deleted: PATCH prioritizedSourceUrls back to only the Microsoft Entra ID source first.",
                ));
            }
            state.settings.remove(index);
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        _ => Err(ctx.method_not_allowed()),
    }
}
