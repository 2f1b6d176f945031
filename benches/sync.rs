//! Sync throughput against the in-process emulator (20 ms latency, an ingest limit of R items
//! per second per connection), beside the naive "GET user, PUT item, one at a time" loop of
//! the Microsoft sample measured in the same run; plus an unchanged re-sync, a 1% change and
//! the peak memory of a dry run over a million rows (in a child process, so the emulator's
//! memory does not count).
//!
//! Full size (about 5 minutes on 2 cores):   cargo bench --bench sync
//! Quick (people counts / 10):               cargo bench --bench sync -- --quick
//! Knobs: PEOPLECTL_BENCH_RATE (R, default 200), PEOPLECTL_BENCH_SCALE (default 1, or 0.1
//! with --quick), PEOPLECTL_BENCH_NAIVE (people in the naive sample, default 1000 × scale).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation
)]

// The bench uses only part of the tests' HR-export helpers.
#[allow(dead_code)]
#[path = "../tests/it/support/sync.rs"]
mod sync_support;

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use peoplectl::emulator::{EmulatorConfig, RouteClass};
use peoplectl::graph::items::ExternalItem;
use peoplectl::graph::{GraphClient, TransportOptions, build_http_client};
use peoplectl::people::entities::PersonProfile;
use peoplectl::people::ids::ConnectionId;
use peoplectl::people::item::{ItemContext, ItemLayout, build_item};
use peoplectl::people::schema::Contract;
use peoplectl::sync::{CancellationToken, EventSink, Phase, SyncEvent, SyncOptions, SyncReport};
use sync_support::{Env, Person, people, people_connection, write_csv};

const LATENCY_MS: u64 = 20;

fn env_f64(name: &str) -> Option<f64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn scaled(n: f64, scale: f64) -> usize {
    ((n * scale).round() as usize).max(10)
}

struct Row {
    scenario: String,
    people: usize,
    seconds: f64,
    rate: Option<f64>,
    share_429: Option<f64>,
    writes: u64,
    verdict: String,
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>7} {:>8}  result",
        "scenario", "people", "seconds", "items/s", "429s", "writes"
    );
    println!("{}", "-".repeat(110));
    for r in rows {
        println!(
            "{:<44} {:>9} {:>9.1} {:>9} {:>7} {:>8}  {}",
            r.scenario,
            r.people,
            r.seconds,
            r.rate.map_or("-".into(), |v| format!("{v:.1}")),
            r.share_429
                .map_or("-".into(), |v| format!("{:.2}%", v * 100.0)),
            r.writes,
            r.verdict
        );
    }
    println!();
}

/// Runs a sync, timing its sending phase from the events.
async fn timed_sync(env: &Env, options: &SyncOptions) -> (SyncReport, Option<f64>) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let watcher = tokio::spawn(async move {
        let mut sending = None;
        let mut done = None;
        while let Some(e) = rx.recv().await {
            if let SyncEvent::Phase { phase } = e {
                match phase {
                    Phase::Sending => sending = Some(Instant::now()),
                    Phase::Done => done = Some(Instant::now()),
                    _ => {}
                }
            }
        }
        match (sending, done) {
            (Some(a), Some(b)) => Some(b.duration_since(a).as_secs_f64()),
            _ => None,
        }
    });
    let report = peoplectl::sync::run(
        &env.client,
        options,
        EventSink::new(tx),
        CancellationToken::new(),
    )
    .await
    .expect("sync");
    (report, watcher.await.unwrap())
}

fn items_counters(env: &Env) -> (u64, u64) {
    let c = env.emu.inspect().counters().class(RouteClass::Items);
    (c.requests, c.throttled)
}

/// The Microsoft sample's loop: for each person, GET the user, then PUT the item, one
/// request at a time.
async fn naive(env: &Env, connection: &str, people: &[Person]) -> f64 {
    let layout = ItemLayout::default_for(Contract::Labels);
    let id = ConnectionId::new(connection).unwrap();
    let ctx = ItemContext {
        tenant_id: env.emu.tenant_id(),
        connection_id: &id,
    };
    let started = Instant::now();
    for p in people {
        // GET /users/{upn}: the cheapest user read there is (the sample's $filter costs the
        // emulator a scan of its synthetic users, which would flatter us).
        let user = env.client.find_user(&p.upn).await.unwrap().unwrap();
        let oid = &user.id;
        let profile: PersonProfile = serde_json::from_value(serde_json::json!({
            "account": {"userPrincipalName": p.upn, "externalDirectoryObjectId": oid},
            "position": {"detail": {"jobTitle": p.title, "company": {"department": p.department}}},
        }))
        .unwrap();
        let built =
            build_item(&profile, &std::collections::BTreeMap::new(), &layout, &ctx).unwrap();
        let item: ExternalItem = serde_json::from_value(built.body).unwrap();
        env.client
            .put_item(connection, &built.id, &item)
            .await
            .unwrap();
    }
    started.elapsed().as_secs_f64()
}

fn vm_hwm_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The child process: a dry run over the big file, then its peak resident memory.
async fn memory_child() {
    let var = |k: &str| std::env::var(k).expect(k);
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let http = build_http_client(&TransportOptions {
        ca_cert_pem: Some(std::fs::read(var("BENCH_CA")).unwrap()),
        no_proxy: true,
        timeout: None,
        connect_timeout: None,
    })
    .unwrap();
    let credential = peoplectl::auth::client_secret_credential(
        &var("BENCH_TENANT"),
        &var("BENCH_CLIENT_ID"),
        var("BENCH_CLIENT_SECRET"),
        &var("BENCH_AUTHORITY"),
        http.clone(),
    )
    .unwrap();
    let client = GraphClient::new(http, &var("BENCH_GRAPH"), credential).unwrap();
    let mut options = SyncOptions::new(
        var("BENCH_CONNECTION"),
        var("BENCH_TENANT"),
        "bench",
        var("BENCH_DATA"),
        var("BENCH_INPUT"),
    );
    options.dry_run = true;
    options.max_listed_issues = 100;
    let started = Instant::now();
    let report = peoplectl::sync::run(
        &client,
        &options,
        EventSink::none(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    println!(
        "{}",
        serde_json::json!({
            "vmHwmKb": vm_hwm_kb(),
            "rows": report.rows,
            "valid": report.valid,
            "toPut": report.to_put,
            "put": report.put,
            "seconds": started.elapsed().as_secs_f64(),
            "lookup": report.lookup,
        })
    );
}

fn write_big_csv(path: &Path, env: &Env, n: usize) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    writeln!(w, "userPrincipalName,jobTitle,department,mail,skills").unwrap();
    let domain = env.emu.tenant_domain();
    for i in 1..=n {
        writeln!(
            w,
            "user{i:06}@{domain},Engineer {},{},user{i:06}@{domain},Rust;Skill{}",
            i % 7,
            ["Research", "Sales", "Finance"][i % 3],
            i % 11
        )
        .unwrap();
    }
    w.flush().unwrap();
}

#[tokio::main]
async fn main() {
    if std::env::var("PEOPLECTL_BENCH_CHILD").is_ok() {
        memory_child().await;
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = env_f64("PEOPLECTL_BENCH_SCALE").unwrap_or(if quick { 0.1 } else { 1.0 });
    let rate = env_f64("PEOPLECTL_BENCH_RATE").unwrap_or(200.0);
    let first_n = scaled(20_000.0, scale);
    let bulk_n = scaled(100_000.0, scale);
    let naive_n =
        env_f64("PEOPLECTL_BENCH_NAIVE").map_or_else(|| scaled(1_000.0, scale), |v| scaled(v, 1.0));
    let memory_n = scaled(1_000_000.0, scale);
    println!(
        "sync bench: R = {rate}/s per connection, {LATENCY_MS} ms latency, scale {scale} \
         (first sync {first_n}, naive sample {naive_n}, re-sync {bulk_n}, dry run {memory_n})"
    );
    let mut table = Vec::new();

    let env = sync_support::env_with(EmulatorConfig {
        latency_ms: LATENCY_MS,
        ingest_rps: Some(rate),
        ..sync_support::config(bulk_n.max(first_n + naive_n))
    })
    .await;
    for id in ["benchfirst", "benchnaive", "benchbulk"] {
        people_connection(&env.client, id, Contract::Labels, &[]).await;
    }

    // First sync at R.
    let input = env.dir.path().join("first.csv");
    write_csv(&input, &people(&env, 1..=first_n));
    env.emu.faults().reset_counters();
    let (report, send_secs) =
        timed_sync(&env, &sync_support::options(&env, "benchfirst", &input)).await;
    let (requests, throttled) = items_counters(&env);
    let send_secs = send_secs.unwrap_or(report.seconds);
    let engine_rate = report.put as f64 / send_secs;
    let share = throttled as f64 / requests.max(1) as f64;
    table.push(Row {
        scenario: "first sync (peoplectl)".into(),
        people: first_n,
        seconds: report.seconds,
        rate: Some(engine_rate),
        share_429: Some(share),
        writes: report.put,
        verdict: format!(
            "{:.1}% of R while sending ({}), 429s {} 2% ({})",
            engine_rate / rate * 100.0,
            if engine_rate >= 0.9 * rate {
                ">= 90%: ok"
            } else {
                "< 90%: MISSED"
            },
            if share < 0.02 { "<" } else { ">=" },
            if share < 0.02 { "ok" } else { "MISSED" }
        ),
    });

    // The naive loop, same tenant, same limits, a sample of people.
    let sample = people(&env, first_n + 1..=first_n + naive_n);
    env.emu.faults().reset_counters();
    let naive_secs = naive(&env, "benchnaive", &sample).await;
    let naive_rate = naive_n as f64 / naive_secs;
    table.push(Row {
        scenario: "first sync (naive GET+PUT loop, sample)".into(),
        people: naive_n,
        seconds: naive_secs,
        rate: Some(naive_rate),
        share_429: Some(0.0),
        writes: naive_n as u64,
        verdict: format!(
            "peoplectl is {:.1}x faster (20,000 people: {:.0} s vs {:.0} s)",
            engine_rate / naive_rate,
            20_000.0 / engine_rate,
            20_000.0 / naive_rate
        ),
    });

    // The bulk connection: loaded without limits, then re-synced under them.
    let input = env.dir.path().join("bulk.csv");
    let mut everyone = people(&env, 1..=bulk_n);
    write_csv(&input, &everyone);
    env.emu.faults().set_latency_ms(0);
    env.emu.faults().set_ingest_rps(None);
    let load = Instant::now();
    let loaded = peoplectl::sync::run(
        &env.client,
        &sync_support::options(&env, "benchbulk", &input),
        EventSink::none(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(loaded.put as usize, bulk_n);
    table.push(Row {
        scenario: "(setup: load the bulk connection, no limits)".into(),
        people: bulk_n,
        seconds: load.elapsed().as_secs_f64(),
        rate: Some(bulk_n as f64 / load.elapsed().as_secs_f64()),
        share_429: None,
        writes: loaded.put,
        verdict: String::new(),
    });
    env.emu.faults().set_latency_ms(LATENCY_MS);
    env.emu.faults().set_ingest_rps(Some(rate));

    env.emu.faults().reset_counters();
    let resync = peoplectl::sync::run(
        &env.client,
        &sync_support::options(&env, "benchbulk", &input),
        EventSink::none(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let (requests, _) = items_counters(&env);
    table.push(Row {
        scenario: "re-sync, nobody changed".into(),
        people: bulk_n,
        seconds: resync.seconds,
        rate: None,
        share_429: None,
        writes: resync.put + requests,
        verdict: format!(
            "{} writes, {:.1} s ({})",
            resync.put + requests,
            resync.seconds,
            if resync.put + requests == 0 && resync.seconds <= 10.0 {
                "0 writes and <= 10 s: ok"
            } else {
                "MISSED"
            }
        ),
    });

    let changed = bulk_n / 100;
    for p in everyone.iter_mut().step_by(100) {
        p.title = format!("{} (promoted)", p.title);
    }
    write_csv(&input, &everyone);
    env.emu.faults().reset_counters();
    let (delta, send_secs) =
        timed_sync(&env, &sync_support::options(&env, "benchbulk", &input)).await;
    let (requests, throttled) = items_counters(&env);
    let successful = requests - throttled;
    table.push(Row {
        scenario: "re-sync, 1% changed".into(),
        people: bulk_n,
        seconds: delta.seconds,
        rate: send_secs.map(|s| delta.put as f64 / s),
        share_429: Some(throttled as f64 / requests.max(1) as f64),
        writes: successful,
        verdict: format!(
            "{} items written, {} expected ({})",
            successful,
            changed,
            if successful as usize == changed && delta.put as usize == changed {
                "exactly: ok"
            } else {
                "MISSED"
            }
        ),
    });
    env.emu.shutdown().await;

    // Peak memory of a dry run over a big file, in a child process.
    let env = sync_support::env_with(EmulatorConfig {
        ..sync_support::config(memory_n)
    })
    .await;
    people_connection(&env.client, "benchmem", Contract::Labels, &[]).await;
    let input = env.dir.path().join("big.csv");
    let generated = Instant::now();
    write_big_csv(&input, &env, memory_n);
    let size_mb = std::fs::metadata(&input).unwrap().len() as f64 / 1e6;
    println!(
        "generated {memory_n} rows ({size_mb:.0} MB) in {:.1} s",
        generated.elapsed().as_secs_f64()
    );
    let output = tokio::process::Command::new(std::env::current_exe().unwrap())
        .env("PEOPLECTL_BENCH_CHILD", "memory")
        .env("BENCH_CA", env.emu.ca_cert_path())
        .env("BENCH_TENANT", env.emu.tenant_id())
        .env("BENCH_CLIENT_ID", env.emu.client_id())
        .env("BENCH_CLIENT_SECRET", env.emu.client_secret())
        .env("BENCH_AUTHORITY", env.emu.authority_url())
        .env("BENCH_GRAPH", env.emu.graph_url())
        .env("BENCH_CONNECTION", "benchmem")
        .env("BENCH_DATA", env.dir.path().join("data"))
        .env("BENCH_INPUT", &input)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: serde_json::Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "child failed: {}\n{}",
                stdout,
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let hwm_mb = result["vmHwmKb"].as_f64().unwrap_or(f64::NAN) / 1024.0;
    table.push(Row {
        scenario: "dry run, peak resident memory (VmHWM)".into(),
        people: usize::try_from(result["rows"].as_u64().unwrap_or(0)).unwrap_or(0),
        seconds: result["seconds"].as_f64().unwrap_or(f64::NAN),
        rate: None,
        share_429: None,
        writes: result["put"].as_u64().unwrap_or(0),
        verdict: format!(
            "{hwm_mb:.0} MB ({}), {} valid, lookup {}",
            if hwm_mb <= 200.0 {
                "<= 200 MB: ok"
            } else {
                "> 200 MB: MISSED"
            },
            result["valid"],
            result["lookup"]
        ),
    });
    env.emu.shutdown().await;

    print_table(&table);
}
