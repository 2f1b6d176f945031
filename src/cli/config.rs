//! `peoplectl config`: named contexts (tenants) like kubectl's — list, show, add, use, remove.

use std::path::PathBuf;

use clap::Subcommand;

use super::connect::ConnectionArgs;
use super::output::say;
use super::table::Table;
use super::{CliError, Exit, Printer};
use crate::config::{ConfigFile, Context, Dirs, secret_file_warning};

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// List contexts; the current one is marked.
    List,
    /// Add or replace a context from the connection flags (--tenant, --client-id, --auth,
    /// --graph-url, --authority-url, --ca-cert) and the environment. Secrets are not stored:
    /// name a secret file instead.
    Add {
        /// The context's name.
        name: String,
        /// A file holding the client secret (keep it chmod 600).
        #[arg(long)]
        secret_file: Option<PathBuf>,
        /// A PEM file with the certificate and its private key.
        #[arg(long)]
        certificate: Option<PathBuf>,
    },
    /// Make a context the current one.
    Use { name: String },
    /// Remove a context.
    Remove { name: String },
}

pub(super) fn run(
    args: &ConnectionArgs,
    dirs: &Dirs,
    printer: Printer,
    cmd: ConfigCmd,
) -> Result<Exit, CliError> {
    let path = dirs.config_file();
    let mut file = ConfigFile::load(&path).map_err(|e| CliError::Failed(e.to_string()))?;
    let fail = |e: crate::config::ConfigError| CliError::Usage(e.to_string());
    match cmd {
        ConfigCmd::List => {
            let current = file.config().current_context.clone();
            let rows: Vec<serde_json::Value> = file
                .config()
                .contexts
                .iter()
                .map(|(name, c)| {
                    serde_json::json!({
                        "name": name,
                        "current": current.as_deref() == Some(name.as_str()),
                        "tenant": c.tenant,
                        "clientId": c.client_id,
                        "auth": c.auth,
                        "graphUrl": c.graph_url,
                    })
                })
                .collect();
            printer.result(&rows, || {
                if rows.is_empty() {
                    return format!("No contexts yet ({}). Add one with `peoplectl config add NAME --tenant ... --client-id ...`.\n", path.display());
                }
                let mut t = Table::new(["", "NAME", "TENANT", "AUTH", "GRAPH"]);
                for (name, c) in &file.config().contexts {
                    t.row([
                        if current.as_deref() == Some(name.as_str()) { "*" } else { "" }.to_owned(),
                        name.clone(),
                        c.tenant.clone().unwrap_or_default(),
                        c.auth.clone().unwrap_or_else(|| "secret".into()),
                        c.graph_url.clone().unwrap_or_else(|| "https://graph.microsoft.com".into()),
                    ]);
                }
                Printer::table(&t)
            })?;
        }
        ConfigCmd::Add {
            name,
            secret_file,
            certificate,
        } => {
            for p in secret_file.iter().chain(certificate.iter()) {
                if let Some(w) = secret_file_warning(p) {
                    say!("warning: {w}");
                }
            }
            let existing = file
                .config()
                .contexts
                .get(&name)
                .cloned()
                .unwrap_or_default();
            let context = Context {
                tenant: args.tenant.clone().or(existing.tenant),
                client_id: args.client_id.clone().or(existing.client_id),
                auth: args
                    .auth
                    .map(|a| {
                        clap::ValueEnum::to_possible_value(&a)
                            .map_or_else(String::new, |v| v.get_name().to_owned())
                    })
                    .or(existing.auth),
                graph_url: args.graph_url.clone().or(existing.graph_url),
                authority_url: args.authority_url.clone().or(existing.authority_url),
                ca_cert: args.ca_cert.clone().or(existing.ca_cert),
                secret_file: secret_file.or(existing.secret_file),
                certificate: certificate.or(existing.certificate),
                sync: existing.sync,
            };
            if context.tenant.is_none() {
                return Err(CliError::Usage(
                    "a context needs --tenant (or AZURE_TENANT_ID)".into(),
                ));
            }
            file.set_context(&name, &context).map_err(fail)?;
            file.save().map_err(fail)?;
            printer.result(&serde_json::json!({"added": name, "file": path}), || {
                format!("Context '{name}' saved in {}.\n", path.display())
            })?;
        }
        ConfigCmd::Use { name } => {
            file.use_context(&name).map_err(fail)?;
            file.save().map_err(fail)?;
            printer.result(&serde_json::json!({"current": name}), || {
                format!("Current context: {name}.\n")
            })?;
        }
        ConfigCmd::Remove { name } => {
            file.remove_context(&name).map_err(fail)?;
            file.save().map_err(fail)?;
            printer.result(&serde_json::json!({"removed": name}), || {
                format!("Context '{name}' removed.\n")
            })?;
        }
    }
    Ok(Exit::Ok)
}
