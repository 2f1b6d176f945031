//! Who is asked about and who is sent: an unchanged re-sync asks Graph nothing, a churn asks
//! only about the rows that changed or are new, a stale match is asked again once, a learned
//! rate outlives an unthrottled run, and a connection that cannot take items is refused before
//! the input is read.

use crate::support::sync;

use peoplectl::emulator::RouteClass;
use peoplectl::people::schema::Contract;
use peoplectl::sync::state::StateStore;
use peoplectl::sync::{
    CancellationToken, EventSink, IssueKind, LookupMode, SyncError, SyncReport, run,
};
use sync::{Env, env, env_with, options, path, people, people_connection, write_csv};

const CONN: &str = "hrsync";

async fn sync(env: &Env, input: &std::path::Path) -> SyncReport {
    sync::sync(env, CONN, input).await
}

/// Requests to `/users` (listing, `$count`, and each lookup inside a `$batch`) and item
/// writes since the counters were reset.
fn asked_and_written(env: &Env) -> (u64, u64) {
    let c = env.emu.inspect().counters();
    (
        c.class(RouteClass::Users).requests,
        c.class(RouteClass::Items).requests,
    )
}

fn state(env: &Env) -> StateStore {
    let opts = options(env, CONN, &path(env, "x"));
    StateStore::open(&opts.state_path(), env.emu.tenant_id(), CONN).unwrap()
}

#[tokio::test]
async fn an_unchanged_resync_asks_nothing_about_users_and_writes_nothing() {
    let env = env(600).await;
    people_connection(&env.client, CONN, Contract::Labels, &[]).await;
    let input = path(&env, "hr.csv");
    write_csv(&input, &people(&env, 1..=500));
    assert_eq!(sync(&env, &input).await.put, 500);

    env.emu.faults().reset_counters();
    let again = sync(&env, &input).await;
    assert_eq!((again.put, again.unchanged, again.valid), (0, 500, 500));
    assert_eq!(again.lookup, LookupMode::Skipped);
    assert_eq!(asked_and_written(&env), (0, 0), "no user request, no write");
}

#[tokio::test]
async fn a_churn_asks_only_about_the_changed_and_new_rows_and_names_the_unknown() {
    let env = env(700).await;
    people_connection(&env.client, CONN, Contract::Labels, &[]).await;
    let input = path(&env, "hr.csv");
    let mut rows = people(&env, 1..=500);
    write_csv(&input, &rows);
    assert_eq!(sync(&env, &input).await.put, 500);

    for i in [3usize, 77, 150, 321, 499] {
        rows[i].title = format!("Principal {i}");
    }
    rows.extend(people(&env, 501..=502));
    let mut nobody = people(&env, 503..=503);
    nobody[0].upn = format!("nobody@{}", env.emu.tenant_domain());
    rows.extend(nobody);
    write_csv(&input, &rows);
    env.emu.faults().reset_counters();
    let churn = sync(&env, &input).await;
    assert_eq!(churn.lookup, LookupMode::Batched);
    assert_eq!(
        (
            churn.put,
            churn.unchanged,
            churn.to_put,
            churn.unmatched,
            churn.valid
        ),
        (7, 495, 7, 1, 502)
    );
    let (asked, written) = asked_and_written(&env);
    assert_eq!(
        asked, 8,
        "5 changed, 2 new, 1 unknown: 8 lookups, no listing"
    );
    assert_eq!(written, 7);
    let unmatched: Vec<u64> = churn
        .errors
        .iter()
        .filter(|e| e.kind == IssueKind::Unmatched)
        .map(|e| e.line.unwrap())
        .collect();
    assert_eq!(unmatched, [504], "the unknown person's row, by line");
}

#[tokio::test]
async fn a_stale_match_is_asked_again_once_and_then_trusted() {
    let env = env(300).await;
    people_connection(&env.client, CONN, Contract::Labels, &[]).await;
    let input = path(&env, "hr.csv");
    write_csv(&input, &people(&env, 1..=200));
    assert_eq!(sync(&env, &input).await.put, 200);
    // A week and more later (and a state written by a peoplectl that kept no match times).
    let db = rusqlite::Connection::open(options(&env, CONN, &input).state_path()).unwrap();
    db.execute("UPDATE items SET matched_at = 1", []).unwrap();
    drop(db);

    env.emu.faults().reset_counters();
    let stale = sync(&env, &input).await;
    assert_eq!((stale.put, stale.unchanged, stale.unmatched), (0, 200, 0));
    let (asked, written) = asked_and_written(&env);
    assert!(asked > 0, "the stale matches were asked again");
    assert_eq!(written, 0);
    let matched_at = state(&env)
        .get(&peoplectl::people::item::item_id_for_upn(&sync::upn(
            &env, 7,
        )))
        .unwrap()
        .unwrap()
        .matched_at
        .unwrap();
    assert!(matched_at > 1, "the new match time is recorded");

    env.emu.faults().reset_counters();
    let trusted = sync(&env, &input).await;
    assert_eq!((trusted.put, trusted.unchanged), (0, 200));
    assert_eq!(asked_and_written(&env), (0, 0));
}

#[tokio::test]
async fn a_learned_rate_outlives_an_unthrottled_run_and_a_short_churn_starts_at_it() {
    let mut config = sync::config(700);
    config.ingest_rps = Some(60.0);
    let env = env_with(config).await;
    people_connection(&env.client, CONN, Contract::Labels, &[]).await;
    let input = path(&env, "hr.csv");
    let mut rows = people(&env, 1..=300);
    write_csv(&input, &rows);
    let first = sync(&env, &input).await;
    assert!(first.throttled > 0, "the limit of 60/s was met");
    let learned = || -> f64 {
        state(&env)
            .setting("ingestRate")
            .unwrap()
            .expect("a learned rate")
            .parse()
            .unwrap()
    };
    let taught = learned();
    assert!(
        (40.0..70.0).contains(&taught),
        "learned {taught}/s for 60/s"
    );

    // The limit is lifted (another time of day): a run that meets no 429 keeps the rate.
    env.emu.faults().set_ingest_rps(None);
    rows.extend(people(&env, 301..=600));
    write_csv(&input, &rows);
    let unthrottled = sync(&env, &input).await;
    assert_eq!((unthrottled.put, unthrottled.throttled), (300, 0));
    assert!(
        (learned() - taught).abs() < 0.01,
        "{} vs {taught}",
        learned()
    );

    // Back under the limit, a short churn starts at the learned rate: no 429 to find it.
    env.emu.faults().set_ingest_rps(Some(60.0));
    for r in rows.iter_mut().step_by(10) {
        r.title.push_str(" (moved)");
    }
    write_csv(&input, &rows);
    let churn = sync(&env, &input).await;
    assert_eq!((churn.put, churn.throttled), (60, 0));
}

#[tokio::test]
async fn a_connection_that_cannot_take_items_is_refused_before_the_input_is_read() {
    let env = env(20).await;
    // Created, never given a schema: a draft.
    env.client
        .create_connection(&peoplectl::graph::connections::NewConnection {
            id: CONN.to_owned(),
            name: "Draft HR".into(),
            description: "sync tests".into(),
            content_category: Some("people".into()),
        })
        .await
        .unwrap();
    // Not an export at all: reading it would report bad rows, not the refusal.
    let input = path(&env, "hr.csv");
    std::fs::write(&input, b"\x00\x01 not a csv \xff\n").unwrap();
    for dry_run in [false, true] {
        let mut opts = options(&env, CONN, &input);
        opts.dry_run = dry_run;
        let err = run(
            &env.client,
            &opts,
            EventSink::none(),
            CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, SyncError::NotReady { .. }), "{err}");
        assert!(err.is_refusal());
        let text = err.to_string();
        assert!(text.contains("draft") && text.contains(CONN), "{text}");
        assert!(
            !opts.state_path().exists(),
            "refused before the state was opened"
        );
    }
}
