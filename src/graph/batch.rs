//! JSON batching (`POST /$batch`): splits into twenties, resubmits throttled inner requests.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::client::{ApiVersion, Call, GraphClient};
use super::error::GraphError;
use super::retry::parse_retry_after;

/// Graph's limit on requests per batch.
pub const MAX_BATCH: usize = 20;

/// One inner request.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BatchRequest {
    pub id: String,
    pub method: String,
    /// Relative to the version root, e.g. `/users?$select=id`.
    pub url: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

impl BatchRequest {
    /// An inner request from a [`Call`] (its path and query; the body, if any, as JSON).
    pub fn from_call(id: impl Into<String>, call: &Call) -> Self {
        let mut url = call.path.clone();
        if !call.query.is_empty() {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(call.query.iter())
                .finish();
            url.push('?');
            url.push_str(&query);
        }
        let body = call
            .body
            .as_ref()
            .and_then(|b| serde_json::from_slice(b).ok());
        let mut headers = BTreeMap::new();
        if body.is_some() {
            headers.insert("Content-Type".to_owned(), "application/json".to_owned());
        }
        for (name, value) in &call.headers {
            headers.insert(name.as_str().to_owned(), value.clone());
        }
        Self {
            id: id.into(),
            method: call.method.as_str().to_owned(),
            url,
            headers,
            body,
        }
    }
}

/// One inner answer.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct BatchResponse {
    pub id: String,
    pub status: u16,
    #[serde(default)]
    pub headers: HashMap<String, String>,
    #[serde(default)]
    pub body: Option<serde_json::Value>,
}

impl BatchResponse {
    /// True for a 2xx inner status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn retry_after(&self) -> Option<Duration> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
            .and_then(|(_, v)| parse_retry_after(v))
    }
}

#[derive(Serialize)]
struct BatchBody<'a> {
    requests: &'a [BatchRequest],
}

#[derive(Deserialize)]
struct BatchAnswer {
    responses: Vec<BatchResponse>,
}

/// Rounds of resubmitting throttled or failed inner requests before giving their answer back.
const MAX_ROUNDS: u32 = 6;
/// Longest wait between rounds, whatever the inner Retry-After says.
const MAX_WAIT: Duration = Duration::from_secs(60);

impl GraphClient {
    /// Runs inner requests in batches of twenty and answers in the order given. Inner 429s and
    /// 502/503/504s are resent in a later batch after the longest Retry-After (1 s without one). Requests must not use `dependsOn`
    /// across a split, so ids are only correlated within this call.
    pub async fn batch(
        &self,
        version: ApiVersion,
        requests: Vec<BatchRequest>,
    ) -> Result<Vec<BatchResponse>, GraphError> {
        let order: Vec<String> = requests.iter().map(|r| r.id.clone()).collect();
        let mut done: HashMap<String, BatchResponse> = HashMap::with_capacity(requests.len());
        let mut pending = requests;
        let mut round = 0;
        while !pending.is_empty() {
            let mut throttled = Vec::new();
            let mut wait = Duration::ZERO;
            for chunk in pending.chunks(MAX_BATCH) {
                let answers = self.send_batch(version, chunk).await?;
                for answer in answers {
                    // Throttled, or a passing server error: the inner requests are reads or
                    // idempotent writes, so resending them is safe.
                    let retry = matches!(
                        StatusCode::from_u16(answer.status),
                        Ok(StatusCode::TOO_MANY_REQUESTS
                            | StatusCode::BAD_GATEWAY
                            | StatusCode::SERVICE_UNAVAILABLE
                            | StatusCode::GATEWAY_TIMEOUT)
                    ) && round < MAX_ROUNDS;
                    if retry {
                        wait = wait.max(answer.retry_after().unwrap_or(Duration::from_secs(1)));
                        if let Some(req) = chunk.iter().find(|r| r.id == answer.id) {
                            throttled.push(req.clone());
                        }
                    } else {
                        done.insert(answer.id.clone(), answer);
                    }
                }
            }
            pending = throttled;
            if !pending.is_empty() {
                round += 1;
                tracing::debug!(
                    count = pending.len(),
                    round,
                    "resubmitting throttled batch requests"
                );
                tokio::time::sleep(wait.min(MAX_WAIT)).await;
            }
        }
        order
            .into_iter()
            .map(|id| {
                done.remove(&id).ok_or_else(|| GraphError::Decode {
                    what: "batch".into(),
                    reason: format!("no answer for request '{id}'"),
                })
            })
            .collect()
    }

    async fn send_batch(
        &self,
        version: ApiVersion,
        chunk: &[BatchRequest],
    ) -> Result<Vec<BatchResponse>, GraphError> {
        // The outer request is resent whole on 429/5xx by the client; inner requests here are
        // reads or idempotent writes, which is what peoplectl batches.
        let call = Call::new(
            format!("batch of {} requests", chunk.len()),
            Method::POST,
            version,
            "/$batch",
        )
        .json(&BatchBody { requests: chunk })
        .idempotent(true);
        let answer: BatchAnswer = self.send_json(&call).await?;
        Ok(answer.responses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_request_from_a_call_keeps_path_query_and_body() {
        let call = GraphClient::user_by_upn_call("o'brien@contoso.com");
        let req = BatchRequest::from_call("1", &call);
        assert_eq!(req.method, "GET");
        assert!(req.url.starts_with("/users?"), "{}", req.url);
        assert!(
            req.url
                .contains("userPrincipalName+eq+%27o%27%27brien%40contoso.com%27"),
            "{}",
            req.url
        );
        assert!(req.body.is_none());
        assert!(req.headers.is_empty());

        let call =
            Call::new("x", Method::PATCH, ApiVersion::V1, "/a").json(&serde_json::json!({"k": 1}));
        let req = BatchRequest::from_call("2", &call);
        assert_eq!(req.body, Some(serde_json::json!({"k": 1})));
        assert_eq!(
            req.headers.get("Content-Type").map(String::as_str),
            Some("application/json")
        );
    }
}
