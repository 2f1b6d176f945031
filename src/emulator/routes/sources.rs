//! `/admin/people/profileSources`: list, create, and get/update/delete by the `sourceId`
//! alternate key or by the GUID id (graph-api §5).

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::{Ctx, allow_options, body_object, collection_reply, opt_string, page, perms};
use crate::emulator::errors::{ErrorReply, Reply, ReplyResult};
use crate::emulator::odata::{self, Clause, apply_select, parse_filter};
use crate::emulator::state::{ProfileSource, State, referenced_source_id};

fn invalid(message: impl Into<String>) -> ErrorReply {
    ErrorReply::bad_request("invalidRequest", message)
}

fn not_found(key: &str) -> ErrorReply {
    ErrorReply::not_found(
        "itemNotFound",
        format!("The profile source '{key}' was not found."),
    )
}

/// Delegated calls also need the People Administrator role, which only the seed's admin holds.
pub(crate) fn require_people_admin(ctx: &Ctx<'_>, write: bool) -> ReplyResult<()> {
    ctx.require(
        if write {
            perms::PEOPLE_WRITE
        } else {
            perms::PEOPLE_READ
        },
        false,
    )?;
    if let Some(user_id) = &ctx.principal.user_id {
        let is_admin = ctx
            .app
            .directory
            .find(&ctx.app.tenant.admin_upn)
            .is_some_and(|admin| admin.id.eq_ignore_ascii_case(user_id));
        if !is_admin {
            return Err(ErrorReply::forbidden(
                "accessDenied",
                "The signed-in user needs the People Administrator (or Global Administrator) role.",
            ));
        }
    }
    Ok(())
}

fn check_web_url(url: &str) -> ReplyResult<()> {
    match url::Url::parse(url) {
        Ok(parsed) if parsed.scheme() == "https" && parsed.host().is_some() => Ok(()),
        _ => Err(invalid(format!(
            "webUrl must be an absolute HTTPS URL, got '{url}'."
        ))),
    }
}

fn check_localizations(value: Option<&Value>) -> ReplyResult<Option<Value>> {
    match value {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(json!([]))),
        Some(Value::Array(entries)) if entries.iter().all(Value::is_object) => {
            Ok(Some(Value::Array(entries.clone())))
        }
        Some(_) => Err(invalid("localizations must be an array of objects.")),
    }
}

fn entity_json(ctx: &Ctx<'_>, source: &ProfileSource) -> Value {
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(ctx.context("admin/people/profileSources/$entity")),
    );
    if let Value::Object(body) = source.to_json() {
        out.extend(body);
    }
    Value::Object(out)
}

const FILTERABLE: &[&str] = &["id", "sourceId", "displayName", "kind", "webUrl"];

/// `GET|POST /admin/people/profileSources`.
pub(crate) fn collection(ctx: &Ctx<'_>) -> ReplyResult<Reply> {
    match ctx.req.method {
        Method::GET => list(ctx),
        Method::POST => create(ctx),
        _ => Err(ctx.method_not_allowed()),
    }
}

fn list(ctx: &Ctx<'_>) -> ReplyResult<Reply> {
    require_people_admin(ctx, false)?;
    // The list page documents $select, $filter and $orderBy; $orderBy is not served here.
    allow_options(ctx, &["select", "filter", "top", "skiptoken"])?;
    let clauses = match ctx.req.query.get("$filter") {
        None => Vec::new(),
        Some(text) => {
            let clauses = parse_filter(text)
                .map_err(|_| invalid(format!("Invalid filter clause: '{text}'.")))?;
            if let Some(clause) = clauses.iter().find(|c| {
                !FILTERABLE
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(c.property()))
                    || matches!(c, Clause::EndsWith(..))
            }) {
                return Err(invalid(format!(
                    "The filter on '{}' is not supported; filter on sourceId, id, displayName, kind or webUrl with eq, in or startswith.",
                    clause.property()
                )));
            }
            clauses
        }
    };
    let select = ctx.req.query.select();
    let mut value = Vec::new();
    for source in &ctx.app.read().sources {
        let Value::Object(object) = source.to_json() else {
            continue;
        };
        let keep = clauses.iter().all(|c| {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(c.property()))
                .is_some_and(|(_, v)| c.matches(v))
        });
        if keep {
            value.push(Value::Object(match &select {
                Some(names) => apply_select(&object, names),
                None => object,
            }));
        }
    }
    let page = page(ctx, value, "admin/people/profileSources")?;
    Ok(collection_reply(ctx, "admin/people/profileSources", page))
}

/// Every profile source as served (for `$expand` on `/admin/people`).
pub(crate) fn all_json(ctx: &Ctx<'_>) -> Vec<Value> {
    ctx.app
        .read()
        .sources
        .iter()
        .map(ProfileSource::to_json)
        .collect()
}

fn create(ctx: &Ctx<'_>) -> ReplyResult<Reply> {
    require_people_admin(ctx, true)?;
    let body = ctx.req.json_body()?;
    let object = body_object(&body)?;
    let source_id = opt_string(object, "sourceId", "invalidRequest")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| invalid("sourceId is required."))?;
    let web_url = opt_string(object, "webUrl", "invalidRequest")?
        .ok_or_else(|| invalid("webUrl is required and must be an HTTPS URL."))?;
    check_web_url(&web_url)?;
    let source = ProfileSource {
        id: uuid::Uuid::new_v4().to_string(),
        source_id,
        display_name: opt_string(object, "displayName", "invalidRequest")?,
        kind: opt_string(object, "kind", "invalidRequest")?,
        web_url: Some(web_url),
        localizations: check_localizations(object.get("localizations"))?.unwrap_or(json!([])),
    };
    let mut state = ctx.app.write();
    if state.source_index(&source.source_id).is_some() {
        // UNCONFIRMED (graph-api §5.3): chose 409 for a duplicate sourceId.
        return Err(ErrorReply::conflict(
            "nameAlreadyExists",
            format!(
                "A profile source with the sourceId '{}' already exists.",
                source.source_id
            ),
        ));
    }
    let reply = Reply::json(StatusCode::CREATED, entity_json(ctx, &source));
    state.sources.push(source);
    Ok(reply)
}

/// `.../profileSources(sourceId='...')`: quotes doubled inside the literal; the segment was
/// percent-decoded already, so `%27`, `%28`, `%29` work too.
pub(crate) fn by_source_id(ctx: &Ctx<'_>, segment: &str) -> ReplyResult<Reply> {
    let inner = segment
        .strip_prefix("profileSources(")
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| invalid(format!("The key segment '{segment}' is malformed.")))?;
    let (name, literal) = inner
        .split_once('=')
        .ok_or_else(|| invalid(format!("The key segment '{segment}' is malformed.")))?;
    if !name.trim().eq_ignore_ascii_case("sourceId") {
        return Err(invalid(format!(
            "The alternate key '{}' is not supported; use sourceId.",
            name.trim()
        )));
    }
    let source_id = odata::parse_string_literal(literal.trim()).ok_or_else(|| {
        invalid(format!(
            "The key value {literal} is not a valid string literal (quote it, and double quotes inside)."
        ))
    })?;
    entity(ctx, &source_id, |state| state.source_index(&source_id))
}

/// `.../profileSources/{id}` by GUID (implied by the entity key; UNCONFIRMED but served).
pub(crate) fn by_id(ctx: &Ctx<'_>, id: &str) -> ReplyResult<Reply> {
    entity(ctx, id, |state| {
        state
            .sources
            .iter()
            .position(|s| s.id.eq_ignore_ascii_case(id))
    })
}

fn entity(ctx: &Ctx<'_>, key: &str, find: impl Fn(&State) -> Option<usize>) -> ReplyResult<Reply> {
    match ctx.req.method {
        Method::GET => {
            require_people_admin(ctx, false)?;
            let state = ctx.app.read();
            let index = find(&state).ok_or_else(|| not_found(key))?;
            let mut json = entity_json(ctx, &state.sources[index]);
            if let (Some(names), Some(object)) = (ctx.req.query.select(), json.as_object()) {
                json = Value::Object(apply_select(object, &names));
            }
            Ok(Reply::json(StatusCode::OK, json))
        }
        Method::PATCH => {
            require_people_admin(ctx, true)?;
            let body = ctx.req.json_body()?;
            let object = body_object(&body)?;
            let display_name = opt_string(object, "displayName", "invalidRequest")?;
            let kind = opt_string(object, "kind", "invalidRequest")?;
            let web_url = opt_string(object, "webUrl", "invalidRequest")?;
            if let Some(url) = &web_url {
                check_web_url(url)?;
            }
            let localizations = check_localizations(object.get("localizations"))?;
            let new_source_id = opt_string(object, "sourceId", "invalidRequest")?;
            let mut state = ctx.app.write();
            let index = find(&state).ok_or_else(|| not_found(key))?;
            let source = &mut state.sources[index];
            // The concept doc says sourceId cannot be updated; the update page lists it.
            // UNCONFIRMED: chose to refuse a different value.
            if let Some(new) = new_source_id {
                if !new.eq_ignore_ascii_case(&source.source_id) {
                    return Err(invalid("sourceId cannot be changed."));
                }
            }
            if object.contains_key("displayName") {
                source.display_name = display_name;
            }
            if object.contains_key("kind") {
                source.kind = kind;
            }
            if web_url.is_some() {
                source.web_url = web_url;
            }
            if let Some(localizations) = localizations {
                source.localizations = localizations;
            }
            let source = source.clone();
            Ok(Reply::json(StatusCode::OK, entity_json(ctx, &source)))
        }
        Method::DELETE => {
            require_people_admin(ctx, true)?;
            let mut state = ctx.app.write();
            let index = find(&state).ok_or_else(|| not_found(key))?;
            let source_id = state.sources[index].source_id.clone();
            // UNCONFIRMED (§5.3): chose 400 for the built-in Microsoft sources.
            if state.sources[index].is_built_in() {
                return Err(invalid(format!(
                    "The built-in profile source '{source_id}' cannot be deleted."
                )));
            }
            // UNCONFIRMED (§5.3): chose to refuse while a precedence list still names the
            // source (configurable), so that removal goes precedence first, then the source.
            if ctx.app.config.refuse_delete_of_prioritized_source {
                let referenced = state.settings.iter().any(|s| {
                    s.prioritized_source_urls.iter().any(|u| {
                        referenced_source_id(u)
                            .is_some_and(|id| id.eq_ignore_ascii_case(&source_id))
                    })
                });
                if referenced {
                    return Err(invalid(format!(
                        "The profile source '{source_id}' is still listed in prioritizedSourceUrls; remove it from the precedence setting first."
                    )));
                }
            }
            state.sources.remove(index);
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        _ => Err(ctx.method_not_allowed()),
    }
}
