//! Emulator configuration: the in-process `EmulatorConfig` and the `peoplectl emulator` flags.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Which tenant the emulator starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeedKind {
    /// The demo tenant of assets/demo/ (users, connections, sources, precedence).
    Demo,
    /// The app, one admin user, the built-in sources and the Entra-only precedence setting.
    Empty,
}

/// Everything the emulator can be started with. `Default` suits tests: loopback, port 0,
/// the empty seed and the documented defaults otherwise.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free port.
    pub bind: SocketAddr,
    /// The starting tenant.
    pub seed: SeedKind,
    /// Deterministic synthetic users added after the seed's (generated on access, not stored).
    pub extra_users: usize,
    /// Item writes per second per connection (token bucket); `None` = unlimited.
    pub ingest_rps: Option<f64>,
    /// Added latency on every request.
    pub latency_ms: u64,
    /// Uniform random extra latency in `0..=latency_jitter_ms`.
    pub latency_jitter_ms: u64,
    /// Probability (0..=1) that a request fails with a random 503 or 504.
    pub fault_rate: f64,
    /// Probability (0..=1) that a connection is closed without a response.
    pub drop_rate: f64,
    /// Where to write ca.pem, server.pem and server-key.pem; a temp dir when `None`.
    pub cert_dir: Option<PathBuf>,
    /// How long a schema operation stays `inprogress`.
    pub provisioning_delay_ms: u64,
    /// Lifetime of issued access tokens.
    pub token_lifetime_s: u64,
    /// Approve every device code at once as the seed's admin.
    pub auto_approve_device_codes: bool,
    /// The `interval` handed out with device codes (polls faster than it get `slow_down`).
    pub device_code_interval_s: u64,
    /// The `expires_in` of device codes.
    pub device_code_lifetime_s: u64,
    /// Largest accepted request body (external items); larger gets 413.
    pub max_item_bytes: usize,
    /// Serve evolvable-enum members past `unknownFutureValue` (person* labels, principal types)
    /// as `unknownFutureValue` unless the request says `Prefer: include-unknown-enum-members`
    /// (the documented evolvable-enum rule; whether Graph masks person* labels on GET schema is
    /// UNCONFIRMED, graph-api §0: on by default so clients learn to send the header).
    pub mask_evolvable_enums: bool,
    /// Refuse to DELETE a profile source still referenced by a precedence list (UNCONFIRMED
    /// behaviour; strict by default so that clients remove the URL first).
    pub refuse_delete_of_prioritized_source: bool,
    /// PEM certificates registered as credentials of the seeded app (certificate sign-in).
    pub app_certificates: Vec<PathBuf>,
    /// The default page size of every paged list (connections, profile sources, users, profile
    /// collections) when the request has no `$top`; `None` keeps Graph's defaults (everything
    /// in one page; 100 users). Tests set it small so that the client's paging of every list runs.
    pub page_size: Option<usize>,
    /// How long after Graph accepts an item write profiles show it (each item up to half as long
    /// again, by a jitter fixed per item id): the documented "up to 6 hours", scaled down. 0 in
    /// tests unless set; a few seconds in `--demo` and `peoplectl emulator`.
    pub propagation_delay_ms: u64,
    /// How long a deleted connection's data keeps showing on profiles (the documented "delays
    /// can be expected").
    pub deleted_connection_linger_ms: u64,
    /// How long `GET /external/connections` (and GET by id) still serve a deleted connection:
    /// Microsoft says a deleted connector is removed "but delays can be expected" and whether
    /// deletion is asynchronous on the API side is UNCONFIRMED (graph-api §1.3). 0 (gone at
    /// once) unless set.
    pub deleted_connection_listed_ms: u64,
}

/// The propagation delay of `--demo` and `peoplectl emulator`: long enough to see data pending,
/// short enough to watch it go live.
pub const DEMO_PROPAGATION_DELAY_MS: u64 = 5_000;

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            seed: SeedKind::Empty,
            extra_users: 0,
            ingest_rps: Some(25.0),
            latency_ms: 0,
            latency_jitter_ms: 0,
            fault_rate: 0.0,
            drop_rate: 0.0,
            cert_dir: None,
            provisioning_delay_ms: 3000,
            token_lifetime_s: 3600,
            auto_approve_device_codes: false,
            device_code_interval_s: 5,
            device_code_lifetime_s: 900,
            max_item_bytes: 4 * 1024 * 1024,
            mask_evolvable_enums: true,
            refuse_delete_of_prioritized_source: true,
            app_certificates: Vec::new(),
            page_size: None,
            propagation_delay_ms: 0,
            deleted_connection_linger_ms: 0,
            deleted_connection_listed_ms: 0,
        }
    }
}

/// `peoplectl emulator` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port. Loopback by default: any other address
    /// is warned about, since whoever reaches it can sign in with the printed secret.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub bind: SocketAddr,
    /// Starting tenant.
    #[arg(long, value_enum, default_value_t = SeedKind::Demo)]
    pub seed: SeedKind,
    /// Add N deterministic synthetic users (for benchmarks at 100k+).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub users: usize,
    /// Item writes per second per connection before 429 (0 = unlimited).
    #[arg(long, default_value_t = 25.0, value_name = "N")]
    pub ingest_rps: f64,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub latency_ms: u64,
    /// Probability (0..1) of a random 503/504 per request.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub fault_rate: f64,
    /// Write ca.pem (and the server certificate and key) to this directory.
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// How long schema operations stay in progress, in milliseconds.
    #[arg(long, default_value_t = 3000, value_name = "MS")]
    pub provisioning_delay_ms: u64,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 3600, value_name = "S")]
    pub token_lifetime_s: u64,
    /// Approve every device code at once as the seed's admin user.
    #[arg(long)]
    pub auto_approve_device_codes: bool,
    /// Register this certificate (PEM) as a credential of the app, for certificate sign-in
    /// (repeatable).
    #[arg(long, value_name = "FILE")]
    pub app_certificate: Vec<PathBuf>,
    /// Page size of every paged list when a request has no `$top` (default: Graph's, which
    /// is everything in one page for connections and sources, 100 users).
    #[arg(long, value_name = "N")]
    pub page_size: Option<usize>,
    /// How long after an item write profiles show it (per item up to half as long again).
    #[arg(long, default_value_t = DEMO_PROPAGATION_DELAY_MS, value_name = "MS")]
    pub propagation_delay_ms: u64,
    /// How long a deleted connection's data keeps showing on profiles.
    #[arg(long, default_value_t = DEMO_PROPAGATION_DELAY_MS, value_name = "MS")]
    pub deletion_linger_ms: u64,
    /// How long the connections list still shows a deleted connection.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub deletion_listed_ms: u64,
}

impl From<EmulatorArgs> for EmulatorConfig {
    fn from(args: EmulatorArgs) -> Self {
        Self {
            bind: args.bind,
            seed: args.seed,
            extra_users: args.users,
            ingest_rps: (args.ingest_rps > 0.0).then_some(args.ingest_rps),
            latency_ms: args.latency_ms,
            fault_rate: args.fault_rate,
            cert_dir: args.cert_dir,
            provisioning_delay_ms: args.provisioning_delay_ms,
            token_lifetime_s: args.token_lifetime_s,
            auto_approve_device_codes: args.auto_approve_device_codes,
            app_certificates: args.app_certificate,
            page_size: args.page_size,
            propagation_delay_ms: args.propagation_delay_ms,
            deleted_connection_linger_ms: args.deletion_linger_ms,
            deleted_connection_listed_ms: args.deletion_listed_ms,
            ..Self {
                seed: SeedKind::Demo,
                ..Self::default()
            }
        }
    }
}

impl EmulatorConfig {
    /// Checks ranges that would otherwise surface as confusing behaviour later.
    pub(crate) fn validate(&self) -> Result<(), super::EmulatorError> {
        for (name, p) in [
            ("fault rate", self.fault_rate),
            ("drop rate", self.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(super::EmulatorError::Config(format!(
                    "the {name} must be between 0 and 1, got {p}"
                )));
            }
        }
        if let Some(rps) = self
            .ingest_rps
            .filter(|rps| !(rps.is_finite() && *rps > 0.0))
        {
            return Err(super::EmulatorError::Config(format!(
                "the ingest rate must be a positive number of items per second, got {rps}"
            )));
        }
        if self.page_size == Some(0) {
            return Err(super::EmulatorError::Config(
                "the page size must be at least one".into(),
            ));
        }
        if self.token_lifetime_s == 0 {
            return Err(super::EmulatorError::Config(
                "the token lifetime must be at least one second".into(),
            ));
        }
        Ok(())
    }
}
