//! Is it live yet from the Syncs pane: the last check read with the tenant, a check run now,
//! the list of people not live, and a profile's ledger line.

use std::sync::Arc;

use super::{key, keys, state, works};
use crate::ops::propagation::{Ledger, Selection};
use crate::sync::state::{CheckRecord, LedgerEntry};
use crate::tui::action::{Action, PaneId};
use crate::tui::effect::Work;
use crate::tui::propagation::{CheckView, Provenance, check_view};
use crate::tui::state::{AppState, LoadState, Popup};
use crate::tui::update::update;

const T0: i64 = 1_796_523_300;

/// A check of `n` people: the first live, the second dropped (no mailbox), the rest pending.
fn view(n: usize) -> Arc<CheckView> {
    view_checked_at(n, T0 + 600)
}

/// [`view`], checked at `checked_at` (unix seconds; everyone landed at `T0`).
fn view_checked_at(n: usize, checked_at: i64) -> Arc<CheckView> {
    let id = |i: usize| format!("p{i:03}_at_contoso_dot_com");
    let entries = (0..n)
        .map(|i| LedgerEntry {
            item_id: id(i),
            hash: Some("h".into()),
            landed_at: Some(T0),
            last_error: None,
            file: Some("hr-export.csv".into()),
            line: Some(2 + i as u64),
            run_id: Some(1),
        })
        .collect();
    let previous = (0..n)
        .map(|i| CheckRecord {
            item_id: id(i),
            upn: format!("p{i:03}@contoso.com"),
            hash: Some("h".into()),
            state: match i {
                0 => "live",
                1 => "dropped",
                _ => "pending",
            }
            .into(),
            reason: (i == 1).then(|| "noMailbox".into()),
            seen_at: (i == 0).then_some(T0 + 60),
            checked_at,
        })
        .collect();
    let ledger = Ledger { entries, previous };
    Arc::new(check_view("contosohr", &ledger, None, checked_at + 100).expect("a check"))
}

/// The console in the Syncs pane with a data directory (sync state can be found).
fn syncs() -> AppState {
    let mut s = state(false);
    s.info.data_dir = Some(std::env::temp_dir().join("peoplectl-tui-tests"));
    s.info.context = "t".into();
    key(&mut s, "5");
    s
}

#[test]
fn r_reads_the_last_checks_of_the_people_connections_with_the_tenant_an_auto_refresh_not() {
    let mut s = syncs();
    // An automatic re-read leaves the stores alone (a read locks a store a sync may want).
    let effects = update(
        &mut s,
        Action::SnapshotLoaded(Ok(Arc::new(super::snapshot()))),
    );
    assert!(
        !works(&effects)
            .iter()
            .any(|w| matches!(w, Work::LoadChecks { .. }))
    );
    key(&mut s, "r");
    let effects = update(
        &mut s,
        Action::SnapshotLoaded(Ok(Arc::new(super::snapshot()))),
    );
    let Some(Work::LoadChecks { stores, .. }) = works(&effects).into_iter().next() else {
        panic!("the checks are read with the tenant: {effects:?}");
    };
    let ids: Vec<&str> = stores.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["contosohr", "talent"]);
    assert!(
        stores[0].1.ends_with("contosohr.db")
            || stores[0].1.to_string_lossy().contains("contosohr")
    );
    // Without a data directory there is no store to read.
    let mut bare = state(false);
    key(&mut bare, "r");
    let effects = update(
        &mut bare,
        Action::SnapshotLoaded(Ok(Arc::new(super::snapshot()))),
    );
    assert!(
        !works(&effects)
            .iter()
            .any(|w| matches!(w, Work::LoadChecks { .. }))
    );

    update(
        &mut s,
        Action::ChecksLoaded(vec![
            ("contosohr".into(), Ok(Some(view(5)))),
            ("talent".into(), Ok(None)),
        ]),
    );
    let c = &s.syncs.checks["contosohr"];
    assert_eq!(
        c.last.as_ref().map(|v| (v.live, v.dropped, v.pending)),
        Some((1, 1, 3))
    );
    assert!(s.syncs.checks["talent"].last.is_none());
    // A store a sync holds cannot be read: the last result read stays, and no error shows.
    update(
        &mut s,
        Action::ChecksLoaded(vec![("contosohr".into(), Err("database is locked".into()))]),
    );
    assert!(s.syncs.checks["contosohr"].last.is_some());
    assert!(s.syncs.checks["contosohr"].error.is_none());
}

#[test]
fn p_checks_a_sample_as_the_cli_does_shift_p_everyone_and_one_at_a_time() {
    let mut s = syncs();
    let effects = key(&mut s, "p");
    assert!(
        matches!(works(&effects)[..], [Work::CheckPropagation { connection, selection: Selection::Sample { size: 100, seed: 1 }, .. }] if connection == "contosohr"),
        "{effects:?}"
    );
    assert_eq!(s.syncs.checks["contosohr"].running, Some(false));
    assert!(works(&key(&mut s, "P")).is_empty(), "one check at a time");
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text.contains("already running"))
    );
    // The result arrives: the counts replace the last ones, the spinner stops.
    update(
        &mut s,
        Action::PropagationChecked {
            connection: "contosohr".into(),
            result: Ok(view(4)),
        },
    );
    let c = &s.syncs.checks["contosohr"];
    assert_eq!(c.running, None);
    assert_eq!(c.last.as_ref().map(|v| v.checked), Some(4));
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text.contains("1 live · 2 pending · 1 dropped"))
    );

    // The next connection, everyone.
    key(&mut s, "j");
    let effects = key(&mut s, "P");
    assert!(
        matches!(works(&effects)[..], [Work::CheckPropagation { connection, selection: Selection::All, .. }] if connection == "talent")
    );
    update(
        &mut s,
        Action::PropagationChecked {
            connection: "talent".into(),
            result: Err("the profile API said 503".into()),
        },
    );
    let t = &s.syncs.checks["talent"];
    assert_eq!(t.error.as_deref(), Some("the profile API said 503"));
    assert!(s.status.as_ref().is_some_and(|st| st.error));
}

#[test]
fn a_check_waits_for_a_running_sync_and_needs_a_data_directory() {
    let mut s = syncs();
    s.syncs.runs.insert(
        "contosohr".into(),
        crate::tui::state::SyncRun {
            connection: "contosohr".into(),
            input: "hr.csv".into(),
            phase: crate::sync::Phase::Sending,
            progress: None,
            issues: Vec::new(),
            throttled: 0,
            cancelling: false,
            report: None,
            started: std::time::Duration::ZERO,
            ended: None,
        },
    );
    assert!(works(&key(&mut s, "p")).is_empty());
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text.contains("sync of 'contosohr' is running"))
    );

    let mut bare = state(false);
    key(&mut bare, "5");
    assert!(works(&key(&mut bare, "p")).is_empty());
    assert!(matches!(bare.popups.last(), Some(Popup::Message(m)) if m.error));
}

#[test]
fn the_list_scrolls_opens_a_profile_and_backspace_comes_back_to_it() {
    let mut s = syncs();
    // Nothing checked yet: the footer says how to check.
    key(&mut s, "w");
    assert!(s.popups.is_empty());
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text.contains("p checks a sample"))
    );
    update(
        &mut s,
        Action::ChecksLoaded(vec![("contosohr".into(), Ok(Some(view(60))))]),
    );
    key(&mut s, "w");
    let Some(Popup::Propagation(l)) = s.popups.last() else {
        panic!("the list opens: {:?}", s.popups);
    };
    // 59 people not live (the live one is counted, not listed), dropped first.
    assert_eq!(l.view.people.len(), 59);
    assert_eq!(l.view.people[0].upn, "p001@contoso.com");
    keys(&mut s, "G");
    let at = |s: &AppState| match s.popups.last() {
        Some(Popup::Propagation(l)) => l.list.selected,
        other => panic!("the list: {other:?}"),
    };
    assert_eq!(at(&s), 58);
    keys(&mut s, "g k k pgup");
    let page = crate::tui::layout::list_popup_rows(s.size);
    assert_eq!(at(&s), 0, "g then k k then a page up stops at the top");
    keys(&mut s, "pgdn j");
    assert_eq!(at(&s), page + 1);
    let upn = format!("p{:03}@contoso.com", page + 2);

    let effects = key(&mut s, "enter");
    // The profile is a pane view; an app-only sign-in is told once that the profile API needs
    // a delegated one.
    assert!(
        matches!(&s.popups[..], [Popup::SignInNeeded]),
        "{:?}",
        s.popups
    );
    key(&mut s, "esc");
    assert_eq!(s.pane, PaneId::People);
    assert_eq!(
        s.people.profile.as_ref().map(|p| p.upn.as_str()),
        Some(upn.as_str())
    );
    let works = works(&effects);
    assert!(
        works
            .iter()
            .any(|w| matches!(w, Work::Explain { upn: u, .. } if *u == upn))
    );
    let Some(Work::LoadProvenance { upn: u, stores, .. }) = works
        .iter()
        .find(|w| matches!(w, Work::LoadProvenance { .. }))
    else {
        panic!("the ledger is read for the profile: {works:?}");
    };
    assert_eq!(u, &upn);
    assert_eq!(stores.len(), 2);
    assert!(s.people.profile.as_ref().unwrap().provenance.is_loading());

    // The ledger line arrives; one for another person (a late answer) is dropped.
    let line = Provenance {
        connection: "contosohr".into(),
        entry: Err("x".into()),
        check: None,
        read_at: T0,
    };
    update(
        &mut s,
        Action::ProvenanceLoaded {
            upn: "someone.else@contoso.com".into(),
            result: vec![line.clone()],
        },
    );
    assert!(s.people.profile.as_ref().unwrap().provenance.is_loading());
    update(
        &mut s,
        Action::ProvenanceLoaded {
            upn: upn.clone(),
            result: vec![line.clone()],
        },
    );
    assert_eq!(
        s.people.profile.as_ref().unwrap().provenance,
        LoadState::Loaded(vec![line])
    );

    // Backspace: back to the Syncs pane and the list, on the same person.
    key(&mut s, "backspace");
    assert_eq!(s.pane, PaneId::Syncs);
    assert_eq!(at(&s), page + 1);
    // Backspace (or esc) in the list closes it; w opens it again where it was.
    key(&mut s, "backspace");
    assert!(s.popups.is_empty());
    key(&mut s, "w");
    assert_eq!(at(&s), page + 1);
    // v: the whole list, reasons and files uncut, above it.
    key(&mut s, "v");
    let Some(Popup::Text(t)) = s.popups.last() else {
        panic!("the list whole: {:?}", s.popups.last());
    };
    assert_eq!(
        t.lines
            .iter()
            .filter(|l| l.text.contains("  pending: landed "))
            .count(),
        58
    );
    assert!(t.lines.iter().any(|l| l.text
        == format!(
            "p001@contoso.com  dropped: {} (from hr-export.csv:3)",
            crate::vocab::propagation_reason("noMailbox")
        )));
    keys(&mut s, "esc esc");
    assert!(s.popups.is_empty());
}

#[test]
fn a_sync_waits_for_a_running_check_of_its_connection() {
    let mut s = syncs();
    assert!(!works(&key(&mut s, "p")).is_empty());
    assert!(works(&key(&mut s, "s")).is_empty());
    assert!(
        s.status.as_ref().is_some_and(|st| st
            .text
            .contains("propagation check of 'contosohr' is running")),
        "{:?}",
        s.status
    );
    // Once it has ended, the sync may go (here: it asks for a file, none being configured).
    update(
        &mut s,
        Action::PropagationChecked {
            connection: "contosohr".into(),
            result: Ok(view(3)),
        },
    );
    key(&mut s, "s");
    assert!(matches!(s.popups.last(), Some(Popup::SyncFile { .. })));
}

#[test]
fn a_check_that_found_people_pending_past_six_hours_is_a_problem_until_a_newer_check() {
    let mut s = syncs();
    let stuck = |s: &AppState| {
        s.problems
            .iter()
            .filter(|p| p.code == "landedNotVisible")
            .map(|p| (p.subject.clone(), p.message.clone()))
            .collect::<Vec<_>>()
    };
    let before = s.problems.len();
    update(
        &mut s,
        Action::ChecksLoaded(vec![(
            "contosohr".into(),
            Ok(Some(view_checked_at(4, T0 + 7 * 3600))),
        )]),
    );
    let found = stuck(&s);
    assert_eq!(found.len(), 1, "{:?}", s.problems);
    assert_eq!(found[0].0, "contosohr");
    assert!(
        found[0].1.starts_with("2 people's data") && found[0].1.contains("p002@contoso.com"),
        "the two pending, not the live or the dropped: {}",
        found[0].1
    );
    assert_eq!(s.problems.len(), before + 1);
    // A check within the six hours clears it.
    update(
        &mut s,
        Action::PropagationChecked {
            connection: "contosohr".into(),
            result: Ok(view_checked_at(4, T0 + 600)),
        },
    );
    assert!(stuck(&s).is_empty(), "{:?}", s.problems);
    assert_eq!(s.problems.len(), before);
}
