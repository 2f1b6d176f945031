//! Bounded waits, inputs that are not files, private files, ids no Graph key can be, the
//! emulator off loopback and plain panics: mostly through the real binary, as an admin meets
//! them. Time bounds here are generous "did not hang" checks; the figures themselves are in
//! the README, measured by hand.
#![cfg(unix)]

use crate::support;

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use peoplectl::emulator::{EmulatorConfig, FaultRule, SeedKind};
use peoplectl::graph::client::{Call, GraphClient, RetryNotice};
use peoplectl::graph::retry::RetryPolicy;
use peoplectl::graph::{ApiVersion, GraphError, Timeouts, TransportOptions, build_http_client};
use reqwest::Method;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;

/// Slack over a configured deadline before a run counts as hung: far above the process start,
/// sign-in and scheduling on a loaded 2-core machine, far below the minutes this used to take.
const SLACK: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------------------------
// Running the binary

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("peoplectl")
}

/// `peoplectl ARGS` with private temp dirs, loopback only, and `env`; stdin is empty.
fn command(dirs: &Path, args: &[&str], env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args);
    settle(cmd, dirs, env)
}

/// `sh -c 'umask 022; exec peoplectl ARGS'`: the binary as a login shell would start it.
fn under_umask_022(dirs: &Path, args: &[&str], env: &[(String, String)]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(bin())
        .args(args);
    settle(cmd, dirs, env)
}

fn settle(mut cmd: Command, dirs: &Path, env: &[(String, String)]) -> Command {
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("PEOPLECTL_CONFIG_DIR", dirs.join("config"))
        .env("PEOPLECTL_DATA_DIR", dirs.join("data"))
        .env("TMPDIR", dirs)
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs a command to its end (waiting on the process) and says how long it took.
async fn timed(mut cmd: Command) -> (Output, Duration) {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let out = cmd.output().unwrap();
        (out, started.elapsed())
    })
    .await
    .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn with(env: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
    let mut env: Vec<_> = env.iter().filter(|(k, _)| k != key).cloned().collect();
    env.push((key.to_owned(), value.to_owned()));
    env
}

// ---------------------------------------------------------------------------------------------
// Servers that never answer

/// A CA and a certificate for `names` signed by it.
fn certificates(names: &[&str]) -> (String, CertificateDer<'static>, PrivateKeyDer<'static>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    (
        ca_cert.pem(),
        cert.der().clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}

/// A TLS server on 127.0.0.1 that completes the handshake, reads every request and never
/// answers. Returns its root URL and its CA (PEM).
fn silent_server() -> (String, String) {
    tls_server(&["127.0.0.1"])
}

/// [`silent_server`] with a certificate for `names`.
fn tls_server(names: &[&str]) -> (String, String) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (ca_pem, cert, key) = certificates(names);
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(tcp) = stream else { return };
            let config = config.clone();
            std::thread::spawn(move || hold(tcp, &config));
        }
    });
    (format!("https://{addr}"), ca_pem)
}

/// Reads until the client hangs up; writes nothing.
fn hold(tcp: TcpStream, config: &Arc<rustls::ServerConfig>) {
    let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut buf = [0u8; 4096];
    while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
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

fn silent_client(timeouts: Timeouts, retry: RetryPolicy) -> GraphClient {
    let (url, ca) = silent_server();
    client_for(&url, &ca, timeouts, retry)
}

fn client_for(url: &str, ca: &str, timeouts: Timeouts, retry: RetryPolicy) -> GraphClient {
    let ca = ca.to_owned();
    let http = build_http_client(&TransportOptions {
        ca_cert_pem: Some(ca.into_bytes()),
        no_proxy: true,
        timeout: Some(timeouts.request),
        connect_timeout: Some(timeouts.connect),
    })
    .unwrap();
    GraphClient::new(http, url, Arc::new(Fixed))
        .unwrap()
        .with_timeouts(timeouts)
        .with_retry(retry)
}

fn list_call() -> Call {
    Call::new(
        "list connections",
        Method::GET,
        ApiVersion::V1,
        "/external/connections",
    )
    .query("$top", "50")
}

// ---------------------------------------------------------------------------------------------
// Bounded waits: the client

#[tokio::test]
async fn one_unanswered_request_ends_at_the_request_timeout_saying_what_did_not_answer() {
    let client = silent_client(
        Timeouts {
            request: Duration::from_millis(300),
            ..Timeouts::default()
        },
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        },
    );
    let e = client.send(&list_call()).await.unwrap_err();
    let GraphError::Transport(t) = &e else {
        panic!("expected a transport error, got {e:?}");
    };
    let (request, reason, tries) = (&t.request, &t.reason, &t.tries);
    // The query is left out: it may hold a person's name.
    assert_eq!(request, "GET /v1.0/external/connections");
    assert_eq!(
        reason,
        "no answer within the 300 ms request timeout (--timeout)"
    );
    assert_eq!(tries.count, 1);
    assert!(tries.waited >= Duration::from_millis(300), "{tries:?}");
    assert!(
        e.to_string().starts_with(
            "list connections: could not reach Microsoft Graph at 127.0.0.1: \
             GET /v1.0/external/connections: no answer within the 300 ms request timeout \
             (--timeout) (1 try in "
        ),
        "{e}"
    );
}

#[tokio::test]
async fn retries_of_a_silent_graph_stop_at_the_deadline_and_each_is_reported() {
    let deadline = Duration::from_millis(1500);
    let notices: Arc<Mutex<Vec<RetryNotice>>> = Arc::default();
    let seen = notices.clone();
    let client = silent_client(
        Timeouts {
            request: Duration::from_millis(300),
            deadline,
            ..Timeouts::default()
        },
        RetryPolicy {
            max_retries: 50,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
        },
    )
    .with_retry_observer(Arc::new(move |n| seen.lock().unwrap().push(n.clone())));
    let started = Instant::now();
    let e = client.send(&list_call()).await.unwrap_err();
    let took = started.elapsed();
    assert!(took >= deadline, "{took:?}");
    assert!(took < deadline + SLACK, "{took:?}");
    let GraphError::Transport(t) = &e else {
        panic!("expected a transport error, got {e:?}");
    };
    let (reason, tries) = (&t.reason, &t.tries);
    assert_eq!(
        reason,
        "no answer before the 1.5 s deadline of this call (--deadline); before that: no \
         answer within the 300 ms request timeout (--timeout)"
    );
    // 300 ms tries with short waits: four or five fit in 1.5 s, never fifty.
    assert!((2..=6).contains(&tries.count), "{tries:?}");
    let notices = notices.lock().unwrap();
    assert_eq!(notices.len(), tries.count as usize - 1);
    for (i, n) in notices.iter().enumerate() {
        assert_eq!(n.what, "list connections");
        assert_eq!(n.tries as usize, i + 1);
        assert_eq!(
            n.reason,
            "no answer within the 300 ms request timeout (--timeout)"
        );
    }
}

#[tokio::test]
async fn certificates_of_another_host_or_ca_are_refused_at_once_saying_so() {
    let transport = |e: &GraphError| match e {
        GraphError::Transport(t) => (t.reason.clone(), t.tries.count),
        other => panic!("expected a transport error, got {other:?}"),
    };
    // A trusted CA, but the certificate names another host.
    let (url, ca) = tls_server(&["graph.example.org"]);
    let client = client_for(&url, &ca, Timeouts::default(), RetryPolicy::default());
    let (reason, tries) = transport(&client.send(&list_call()).await.unwrap_err());
    assert!(
        reason.starts_with("TLS handshake failed: invalid peer certificate: certificate not valid for name \"127.0.0.1\"")
            && reason.ends_with("(the certificate is for another host)"),
        "{reason}"
    );
    // Never retried: the certificate would be the same.
    assert_eq!(tries, 1);
    // The right host, but signed by another CA than the trusted one (of the same name).
    let (url, _) = silent_server();
    let (other_ca, _, _) = certificates(&["127.0.0.1"]);
    let client = client_for(&url, &other_ca, Timeouts::default(), RetryPolicy::default());
    let (reason, tries) = transport(&client.send(&list_call()).await.unwrap_err());
    assert_eq!(
        reason,
        "TLS handshake failed: invalid peer certificate: BadSignature (the certificate is not \
         signed by the CA that is trusted under its issuer's name)"
    );
    assert_eq!(tries, 1);
    // No extra CA at all: the system's roots do not know it either.
    let http = build_http_client(&TransportOptions {
        no_proxy: true,
        ..TransportOptions::default()
    })
    .unwrap();
    let client = GraphClient::new(http, &url, Arc::new(Fixed)).unwrap();
    let (reason, tries) = transport(&client.send(&list_call()).await.unwrap_err());
    assert!(
        reason.starts_with("TLS handshake failed: invalid peer certificate: "),
        "{reason}"
    );
    assert_eq!(tries, 1);
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_is_not_waited_for() {
    let env = support::env(SeedKind::Demo).await;
    env.emu.faults().add_rule(
        FaultRule::new("GET", "/v1.0/external/connections")
            .status(429)
            .retry_after(30)
            .times(10),
    );
    let client = env.client.with_timeouts(Timeouts {
        deadline: Duration::from_secs(5),
        ..Timeouts::default()
    });
    let started = Instant::now();
    let e = client
        .send(&Call::new(
            "list connections",
            Method::GET,
            ApiVersion::V1,
            "/external/connections",
        ))
        .await
        .unwrap_err();
    // Graph asked for 30 s; the deadline is 5 s: give up at once rather than at the deadline.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(e.is_throttled(), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains(" (1 try in ")
            && text
                .contains("; the 5 s deadline of this call (--deadline) left no time for another)"),
        "{text}"
    );
    assert!(
        text.starts_with("list connections: Graph answered 429"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Bounded waits: the binary

/// The emulator's settings with Graph (or the identity platform) at a silent server, and a
/// CA file trusting both.
fn silent_env(
    dirs: &Path,
    emulator: &[(String, String)],
    key: &str,
) -> (Vec<(String, String)>, String) {
    let (url, silent_ca) = silent_server();
    let emulator_ca = emulator
        .iter()
        .find(|(k, _)| k == "PEOPLECTL_CA_CERT")
        .map(|(_, v)| std::fs::read_to_string(v).unwrap())
        .unwrap();
    let both = dirs.join("both-ca.pem");
    std::fs::write(&both, format!("{emulator_ca}{silent_ca}")).unwrap();
    let env = with(emulator, "PEOPLECTL_CA_CERT", both.to_str().unwrap());
    (with(&env, key, &url), url)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_against_a_graph_that_never_answers_ends_at_its_deadline_explained() {
    let env = support::env(SeedKind::Demo).await;
    let dirs = tempfile::tempdir().unwrap();
    let (silent, _) = silent_env(dirs.path(), &env.emu.env_lines(), "PEOPLECTL_GRAPH_URL");
    let (out, took) = timed(command(
        dirs.path(),
        &["connections", "list", "--timeout", "1", "--deadline", "3"],
        &silent,
    ))
    .await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(took < Duration::from_secs(3) + SLACK, "{took:?}: {text}");
    assert!(
        text.starts_with("peoplectl: list ")
            && text.contains(": could not reach Microsoft Graph at 127.0.0.1: GET /"),
        "{text}"
    );
    assert_deadline_explained(&text, "3 s", "1 s");
    assert!(!text.contains(env.emu.client_secret()), "{text}");
}

/// The deadline ended the call, and the error says so: either it cut the last try short, or
/// the wait before another would have ended past it.
fn assert_deadline_explained(text: &str, deadline: &str, timeout: &str) {
    let cut = format!(
        ": no answer before the {deadline} deadline of this call (--deadline); before that: no \
         answer within the {timeout} request timeout (--timeout) ("
    );
    let no_time = format!(": no answer within the {timeout} request timeout (--timeout) (");
    let no_time_end =
        format!("; the {deadline} deadline of this call (--deadline) left no time for another)");
    assert!(
        (text.contains(&cut) || (text.contains(&no_time) && text.contains(&no_time_end)))
            && text.contains(" tries in "),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_that_never_answers_ends_at_the_deadline_too() {
    let env = support::env(SeedKind::Demo).await;
    let dirs = tempfile::tempdir().unwrap();
    let (silent, _) = silent_env(dirs.path(), &env.emu.env_lines(), "PEOPLECTL_AUTHORITY_URL");
    let (out, took) = timed(command(
        dirs.path(),
        &["doctor", "--timeout", "1", "--deadline", "3"],
        &silent,
    ))
    .await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(took >= Duration::from_secs(3), "{took:?}: {text}");
    assert!(took < Duration::from_secs(3) + SLACK, "{took:?}: {text}");
    assert!(
        text.contains(
            ": sign-in failed: no token within the 3 s deadline of this call (--deadline): the \
             identity platform did not answer"
        ),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn timeouts_come_from_the_context_and_bad_ones_are_named() {
    let env = support::env(SeedKind::Demo).await;
    let dirs = tempfile::tempdir().unwrap();
    let (silent, _) = silent_env(dirs.path(), &env.emu.env_lines(), "PEOPLECTL_GRAPH_URL");
    // The context keeps the timeouts given to `config add`.
    let out = command(
        dirs.path(),
        &[
            "config",
            "add",
            "lab",
            "--timeout",
            "0.5",
            "--deadline",
            "2",
        ],
        &silent,
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let saved = std::fs::read_to_string(dirs.path().join("config/config.toml")).unwrap();
    assert!(
        saved.contains("timeout = 0.5") && saved.contains("deadline = 2"),
        "{saved}"
    );
    let secret: Vec<_> = silent
        .iter()
        .filter(|(k, _)| k == "AZURE_CLIENT_SECRET")
        .cloned()
        .collect();
    let (out, took) = timed(command(dirs.path(), &["connections", "list"], &secret)).await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(took < Duration::from_secs(2) + SLACK, "{took:?}: {text}");
    assert_deadline_explained(&text, "2 s", "500 ms");
    // A value that is no number of seconds is refused, naming the context and the key.
    let edited = saved.replace("deadline = 2", "deadline = -1");
    std::fs::write(dirs.path().join("config/config.toml"), edited).unwrap();
    let out = command(dirs.path(), &["connections", "list"], &secret)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "peoplectl: context 'lab': deadline = -1 is not a number of seconds from more than 0 to 86400\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_says_graph_is_being_retried_and_keeps_taking_keys() {
    use peoplectl::tui::action::{Action, PaneId};
    use peoplectl::tui::app::App;
    use peoplectl::tui::keymap::Keymap;
    use peoplectl::tui::state::SessionInfo;
    use peoplectl::tui::theme::Theme;
    use ratatui::{Terminal, backend::TestBackend};

    const WAIT: Duration = Duration::from_secs(60);
    let env = support::env(SeedKind::Demo).await;
    // The tenant read meets two 503s, each asking for a second's pause.
    env.emu.faults().add_rule(
        FaultRule::new("GET", "/beta/external/connections")
            .status(503)
            .retry_after(1)
            .times(2),
    );
    let info = SessionInfo {
        tenant: env.emu.tenant_domain().to_owned(),
        graph_host: env.client.host(),
        ..SessionInfo::default()
    };
    let mut app = App::new(
        env.client.clone(),
        info,
        Arc::new(Keymap::default()),
        Theme::default(),
        (120, 24),
    );
    app.start();
    assert!(app.run_until(WAIT, |s| s.retrying.is_some()).await);
    let notice = app.state.retrying.clone().unwrap();
    assert_eq!(notice.what, "list connections");
    assert_eq!(notice.reason, "Graph answered 503");
    assert_eq!(notice.wait, Duration::from_secs(1));
    let mut term = Terminal::new(TestBackend::new(120, 24)).unwrap();
    term.draw(|f| peoplectl::tui::ui::draw(f, &app.state))
        .unwrap();
    let header: String = (0..120)
        .map(|x| term.backend().buffer()[(x, 0)].symbol().to_owned())
        .collect();
    assert!(
        header.contains(&format!("retry {} (Graph answered 503)", notice.tries + 1)),
        "{header}"
    );
    // Keys still act while Graph is retried.
    app.dispatch(Action::GoTo(PaneId::Sources));
    assert_eq!(app.state.pane, PaneId::Sources);
    // Then the tenant loads and the notice goes with the job.
    assert!(
        app.run_until(WAIT, |s| s.snap().is_some() && s.jobs.is_empty())
            .await
    );
    assert!(app.state.retrying.is_none());
}

// ---------------------------------------------------------------------------------------------
// Inputs that are not files

#[tokio::test(flavor = "multi_thread")]
async fn sync_refuses_devices_fifos_directories_and_sockets_at_once() {
    let dirs = tempfile::tempdir().unwrap();
    let fifo = dirs.path().join("hr.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let socket = dirs.path().join("hr.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let pipe_hint = "not a regular file; to read from a pipe, use `--input -` and send the \
                     export to standard input";
    let cases = [
        (
            PathBuf::from("/dev/zero"),
            format!("/dev/zero is a character device, {pipe_hint}"),
        ),
        (
            fifo.clone(),
            format!("{} is a FIFO (named pipe), {pipe_hint}", fifo.display()),
        ),
        (
            socket.clone(),
            format!("{} is a socket, {pipe_hint}", socket.display()),
        ),
        (
            dirs.path().to_owned(),
            format!(
                "{} is a directory, not a regular file",
                dirs.path().display()
            ),
        ),
    ];
    for (input, message) in cases {
        let input = input.to_str().unwrap();
        let (out, took) = timed(command(
            dirs.path(),
            &["--demo", "sync", "contosohr", "--input", input, "--dry-run"],
            &[],
        ))
        .await;
        assert_eq!(out.status.code(), Some(1), "{input}: {}", stderr(&out));
        assert_eq!(stderr(&out), format!("peoplectl: {message}\n"));
        // Did not spin or block (it takes well under a second; see the README).
        assert!(took < SLACK, "{input}: {took:?}");
    }
}

/// Runs a dry-run sync of the demo export with `stdin` as standard input.
async fn demo_sync_json(dirs: &Path, input: &str, stdin: Stdio) -> (Output, Value) {
    let root = env!("CARGO_MANIFEST_DIR");
    let mapping = format!("{root}/assets/demo/hr-mapping.toml");
    let mut cmd = command(
        dirs,
        &[
            "--demo",
            "sync",
            "contosohr",
            "--input",
            input,
            "--mapping",
            &mapping,
            "--dry-run",
            "-o",
            "json",
        ],
        &[],
    );
    cmd.stdin(stdin);
    let (out, _) = timed(cmd).await;
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, doc)
}

#[tokio::test(flavor = "multi_thread")]
async fn standard_input_is_read_like_a_file_and_named_stdin() {
    let dirs = tempfile::tempdir().unwrap();
    let export = format!("{}/assets/demo/hr-export.csv", env!("CARGO_MANIFEST_DIR"));
    let (file_out, from_file) = demo_sync_json(dirs.path(), &export, Stdio::null()).await;
    assert_eq!(file_out.status.code(), Some(0), "{}", stderr(&file_out));
    let piped = Stdio::from(std::fs::File::open(&export).unwrap());
    // A regular file on stdin is still read as a stream: the copy is what the second pass reads.
    let (out, from_stdin) = demo_sync_json(dirs.path(), "-", piped).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for key in ["rows", "valid", "invalid", "unmatched"] {
        assert_eq!(from_stdin[key], from_file[key], "{key}");
    }
    assert_eq!(from_file["rows"], 302);
    let errors = |doc: &Value| -> Vec<(String, Value, Value)> {
        doc["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["file"].as_str().unwrap().to_owned(),
                    e["line"].clone(),
                    e["reason"].clone(),
                )
            })
            .collect()
    };
    let (a, b) = (errors(&from_file), errors(&from_stdin));
    assert_eq!(a.len(), 6);
    assert_eq!(a.len(), b.len());
    for ((file, line, reason), (stdin, line2, reason2)) in a.iter().zip(&b) {
        assert_eq!(file, &export);
        assert_eq!(stdin, "<stdin>");
        assert_eq!((line, reason), (line2, reason2));
    }
    // A pipe too, written by another process as it goes.
    let mut cat = Command::new("cat")
        .arg(&export)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = Stdio::from(cat.stdout.take().unwrap());
    let (out, from_pipe) = demo_sync_json(dirs.path(), "-", pipe).await;
    cat.wait().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(from_pipe["valid"], from_file["valid"]);
    // A device on stdin is refused like one given as a path.
    let zero = Stdio::from(std::fs::File::open("/dev/zero").unwrap());
    let (out, _) = demo_sync_json(dirs.path(), "-", zero).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "peoplectl: <stdin> is a character device, not an export: send a file or a pipe to standard input\n"
    );
    // The copies of stdin were private and are gone.
    for file in files_under(&dirs.path().join("data")) {
        assert!(
            !file.to_string_lossy().contains("stdin"),
            "{}",
            file.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Private files

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        out.push(path.clone());
        if path.is_dir() {
            out.extend(files_under(&path));
        }
    }
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn everything_written_under_umask_022_is_private() {
    let env = support::env_with(EmulatorConfig {
        auto_approve_device_codes: true,
        ..support::config(SeedKind::Demo)
    })
    .await;
    let emulator = env.emu.env_lines();
    let dirs = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let export = format!("{root}/assets/demo/hr-export.csv");
    let mapping = format!("{root}/assets/demo/hr-mapping.toml");
    let runs: [&[&str]; 4] = [
        // Sync state (SQLite and its WAL), in data/sync/default/.
        &[
            "sync",
            "contosohr",
            "--input",
            &export,
            "--mapping",
            &mapping,
        ],
        // A token cache, in data/tokens/.
        &["auth", "login"],
        // The config file.
        &["config", "add", "lab"],
        // peoplectl.log: the console opens it before it finds there is no terminal.
        &[],
    ];
    for args in runs {
        let (out, _) = timed(under_umask_022(dirs.path(), args, &emulator)).await;
        if !args.is_empty() {
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        }
    }
    let written: Vec<PathBuf> = [dirs.path().join("config"), dirs.path().join("data")]
        .iter()
        .flat_map(|d| std::iter::once(d.clone()).chain(files_under(d)))
        .collect();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.strip_prefix(dirs.path()).unwrap().display().to_string())
        .collect();
    for expected in [
        "config/config.toml",
        "data/peoplectl.log",
        "data/sync/default/contosohr.sqlite",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.starts_with("data/tokens/")),
        "{names:?}"
    );
    for path in &written {
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(path), want, "{}", path.display());
    }
}

#[tokio::test]
async fn the_sync_state_and_its_wal_are_private_while_open() {
    // The umask the binary would have in a login shell; tests in this file create files in
    // their own temp dirs only, so changing it here harms none of them.
    rustix::process::umask(rustix::fs::Mode::from(0o022));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync").join("ctx").join("hr.sqlite");
    let store = peoplectl::sync::state::StateStore::open(&path, "tenant", "hr").unwrap();
    store.set_setting("ingestRate", "25").unwrap();
    let wal = dir.path().join("sync/ctx/hr.sqlite-wal");
    assert!(wal.exists(), "WAL mode keeps a -wal file while open");
    for p in [&path, &wal] {
        assert_eq!(mode(p), 0o600, "{}", p.display());
    }
    let shm = dir.path().join("sync/ctx/hr.sqlite-shm");
    if shm.exists() {
        assert_eq!(mode(&shm), 0o600);
    }
    assert_eq!(mode(&dir.path().join("sync")), 0o700);
    assert_eq!(mode(&dir.path().join("sync/ctx")), 0o700);
    drop(store);
    // A state file left readable by an older version is made private when next opened.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = peoplectl::sync::state::StateStore::open(&path, "tenant", "hr").unwrap();
    assert_eq!(store.setting("ingestRate").unwrap().as_deref(), Some("25"));
    assert_eq!(mode(&path), 0o600);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_file_others_can_read_is_made_private_before_it_is_used() {
    let env = support::env(SeedKind::Demo).await;
    let dirs = tempfile::tempdir().unwrap();
    let secret = dirs.path().join("secret");
    std::fs::write(&secret, env.emu.client_secret()).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let without_secret: Vec<_> = env
        .emu
        .env_lines()
        .into_iter()
        .filter(|(k, _)| k != "AZURE_CLIENT_SECRET")
        .collect();
    let add = command(
        dirs.path(),
        &[
            "config",
            "add",
            "lab",
            "--secret-file",
            secret.to_str().unwrap(),
        ],
        &without_secret,
    )
    .output()
    .unwrap();
    assert_eq!(add.status.code(), Some(0), "{}", stderr(&add));
    assert_eq!(mode(&secret), 0o600);
    assert!(
        stderr(&add).contains(&format!(
            "{} could be read by other users (mode 644); peoplectl made it private (mode 600)",
            secret.display()
        )),
        "{}",
        stderr(&add)
    );
    // Loosened again, it is fixed again when sign-in reads it, and the command works.
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = command(dirs.path(), &["connections", "list", "-o", "json"], &[])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(mode(&secret), 0o600);
    assert!(!stderr(&out).contains(env.emu.client_secret()));
}

// ---------------------------------------------------------------------------------------------
// Ids

#[tokio::test(flavor = "multi_thread")]
async fn ids_no_graph_key_can_be_are_refused_before_any_request() {
    let env = support::env(SeedKind::Demo).await;
    let dirs = tempfile::tempdir().unwrap();
    let emulator = env.emu.env_lines();
    let dot_step = "cannot be a Graph key: '.' and '..' are path steps in a URL, not names";
    let cases: [(&[&str], String); 11] = [
        (&["profile", "show", "."], format!("user \".\" {dot_step}")),
        (&["profile", "show", ".."], format!("user \"..\" {dot_step}")),
        (
            &["profile", "show", "alex"],
            "\"alex\" is neither a user principal name (name@domain) nor an object id (a GUID)"
                .into(),
        ),
        (
            &["connections", "show", ".."],
            "connection id \"..\" is 2 characters long; it must be 3 to 32".into(),
        ),
        (
            &["connections", "delete", "a/b/c"],
            "connection id \"a/b/c\" contains '/'; only letters A-Z, a-z and digits 0-9 are allowed"
                .into(),
        ),
        (&["sources", "remove", ".."], format!("source id \"..\" {dot_step}")),
        (
            &["sources", "register", "..", "--web-url", "https://hr.example"],
            "connection id \"..\" is 2 characters long; it must be 3 to 32".into(),
        ),
        (&["precedence", "move", "%2e%2E", "--up"], format!("source id \"%2e%2E\" {dot_step}")),
        (
            &["precedence", "set", "contosohr,.."],
            format!("source id \"..\" {dot_step}"),
        ),
        (&["remove", ".", "--yes"], format!("source id \".\" {dot_step}")),
        (
            &["sync", "..", "--input", "x.csv"],
            "connection id \"..\" is 2 characters long; it must be 3 to 32".into(),
        ),
    ];
    for (args, message) in cases {
        let out = command(dirs.path(), args, &emulator).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), format!("peoplectl: {message}\n"), "{args:?}");
    }
    let control = command(
        dirs.path(),
        &["sources", "remove", "hr\u{1b}]52;c;eA==\u{7}"],
        &emulator,
    )
    .output()
    .unwrap();
    assert_eq!(control.status.code(), Some(2));
    assert!(!stderr(&control).contains('\u{1b}'), "{}", stderr(&control));
    // Not one request, not even for a token.
    assert_eq!(env.emu.faults().counters().total().requests, 0);
    // The counter does count: a good id makes requests.
    let out = command(
        dirs.path(),
        &["connections", "show", "contosohr"],
        &emulator,
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(env.emu.faults().counters().total().requests > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn precedence_set_never_drops_an_entry_it_cannot_name_without_saying_so() {
    let env = support::env(SeedKind::Demo).await;
    let dirs = tempfile::tempdir().unwrap();
    let emulator = env.emu.env_lines();
    let setting = peoplectl::ops::snapshot::read_precedence(&env.client)
        .await
        .unwrap()
        .unwrap();
    let mut urls = setting.list.to_strings();
    let odd = "https://hr.example/not-a-source-url";
    urls.insert(1, odd.to_owned());
    env.client
        .update_precedence(&setting.id, &urls)
        .await
        .unwrap();
    let entra = "4ce763dd-9214-4eff-af7c-da491cc3782d";
    let ids = format!("{entra},contosohr");

    // No terminal to ask on: refused, nothing written, the entry named with its rank.
    let out = command(dirs.path(), &["precedence", "set", &ids], &emulator)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "peoplectl: This drops 1 entry from the precedence list that no source id can name:\n  \
             rank 2: \"{odd}\"\nNothing was written. `peoplectl precedence move` reorders \
             without dropping them; pass --yes to drop them.\n"
        )
    );
    assert_eq!(support::lists(&env.emu).precedence, urls);

    // A dry run says so and writes nothing.
    let out = command(
        dirs.path(),
        &["precedence", "set", &ids, "--dry-run"],
        &emulator,
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("rank 2: \"{odd}\"")),
        "{}",
        stderr(&out)
    );
    assert_eq!(support::lists(&env.emu).precedence, urls);

    // --yes drops it, having said so.
    let out = command(
        dirs.path(),
        &["precedence", "set", &ids, "--yes"],
        &emulator,
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("rank 2: \"{odd}\"")),
        "{}",
        stderr(&out)
    );
    let after = support::lists(&env.emu).precedence;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(!after.iter().any(|u| u == odd));
    assert!(
        after[0].contains(entra) && after[1].contains("contosohr"),
        "{after:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The emulator off loopback

/// Starts `peoplectl emulator --bind ADDR`, waits for its settings on stdout (a blank line
/// ends them), stops it and returns what it wrote on stderr.
fn emulator_stderr(bind: &str) -> String {
    let dirs = tempfile::tempdir().unwrap();
    let mut child = command(dirs.path(), &["emulator", "--bind", bind], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the emulator stopped early"
        );
        if line.trim().is_empty() {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    err
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_warns_when_others_can_reach_it() {
    let exposed = tokio::task::spawn_blocking(|| emulator_stderr("0.0.0.0:0"))
        .await
        .unwrap();
    let warning = exposed
        .lines()
        .find(|l| l.starts_with("WARNING: the emulator listens on 0.0.0.0:"))
        .unwrap_or_else(|| panic!("no warning in: {exposed}"));
    assert!(
        warning.contains("which is not a loopback address"),
        "{warning}"
    );
    assert!(
        warning.contains("on any address of this machine can sign in with the AZURE_CLIENT_SECRET printed on stdout"),
        "{warning}"
    );
    let quiet = tokio::task::spawn_blocking(|| emulator_stderr("127.0.0.1:0"))
        .await
        .unwrap();
    assert!(!quiet.contains("WARNING"), "{quiet}");
}

// ---------------------------------------------------------------------------------------------
// A panic, if one ever happens

#[tokio::test(flavor = "multi_thread")]
async fn a_panic_is_plain_text_when_stderr_is_not_a_terminal() {
    let dirs = tempfile::tempdir().unwrap();
    let mut cmd = command(dirs.path(), &["doctor"], &[]);
    cmd.env("PEOPLECTL_DEBUG_PANIC", "1")
        .env("RUST_BACKTRACE", "1");
    let (out, _) = timed(cmd).await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(101), "{text}");
    assert!(
        text.starts_with("The application panicked (crashed).\n"),
        "{text}"
    );
    assert!(
        text.contains("Message:  panic requested by PEOPLECTL_DEBUG_PANIC (debug builds only)"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "escape sequences in: {text:?}");
    // And the trigger is nowhere in the help.
    let help = command(dirs.path(), &["--help"], &[]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--timeout") && help.contains("--deadline"),
        "{help}"
    );
    assert!(!help.to_lowercase().contains("panic"), "{help}");
}
