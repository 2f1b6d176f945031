//! The config file: named contexts (tenants), the current one, and each connection's sync input.
//!
//! Read strictly through serde (unknown keys are errors that name the line), written through
//! `toml_edit` so the admin's comments and layout survive every `peoplectl config` change.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File name inside the config directory.
pub const CONFIG_FILE: &str = "config.toml";

/// Largest config file read: a few contexts take a few KiB.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// A config problem, naming the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    #[error("no context named '{0}' (see `peoplectl config list`)")]
    UnknownContext(String),
    #[error("context name '{0}' must be letters, digits, '-', '_' or '.'")]
    BadName(String),
    #[error(
        "no config or data directory could be found: set PEOPLECTL_CONFIG_DIR / PEOPLECTL_DATA_DIR"
    )]
    NoHome,
}

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// The context used when `--context` is not given.
    pub current_context: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, Context>,
}

/// One tenant: how to reach it and sign in. Secrets never live here.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Context {
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    /// `secret`, `certificate`, `device-code`, `azure-cli`, `managed-identity`.
    pub auth: Option<String>,
    pub graph_url: Option<String>,
    pub authority_url: Option<String>,
    /// Extra trusted root certificate (PEM).
    pub ca_cert: Option<PathBuf>,
    /// A file holding the client secret (must not be readable by others).
    pub secret_file: Option<PathBuf>,
    /// A PEM or PFX certificate for certificate sign-in.
    pub certificate: Option<PathBuf>,
    /// Seconds one request may go unanswered (`--timeout`).
    pub timeout: Option<f64>,
    /// Seconds one call may take with its retries (`--deadline`).
    pub deadline: Option<f64>,
    /// Seconds to set up a connection (`--connect-timeout`).
    pub connect_timeout: Option<f64>,
    /// Sync input per connection id, so "sync now" needs no arguments.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sync: BTreeMap<String, SyncInput>,
}

/// Where a connection's HR export and mapping live.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SyncInput {
    pub input: PathBuf,
    pub mapping: Option<PathBuf>,
}

/// The directories peoplectl reads and writes. Tests point them at temp dirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    pub config: PathBuf,
    pub data: PathBuf,
}

impl Dirs {
    /// `PEOPLECTL_CONFIG_DIR` / `PEOPLECTL_DATA_DIR`, else the XDG (or platform) directories.
    pub fn from_env() -> Result<Self, ConfigError> {
        let config = match std::env::var_os("PEOPLECTL_CONFIG_DIR") {
            Some(d) => PathBuf::from(d),
            None => dirs::config_dir()
                .ok_or(ConfigError::NoHome)?
                .join("peoplectl"),
        };
        let data = match std::env::var_os("PEOPLECTL_DATA_DIR") {
            Some(d) => PathBuf::from(d),
            None => dirs::data_dir()
                .ok_or(ConfigError::NoHome)?
                .join("peoplectl"),
        };
        Ok(Self { config, data })
    }

    /// The config file path.
    pub fn config_file(&self) -> PathBuf {
        self.config.join(CONFIG_FILE)
    }
}

/// The config file as loaded: the typed view plus the editable document.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    path: PathBuf,
    doc: toml_edit::DocumentMut,
    config: Config,
}

impl ConfigFile {
    /// Loads the file; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = match crate::files::read_regular_text(path, MAX_CONFIG_BYTES) {
            Ok(t) => t,
            Err(crate::files::FileError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                String::new()
            }
            Err(e) => return Err(ConfigError::File(e)),
        };
        Self::parse(path, &text)
    }

    fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            path: path.display().to_string(),
            reason,
        };
        let config: Config =
            toml::from_str(text).map_err(|e| invalid(describe_toml_error(text, &e)))?;
        for name in config.contexts.keys() {
            check_name(name)?;
        }
        let doc = text
            .parse::<toml_edit::DocumentMut>()
            .map_err(|e| invalid(e.to_string()))?;
        Ok(Self {
            path: path.to_owned(),
            doc,
            config,
        })
    }

    /// The typed config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The file this was read from and is written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The context `name`, or the current one when `name` is `None`. `Ok(None)` when no name
    /// was given and no current context is set.
    pub fn context(&self, name: Option<&str>) -> Result<Option<(&str, &Context)>, ConfigError> {
        let Some(name) = name.or(self.config.current_context.as_deref()) else {
            return Ok(None);
        };
        self.config
            .contexts
            .get_key_value(name)
            .map(|(k, v)| Some((k.as_str(), v)))
            .ok_or_else(|| ConfigError::UnknownContext(name.to_owned()))
    }

    /// Adds or replaces a context; the first one added becomes current.
    pub fn set_context(&mut self, name: &str, context: &Context) -> Result<(), ConfigError> {
        check_name(name)?;
        let value = toml_edit::ser::to_document(context).map_err(|e| ConfigError::Invalid {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        let contexts = self.contexts_table();
        contexts.insert(name, toml_edit::Item::Table(value.as_table().clone()));
        self.config
            .contexts
            .insert(name.to_owned(), context.clone());
        if self.config.current_context.is_none() {
            self.use_context(name)?;
        }
        Ok(())
    }

    /// Makes `name` the current context.
    pub fn use_context(&mut self, name: &str) -> Result<(), ConfigError> {
        if !self.config.contexts.contains_key(name) {
            return Err(ConfigError::UnknownContext(name.to_owned()));
        }
        self.doc["current-context"] = toml_edit::value(name);
        self.config.current_context = Some(name.to_owned());
        Ok(())
    }

    /// Removes a context; if it was current, no context is current afterwards.
    pub fn remove_context(&mut self, name: &str) -> Result<(), ConfigError> {
        if self.config.contexts.remove(name).is_none() {
            return Err(ConfigError::UnknownContext(name.to_owned()));
        }
        self.contexts_table().remove(name);
        if self.config.current_context.as_deref() == Some(name) {
            self.doc.remove("current-context");
            self.config.current_context = None;
        }
        Ok(())
    }

    /// Records which input and mapping a connection syncs from in a context.
    pub fn set_sync_input(
        &mut self,
        context: &str,
        connection_id: &str,
        input: &SyncInput,
    ) -> Result<(), ConfigError> {
        let mut ctx = self
            .config
            .contexts
            .get(context)
            .cloned()
            .ok_or_else(|| ConfigError::UnknownContext(context.to_owned()))?;
        ctx.sync.insert(connection_id.to_owned(), input.clone());
        let path = self.path.display().to_string();
        let value = toml_edit::ser::to_document(input).map_err(|e| ConfigError::Invalid {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let table = self.contexts_table();
        let entry = table
            .entry(context)
            .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
        let Some(ctx_table) = entry.as_table_mut() else {
            return Err(ConfigError::Invalid {
                path,
                reason: format!("contexts.{context} is not a table"),
            });
        };
        let sync = ctx_table
            .entry("sync")
            .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
        if let Some(sync) = sync.as_table_mut() {
            sync.set_implicit(true);
            sync.insert(
                connection_id,
                toml_edit::Item::Table(value.as_table().clone()),
            );
        }
        self.config.contexts.insert(context.to_owned(), ctx);
        Ok(())
    }

    fn contexts_table(&mut self) -> &mut toml_edit::Table {
        let item = self
            .doc
            .entry("contexts")
            .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
        if !item.is_table() {
            *item = toml_edit::Item::Table(toml_edit::Table::new());
        }
        let table = item
            .as_table_mut()
            .unwrap_or_else(|| unreachable!("just made a table"));
        table.set_implicit(true);
        table
    }

    /// Writes the file atomically (a private temp file, then a rename) in a private directory.
    pub fn save(&self) -> Result<(), ConfigError> {
        let tmp = crate::files::sibling(&self.path, ".tmp");
        crate::files::write_private(&tmp, self.doc.to_string().as_bytes())?;
        std::fs::rename(&tmp, &self.path).map_err(|source| ConfigError::Io {
            path: self.path.display().to_string(),
            source,
        })
    }
}

fn check_name(name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ConfigError::BadName(name.to_owned()))
    }
}

/// A TOML error as "line N: message", which is what an admin editing the file needs.
pub fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let mut out = String::new();
    if let Some(span) = e.span() {
        let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
        let _ = write!(out, "line {line}: ");
    }
    out.push_str(e.message().trim());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> &'static str {
        "# my tenants\ncurrent-context = \"prod\"\n\n[contexts.prod]\n# the real one\ntenant = \"contoso.onmicrosoft.com\"\nclient-id = \"abc\"\n"
    }

    #[test]
    fn reads_contexts_and_current() {
        let f = ConfigFile::parse(Path::new("c.toml"), sample()).unwrap();
        let (name, ctx) = f.context(None).unwrap().unwrap();
        assert_eq!(name, "prod");
        assert_eq!(ctx.tenant.as_deref(), Some("contoso.onmicrosoft.com"));
        assert!(matches!(
            f.context(Some("nope")),
            Err(ConfigError::UnknownContext(n)) if n == "nope"
        ));
    }

    #[test]
    fn unknown_keys_are_errors_naming_file_and_line() {
        let text = "[contexts.prod]\ntenant = \"t\"\nclient_secret = \"s3cr3t\"\n";
        let err = ConfigFile::parse(Path::new("/etc/c.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("/etc/c.toml"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("client_secret"), "{err}");
        assert!(
            !err.contains("s3cr3t"),
            "the value must not be echoed: {err}"
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        let err = ConfigFile::parse(Path::new("c.toml"), "current-context = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn edits_keep_comments_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, sample()).unwrap();
        let mut f = ConfigFile::load(&path).unwrap();
        f.set_context(
            "lab",
            &Context {
                tenant: Some("lab-tenant".into()),
                ..Context::default()
            },
        )
        .unwrap();
        f.use_context("lab").unwrap();
        f.set_sync_input(
            "lab",
            "contosohr",
            &SyncInput {
                input: "/srv/hr.csv".into(),
                mapping: Some("/srv/map.toml".into()),
            },
        )
        .unwrap();
        f.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# my tenants"), "{text}");
        assert!(text.contains("# the real one"), "{text}");
        let again = ConfigFile::load(&path).unwrap();
        assert_eq!(again.config(), f.config());
        let (name, ctx) = again.context(None).unwrap().unwrap();
        assert_eq!(name, "lab");
        assert_eq!(ctx.sync["contosohr"].input, PathBuf::from("/srv/hr.csv"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let mut again = again;
        again.remove_context("lab").unwrap();
        assert_eq!(again.config().current_context, None);
        assert!(again.remove_context("lab").is_err());
    }

    #[test]
    fn missing_file_is_empty_config() {
        let dir = tempfile::tempdir().unwrap();
        let f = ConfigFile::load(&dir.path().join("none.toml")).unwrap();
        assert_eq!(f.config(), &Config::default());
        assert!(f.context(None).unwrap().is_none());
    }

    #[test]
    fn bad_context_names_are_refused() {
        let mut f = ConfigFile::parse(Path::new("c.toml"), "").unwrap();
        assert!(f.set_context("a b", &Context::default()).is_err());
        assert!(f.set_context("prod-2.eu", &Context::default()).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn the_config_directory_is_made_private_on_save() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("peoplectl").join("config.toml");
        let mut f = ConfigFile::load(&path).unwrap();
        f.set_context("lab", &Context::default()).unwrap();
        f.save().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&path), 0o600);
        assert!(!crate::files::sibling(&path, ".tmp").exists());
    }
}
