//! `GET /admin/people` (peopleAdminSettings) and its read-only settings navigations
//! (itemInsights, pronouns, profileCardProperties; beta namePronunciation, photoUpdateSettings).

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::sources::require_people_admin;
use super::{Ctx, settings, sources};
use crate::emulator::errors::{ErrorReply, Reply, ReplyResult};
use crate::emulator::odata::split_list;

/// The navigation properties of peopleAdminSettings in each version (TM-beta adds two).
fn navigations(beta: bool) -> &'static [&'static str] {
    if beta {
        &[
            "itemInsights",
            "namePronunciation",
            "photoUpdateSettings",
            "profileCardProperties",
            "profilePropertySettings",
            "profileSources",
            "pronouns",
        ]
    } else {
        &[
            "itemInsights",
            "profileCardProperties",
            "profilePropertySettings",
            "profileSources",
            "pronouns",
        ]
    }
}

/// Whether `segment` is a navigation of `/admin/people` served by this module.
pub(crate) fn is_setting(segment: &str, beta: bool) -> bool {
    matches!(
        segment,
        "itemInsights" | "pronouns" | "profileCardProperties"
    ) || (beta && matches!(segment, "namePronunciation" | "photoUpdateSettings"))
}

/// The tenant-wide settings entity has no id of its own in the docs; the emulator serves a
/// fixed one derived from nothing (the tenant has exactly one).
const SETTINGS_ID: &str = "peopleAdminSettings";

/// The defaults of a new tenant: insights on, pronouns and pronunciation off, no custom
/// profile card properties, no roles restricting photo updates.
fn setting_body(segment: &str) -> Value {
    match segment {
        "itemInsights" => {
            json!({"id": "itemInsights", "isEnabledInOrganization": true, "disabledForGroup": null})
        }
        "pronouns" => json!({"id": "pronouns", "isEnabledInOrganization": false}),
        "namePronunciation" => json!({"id": "namePronunciation", "isEnabledInOrganization": false}),
        "photoUpdateSettings" => json!({"id": "photoUpdateSettings", "allowedRoles": []}),
        _ => Value::Null,
    }
}

/// `GET /admin/people[?$expand=...]`.
pub(crate) fn root(ctx: &Ctx<'_>) -> ReplyResult<Reply> {
    if ctx.req.method != Method::GET {
        return Err(ctx.method_not_allowed());
    }
    require_people_admin(ctx, false)?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(ctx.context("admin/people/$entity")),
    );
    out.insert("id".into(), json!(SETTINGS_ID));
    if let Some(expand) = ctx.req.query.get("$expand") {
        for name in split_list(expand) {
            let nav = navigations(ctx.req.beta)
                .iter()
                .find(|n| n.eq_ignore_ascii_case(&name))
                .ok_or_else(|| {
                    ErrorReply::bad_request(
                        "BadRequest",
                        format!(
                            "Could not find a property named '{name}' on type 'microsoft.graph.peopleAdminSettings'."
                        ),
                    )
                })?;
            let value = match *nav {
                "profileSources" => Value::Array(sources::all_json(ctx)),
                "profilePropertySettings" => Value::Array(settings::all_json(ctx)),
                "profileCardProperties" => json!([]),
                other => setting_body(other),
            };
            out.insert((*nav).to_owned(), value);
        }
    }
    Ok(Reply::json(StatusCode::OK, Value::Object(out)))
}

/// `GET /admin/people/{itemInsights|pronouns|profileCardProperties|...}`.
pub(crate) fn setting(ctx: &Ctx<'_>, segment: &str) -> ReplyResult<Reply> {
    if ctx.req.method != Method::GET {
        return Err(ctx.method_not_allowed());
    }
    require_people_admin(ctx, false)?;
    if segment == "profileCardProperties" {
        return Ok(Reply::json(
            StatusCode::OK,
            json!({"@odata.context": ctx.context("admin/people/profileCardProperties"), "value": []}),
        ));
    }
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(ctx.context(&format!("admin/people/{segment}/$entity"))),
    );
    if let Value::Object(body) = setting_body(segment) {
        out.extend(body);
    }
    Ok(Reply::json(StatusCode::OK, Value::Object(out)))
}
