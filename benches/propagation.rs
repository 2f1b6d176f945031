//! Is it live yet, at 10,000 people: `ops::propagation::check --all` against an in-process
//! emulator whose every request takes L ms (default 20), end to end (ledger read, snapshot,
//! every person's reads and the verdicts), beside the baseline a check cannot beat with the
//! same concurrency: one profile read per person, `people × L / concurrency`. It reports the
//! requests per person the emulator counted (3: item, user and profile, read together).
//!
//!   cargo bench --bench propagation            (10,000 people)
//!   cargo bench --bench propagation -- --quick (1,000 people)
//! Knobs: PEOPLECTL_BENCH_LATENCY_MS (default 20).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

#[allow(dead_code)]
#[path = "../tests/it/support/sync.rs"]
mod sync_support;

use std::time::Instant;

use peoplectl::graph::sources::NewProfileSource;
use peoplectl::ops::propagation::{self, CONCURRENCY, ConnectionContext, Ledger, Selection};
use peoplectl::ops::snapshot::read_snapshot;
use peoplectl::people::ids::SourceId;
use peoplectl::people::schema::Contract;
use peoplectl::people::source_url::canonical_url;
use sync_support::{env, people, people_connection, write_csv};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n: usize = if quick { 1_000 } else { 10_000 };
    let latency: u64 = std::env::var("PEOPLECTL_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(bench(n, latency));
}

async fn bench(n: usize, latency: u64) {
    let env = env(n).await;
    people_connection(&env.client, "hrbench", Contract::Labels, &[]).await;
    let id = SourceId::new("hrbench").unwrap();
    env.client
        .create_profile_source(&NewProfileSource {
            source_id: "hrbench".into(),
            display_name: "HR bench".into(),
            kind: None,
            web_url: "https://hr.example.com".into(),
        })
        .await
        .unwrap();
    let setting = env.client.precedence_setting().await.unwrap();
    let mut urls = setting
        .as_ref()
        .map(|s| s.prioritized_source_urls.clone())
        .unwrap_or_default();
    urls.insert(0, canonical_url(&id));
    match &setting {
        Some(s) => {
            env.client.update_precedence(&s.id, &urls).await.unwrap();
        }
        None => {
            env.client.create_precedence_setting(&urls).await.unwrap();
        }
    }
    let input = env.dir.path().join("bench.csv");
    write_csv(&input, &people(&env, 1..=n));
    let started = Instant::now();
    let report = sync_support::sync(&env, "hrbench", &input).await;
    assert_eq!(report.put as usize, n, "every person landed");
    eprintln!(
        "setup: {n} people synced in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let client = sync_support::delegated_client(
        &env.emu,
        env.emu.admin_upn(),
        &[
            "User.Read.All",
            "ExternalItem.Read.All",
            "ExternalConnection.Read.All",
            "PeopleSettings.Read.All",
        ],
        3600,
    );
    env.emu.faults().set_latency_ms(latency);
    let state_path = sync_support::options(&env, "hrbench", &input).state_path();

    let before = env.emu.inspect().counters().total().requests;
    let started = Instant::now();
    let ledger = Ledger::read(&state_path, env.emu.tenant_id(), "hrbench").unwrap();
    let read_ledger = started.elapsed();
    let snapshot = read_snapshot(&client).await.unwrap();
    let cx = ConnectionContext::from_snapshot(&snapshot, "hrbench").unwrap();
    let checking = Instant::now();
    let result = propagation::check(
        &client,
        &snapshot,
        "hrbench",
        &ledger,
        &Selection::All,
        CONCURRENCY,
        peoplectl::sync::state::now_unix(),
    )
    .await
    .unwrap();
    let check_time = checking.elapsed();
    let total = started.elapsed();
    let requests = env.emu.inspect().counters().total().requests - before;
    assert_eq!(result.checked, n);
    // With no delay everyone shows, but the synthetic accounts without a mailbox.
    assert_eq!(result.pending + result.stale + result.not_synced, 0);

    let baseline = n as f64 * latency as f64 / 1000.0 / CONCURRENCY as f64;
    let per_person = (requests as f64 - 4.0).max(0.0) / n as f64;
    println!("| measure | result |");
    println!("|---|---|");
    println!(
        "| people checked | {n} ({} live, {} dropped: no mailbox) |",
        result.live, result.dropped
    );
    println!("| emulator latency per request | {latency} ms |");
    println!("| concurrency (people at once) | {CONCURRENCY} |");
    println!(
        "| requests per person (counted; planned {}) | {per_person:.2} |",
        cx.requests_per_person()
    );
    println!(
        "| ledger read | {:.0} ms |",
        read_ledger.as_secs_f64() * 1000.0
    );
    println!(
        "| people's reads and verdicts | {:.2} s |",
        check_time.as_secs_f64()
    );
    println!("| end to end | **{:.2} s** |", total.as_secs_f64());
    println!(
        "| baseline: people × latency / concurrency (one profile read each) | {baseline:.2} s |"
    );
    println!(
        "| end to end / baseline | **{:.2}** |",
        total.as_secs_f64() / baseline
    );
}
