//! The composition rules, case by case.

use super::*;
use crate::people::ids::SourceId;
use crate::people::precedence::PrecedenceList;
use crate::people::source_url::{ORG_DATA_SOURCE_ID, USER_SOURCE_ID};
use serde_json::json;

const ENTRA: &str = crate::people::source_url::ENTRA_SOURCE_ID;
const ORG: &str = ORG_DATA_SOURCE_ID;
const USER: &str = USER_SOURCE_ID;

fn id(s: &str) -> SourceId {
    SourceId::new(s).expect("valid source id")
}

/// What one source sends for the property: absent, null, or a string.
#[derive(Clone, Copy)]
enum Sent {
    Absent,
    Null,
    Str(&'static str),
}

struct Case {
    name: &'static str,
    order: &'static [&'static str],
    sent: &'static [(&'static str, Sent)],
    value: Option<&'static str>,
    winner: Option<&'static str>,
    rule: Rule,
    shadowed: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "seed 004: Entra ranked first keeps its title",
        order: &[ENTRA, ORG],
        sent: &[
            (ENTRA, Sent::Str("Software Engineer")),
            (ORG, Sent::Str("Senior Software Engineer")),
        ],
        value: Some("Software Engineer"),
        winner: Some(ENTRA),
        rule: Rule::HighestRank,
        shadowed: &["Senior Software Engineer"],
    },
    Case {
        name: "seed 004: organisational data ranked first wins",
        order: &[ORG, ENTRA],
        sent: &[
            (ENTRA, Sent::Str("Software Engineer")),
            (ORG, Sent::Str("Senior Software Engineer")),
        ],
        value: Some("Senior Software Engineer"),
        winner: Some(ORG),
        rule: Rule::HighestRank,
        shadowed: &["Software Engineer"],
    },
    Case {
        name: "seed 003: an empty string from a connector overrides Entra",
        order: &["contosohr", ENTRA],
        sent: &[
            ("contosohr", Sent::Str("")),
            (ENTRA, Sent::Str("Software Engineer")),
        ],
        value: Some(""),
        winner: Some("contosohr"),
        rule: Rule::EmptyStringWins,
        shadowed: &["Software Engineer"],
    },
    Case {
        name: "seed 003: null does not override",
        order: &["contosohr", ENTRA],
        sent: &[
            ("contosohr", Sent::Null),
            (ENTRA, Sent::Str("Software Engineer")),
        ],
        value: Some("Software Engineer"),
        winner: Some(ENTRA),
        rule: Rule::NullDoesNotOverride,
        shadowed: &[],
    },
    Case {
        name: "seed 003: an absent property does not override",
        order: &["contosohr", ENTRA],
        sent: &[
            ("contosohr", Sent::Absent),
            (ENTRA, Sent::Str("Software Engineer")),
        ],
        value: Some("Software Engineer"),
        winner: Some(ENTRA),
        rule: Rule::OnlySource,
        shadowed: &[],
    },
    Case {
        name: "the user source never overrides, wherever it is listed",
        order: &[USER, ENTRA],
        sent: &[
            (USER, Sent::Str("Chief Everything")),
            (ENTRA, Sent::Str("Software Engineer")),
        ],
        value: Some("Software Engineer"),
        winner: Some(ENTRA),
        rule: Rule::UserSourceNeverOverrides,
        shadowed: &["Chief Everything"],
    },
    Case {
        name: "seed 003: the user source is an instance of its own, even where nothing else has a value",
        order: &[USER, ENTRA],
        sent: &[(USER, Sent::Str("Chief Everything")), (ENTRA, Sent::Null)],
        value: None,
        winner: None,
        rule: Rule::UserSourceNeverOverrides,
        shadowed: &["Chief Everything"],
    },
    Case {
        name: "a source the list does not name counts for nothing; Entra ID is appended",
        order: &["contosohr"],
        sent: &[
            ("zeta", Sent::Str("Z")),
            (ENTRA, Sent::Str("E")),
            ("alpha", Sent::Str("A")),
        ],
        value: Some("E"),
        winner: Some(ENTRA),
        rule: Rule::OnlySource,
        shadowed: &[],
    },
    Case {
        name: "a source listed twice counts at its first position",
        order: &["hr", ENTRA, "hr"],
        sent: &[(ENTRA, Sent::Str("E")), ("hr", Sent::Str("H"))],
        value: Some("H"),
        winner: Some("hr"),
        rule: Rule::HighestRank,
        shadowed: &["E"],
    },
    Case {
        name: "nothing but nulls",
        order: &["hr", ENTRA],
        sent: &[(ENTRA, Sent::Null), ("hr", Sent::Null)],
        value: None,
        winner: None,
        rule: Rule::NoValue,
        shadowed: &[],
    },
];

#[test]
fn single_valued_rules_table() {
    for case in CASES {
        let mut catalog = PropertyCatalog::new();
        let title = catalog.intern("positions/detail/jobTitle", PropertyKind::Single);
        let mut table = SourceTable::new();
        let mut user = UserSources::new();
        for (source, sent) in case.sent {
            let key = table.intern(&id(source));
            let values = match sent {
                Sent::Absent => vec![],
                Sent::Null => vec![(title, Value::Null)],
                Sent::Str(s) => vec![(title, Value::from(*s))],
            };
            user = user.with(key, values);
        }
        let list =
            PrecedenceList::from_sources(&case.order.iter().map(|s| id(s)).collect::<Vec<_>>());
        let composer = Composer::new(&catalog, Ranking::new(&table, &list));

        let fast = composer.compose(&user);
        assert_eq!(
            fast.get(title).and_then(|p| p.value.as_str()),
            case.value,
            "{}",
            case.name
        );
        assert_eq!(
            fast.get(title)
                .and_then(|p| table.id(p.source))
                .map(SourceId::as_str),
            case.winner,
            "{}",
            case.name
        );

        let explained = composer.explain(&user, &catalog, &table);
        let p = explained
            .iter()
            .find(|p| p.property == "positions/detail/jobTitle");
        let (rule, winner, shadowed) = p.map_or((Rule::NoValue, None, vec![]), |p| {
            (
                p.rule,
                p.winner.as_ref().map(|w| w.source.as_str().to_owned()),
                p.shadowed
                    .iter()
                    .filter_map(|c| c.value.as_str().map(str::to_owned))
                    .collect(),
            )
        });
        assert_eq!(rule, case.rule, "{}", case.name);
        assert_eq!(winner.as_deref(), case.winner, "{}", case.name);
        assert_eq!(shadowed, case.shadowed, "{}", case.name);
    }
}

#[test]
fn multi_valued_items_follow_rank_with_duplicates() {
    let mut catalog = PropertyCatalog::new();
    let skills = catalog.intern("skills", PropertyKind::Multi);
    let mut table = SourceTable::new();
    let (e, o, h) = (
        table.intern(&id(ENTRA)),
        table.intern(&id(ORG)),
        table.intern(&id("hr")),
    );
    let user = UserSources::new()
        .with(e, vec![(skills, "Rust".into())])
        .with(o, vec![(skills, "Go".into()), (skills, Value::Null)])
        .with(h, vec![(skills, "Go".into()), (skills, "SQL".into())]);
    let list = PrecedenceList::from_sources(&[id("hr"), id(ENTRA), id(ORG)]);
    let composer = Composer::new(&catalog, Ranking::new(&table, &list));
    let out = composer.compose(&user);
    let items: Vec<(&str, usize)> = out
        .items(skills)
        .map(|p| (p.value.as_str().unwrap_or("?"), p.rank))
        .collect();
    assert_eq!(items, [("Go", 1), ("SQL", 1), ("Rust", 2), ("Go", 3)]);
    let explained = composer.explain(&user, &catalog, &table);
    assert_eq!(explained[0].rule, Rule::OrderedUnion);
    assert_eq!(explained[0].items.len(), 4);
    assert_eq!(explained[0].nulls.len(), 1);
}

#[test]
fn ranking_order_and_ranks() {
    let mut table = SourceTable::new();
    for s in ["zeta", USER, "alpha", ENTRA, "hr"] {
        table.intern(&id(s));
    }
    let list = PrecedenceList::from_urls([
        crate::people::source_url::canonical_url(&id(USER)),
        "junk".to_owned(),
        crate::people::source_url::canonical_url(&id("hr")),
        crate::people::source_url::canonical_url(&id("listedbutempty")),
    ]);
    let r = Ranking::new(&table, &list);
    let order: Vec<&str> = r.order().iter().map(SourceId::as_str).collect();
    assert_eq!(order, ["hr", "listedbutempty", ENTRA, USER]);
    assert_eq!(r.listed_count(), 3);
    assert_eq!(r.rank(table.get(&id("hr")).expect("interned")), Some(1));
    assert_eq!(r.rank(table.get(&id(USER)).expect("interned")), Some(4));
    assert_eq!(r.rank(table.get(&id("alpha")).expect("interned")), None);
    assert_eq!(r.rank_of_id(&id("ALPHA")), None);
    assert_eq!(r.rank_of_id(&id("HR")), Some(1));
}

#[test]
fn composition_buffer_is_reusable() {
    let mut catalog = PropertyCatalog::new();
    let a = catalog.intern("names/first", PropertyKind::Single);
    let mut table = SourceTable::new();
    let e = table.intern(&SourceId::entra());
    let users = [
        UserSources::new().with(e, vec![(a, "Alex".into())]),
        UserSources::new(),
    ];
    let composer = Composer::new(&catalog, Ranking::new(&table, &PrecedenceList::default()));
    let mut out = Composition::new();
    composer.compose_into(&users[0], &mut out);
    assert_eq!(out.get(a).map(|p| p.value), Some(&Value::from("Alex")));
    composer.compose_into(&users[1], &mut out);
    assert_eq!(out.get(a), None, "nothing leaks from the previous user");
}

#[test]
fn values_convert_both_ways() {
    for j in [
        json!(null),
        json!(true),
        json!(3),
        json!(2.5),
        json!("x"),
        json!(["a"]),
        json!({"k": 1}),
    ] {
        assert_eq!(Value::from_json(&j).to_json(), j);
        assert_eq!(
            serde_json::to_value(Value::from_json(&j)).expect("serialises"),
            j
        );
    }
    assert_eq!(
        Value::from_json(&json!(u64::MAX)).to_json(),
        json!(u64::MAX)
    );
}

fn entra_list(first: &str) -> PrecedenceList {
    PrecedenceList::from_sources(&[id(first), SourceId::entra()])
}

#[test]
fn entities_past_positions_and_metadata() {
    let hr = SourceEntities::new(id("hr"))
        .with(
            "positions",
            json!({"id": "hr-1", "detail": {"jobTitle": "Lead"}, "isCurrent": true}),
        )
        .with(
            "positions",
            json!({"detail": {"jobTitle": "Junior"}, "isCurrent": false}),
        );
    let entra = SourceEntities::new(SourceId::entra())
        .with(
            "positions",
            json!({"detail": {"jobTitle": "Engineer", "employeeId": "42",
                                              "company": {"address": {"city": "Oslo"}}},
                                   "categories": ["a", "b"]}),
        )
        .with("names", json!({"first": "Alex", "last": null}));
    let out = compose_entities(&entra_list("hr"), &[entra, hr]);
    let positions = &out.collections["positions"];
    assert_eq!(positions.kind, PropertyKind::Single);
    let merged = positions.merged.as_ref().expect("merged");
    assert_eq!(
        merged.entity,
        json!({"detail": {"jobTitle": "Lead", "employeeId": "42",
                          "company": {"address": {"city": "Oslo"}}},
               "isCurrent": true, "categories": ["a", "b"]})
    );
    assert_eq!(merged.sources.len(), 2);
    assert_eq!(
        merged.sources[0].properties,
        ["detail/jobTitle", "isCurrent"]
    );
    assert_eq!(
        merged.sources[1].properties,
        [
            "categories",
            "detail/company/address/city",
            "detail/employeeId"
        ]
    );
    let annotations = merged.annotations();
    assert_eq!(
        annotations[1].is_default_source,
        Some(true),
        "Entra supplied most"
    );
    assert_eq!(annotations[0].properties, ["detail/jobTitle", "isCurrent"]);
    assert_eq!(
        positions.items.len(),
        1,
        "the past position is passed through"
    );
    assert_eq!(positions.items[0].item["detail"]["jobTitle"], "Junior");
    assert_eq!(
        out.collections["names"].merged.as_ref().map(|m| &m.entity),
        Some(&json!({"first": "Alex"}))
    );
    assert!(!out.collections.contains_key("emails"));
}

#[test]
fn entities_user_source_and_empty_string() {
    let user = SourceEntities::new(id(USER)).with(
        "positions",
        json!({"detail": {"jobTitle": "Boss", "role": "Dev"}}),
    );
    let hr = SourceEntities::new(id("hr")).with("positions", json!({"detail": {"jobTitle": ""}}));
    let entra = SourceEntities::new(SourceId::entra())
        .with("positions", json!({"detail": {"jobTitle": "Engineer"}}))
        .with("phones", json!({"number": "1", "type": "business"}));
    let list = PrecedenceList::from_sources(&[id(USER), id("hr"), SourceId::entra()]);
    let out = compose_entities(&list, &[user.clone(), hr, entra]);
    let merged = out.collections["positions"]
        .merged
        .as_ref()
        .expect("merged");
    // The user's title and role stay in their own instance (seed 003): the empty string wins.
    assert_eq!(merged.entity, json!({"detail": {"jobTitle": ""}}));
    assert_eq!(merged.source_types(), ["ConnectorSource"]);
    let own = &out.collections["positions"].items;
    assert_eq!(own.len(), 1, "the user's own instance");
    assert_eq!(own[0].source_id, id(USER));
    assert_eq!(own[0].item["detail"]["role"], "Dev");
    assert_eq!(out.collections["phones"].items[0].rank, 2);
    // Only the user source: nothing is composed, the user's instance stands alone.
    let only = compose_entities(&PrecedenceList::default(), &[user]);
    assert!(only.collections["positions"].merged.is_none());
    assert_eq!(only.collections["positions"].items.len(), 1);
}

mod explain_entities {
    use super::*;
    use serde_json::json;

    #[test]
    fn explains_leaves_and_collections_by_rank() {
        let hr = SourceId::new("contosohr").unwrap();
        let list = PrecedenceList::from_sources([&hr, &SourceId::entra()]);
        let entra = SourceEntities::new(SourceId::entra())
            .with(
                "positions",
                json!({"detail": {"jobTitle": "Software Engineer"}}),
            )
            .with("emails", json!({"address": "a@contoso.com"}));
        let connector = SourceEntities::new(hr.clone())
            .with("positions", json!({"detail": {"jobTitle": ""}}))
            .with("emails", json!({"address": "a@home.example"}));
        let explained = explain_entities(&list, &[entra, connector]);
        let title = explained
            .iter()
            .find(|p| p.property == "positions/detail/jobTitle")
            .unwrap();
        assert_eq!(title.rule, Rule::EmptyStringWins);
        assert_eq!(title.winner.as_ref().unwrap().source, hr);
        assert_eq!(title.shadowed.len(), 1);
        let emails = explained.iter().find(|p| p.property == "emails").unwrap();
        assert_eq!(emails.rule, Rule::OrderedUnion);
        assert_eq!(emails.items.len(), 2);
        assert_eq!(emails.items[0].source, hr, "rank order");
    }
}
