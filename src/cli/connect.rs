//! Connection settings (flag > environment > context) and building a Graph client from them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use clap::{Args, ValueEnum};

use crate::config::{ConfigFile, Context, Dirs};
use crate::graph::client::is_loopback_url;
use crate::graph::timeouts::{parse_seconds, seconds};
use crate::graph::{GraphClient, Timeouts, TransportOptions, build_http_client};

/// How to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthKind {
    /// App-only, with a client secret (`AZURE_CLIENT_SECRET` or the context's secret file).
    Secret,
    /// App-only, with a certificate (`AZURE_CLIENT_CERTIFICATE_PATH`, PEM).
    Certificate,
    /// Delegated: you sign in in a browser with a code (works over SSH).
    DeviceCode,
    /// Delegated: the Azure CLI's signed-in account (`az login`).
    AzureCli,
    /// App-only: the managed identity of the Azure VM or service this runs on.
    ManagedIdentity,
}

impl AuthKind {
    fn parse(text: &str) -> Option<Self> {
        <Self as ValueEnum>::from_str(text, true).ok()
    }
}

/// Flags that say which tenant and Graph to talk to. Each also reads its environment variable;
/// what neither gives comes from the config context.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// Named context from the config file (default: its current context).
    #[arg(long, env = "PEOPLECTL_CONTEXT", global = true)]
    pub context: Option<String>,
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
    /// Seconds one request to Graph may go unanswered before it is retried or given up
    /// (default 30).
    #[arg(long, env = "PEOPLECTL_TIMEOUT", value_name = "SECS", value_parser = parse_seconds, global = true)]
    pub timeout: Option<Duration>,
    /// Seconds one Graph call may take, retries and waits included (default 120). A sync is
    /// not bounded by it as a whole: each of its calls is.
    #[arg(long, env = "PEOPLECTL_DEADLINE", value_name = "SECS", value_parser = parse_seconds, global = true)]
    pub deadline: Option<Duration>,
    /// Seconds to set up a connection to Graph (default 10, never more than --timeout).
    #[arg(long, env = "PEOPLECTL_CONNECT_TIMEOUT", value_name = "SECS", value_parser = parse_seconds, global = true)]
    pub connect_timeout: Option<Duration>,
}

/// Settings resolved to what a client needs.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The context the settings came from, if any.
    pub context: Option<String>,
    pub tenant_id: String,
    pub client_id: String,
    pub auth: AuthKind,
    pub graph_url: String,
    pub authority_url: String,
    pub ca_cert_pem: Option<Vec<u8>>,
    pub secret_file: Option<PathBuf>,
    pub certificate: Option<PathBuf>,
    /// Where a delegated sign-in keeps its refresh token.
    pub token_cache: PathBuf,
    /// How long Graph calls may wait.
    pub timeouts: Timeouts,
}

/// A connection problem the admin can fix, phrased as what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(pub String);

impl ConnectionArgs {
    /// Resolves flag > environment > context into settings. Secrets are read later, and only
    /// from the environment or a secret file, never from a flag.
    pub fn resolve(&self, dirs: &Dirs) -> Result<Resolved, ConnectError> {
        let file =
            ConfigFile::load(&dirs.config_file()).map_err(|e| ConnectError(e.to_string()))?;
        let (context_name, ctx) = match file.context(self.context.as_deref()) {
            Ok(Some((name, ctx))) => (Some(name.to_owned()), ctx.clone()),
            Ok(None) => (None, Context::default()),
            Err(e) => return Err(ConnectError(e.to_string())),
        };
        let tenant_id = self.tenant.clone().or(ctx.tenant.clone()).ok_or_else(|| {
            ConnectError(
                "no tenant: pass --tenant, set AZURE_TENANT_ID, or add a context with `peoplectl config add` (or try `peoplectl --demo`)".into(),
            )
        })?;
        let auth = match (self.auth, ctx.auth.as_deref()) {
            (Some(a), _) => a,
            (None, Some(text)) => AuthKind::parse(text).ok_or_else(|| {
                ConnectError(format!(
                    "context '{}': auth '{text}' is not one of secret, certificate, device-code, azure-cli, managed-identity",
                    context_name.as_deref().unwrap_or_default()
                ))
            })?,
            (None, None) => AuthKind::Secret,
        };
        let client_id = match self.client_id.clone().or(ctx.client_id.clone()) {
            Some(id) => id,
            // These sign in as the CLI's account or the machine's identity: no app id needed.
            None if matches!(auth, AuthKind::AzureCli | AuthKind::ManagedIdentity) => String::new(),
            None => {
                return Err(ConnectError(
                    "no app registration: pass --client-id, set AZURE_CLIENT_ID, or put client-id in the context".into(),
                ));
            }
        };
        let ca_cert = self.ca_cert.clone().or(ctx.ca_cert.clone());
        let ca_cert_pem = match &ca_cert {
            // A CA bundle is a few hundred KiB at most.
            Some(path) => Some(
                crate::files::read_regular(path, 4 * 1024 * 1024)
                    .map_err(|e| ConnectError(format!("CA certificate: {e}")))?,
            ),
            None => None,
        };
        let cache_name = context_name.clone().unwrap_or_else(|| {
            tenant_id.replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '.',
                "_",
            )
        });
        let timeouts = self.timeouts(Some(&ctx), context_name.as_deref())?;
        Ok(Resolved {
            timeouts,
            token_cache: dirs.data.join("tokens").join(format!("{cache_name}.json")),
            context: context_name,
            tenant_id,
            client_id,
            auth,
            graph_url: self
                .graph_url
                .clone()
                .or(ctx.graph_url.clone())
                .unwrap_or_else(|| "https://graph.microsoft.com".into()),
            authority_url: self
                .authority_url
                .clone()
                .or(ctx.authority_url.clone())
                .unwrap_or_else(|| crate::auth::DEFAULT_AUTHORITY.into()),
            ca_cert_pem,
            secret_file: ctx.secret_file.clone(),
            certificate: std::env::var_os("AZURE_CLIENT_CERTIFICATE_PATH")
                .map(PathBuf::from)
                .or(ctx.certificate.clone()),
        })
    }
}

impl ConnectionArgs {
    /// Timeouts from flag > environment > context > default. A context's value that is not a
    /// number of seconds we accept is an error naming the context and key.
    pub fn timeouts(
        &self,
        ctx: Option<&Context>,
        context_name: Option<&str>,
    ) -> Result<Timeouts, ConnectError> {
        let from_context = |key: &str,
                            value: Option<f64>|
         -> Result<Option<Duration>, ConnectError> {
            value
                .map(|secs| {
                    seconds(secs).ok_or_else(|| {
                        ConnectError(format!(
                            "context '{}': {key} = {secs} is not a number of seconds from more than 0 to {}",
                            context_name.unwrap_or_default(),
                            crate::graph::timeouts::MAX_SECONDS
                        ))
                    })
                })
                .transpose()
        };
        let defaults = Timeouts::default();
        Ok(Timeouts {
            request: match self.timeout {
                Some(t) => t,
                None => from_context("timeout", ctx.and_then(|c| c.timeout))?
                    .unwrap_or(defaults.request),
            },
            deadline: match self.deadline {
                Some(t) => t,
                None => from_context("deadline", ctx.and_then(|c| c.deadline))?
                    .unwrap_or(defaults.deadline),
            },
            connect: match self.connect_timeout {
                Some(t) => t,
                None => from_context("connect-timeout", ctx.and_then(|c| c.connect_timeout))?
                    .unwrap_or(defaults.connect),
            },
        })
    }
}

/// How a credential may interact with the person at the terminal.
#[derive(Clone)]
pub enum Interaction {
    /// Device-code prompts go to this sink.
    Prompt(crate::auth::device_code::PromptSink),
    /// Never prompt: use a cached sign-in or fail.
    Never,
}

impl Resolved {
    /// The HTTPS transport shared by sign-in and Graph calls.
    pub fn http(&self) -> Result<reqwest::Client, ConnectError> {
        build_http_client(&TransportOptions {
            ca_cert_pem: self.ca_cert_pem.clone(),
            no_proxy: is_loopback_url(&self.graph_url) && is_loopback_url(&self.authority_url),
            timeout: Some(self.timeouts.request),
            connect_timeout: Some(self.timeouts.connect),
        })
        .map_err(|e| ConnectError(e.to_string()))
    }

    /// The credential these settings name.
    pub fn credential(
        &self,
        http: &reqwest::Client,
        interaction: Interaction,
    ) -> Result<Arc<dyn TokenCredential>, ConnectError> {
        let err = |e: crate::auth::AuthError| ConnectError(e.to_string());
        match self.auth {
            AuthKind::Secret => {
                let secret = self.secret()?;
                crate::auth::client_secret_credential(
                    &self.tenant_id,
                    &self.client_id,
                    secret,
                    &self.authority_url,
                    http.clone(),
                )
                .map_err(err)
            }
            AuthKind::Certificate => {
                let path = self.certificate.clone().ok_or_else(|| {
                    ConnectError(
                        "certificate sign-in needs AZURE_CLIENT_CERTIFICATE_PATH or `certificate` in the context".into(),
                    )
                })?;
                ensure_private(&path)?;
                crate::auth::certificate::certificate_credential(
                    &self.tenant_id,
                    &self.client_id,
                    &path,
                    &self.authority_url,
                    http.clone(),
                )
                .map_err(err)
            }
            AuthKind::DeviceCode => {
                let prompt = match interaction {
                    Interaction::Prompt(sink) => Some(sink),
                    Interaction::Never => None,
                };
                Ok(Arc::new(
                    crate::auth::device_code::DeviceCodeCredential::new(
                        http.clone(),
                        &self.authority_url,
                        &self.tenant_id,
                        &self.client_id,
                        prompt,
                        Some(crate::auth::device_code::TokenCache {
                            path: self.token_cache.clone(),
                        }),
                    ),
                ))
            }
            AuthKind::AzureCli => crate::auth::azure_cli_credential(&self.tenant_id).map_err(err),
            AuthKind::ManagedIdentity => crate::auth::managed_identity_credential(
                (!self.client_id.is_empty()).then_some(self.client_id.as_str()),
            )
            .map_err(err),
        }
    }

    /// The client secret: `AZURE_CLIENT_SECRET`, else the context's secret file.
    fn secret(&self) -> Result<String, ConnectError> {
        if let Ok(secret) = std::env::var("AZURE_CLIENT_SECRET") {
            return Ok(secret);
        }
        if let Some(path) = &self.secret_file {
            ensure_private(path)?;
            let text = crate::files::read_regular_text(path, 64 * 1024)
                .map_err(|e| ConnectError(format!("secret file: {e}")))?;
            return Ok(text.trim().to_owned());
        }
        Err(ConnectError(
            "client secret sign-in needs AZURE_CLIENT_SECRET in the environment or `secret-file` in the context (a secret is never taken from a flag)".into(),
        ))
    }

    /// Builds the Graph client.
    pub fn client(&self, interaction: Interaction) -> Result<GraphClient, ConnectError> {
        let http = self.http()?;
        let credential = self.credential(&http, interaction)?;
        GraphClient::new(http, &self.graph_url, credential)
            .map(|c| c.with_timeouts(self.timeouts))
            .map_err(|e| ConnectError(e.to_string()))
    }
}

/// A secret or key file must be private: tightened when ours, refused when not.
fn ensure_private(path: &std::path::Path) -> Result<(), ConnectError> {
    crate::files::ensure_private(path).map_err(|e| ConnectError(e.to_string()))
}

/// Starts the in-process emulator with the demo tenant and a client signed in to it, through
/// the same TLS and client-secret path as a real tenant.
pub async fn demo_client(
    timeouts: Timeouts,
) -> Result<(GraphClient, crate::emulator::EmulatorHandle), ConnectError> {
    let config = crate::emulator::EmulatorConfig {
        seed: crate::emulator::SeedKind::Demo,
        // Synced data shows on profiles a few seconds later, as it does (much later) on Graph.
        propagation_delay_ms: crate::emulator::DEMO_PROPAGATION_DELAY_MS,
        deleted_connection_linger_ms: crate::emulator::DEMO_PROPAGATION_DELAY_MS,
        ..crate::emulator::EmulatorConfig::default()
    };
    let handle = crate::emulator::start(config)
        .await
        .map_err(|e| ConnectError(format!("could not start the demo emulator: {e}")))?;
    let client = client_for_emulator(&handle)?.with_timeouts(timeouts);
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
        connect_timeout: None,
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
