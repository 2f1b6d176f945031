//! Graph request routing: authentication, then one handler per resource group.

pub(crate) mod batch;
pub(crate) mod connections;
pub(crate) mod contrib;
pub(crate) mod items;
pub(crate) mod profile;
pub(crate) mod schema;
pub(crate) mod settings;
pub(crate) mod sources;
pub(crate) mod users;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::app::App;
use super::errors::{ErrorReply, Reply, ReplyResult, RequestIds};
use super::identity::{self, Principal};
use super::odata::{self, Query};

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
    pub app: &'a App,
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
pub(crate) fn dispatch(app: &App, ids: &RequestIds, req: &GraphRequest) -> Reply {
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
        [first, ..] => Err(ErrorReply::bad_request(
            "BadRequest",
            format!("Resource not found for the segment '{first}'."),
        )),
        [] => Err(ErrorReply::bad_request(
            "BadRequest",
            "Invalid request: the path names no resource.",
        )),
    }
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
