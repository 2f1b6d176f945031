//! `/users`: list (paged, `$select`, `$filter`, `$count`, `$top`), get by id or UPN, manager,
//! and the hand-off to the beta profile API.

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::{Ctx, perms, profile};
use crate::emulator::directory::{DEFAULT_PROPERTIES, SINGLE_USER_ONLY, User, canonical_property};
use crate::emulator::errors::{ErrorReply, Reply, ReplyResult};
use crate::emulator::odata::{
    Clause, Literal, decode_skiptoken, encode_skiptoken, parse_filter, split_list,
};

const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 999;

/// Properties `$filter` supports here.
const FILTERABLE: &[&str] = &[
    "id",
    "userPrincipalName",
    "mail",
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "companyName",
    "officeLocation",
    "employeeId",
    "employeeType",
    "city",
    "country",
    "state",
    "usageLocation",
    "userType",
    "accountEnabled",
];

fn bad(message: impl Into<String>) -> ErrorReply {
    ErrorReply::bad_request("Request_BadRequest", message)
}

fn unsupported(message: impl Into<String>) -> ErrorReply {
    ErrorReply::bad_request("Request_UnsupportedQuery", message)
}

pub(crate) fn user_not_found(key: &str) -> ErrorReply {
    ErrorReply::not_found(
        "Request_ResourceNotFound",
        format!(
            "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

/// A selection of user properties: canonical names, or an error naming the unknown one.
fn selection(ctx: &Ctx<'_>, single: bool) -> ReplyResult<Vec<&'static str>> {
    let Some(names) = ctx.req.query.select() else {
        return Ok(DEFAULT_PROPERTIES.to_vec());
    };
    let mut out = Vec::new();
    for name in names {
        if let Some(canonical) = canonical_property(&name) {
            if !out.contains(&canonical) {
                out.push(canonical);
            }
        } else if SINGLE_USER_ONLY
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&name))
        {
            if !single {
                return Err(ErrorReply::new(
                    StatusCode::NOT_IMPLEMENTED,
                    "NotImplemented",
                    format!(
                        "The property '{name}' can be read only on a single user, not on the /users collection."
                    ),
                ));
            }
        } else {
            return Err(bad(format!(
                "Could not find a property named '{name}' on type 'microsoft.graph.user'."
            )));
        }
    }
    Ok(out)
}

/// `$expand=manager` or `manager($select=a,b)`: the manager's selection, if asked for.
fn expand_manager(ctx: &Ctx<'_>) -> ReplyResult<Option<Vec<&'static str>>> {
    let Some(expand) = ctx.req.query.get("$expand") else {
        return Ok(None);
    };
    let items = split_list(expand);
    let [item] = items.as_slice() else {
        return Err(bad("Only $expand=manager is supported here."));
    };
    if item.eq_ignore_ascii_case("manager") {
        return Ok(Some(vec!["id", "displayName"]));
    }
    let Some(inner) = item
        .strip_prefix("manager(")
        .or_else(|| item.strip_prefix("Manager("))
        .and_then(|s| s.strip_suffix(')'))
    else {
        return Err(bad(format!(
            "Could not find a navigation property named '{item}' on type 'microsoft.graph.user'."
        )));
    };
    let list = inner
        .strip_prefix("$select=")
        .ok_or_else(|| bad("Only $select is supported inside $expand=manager(...)."))?;
    let mut names = Vec::new();
    for name in split_list(list) {
        names.push(canonical_property(&name).ok_or_else(|| {
            bad(format!(
                "Could not find a property named '{name}' on type 'microsoft.graph.user'."
            ))
        })?);
    }
    Ok(Some(names))
}

fn user_json(
    ctx: &Ctx<'_>,
    user: &User,
    select: &[&str],
    manager: Option<&[&str]>,
    single: bool,
) -> Map<String, Value> {
    let mut out = user.to_json(select);
    if single {
        // Single-user-only properties have no data in the emulator: null, as for an empty one.
        if let Some(names) = ctx.req.query.select() {
            for name in names {
                if let Some(p) = SINGLE_USER_ONLY
                    .iter()
                    .find(|p| p.eq_ignore_ascii_case(&name))
                {
                    out.insert((*p).to_owned(), Value::Null);
                }
            }
        }
    }
    if let Some(manager_select) = manager {
        let manager = user
            .manager_id
            .as_deref()
            .and_then(|id| ctx.app.directory.find(id))
            .map(|m| {
                let mut object = Map::new();
                object.insert("@odata.type".into(), json!("#microsoft.graph.user"));
                object.extend(m.to_json(manager_select));
                Value::Object(object)
            });
        if let Some(manager) = manager {
            out.insert("manager".into(), manager);
        }
    }
    out
}

fn context_fragment(ctx: &Ctx<'_>, entity: bool) -> String {
    let mut fragment = "users".to_owned();
    if let Some(names) = ctx.req.query.select() {
        fragment.push('(');
        fragment.push_str(&names.join(","));
        fragment.push(')');
    }
    if entity {
        fragment.push_str("/$entity");
    }
    fragment
}

fn eventual(ctx: &Ctx<'_>) -> bool {
    ctx.req
        .header("consistencylevel")
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"))
}

fn parse_top(ctx: &Ctx<'_>) -> ReplyResult<usize> {
    let Some(text) = ctx.req.query.get("$top") else {
        return Ok(ctx
            .app
            .config
            .page_size
            .unwrap_or(DEFAULT_PAGE)
            .min(MAX_PAGE));
    };
    let invalid = || {
        bad(format!(
            "Invalid page size specified: '{text}'. Must be between 1 and {MAX_PAGE} inclusive."
        ))
    };
    let top: usize = text.trim().parse().map_err(|_| invalid())?;
    if (1..=MAX_PAGE).contains(&top) {
        Ok(top)
    } else {
        Err(invalid())
    }
}

fn parse_filters(ctx: &Ctx<'_>, count_requested: bool) -> ReplyResult<Vec<(Clause, &'static str)>> {
    let Some(text) = ctx.req.query.get("$filter") else {
        return Ok(Vec::new());
    };
    let clauses = parse_filter(text).map_err(|_| {
        unsupported(format!(
            "Unsupported or invalid query filter clause: '{text}'. Supported here: eq, in, startswith and endswith, joined by and."
        ))
    })?;
    clauses
        .into_iter()
        .map(|clause| {
            let property = FILTERABLE
                .iter()
                .find(|p| p.eq_ignore_ascii_case(clause.property()))
                .copied()
                .ok_or_else(|| {
                    unsupported(format!(
                        "Unsupported or invalid query filter clause specified for property '{}' of resource 'User'.",
                        clause.property()
                    ))
                })?;
            // endswith is an advanced query (graph-api §8).
            if matches!(clause, Clause::EndsWith(..)) && !(count_requested && eventual(ctx)) {
                return Err(unsupported(
                    "Operator 'endsWith' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header.",
                ));
            }
            Ok((clause, property))
        })
        .collect()
}

/// `GET /users`.
pub(crate) fn list(ctx: &Ctx<'_>) -> ReplyResult<Reply> {
    if ctx.req.method != Method::GET {
        return Err(ctx.method_not_allowed());
    }
    ctx.require(perms::USER_READ, true)?;
    for name in ctx.req.query.names() {
        let bare = name.trim_start_matches('$').to_ascii_lowercase();
        match bare.as_str() {
            "select" | "filter" | "top" | "skiptoken" | "count" | "expand" => {}
            "skip" => return Err(bad("'$skip' is not supported by the service.")),
            "orderby" | "search" => {
                return Err(unsupported(format!(
                    "The query option '{name}' is not supported by the emulator's /users."
                )));
            }
            _ if name.starts_with('$') => {
                return Err(bad(format!("Query option '{name}' is not allowed.")));
            }
            _ => {}
        }
    }
    let select = selection(ctx, false)?;
    let manager = expand_manager(ctx)?;
    let top = parse_top(ctx)?;
    let count_requested = match ctx.req.query.get("$count") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => return Err(bad(format!("Invalid $count value '{v}'."))),
    };
    if count_requested && !eventual(ctx) {
        // Advanced queries need ConsistencyLevel: eventual (graph-api §8).
        return Err(bad(
            "$count is not currently supported without the header ConsistencyLevel: eventual.",
        ));
    }
    let filters = parse_filters(ctx, count_requested)?;
    let start = match ctx.req.query.get("$skiptoken") {
        None => 0,
        Some(token) => decode_skiptoken(token).ok_or_else(|| {
            bad("The specified page token value has expired and can no longer be included in your request.")
        })?,
    };

    let directory = &ctx.app.directory;
    let matches = |user: &User| {
        filters.iter().all(|(clause, property)| {
            user.property(property)
                .is_some_and(|value| clause.matches(&value))
        })
    };
    // Positions to look at, in listing order: the few an `eq`/`in` on an indexed key names,
    // else every user.
    let indexed = indexed_candidates(ctx, &filters);
    let positions = |from: usize| -> Box<dyn Iterator<Item = usize> + '_> {
        match &indexed {
            Some(found) => Box::new(found.iter().copied().filter(move |i| *i >= from)),
            None => Box::new(from..directory.len()),
        }
    };
    let mut value = Vec::new();
    let mut next = None;
    for index in positions(start) {
        let Some(user) = directory.at(index) else {
            break;
        };
        if !matches(&user) {
            continue;
        }
        if value.len() == top {
            next = Some(index);
            break;
        }
        value.push(Value::Object(user_json(
            ctx,
            &user,
            &select,
            manager.as_deref(),
            false,
        )));
    }
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(ctx.context(&context_fragment(ctx, false))),
    );
    if count_requested {
        let total = if filters.is_empty() {
            directory.len()
        } else {
            positions(0)
                .filter(|i| directory.at(*i).is_some_and(|u| matches(&u)))
                .count()
        };
        out.insert("@odata.count".into(), json!(total));
    }
    if let Some(next) = next {
        let mut query = ctx.req.query.encoded_without_skiptoken();
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str("$skiptoken=");
        query.push_str(&encode_skiptoken(next));
        out.insert(
            "@odata.nextLink".into(),
            json!(format!("{}/users?{query}", ctx.base())),
        );
    }
    out.insert("value".into(), Value::Array(value));
    Ok(Reply::json(StatusCode::OK, Value::Object(out)))
}

/// When a clause pins `id` or `userPrincipalName` to values (`eq`, `in`), the directory's
/// index finds the users those values name, in O(1) each, so a lookup does not scan (and
/// generate) a million synthetic users. The clauses are still checked on each one found: the
/// index answers ids and UPNs alike.
fn indexed_candidates(ctx: &Ctx<'_>, filters: &[(Clause, &'static str)]) -> Option<Vec<usize>> {
    let keys: &[Literal] = filters.iter().find_map(|(clause, property)| {
        if !matches!(*property, "id" | "userPrincipalName") {
            return None;
        }
        match clause {
            Clause::Eq(_, literal) => Some(std::slice::from_ref(literal)),
            Clause::In(_, literals) => Some(literals.as_slice()),
            Clause::StartsWith(..) | Clause::EndsWith(..) => None,
        }
    })?;
    let mut found: Vec<usize> = keys
        .iter()
        .filter_map(|key| match key {
            Literal::Text(text) => ctx.app.directory.position(text),
            Literal::Bool(_) | Literal::Null => None,
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    Some(found)
}

/// `/users/{id | upn}[/manager | /profile...]` (the key already decoded from its segment).
pub(crate) fn entity(ctx: &Ctx<'_>, key: &str, rest: &[&str]) -> ReplyResult<Reply> {
    let user = ctx
        .app
        .directory
        .find(key)
        .ok_or_else(|| user_not_found(key))?
        .into_owned();
    match rest {
        [] | ["manager"] if ctx.req.method != Method::GET => Err(ctx.method_not_allowed()),
        [] => {
            require_user_read(ctx, &user)?;
            let select = selection(ctx, true)?;
            let manager = expand_manager(ctx)?;
            let mut out = Map::new();
            out.insert(
                "@odata.context".into(),
                json!(ctx.context(&context_fragment(ctx, true))),
            );
            out.extend(user_json(ctx, &user, &select, manager.as_deref(), true));
            Ok(Reply::json(StatusCode::OK, Value::Object(out)))
        }
        ["manager"] => {
            require_user_read(ctx, &user)?;
            let manager = user
                .manager_id
                .as_deref()
                .and_then(|id| ctx.app.directory.find(id))
                .ok_or_else(|| user_not_found("manager"))?;
            let select = selection(ctx, true)?;
            let mut out = Map::new();
            out.insert(
                "@odata.context".into(),
                json!(ctx.context("directoryObjects/$entity")),
            );
            out.insert("@odata.type".into(), json!("#microsoft.graph.user"));
            out.extend(manager.to_json(&select));
            Ok(Reply::json(StatusCode::OK, Value::Object(out)))
        }
        ["profile", rest @ ..] if ctx.req.beta => profile::handle(ctx, &user, rest),
        [segment, ..] => Err(ErrorReply::bad_request(
            "BadRequest",
            format!("Resource not found for the segment '{segment}'."),
        )),
    }
}

/// Directory reads; a delegated caller may always read itself with User.Read.
fn require_user_read(ctx: &Ctx<'_>, user: &User) -> ReplyResult<()> {
    let is_self = ctx
        .principal
        .user_id
        .as_deref()
        .is_some_and(|id| id.eq_ignore_ascii_case(&user.id));
    if is_self && ctx.principal.has_any(&["User.Read", "User.ReadWrite"]) {
        return Ok(());
    }
    ctx.require(perms::USER_READ, true)
}
