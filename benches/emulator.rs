//! How many simple authenticated GETs per second the emulator serves on loopback (target: at
//! least 2,000/s), with no injected latency, faults or limits; and how fast it starts with
//! 100,000 synthetic users beside the demo seed alone (in-process, and `peoplectl emulator` from
//! process start to its settings printed). Run: `cargo bench --bench emulator`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use peoplectl::emulator::{EmulatorConfig, SeedKind, start};

const CONCURRENCY: usize = 32;
const WARMUP: Duration = Duration::from_millis(500);
const MEASURE: Duration = Duration::from_secs(5);

/// Runs `workers` loops of GETs for `window`; returns completed requests (all must be 200).
async fn hammer(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    workers: usize,
    window: Duration,
) -> usize {
    let done = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + window;
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (client, url, token, done) = (
            client.clone(),
            url.to_owned(),
            token.to_owned(),
            done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let response = client
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(response.status(), 200, "unexpected status");
                let _ = response.bytes().await.expect("body");
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.expect("worker");
    }
    done.load(Ordering::Relaxed)
}

#[allow(clippy::cast_precision_loss)] // request counts are far below 2^52
fn per_second(count: usize, window: Duration) -> f64 {
    count as f64 / window.as_secs_f64()
}

/// Time to a served emulator: best of three in-process starts with `users` synthetic users.
async fn start_time(users: usize) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let began = Instant::now();
        let emu = start(EmulatorConfig {
            seed: SeedKind::Demo,
            extra_users: users,
            ..EmulatorConfig::default()
        })
        .await
        .expect("emulator starts");
        best = best.min(began.elapsed());
        emu.shutdown().await;
    }
    best
}

/// `peoplectl emulator --users N`, from process start to the blank line after its settings.
fn process_start_time(users: usize) -> Duration {
    let began = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_peoplectl"))
        .args([
            "emulator",
            "--bind",
            "127.0.0.1:0",
            "--users",
            &users.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("peoplectl emulator starts");
    let stdout = child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        if line.expect("settings").is_empty() {
            break;
        }
    }
    let took = began.elapsed();
    child.kill().expect("stop the emulator");
    child.wait().expect("reap the emulator");
    took
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let config = EmulatorConfig {
            seed: SeedKind::Empty,
            ingest_rps: None,
            ..EmulatorConfig::default()
        };
        let emu = start(config).await.expect("emulator starts");
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(emu.ca_cert_pem().as_bytes()).expect("CA"))
            .no_proxy()
            .pool_max_idle_per_host(CONCURRENCY)
            .build()
            .expect("client");
        let token = emu.mint_app_token(3600);
        let url = format!("{}/v1.0/users/{}", emu.graph_url(), emu.admin_upn());

        hammer(&client, &url, &token, CONCURRENCY, WARMUP).await;
        let sequential = hammer(&client, &url, &token, 1, MEASURE).await;
        let concurrent = hammer(&client, &url, &token, CONCURRENCY, MEASURE).await;
        let (seq_rate, conc_rate) = (per_second(sequential, MEASURE), per_second(concurrent, MEASURE));
        println!("emulator: GET /v1.0/users/{{upn}} over TLS, keep-alive, authenticated");
        println!("  baseline, 1 request at a time: {seq_rate:>8.0} req/s");
        println!("  {CONCURRENCY} concurrent requests:        {conc_rate:>8.0} req/s ({:.1}x the baseline)", conc_rate / seq_rate);
        println!("  target >= 2000 req/s: {}", if conc_rate >= 2000.0 { "met" } else { "NOT met" });
        let counters = emu.inspect().counters().total();
        assert_eq!(counters.server_errors, 0);
        emu.shutdown().await;

        let (demo, big) = (start_time(0).await, start_time(100_000).await);
        let (demo_process, big_process) = (process_start_time(0), process_start_time(100_000));
        println!("emulator start, demo seed alone (baseline) and with 100,000 synthetic users:");
        println!(
            "  in-process:                      {:>6.0} ms / {:>6.0} ms ({:.1}x the baseline)",
            demo.as_secs_f64() * 1e3,
            big.as_secs_f64() * 1e3,
            big.as_secs_f64() / demo.as_secs_f64()
        );
        println!(
            "  end to end (process to settings): {:>6.0} ms / {:>6.0} ms; budget 10 s: {}",
            demo_process.as_secs_f64() * 1e3,
            big_process.as_secs_f64() * 1e3,
            if big_process < Duration::from_secs(10) { "met" } else { "NOT met" }
        );
    });
}
