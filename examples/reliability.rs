//! Reruns the reliability scenarios (the same code the tests assert on) several times and
//! prints the README's "Reliability" table: `cargo run --release --example reliability`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

// The scenarios are the integration tests' own; this runner uses only part of their helpers.
#[allow(dead_code)]
#[path = "../tests/it/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::time::Instant;

use support::reliability::{self, INTERRUPTIONS};

/// The `peoplectl` binary of the same profile, built first when missing.
fn peoplectl_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    // target/<profile>/examples/reliability -> target/<profile>/peoplectl
    let dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target dir");
    let bin = dir.join(format!("peoplectl{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "--bin", "peoplectl"]);
        if dir.ends_with("release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo runs");
        assert!(status.success(), "building peoplectl failed");
    }
    bin
}

fn runs_from_args() -> usize {
    let mut args = std::env::args().skip(1);
    let mut runs = 3;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            "--quick" => runs = 1,
            other => {
                eprintln!("usage: reliability [--runs N | --quick] (unknown: {other})");
                std::process::exit(2);
            }
        }
    }
    runs.max(1)
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runs = runs_from_args();
    let bin = peoplectl_binary();
    let started = Instant::now();
    let mut rows: Vec<[String; 5]> = Vec::new();

    // 1. Storms.
    let (mut requests, mut faulted, mut lost, mut items) = (0u64, 0u64, 0usize, 0u64);
    let mut kinds = [0u64; 4];
    for _ in 0..runs {
        let o = reliability::storm_sync(5_000).await;
        let i = o.injected;
        requests += i.requests;
        faulted += i.total();
        kinds[0] += i.throttled;
        kinds[1] += i.server_errors;
        kinds[2] += i.dropped;
        kinds[3] += i.lost_answers;
        items += o.first.put + o.second.put + o.second.deleted;
        lost += o.drift_after_first.lost() + o.drift_after_second.lost();
        lost += usize::try_from(o.first.failed + o.second.failed + o.third_puts + o.third_deletes)
            .unwrap_or(usize::MAX);
        eprintln!("storm: {:?} {:?}", o.injected, o.drift_after_second);
    }
    rows.push([
        "Sync of 5,000 people, then 2% joiners, 2% leavers, 10% changed, through storms of 429/503/504, dropped connections, lost answers and 200 ms spikes".into(),
        runs.to_string(),
        format!(
            "{} of {} item requests ({:.1}%): {} 429, {} 5xx, {} dropped, {} applied but unanswered",
            thousands(faulted),
            thousands(requests),
            100.0 * faulted as f64 / requests.max(1) as f64,
            thousands(kinds[0]),
            thousands(kinds[1]),
            thousands(kinds[2]),
            thousands(kinds[3]),
        ),
        format!("{} writes", thousands(items)),
        lost.to_string(),
    ]);

    // 2. SIGKILL and resume.
    let (mut kills, mut lost, mut resent, mut people) = (0usize, 0usize, 0usize, 0usize);
    let mut points = Vec::new();
    for _ in 0..runs {
        let o = reliability::kill_and_resume(&bin, 3_000, 3).await;
        kills += o.kills.len();
        points.extend(o.kills.iter().map(|k| k.recorded));
        resent += o.kills.iter().map(|k| k.resent).sum::<usize>() + o.resent_at_end;
        lost += o.drift.lost() + o.last_run_writes + (o.people - o.recorded_at_end);
        lost += usize::from(!o.last_run_ok);
        people += o.people;
    }
    points.sort_unstable();
    rows.push([
        "`peoplectl sync` SIGKILLed at random instants, then run again".into(),
        runs.to_string(),
        format!(
            "{kills} SIGKILLs, after {} to {} items were recorded",
            thousands(points.first().copied().unwrap_or(0) as u64),
            thousands(points.last().copied().unwrap_or(0) as u64)
        ),
        format!(
            "{} people; recorded items sent again: {resent}",
            thousands(people as u64)
        ),
        lost.to_string(),
    ]);

    // 3. Removal interrupted inside each step.
    let (mut cases, mut bad, mut dangling, mut moments) = (0usize, 0usize, 0usize, 0usize);
    for _ in 0..runs {
        for step in 0..3 {
            for how in INTERRUPTIONS {
                let o = reliability::interrupted_removal(step, how).await;
                cases += 1;
                dangling += o.dangling_moments;
                moments += o.moments;
                if o.rerun_error.is_some()
                    || !o.rerun_all_done
                    || !o.connector_gone
                    || !o.others_untouched
                {
                    bad += 1;
                    eprintln!("removal went wrong: {o:?}");
                }
            }
        }
    }
    rows.push([
        "Connector removal with each step (precedence, source, connection) hit by an outage, dropped connections, a lost answer or 429s, then run again".into(),
        cases.to_string(),
        format!("{cases} faulted steps; precedence naming a deleted source: {dangling} of {moments} observed states"),
        "3 objects per removal; other connectors untouched".into(),
        bad.to_string(),
    ]);

    // 4. The binary killed between removal steps.
    let (mut cases, mut bad) = (0usize, 0usize);
    for _ in 0..runs {
        for step in 0..2 {
            let o = reliability::killed_removal(&bin, step).await;
            cases += 1;
            if !(o.killed_before_the_end && o.rerun_ok && o.connector_gone)
                || o.dangling_moments > 0
            {
                bad += 1;
                eprintln!("killed removal went wrong: {o:?}");
            }
        }
    }
    rows.push([
        "`peoplectl remove --yes` SIGKILLed after step 1 and after step 2, then run again".into(),
        cases.to_string(),
        format!("{cases} SIGKILLs"),
        "3 objects per removal".into(),
        bad.to_string(),
    ]);

    // 5. Two admins at once.
    let (mut cases, mut refused, mut bad) = (0usize, 0usize, 0usize);
    for _ in 0..runs * 3 {
        let o = reliability::two_admins().await;
        cases += 1;
        if o.refusal == Some((true, true)) {
            refused += 1;
        }
        if o.landed != 1 || !o.winner_holds || o.other_error.is_some() {
            bad += 1;
            eprintln!("two admins went wrong: {o:?}");
        }
    }
    rows.push([
        "Two admins move precedence entries at the same moment".into(),
        cases.to_string(),
        format!("{cases} races; refused with both lists shown: {refused}"),
        "1 list".into(),
        bad.to_string(),
    ]);

    println!("| Scenario | Runs | Faults injected | Items | Lost |");
    println!("|---|---:|---|---|---:|");
    for [a, b, c, d, e] in &rows {
        println!("| {a} | {b} | {c} | {d} | {e} |");
    }
    println!(
        "\n{} runs each, {:.0} s in all (`cargo run --release --example reliability -- --runs {runs}`).",
        runs,
        started.elapsed().as_secs_f64()
    );
}
