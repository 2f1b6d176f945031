//! The reliability scenarios, shared by the tests (which assert on their outcomes) and
//! `examples/reliability.rs` (which reruns them and prints the README's table).
// Kill points and rates are rough figures: precision loss in these casts does not matter.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use super::sync;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use peoplectl::emulator::{EmulatorHandle, FaultRule, RouteClass, SeedKind};
use peoplectl::graph::retry::RetryPolicy;
use peoplectl::ops::remove::{Scope, execute_remove};
use peoplectl::ops::reorder::{Edit, apply, plan_edit};
use peoplectl::ops::snapshot::read_precedence;
use peoplectl::ops::{OpsError, Progress, StepStatus};
use peoplectl::people::ids::SourceId;
use peoplectl::people::item::item_id_for_upn;
use peoplectl::people::schema::Contract;
use peoplectl::sync::state::StateStore;
use peoplectl::sync::{CancellationToken, EventSink, SyncOptions, SyncReport, run};
use sync::{Person, people, people_connection, write_csv};

pub const CONN: &str = "hrsync";

/// How far what the emulator holds is from what it should hold.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drift {
    pub missing: usize,
    pub extra: usize,
    pub stale: usize,
}

impl Drift {
    pub fn lost(&self) -> usize {
        self.missing + self.extra + self.stale
    }
}

fn job_title(emu: &EmulatorHandle, upn: &str) -> Option<String> {
    let item = emu.inspect().item(CONN, &item_id_for_upn(upn))?;
    let position: serde_json::Value =
        serde_json::from_str(item["properties"]["currentPosition"].as_str()?).ok()?;
    Some(position["detail"]["jobTitle"].as_str()?.to_owned())
}

/// Compares the connection's items with the people expected: ids and current titles.
pub fn drift(emu: &EmulatorHandle, expected: &[Person]) -> Drift {
    let held: BTreeSet<String> = emu.inspect().item_ids(CONN).into_iter().collect();
    let wanted: BTreeSet<String> = expected.iter().map(|p| item_id_for_upn(&p.upn)).collect();
    Drift {
        missing: wanted.difference(&held).count(),
        extra: held.difference(&wanted).count(),
        stale: expected
            .iter()
            .filter(|p| {
                held.contains(&item_id_for_upn(&p.upn))
                    && job_title(emu, &p.upn).as_deref() != Some(p.title.as_str())
            })
            .count(),
    }
}

/// Retry knobs scaled down so a storm costs seconds, not minutes; the logic is the same.
fn storm_options(env: &sync::Env, input: &Path) -> SyncOptions {
    let mut opts = sync::options(env, CONN, input);
    opts.exec.control.default_retry_after = Duration::from_millis(50);
    opts.exec.base_backoff = Duration::from_millis(10);
    opts.exec.max_backoff = Duration::from_millis(200);
    opts.exec.max_attempts = 40;
    opts.exec.max_throttles = 400;
    opts
}

fn storm(emu: &EmulatorHandle) {
    let f = emu.faults();
    // 429s without Retry-After (the client must back off on its own), 503/504s, connections dropped
    // before and after the request was applied, and 200 ms latency spikes.
    f.set_throttle_rate(0.06, None);
    f.set_fault_rate(0.04);
    // 503s without Retry-After: with it, each pauses every request for 1-3 s (as it should),
    // which makes a storm minutes long without testing anything more.
    f.set_fault_retry_after_max_s(0);
    f.set_drop_rate(0.02);
    f.set_lose_rate(0.02);
    f.set_latency_spikes(0.02, 200);
}

/// Faults the emulator injected into item requests.
#[derive(Debug, Default, Clone, Copy)]
pub struct Injected {
    pub requests: u64,
    pub throttled: u64,
    pub server_errors: u64,
    pub dropped: u64,
    pub lost_answers: u64,
}

impl Injected {
    pub fn total(&self) -> u64 {
        self.throttled + self.server_errors + self.dropped + self.lost_answers
    }

    fn of(emu: &EmulatorHandle) -> Self {
        let c = emu.inspect().counters().class(RouteClass::Items);
        Self {
            requests: c.requests,
            throttled: c.throttled,
            server_errors: c.server_errors,
            dropped: c.dropped,
            lost_answers: c.lost_answers,
        }
    }
}

#[derive(Debug)]
pub struct StormOutcome {
    pub people: usize,
    /// First sync (everyone) and second (changes, joiners, leavers), both under the storm.
    pub first: SyncReport,
    pub second: SyncReport,
    /// What the second sync should have sent.
    pub second_expected_puts: u64,
    /// A calm third sync: what was still left to send (should be nothing).
    pub third_puts: u64,
    pub third_deletes: u64,
    pub injected: Injected,
    pub drift_after_first: Drift,
    pub drift_after_second: Drift,
}

/// Two syncs of `people` people through storms of 429/503/504, dropped connections, lost
/// answers and latency spikes; then a calm one.
pub async fn storm_sync(people_count: usize) -> StormOutcome {
    let env = sync::env(people_count + 200).await;
    people_connection(&env.client, CONN, Contract::Labels, &[]).await;
    let input = sync::path(&env, "hr.csv");
    let last_night = people(&env, 1..=people_count);
    write_csv(&input, &last_night);
    let sync = |opts: SyncOptions| {
        let client = env.client.clone();
        async move {
            run(&client, &opts, EventSink::none(), CancellationToken::new())
                .await
                .expect("the sync survives")
        }
    };

    env.emu.faults().reset_counters();
    storm(&env.emu);
    let first = sync(storm_options(&env, &input)).await;
    env.emu.faults().clear();
    let drift_after_first = drift(&env.emu, &last_night);

    // Tonight: 2% left, 2% joined, every 10th person changed title.
    let churn = people_count / 50;
    let mut tonight = people(&env, churn + 1..=people_count + churn);
    for p in tonight.iter_mut().step_by(10) {
        p.title = format!("Principal {}", p.title);
    }
    write_csv(&input, &tonight);
    let old: HashMap<&str, &str> = last_night
        .iter()
        .map(|p| (p.upn.as_str(), p.title.as_str()))
        .collect();
    let second_expected_puts = tonight
        .iter()
        .filter(|p| old.get(p.upn.as_str()) != Some(&p.title.as_str()))
        .count() as u64;
    storm(&env.emu);
    let mut opts = storm_options(&env, &input);
    opts.max_deletes = Some(churn as u64);
    let second = sync(opts).await;
    env.emu.faults().clear();
    let injected = Injected::of(&env.emu);
    let drift_after_second = drift(&env.emu, &tonight);

    let third = sync(sync::options(&env, CONN, &input)).await;
    StormOutcome {
        people: people_count,
        first,
        second,
        second_expected_puts,
        third_puts: third.put,
        third_deletes: third.deleted,
        injected,
        drift_after_first,
        drift_after_second,
    }
}

/// Every file below `dir`, at any depth.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// The state file the CLI keeps under its data directory (one per context and connection).
fn state_file(data_dir: &Path) -> Option<PathBuf> {
    files_under(data_dir)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "sqlite"))
}

fn recorded(data_dir: &Path, tenant: &str) -> HashMap<String, String> {
    let Some(path) = state_file(data_dir) else {
        return HashMap::new();
    };
    let store = StateStore::open(&path, tenant, CONN).expect("the state opens after a SIGKILL");
    let mut all = HashMap::new();
    store
        .for_each(|id, hash| {
            // A record without a hash is a failure noted for the next run, not a success.
            if let Some(hash) = hash {
                all.insert(id.to_owned(), hash.to_owned());
            }
        })
        .unwrap();
    all
}

/// `peoplectl ARGS` against the emulator, with its own config and data directories.
pub fn peoplectl(
    bin: &Path,
    emu: &EmulatorHandle,
    home: &Path,
    args: &[&str],
) -> std::process::Command {
    let mut cmd = std::process::Command::new(bin);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("PEOPLECTL_CONFIG_DIR", home.join("config"))
        .env("PEOPLECTL_DATA_DIR", home.join("data"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in emu.env_lines() {
        cmd.env(k, v);
    }
    cmd
}

/// One SIGKILL: where it was aimed, what had landed and what was recorded.
#[derive(Debug, Clone, Copy)]
pub struct Kill {
    pub at: usize,
    pub landed: usize,
    pub recorded: usize,
    /// Items recorded by an earlier run that this run sent again (must be 0).
    pub resent: usize,
}

#[derive(Debug)]
pub struct KillOutcome {
    pub people: usize,
    pub kills: Vec<Kill>,
    /// Items recorded before the last run that it sent again.
    pub resent_at_end: usize,
    /// Items the last run sent more than once, or sent that it did not need to.
    pub last_run_writes: usize,
    pub last_run_ok: bool,
    pub recorded_at_end: usize,
    pub drift: Drift,
}

/// `peoplectl sync` (the binary at `bin`) SIGKILLed at `kills` random instants, then run to
/// the end.
pub async fn kill_and_resume(bin: &Path, people_count: usize, kills: usize) -> KillOutcome {
    let mut config = sync::config(people_count + 100);
    // Slow enough that a kill lands mid-flight; a few spikes so the instants vary.
    config.latency_ms = 4;
    let env = sync::env_with(config).await;
    env.emu.faults().set_latency_spikes(0.01, 100);
    people_connection(&env.client, CONN, Contract::Labels, &[]).await;
    let input = sync::path(&env, "hr.csv");
    let everyone = people(&env, 1..=people_count);
    write_csv(&input, &everyone);
    let home = env.dir.path();
    let data_dir = home.join("data");
    let input_arg = input.display().to_string();
    let args = ["sync", CONN, "--input", input_arg.as_str()];
    let tenant = env.emu.tenant_id().to_owned();

    let mut done = Vec::new();
    for k in 0..kills {
        // Spread over the run: the k-th kill lands somewhere in the k-th slice of what is left.
        let slice = 0.9 / kills as f64;
        let low = 0.05 + slice * k as f64;
        let at = (people_count as f64 * rand::random_range(low..low + slice * 0.8)) as usize;
        env.emu.inspect().reset_item_writes(CONN);
        let before = recorded(&data_dir, &tenant);
        let mut child = peoplectl(bin, &env.emu, home, &args).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        while env.emu.inspect().item_count(CONN) < at {
            assert!(Instant::now() < deadline, "the sync never reached {at}");
            if let Some(status) = child.try_wait().unwrap() {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "the sync ended by itself ({status}) before {at}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        child.kill().unwrap(); // SIGKILL: no destructor, no flush, no goodbye
        child.wait().unwrap();
        let landed = env.emu.inspect().item_count(CONN);
        let after = recorded(&data_dir, &tenant);
        let writes = env.emu.inspect().item_writes(CONN);
        done.push(Kill {
            at,
            landed,
            recorded: after.len(),
            resent: before.keys().filter(|id| writes.contains_key(*id)).count(),
        });
    }

    let before = recorded(&data_dir, &tenant);
    env.emu.inspect().reset_item_writes(CONN);
    let out = peoplectl(bin, &env.emu, home, &args).output().unwrap();
    let writes = env.emu.inspect().item_writes(CONN);
    let needed = people_count - before.len();
    let sent: u64 = writes.values().sum();
    KillOutcome {
        people: people_count,
        kills: done,
        resent_at_end: before.keys().filter(|id| writes.contains_key(*id)).count(),
        last_run_writes: usize::try_from(sent).unwrap_or(usize::MAX).abs_diff(needed),
        last_run_ok: out.status.success(),
        recorded_at_end: recorded(&data_dir, &tenant).len(),
        drift: drift(&env.emu, &everyone),
    }
}

/// The ways a removal step can be interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    /// A fault the retries cannot get past: the run stops after the step before.
    Outage,
    /// The connection dropped every time.
    Dropped,
    /// The change applied, the answer lost.
    LostAnswer,
    /// A short throttling burst.
    Throttled,
}

pub const INTERRUPTIONS: [Interruption; 4] = [
    Interruption::Outage,
    Interruption::Dropped,
    Interruption::LostAnswer,
    Interruption::Throttled,
];

pub const REMOVED: &str = "contosohr";

/// The removed connector is in none of the three lists.
fn connector_gone(lists: &super::Lists) -> bool {
    !lists.connections.iter().any(|c| c == REMOVED)
        && !lists.sources.iter().any(|s| s == REMOVED)
        && !lists.precedence.iter().any(|u| u.contains(REMOVED))
}

fn step_rule(step: usize) -> FaultRule {
    match step {
        0 => FaultRule::new("PATCH", "*/admin/people/profilePropertySettings*"),
        1 => FaultRule::new("DELETE", "*/admin/people/profileSources*"),
        _ => FaultRule::new("DELETE", "*/external/connections/*"),
    }
}

#[derive(Debug)]
pub struct RemovalOutcome {
    /// The first run's status for the interrupted step.
    pub first_step_status: StepStatus,
    pub first_failed: bool,
    /// The rerun's error, if any.
    pub rerun_error: Option<String>,
    pub rerun_all_done: bool,
    /// Moments at which the precedence list named a source that did not exist (beyond the
    /// ones the demo tenant starts with).
    pub dangling_moments: usize,
    pub moments: usize,
    /// The three lists after, compared with before minus the connector: equal?
    pub others_untouched: bool,
    pub connector_gone: bool,
}

/// A removal of the demo's `contosohr` with `step` interrupted by `how`, then run again.
pub async fn interrupted_removal(step: usize, how: Interruption) -> RemovalOutcome {
    let env = super::env(SeedKind::Demo).await;
    let inspect = env.emu.inspect();
    let before = super::lists(&env.emu);
    inspect.start_journal();
    let initially_dangling = inspect.journal()[0].dangling_precedence();
    let rule = step_rule(step);
    env.emu.faults().add_rule(match how {
        Interruption::Outage => rule.status(503).times(50),
        Interruption::Dropped => rule.drop_connection().times(50),
        Interruption::LostAnswer => rule.lose_answer(),
        Interruption::Throttled => rule.status(429).retry_after(1).times(2),
    });
    // The production retry schedule with delays in milliseconds: same decisions, less waiting.
    let client = env.client.with_retry(RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        ..RetryPolicy::default()
    });
    let (first, error) =
        execute_remove(&client, REMOVED, Scope::Connector, &Progress::none()).await;
    env.emu.faults().clear();
    let (second, rerun_error) =
        execute_remove(&client, REMOVED, Scope::Connector, &Progress::none()).await;
    let after = super::lists(&env.emu);
    let strip = |v: &[String]| -> Vec<String> {
        v.iter().filter(|s| !s.contains(REMOVED)).cloned().collect()
    };
    let journal = inspect.journal();
    RemovalOutcome {
        first_step_status: first.steps[step].status,
        first_failed: error.is_some(),
        rerun_error: rerun_error.map(|e| e.to_string()),
        rerun_all_done: second
            .steps
            .iter()
            .all(|s| matches!(s.status, StepStatus::Done | StepStatus::AlreadyDone)),
        dangling_moments: journal
            .iter()
            .filter(|m| {
                m.dangling_precedence()
                    .iter()
                    .any(|d| !initially_dangling.contains(d))
            })
            .count(),
        moments: journal.len(),
        others_untouched: after.connections == strip(&before.connections)
            && after.sources == strip(&before.sources)
            && after.precedence == strip(&before.precedence),
        connector_gone: connector_gone(&after),
    }
}

#[derive(Debug)]
pub struct KilledRemoval {
    pub killed_before_the_end: bool,
    pub rerun_ok: bool,
    pub rerun_stderr: String,
    pub connector_gone: bool,
    pub dangling_moments: usize,
}

/// `peoplectl remove --yes` SIGKILLed once step `after_step` (0 or 1) shows in the tenant,
/// then run again.
pub async fn killed_removal(bin: &Path, after_step: usize) -> KilledRemoval {
    let mut config = super::config(SeedKind::Demo);
    // Slow requests, so the kill lands between steps (found in the journal).
    config.latency_ms = 40;
    let env = super::env_with(config).await;
    let home = tempfile::tempdir().unwrap();
    let inspect = env.emu.inspect();
    inspect.start_journal();
    // The impact count is not the subject here, and reading it is most of the run.
    let args = ["remove", REMOVED, "--yes", "--impact-users", "0"];
    let mut child = peoplectl(bin, &env.emu, home.path(), &args)
        .spawn()
        .unwrap();
    let done = |m: &peoplectl::emulator::TenantMoment| match after_step {
        0 => !m.precedence.iter().any(|u| u.contains(REMOVED)),
        _ => !m.source_ids.iter().any(|s| s == REMOVED),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !inspect.journal().iter().any(done) {
        assert!(
            Instant::now() < deadline,
            "step {after_step} never happened"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the kill"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_before_the_end = inspect
        .journal()
        .last()
        .is_some_and(|m| m.connection_ids.iter().any(|c| c == REMOVED));
    let out = peoplectl(bin, &env.emu, home.path(), &args)
        .output()
        .unwrap();
    let lists = super::lists(&env.emu);
    KilledRemoval {
        killed_before_the_end,
        rerun_ok: out.status.success(),
        rerun_stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        connector_gone: connector_gone(&lists),
        dangling_moments: inspect
            .journal()
            .iter()
            .filter(|m| m.dangling_precedence().iter().any(|d| d == REMOVED))
            .count(),
    }
}

fn source(id: &str) -> SourceId {
    SourceId::new(id).unwrap()
}

#[derive(Debug)]
pub struct AdminsOutcome {
    pub landed: usize,
    /// The refusal: (the list the plan was made from == the list both read,
    /// the list shown as current == the winner's list).
    pub refusal: Option<(bool, bool)>,
    /// Graph holds the winner's list.
    pub winner_holds: bool,
    pub other_error: Option<String>,
}

/// Two admins plan moves from the same list and apply them at once.
pub async fn two_admins() -> AdminsOutcome {
    let mut config = super::config(SeedKind::Demo);
    // Both read before either writes, unless something serialises them.
    config.latency_ms = 60;
    let env = super::env_with(config).await;
    let setting = read_precedence(&env.client).await.unwrap().unwrap();
    let alice = plan_edit(&setting, &Edit::MoveTo(source("talentlegacy"), 1)).unwrap();
    let bob = plan_edit(&setting, &Edit::MoveTo(source("oldpayroll"), 1)).unwrap();
    let (a, b) = tokio::join!(apply(&env.client, &alice), apply(&env.client, &bob));
    let landed = usize::from(a.is_ok()) + usize::from(b.is_ok());
    let now = read_precedence(&env.client).await.unwrap().unwrap();
    let (winner, refused) = match (&a, &b) {
        (Ok(_), Err(e)) => (Some(&alice), Some(e)),
        (Err(e), Ok(_)) => (Some(&bob), Some(e)),
        _ => (None, a.as_ref().err().or(b.as_ref().err())),
    };
    let refusal = match (refused, winner) {
        (Some(OpsError::Conflict { expected, actual }), Some(w)) => {
            Some((expected == &setting.list, actual == &w.after))
        }
        _ => None,
    };
    AdminsOutcome {
        landed,
        refusal,
        winner_holds: winner.is_some_and(|w| now.list == w.after),
        other_error: match refused {
            Some(OpsError::Conflict { .. }) | None => None,
            Some(e) => Some(e.to_string()),
        },
    }
}
