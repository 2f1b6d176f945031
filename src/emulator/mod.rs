//! A faithful local Microsoft Graph for the people-connector endpoints, over TLS.
//!
//! It serves `/v1.0` and `/beta` (external connections, schema operations, items, profile
//! sources, precedence settings, users, the beta profile API, `$batch`) and the identity
//! endpoints (`/{tenant}/oauth2/v2.0/token`, `/devicecode`, a `/devicelogin` page), with Graph's
//! paths, status codes, headers and error bodies. Start it with [`start`] (tests, `--demo`) or
//! [`run`] (`peoplectl emulator`).

mod clock;
mod config;
mod directory;
mod errors;
mod faults;
mod identity;
mod inspect;
mod model;
mod odata;
mod profile;
mod routes;
mod seed;
mod server;
mod service;
mod state;
mod tls;

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;

pub use clock::Clock;
pub use config::{DEMO_PROPAGATION_DELAY_MS, EmulatorArgs, EmulatorConfig, SeedKind};
pub use errors::EmulatorError;
pub use faults::{CounterSnapshot, FaultAction, FaultRule, Faults, RouteClass, RouteCounters};
pub use inspect::{ConnectionInfo, Inspector, SettingInfo, SourceInfo, TenantMoment};

use directory::Directory;
use server::{EmulatorService, MakeEmulatorService};
use service::Emulator;

/// A running emulator. Dropping it stops the server too; [`EmulatorHandle::shutdown`] waits.
pub struct EmulatorHandle {
    app: Arc<Emulator>,
    addr: SocketAddr,
    server: axum_server::Handle<SocketAddr>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    ca_pem: String,
    ca_path: PathBuf,
    /// Holds ca.pem when no cert dir was given; removed on drop.
    _temp_dir: Option<tls::TempDir>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("EmulatorHandle")
            .field("graph_url", &self.graph_url())
            .field("tenant_id", &self.tenant_id())
            .finish_non_exhaustive()
    }
}

fn host_for(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() || v4.is_loopback() => "127.0.0.1".to_owned(),
        IpAddr::V6(v6) if v6.is_unspecified() || v6.is_loopback() => "[::1]".to_owned(),
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// Starts an emulator on `config.bind` and returns once it accepts connections.
pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, EmulatorError> {
    config.validate()?;
    // Two crypto providers in the tree panic at first use unless one is installed; a second
    // install (tests, `--demo` after main) fails harmlessly.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();

    let bind_addr = config.bind;
    let bind_error = move |source| EmulatorError::Bind {
        addr: bind_addr,
        source,
    };
    let listener = std::net::TcpListener::bind(config.bind).map_err(bind_error)?;
    // axum-server hands the socket to tokio, which needs it non-blocking.
    listener.set_nonblocking(true).map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    let root = format!("https://{}:{}", host_for(addr.ip()), addr.port());

    let material = tls::generate(Some(addr.ip()))?;
    let (temp_dir, ca_path) = if let Some(dir) = &config.cert_dir {
        (None, tls::write_files(&material, dir)?)
    } else {
        let temp = tls::TempDir::new()?;
        let path = tls::write_files(&material, temp.path())?;
        (Some(temp), path)
    };

    let raw = seed::load(config.seed)?;
    let directory = Directory::new(
        raw.users.clone(),
        config.extra_users,
        &raw.tenant.domain,
        &raw.tenant.display_name,
    );
    let tenant = raw.tenant.clone();
    let state = seed::build_state(raw, &directory)?;
    let mut certificates = Vec::new();
    for path in &config.app_certificates {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| EmulatorError::AppCertificate(format!("{}: {e}", path.display())))?;
        certificates.push(
            identity::AppCertificate::from_pem(&pem)
                .map_err(|e| EmulatorError::AppCertificate(format!("{}: {e}", path.display())))?,
        );
    }
    let app = Arc::new(Emulator::new(config, root, tenant, directory, state));
    app.certificates
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .extend(certificates);

    let rustls = RustlsConfig::from_der(
        vec![material.server_cert_der.clone(), material.ca_der.clone()],
        material.server_key_der.clone(),
    )
    .await
    .map_err(|e| EmulatorError::Certificate(e.to_string()))?;
    let server_handle = axum_server::Handle::new();
    let server = axum_server::from_tcp_rustls(listener, rustls)
        .map_err(bind_error)?
        .handle(server_handle.clone());
    let service = MakeEmulatorService(EmulatorService::new(app.clone()));
    let task = tokio::spawn(async move { server.serve(service).await });
    if server_handle.listening().await.is_none() {
        let error = match task.await {
            Ok(Err(e)) => e,
            _ => std::io::Error::other("the server stopped before listening"),
        };
        return Err(EmulatorError::Serve(error));
    }
    tracing::info!(url = %app.root, tenant = %app.tenant.id, "Graph emulator listening");
    Ok(EmulatorHandle {
        app,
        addr,
        server: server_handle,
        task: Some(task),
        ca_pem: material.ca_pem,
        ca_path,
        _temp_dir: temp_dir,
    })
}

/// Quotes a value for a POSIX shell when it needs it.
fn shell_quote(value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+,=".contains(c));
    if safe {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

impl EmulatorHandle {
    /// The Graph root (`https://127.0.0.1:PORT`, no version segment).
    pub fn graph_url(&self) -> String {
        self.app.root.clone()
    }

    /// The authority root (the same server).
    pub fn authority_url(&self) -> String {
        self.app.root.clone()
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The tenant id.
    pub fn tenant_id(&self) -> &str {
        &self.app.tenant.id
    }

    /// The tenant's default domain.
    pub fn tenant_domain(&self) -> &str {
        &self.app.tenant.domain
    }

    /// The seeded app's client id.
    pub fn client_id(&self) -> &str {
        &self.app.tenant.app_client_id
    }

    /// This run's client secret (random per start).
    pub fn client_secret(&self) -> &str {
        &self.app.client_secret
    }

    /// The seed's admin (approves device codes with `--auto-approve-device-codes`).
    pub fn admin_upn(&self) -> &str {
        &self.app.tenant.admin_upn
    }

    /// The CA certificate to trust, PEM.
    pub fn ca_cert_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Where ca.pem was written (the cert dir, or a temp dir living as long as the handle).
    pub fn ca_cert_path(&self) -> &Path {
        &self.ca_path
    }

    /// The environment the CLI reads, in the order `peoplectl emulator` prints it.
    pub fn env_lines(&self) -> Vec<(String, String)> {
        vec![
            ("PEOPLECTL_GRAPH_URL".into(), self.graph_url()),
            ("PEOPLECTL_AUTHORITY_URL".into(), self.authority_url()),
            ("AZURE_TENANT_ID".into(), self.tenant_id().to_owned()),
            ("AZURE_CLIENT_ID".into(), self.client_id().to_owned()),
            (
                "AZURE_CLIENT_SECRET".into(),
                self.client_secret().to_owned(),
            ),
            (
                "PEOPLECTL_CA_CERT".into(),
                self.ca_path.to_string_lossy().into_owned(),
            ),
        ]
    }

    /// The `KEY=value` lines, quoted for `eval` in a POSIX shell.
    pub fn env_script(&self) -> String {
        self.env_lines()
            .iter()
            .fold(String::new(), |mut out, (k, v)| {
                out.push_str(k);
                out.push('=');
                out.push_str(&shell_quote(v));
                out.push('\n');
                out
            })
    }

    /// Runtime fault controls and counters.
    pub fn faults(&self) -> &Faults {
        &self.app.faults
    }

    /// Read-only state inspection.
    pub fn inspect(&self) -> Inspector {
        Inspector::new(self.app.clone())
    }

    /// Registers a certificate (PEM) as a credential of the seeded app, so certificate sign-in
    /// (an RS256 client assertion signed with its key) works.
    pub fn register_app_certificate(&self, pem: &str) -> Result<(), EmulatorError> {
        let cert =
            identity::AppCertificate::from_pem(pem).map_err(EmulatorError::AppCertificate)?;
        self.app
            .certificates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(cert);
        Ok(())
    }

    /// An app-only token with the seeded app's roles, valid for `lifetime_s` seconds (negative:
    /// already expired), without going through the token endpoint.
    pub fn mint_app_token(&self, lifetime_s: i64) -> String {
        self.app.mint_app_token(lifetime_s)
    }

    /// A delegated token for a user (id or UPN) with `scopes` in `scp`; `None` for an unknown user.
    pub fn mint_user_token(&self, user: &str, scopes: &[&str], lifetime_s: i64) -> Option<String> {
        let user = self.app.directory.find(user)?;
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        Some(self.app.mint_user_token(&user, &scopes, lifetime_s))
    }

    /// The emulator's clock, which tests move forward instead of waiting for tokens, device
    /// codes or schema operations to run their course.
    pub fn clock(&self) -> &Clock {
        &self.app.clock
    }

    /// Approves a pending device code as a user (what the /devicelogin page does).
    pub fn approve_device_code(&self, user_code: &str, user: &str) -> bool {
        let Some(user) = self.app.directory.find(user) else {
            return false;
        };
        let user_id = user.id.clone();
        self.app
            .auth_state()
            .decide(user_code, Some(user_id), self.app.clock.instant())
    }

    /// Declines a pending device code.
    pub fn decline_device_code(&self, user_code: &str) -> bool {
        self.app
            .auth_state()
            .decide(user_code, None, self.app.clock.instant())
    }

    /// Stops accepting, lets in-flight requests finish (up to a second), and waits.
    pub async fn shutdown(mut self) {
        self.server
            .graceful_shutdown(Some(std::time::Duration::from_secs(1)));
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if self.task.is_some() {
            self.server.shutdown();
        }
    }
}

/// `peoplectl emulator`: starts, prints the `KEY=value` lines and a blank line on stdout, and
/// serves until Ctrl-C.
pub async fn run(args: EmulatorArgs) -> Result<(), EmulatorError> {
    let handle = start(EmulatorConfig::from(args)).await?;
    if let Some(warning) = exposure_warning(handle.local_addr()) {
        eprintln!("{warning}");
    }
    {
        let mut stdout = std::io::stdout().lock();
        let print = |out: &mut std::io::StdoutLock<'_>| -> std::io::Result<()> {
            out.write_all(handle.env_script().as_bytes())?;
            out.write_all(b"\n")?;
            out.flush()
        };
        print(&mut stdout).map_err(EmulatorError::Serve)?;
    }
    tracing::info!("serving until interrupted (Ctrl-C)");
    tokio::signal::ctrl_c()
        .await
        .map_err(EmulatorError::Serve)?;
    tracing::info!("shutting down");
    handle.shutdown().await;
    Ok(())
}

/// What to tell the person who binds the emulator where others can reach it: its tokens are
/// real sign-ins to a tenant it serves, and the secret is printed on stdout.
pub fn exposure_warning(addr: SocketAddr) -> Option<String> {
    if addr.ip().is_loopback() {
        return None;
    }
    let who = if addr.ip().is_unspecified() {
        format!("port {} on any address of this machine", addr.port())
    } else {
        addr.to_string()
    };
    Some(format!(
        "WARNING: the emulator listens on {addr}, which is not a loopback address. Anyone who \
         can reach {who} can sign in with the AZURE_CLIENT_SECRET printed on stdout and read \
         or change the emulated tenant. Use --bind 127.0.0.1:PORT unless that is what you want."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn only_loopback_binds_are_quiet() {
        assert_eq!(
            exposure_warning(SocketAddr::from(([127, 0, 0, 1], 8443))),
            None
        );
        assert_eq!(exposure_warning("[::1]:8443".parse().unwrap()), None);
        let w = exposure_warning(SocketAddr::from(([0, 0, 0, 0], 8443))).unwrap();
        assert!(w.contains("0.0.0.0:8443"), "{w}");
        assert!(
            w.contains("can reach port 8443 on any address of this machine"),
            "{w}"
        );
        assert!(
            w.contains("can sign in with the AZURE_CLIENT_SECRET"),
            "{w}"
        );
        let w = exposure_warning(SocketAddr::from(([192, 168, 1, 5], 443))).unwrap();
        assert!(w.contains("192.168.1.5:443"), "{w}");
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(
            shell_quote("https://127.0.0.1:8443"),
            "https://127.0.0.1:8443"
        );
        assert_eq!(shell_quote("ab8Q~cd"), "'ab8Q~cd'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn hosts() {
        assert_eq!(host_for(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), "127.0.0.1");
        assert_eq!(host_for(IpAddr::V6(Ipv6Addr::LOCALHOST)), "[::1]");
    }
}
