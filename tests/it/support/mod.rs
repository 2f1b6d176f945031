//! What the integration tests share: an in-process emulator and a Graph client signed in to it
//! through the production TLS and client-secret path; `raw` talks to the emulator over plain
//! HTTP, `sync` builds HR exports and people connections, `reliability` and `hostile` hold the
//! fault and hostile-data scenarios that `examples/reliability.rs` reruns.

#[cfg(unix)]
pub mod hostile;
pub mod raw;
pub mod reliability;
pub mod sync;

use peoplectl::emulator::{EmulatorConfig, EmulatorHandle, SeedKind, start};
use peoplectl::graph::GraphClient;

pub struct Env {
    pub emu: EmulatorHandle,
    pub client: GraphClient,
}

/// Quick provisioning and no ingest limit: tests wait on conditions, not on the clock.
pub fn config(seed: SeedKind) -> EmulatorConfig {
    EmulatorConfig {
        seed,
        provisioning_delay_ms: 20,
        ingest_rps: None,
        device_code_interval_s: 0,
        ..EmulatorConfig::default()
    }
}

pub async fn env(seed: SeedKind) -> Env {
    env_with(config(seed)).await
}

pub async fn env_with(config: EmulatorConfig) -> Env {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let emu = start(config).await.expect("emulator starts");
    let client = peoplectl::cli::connect::client_for_emulator(&emu).expect("client");
    Env { emu, client }
}

/// The three lists as the emulator holds them, for before/after comparisons.
#[derive(Debug, PartialEq)]
pub struct Lists {
    pub connections: Vec<String>,
    pub sources: Vec<String>,
    pub precedence: Vec<String>,
}

pub fn lists(emu: &EmulatorHandle) -> Lists {
    let inspect = emu.inspect();
    let mut connections: Vec<String> = inspect.connections().into_iter().map(|c| c.id).collect();
    connections.sort();
    let mut sources: Vec<String> = inspect.sources().into_iter().map(|s| s.source_id).collect();
    sources.sort();
    let precedence = inspect
        .settings()
        .into_iter()
        .find(|s| s.name.as_deref().is_none_or(str::is_empty))
        .map(|s| s.prioritized_source_urls)
        .unwrap_or_default();
    Lists {
        connections,
        sources,
        precedence,
    }
}
