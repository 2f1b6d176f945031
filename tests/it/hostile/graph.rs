//! Hostile answers from Graph (HTML from a proxy, cut or huge bodies, absurd Retry-After) and
//! odd ids on the way to it.

use crate::support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use peoplectl::emulator::SeedKind;
use peoplectl::graph::client::{Call, GraphClient, MAX_BODY_BYTES};
use peoplectl::graph::connections::NewConnection;
use peoplectl::graph::retry::{MAX_RETRY_AFTER, RetryPolicy};
use peoplectl::graph::sources::NewProfileSource;
use peoplectl::graph::{ApiVersion, GraphError, TransportOptions, build_http_client};
use reqwest::Method;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// A TLS server on 127.0.0.1 that answers each connection with canned bytes

/// What one connection gets.
#[derive(Clone)]
enum Reply {
    /// These bytes, then the connection closes.
    Bytes(Vec<u8>),
    /// A head, then this chunk (already in chunked framing) again and again until the client
    /// hangs up.
    Endless { head: Vec<u8>, chunk: Vec<u8> },
}

fn reply(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    Reply::Bytes(bytes)
}

fn endless(status: &str, content_type: &str, piece: &[u8]) -> Reply {
    let head = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
    chunk.extend_from_slice(piece);
    chunk.extend_from_slice(b"\r\n");
    Reply::Endless {
        head: head.into_bytes(),
        chunk,
    }
}

struct Canned {
    client: GraphClient,
    /// Request lines seen ("GET /v1.0/... HTTP/1.1").
    requests: Arc<Mutex<Vec<String>>>,
    /// Bytes written by Endless replies.
    streamed: Arc<AtomicU64>,
}

/// A credential that hands out a fixed token.
#[derive(Debug)]
struct Fixed;

#[async_trait::async_trait]
impl TokenCredential for Fixed {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            "token".to_owned(),
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

/// A CA and a certificate for 127.0.0.1 signed by it.
fn certificates() -> (String, CertificateDer<'static>, PrivateKeyDer<'static>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    (
        ca_cert.pem(),
        cert.der().clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}

/// Starts the server; connection `n` gets `replies[n]` (the last one again once they run out).
fn serve(replies: Vec<Reply>) -> Canned {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (ca_pem, cert, key) = certificates();
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let streamed = Arc::new(AtomicU64::new(0));
    let (seen, count) = (requests.clone(), streamed.clone());
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { return };
            let reply = replies[n.min(replies.len() - 1)].clone();
            let (config, seen, count) = (config.clone(), seen.clone(), count.clone());
            std::thread::spawn(move || answer(stream, &config, &reply, &seen, &count));
        }
    });
    let http = build_http_client(&TransportOptions {
        ca_cert_pem: Some(ca_pem.into_bytes()),
        no_proxy: true,
        timeout: Some(Duration::from_secs(60)),
        connect_timeout: None,
    })
    .unwrap();
    let client = GraphClient::new(http, &format!("https://{addr}"), Arc::new(Fixed))
        .unwrap()
        .with_retry(RetryPolicy {
            max_retries: 0,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        });
    Canned {
        client,
        requests,
        streamed,
    }
}

/// Serves one connection; any I/O error (the client hanging up) just ends it.
fn answer(
    tcp: TcpStream,
    config: &Arc<rustls::ServerConfig>,
    reply: &Reply,
    seen: &Mutex<Vec<String>>,
    streamed: &AtomicU64,
) {
    let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match tls.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let length = text
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    if tls.read_exact(&mut body).is_err() {
        return;
    }
    seen.lock()
        .unwrap()
        .push(text.lines().next().unwrap_or_default().to_owned());
    match reply {
        Reply::Bytes(bytes) => {
            let _ = tls.write_all(bytes);
        }
        Reply::Endless { head, chunk } => {
            if tls.write_all(head).is_err() {
                return;
            }
            while tls.write_all(chunk).is_ok() {
                streamed.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
            return;
        }
    }
    let _ = tls.flush();
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

fn get(what: &str) -> Call {
    Call::new(what, Method::GET, ApiVersion::V1, "/external/connections")
}

fn api_error(e: &GraphError) -> &peoplectl::graph::error::ApiError {
    match e {
        GraphError::Api(api) => api,
        other => panic!("expected an API error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Answers that are not Graph's JSON

const PROXY_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title>\
    <style>body { font-family: sans-serif; }</style><script>var x = '<b>';</script></head>\
    <body><h1>Bad Gateway</h1><p>The proxy server received an invalid response from an upstream server.</p>";

#[tokio::test]
async fn an_html_error_page_from_a_proxy_is_a_short_clear_error() {
    let page = format!(
        "{PROXY_PAGE}{}</body></html>",
        "<p>filler</p>\n".repeat(20_000)
    );
    let canned = serve(vec![reply(
        "502 Bad Gateway",
        &[("Content-Type", "text/html; charset=utf-8")],
        page.as_bytes(),
    )]);
    let e = canned
        .client
        .send(&get("list connections"))
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(502));
    let text = e.to_string();
    assert!(
        text.starts_with(
            "list connections: Graph answered 502: the answer is an HTML page, not JSON (from a proxy or gateway?): 502 Bad Gateway Bad Gateway The proxy server"
        ),
        "{text}"
    );
    assert!(
        !text.contains('<') && !text.contains("font-family"),
        "{text}"
    );
    assert!(text.chars().count() < 400, "{}", text.len());
    assert_eq!(api_error(&e).code, "");
}

#[tokio::test]
async fn an_html_page_instead_of_a_2xx_json_answer_says_so() {
    let canned = serve(vec![reply(
        "200 OK",
        &[("Content-Type", "text/html")],
        b"<html><title>Sign in to the Wi-Fi</title><body>Accept the terms</body></html>",
    )]);
    let e = canned
        .client
        .list_connections(ApiVersion::V1)
        .await
        .unwrap_err();
    assert!(matches!(e, GraphError::Decode { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "list connections: unexpected response from Graph: the answer is an HTML page, not JSON (from a proxy or gateway?): Sign in to the Wi-Fi Accept the terms"
    );
}

#[tokio::test]
async fn cut_short_or_misshapen_json_answers_are_decode_errors_saying_which() {
    let cases: [(&[u8], &str); 5] = [
        (
            br#"{"value":[{"id":"hr","name":"HR"},{"id":"#,
            "the JSON answer is cut short after 40 bytes (EOF while parsing",
        ),
        (
            br#"{"value":"not a list"}"#,
            "the answer is JSON of an unexpected shape (invalid type: string \"not a list\", expected a sequence",
        ),
        (b"", "the answer is empty where JSON was expected"),
        (
            br#"{"value":[]} trailing"#,
            "the answer is not valid JSON (trailing characters",
        ),
        (
            b"Service Unavailable\r\n",
            "the answer is not JSON (text/plain): Service Unavailable",
        ),
    ];
    for (body, want) in cases {
        let canned = serve(vec![reply(
            "200 OK",
            &[("Content-Type", "text/plain")],
            body,
        )]);
        let e = canned
            .client
            .list_connections(ApiVersion::V1)
            .await
            .unwrap_err();
        assert!(matches!(e, GraphError::Decode { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with(&format!(
                "list connections: unexpected response from Graph: {want}"
            )),
            "{text}"
        );
    }
}

#[tokio::test]
async fn odd_error_bodies_still_decode_to_code_and_message() {
    let cases: [(&str, &[u8], &str, &str); 6] = [
        (
            "401 Unauthorized",
            br#"{"error":"invalid_token","error_description":"The token expired"}"#,
            "invalid_token",
            "The token expired",
        ),
        (
            "400 Bad Request",
            br#"{"error":{"code":null,"message":["a","b"],"innerError":7}}"#,
            "",
            r#"["a","b"]"#,
        ),
        (
            "400 Bad Request",
            b"{\"error\":{\"code\":\"Bad\\u001b[31m\",\"message\":\"line one\\nline two\\u0007\"}}",
            // Controls are shown inertly (crate::text), blanks still collapse to one space.
            "Bad␛[31m",
            "line one line two␇",
        ),
        (
            "503 Service Unavailable",
            br#"{"statusCode":503,"message":"Backend down"}"#,
            "",
            "Backend down",
        ),
        ("404 Not Found", b"", "", "the answer has no body"),
        (
            "500 Internal Server Error",
            b"[1,2,3]",
            "",
            "the answer is JSON but not Graph's error format: [1,2,3]",
        ),
    ];
    for (status, body, code, message) in cases {
        let canned = serve(vec![reply(
            status,
            &[("Content-Type", "application/json")],
            body,
        )]);
        let e = canned.client.send(&get("x")).await.unwrap_err();
        let api = api_error(&e);
        assert_eq!(api.status.as_u16(), status[..3].parse::<u16>().unwrap());
        assert_eq!(api.code, code, "{status}");
        assert_eq!(api.message, message, "{status}");
    }
}

#[tokio::test]
async fn a_huge_message_in_a_graph_error_is_cut() {
    let body = format!(
        r#"{{"error":{{"code":"{}","message":"{}"}}}}"#,
        "C".repeat(10_000),
        "m".repeat(40_000)
    );
    let canned = serve(vec![reply(
        "400 Bad Request",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )]);
    let e = canned.client.send(&get("x")).await.unwrap_err();
    let api = api_error(&e);
    assert_eq!(api.code.chars().count(), 101);
    assert!(api.code.ends_with('…'));
    assert_eq!(api.message.chars().count(), 1001);
}

// ---------------------------------------------------------------------------------------------
// Bodies too big to read

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_without_reading_it() {
    let canned = serve(vec![reply(
        "200 OK",
        &[
            ("Content-Type", "application/json"),
            ("Content-Length", "107374182400"),
        ],
        b"{\"value\":[",
    )]);
    let e = canned
        .client
        .list_connections(ApiVersion::V1)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "list connections: unexpected response from Graph: the answer is larger than {} MiB; refusing to read it",
            MAX_BODY_BYTES / (1024 * 1024)
        )
    );
}

#[tokio::test]
async fn an_endless_body_is_cut_off_at_the_limit() {
    let canned = serve(vec![endless(
        "200 OK",
        "application/json",
        &[b' '; 64 * 1024],
    )]);
    let client = canned.client.with_max_body(1024 * 1024);
    let e = tokio::time::timeout(
        Duration::from_secs(60),
        client.list_connections(ApiVersion::V1),
    )
    .await
    .expect("the client stops reading")
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "list connections: unexpected response from Graph: the answer is larger than 1 MiB; refusing to read it"
    );
    // TLS and socket buffers hold a little more than was read; nowhere near "all of it".
    assert!(canned.streamed.load(Ordering::Relaxed) < 16 * 1024 * 1024);
}

#[tokio::test]
async fn an_endless_error_page_gives_its_status_after_reading_only_its_start() {
    let mut piece = PROXY_PAGE.as_bytes().to_vec();
    piece.extend(std::iter::repeat_n(b' ', 60_000));
    let canned = serve(vec![endless("504 Gateway Timeout", "text/html", &piece)]);
    let e = tokio::time::timeout(Duration::from_secs(60), canned.client.send(&get("x")))
        .await
        .expect("the client stops reading")
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(504));
    assert!(e.to_string().contains("Bad Gateway"), "{e}");
    assert!(canned.streamed.load(Ordering::Relaxed) < 16 * 1024 * 1024);
}

#[tokio::test]
async fn a_body_that_breaks_off_or_an_answer_that_is_not_http_is_a_transport_error() {
    for raw in [
        &b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"value\":["[..],
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"",
    ] {
        let canned = serve(vec![Reply::Bytes(raw.to_vec())]);
        let e = canned
            .client
            .list_connections(ApiVersion::V1)
            .await
            .unwrap_err();
        assert!(matches!(e, GraphError::Transport { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with("list connections: could not reach Microsoft Graph at 127.0.0.1: "),
            "{text}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Retry-After

#[tokio::test]
async fn an_absurd_retry_after_is_capped_and_the_retry_goes_ahead() {
    for absurd in [
        "99999999999999999999",
        "18446744073709551615",
        "1e308",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let throttled = reply(
            "429 Too Many Requests",
            &[
                ("Retry-After", absurd),
                ("Content-Type", "application/json"),
            ],
            br#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#,
        );
        let ok = reply(
            "200 OK",
            &[("Content-Type", "application/json")],
            br#"{"value":[]}"#,
        );
        // Giving up at once, the error carries the capped wait.
        let canned = serve(vec![throttled.clone()]);
        let e = canned.client.send(&get("x")).await.unwrap_err();
        assert_eq!(
            api_error(&e).retry_after,
            Some(MAX_RETRY_AFTER.as_secs()),
            "{absurd}"
        );
        // Retrying, it waits the policy's short maximum (not centuries), then succeeds.
        let canned = serve(vec![throttled, ok]);
        let client = canned.client.with_retry(RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        });
        let listed = client.list_connections(ApiVersion::V1).await.unwrap();
        assert!(listed.is_empty());
        assert_eq!(client.stats().retries(), 1);
        assert_eq!(canned.requests.lock().unwrap().len(), 2);
    }
}

// ---------------------------------------------------------------------------------------------
// Odd ids against the emulator

#[tokio::test]
async fn odd_source_ids_round_trip_through_the_emulator() {
    let env = support::env(SeedKind::Empty).await;
    let c = &env.client;
    let ids = [
        "o'brien",
        "it''s",
        "a#b?c=d&e",
        "100%",
        "%27",
        "with space",
        "zoë-ünïcødé",
        "日本語",
        "a')x",
        "emoji🙂",
    ];
    for id in ids {
        let created = c
            .create_profile_source(&NewProfileSource {
                source_id: id.into(),
                display_name: format!("source {id}"),
                kind: None,
                web_url: "https://hr.contoso.com".into(),
            })
            .await
            .unwrap();
        assert_eq!(created.source_id, id);
        let found = c.find_profile_source(id).await.unwrap().unwrap();
        assert_eq!(found.source_id, id);
        assert_eq!(
            found.display_name.as_deref(),
            Some(format!("source {id}").as_str())
        );
    }
    let listed: Vec<String> = c
        .list_profile_sources()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.source_id)
        .collect();
    for id in ids {
        assert!(listed.iter().any(|s| s == id), "{id} in {listed:?}");
        c.delete_profile_source(id).await.unwrap();
        assert!(c.find_profile_source(id).await.unwrap().is_none(), "{id}");
    }
}

#[tokio::test]
async fn a_slash_in_a_source_id_reaches_the_emulator_encoded() {
    let env = support::env(SeedKind::Empty).await;
    let c = &env.client;
    let e = c.find_profile_source("a/b").await;
    // The id never splits the path: either found-or-not, never a routing error.
    assert!(matches!(e, Ok(None)), "{e:?}");
}

#[tokio::test]
async fn a_filter_literal_with_quotes_and_hashes_is_escaped() {
    let env = support::env(SeedKind::Demo).await;
    for upn in [
        "o'brien@contoso.com",
        "x_gmail.com#EXT#@contoso.onmicrosoft.com",
        "a+b@contoso.com",
        "sp ace@contoso.com",
        "ünï@contoso.com",
    ] {
        let call = GraphClient::user_by_upn_call(upn);
        let answer: Value = env.client.send_json(&call).await.unwrap();
        assert_eq!(answer["value"], Value::Array(Vec::new()), "{upn}");
    }
    // A real user, found by the same call.
    let upn = env.emu.admin_upn().to_owned();
    let answer: Value = env
        .client
        .send_json(&GraphClient::user_by_upn_call(&upn))
        .await
        .unwrap();
    assert_eq!(answer["value"][0]["userPrincipalName"], Value::String(upn));
}

#[tokio::test]
async fn odd_connection_ids_reach_graph_intact_and_are_refused_clearly() {
    let env = support::env(SeedKind::Empty).await;
    let c = &env.client;
    for id in ["o'brien", "a/b", "a#b?c", "sp ace", "zoë1", "100%", "a%2Fb"] {
        // Graph restricts connection ids to letters and digits, so none of these can exist;
        // the emulator quoting the id back shows it arrived exactly as given.
        let e = c.get_connection(id, ApiVersion::V1).await.unwrap_err();
        assert!(e.is_not_found(), "{id}: {e:?}");
        assert_eq!(
            e.to_string().split(" [request-id").next().unwrap(),
            format!(
                "get connection '{id}': Graph answered 404 ItemNotFound: The connection '{id}' was not found."
            )
        );
        assert!(
            c.find_connection(id, ApiVersion::V1)
                .await
                .unwrap()
                .is_none()
        );
        // Creating one is refused by Graph's id rules, and says which call and why.
        let e = c
            .create_connection(&NewConnection {
                id: id.into(),
                name: "odd".into(),
                description: "odd".into(),
                content_category: Some("people".into()),
            })
            .await
            .unwrap_err();
        assert_eq!(e.status().map(|s| s.as_u16()), Some(400), "{id}: {e}");
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("create connection '{id}': Graph answered 400 ")),
            "{text}"
        );
    }
    assert!(support::lists(&env.emu).connections.is_empty());
}
