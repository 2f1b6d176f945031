//! Graph request routing: authentication, then one handler per resource group.

pub(crate) mod batch;
pub(crate) mod connections;
pub(crate) mod contrib;
pub(crate) mod items;
pub(crate) mod people_admin;
pub(crate) mod profile;
pub(crate) mod schema;
pub(crate) mod settings;
pub(crate) mod sources;
pub(crate) mod users;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::errors::{ErrorReply, Reply, ReplyResult, RequestIds};
use super::identity::{self, Principal};
use super::odata::{self, Query};
use super::service::Emulator;

/// Permission sets (any one suffices), per graph-api §1.3, §5.3, §7.1, §8.
pub(crate) mod perms {
    pub const CONNECTION_READ: &[&str] = &[
        "ExternalConnection.Read.All",
        "ExternalConnection.ReadWrite.OwnedBy",
        "ExternalConnection.ReadWrite.All",
    ];
    pub const CONNECTION_WRITE: &[&str] = &[
        "ExternalConnection.ReadWrite.OwnedBy",
        "ExternalConnection.ReadWrite.All",
    ];
    pub const ITEM_READ: &[&str] = &[
        "ExternalItem.Read.All",
        "ExternalItem.ReadWrite.OwnedBy",
        "ExternalItem.ReadWrite.All",
    ];
    pub const ITEM_WRITE: &[&str] = &[
        "ExternalItem.ReadWrite.OwnedBy",
        "ExternalItem.ReadWrite.All",
    ];
    pub const PEOPLE_READ: &[&str] = &["PeopleSettings.Read.All", "PeopleSettings.ReadWrite.All"];
    pub const PEOPLE_WRITE: &[&str] = &["PeopleSettings.ReadWrite.All"];
    pub const USER_READ: &[&str] = &[
        "User.ReadBasic.All",
        "User.Read.All",
        "User.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ];
    pub const PROFILE_READ: &[&str] = &[
        "User.Read",
        "User.ReadWrite",
        "User.ReadBasic.All",
        "User.Read.All",
        "User.ReadWrite.All",
    ];
}

/// A Graph call, from the wire or from inside a `$batch`.
#[derive(Debug, Clone)]
pub(crate) struct GraphRequest {
    pub method: Method,
    pub beta: bool,
    /// The path as sent (with the version segment), for faults and messages.
    pub path: String,
    /// Percent-decoded segments after the version.
    pub segments: Vec<String>,
    pub query: Query,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl GraphRequest {
    /// `None` unless the path starts with `/v1.0/` or `/beta/`.
    pub fn new(
        method: Method,
        path: &str,
        raw_query: Option<&str>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Option<Self> {
        let mut raw = path.split('/').filter(|s| !s.is_empty());
        let beta = match raw.next()? {
            "v1.0" => false,
            "beta" => true,
            _ => return None,
        };
        let segments = raw
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        Some(Self {
            method,
            beta,
            path: path.to_owned(),
            segments,
            query: Query::parse(raw_query),
            headers,
            body,
        })
    }

    pub fn version(&self) -> &'static str {
        if self.beta { "beta" } else { "v1.0" }
    }

    /// The body as JSON (Graph's own 400 when it is not).
    pub fn json_body(&self) -> ReplyResult<Value> {
        serde_json::from_slice(&self.body).map_err(|_| {
            ErrorReply::bad_request(
                "BadRequest",
                "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
            )
        })
    }

    /// Whether a `Prefer` header asks for `preference`.
    pub fn prefers(&self, preference: &str) -> bool {
        self.headers
            .get_all("prefer")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|p| p.trim().eq_ignore_ascii_case(preference))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What a handler sees.
pub(crate) struct Ctx<'a> {
    pub app: &'a Emulator,
    pub principal: &'a Principal,
    pub req: &'a GraphRequest,
}

impl Ctx<'_> {
    /// `{root}/{version}`.
    pub fn base(&self) -> String {
        format!("{}/{}", self.app.root, self.req.version())
    }

    /// An `@odata.context` URL for `fragment`.
    pub fn context(&self, fragment: &str) -> String {
        format!("{}/$metadata#{fragment}", self.base())
    }

    /// 403 unless the token carries one of `permissions`.
    pub fn require(&self, permissions: &[&str], directory_api: bool) -> ReplyResult<()> {
        if self.principal.has_any(permissions) {
            return Ok(());
        }
        let kind = if self.principal.delegated {
            "scopes (scp)"
        } else {
            "application roles (roles)"
        };
        let message = format!(
            "Insufficient privileges to complete the operation: the token's {kind} include none of {}.",
            permissions.join(", ")
        );
        Err(if directory_api {
            ErrorReply::forbidden("Authorization_RequestDenied", message)
        } else {
            ErrorReply::forbidden("accessDenied", message)
        })
    }

    pub fn method_not_allowed(&self) -> ErrorReply {
        ErrorReply::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "BadRequest",
            format!(
                "The HTTP method '{}' is not allowed for the request target '{}'.",
                self.req.method, self.req.path
            ),
        )
    }
}

/// Authenticates and answers one Graph call.
pub(crate) fn dispatch(app: &Emulator, ids: &RequestIds, req: &GraphRequest) -> Reply {
    let principal = match identity::authenticate(app, &req.headers) {
        Ok(principal) => principal,
        Err(error) => return error.to_reply(ids),
    };
    let result = if req.segments.len() == 1 && req.segments[0] == "$batch" {
        batch::handle(app, req)
    } else {
        route(&Ctx {
            app,
            principal: &principal,
            req,
        })
    };
    result.unwrap_or_else(|error| error.to_reply(ids))
}

/// Answers one authenticated (non-batch) Graph call.
pub(crate) fn route(ctx: &Ctx<'_>) -> ReplyResult<Reply> {
    let segments: Vec<&str> = ctx.req.segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["external", "connections"] => connections::collection(ctx),
        ["external", "connections", id] => connections::entity(ctx, id),
        ["external", "connections", id, "quota"] if ctx.req.beta => connections::quota(ctx, id),
        ["external", "connections", id, "schema"] => schema::schema(ctx, id),
        ["external", "connections", id, "operations"] => schema::operations(ctx, id),
        ["external", "connections", id, "operations", op] => schema::operation(ctx, id, op),
        ["external", "connections", id, "items"] => items::collection(ctx, id),
        ["external", "connections", id, "items", item] => items::entity(ctx, id, item),
        ["admin", "people"] => people_admin::root(ctx),
        ["admin", "people", nav] if people_admin::is_setting(nav, ctx.req.beta) => {
            people_admin::setting(ctx, nav)
        }
        ["admin", "people", "profileSources"] => sources::collection(ctx),
        ["admin", "people", "profileSources", id] => sources::by_id(ctx, id),
        ["admin", "people", key] if key.starts_with("profileSources(") => {
            sources::by_source_id(ctx, key)
        }
        ["admin", "people", "profilePropertySettings"] => settings::collection(ctx),
        ["admin", "people", "profilePropertySettings", id] => settings::entity(ctx, id),
        ["users"] => users::list(ctx),
        ["users", key, rest @ ..] => users::entity(ctx, key, rest),
        [segment, rest @ ..] if segment.starts_with("users(") => {
            let key = odata::key_in_parens(segment, "users").ok_or_else(|| {
                ErrorReply::bad_request(
                    "Request_BadRequest",
                    format!("Invalid object identifier '{segment}'."),
                )
            })?;
            users::entity(ctx, &key, rest)
        }
        ["me", rest @ ..] => {
            let Some(user_id) = ctx.principal.user_id.clone() else {
                return Err(ErrorReply::bad_request(
                    "BadRequest",
                    "/me request is only valid with delegated authentication flow.",
                ));
            };
            users::entity(ctx, &user_id, rest)
        }
        [_, ..] => Err(ErrorReply::bad_request(
            "BadRequest",
            format!(
                "Resource not found for the segment '{}'.",
                unresolved_segment(&segments, ctx.req.beta)
            ),
        )),
        [] => Err(ErrorReply::bad_request(
            "BadRequest",
            "Invalid request: the path names no resource.",
        )),
    }
}

/// The paths served, `*` standing for a key; the profile API's own paths are resolved by its
/// handler. Used only to name the segment Graph could not resolve.
const SERVED_PATHS: &[&[&str]] = &[
    &["external", "connections", "*", "schema"],
    &["external", "connections", "*", "operations", "*"],
    &["external", "connections", "*", "items", "*"],
    &["admin", "people", "profileSources", "*"],
    &["admin", "people", "profilePropertySettings", "*"],
    &["admin", "people", "itemInsights"],
    &["admin", "people", "pronouns"],
    &["admin", "people", "profileCardProperties"],
    &["users", "*", "manager"],
    &["users", "*", "profile", "*", "*"],
    &["me", "manager"],
    &["me", "profile", "*", "*"],
];

/// Paths served in beta only.
const BETA_PATHS: &[&[&str]] = &[
    &["external", "connections", "*", "quota"],
    &["admin", "people", "namePronunciation"],
    &["admin", "people", "photoUpdateSettings"],
];

/// The first segment of `segments` that no served path resolves, as Graph names it in
/// "Resource not found for the segment '...'" (the deepest unresolved one, not the first).
fn unresolved_segment<'a>(segments: &[&'a str], beta: bool) -> &'a str {
    let beta_paths: &[&[&str]] = if beta { BETA_PATHS } else { &[] };
    let resolved = SERVED_PATHS
        .iter()
        .chain(beta_paths)
        .map(|path| {
            path.iter()
                .zip(segments)
                .take_while(|(want, got)| **want == "*" || **want == **got)
                .count()
        })
        .max()
        .unwrap_or(0);
    segments
        .get(resolved)
        .or(segments.last())
        .copied()
        .unwrap_or_default()
}

/// 400 for a system query option the route does not serve, so that none is silently ignored
/// (`allowed` without `$`; Graph accepts options with or without it).
pub(crate) fn allow_options(ctx: &Ctx<'_>, allowed: &[&str]) -> ReplyResult<()> {
    for name in ctx.req.query.names() {
        let bare = name.trim_start_matches('$');
        let is_option = name.starts_with('$')
            || odata::SYSTEM_OPTIONS
                .iter()
                .any(|o| o.eq_ignore_ascii_case(bare));
        if is_option && !allowed.iter().any(|a| a.eq_ignore_ascii_case(bare)) {
            return Err(ErrorReply::bad_request(
                "BadRequest",
                format!(
                    "Query option '{name}' is not supported on '{}'.",
                    ctx.req.path
                ),
            ));
        }
    }
    Ok(())
}

/// Cuts one page of a listing at `path` (relative to the version root), with the configured
/// default page size (everything in one page when none is configured).
pub(crate) fn page(ctx: &Ctx<'_>, items: Vec<Value>, path: &str) -> ReplyResult<odata::Paged> {
    // Graph's maximum page size for these lists is not documented; 999 as for /users.
    odata::page(
        &ctx.req.query,
        items,
        ctx.app.config.page_size.unwrap_or(usize::MAX),
        999,
        &format!("{}/{path}", ctx.base()),
    )
    .map_err(|e| ErrorReply::bad_request("BadRequest", e.0))
}

/// A collection reply: `@odata.context`, `value` and, when there is more, `@odata.nextLink`.
pub(crate) fn collection_reply(ctx: &Ctx<'_>, fragment: &str, page: odata::Paged) -> Reply {
    let mut out = serde_json::Map::new();
    out.insert(
        "@odata.context".into(),
        Value::String(ctx.context(fragment)),
    );
    if let Some(next) = page.next_link {
        out.insert("@odata.nextLink".into(), Value::String(next));
    }
    out.insert("value".into(), Value::Array(page.value));
    Reply::json(StatusCode::OK, Value::Object(out))
}

/// Validates a JSON body is an object.
pub(crate) fn body_object(value: &Value) -> ReplyResult<&serde_json::Map<String, Value>> {
    value.as_object().ok_or_else(|| {
        ErrorReply::bad_request("BadRequest", "The request body must be a JSON object.")
    })
}

/// An optional string member (400 when present with another type).
pub(crate) fn opt_string(
    object: &serde_json::Map<String, Value>,
    key: &str,
    code: &str,
) -> ReplyResult<Option<String>> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ErrorReply::bad_request(
            code,
            format!("The property '{key}' must be a string."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::unresolved_segment;

    #[test]
    fn the_unresolved_segment_is_named_not_the_first() {
        let path = ["external", "connections", "x", "groups"];
        assert_eq!(unresolved_segment(&path, false), "groups");
        assert_eq!(unresolved_segment(&["nothing", "here"], false), "nothing");
        assert_eq!(
            unresolved_segment(&["admin", "people", "photos"], true),
            "photos"
        );
        assert_eq!(
            unresolved_segment(&["external", "connections", "x", "quota"], false),
            "quota",
            "quota is beta only"
        );
    }
}
