//! Reliability under injected faults: a 5,000-person sync through storms, the real binary
//! SIGKILLed mid-sync and resumed, removals interrupted at every step, and two admins writing
//! the precedence list at once. Every check is against what the emulator holds; the scenarios
//! live in `support::reliability`, which `examples/reliability.rs` reruns for the README.

use crate::support::reliability;

use std::collections::BTreeSet;
use std::path::Path;

use crate::support;
use crate::support::sync::{self, Person, people, people_connection, write_csv};
use peoplectl::emulator::SeedKind;
use peoplectl::ops::StepStatus;
use peoplectl::ops::snapshot::read_precedence;
use peoplectl::people::schema::Contract;
use reliability::{CONN, Drift, INTERRUPTIONS, Interruption};

const BIN: &str = env!("CARGO_BIN_EXE_peoplectl");

/// The storm's checks, at any size: exact after each sync, a real storm, nothing left after.
fn assert_storm_ends_exact(o: &reliability::StormOutcome) {
    let people = o.people as u64;
    assert_eq!((o.first.put, o.first.failed), (people, 0), "{:?}", o.first);
    assert_eq!(o.drift_after_first, Drift::default());
    // 2% left: each is deleted.
    assert_eq!(
        (o.second.put, o.second.deleted, o.second.failed),
        (o.second_expected_puts, people / 50, 0),
        "{:?}",
        o.second
    );
    assert_eq!(o.drift_after_second, Drift::default());
    // The storm was one: at least 10% of item requests faulted, of every kind.
    let i = o.injected;
    assert!(i.total() * 10 >= i.requests, "{i:?}");
    assert!(i.throttled > 0 && i.server_errors > 0 && i.dropped > 0 && i.lost_answers > 0);
    // Calm again: the state agrees with Graph, so nothing is left to send.
    assert_eq!((o.third_puts, o.third_deletes), (0, 0));
}

/// 1,000 people prove the property: every fault kind hits some of the ~4,000 item requests.
/// The README's 5,000-person figure comes from `examples/reliability.rs` and the test below.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_of_1000_people_through_fault_storms_ends_exact() {
    let o = reliability::storm_sync(1_000).await;
    assert_eq!(o.people, 1_000);
    assert_storm_ends_exact(&o);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "full size, about a minute: cargo test --test it -- --ignored"]
async fn a_sync_of_5000_people_through_fault_storms_ends_exact() {
    let o = reliability::storm_sync(5_000).await;
    assert_eq!(o.people, 5_000);
    assert_storm_ends_exact(&o);
}

/// The kill scenario's checks: no recorded item resent, kills at different points, and a last
/// run that sends exactly what was missing.
fn assert_kills_resume_exact(o: &reliability::KillOutcome) {
    eprintln!("kills: {:?}", o.kills);
    for k in &o.kills {
        assert_eq!(k.resent, 0, "recorded items sent again: {k:?}");
        assert!(k.recorded <= k.landed, "recorded what did not land: {k:?}");
        assert!(k.landed < o.people, "killed too late to tell: {k:?}");
        assert!(k.landed >= k.at, "killed before the aimed point: {k:?}");
    }
    // The kills landed at different points of the run.
    let recorded: BTreeSet<usize> = o.kills.iter().map(|k| k.recorded).collect();
    assert_eq!(recorded.len(), o.kills.len(), "{:?}", o.kills);
    assert!(o.last_run_ok);
    assert_eq!(o.resent_at_end, 0);
    assert_eq!(
        o.last_run_writes, 0,
        "the last run sent exactly what was missing"
    );
    assert_eq!(o.recorded_at_end, o.people);
    assert_eq!(o.drift.lost(), 0, "{:?}", o.drift);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peoplectl_sync_killed_at_random_instants_resumes_exact_without_resending() {
    let o = reliability::kill_and_resume(Path::new(BIN), 1_000, 3).await;
    assert_eq!(o.people, 1_000);
    assert_kills_resume_exact(&o);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "full size: cargo test --test it -- --ignored"]
async fn peoplectl_sync_of_3000_killed_at_random_instants_resumes_exact_without_resending() {
    let o = reliability::kill_and_resume(Path::new(BIN), 3_000, 3).await;
    assert_eq!(o.people, 3_000);
    assert_kills_resume_exact(&o);
}

#[tokio::test]
async fn removal_interrupted_at_every_step_completes_and_never_leaves_a_dangling_entry() {
    for step in 0..3 {
        for how in INTERRUPTIONS {
            let o = reliability::interrupted_removal(step, how).await;
            let at = format!("step {step}, {how:?}");
            assert!(o.rerun_error.is_none() && o.rerun_all_done, "{at}: {o:?}");
            assert!(o.connector_gone && o.others_untouched, "{at}: {o:?}");
            assert_eq!(o.dangling_moments, 0, "{at}: {o:?}");
            assert!(o.moments >= 2, "{at}: the journal saw the changes: {o:?}");
            if matches!(how, Interruption::Outage | Interruption::Dropped) {
                assert!(o.first_failed, "{at}: {o:?}");
                assert_eq!(o.first_step_status, StepStatus::Failed, "{at}: {o:?}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_binary_killed_after_each_removal_step_finishes_on_the_rerun() {
    for step in 0..2 {
        let o = reliability::killed_removal(Path::new(BIN), step).await;
        assert!(o.killed_before_the_end, "after step {step}: {o:?}");
        assert!(o.rerun_ok, "after step {step}: {}", o.rerun_stderr);
        assert!(o.connector_gone, "after step {step}: {o:?}");
        assert_eq!(o.dangling_moments, 0, "after step {step}: {o:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_writing_precedence_at_once_one_is_refused_with_both_lists_none_lost() {
    let o = reliability::two_admins().await;
    assert_eq!(o.landed, 1, "{o:?}");
    assert_eq!(o.refusal, Some((true, true)), "{o:?}");
    assert!(o.winner_holds, "{o:?}");
    assert!(o.other_error.is_none(), "{o:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_peoplectl_processes_moving_precedence_at_once_lose_nothing_silently() {
    let mut config = support::config(SeedKind::Demo);
    config.latency_ms = 80;
    let env = support::env_with(config).await;
    let setting = read_precedence(&env.client).await.unwrap().unwrap();
    let spawn = |id: &str, home: &Path| {
        let args = ["precedence", "move", id, "--to", "1"];
        reliability::peoplectl(Path::new(BIN), &env.emu, home, &args)
            .spawn()
            .unwrap()
    };
    let (alice_home, bob_home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alice = spawn("talentlegacy", alice_home.path());
    let bob = spawn("oldpayroll", bob_home.path());
    let (alice, bob) = (
        alice.wait_with_output().unwrap(),
        bob.wait_with_output().unwrap(),
    );
    let now = read_precedence(&env.client).await.unwrap().unwrap();
    let first = |list: &peoplectl::people::precedence::PrecedenceList| {
        list.entries()[0].source_id().unwrap().as_str().to_owned()
    };
    match (alice.status.code(), bob.status.code()) {
        // Both landed, one after the other: both moves show.
        (Some(0), Some(0)) => {
            let top: Vec<String> = now.list.entries()[..2]
                .iter()
                .map(|e| e.source_id().unwrap().as_str().to_owned())
                .collect();
            assert!(top.contains(&"talentlegacy".into()) && top.contains(&"oldpayroll".into()));
        }
        // One refused: exit 4, both lists on stderr, and the other's move is what Graph holds.
        (Some(0), Some(4)) | (Some(4), Some(0)) => {
            let (winner, loser) = if alice.status.code() == Some(0) {
                ("talentlegacy", &bob)
            } else {
                ("oldpayroll", &alice)
            };
            assert_eq!(first(&now.list), winner);
            let stderr = String::from_utf8_lossy(&loser.stderr);
            assert!(stderr.contains("changed"), "{stderr}");
            assert!(stderr.contains(winner), "the list now is shown: {stderr}");
        }
        other => panic!(
            "unexpected exits {other:?}: {} / {}",
            String::from_utf8_lossy(&alice.stderr),
            String::from_utf8_lossy(&bob.stderr)
        ),
    }
    assert_ne!(now.list, setting.list);
}

/// Rows the reader cannot read at all (ragged, not UTF-8) might name anyone: while there are
/// such rows, nobody is deleted, and the report says how many deletes were held.
#[tokio::test]
async fn unreadable_rows_hold_deletes_instead_of_deleting_the_people_they_might_name() {
    let env = sync::env(60).await;
    people_connection(&env.client, CONN, Contract::Labels, &[]).await;
    let input = sync::path(&env, "hr.csv");
    let everyone = people(&env, 1..=50);
    write_csv(&input, &everyone);
    let first = sync::sync(&env, CONN, &input).await;
    assert_eq!(first.put, 50);

    // Person 7's row has a field too many; person 9's has bytes that are not UTF-8.
    let mut bytes = b"userPrincipalName,jobTitle,department,mail,skills\n".to_vec();
    for p in &everyone {
        let row = format!(
            "{},{},{},{},{}",
            p.upn, p.title, p.department, p.upn, p.skills
        );
        bytes.extend_from_slice(row.as_bytes());
        if p.upn.starts_with("user000007@") {
            bytes.extend_from_slice(b",extra");
        } else if p.upn.starts_with("user000009@") {
            bytes.extend_from_slice(b"\xff\xfe");
        }
        bytes.push(b'\n');
    }
    std::fs::write(&input, &bytes).unwrap();

    let second = sync::sync(&env, CONN, &input).await;
    assert_eq!(second.invalid, 2, "{:?}", second.errors);
    let lines: BTreeSet<u64> = second.errors.iter().filter_map(|e| e.line).collect();
    assert_eq!(lines, BTreeSet::from([8, 10]), "{:?}", second.errors);
    assert_eq!(second.deleted, 0);
    assert_eq!(second.deletes_held, 2);
    assert_eq!(env.emu.inspect().item_count(CONN), 50, "nobody was deleted");

    // The file fixed, minus person 7 who really left: now they go.
    let remaining: Vec<Person> = everyone
        .into_iter()
        .filter(|p| !p.upn.starts_with("user000007"))
        .collect();
    write_csv(&input, &remaining);
    let third = sync::sync(&env, CONN, &input).await;
    assert_eq!((third.deleted, third.deletes_held), (1, 0));
    assert_eq!(reliability::drift(&env.emu, &remaining), Drift::default());
}
