//! The Graph client's error type: what failed, on which object, Graph's code and request id.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::timeouts::human;

/// An error from a Graph call, carrying enough to act on it and to quote it to support.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The request never got an answer (DNS, TLS, connection reset, timeout).
    #[error("{0}")]
    Transport(Box<TransportError>),
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

/// A call that got no answer: what, where, why, and for how long it kept trying.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{what}: could not reach Microsoft Graph at {host}: {request}: {reason} ({tries})")]
pub struct TransportError {
    pub what: String,
    pub host: String,
    /// Method and path, e.g. `GET /v1.0/external/connections` (no query: it may hold names).
    pub request: String,
    pub reason: String,
    pub tries: Tries,
}

/// How long a failed call kept trying, for its error message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tries {
    /// Requests sent (0 when none got out).
    pub count: u32,
    /// From the first try to giving up.
    pub waited: Duration,
    /// The call's deadline, when it is what stopped further tries.
    pub deadline: Option<Duration>,
}

impl fmt::Display for Tries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.count {
            1 => write!(f, "1 try")?,
            n => write!(f, "{n} tries")?,
        }
        write!(f, " in {}", human(self.waited))?;
        if let Some(deadline) = self.deadline {
            write!(
                f,
                "; the {} deadline of this call (--deadline) left no time for another",
                human(deadline)
            )?;
        }
        Ok(())
    }
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
    /// How long the call kept trying (said when it retried or the deadline stopped it).
    pub tries: Tries,
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
        if self.tries.count > 1 || self.tries.deadline.is_some() {
            write!(f, " ({})", self.tries)?;
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

    /// Records how long the call kept trying, for the message.
    pub(crate) fn set_tries(&mut self, tries: Tries) {
        match self {
            Self::Api(api) => api.tries = tries,
            Self::Transport(t) => t.tries = tries,
            Self::Auth { .. } | Self::Decode { .. } | Self::Config(_) => {}
        }
    }
}

/// The parts of a response an error is built from.
pub(crate) struct ErrorParts<'a> {
    pub what: &'a str,
    pub status: StatusCode,
    pub body: &'a [u8],
    /// The `Content-Type` header, to say what came instead of JSON.
    pub content_type: Option<&'a str>,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
    pub retry_after: Option<u64>,
    pub permission: Option<&'static str>,
}

/// Longest stretch of a non-JSON error body we quote (an HTML page from a proxy, say).
const MAX_QUOTED_BODY: usize = 200;
/// Longest Graph error message kept; Graph's are a sentence or two.
const MAX_MESSAGE: usize = 1000;
/// Longest error code kept; Graph's are one identifier.
const MAX_CODE: usize = 100;
/// How much of a non-JSON body is looked at for an excerpt.
const SCANNED_BODY: usize = 16 * 1024;

/// What an error body says.
#[derive(Debug, Default)]
struct Decoded {
    code: String,
    message: String,
    inner_code: Option<String>,
    request_id: Option<String>,
    client_request_id: Option<String>,
}

/// Decodes an error answer. Bodies that are not Graph's JSON (a proxy's HTML page, an empty
/// body, another service's JSON) still give a readable error: the status, what came instead,
/// and a short, cleaned excerpt.
pub(crate) fn decode_error(parts: ErrorParts<'_>) -> GraphError {
    let decoded = decode_body(parts.body, parts.content_type);
    GraphError::Api(Box::new(ApiError {
        what: parts.what.to_owned(),
        status: parts.status,
        code: decoded.code,
        message: decoded.message,
        inner_code: decoded.inner_code,
        request_id: parts.request_id.or(decoded.request_id),
        client_request_id: parts.client_request_id.or(decoded.client_request_id),
        retry_after: parts.retry_after,
        permission: parts.permission,
        tries: Tries::default(),
    }))
}

fn decode_body(body: &[u8], content_type: Option<&str>) -> Decoded {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Decoded {
            message: "the answer has no body".into(),
            ..Decoded::default()
        };
    }
    // Error bodies are read only so far (the client cuts them at 64 KiB); a cut one is not
    // JSON any more, and is quoted like any other text.
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return Decoded {
            message: not_json(body, content_type),
            ..Decoded::default()
        };
    };
    let top = json.as_object();
    match top.and_then(|t| t.get("error")) {
        // Graph's OData form: {"error":{"code","message","innerError":{...}}}.
        Some(Value::Object(error)) => {
            let inner = error
                .get("innerError")
                .or_else(|| error.get("innererror"))
                .and_then(Value::as_object);
            let inner_text = |key: &str| {
                inner
                    .and_then(|i| i.get(key))
                    .map(|v| clean(&scalar(v), MAX_CODE))
                    .filter(|s| !s.is_empty())
            };
            Decoded {
                code: clean(&error.get("code").map(scalar).unwrap_or_default(), MAX_CODE),
                message: clean(
                    &error.get("message").map(scalar).unwrap_or_default(),
                    MAX_MESSAGE,
                ),
                inner_code: inner_text("code"),
                request_id: inner_text("request-id"),
                client_request_id: inner_text("client-request-id"),
            }
        }
        // OAuth's form, which a token endpoint or gateway may send: {"error":"invalid_token",
        // "error_description":"..."}.
        Some(Value::String(code)) => Decoded {
            code: clean(code, MAX_CODE),
            message: clean(
                &top.and_then(|t| t.get("error_description").or_else(|| t.get("message")))
                    .map(scalar)
                    .unwrap_or_default(),
                MAX_MESSAGE,
            ),
            ..Decoded::default()
        },
        // Some gateways answer {"statusCode":502,"message":"..."} or {"code":..,"message":..}.
        _ if top.is_some_and(|t| t.get("message").is_some_and(Value::is_string)) => Decoded {
            code: clean(
                &top.and_then(|t| t.get("code"))
                    .map(scalar)
                    .unwrap_or_default(),
                MAX_CODE,
            ),
            message: clean(
                &top.and_then(|t| t.get("message"))
                    .map(scalar)
                    .unwrap_or_default(),
                MAX_MESSAGE,
            ),
            ..Decoded::default()
        },
        _ => Decoded {
            message: format!(
                "the answer is JSON but not Graph's error format: {}",
                excerpt(body)
            ),
            ..Decoded::default()
        },
    }
}

/// What to say about a body that is not JSON at all (an error answer, or a 2xx one that a
/// proxy or captive portal replaced).
pub(crate) fn not_json(body: &[u8], content_type: Option<&str>) -> String {
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| clean(c.trim(), MAX_CODE))
        .filter(|c| !c.is_empty());
    let head = match media.as_deref() {
        Some(m) if m.eq_ignore_ascii_case("text/html") => {
            "the answer is an HTML page, not JSON (from a proxy or gateway?)".to_owned()
        }
        Some(m) => format!("the answer is not JSON ({m})"),
        None => "the answer is not JSON".to_owned(),
    };
    let quote = excerpt(body);
    if quote.is_empty() {
        head
    } else {
        format!("{head}: {quote}")
    }
}

/// A JSON value as text: strings as they are, other scalars printed, null as nothing.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Array(_) | Value::Object(_) => {
            let text = value.to_string();
            text.chars().take(MAX_MESSAGE + 1).collect()
        }
    }
}

/// Text from the other side, on one line and bounded: blanks collapse to one space, it is cut
/// at `max` characters (a size bound, so combining marks count too), and what is left goes
/// through the one sanitiser, `crate::text::shown`, so controls show inertly wherever it goes.
fn clean(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut last_space = true;
    for c in text.chars() {
        if count >= max {
            out.push('…');
            break;
        }
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                count += 1;
                last_space = true;
            }
        } else {
            out.push(c);
            count += 1;
            last_space = false;
        }
    }
    crate::text::shown(out.trim_end()).into_owned()
}

/// A one-line, printable excerpt of a body that is not Graph JSON: tags, scripts and styles
/// dropped, blanks collapsed, at most [`MAX_QUOTED_BODY`] characters.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(SCANNED_BODY)]);
    let mut plain = String::new();
    let mut rest: &str = &text;
    while let Some(open) = rest.find('<') {
        plain.push_str(&rest[..open]);
        plain.push(' ');
        let tag = &rest[open..];
        let lower: String = tag.chars().take(8).collect::<String>().to_ascii_lowercase();
        // A script or style holds code, not words: skip to its closing tag.
        let skip_to = ["script", "style"].iter().find_map(|name| {
            lower[1..].starts_with(name).then(|| {
                let close = format!("</{name}");
                tag.to_ascii_lowercase().find(&close)
            })
        });
        let after = match skip_to {
            Some(Some(close)) => &tag[close..],
            Some(None) => "",
            None => tag,
        };
        rest = match after.find('>') {
            Some(end) => &after[end + 1..],
            None => "",
        };
    }
    plain.push_str(rest);
    let mut out = clean(&plain, MAX_QUOTED_BODY);
    if out.ends_with('…') {
        return out;
    }
    if body.len() > SCANNED_BODY {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(status: u16, body: &[u8]) -> ErrorParts<'_> {
        ErrorParts {
            what: "get connection 'x'",
            status: StatusCode::from_u16(status).unwrap(),
            body,
            content_type: None,
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

    #[test]
    fn excerpts_skip_scripts_styles_and_unclosed_tags() {
        let body = b"<style>p{}</style><p>Hello</p><SCRIPT>alert('<x>')</SCRIPT> world <b";
        assert_eq!(excerpt(body), "Hello world");
        assert_eq!(excerpt(b"<script>never closed"), "");
        // An escape is shown inertly, as everywhere (crate::text), not dropped.
        assert_eq!(excerpt("<p>é</p>\u{1b}[2J".as_bytes()), "é ␛[2J");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn any_status() -> impl Strategy<Value = StatusCode> {
            (100u16..1000).prop_map(|s| StatusCode::from_u16(s).unwrap())
        }

        /// Bytes near JSON and HTML, with anything else mixed in.
        fn body() -> impl Strategy<Value = Vec<u8>> {
            let token = prop_oneof![
                4 => prop::sample::select(vec![
                    "{", "}", "[", "]", "\"error\"", "\"code\"", "\"message\"", ":", ",",
                    "\"x\"", "null", "1", "<", ">", "<script>", "</script>", "<p>", " ", "\n",
                    "\u{1b}", "é", "\"innerError\"",
                ]).prop_map(|t| t.as_bytes().to_vec()),
                1 => prop::collection::vec(any::<u8>(), 0..8),
            ];
            prop::collection::vec(token, 0..60).prop_map(|parts| parts.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            #[test]
            fn any_answer_decodes_to_a_short_printable_error(
                status in any_status(),
                body in body(),
                content_type in prop::option::of("[ -~]{0,40}"),
            ) {
                let error = decode_error(ErrorParts {
                    status,
                    content_type: content_type.as_deref(),
                    ..parts(403, &body)
                });
                let GraphError::Api(api) = &error else {
                    panic!("expected an API error");
                };
                let text = error.to_string();
                prop_assert!(!text.chars().any(char::is_control), "{:?}", text);
                prop_assert!(text.chars().count() < MAX_CODE + MAX_MESSAGE + 300, "{}", text.len());
                prop_assert!(api.code.chars().count() <= MAX_CODE + 1);
            }

            #[test]
            fn graph_error_bodies_decode_code_and_message(
                code in "[A-Za-z_.]{1,40}",
                message in "[\\PC\t\n]{0,120}",
                inner in prop::option::of("[A-Za-z]{1,20}"),
                status in any_status(),
            ) {
                let mut error = serde_json::json!({"code": code, "message": message});
                if let Some(inner) = &inner {
                    error["innerError"] = serde_json::json!({"code": inner, "request-id": "r"});
                }
                let body = serde_json::to_vec(&serde_json::json!({"error": error})).unwrap();
                let GraphError::Api(api) = decode_error(ErrorParts { status, ..parts(400, &body) }) else {
                    panic!("expected an API error");
                };
                prop_assert_eq!(&api.code, &code);
                let words: Vec<&str> = message.split(|c: char| c.is_whitespace() || c.is_control())
                    .filter(|w| !w.is_empty())
                    .collect();
                prop_assert_eq!(api.message, words.join(" "));
                prop_assert_eq!(&api.inner_code, &inner);
                prop_assert_eq!(api.request_id.as_deref(), Some("r").filter(|_| inner.is_some()));
                prop_assert_eq!(api.status, status);
            }
        }
    }
}
