//! The emulator as a network service: loopback by default, no Graph call without a valid token,
//! bounded bodies, and malformed traffic answered or dropped without taking the server down.

use crate::support::raw;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use peoplectl::emulator::{EmulatorArgs, EmulatorConfig};
use raw::{env, people_item};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: EmulatorArgs,
}

#[test]
fn binds_loopback_unless_told_otherwise() {
    let cmd = Cmd::try_parse_from(["emulator"]).unwrap();
    assert!(cmd.args.bind.ip().is_loopback(), "{}", cmd.args.bind);
    assert!(EmulatorConfig::default().bind.ip().is_loopback());
}

/// A Graph call answered 200 proves the server is still up after whatever came before.
async fn still_serving(env: &raw::Env) {
    let got = env.get("/v1.0/external/connections").await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
}

#[tokio::test]
async fn graph_calls_without_a_valid_token_are_401() {
    let env = env().await;
    let other = raw::env().await;
    let real = env.token().await;
    // A token of another emulator instance: signed with another key.
    let foreign = other.token().await;
    let mut tampered = real.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("not bearer", Some(format!("Basic {real}"))),
        ("garbage", Some("Bearer not-a-token".into())),
        ("tampered", Some(format!("Bearer {tampered}"))),
        ("foreign", Some(format!("Bearer {foreign}"))),
        ("empty", Some("Bearer ".into())),
    ];
    for (name, header) in cases {
        let mut request = env.http.get(env.url("/v1.0/external/connections"));
        if let Some(h) = header {
            request = request.header("authorization", h);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            body["error"]["code"], "InvalidAuthenticationToken",
            "{name}"
        );
    }
    still_serving(&env).await;
}

#[tokio::test]
async fn bodies_are_bounded() {
    let env = env().await;
    env.ready_people_connection("limits").await;
    // An item over the 4 MiB limit.
    let mut item = people_item("a@contoso.com", "Engineer");
    item["content"] = json!({"type": "text", "value": "x".repeat(5 * 1024 * 1024)});
    let got = env
        .put("/v1.0/external/connections/limits/items/big", &item)
        .await;
    got.assert_error(413, "RequestEntityTooLarge");
    // A 10 MB $batch.
    let batch = json!({"requests": [{"id": "1", "method": "GET", "url": "/users", "pad": "y".repeat(10 * 1024 * 1024)}]});
    let got = env.post("/v1.0/$batch", &batch).await;
    got.assert_error(413, "RequestEntityTooLarge");
    // A 10 MB form to the token endpoint is refused before it is parsed.
    let response = env
        .http
        .post(env.url(&format!("/{}/oauth2/v2.0/token", env.emu.tenant_id())))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&x={}",
            "z".repeat(10 * 1024 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    still_serving(&env).await;
}

#[tokio::test]
async fn malformed_requests_get_graph_errors() {
    let env = env().await;
    let token = env.token().await;
    let send = |method: Method, path: &str, content_type: &str, body: Vec<u8>| {
        env.http
            .request(method, env.url(path))
            .bearer_auth(&token)
            .header("content-type", content_type.to_owned())
            .body(body)
            .send()
    };
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: Vec<(&str, Method, &str, &str, Vec<u8>)> = vec![
        (
            "truncated JSON",
            Method::POST,
            "/v1.0/external/connections",
            "application/json",
            br#"{"id": "abc", "name":"#.to_vec(),
        ),
        (
            "deep nesting",
            Method::POST,
            "/v1.0/external/connections",
            "application/json",
            deep.into_bytes(),
        ),
        (
            "not UTF-8",
            Method::POST,
            "/v1.0/external/connections",
            "application/json",
            b"{\"id\": \"\xff\xfe\"}".to_vec(),
        ),
        (
            "an array",
            Method::POST,
            "/v1.0/external/connections",
            "application/json",
            b"[1,2,3]".to_vec(),
        ),
        (
            "wrong types",
            Method::POST,
            "/v1.0/external/connections",
            "application/json",
            br#"{"id": 42, "name": ["x"]}"#.to_vec(),
        ),
        (
            "NUL bytes",
            Method::PATCH,
            "/v1.0/admin/people/profilePropertySettings/x",
            "application/json",
            b"\0\0\0".to_vec(),
        ),
        (
            "batch of garbage",
            Method::POST,
            "/v1.0/$batch",
            "application/json",
            br#"{"requests": "no"}"#.to_vec(),
        ),
    ];
    for (name, method, path, content_type, body) in cases {
        let response = send(method, path, content_type, body).await.unwrap();
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        assert!(status.is_client_error(), "{name}: {status} {body}");
        assert!(
            body["error"]["code"].is_string(),
            "{name}: a Graph error body: {body}"
        );
    }
    // Odd paths: an invalid percent-encoding, a 60 KB segment, a quote-riddled key.
    for (n, path) in [
        "/v1.0/external/connections/%FF%FE",
        &format!("/v1.0/external/connections/{}", "a".repeat(60_000)),
        "/v1.0/admin/people/profileSources(sourceId='''')",
        "/v1.0/users('%00')",
    ]
    .iter()
    .enumerate()
    {
        let response = send(Method::GET, path, "application/json", Vec::new())
            .await
            .unwrap_or_else(|e| panic!("odd path {n}: {}", e.without_url()));
        let status = response.status();
        assert!(status.is_client_error(), "odd path {n}: {status}");
    }
    still_serving(&env).await;
}

fn tls_config(ca_pem: &str) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Writes `bytes` inside a TLS session and returns what came back before the server closed
/// (or stopped answering for a second).
fn over_tls(emu: &peoplectl::emulator::EmulatorHandle, bytes: &[u8]) -> String {
    let tcp = TcpStream::connect(emu.local_addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let conn = rustls::ClientConnection::new(
        tls_config(emu.ca_cert_pem()),
        "127.0.0.1".try_into().unwrap(),
    )
    .unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let _ = tls.write_all(bytes);
    // Then hang up our side, so a server waiting for more (a short body) sees the end.
    tls.conn.send_close_notify();
    let _ = tls.flush();
    let _ = tls.sock.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_the_wire_is_refused_and_the_server_keeps_serving() {
    let env = env().await;
    let addr = env.emu.local_addr();
    tokio::task::spawn_blocking(move || {
        // Not TLS at all: pseudo-random bytes, then plain HTTP.
        for payload in [
            (0..65_536u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
                .collect::<Vec<u8>>(),
            b"GET /v1.0/users HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ] {
            let mut tcp = TcpStream::connect(addr).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let _ = tcp.write_all(&payload);
            let _ = tcp.shutdown(std::net::Shutdown::Write);
            let mut sink = Vec::new();
            // The server hangs up (or says "not TLS"): either way this returns.
            let _ = tcp.read_to_end(&mut sink);
        }
    })
    .await
    .unwrap();
    // Inside TLS: not HTTP, a request line without a version, a megabyte of headers.
    let garbage = over_tls(&env.emu, b"\x00\x01\x02 hello\r\n\r\n");
    assert!(
        garbage.is_empty() || garbage.starts_with("HTTP/1.1 400"),
        "{garbage}"
    );
    let no_version = over_tls(&env.emu, b"GET /v1.0/users\r\n\r\n");
    assert!(
        no_version.is_empty() || no_version.starts_with("HTTP/1.1 400"),
        "{no_version}"
    );
    let mut huge = b"GET /v1.0/users HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_vec();
    for i in 0..20_000 {
        huge.extend_from_slice(format!("X-Pad-{i}: {}\r\n", "p".repeat(40)).as_bytes());
    }
    huge.extend_from_slice(b"\r\n");
    let headers = over_tls(&env.emu, &huge);
    assert!(
        headers.is_empty()
            || headers.starts_with("HTTP/1.1 431")
            || headers.starts_with("HTTP/1.1 400"),
        "{}",
        headers.lines().next().unwrap_or_default()
    );
    // A body shorter than its Content-Length, then the client goes away.
    let short = over_tls(
        &env.emu,
        b"POST /v1.0/external/connections HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\nContent-Type: application/json\r\n\r\n{\"id\"",
    );
    assert!(!short.contains("201 Created"), "{short}");
    still_serving(&env).await;
    assert!(
        env.emu.inspect().connections().is_empty(),
        "nothing half-sent was created"
    );
}
