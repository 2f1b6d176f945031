//! Shared helpers for the emulator contract tests: an in-process emulator on port 0 and a raw
//! reqwest client that trusts its CA.

use std::time::{Duration, Instant};

use peoplectl::emulator::{EmulatorConfig, EmulatorHandle, SeedKind, start};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct Env {
    pub emu: EmulatorHandle,
    pub http: reqwest::Client,
    token: tokio::sync::OnceCell<String>,
}

/// A reply, decoded.
#[derive(Debug)]
pub struct Got {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a Graph error body: status, code, and the innerError members.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(self.body["error"]["code"], code, "body: {}", self.text);
        assert!(self.body["error"]["message"].is_string(), "{}", self.text);
        let inner = &self.body["error"]["innerError"];
        assert!(inner["date"].is_string(), "{}", self.text);
        assert!(inner["request-id"].is_string(), "{}", self.text);
        assert!(inner["client-request-id"].is_string(), "{}", self.text);
    }
}

/// A test config: empty seed, quick provisioning, no ingest limit.
pub fn config() -> EmulatorConfig {
    EmulatorConfig {
        seed: SeedKind::Empty,
        provisioning_delay_ms: 30,
        ingest_rps: None,
        device_code_interval_s: 0,
        ..EmulatorConfig::default()
    }
}

pub async fn env() -> Env {
    env_with(config()).await
}

pub async fn env_with(config: EmulatorConfig) -> Env {
    let emu = start(config).await.expect("emulator starts");
    let ca = reqwest::Certificate::from_pem(emu.ca_cert_pem().as_bytes()).expect("CA parses");
    let http = reqwest::Client::builder()
        .add_root_certificate(ca)
        .no_proxy()
        .build()
        .expect("client builds");
    Env {
        emu,
        http,
        token: tokio::sync::OnceCell::new(),
    }
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.graph_url())
    }

    async fn decode(response: reqwest::Response) -> Got {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body reads");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Got {
            status,
            headers,
            body,
            text,
        }
    }

    /// POSTs a form to the identity endpoints (`/{tenant}/oauth2/v2.0/...`).
    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Got {
        let response = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .await
            .expect("request completes");
        Self::decode(response).await
    }

    /// An app-only token from the token endpoint (client credentials), cached.
    pub async fn token(&self) -> String {
        self.token
            .get_or_init(|| async {
                let got = self
                    .post_form(
                        &format!("/{}/oauth2/v2.0/token", self.emu.tenant_id()),
                        &[
                            ("grant_type", "client_credentials"),
                            ("client_id", self.emu.client_id()),
                            ("client_secret", self.emu.client_secret()),
                            ("scope", "https://graph.microsoft.com/.default"),
                        ],
                    )
                    .await;
                assert_eq!(got.status, StatusCode::OK, "{}", got.text);
                got.body["access_token"].as_str().expect("token").to_owned()
            })
            .await
            .clone()
    }

    /// A Graph call with the app token (and extra headers).
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Got {
        let token = self.token().await;
        self.call_as(&token, method, path, body, headers).await
    }

    /// A Graph call with a given bearer token.
    pub async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Got {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        Self::decode(request.send().await.expect("request completes")).await
    }

    pub async fn get(&self, path: &str) -> Got {
        self.call_with(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Got {
        self.call_with(Method::POST, path, Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Got {
        self.call_with(Method::PATCH, path, Some(body), &[]).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Got {
        self.call_with(Method::PUT, path, Some(body), &[]).await
    }

    pub async fn delete(&self, path: &str) -> Got {
        self.call_with(Method::DELETE, path, None, &[]).await
    }

    /// Creates a connection and returns its id.
    pub async fn create_connection(&self, id: &str, category: Option<&str>) -> Got {
        let mut body = json!({"id": id, "name": format!("{id} name"), "description": "test"});
        if let Some(category) = category {
            body["contentCategory"] = json!(category);
        }
        let got = self.post("/v1.0/external/connections", &body).await;
        assert_eq!(got.status, StatusCode::CREATED, "{}", got.text);
        got
    }

    /// PATCHes a schema and polls its operation to a final status; returns the operation.
    pub async fn register_schema(&self, id: &str, schema: &Value) -> Value {
        let got = self
            .call_with(
                Method::PATCH,
                &format!("/v1.0/external/connections/{id}/schema"),
                Some(schema),
                &[("Prefer", "respond-async")],
            )
            .await;
        assert_eq!(got.status, StatusCode::ACCEPTED, "{}", got.text);
        let location = got.header("location").expect("Location").to_owned();
        self.poll_operation(&location).await
    }

    /// Polls an operation URL until it is no longer `inprogress` (5 s deadline).
    pub async fn poll_operation(&self, location: &str) -> Value {
        let path = location
            .strip_prefix(&self.emu.graph_url())
            .expect("Location names the emulator");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let got = self.get(path).await;
            assert_eq!(got.status, StatusCode::OK, "{}", got.text);
            if got.body["status"] != "inprogress" {
                return got.body;
            }
            assert!(Instant::now() < deadline, "operation still in progress");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// A ready people connection with the documented schema.
    pub async fn ready_people_connection(&self, id: &str) {
        self.create_connection(id, Some("people")).await;
        let op = self.register_schema(id, &people_schema()).await;
        assert_eq!(op["status"], "completed", "{op}");
    }
}

/// The people-connector schema of the docs (graph-api §4.2), plus a date collection.
pub fn people_schema() -> Value {
    json!({"baseType": "microsoft.graph.externalItem", "properties": [
        {"name": "accountInformation", "type": "string", "labels": ["personAccount"]},
        {"name": "position", "type": "string", "labels": ["personCurrentPosition"]},
        {"name": "skills", "type": "stringCollection", "labels": ["personSkills"]},
        {"name": "phones", "type": "stringCollection", "labels": ["personPhones"]},
        {"name": "requisitionId", "type": "string", "isQueryable": "true"},
        {"name": "reviewDates", "type": "dateTimeCollection"},
        {"name": "level", "type": "int64"}
    ]})
}

/// A people item for `upn` with a position.
pub fn people_item(upn: &str, job_title: &str) -> Value {
    json!({
        "acl": [{"type": "everyone", "value": "everyone", "accessType": "grant"}],
        "properties": {
            "accountInformation": json!({"userPrincipalName": upn}).to_string(),
            "position": json!({"detail": {"jobTitle": job_title}}).to_string(),
            "skills@odata.type": "Collection(String)",
            "skills": [json!({"displayName": "Rust"}).to_string()],
            "requisitionId": "REQ-1"
        },
        "content": {"type": "text", "value": format!("Profile of {upn}")}
    })
}
