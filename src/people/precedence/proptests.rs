//! Property tests of precedence list edits, diffs and source URL round trips.

use crate::people::ids::SourceId;
use crate::people::precedence::{Change, Position, PrecedenceList};
use crate::people::source_url::{SourceRef, SourceUrl, canonical_url};
use proptest::prelude::*;

/// Entries: canonical sources, legacy forms, the Entra authority and arbitrary text.
fn entry() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9']{1,12}".prop_map(|id| canonical_url(&SourceId::new(id).expect("non-empty"))),
        "[a-z0-9]{1,12}".prop_map(|id| format!("/external/connections/{id}")),
        Just("https://login.microsoftonline.com".to_owned()),
        ".{0,40}",
    ]
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

proptest! {
    #[test]
    fn canonical_urls_round_trip(id in "\\PC{1,30}") {
        prop_assume!(!id.trim().is_empty() && id.trim() == id);
        let source = SourceId::new(id.clone()).expect("non-blank");
        let url = canonical_url(&source);
        let parsed = SourceUrl::parse(url.clone());
        prop_assert_eq!(parsed.as_str(), url.as_str());
        prop_assert!(parsed.is_canonical(), "{} not canonical", url);
        prop_assert_eq!(parsed.source_id().map(SourceId::as_str), Some(id.as_str()));
        prop_assert_eq!(SourceUrl::for_source(&source), parsed);
    }

    #[test]
    fn any_text_survives_untouched(raw in ".{0,80}") {
        let url = SourceUrl::parse(raw.clone());
        prop_assert_eq!(url.as_str(), raw.as_str());
        let json = serde_json::to_string(&url).expect("serialises");
        let back: SourceUrl = serde_json::from_str(&json).expect("parses");
        prop_assert_eq!(back.as_str(), raw.as_str());
        if *url.reference() == SourceRef::Unrecognised {
            prop_assert!(url.source_id().is_none());
        }
    }

    #[test]
    fn lists_write_back_what_they_read(raw in prop::collection::vec(entry(), 0..8)) {
        let list = PrecedenceList::from_urls(raw.clone());
        prop_assert_eq!(list.to_strings(), raw.clone());
        let json = serde_json::to_value(&list).expect("serialises");
        prop_assert_eq!(json, serde_json::json!(raw));
    }

    #[test]
    fn moves_keep_every_entry_exactly_once(
        raw in prop::collection::vec(entry(), 1..8),
        a in 0usize..8,
        b in 0usize..8,
    ) {
        let list = PrecedenceList::from_urls(raw.clone());
        let (from, to) = (a % raw.len(), b % raw.len());
        let edits = [list.move_to(from, to), list.move_up(from), list.move_down(from)];
        for moved in edits.into_iter().flatten() {
            prop_assert_eq!(sorted(moved.to_strings()), sorted(raw.clone()));
            // A move never inserts or removes anything.
            let diff = list.diff(&moved);
            prop_assert!(diff.iter().all(|c| matches!(c, Change::Moved { .. })), "{:?}", diff);
        }
        let moved = list.move_to(from, to).expect("in range");
        prop_assert_eq!(moved.entries()[to].as_str(), raw[from].as_str());
    }

    #[test]
    fn inserts_and_removals_change_exactly_one_entry(
        raw in prop::collection::vec(entry(), 0..8),
        new in entry(),
        at in 0usize..9,
    ) {
        let list = PrecedenceList::from_urls(raw.clone());
        let at = at % (raw.len() + 1);
        for position in [Position::Top, Position::Bottom, Position::Index(at)] {
            let inserted = list.insert(SourceUrl::parse(new.clone()), position).expect("in range");
            let mut expected = raw.clone();
            expected.push(new.clone());
            prop_assert_eq!(sorted(inserted.to_strings()), sorted(expected));
        }
        if !raw.is_empty() {
            let index = at % raw.len();
            let removed = list.remove(index).expect("in range");
            let mut expected = raw.clone();
            expected.remove(index);
            prop_assert_eq!(removed.to_strings(), expected);
            let diff = list.diff(&removed);
            prop_assert_eq!(diff.len(), 1);
            prop_assert!(matches!(diff[0], Change::Removed { .. }), "{:?}", diff);
        }
    }

    #[test]
    fn insert_source_refuses_duplicates(ids in prop::collection::btree_set("[a-z]{1,6}", 1..6)) {
        let ids: Vec<SourceId> = ids.into_iter().map(|s| SourceId::new(s).expect("non-empty")).collect();
        let list = PrecedenceList::from_sources(&ids);
        for id in &ids {
            prop_assert!(list.insert_source(id, Position::Top).is_err());
            let removed = list.remove_source(id).expect("listed");
            prop_assert_eq!(removed.len(), ids.len() - 1);
            prop_assert!(removed.index_of(id).is_none());
        }
        prop_assert!(list.validate(&ids).iter().all(|p| matches!(p, crate::people::precedence::Problem::EntraMissing)));
    }
}
