//! Emulator contract: throttling and fault injection, `$batch`, common headers, unknown
//! routes, counters, and the environment it hands to clients (graph-api §9, §10, §0).

use crate::support::raw;

use std::time::{Duration, Instant};

use peoplectl::emulator::{FaultRule, RouteClass};
use raw::{config, env, env_with, people_item};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn item_path(n: usize) -> String {
    format!("/v1.0/external/connections/contosohr/items/item{n}")
}

#[tokio::test]
async fn ingest_throttling_429_with_retry_after() {
    let mut config = config();
    config.ingest_rps = Some(5.0);
    let env = env_with(config).await;
    env.ready_people_connection("contosohr").await;
    let item = people_item("admin@contoso.com", "Admin");
    let mut throttled = None;
    for n in 0..20 {
        let got = env.put(&item_path(n), &item).await;
        if got.status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some((n, got));
            break;
        }
        assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    }
    let (n, got) = throttled.expect("a write beyond the burst is throttled");
    assert!(
        n >= 5,
        "the burst holds one second's worth of writes, got {n}"
    );
    got.assert_error(429, "TooManyRequests");
    assert_eq!(got.body["error"]["message"], "Please retry again later.");
    assert_eq!(got.body["error"]["innerError"]["code"], "429");
    assert_eq!(got.body["error"]["innerError"]["status"], "429");
    let retry: u64 = got.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1);
    // Reads are not throttled; the counters saw it.
    assert_eq!(env.get(&item_path(0)).await.status, StatusCode::OK);
    let counters = env.emu.inspect().counters();
    assert_eq!(counters.class(RouteClass::Items).throttled, 1);
    assert!(counters.class(RouteClass::Items).requests >= 6);

    // Per-connection override: unlimited for this connection.
    env.emu
        .faults()
        .set_connection_ingest_rps("contosohr", None);
    for n in 100..130 {
        assert_eq!(env.put(&item_path(n), &item).await.status, StatusCode::OK);
    }
    // And back to a tight limit globally.
    env.emu.faults().clear_connection_ingest_rps("contosohr");
    env.emu.faults().set_ingest_rps(Some(1.0));
    assert_eq!(env.put(&item_path(200), &item).await.status, StatusCode::OK);
    assert_eq!(
        env.put(&item_path(201), &item).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn scripted_faults_hit_the_next_matching_requests() {
    let env = env().await;
    let faults = env.emu.faults();
    faults.fail_next("GET", "/v1.0/users*", 2, 503);
    let first = env.get("/v1.0/users").await;
    first.assert_error(503, "serviceNotAvailable");
    // Other methods and paths are untouched.
    assert_eq!(
        env.get("/v1.0/external/connections").await.status,
        StatusCode::OK
    );
    env.get("/v1.0/users?$top=1")
        .await
        .assert_error(503, "serviceNotAvailable");
    assert_eq!(env.get("/v1.0/users").await.status, StatusCode::OK);
    assert_eq!(faults.pending_rules(), 0);

    faults.add_rule(
        FaultRule::new("POST", "/v1.0/external/connections")
            .status(429)
            .retry_after(7),
    );
    let got = env
        .post(
            "/v1.0/external/connections",
            &json!({"id": "abc", "name": "a", "description": "d"}),
        )
        .await;
    got.assert_error(429, "TooManyRequests");
    assert_eq!(got.header("retry-after"), Some("7"));
    assert!(
        env.emu.inspect().connections().is_empty(),
        "a failed request changes nothing"
    );

    // A dropped connection: no response at all.
    faults.drop_next("GET", "/v1.0/users/*", 1);
    let token = env.token().await;
    let result = env
        .http
        .get(env.url("/v1.0/users/admin@contoso.com"))
        .bearer_auth(&token)
        .send()
        .await;
    assert!(
        result.is_err(),
        "expected a transport error, got {result:?}"
    );
    assert_eq!(
        env.emu
            .inspect()
            .counters()
            .class(RouteClass::Users)
            .dropped,
        1
    );
    assert_eq!(
        env.get("/v1.0/users/admin@contoso.com").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn random_faults_and_latency() {
    let env = env().await;
    let token = env.token().await;
    env.emu.faults().set_fault_rate(1.0);
    for _ in 0..10 {
        let got = env
            .call_as(&token, Method::GET, "/v1.0/users", None, &[])
            .await;
        assert!(
            got.status == StatusCode::SERVICE_UNAVAILABLE
                || got.status == StatusCode::GATEWAY_TIMEOUT,
            "{}",
            got.status
        );
        assert!(got.body["error"]["code"].is_string());
    }
    assert_eq!(
        env.emu
            .inspect()
            .counters()
            .class(RouteClass::Users)
            .server_errors,
        10
    );
    env.emu.faults().set_fault_rate(0.0);
    env.emu.faults().set_latency_ms(150);
    let started = Instant::now();
    assert_eq!(env.get("/v1.0/users").await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(150));
    env.emu.faults().clear();
    env.emu.faults().reset_counters();
    assert_eq!(env.emu.inspect().counters().total().requests, 0);
}

#[tokio::test]
async fn every_response_carries_request_ids() {
    let env = env().await;
    let got = env
        .call_with(
            Method::GET,
            "/v1.0/users",
            None,
            &[("client-request-id", "abc-123")],
        )
        .await;
    assert_eq!(got.header("client-request-id"), Some("abc-123"));
    let request_id = got.header("request-id").unwrap();
    assert_eq!(request_id.len(), 36);
    assert!(
        got.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    // Without a client id, Graph echoes the request id.
    let got = env.get("/v1.0/users").await;
    assert_eq!(got.header("client-request-id"), got.header("request-id"));
    // Token endpoint too.
    let token = env
        .post_form(
            &format!("/{}/oauth2/v2.0/token", env.emu.tenant_id()),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert!(token.header("request-id").is_some());
}

#[tokio::test]
async fn unknown_routes_get_graph_errors() {
    let env = env().await;
    let got = env.get("/v1.0/nothing/here").await;
    got.assert_error(400, "BadRequest");
    assert_eq!(
        got.body["error"]["message"],
        "Resource not found for the segment 'nothing'."
    );
    env.get("/v2.0/users").await.assert_error(400, "BadRequest");
    // The profile API does not exist on v1.0.
    env.get("/v1.0/users/admin@contoso.com/profile")
        .await
        .assert_error(400, "BadRequest");
    // Listing items is not an operation.
    let got = env.get("/v1.0/external/connections/abc/items").await;
    assert_eq!(got.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn batch_runs_inner_requests() {
    let env = env().await;
    let batch = json!({"requests": [
        {"id": "1", "method": "POST", "url": "/external/connections",
         "headers": {"Content-Type": "application/json"},
         "body": {"id": "contosohr", "name": "HR", "description": "d", "contentCategory": "people"}},
        {"id": "2", "method": "GET", "url": "/external/connections/contosohr", "dependsOn": ["1"]},
        {"id": "3", "method": "GET", "url": "/users?$select=id&$top=1"},
        {"id": "4", "method": "GET", "url": "users/nobody@contoso.com"}
    ]});
    let got = env.post("/v1.0/$batch", &batch).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    let responses = got.body["responses"].as_array().unwrap();
    assert_eq!(responses.len(), 4);
    let by_id = |id: &str| responses.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(by_id("1")["status"], 201);
    assert_eq!(by_id("1")["body"]["state"], "draft");
    assert_eq!(by_id("2")["status"], 200);
    assert_eq!(by_id("2")["body"]["id"], "contosohr");
    assert_eq!(by_id("3")["body"]["value"].as_array().unwrap().len(), 1);
    assert!(
        by_id("3")["headers"]["Content-Type"]
            .as_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(by_id("4")["status"], 404);
    assert_eq!(
        by_id("4")["body"]["error"]["code"],
        "Request_ResourceNotFound"
    );
    let ids: Vec<&str> = responses
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_ne!(
        ids,
        vec!["1", "2", "3", "4"],
        "clients must correlate by id"
    );
    let counters = env.emu.inspect().counters();
    assert_eq!(counters.class(RouteClass::Batch).requests, 1);
    assert_eq!(counters.class(RouteClass::Connections).requests, 2);
}

#[tokio::test]
async fn batch_dependencies_fail_with_424() {
    let env = env().await;
    let batch = json!({"requests": [
        {"id": "a", "method": "GET", "url": "/external/connections/missing"},
        {"id": "b", "method": "GET", "url": "/users", "dependsOn": ["a"]},
        {"id": "c", "method": "GET", "url": "/users?$top=1", "dependsOn": ["b"]},
        {"id": "d", "method": "GET", "url": "/users?$top=1"}
    ]});
    let got = env.post("/beta/$batch", &batch).await;
    assert_eq!(got.status, StatusCode::OK);
    let status = |id: &str| {
        got.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("a"), 404);
    assert_eq!(status("b"), 424);
    assert_eq!(status("c"), 424);
    assert_eq!(status("d"), 200);
}

#[tokio::test]
async fn batch_inner_throttling_keeps_outer_200() {
    let mut config = config();
    config.ingest_rps = Some(1.0);
    let env = env_with(config).await;
    env.ready_people_connection("contosohr").await;
    let requests: Vec<Value> = (0..3)
        .map(|n| {
            json!({"id": n.to_string(), "method": "PUT",
                   "url": format!("/external/connections/contosohr/items/b{n}"),
                   "headers": {"Content-Type": "application/json"},
                   "body": people_item("admin@contoso.com", "Admin")})
        })
        .collect();
    let got = env
        .post("/v1.0/$batch", &json!({"requests": requests}))
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    let responses = got.body["responses"].as_array().unwrap();
    let throttled: Vec<&Value> = responses.iter().filter(|r| r["status"] == 429).collect();
    assert_eq!(throttled.len(), 2, "{}", got.text);
    assert!(
        throttled[0]["headers"]["Retry-After"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(throttled[0]["body"]["error"]["code"], "TooManyRequests");
    assert_eq!(responses.iter().filter(|r| r["status"] == 200).count(), 1);
    assert_eq!(env.emu.inspect().item_count("contosohr"), 1);
}

#[tokio::test]
async fn malformed_batches_are_400() {
    let env = env().await;
    let get = |id: &str| json!({"id": id, "method": "GET", "url": "/users"});
    let too_many: Vec<Value> = (0..21).map(|n| get(&n.to_string())).collect();
    env.post("/v1.0/$batch", &json!({"requests": too_many}))
        .await
        .assert_error(400, "BadRequest");
    let twenty: Vec<Value> = (0..20).map(|n| get(&n.to_string())).collect();
    assert_eq!(
        env.post("/v1.0/$batch", &json!({"requests": twenty}))
            .await
            .status,
        StatusCode::OK
    );
    for bad in [
        json!({"requests": [get("x"), get("X")]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["9"]}]}),
        json!({"requests": [
            {"id": "1", "method": "GET", "url": "/users", "dependsOn": ["2"]},
            {"id": "2", "method": "GET", "url": "/users", "dependsOn": ["1"]}]}),
        json!({"requests": [{"id": "1", "method": "POST", "url": "/external/connections", "body": {}}]}),
        json!({"requests": []}),
        json!({"nope": []}),
    ] {
        env.post("/v1.0/$batch", &bad)
            .await
            .assert_error(400, "BadRequest");
    }
    // Inner requests carry the outer credentials: without them, every inner one is a 401.
    let got = env
        .http
        .post(env.url("/v1.0/$batch"))
        .json(&json!({"requests": [get("1")]}))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn env_lines_eval_in_a_posix_shell_and_cert_dir() {
    let dir = std::env::temp_dir().join(format!("peoplectl-emu-test-{}", std::process::id()));
    let mut config = config();
    config.cert_dir = Some(dir.clone());
    let env = env_with(config).await;
    let lines = env.emu.env_lines();
    let keys: Vec<&str> = lines.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "PEOPLECTL_GRAPH_URL",
            "PEOPLECTL_AUTHORITY_URL",
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "PEOPLECTL_CA_CERT"
        ]
    );
    let ca_path = dir.join("ca.pem");
    assert_eq!(lines[5].1, ca_path.to_string_lossy());
    assert_eq!(
        std::fs::read_to_string(&ca_path).unwrap(),
        env.emu.ca_cert_pem()
    );
    assert!(dir.join("server.pem").exists() && dir.join("server-key.pem").exists());
    let script = env.emu.env_script();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{script}printf '%s\\n%s' \"$AZURE_CLIENT_SECRET\" \"$PEOPLECTL_GRAPH_URL\""
        ))
        .output()
        .unwrap();
    let printed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        printed,
        format!("{}\n{}", env.emu.client_secret(), env.emu.graph_url())
    );
    assert!(!format!("{:?}", env.emu).contains(env.emu.client_secret()));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let env = env().await;
    let url = env.url("/v1.0/users");
    let raw::Env { emu, http, .. } = env;
    emu.shutdown().await;
    assert!(http.get(url).send().await.is_err());
}
