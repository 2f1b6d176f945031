//! Helpers for the sync tests and the sync benchmark: an in-process emulator with synthetic
//! users, a people connection on it, generated HR exports.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};

use peoplectl::emulator::{EmulatorConfig, EmulatorHandle, SeedKind, start};
use peoplectl::graph::connections::{ConnectionState, NewConnection, OperationStatus};
use peoplectl::graph::{ApiVersion, GraphClient, TransportOptions, build_http_client};
use peoplectl::people::entities::EntityKind;
use peoplectl::people::schema::{Contract, CustomProperty, PropertyType, build_schema};
use peoplectl::sync::SyncOptions;

/// A credential that hands out one fixed token (a delegated one the emulator minted).
#[derive(Debug)]
struct FixedToken(String);

#[async_trait::async_trait]
impl TokenCredential for FixedToken {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            self.0.clone(),
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

/// A client signed in as `upn` with `scopes` (what `auth login` gives, without the device
/// code), its token valid `lifetime_s` on the emulator's clock and never renewed.
pub fn delegated_client(
    emu: &EmulatorHandle,
    upn: &str,
    scopes: &[&str],
    lifetime_s: i64,
) -> GraphClient {
    let token = emu
        .mint_user_token(upn, scopes, lifetime_s)
        .expect("a delegated token");
    let http = build_http_client(&TransportOptions {
        ca_cert_pem: Some(emu.ca_cert_pem().as_bytes().to_vec()),
        no_proxy: true,
        timeout: None,
        connect_timeout: None,
    })
    .expect("an http client");
    GraphClient::new(http, &emu.graph_url(), Arc::new(FixedToken(token))).expect("a client")
}

pub struct Env {
    pub emu: EmulatorHandle,
    pub client: GraphClient,
    pub dir: tempfile::TempDir,
}

/// An empty tenant plus `users` synthetic users (`user000001@<domain>` ...), no ingest limit.
pub fn config(users: usize) -> EmulatorConfig {
    EmulatorConfig {
        seed: SeedKind::Empty,
        extra_users: users,
        ingest_rps: None,
        provisioning_delay_ms: 10,
        ..EmulatorConfig::default()
    }
}

pub async fn env_with(config: EmulatorConfig) -> Env {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let emu = start(config).await.expect("emulator starts");
    let client = peoplectl::cli::connect::client_for_emulator(&emu).expect("client");
    Env {
        emu,
        client,
        dir: tempfile::tempdir().expect("temp dir"),
    }
}

pub async fn env(users: usize) -> Env {
    env_with(config(users)).await
}

/// The synthetic user number `n` (1-based).
pub fn upn(env: &Env, n: usize) -> String {
    format!("user{n:06}@{}", env.emu.tenant_domain())
}

/// Creates a people connection under `contract` with position, emails, phones and skills
/// (and the given custom string properties) and waits until it is ready.
pub async fn people_connection(
    client: &GraphClient,
    id: &str,
    contract: Contract,
    custom: &[&str],
) {
    let kinds = [
        EntityKind::Account,
        EntityKind::CurrentPosition,
        EntityKind::Emails,
        EntityKind::Phones,
        EntityKind::Skills,
    ];
    let custom: Vec<CustomProperty> = custom
        .iter()
        .map(|name| CustomProperty {
            name: (*name).to_owned(),
            property_type: PropertyType::String,
            description: Some(format!("{name} from HR")),
        })
        .collect();
    let schema = build_schema(contract, &kinds, &custom).expect("schema");
    let wire = serde_json::to_value(&schema)
        .and_then(serde_json::from_value)
        .expect("wire schema");
    client
        .create_connection(&NewConnection {
            id: id.to_owned(),
            name: format!("{id} HR"),
            description: "sync tests".into(),
            content_category: (contract == Contract::Labels).then(|| "people".to_owned()),
        })
        .await
        .expect("create connection");
    let op = client.patch_schema(id, &wire).await.expect("patch schema");
    // Provisioning takes a few milliseconds in the test emulator: wait for the condition.
    for _ in 0..500 {
        let status = client.get_operation(&op).await.expect("operation").status;
        if status == OperationStatus::Completed {
            let c = client
                .get_connection(id, ApiVersion::V1)
                .await
                .expect("connection");
            if c.state == ConnectionState::Ready {
                return;
            }
        }
        assert_ne!(status, OperationStatus::Failed, "schema failed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("connection {id} never became ready");
}

/// A row of a generated export.
#[derive(Debug, Clone)]
pub struct Person {
    pub upn: String,
    pub title: String,
    pub department: String,
    pub skills: String,
}

/// People 1..=n of the tenant, with deterministic titles.
pub fn people(env: &Env, range: std::ops::RangeInclusive<usize>) -> Vec<Person> {
    range
        .map(|n| Person {
            upn: upn(env, n),
            title: format!("Engineer {}", n % 7),
            department: ["Research", "Sales", "Finance"][n % 3].to_owned(),
            skills: format!("Rust;Skill{}", n % 11),
        })
        .collect()
}

/// Writes people as CSV with the default mapping's column names.
pub fn write_csv(path: &Path, people: &[Person]) {
    let mut text = String::from("userPrincipalName,jobTitle,department,mail,skills\n");
    for p in people {
        let _ = writeln!(
            text,
            "{},{},{},{},{}",
            p.upn, p.title, p.department, p.upn, p.skills
        );
    }
    std::fs::write(path, text).expect("write csv");
}

/// One sync of `input` into `connection` with the default options, which must not fail.
pub async fn sync(env: &Env, connection: &str, input: &Path) -> peoplectl::sync::SyncReport {
    peoplectl::sync::run(
        &env.client,
        &options(env, connection, input),
        peoplectl::sync::EventSink::none(),
        peoplectl::sync::CancellationToken::new(),
    )
    .await
    .expect("sync runs")
}

/// Sync options for a connection with the input at `input`, state under the env's temp dir.
pub fn options(env: &Env, connection: &str, input: &Path) -> SyncOptions {
    SyncOptions::new(
        connection,
        env.emu.tenant_id(),
        "test",
        env.dir.path().join("data"),
        input,
    )
}

pub fn path(env: &Env, name: &str) -> PathBuf {
    env.dir.path().join(name)
}

/// Variables that let a child process reach the emulator as the app (the secret travels in
/// the child's environment only).
pub fn child_env(env: &Env) -> Vec<(&'static str, String)> {
    vec![
        (
            "SYNC_CHILD_CA",
            env.emu.ca_cert_path().display().to_string(),
        ),
        ("SYNC_CHILD_TENANT", env.emu.tenant_id().to_owned()),
        ("SYNC_CHILD_CLIENT_ID", env.emu.client_id().to_owned()),
        ("SYNC_CHILD_SECRET", env.emu.client_secret().to_owned()),
        ("SYNC_CHILD_AUTHORITY", env.emu.authority_url()),
        ("SYNC_CHILD_GRAPH", env.emu.graph_url()),
    ]
}

/// The client a child process builds from [`child_env`]; `None` when not a child.
pub fn child_client() -> Option<GraphClient> {
    let var = |k: &str| std::env::var(k).ok();
    let ca = var("SYNC_CHILD_CA")?;
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let http = peoplectl::graph::build_http_client(&peoplectl::graph::TransportOptions {
        ca_cert_pem: Some(std::fs::read(ca).expect("CA file")),
        no_proxy: true,
        timeout: None,
        connect_timeout: None,
    })
    .expect("http");
    let credential = peoplectl::auth::client_secret_credential(
        &var("SYNC_CHILD_TENANT")?,
        &var("SYNC_CHILD_CLIENT_ID")?,
        var("SYNC_CHILD_SECRET")?,
        &var("SYNC_CHILD_AUTHORITY")?,
        http.clone(),
    )
    .expect("credential");
    Some(GraphClient::new(http, &var("SYNC_CHILD_GRAPH")?, credential).expect("client"))
}
