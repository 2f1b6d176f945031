//! Connection settings (flag > environment > context) and building a Graph client from them.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::graph::client::is_loopback_url;
use crate::graph::{GraphClient, TransportOptions, build_http_client};

/// How to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthKind {
    /// App-only, with `AZURE_CLIENT_SECRET`.
    Secret,
}

/// Flags that say which tenant and Graph to talk to. Each also reads its environment variable.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// Tenant id (GUID or domain).
    #[arg(long, env = "AZURE_TENANT_ID", global = true)]
    pub tenant: Option<String>,
    /// Application (client) id of the app registration.
    #[arg(long, env = "AZURE_CLIENT_ID", global = true)]
    pub client_id: Option<String>,
    /// How to sign in.
    #[arg(long, value_enum, global = true)]
    pub auth: Option<AuthKind>,
    /// Graph root URL, without version.
    #[arg(long, env = "PEOPLECTL_GRAPH_URL", global = true)]
    pub graph_url: Option<String>,
    /// Identity platform URL.
    #[arg(long, env = "PEOPLECTL_AUTHORITY_URL", global = true)]
    pub authority_url: Option<String>,
    /// Extra trusted root certificate (PEM): the emulator's CA or a TLS-inspecting proxy's.
    #[arg(long, env = "PEOPLECTL_CA_CERT", global = true)]
    pub ca_cert: Option<PathBuf>,
}

/// Settings resolved to what a client needs.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub tenant_id: String,
    pub client_id: String,
    pub auth: AuthKind,
    pub graph_url: String,
    pub authority_url: String,
    pub ca_cert_pem: Option<Vec<u8>>,
}

/// A connection problem the admin can fix, phrased as what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(pub String);

impl ConnectionArgs {
    /// Resolves flags and environment into settings; the secret is read separately and only
    /// from the environment, never from a flag.
    pub fn resolve(&self) -> Result<Resolved, ConnectError> {
        let tenant_id = self.tenant.clone().ok_or_else(|| {
            ConnectError(
                "no tenant: pass --tenant or set AZURE_TENANT_ID (or try `peoplectl --demo`)"
                    .into(),
            )
        })?;
        let client_id = self.client_id.clone().ok_or_else(|| {
            ConnectError("no app registration: pass --client-id or set AZURE_CLIENT_ID".into())
        })?;
        let ca_cert_pem = match &self.ca_cert {
            Some(path) => Some(
                std::fs::read(path)
                    .map_err(|e| ConnectError(format!("CA certificate {}: {e}", path.display())))?,
            ),
            None => None,
        };
        Ok(Resolved {
            tenant_id,
            client_id,
            auth: self.auth.unwrap_or(AuthKind::Secret),
            graph_url: self
                .graph_url
                .clone()
                .unwrap_or_else(|| "https://graph.microsoft.com".into()),
            authority_url: self
                .authority_url
                .clone()
                .unwrap_or_else(|| crate::auth::DEFAULT_AUTHORITY.into()),
            ca_cert_pem,
        })
    }
}

impl Resolved {
    /// Builds the Graph client: one HTTPS transport for sign-in and Graph calls alike.
    pub fn client(&self) -> Result<GraphClient, ConnectError> {
        let http = build_http_client(&TransportOptions {
            ca_cert_pem: self.ca_cert_pem.clone(),
            no_proxy: is_loopback_url(&self.graph_url) && is_loopback_url(&self.authority_url),
            timeout: None,
        })
        .map_err(|e| ConnectError(e.to_string()))?;
        let credential = match self.auth {
            AuthKind::Secret => {
                let secret = std::env::var("AZURE_CLIENT_SECRET").map_err(|_| {
                    ConnectError(
                        "client secret sign-in needs AZURE_CLIENT_SECRET in the environment \
                         (it is never taken from a flag)"
                            .into(),
                    )
                })?;
                crate::auth::client_secret_credential(
                    &self.tenant_id,
                    &self.client_id,
                    secret,
                    &self.authority_url,
                    http.clone(),
                )
                .map_err(|e| ConnectError(e.to_string()))?
            }
        };
        GraphClient::new(http, &self.graph_url, credential).map_err(|e| ConnectError(e.to_string()))
    }
}

/// Starts the in-process emulator with the demo tenant and a client signed in to it, through
/// the same TLS and client-secret path as a real tenant.
pub async fn demo_client() -> Result<(GraphClient, crate::emulator::EmulatorHandle), ConnectError> {
    let config = crate::emulator::EmulatorConfig {
        seed: crate::emulator::SeedKind::Demo,
        ..crate::emulator::EmulatorConfig::default()
    };
    let handle = crate::emulator::start(config)
        .await
        .map_err(|e| ConnectError(format!("could not start the demo emulator: {e}")))?;
    let client = client_for_emulator(&handle)?;
    Ok((client, handle))
}

/// A client-secret client for an emulator handle (tests, benchmarks, `--demo`).
pub fn client_for_emulator(
    handle: &crate::emulator::EmulatorHandle,
) -> Result<GraphClient, ConnectError> {
    let http = build_http_client(&TransportOptions {
        ca_cert_pem: Some(handle.ca_cert_pem().as_bytes().to_vec()),
        no_proxy: true,
        timeout: None,
    })
    .map_err(|e| ConnectError(e.to_string()))?;
    let credential = crate::auth::client_secret_credential(
        handle.tenant_id(),
        handle.client_id(),
        handle.client_secret().to_owned(),
        &handle.authority_url(),
        http.clone(),
    )
    .map_err(|e| ConnectError(e.to_string()))?;
    GraphClient::new(http, &handle.graph_url(), credential).map_err(|e| ConnectError(e.to_string()))
}
