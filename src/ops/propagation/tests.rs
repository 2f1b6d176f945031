//! The pure classification over hand-made observations: every state and every reason.

use serde_json::json;

use super::*;
use crate::people::schema::Contract;

const ENTRA_URL: &str = "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='4ce763dd-9214-4eff-af7c-da491cc3782d')";
const HR_URL: &str =
    "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='contosohr')";

fn facts() -> ConnectorFacts {
    ConnectorFacts {
        registered: true,
        state: "ready".into(),
        people_category: true,
        labels_contract: true,
        people_schema: true,
    }
}

/// `contosohr` ranked first (or after Entra ID), labels contract.
fn cx(hr_first: bool) -> ConnectionContext {
    let urls = if hr_first {
        vec![HR_URL, ENTRA_URL]
    } else {
        vec![ENTRA_URL, HR_URL]
    };
    let list = PrecedenceList::from_urls(urls);
    let source_id = SourceId::new("contosohr").unwrap();
    ConnectionContext {
        connection: "contosohr".into(),
        rank: list.index_of(&source_id).map(|i| i + 1),
        source_id: Some(source_id),
        facts: facts(),
        layout: Some(ItemLayout::default_for(Contract::Labels)),
        list,
        higher: Vec::new(),
        entra_above: !hr_first,
    }
}

fn landed() -> LedgerEntry {
    LedgerEntry {
        item_id: "megan_at_contoso_dot_com".into(),
        hash: Some("h".into()),
        landed_at: Some(1_000),
        last_error: None,
        file: Some("hr.csv".into()),
        line: Some(5),
        run_id: Some(1),
    }
}

fn user(mailbox: bool) -> serde_json::Value {
    let status = if mailbox { "Enabled" } else { "Deleted" };
    json!({
        "id": "00000000-0000-0000-0000-00000000000a",
        "userPrincipalName": "megan@contoso.com",
        "jobTitle": "Engineer",
        "assignedPlans": [{"service": "exchange", "capabilityStatus": status}],
    })
}

fn item(title: &str) -> serde_json::Value {
    json!({
        "account": json!({"userPrincipalName": "megan@contoso.com"}).to_string(),
        "currentPosition": json!({"detail": {"jobTitle": title}, "isCurrent": true}).to_string(),
    })
}

fn profile(title: &str, source: &str) -> Profile {
    serde_json::from_value(json!({
        "positions": [{
            "detail": {"jobTitle": title},
            "isCurrent": true,
            "sources": [{"sourceId": source}],
        }]
    }))
    .unwrap()
}

fn seen(title: &str, shown: Option<Profile>) -> Observed {
    Observed {
        user: Some(user(true)),
        item: Some(item(title)),
        higher: Vec::new(),
        profile: shown,
    }
}

fn verdict(cx: &ConnectionContext, o: &Observed) -> (State, Option<Reason>) {
    let v = classify(cx, &landed(), o);
    (v.state, v.reason)
}

#[test]
fn the_profile_showing_what_was_sent_is_live_an_older_value_stale_nothing_pending() {
    let cx = cx(true);
    let shown = |t: &str, s: &str| seen("Senior Engineer", Some(profile(t, s)));
    assert_eq!(
        verdict(&cx, &shown("Senior Engineer", "contosohr")),
        (State::Live, None)
    );
    assert_eq!(
        verdict(&cx, &shown("Engineer", "contosohr")),
        (State::Stale, None)
    );
    assert_eq!(
        verdict(
            &cx,
            &shown("Engineer", "4ce763dd-9214-4eff-af7c-da491cc3782d")
        ),
        (State::Pending, None)
    );
    assert_eq!(
        verdict(&cx, &seen("Senior Engineer", None)),
        (State::Pending, Some(Reason::ProfileNotRead)),
        "without the profile API, data that should show is pending as far as can be told"
    );
}

#[test]
fn a_value_no_longer_sent_but_still_shown_is_stale() {
    // The item now sends a department and no title; Entra ID's title should come back.
    let cx = cx(true);
    let mut o = seen("x", None);
    o.item.as_mut().unwrap()["currentPosition"] =
        json!(json!({"detail": {"department": "Ops"}, "isCurrent": true}).to_string());
    let shown = |title: &str| -> Profile {
        serde_json::from_value(json!({"positions": [{
            "detail": {"jobTitle": title, "department": "Ops"},
            "isCurrent": true,
            "sources": [{"sourceId": "contosohr", "isDefaultSource": true}],
        }]}))
        .unwrap()
    };
    o.profile = Some(shown(""));
    assert_eq!(verdict(&cx, &o), (State::Stale, None));
    o.profile = Some(shown("Engineer"));
    assert_eq!(verdict(&cx, &o), (State::Live, None));
}

#[test]
fn every_drop_reason_is_decided_without_the_profile() {
    let base = cx(true);
    let mut o = seen("Senior Engineer", None);
    o.user = Some(user(false));
    assert_eq!(
        verdict(&base, &o),
        (State::Dropped, Some(Reason::NoMailbox))
    );

    let mut o = seen("Senior Engineer", None);
    o.user = None;
    assert_eq!(
        verdict(&base, &o),
        (State::Dropped, Some(Reason::Unmatched))
    );

    let mut o = seen("Senior Engineer", None);
    o.user = Some(json!({"id": "x", "userPrincipalName": "someone.else@contoso.com"}));
    assert_eq!(
        verdict(&base, &o),
        (State::Dropped, Some(Reason::Unmatched))
    );

    let mut o = seen("Senior Engineer", None);
    o.item.as_mut().unwrap()["currentPosition"] = json!("{not json");
    let v = classify(&base, &landed(), &o);
    assert_eq!(
        (v.state, v.reason),
        (State::Dropped, Some(Reason::InvalidEntity))
    );
    assert!(v.detail.unwrap().contains("currentPosition"));

    let mut unranked = cx(true);
    unranked.rank = None;
    assert_eq!(
        verdict(&unranked, &seen("Senior Engineer", None)),
        (State::Dropped, Some(Reason::NotInPrecedence))
    );
    let mut unregistered = cx(true);
    unregistered.facts.registered = false;
    assert_eq!(
        verdict(&unregistered, &seen("Senior Engineer", None)),
        (State::Dropped, Some(Reason::NotRegistered))
    );

    // Entra ID ranks above and has a title: the item's only value can never show.
    let below = cx(false);
    let v = classify(&below, &landed(), &seen("Senior Engineer", None));
    assert_eq!(
        (v.state, v.reason),
        (State::Dropped, Some(Reason::HigherSourceWins))
    );
    assert!(v.detail.unwrap().contains("Entra"), "names the winner");
}

#[test]
fn what_never_landed_is_not_synced_with_why() {
    let cx = cx(true);
    let mut failed = landed();
    failed.hash = None;
    failed.last_error = Some("400 bad".into());
    let v = classify(&cx, &failed, &Observed::default());
    assert_eq!(
        (v.state, v.reason, v.detail.as_deref()),
        (State::NotSynced, Some(Reason::Failed), Some("400 bad"))
    );
    failed.last_error = None;
    assert_eq!(
        classify(&cx, &failed, &Observed::default()).reason,
        Some(Reason::NeverSent)
    );
    let mut gone = seen("x", None);
    gone.item = None;
    assert_eq!(
        verdict(&cx, &gone),
        (State::NotSynced, Some(Reason::NotOnGraph))
    );
}

#[test]
fn a_seeded_sample_is_stable_and_a_user_outside_the_ledger_is_named() {
    let ledger = Ledger {
        entries: (0..50)
            .map(|i| LedgerEntry {
                item_id: format!("p{i}"),
                ..landed()
            })
            .collect(),
        previous: Vec::new(),
    };
    let pick = |seed| -> Vec<String> {
        ledger
            .select(&Selection::Sample { size: 5, seed })
            .into_iter()
            .map(|e| e.item_id)
            .collect()
    };
    assert_eq!(pick(1), pick(1));
    assert_ne!(pick(1), pick(2));
    assert_eq!(pick(1).len(), 5);
    assert_eq!(ledger.select(&Selection::All).len(), 50);
    let one = ledger.select(&Selection::User("New.Person@contoso.com".into()));
    assert_eq!(one[0].item_id, "new_dot_person_at_contoso_dot_com");
    assert_eq!(one[0].hash, None);
}

#[test]
fn spans_and_cells_read_short() {
    assert_eq!(span(40), "40 s");
    assert_eq!(span(12 * 60 + 5), "12 min");
    assert_eq!(span(3 * 3600 + 5 * 60), "3 h 5 min");
    assert_eq!(span(6 * 3600), "6 h");
    assert_eq!(span(2 * 86_400 + 1), "2 d");
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    let person = PersonState {
        upn: "megan@contoso.com".into(),
        state: State::Pending,
        reason: None,
        landed_at: None,
        seen_at: None,
        source: SourceLine::default(),
        item_id: "m".into(),
        landed_unix: Some(1_000),
        seen_unix: None,
        detail: None,
        hash: None,
    };
    assert_eq!(describe(&person, 1_000 + 7200), "landed 2 h ago (of 6 h)");
    let live = PersonState {
        state: State::Live,
        seen_unix: Some(1_030),
        ..person
    };
    assert_eq!(describe(&live, 5_000), "after 30 s");
}
