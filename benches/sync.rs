//! Sync at the ingest ceiling, end to end: the real `peoplectl sync` run as a process (from
//! process start to exit, sign-in included, under `/usr/bin/time` for wall time and peak
//! memory) against an in-process emulator (20 ms latency, an ingest limit of R items per second
//! per connection), beside the naive "GET user, PUT item, one at a time" loop of the Microsoft
//! sample measured in the same run, at R = 200 / 20 ms and at the documented conditions
//! (R = 25, 100 ms round trip). Each measured run is repeated; the table gives the median and
//! the spread, the target, and whether it was met. The sending phase alone (the report's
//! `sendingSeconds`) is shown beside the end-to-end figure and named as such.
//!
//! Full size (about 8 minutes on 2 cores):   cargo bench --bench sync
//! Quick (sizes / 10, targets still full):  cargo bench --bench sync -- --quick
//! Knobs: PEOPLECTL_BENCH_RUNS (repeats, default 3, 2 with --quick), PEOPLECTL_BENCH_5M=1 (also
//! the 5,000,000-row dry run, several minutes more).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

// The bench uses only part of the tests' HR-export helpers.
#[allow(dead_code)]
#[path = "../tests/it/support/sync.rs"]
mod sync_support;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use peoplectl::emulator::{EmulatorConfig, RouteClass};
use peoplectl::graph::items::ExternalItem;
use peoplectl::people::entities::PersonProfile;
use peoplectl::people::ids::ConnectionId;
use peoplectl::people::item::{ItemContext, ItemLayout, build_item};
use peoplectl::people::schema::Contract;
use serde_json::Value;
use sync_support::{Env, Person, people, people_connection, write_csv};

const MIB: f64 = 1_048_576.0;

/// One line of the table.
struct Line {
    measure: String,
    result: String,
    target: String,
    /// `None`: a comparison or a setup step, no target.
    pass: Option<bool>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        f64::midpoint(v[n / 2 - 1], v[n / 2])
    }
}

/// "median (min–max)" of a measure.
fn spread(v: &[f64], digits: usize) -> String {
    let (lo, hi) = v
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
    if v.len() < 2 {
        return format!("{:.digits$}", median(v.to_vec()));
    }
    format!(
        "{:.digits$} ({lo:.digits$}–{hi:.digits$})",
        median(v.to_vec())
    )
}

/// What one CLI run measured.
struct Run {
    report: Value,
    wall: f64,
    rss_mib: Option<f64>,
}

/// Runs the `peoplectl` binary with the emulator's settings, under `/usr/bin/time` when there is
/// one (for peak memory), and returns its JSON report with the wall time from start to exit.
fn cli(env: &Env, data: &Path, args: &[&str]) -> Run {
    let bin = env!("CARGO_BIN_EXE_peoplectl");
    let timed = Path::new("/usr/bin/time").exists();
    let stats = data.join("time.txt");
    let mut cmd = if timed {
        let mut c = std::process::Command::new("/usr/bin/time");
        c.arg("-f").arg("%e %M").arg("-o").arg(&stats).arg(bin);
        c
    } else {
        std::process::Command::new(bin)
    };
    cmd.args(args)
        .args(["--output", "json"])
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("PEOPLECTL_CONFIG_DIR", data.join("config"))
        .env("PEOPLECTL_DATA_DIR", data.join("data"));
    for (k, v) in env.emu.env_lines() {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let out = cmd.output().expect("peoplectl runs");
    let mut wall = started.elapsed().as_secs_f64();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "peoplectl {args:?}: {e}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut rss_mib = None;
    if timed {
        let text = std::fs::read_to_string(&stats).unwrap_or_default();
        let mut fields = text.split_whitespace();
        if let (Some(w), Some(kib)) = (fields.next(), fields.next()) {
            wall = w.parse().unwrap_or(wall);
            rss_mib = kib.parse::<f64>().ok().map(|k| k * 1024.0 / MIB);
        }
    }
    Run {
        report,
        wall,
        rss_mib,
    }
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

fn items_counters(env: &Env) -> (u64, u64) {
    let c = env.emu.inspect().counters().class(RouteClass::Items);
    (c.requests, c.throttled)
}

/// The Microsoft sample's loop: for each person, GET the user, then PUT the item, one
/// request at a time. Returns people per second.
async fn naive(env: &Env, connection: &str, people: &[Person]) -> f64 {
    let layout = ItemLayout::default_for(Contract::Labels);
    let id = ConnectionId::new(connection).unwrap();
    let ctx = ItemContext {
        tenant_id: env.emu.tenant_id(),
        connection_id: &id,
    };
    let started = Instant::now();
    for p in people {
        let user = env.client.find_user(&p.upn).await.unwrap().unwrap();
        let profile: PersonProfile = serde_json::from_value(serde_json::json!({
            "account": {"userPrincipalName": p.upn, "externalDirectoryObjectId": user.id},
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
    people.len() as f64 / started.elapsed().as_secs_f64()
}

/// An export of people 1..=n where the people whose number ends in 01..=`changed` (of every
/// hundred) have a changed title: each step of `changed` changes 1% more.
fn write_churn(path: &Path, env: &Env, n: usize, changed: usize) {
    let mut everyone = people(env, 1..=n);
    for (i, p) in everyone.iter_mut().enumerate() {
        let k = (i + 1) % 100;
        if (1..=changed).contains(&k) {
            p.title = format!("{} (change {k})", p.title);
        }
    }
    write_csv(path, &everyone);
}

/// A big export, streamed to disk.
fn write_big_csv(path: &Path, env: &Env, n: usize) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    writeln!(w, "userPrincipalName,jobTitle,department,mail,skills").unwrap();
    for i in 1..=n {
        let upn = sync_support::upn(env, i);
        writeln!(
            w,
            "{upn},Engineer {},{},{upn},Rust;Skill{}",
            i % 7,
            ["Research", "Sales", "Finance"][i % 3],
            i % 11
        )
        .unwrap();
    }
    w.flush().unwrap();
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "?".into(),
        |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

fn print_table(lines: &[Line]) {
    let w0 = lines
        .iter()
        .map(|l| l.measure.chars().count())
        .max()
        .unwrap_or(10);
    let w1 = lines
        .iter()
        .map(|l| l.result.chars().count())
        .max()
        .unwrap_or(10);
    let w2 = lines
        .iter()
        .map(|l| l.target.chars().count())
        .max()
        .unwrap_or(10);
    println!();
    println!(
        "{:<w0$}  {:<w1$}  {:<w2$}  pass",
        "measure", "result: median (spread)", "target"
    );
    println!("{}", "-".repeat(w0 + w1 + w2 + 10));
    for l in lines {
        let pass = match l.pass {
            Some(true) => "ok",
            Some(false) => "MISSED",
            None => "",
        };
        println!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {pass}",
            l.measure, l.result, l.target
        );
    }
    println!();
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = if quick { 0.1 } else { 1.0 };
    let runs: usize = std::env::var("PEOPLECTL_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 2 } else { 3 })
        .max(1);
    let sized = |n: f64| ((n * scale).round() as usize).max(10);
    let rate = 200.0;
    let (tenant_n, first_n, bulk_n) = (sized(100_000.0), sized(10_000.0), sized(100_000.0));
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "sync bench: {} runs each; {cores} cores, load average {} at the start (a shared machine: \
         figures move between runs){}",
        runs,
        load_average(),
        if quick {
            "; --quick: sizes / 10, so runs are short and targets (for the full sizes) are harder"
        } else {
            ""
        }
    );
    let mut table = Vec::new();

    let env = sync_support::env_with(EmulatorConfig {
        latency_ms: 20,
        ingest_rps: Some(rate),
        ..sync_support::config(tenant_n)
    })
    .await;
    let dir = env.dir.path().to_owned();
    let data = |name: &str| -> PathBuf {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    };

    // 1. First sync of fresh connections, cold (no rate learned yet), at R = 200 / 20 ms.
    let first = dir.join("first.csv");
    write_csv(&first, &people(&env, 1..=first_n));
    let (mut e2e, mut sending, mut share) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let id = format!("benchfirst{run}");
        people_connection(&env.client, &id, Contract::Labels, &[]).await;
        env.emu.faults().reset_counters();
        let r = cli(
            &env,
            &data(&id),
            &["sync", &id, "--input", first.to_str().unwrap()],
        );
        let (requests, throttled) = items_counters(&env);
        let put = num(&r.report, "put");
        assert_eq!(put as usize, first_n, "{}", r.report);
        e2e.push(put / r.wall / rate * 100.0);
        sending.push(put / num(&r.report, "sendingSeconds") / rate * 100.0);
        share.push(throttled as f64 / requests.max(1) as f64 * 100.0);
    }
    let first_rate = median(e2e.clone()) * rate / 100.0;
    table.push(Line {
        measure: format!(
            "first sync, {first_n} rows, {tenant_n}-user tenant, R = 200, 20 ms: CLI end to end"
        ),
        result: format!("{} % of R", spread(&e2e, 1)),
        target: ">= 98 % of R".into(),
        pass: Some(median(e2e.clone()) >= 98.0),
    });
    table.push(Line {
        measure: "  the same runs, sending phase alone".into(),
        result: format!(
            "{} % of R, 429s {} %",
            spread(&sending, 1),
            spread(&share, 2)
        ),
        target: String::new(),
        pass: None,
    });

    // 2. The naive loop at the same conditions, then both at the documented ones.
    let sample_n = sized(2_000.0).min(first_n);
    let sample = people(&env, first_n + 1..=first_n + sample_n);
    people_connection(&env.client, "benchnaive", Contract::Labels, &[]).await;
    let naive_rate = naive(&env, "benchnaive", &sample[..sample_n / 10]).await;
    table.push(Line {
        measure: format!(
            "  naive GET+PUT loop, {} people, same conditions",
            sample_n / 10
        ),
        result: format!(
            "{naive_rate:.1} items/s: peoplectl end to end is {:.1}x faster",
            first_rate / naive_rate
        ),
        target: String::new(),
        pass: None,
    });
    env.emu.faults().set_ingest_rps(Some(25.0));
    env.emu.faults().set_latency_ms(100);
    let slow_n = sized(1_000.0);
    let documented = dir.join("documented.csv");
    write_csv(&documented, &sample[..slow_n.min(sample.len())]);
    let mut doc_rate = Vec::new();
    for run in 0..runs {
        let id = format!("benchdoc{run}");
        people_connection(&env.client, &id, Contract::Labels, &[]).await;
        let r = cli(
            &env,
            &data(&id),
            &["sync", &id, "--input", documented.to_str().unwrap()],
        );
        doc_rate.push(num(&r.report, "put") / r.wall);
    }
    people_connection(&env.client, "benchnaive25", Contract::Labels, &[]).await;
    let naive_doc_n = 50;
    let naive_doc = naive(&env, "benchnaive25", &sample[..naive_doc_n]).await;
    table.push(Line {
        measure: format!(
            "first sync at R = 25, 100 ms (documented), {slow_n} rows: CLI end to end"
        ),
        result: format!(
            "{} items/s ({:.0} % of R)",
            spread(&doc_rate, 1),
            median(doc_rate.clone()) / 25.0 * 100.0
        ),
        target: String::new(),
        pass: None,
    });
    table.push(Line {
        measure: format!("  naive GET+PUT loop, {naive_doc_n} people, same conditions"),
        result: format!(
            "{naive_doc:.1} items/s: peoplectl end to end is {:.1}x faster",
            median(doc_rate.clone()) / naive_doc
        ),
        target: String::new(),
        pass: None,
    });
    env.emu.faults().set_ingest_rps(Some(rate));
    env.emu.faults().set_latency_ms(20);

    // 3. The bulk connection: loaded without limits (setup), then re-synced under them.
    people_connection(&env.client, "benchbulk", Contract::Labels, &[]).await;
    let bulk_data = data("benchbulk");
    let bulk = dir.join("bulk.csv");
    write_churn(&bulk, &env, bulk_n, 0);
    env.emu.faults().set_latency_ms(0);
    env.emu
        .faults()
        .set_connection_ingest_rps("benchbulk", None);
    let load = cli(
        &env,
        &bulk_data,
        &["sync", "benchbulk", "--input", bulk.to_str().unwrap()],
    );
    assert_eq!(num(&load.report, "put") as usize, bulk_n);
    table.push(Line {
        measure: format!("(setup: load {bulk_n} rows, no latency, no limit)"),
        result: format!(
            "{:.1} s, {:.0} items/s",
            load.wall,
            bulk_n as f64 / load.wall
        ),
        target: String::new(),
        pass: None,
    });
    env.emu.faults().set_latency_ms(20);
    env.emu
        .faults()
        .set_connection_ingest_rps("benchbulk", Some(rate));

    let (mut walls, mut asked) = (Vec::new(), 0u64);
    let mut writes = 0u64;
    for _ in 0..runs {
        env.emu.faults().reset_counters();
        let r = cli(
            &env,
            &bulk_data,
            &["sync", "benchbulk", "--input", bulk.to_str().unwrap()],
        );
        let c = env.emu.inspect().counters();
        asked += c.class(RouteClass::Users).requests;
        writes += c.class(RouteClass::Items).requests;
        walls.push(r.wall);
    }
    table.push(Line {
        measure: format!("unchanged re-sync, {bulk_n} rows, 20 ms: CLI end to end"),
        result: format!(
            "{} s, {writes} writes, {asked} user requests",
            spread(&walls, 2)
        ),
        target: "<= 2 s, 0 writes".into(),
        pass: Some(median(walls) <= 2.0 && writes == 0),
    });

    // 4. 1% churns. The first one of the connection starts cold (the load learned no rate, as
    // it met no limit); the next ones start at the rate it learned, if it met the limit.
    let churn = dir.join("churn.csv");
    let changed = bulk_n / 100;
    write_churn(&churn, &env, bulk_n, 1);
    env.emu.faults().reset_counters();
    let cold = cli(
        &env,
        &bulk_data,
        &["sync", "benchbulk", "--input", churn.to_str().unwrap()],
    );
    let (requests, throttled) = items_counters(&env);
    table.push(Line {
        measure: format!("1% of {bulk_n} changed, R = 200, first churn (cold)"),
        result: format!(
            "{} written in {:.2} s, 429s {:.1} %",
            requests - throttled,
            cold.wall,
            throttled as f64 / requests.max(1) as f64 * 100.0
        ),
        target: String::new(),
        pass: None,
    });
    let (mut walls, mut sends, mut shares, mut exact) = (Vec::new(), Vec::new(), Vec::new(), true);
    for run in 0..runs {
        write_churn(&churn, &env, bulk_n, run + 2);
        env.emu.faults().reset_counters();
        let r = cli(
            &env,
            &bulk_data,
            &["sync", "benchbulk", "--input", churn.to_str().unwrap()],
        );
        let (requests, throttled) = items_counters(&env);
        exact &=
            requests - throttled == changed as u64 && num(&r.report, "put") as usize == changed;
        walls.push(r.wall);
        sends.push(num(&r.report, "sendingSeconds"));
        shares.push(throttled as f64 / requests.max(1) as f64 * 100.0);
    }
    let budget = changed as f64 / rate + 1.0;
    table.push(Line {
        measure: format!("1% of {bulk_n} changed, R = 200, next churns (warm): CLI end to end"),
        result: format!(
            "{} s, {} writes each{}, 429s {} %",
            spread(&walls, 2),
            changed,
            if exact { "" } else { " (NOT exactly)" },
            spread(&shares, 2)
        ),
        target: format!("exactly {changed} writes, <= {budget:.0} s, < 1 % 429s"),
        pass: Some(exact && median(walls.clone()) <= budget && median(shares) < 1.0),
    });
    table.push(Line {
        measure: "  the same runs, sending phase alone".into(),
        result: format!("{} s", spread(&sends, 2)),
        target: String::new(),
        pass: None,
    });
    env.emu.shutdown().await;

    // 5. Peak memory of dry runs, and lookups in a big tenant.
    let mem_sizes: Vec<usize> = {
        let mut s = vec![sized(250_000.0), sized(1_000_000.0)];
        if std::env::var("PEOPLECTL_BENCH_5M").is_ok() {
            s.push(5_000_000);
        }
        s
    };
    let biggest = *mem_sizes.iter().max().unwrap();
    let env = sync_support::env_with(sync_support::config(biggest)).await;
    let mut points = Vec::new();
    for &n in &mem_sizes {
        let id = format!("benchmem{n}");
        people_connection(&env.client, &id, Contract::Labels, &[]).await;
        let input = env.dir.path().join(format!("big{n}.csv"));
        write_big_csv(&input, &env, n);
        let mut rss = Vec::new();
        for _ in 0..runs.min(2) {
            let r = cli(
                &env,
                &data(&id),
                &["sync", &id, "--input", input.to_str().unwrap(), "--dry-run"],
            );
            assert_eq!(num(&r.report, "valid") as usize, n, "{}", r.report);
            rss.push(r.rss_mib.unwrap_or(f64::NAN));
        }
        std::fs::remove_file(&input).ok();
        points.push((n, rss));
    }
    let (small_n, small) = (points[0].0, median(points[0].1.clone()));
    for (n, rss) in &points {
        let per_person = if *n > small_n {
            format!(
                ", {:.1} bytes a person over {small_n} rows",
                (median(rss.clone()) - small) * MIB / (*n - small_n) as f64
            )
        } else {
            String::new()
        };
        let at_target = *n == sized(1_000_000.0);
        table.push(Line {
            measure: format!("dry run of {n} rows, peak resident memory (CLI)"),
            result: format!("{} MiB{per_person}", spread(rss, 1)),
            target: if at_target {
                "<= 48 MiB at 1M rows".into()
            } else {
                String::new()
            },
            pass: at_target.then(|| median(rss.clone()) <= 48.0),
        });
    }
    table.push(Line {
        measure: "  the planner index alone".into(),
        result: format!(
            "{} bytes a person (peoplectl::sync::index::BYTES_PER_PERSON), no growth spike",
            peoplectl::sync::index::BYTES_PER_PERSON
        ),
        target: String::new(),
        pass: None,
    });

    // Lookups by UPN in the big tenant: a small input, looked up in batches.
    let lookups_n = sized(10_000.0);
    people_connection(&env.client, "benchlookup", Contract::Labels, &[]).await;
    let input = env.dir.path().join("lookups.csv");
    write_csv(&input, &people(&env, biggest - lookups_n + 1..=biggest));
    let mut walls = Vec::new();
    for _ in 0..runs {
        let r = cli(
            &env,
            &data("benchlookup"),
            &[
                "sync",
                "benchlookup",
                "--input",
                input.to_str().unwrap(),
                "--dry-run",
            ],
        );
        assert_eq!(r.report["lookup"], "batched", "{}", r.report);
        walls.push(r.wall);
    }
    table.push(Line {
        measure: format!(
            "dry run of {lookups_n} rows in a {biggest}-user tenant, batched UPN lookups (CLI)"
        ),
        result: format!(
            "{} s ({:.0} lookups/s)",
            spread(&walls, 2),
            lookups_n as f64 / median(walls.clone())
        ),
        target: "O(1) a lookup: < 60 s (a scan each: > 10 min)".into(),
        pass: Some(median(walls) < 60.0),
    });
    env.emu.shutdown().await;

    print_table(&table);
}
