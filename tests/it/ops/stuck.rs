//! Stuck work in doctor against the emulator: a schema operation past Microsoft's 15 minutes,
//! a draft an hour after creation, a connection peoplectl deleted that Graph still lists. The
//! emulator's clock is moved and `now` is handed in: nothing waits.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::{self, Env};
use peoplectl::emulator::{EmulatorConfig, SeedKind};
use peoplectl::ops::doctor::{FixAction, Problem, Severity, diagnose};
use peoplectl::ops::remove::{Scope, execute_remove};
use peoplectl::ops::setup::{Polling, SchemaChoice, SetupRequest, execute_setup};
use peoplectl::ops::snapshot::read_snapshot;
use peoplectl::ops::stuck::{self, WorkLog};
use peoplectl::ops::{Progress, StepStatus};
use peoplectl::people::ids::ConnectionId;
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-12-06 02:00 UTC);
const HOUR: Duration = Duration::from_secs(3600);

fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

/// An empty tenant whose schema operations take an hour and whose deleted connections stay
/// listed for 30 hours, on the emulator's clock.
async fn slow_tenant() -> Env {
    support::env_with(EmulatorConfig {
        provisioning_delay_ms: 3_600_000,
        deleted_connection_listed_ms: 30 * 3_600_000,
        // One token outlives the clock's jumps.
        token_lifetime_s: 3 * 24 * 3600,
        ..support::config(SeedKind::Empty)
    })
    .await
}

fn request(id: &str, schema: SchemaChoice, wait: bool) -> SetupRequest {
    SetupRequest {
        id: ConnectionId::new(id).unwrap(),
        name: "Contoso HR".into(),
        description: None,
        schema,
        wait,
        polling: Polling {
            first: Duration::from_millis(10),
            max: Duration::from_millis(50),
            timeout: Duration::from_secs(30),
        },
    }
}

/// doctor's findings about `id`, judged at `now` with the work log at `log`.
async fn findings(env: &Env, log: &Path, now: OffsetDateTime, id: &str) -> Vec<Problem> {
    let mut snapshot = read_snapshot(&env.client).await.unwrap();
    assert!(stuck::attach(&mut snapshot, log, now).is_none());
    diagnose(&snapshot)
        .into_iter()
        .filter(|p| p.subject == id)
        .collect()
}

fn codes(problems: &[Problem]) -> Vec<&'static str> {
    problems.iter().map(|p| p.code).collect()
}

fn log_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = WorkLog::path(dir.path(), "default");
    (dir, path)
}

#[tokio::test]
async fn a_schema_operation_running_past_fifteen_minutes_is_stuck_until_it_completes() {
    let env = slow_tenant().await;
    let (_dir, log) = log_path();
    let steps = execute_setup(
        &env.client,
        &request("hrnew", SchemaChoice::Labels, false),
        &Progress::none(),
    )
    .await
    .unwrap();
    assert!(stuck::created_connection(&steps));

    // First seen now: provisioning, which Microsoft documents as 5 to 15 minutes.
    let first = findings(&env, &log, T0, "hrnew").await;
    let running = first
        .iter()
        .find(|p| p.code == "schemaProvisioning")
        .unwrap_or_else(|| panic!("{first:#?}"));
    assert_eq!(running.severity, Severity::Info);
    assert_eq!(
        running.fix,
        "peoplectl connections show hrnew   # check again in a few minutes"
    );
    assert!(!codes(&first).contains(&"schemaNotReady"), "{first:#?}");

    env.emu.clock().advance(minutes(16));
    let later = findings(&env, &log, T0 + minutes(16), "hrnew").await;
    let stuck = later
        .iter()
        .find(|p| p.code == "schemaOperationStuck")
        .unwrap_or_else(|| panic!("{later:#?}"));
    assert_eq!(stuck.severity, Severity::Error);
    assert!(
        stuck.message.contains("at least 16 min"),
        "{}",
        stuck.message
    );
    assert_eq!(
        stuck.fix,
        "peoplectl remove hrnew   # then create it again: peoplectl connections create hrnew --name 'Contoso HR' --schema labels --wait"
    );
    assert_eq!(stuck.action, FixAction::ShowConnection("hrnew".into()));

    // The operation completes at last: nothing stuck, and the record of it is dropped.
    env.emu.clock().advance(minutes(45));
    let done = findings(&env, &log, T0 + minutes(61), "hrnew").await;
    assert!(
        done.iter().all(|p| ![
            "schemaProvisioning",
            "schemaOperationStuck",
            "schemaNotReady"
        ]
        .contains(&p.code)),
        "{done:#?}"
    );
    assert_eq!(WorkLog::load(&log).unwrap(), WorkLog::default());
}

#[tokio::test]
async fn a_draft_an_hour_after_peoplectl_created_it_is_stuck() {
    let env = slow_tenant().await;
    let (_dir, log) = log_path();
    let steps = execute_setup(
        &env.client,
        &request("hrdraft", SchemaChoice::None, false),
        &Progress::none(),
    )
    .await
    .unwrap();
    assert!(stuck::created_connection(&steps));
    WorkLog::update(&log, |l| l.record_created("hrdraft", T0)).unwrap();

    let young = findings(&env, &log, T0 + minutes(59), "hrdraft").await;
    assert!(codes(&young).contains(&"schemaNotReady"), "{young:#?}");
    assert!(!codes(&young).contains(&"draftStuck"), "{young:#?}");

    let old = findings(&env, &log, T0 + minutes(61), "hrdraft").await;
    let p = old
        .iter()
        .find(|p| p.code == "draftStuck")
        .unwrap_or_else(|| panic!("{old:#?}"));
    assert_eq!(p.severity, Severity::Error);
    assert!(
        p.message.contains("1 h 1 min after peoplectl created it"),
        "{}",
        p.message
    );
    assert_eq!(
        p.fix,
        "peoplectl connections create hrdraft --name 'Contoso HR' --schema labels --wait"
    );
}

#[tokio::test]
async fn a_failed_schema_operation_is_named_whatever_its_age() {
    let env = slow_tenant().await;
    let (_dir, log) = log_path();
    env.emu
        .faults()
        .fail_next_schema("hrfail", "Provisioning failed in the test");
    execute_setup(
        &env.client,
        &request("hrfail", SchemaChoice::Labels, false),
        &Progress::none(),
    )
    .await
    .unwrap();
    // A failed operation still takes its delay to say so.
    env.emu.clock().advance(HOUR + minutes(1));
    let problems = findings(&env, &log, T0 + HOUR * 24 * 10, "hrfail").await;
    let p = problems
        .iter()
        .find(|p| p.code == "schemaNotReady")
        .unwrap_or_else(|| panic!("{problems:#?}"));
    assert!(
        p.message.contains("Provisioning failed in the test"),
        "{}",
        p.message
    );
    assert!(!codes(&problems).contains(&"draftStuck"), "{problems:#?}");
}

#[tokio::test]
async fn a_connection_peoplectl_deleted_that_graph_still_lists_is_a_wait_then_a_warning() {
    let env = slow_tenant().await;
    let (_dir, log) = log_path();
    for id in ["hrgone", "hrstays"] {
        execute_setup(
            &env.client,
            &request(id, SchemaChoice::Labels, false),
            &Progress::none(),
        )
        .await
        .unwrap();
    }
    env.emu.clock().advance(HOUR + minutes(1));
    let healthy = findings(&env, &log, T0, "hrgone").await;
    assert!(
        !codes(&healthy).contains(&"deletedStillListed"),
        "never deleted: {healthy:#?}"
    );

    let (report, error) =
        execute_remove(&env.client, "hrgone", Scope::Connector, &Progress::none()).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(report.steps[2].status, StepStatus::Done);
    assert!(stuck::deleted_connection(&report.steps));
    WorkLog::update(&log, |l| l.record_deleted("hrgone", T0)).unwrap();

    env.emu.clock().advance(2 * HOUR);
    let waiting = findings(&env, &log, T0 + 2 * HOUR, "hrgone").await;
    assert_eq!(codes(&waiting), ["deletedStillListed"], "{waiting:#?}");
    assert_eq!(waiting[0].severity, Severity::Info);
    assert!(waiting[0].message.contains("Microsoft documents delays"));
    assert_eq!(
        waiting[0].fix,
        "peoplectl doctor   # nothing to do but wait; check again later"
    );
    // The connection never deleted is not confused with it.
    let other = findings(&env, &log, T0 + 2 * HOUR, "hrstays").await;
    assert!(!codes(&other).contains(&"deletedStillListed"), "{other:#?}");

    env.emu.clock().advance(23 * HOUR);
    let late = findings(&env, &log, T0 + 25 * HOUR, "hrgone").await;
    assert_eq!(codes(&late), ["deletedStillListed"], "{late:#?}");
    assert_eq!(late[0].severity, Severity::Warning);
    assert!(
        late[0]
            .fix
            .starts_with("peoplectl remove hrgone   # deletes it again")
    );

    // Graph drops it at last: no finding, and the record is over.
    env.emu.clock().advance(6 * HOUR);
    let gone = findings(&env, &log, T0 + 31 * HOUR, "hrgone").await;
    assert!(gone.is_empty(), "{gone:#?}");
    assert!(WorkLog::load(&log).unwrap().deleted_at("hrgone").is_none());
}
