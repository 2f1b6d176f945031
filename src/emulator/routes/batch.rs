//! `POST /{version}/$batch`: up to 20 inner requests through the same routing, faults and
//! throttling, with `dependsOn` ordering and 424 for dependents of failures (graph-api §9).

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};

use super::{Ctx, GraphRequest, route};
use crate::emulator::errors::{ErrorReply, Reply, ReplyBody, ReplyResult, RequestIds};
use crate::emulator::faults::{Decision, RouteClass};
use crate::emulator::identity;
use crate::emulator::service::Emulator;

const MAX_REQUESTS: usize = 20;

fn malformed(message: impl Into<String>) -> ErrorReply {
    ErrorReply::bad_request("BadRequest", message)
}

struct Inner {
    id: String,
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Bytes,
    depends_on: Vec<String>,
}

fn parse_inner(value: &Value, outer: &GraphRequest) -> ReplyResult<Inner> {
    let object = value
        .as_object()
        .ok_or_else(|| malformed("Each batch request must be a JSON object."))?;
    let id = object
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("Each batch request needs a string 'id'."))?
        .to_owned();
    let method_text = object
        .get("method")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(format!("Batch request '{id}' needs a 'method'.")))?;
    let method = Method::from_bytes(method_text.to_ascii_uppercase().as_bytes())
        .map_err(|_| malformed(format!("Batch request '{id}' has an invalid method.")))?;
    let url = object
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(format!("Batch request '{id}' needs a 'url'.")))?
        .to_owned();

    // The inner request carries the outer credentials, then its own headers.
    let mut headers = HeaderMap::new();
    for name in [
        header::AUTHORIZATION,
        HeaderName::from_static("client-request-id"),
    ] {
        if let Some(value) = outer.headers.get(&name) {
            headers.insert(name, value.clone());
        }
    }
    match object.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let (Ok(name), Some(Ok(value))) = (
                    HeaderName::from_bytes(k.as_bytes()),
                    v.as_str().map(HeaderValue::from_str),
                ) else {
                    return Err(malformed(format!(
                        "Batch request '{id}' has an invalid header '{k}'."
                    )));
                };
                headers.insert(name, value);
            }
        }
        Some(_) => {
            return Err(malformed(format!(
                "Batch request '{id}': headers must be an object."
            )));
        }
    }
    let body = match object.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(body) => {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    // Documented as required with a body; UNCONFIRMED whether the whole batch
                    // or only the inner request fails: chose the whole batch.
                    malformed(format!(
                        "Batch request '{id}' has a body but no Content-Type header."
                    ))
                })?;
            if content_type.to_ascii_lowercase().contains("json") {
                Bytes::from(body.to_string())
            } else {
                // Non-JSON bodies travel base64-encoded.
                let text = body.as_str().unwrap_or_default();
                Bytes::from(
                    STANDARD
                        .decode(text)
                        .unwrap_or_else(|_| text.as_bytes().to_vec()),
                )
            }
        }
    };
    let depends_on = match object.get("dependsOn") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    malformed(format!(
                        "Batch request '{id}': dependsOn must list string ids."
                    ))
                })
            })
            .collect::<ReplyResult<_>>()?,
        Some(_) => {
            return Err(malformed(format!(
                "Batch request '{id}': dependsOn must be an array."
            )));
        }
    };
    Ok(Inner {
        id,
        method,
        url,
        headers,
        body,
        depends_on,
    })
}

/// Execution waves: each request after everything it depends on; cycles are malformed.
fn waves(requests: &[Inner]) -> ReplyResult<Vec<Vec<usize>>> {
    let index: HashMap<String, usize> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.to_lowercase(), i))
        .collect();
    let mut deps = Vec::new();
    for r in requests {
        let mut these = Vec::new();
        for d in &r.depends_on {
            let Some(&i) = index.get(&d.to_lowercase()) else {
                return Err(malformed(format!(
                    "Batch request '{}' depends on '{d}', which is not in the batch.",
                    r.id
                )));
            };
            these.push(i);
        }
        deps.push(these);
    }
    let mut done: HashSet<usize> = HashSet::new();
    let mut out = Vec::new();
    while done.len() < requests.len() {
        let wave: Vec<usize> = (0..requests.len())
            .filter(|i| !done.contains(i) && deps[*i].iter().all(|d| done.contains(d)))
            .collect();
        if wave.is_empty() {
            return Err(malformed(
                "The dependsOn references of the batch form a cycle.",
            ));
        }
        done.extend(&wave);
        out.push(wave);
    }
    Ok(out)
}

fn inner_response(id: &str, reply: &Reply) -> Value {
    let mut headers = Map::new();
    if let Some(content_type) = reply.content_type() {
        headers.insert("Content-Type".into(), json!(content_type));
    }
    for (name, value) in &reply.headers {
        let display = match *name {
            header::RETRY_AFTER => "Retry-After".to_owned(),
            header::LOCATION => "Location".to_owned(),
            header::WWW_AUTHENTICATE => "WWW-Authenticate".to_owned(),
            _ => name.as_str().to_owned(),
        };
        headers.insert(display, json!(value));
    }
    let mut out = json!({"id": id, "status": reply.status.as_u16(), "headers": headers});
    let body = match &reply.body {
        ReplyBody::Empty => None,
        ReplyBody::Json(v) | ReplyBody::PlainJson(v) => Some(v.clone()),
        ReplyBody::Html(t) => Some(json!(t)),
    };
    if let (Some(body), Some(map)) = (body, out.as_object_mut()) {
        map.insert("body".into(), body);
    }
    out
}

fn run_inner(app: &Emulator, outer: &GraphRequest, inner: &Inner) -> Reply {
    let ids = RequestIds::new(
        inner
            .headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok()),
    );
    let relative = inner.url.trim_start_matches('/');
    let (path, query) = match relative.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (relative, None),
    };
    if inner.url.starts_with("http://") || inner.url.starts_with("https://") {
        return malformed(
            "The url of a batch request must be relative to the version root, e.g. /users?$top=1.",
        )
        .to_reply(&ids);
    }
    let full_path = format!("/{}/{path}", outer.version());
    let class = RouteClass::of_path(&full_path);
    let decision = app
        .faults
        .before(inner.method.as_str(), &full_path, class, false)
        .1;
    let reply = match decision {
        Decision::Fail {
            status,
            retry_after_s,
        } => crate::emulator::errors::ErrorReply::injected(status, retry_after_s).to_reply(&ids),
        Decision::Drop | Decision::Proceed | Decision::LoseAnswer => {
            match GraphRequest::new(
                inner.method.clone(),
                &full_path,
                query,
                inner.headers.clone(),
                inner.body.clone(),
            ) {
                Some(request) if request.segments.first().map(String::as_str) == Some("$batch") => {
                    malformed("A batch cannot contain another batch.").to_reply(&ids)
                }
                Some(request) => match identity::authenticate(app, &request.headers) {
                    Ok(principal) => route(&Ctx {
                        app,
                        principal: &principal,
                        req: &request,
                    })
                    .unwrap_or_else(|e| e.to_reply(&ids)),
                    Err(error) => error.to_reply(&ids),
                },
                None => malformed(format!("The url '{}' is not valid.", inner.url)).to_reply(&ids),
            }
        }
    };
    // Inside a batch a lost answer is the gateway timing out after the request was applied.
    let reply = if decision == Decision::LoseAnswer {
        crate::emulator::errors::ErrorReply::injected(504, None).to_reply(&ids)
    } else {
        reply
    };
    app.faults.record(class, reply.status.as_u16());
    reply
}

/// `POST /{version}/$batch`.
pub(crate) fn handle(app: &Emulator, req: &GraphRequest) -> ReplyResult<Reply> {
    if req.method != Method::POST {
        return Err(ErrorReply::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "BadRequest",
            "$batch accepts only POST.",
        ));
    }
    let body = req.json_body()?;
    let requests = body
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            malformed("Invalid batch payload format: expected {\"requests\": [...]}.")
        })?;
    if requests.is_empty() {
        return Err(malformed("A batch must hold at least one request."));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(malformed(format!(
            "A batch holds at most {MAX_REQUESTS} requests, got {}.",
            requests.len()
        )));
    }
    let inner = requests
        .iter()
        .map(|r| parse_inner(r, req))
        .collect::<ReplyResult<Vec<_>>>()?;
    let mut seen = HashSet::new();
    for r in &inner {
        // Ids are unique case-insensitively; a duplicate fails the whole batch.
        if !seen.insert(r.id.to_lowercase()) {
            return Err(malformed(format!(
                "The batch holds more than one request with the id '{}'.",
                r.id
            )));
        }
    }
    let order = waves(&inner)?;

    let mut statuses: HashMap<usize, u16> = HashMap::new();
    let mut responses = Vec::new();
    for wave in order {
        let mut wave_responses = Vec::new();
        for index in wave {
            let request = &inner[index];
            let failed_dependency = request.depends_on.iter().find(|d| {
                inner
                    .iter()
                    .position(|r| r.id.eq_ignore_ascii_case(d))
                    .and_then(|i| statuses.get(&i))
                    .is_some_and(|s| *s >= 400)
            });
            let reply = if let Some(dependency) = failed_dependency {
                ErrorReply::new(
                    StatusCode::FAILED_DEPENDENCY,
                    "FailedDependency",
                    format!("The request depends on '{dependency}', which failed."),
                )
                .to_reply(&RequestIds::new(None))
            } else {
                run_inner(app, req, request)
            };
            statuses.insert(index, reply.status.as_u16());
            wave_responses.push(inner_response(&request.id, &reply));
        }
        // Graph promises no order: answer each wave back to front, so clients correlate by id.
        wave_responses.reverse();
        responses.extend(wave_responses);
    }
    // The outer status stays 200 whatever the inner ones (graph-api §9; the throttling page's
    // 424 contradicts it and is UNCONFIRMED).
    Ok(Reply::json(StatusCode::OK, json!({"responses": responses})))
}
