//! The Graph client's error type: what failed, on which object, Graph's code and request id.

use std::fmt;

use reqwest::StatusCode;
use serde::Deserialize;

/// An error from a Graph call, carrying enough to act on it and to quote it to support.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The request never got an answer (DNS, TLS, connection reset, timeout).
    #[error("{what}: could not reach Microsoft Graph at {host}: {reason}")]
    Transport {
        what: String,
        host: String,
        reason: String,
    },
    /// No token could be obtained.
    #[error("{what}: sign-in failed: {reason}")]
    Auth { what: String, reason: String },
    /// Graph answered 2xx with a body we could not read.
    #[error("{what}: unexpected response from Graph: {reason}")]
    Decode { what: String, reason: String },
    /// A configuration problem found before any request was sent.
    #[error("{0}")]
    Config(String),
}

/// An error answer from Graph, decoded from its OData error body when there is one.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// What we were doing, e.g. "create connection 'contosohr'".
    pub what: String,
    pub status: StatusCode,
    /// Graph's error code (`error.code`), e.g. `InvalidRequest`, `Request_ResourceNotFound`.
    pub code: String,
    pub message: String,
    /// `innerError.code` when present (e.g. `DeserializationError`).
    pub inner_code: Option<String>,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
    /// Seconds from `Retry-After`, when Graph sent one.
    pub retry_after: Option<u64>,
    /// The permission the failed call needs, named when Graph refuses with 403.
    pub permission: Option<&'static str>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: Graph answered {}", self.what, self.status.as_u16())?;
        if !self.code.is_empty() {
            write!(f, " {}", self.code)?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if self.status == StatusCode::FORBIDDEN {
            if let Some(permission) = self.permission {
                write!(
                    f,
                    " (this needs the {permission} permission granted to the app or the signed-in user)"
                )?;
            }
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request-id {id}]")?;
        }
        Ok(())
    }
}

impl GraphError {
    /// The HTTP status Graph answered with, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// Graph's error code, if it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api(e) => Some(e.code.as_str()),
            _ => None,
        }
    }

    /// True when Graph said the object does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// True when Graph said the object already exists.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }

    /// True when the error is throttling that outlived the retry budget.
    pub fn is_throttled(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }
}

/// Graph's OData error body: `{"error":{"code","message","innerError":{...}}}`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default, rename = "innerError", alias = "innererror")]
    inner_error: Option<InnerError>,
}

#[derive(Debug, Deserialize)]
struct InnerError {
    code: Option<String>,
    #[serde(rename = "request-id")]
    request_id: Option<String>,
    #[serde(rename = "client-request-id")]
    client_request_id: Option<String>,
}

/// The parts of a response an error is built from.
pub(crate) struct ErrorParts<'a> {
    pub what: &'a str,
    pub status: StatusCode,
    pub body: &'a [u8],
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
    pub retry_after: Option<u64>,
    pub permission: Option<&'static str>,
}

/// Longest stretch of a non-JSON error body we quote (an HTML page from a proxy, say).
const MAX_QUOTED_BODY: usize = 200;

/// Decodes an error answer. Bodies that are not Graph's JSON (a proxy's HTML page, an empty
/// body) still give a readable error: the status and a short, cleaned excerpt.
pub(crate) fn decode_error(parts: ErrorParts<'_>) -> GraphError {
    let (code, message, inner_code, inner_request_id, inner_client_request_id) =
        match serde_json::from_slice::<ErrorBody>(parts.body) {
            Ok(body) => {
                let inner = body.error.inner_error;
                let (ic, rid, crid) = inner
                    .map(|i| (i.code, i.request_id, i.client_request_id))
                    .unwrap_or_default();
                (body.error.code, body.error.message, ic, rid, crid)
            }
            Err(_) => (String::new(), excerpt(parts.body), None, None, None),
        };
    GraphError::Api(Box::new(ApiError {
        what: parts.what.to_owned(),
        status: parts.status,
        code,
        message,
        inner_code,
        request_id: parts.request_id.or(inner_request_id),
        client_request_id: parts.client_request_id.or(inner_client_request_id),
        retry_after: parts.retry_after,
        permission: parts.permission,
    }))
}

/// A one-line, printable excerpt of a body that is not Graph JSON.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut in_tag = false;
    let mut last_space = true;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            _ if in_tag => {}
            c if c.is_whitespace() || c.is_control() => {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            c => {
                out.push(c);
                last_space = false;
            }
        }
        if out.chars().count() >= MAX_QUOTED_BODY {
            out.push('…');
            break;
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(status: u16, body: &[u8]) -> ErrorParts<'_> {
        ErrorParts {
            what: "get connection 'x'",
            status: StatusCode::from_u16(status).unwrap(),
            body,
            request_id: None,
            client_request_id: None,
            retry_after: None,
            permission: Some("ExternalConnection.Read.All"),
        }
    }

    #[test]
    fn decodes_graph_error_body_with_inner_error() {
        let body = br#"{"error":{"code":"InvalidRequest","message":"bad id","innerError":{"code":"DeserializationError","date":"2025-02-13T10:17:05","request-id":"r-1","client-request-id":"c-1"}}}"#;
        let GraphError::Api(e) = decode_error(parts(400, body)) else {
            panic!("expected an API error");
        };
        assert_eq!(e.code, "InvalidRequest");
        assert_eq!(e.message, "bad id");
        assert_eq!(e.inner_code.as_deref(), Some("DeserializationError"));
        assert_eq!(e.request_id.as_deref(), Some("r-1"));
        assert_eq!(e.client_request_id.as_deref(), Some("c-1"));
    }

    #[test]
    fn html_from_a_proxy_becomes_a_short_readable_message() {
        let body = b"<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1></body></html>";
        let err = decode_error(parts(502, body));
        let text = err.to_string();
        assert!(text.contains("502"), "{text}");
        assert!(text.contains("Bad Gateway"), "{text}");
        assert!(!text.contains('<'), "{text}");
    }

    #[test]
    fn huge_garbage_body_is_truncated() {
        let body = vec![b'x'; 1_000_000];
        let text = decode_error(parts(500, &body)).to_string();
        assert!(text.len() < 400, "{}", text.len());
    }

    #[test]
    fn forbidden_names_the_permission() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges"}}"#;
        let text = decode_error(parts(403, body)).to_string();
        assert!(text.contains("ExternalConnection.Read.All"), "{text}");
        assert!(text.contains("get connection 'x'"), "{text}");
    }
}
