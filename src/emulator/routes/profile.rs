//! The beta profile API `/users/{id|upn}/profile[/collection[/id]]` and `/me/profile...`:
//! reads of the composed profile (with `$select`, `$filter` and `$top` on collections) and the
//! profile API's own writes, which are the `user` source (delegated only, graph-api §7.1).

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::{Ctx, allow_options, collection_reply, page, perms};
use crate::emulator::directory::User;
use crate::emulator::errors::{ErrorReply, Reply, ReplyResult};
use crate::emulator::profile::query::{Filter, select, selection};
use crate::emulator::profile::types::{COLLECTIONS, FACET_MEMBERS, undeclared_member};
use crate::emulator::profile::{ProfileEdit, composed_for};

/// The canonical name and entity type of a collection segment.
fn collection(segment: &str) -> ReplyResult<(&'static str, &'static str)> {
    COLLECTIONS
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(segment))
        .copied()
        .ok_or_else(|| {
            ErrorReply::bad_request(
                "BadRequest",
                format!("Resource not found for the segment '{segment}'."),
            )
        })
}

fn entity_not_found(collection: &str, id: &str) -> ErrorReply {
    ErrorReply::not_found(
        "itemNotFound",
        format!("The {collection} entity '{id}' was not found."),
    )
}

/// `/beta/users/{id}/profile...` and `/beta/me/profile...`.
pub(crate) fn handle(ctx: &Ctx<'_>, user: &User, rest: &[&str]) -> ReplyResult<Reply> {
    // Like real Graph: no application permission exists for the profile API (§7.1, §12 #15).
    if !ctx.principal.delegated {
        return Err(ErrorReply::forbidden(
            "accessDenied",
            "The profile API does not support application permissions: call it with a delegated (user) token.",
        ));
    }
    let target = match rest.first() {
        Some(segment) => Some(collection(segment)?),
        None => None,
    };
    match (&ctx.req.method, target, rest) {
        (&Method::GET, _, _) => read(ctx, user, target, rest),
        (&Method::POST, Some(target), [_]) => create(ctx, user, target),
        (&Method::PATCH, Some(target), [_, id]) => update(ctx, user, target, id),
        (&Method::DELETE, Some(target), [_, id]) => delete(ctx, user, target, id),
        _ => Err(ctx.method_not_allowed()),
    }
}

fn read(
    ctx: &Ctx<'_>,
    user: &User,
    target: Option<(&'static str, &'static str)>,
    rest: &[&str],
) -> ReplyResult<Reply> {
    ctx.require(perms::PROFILE_READ, false)?;
    let mut composed = composed_for(ctx.app, user);
    let base = format!("users('{}')/profile", user.id);
    match (target, rest) {
        (None, _) => {
            allow_options(ctx, &[])?;
            let mut out = Map::new();
            out.insert(
                "@odata.context".into(),
                json!(ctx.context(&format!("{base}/$entity"))),
            );
            out.insert(
                "id".into(),
                json!(crate::emulator::profile::stable_id(&[&user.id, "profile"])),
            );
            for (name, _) in COLLECTIONS {
                out.insert(
                    (*name).to_owned(),
                    Value::Array(composed.remove(*name).unwrap_or_default()),
                );
            }
            Ok(Reply::json(StatusCode::OK, Value::Object(out)))
        }
        (Some((name, type_name)), [_]) => {
            allow_options(ctx, &["select", "filter", "top", "skiptoken"])?;
            let filter = ctx
                .req
                .query
                .get("$filter")
                .map(|text| Filter::parse(type_name, text))
                .transpose()?;
            let names = ctx
                .req
                .query
                .get("$select")
                .map(|text| selection(type_name, text))
                .transpose()?;
            let kept: Vec<Value> = composed
                .remove(name)
                .unwrap_or_default()
                .into_iter()
                .filter(|e| filter.as_ref().is_none_or(|f| f.keeps(e)))
                .map(|e| names.as_ref().map_or(e.clone(), |n| select(&e, n)))
                .collect();
            let path = format!("{}/profile/{name}", user_path(ctx, user));
            let page = page(ctx, kept, &path)?;
            Ok(collection_reply(ctx, &format!("{base}/{name}"), page))
        }
        (Some((name, type_name)), [_, id]) => {
            allow_options(ctx, &["select"])?;
            let names = ctx
                .req
                .query
                .get("$select")
                .map(|text| selection(type_name, text))
                .transpose()?;
            let entity = composed
                .remove(name)
                .unwrap_or_default()
                .into_iter()
                .find(|e| e["id"].as_str().is_some_and(|e| e.eq_ignore_ascii_case(id)))
                .ok_or_else(|| entity_not_found(name, id))?;
            let entity = names
                .as_ref()
                .map_or(entity.clone(), |n| select(&entity, n));
            Ok(Reply::json(
                StatusCode::OK,
                with_context(ctx, &format!("{base}/{name}/$entity"), entity),
            ))
        }
        (_, [_, _, segment, ..]) => Err(ErrorReply::bad_request(
            "BadRequest",
            format!("Resource not found for the segment '{segment}'."),
        )),
        (Some(_), []) => Err(ctx.method_not_allowed()),
    }
}

/// How the request named the user, for next links (`me` stays `me`).
fn user_path(ctx: &Ctx<'_>, user: &User) -> String {
    if ctx.req.segments.first().is_some_and(|s| s == "me") {
        "me".to_owned()
    } else {
        format!("users/{}", user.id)
    }
}

fn with_context(ctx: &Ctx<'_>, fragment: &str, entity: Value) -> Value {
    let mut out = Map::new();
    out.insert("@odata.context".into(), json!(ctx.context(fragment)));
    if let Value::Object(fields) = entity {
        out.extend(fields);
    }
    Value::Object(out)
}

/// Writing one's own profile needs User.ReadWrite; someone else's, User.ReadWrite.All.
fn require_write(ctx: &Ctx<'_>, user: &User) -> ReplyResult<()> {
    let own = ctx
        .principal
        .user_id
        .as_deref()
        .is_some_and(|id| id.eq_ignore_ascii_case(&user.id));
    if own {
        ctx.require(&["User.ReadWrite", "User.ReadWrite.All"], false)
    } else {
        ctx.require(&["User.ReadWrite.All"], false)
    }
}

/// The members of a write body: declared ones only (400 naming an undeclared one), without
/// the itemFacet members the service sets itself.
fn members(ctx: &Ctx<'_>, type_name: &str) -> ReplyResult<(Map<String, Value>, Option<String>)> {
    let body = ctx.req.json_body()?;
    let object = super::body_object(&body)?;
    if let Some(name) = undeclared_member(type_name, object) {
        return Err(ErrorReply::bad_request(
            "BadRequest",
            format!(
                "The property '{name}' does not exist on type 'microsoft.graph.{type_name}'. Make sure to only use property names that are defined by the type."
            ),
        ));
    }
    let audiences = match object.get("allowedAudiences") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(ErrorReply::bad_request(
                "BadRequest",
                "allowedAudiences must be a string.",
            ));
        }
    };
    let entity = object
        .iter()
        .filter(|(k, _)| !k.starts_with("@odata") && !FACET_MEMBERS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok((entity, audiences))
}

/// The rendered entity with `id` in the user's composed collection.
fn rendered(ctx: &Ctx<'_>, user: &User, collection: &str, id: &str) -> Option<Value> {
    composed_for(ctx.app, user)
        .remove(collection)
        .unwrap_or_default()
        .into_iter()
        .find(|e| e["id"].as_str().is_some_and(|e| e.eq_ignore_ascii_case(id)))
}

fn create(
    ctx: &Ctx<'_>,
    user: &User,
    (name, type_name): (&'static str, &str),
) -> ReplyResult<Reply> {
    require_write(ctx, user)?;
    let (entity, audiences) = members(ctx, type_name)?;
    let now = ctx.app.clock.now_utc();
    let edit = ProfileEdit {
        id: uuid::Uuid::new_v4().to_string(),
        collection: name,
        entity,
        allowed_audiences: audiences.unwrap_or_else(|| "organization".to_owned()),
        author: ctx.principal.user_id.clone().unwrap_or_default(),
        created: now,
        modified: now,
    };
    let id = edit.id.clone();
    ctx.app
        .write()
        .profile_edits
        .entry(user.id.to_ascii_lowercase())
        .or_default()
        .push(edit);
    let entity = rendered(ctx, user, name, &id).unwrap_or(Value::Null);
    let base = format!("users('{}')/profile/{name}/$entity", user.id);
    Ok(Reply::json(
        StatusCode::CREATED,
        with_context(ctx, &base, entity),
    ))
}

/// 404 for an id the user's collection does not hold; 403 for one that comes from another
/// source (UNCONFIRMED: the profile API's answer to editing connector or Entra data is not
/// documented; chose accessDenied, since the user source can change only its own entries).
fn not_editable(ctx: &Ctx<'_>, user: &User, collection: &str, id: &str) -> ErrorReply {
    if rendered(ctx, user, collection, id).is_some() {
        ErrorReply::forbidden(
            "accessDenied",
            format!(
                "The {collection} entity '{id}' comes from Microsoft Entra ID or a connector; only entries written through the profile API can be changed or deleted here."
            ),
        )
    } else {
        entity_not_found(collection, id)
    }
}

fn update(
    ctx: &Ctx<'_>,
    user: &User,
    (name, type_name): (&'static str, &str),
    id: &str,
) -> ReplyResult<Reply> {
    require_write(ctx, user)?;
    let (entity, audiences) = members(ctx, type_name)?;
    let now = ctx.app.clock.now_utc();
    let updated = {
        let mut state = ctx.app.write();
        let edit = state
            .profile_edits
            .get_mut(&user.id.to_ascii_lowercase())
            .and_then(|edits| {
                edits
                    .iter_mut()
                    .find(|e| e.collection == name && e.id.eq_ignore_ascii_case(id))
            });
        match edit {
            Some(edit) => {
                // PATCH replaces the members it names and keeps the others.
                edit.entity.extend(entity);
                if let Some(audiences) = audiences {
                    edit.allowed_audiences = audiences;
                }
                edit.modified = now;
                true
            }
            None => false,
        }
    };
    if !updated {
        return Err(not_editable(ctx, user, name, id));
    }
    let entity = rendered(ctx, user, name, id).unwrap_or(Value::Null);
    let base = format!("users('{}')/profile/{name}/$entity", user.id);
    Ok(Reply::json(
        StatusCode::OK,
        with_context(ctx, &base, entity),
    ))
}

fn delete(
    ctx: &Ctx<'_>,
    user: &User,
    (name, _): (&'static str, &str),
    id: &str,
) -> ReplyResult<Reply> {
    require_write(ctx, user)?;
    let removed = {
        let mut state = ctx.app.write();
        let key = user.id.to_ascii_lowercase();
        let edits = state.profile_edits.entry(key.clone()).or_default();
        let before = edits.len();
        edits.retain(|e| !(e.collection == name && e.id.eq_ignore_ascii_case(id)));
        let removed = edits.len() != before;
        if edits.is_empty() {
            state.profile_edits.remove(&key);
        }
        removed
    };
    if !removed {
        return Err(not_editable(ctx, user, name, id));
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
