//! Emulator start-up errors, and the replies and Graph error bodies the emulator serves.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

/// Why the emulator could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The CA or server certificate could not be generated.
    #[error("could not generate the emulator's TLS certificate: {0}")]
    Certificate(String),
    /// A certificate given as an app credential could not be used.
    #[error("app certificate: {0}")]
    AppCertificate(String),
    /// The listening socket could not be opened.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A certificate file could not be written.
    #[error("could not write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A seed file does not follow the format in assets/demo/README.md.
    #[error("invalid demo seed file {file}: {message}")]
    Seed {
        /// The seed file at fault.
        file: String,
        /// What is wrong with it.
        message: String,
    },
    /// A configuration value is out of range.
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// The server failed while running.
    #[error("the emulator stopped with an error: {0}")]
    Serve(#[source] std::io::Error),
}

/// The correlation ids every response carries.
#[derive(Debug, Clone)]
pub(crate) struct RequestIds {
    pub request_id: String,
    pub client_request_id: String,
}

impl RequestIds {
    /// A fresh request id; echoes the caller's client-request-id, or reuses the request id as Graph does.
    pub fn new(client_request_id: Option<&str>) -> Self {
        let request_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = client_request_id
            .filter(|value| !value.is_empty())
            .map_or_else(|| request_id.clone(), str::to_owned);
        Self {
            request_id,
            client_request_id,
        }
    }
}

/// Graph's JSON content type, as real responses spell it.
pub(crate) const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// A reply before it becomes an HTTP response (or a `$batch` inner response).
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, String)>,
    pub body: ReplyBody,
}

/// The body of a [`Reply`].
#[derive(Debug, Clone)]
pub(crate) enum ReplyBody {
    Empty,
    /// JSON with Graph's OData content type.
    Json(Value),
    /// JSON with plain `application/json` (error bodies, OAuth).
    PlainJson(Value),
    Html(String),
}

impl Reply {
    pub fn json(status: StatusCode, value: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ReplyBody::Json(value),
        }
    }

    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ReplyBody::Empty,
        }
    }

    pub fn html(status: StatusCode, page: String) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ReplyBody::Html(page),
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The content type the body is served with, if any.
    pub fn content_type(&self) -> Option<&'static str> {
        match self.body {
            ReplyBody::Empty => None,
            ReplyBody::Json(_) => Some(ODATA_JSON),
            ReplyBody::PlainJson(_) => Some("application/json; charset=utf-8"),
            ReplyBody::Html(_) => Some("text/html; charset=utf-8"),
        }
    }

    pub fn into_response(self) -> Response {
        let content_type = self.content_type();
        let body = match self.body {
            ReplyBody::Empty => Body::empty(),
            ReplyBody::Json(value) | ReplyBody::PlainJson(value) => Body::from(value.to_string()),
            ReplyBody::Html(text) => Body::from(text),
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        if let Some(content_type) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(name, value);
            }
        }
        response
    }
}

/// The emulator's error reply (not the client's `graph::GraphError`): rendered as Graph's
/// `{"error":{"code","message","innerError":{...}}}`.
#[derive(Debug, Clone)]
pub(crate) struct ErrorReply {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Extra `innerError` members (e.g. an inner `code`), besides date and the request ids.
    pub inner: Map<String, Value>,
    pub headers: Vec<(HeaderName, String)>,
}

/// What a handler returns: its reply, or the error reply Graph would send.
pub(crate) type ReplyResult<T> = Result<T, ErrorReply>;

impl ErrorReply {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            inner: Map::new(),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn inner(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.inner.insert(key.to_owned(), value.into());
        self
    }

    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The documented 429 (graph-api §10.1), with `Retry-After` in seconds.
    pub fn throttled(retry_after_s: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Please retry again later.",
        )
        .inner("code", "429")
        .inner("message", "Please retry after")
        .inner("status", "429")
        .header(header::RETRY_AFTER, retry_after_s.max(1).to_string())
    }

    /// A bare status failure of the given code (fault injection, unknown routes).
    pub fn for_status(status: StatusCode) -> Self {
        let (code, message) = match status.as_u16() {
            400 => ("BadRequest", "The request is malformed or incorrect."),
            401 => (
                "InvalidAuthenticationToken",
                "Access token validation failure.",
            ),
            403 => ("accessDenied", "Access is denied."),
            404 => ("itemNotFound", "The resource could not be found."),
            409 => ("Conflict", "The request conflicts with the current state."),
            429 => return Self::throttled(1),
            500 => ("generalException", "An unspecified error has occurred."),
            502 => ("UnknownError", "Bad Gateway"),
            503 => (
                "serviceNotAvailable",
                "The service is temporarily unavailable. Please retry later.",
            ),
            504 => (
                "UnknownError",
                "The gateway timed out waiting for the service.",
            ),
            _ => ("UnknownError", "The request failed."),
        };
        Self::new(status, code, message)
    }

    /// The error of an injected failure: `Retry-After` when asked for; a 429 without one
    /// when not (Graph sends these too, and clients must back off alone).
    pub fn injected(status: u16, retry_after_s: Option<u64>) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let mut error = Self::for_status(status);
        match retry_after_s {
            Some(secs) if status == StatusCode::TOO_MANY_REQUESTS => Self::throttled(secs),
            Some(secs) => error.header(header::RETRY_AFTER, secs.max(1).to_string()),
            None => {
                error
                    .headers
                    .retain(|(name, _)| name != header::RETRY_AFTER);
                error
            }
        }
    }

    pub fn to_reply(&self, ids: &RequestIds) -> Reply {
        let mut inner = self.inner.clone();
        inner.insert(
            "date".into(),
            Value::String(graph_date(OffsetDateTime::now_utc())),
        );
        inner.insert("request-id".into(), Value::String(ids.request_id.clone()));
        inner.insert(
            "client-request-id".into(),
            Value::String(ids.client_request_id.clone()),
        );
        let body =
            json!({"error": {"code": self.code, "message": self.message, "innerError": inner}});
        Reply {
            status: self.status,
            headers: self.headers.clone(),
            body: ReplyBody::PlainJson(body),
        }
    }
}

/// The `innerError.date` format Graph uses: seconds precision, no zone suffix.
pub(crate) fn graph_date(at: OffsetDateTime) -> String {
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]"
    ))
    .unwrap_or_default()
}

/// An ISO 8601 UTC timestamp with a `Z` suffix, as Graph's DateTimeOffset values read.
pub(crate) fn iso_time(at: OffsetDateTime) -> String {
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_default()
}
