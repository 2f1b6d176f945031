//! Property tests of composition: reorder locality, fast path vs explanation, impact counts.

use crate::people::compose::{
    Composer, PropertyCatalog, PropertyId, PropertyKind, Ranking, Rule, SourceKey, SourceTable,
    UserSources, Value,
};
use crate::people::ids::SourceId;
use crate::people::{impact::impact, precedence::PrecedenceList};
use proptest::prelude::*;

const SOURCES: [&str; 5] = [
    "4ce763dd-9214-4eff-af7c-da491cc3782d",
    "hr",
    "lms",
    "crm",
    "wiki",
];
const PROPS: [(&str, PropertyKind); 4] = [
    ("positions/detail/jobTitle", PropertyKind::Single),
    ("positions/detail/company/department", PropertyKind::Single),
    ("names/first", PropertyKind::Single),
    ("skills", PropertyKind::Multi),
];

/// A value drawn from a tiny alphabet so that sources often agree and often disagree.
fn value() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        Just(Some(Value::from(""))),
        Just(Some(Value::from("a"))),
        Just(Some(Value::from("b"))),
    ]
}

/// Per user, per source, per property: the values sent (absent = empty).
type RawUser = Vec<Vec<Vec<Value>>>;

fn user() -> impl Strategy<Value = RawUser> {
    let per_prop = (value(), value()).prop_map(|(a, b)| a.into_iter().chain(b).collect::<Vec<_>>());
    prop::collection::vec(prop::collection::vec(per_prop, PROPS.len()), SOURCES.len())
}

struct World {
    catalog: PropertyCatalog,
    table: SourceTable,
    props: Vec<PropertyId>,
    keys: Vec<SourceKey>,
}

fn world() -> World {
    let mut catalog = PropertyCatalog::new();
    let props = PROPS.iter().map(|(p, k)| catalog.intern(p, *k)).collect();
    let mut table = SourceTable::new();
    let keys = SOURCES
        .iter()
        .map(|s| table.intern(&SourceId::new(*s).expect("valid")))
        .collect();
    World {
        catalog,
        table,
        props,
        keys,
    }
}

fn build(w: &World, raw: &RawUser) -> UserSources {
    let mut u = UserSources::new();
    for (s, per_prop) in raw.iter().enumerate() {
        let values: Vec<(PropertyId, Value)> = per_prop
            .iter()
            .enumerate()
            .flat_map(|(p, vs)| vs.iter().map(move |v| (p, v.clone())))
            .map(|(p, v)| (w.props[p], v))
            .collect();
        if !values.is_empty() {
            u = u.with(w.keys[s], values);
        }
    }
    u
}

fn list(order: &[usize]) -> PrecedenceList {
    let ids: Vec<SourceId> = order
        .iter()
        .map(|i| SourceId::new(SOURCES[*i]).expect("valid"))
        .collect();
    PrecedenceList::from_sources(&ids)
}

/// The non-null values a source sent for a property (a single-valued property counts its
/// first non-null value only).
fn sent(raw: &RawUser, s: usize, p: usize) -> Vec<Value> {
    let all = raw[s][p].iter().filter(|v| !v.is_null()).cloned();
    match PROPS[p].1 {
        PropertyKind::Single => all.take(1).collect(),
        PropertyKind::Multi => all.collect(),
    }
}

proptest! {
    #[test]
    fn moving_a_source_changes_only_where_it_and_its_new_neighbours_disagree(
        order in Just((0..SOURCES.len()).collect::<Vec<_>>()).prop_shuffle(),
        from in 0..SOURCES.len(),
        to in 0..SOURCES.len(),
        users in prop::collection::vec(user(), 1..12),
    ) {
        let w = world();
        let before = list(&order);
        let after = before.move_to(from, to).expect("in range");
        let moved = order[from];
        let passed: Vec<usize> = if from < to {
            order[from + 1..=to].to_vec()
        } else {
            order[to..from].to_vec()
        };
        let built: Vec<UserSources> = users.iter().map(|u| build(&w, u)).collect();
        let result = impact(&before, &after, &w.catalog, &w.table, &built);
        let old = Composer::new(&w.catalog, Ranking::new(&w.table, &before));
        let new = Composer::new(&w.catalog, Ranking::new(&w.table, &after));
        for (u, raw) in users.iter().enumerate() {
            let (a, b) = (old.compose(&built[u]), new.compose(&built[u]));
            for (p, (_, kind)) in PROPS.iter().enumerate() {
                if a.same_value(&b, w.props[p], *kind) {
                    continue;
                }
                prop_assert!(result.changed_users.contains(&u));
                let mine = sent(raw, moved, p);
                prop_assert!(!mine.is_empty(), "the moved source sent nothing for {}", PROPS[p].0);
                let disagrees = passed.iter().any(|t| {
                    let theirs = sent(raw, *t, p);
                    !theirs.is_empty() && theirs != mine
                });
                prop_assert!(disagrees, "{} changed without a disagreeing neighbour", PROPS[p].0);
            }
        }
        let total: usize = result.per_property.iter().map(|p| p.changed).sum();
        prop_assert!(total >= result.changed_users.len());
        if from == to {
            prop_assert!(result.changed_users.is_empty());
        }
    }

    #[test]
    fn fast_path_agrees_with_explanations(
        order in Just((0..SOURCES.len()).collect::<Vec<_>>()).prop_shuffle(),
        listed in 1..=SOURCES.len(),
        raw in user(),
    ) {
        // Only a prefix is listed: the others rank after it, in a stable order.
        let w = world();
        let composer = Composer::new(&w.catalog, Ranking::new(&w.table, &list(&order[..listed])));
        let u = build(&w, &raw);
        let fast = composer.compose(&u);
        let explained = composer.explain(&u, &w.catalog, &w.table);
        for (p, (path, kind)) in PROPS.iter().enumerate() {
            let e = explained.iter().find(|e| e.property == *path);
            match kind {
                PropertyKind::Single => {
                    let winner = e.and_then(|e| e.winner.as_ref()).map(|c| &c.value);
                    prop_assert_eq!(fast.get(w.props[p]).map(|pk| pk.value), winner);
                    if let Some(e) = e {
                        let w_rank = e.winner.as_ref().map_or(usize::MAX, |c| c.rank);
                        prop_assert!(e.shadowed.iter().all(|c| c.rank > w_rank && !c.value.is_null()));
                        prop_assert!(e.nulls.iter().all(|c| c.rank < w_rank));
                        if e.rule == Rule::EmptyStringWins {
                            prop_assert_eq!(e.winner.as_ref().and_then(|c| c.value.as_str()), Some(""));
                        }
                    }
                }
                PropertyKind::Multi => {
                    let items: Vec<&Value> = e.map(|e| e.items.iter().map(|c| &c.value).collect()).unwrap_or_default();
                    let fast_items: Vec<&Value> = fast.items(w.props[p]).map(|pk| pk.value).collect();
                    prop_assert_eq!(fast_items, items);
                    let ranks: Vec<usize> = fast.items(w.props[p]).map(|pk| pk.rank).collect();
                    prop_assert!(ranks.windows(2).all(|r| r[0] <= r[1]), "items follow rank order");
                }
            }
        }
    }

    #[test]
    fn source_order_in_the_input_does_not_matter(raw in user(), seed in any::<u64>()) {
        let w = world();
        let composer = Composer::new(&w.catalog, Ranking::new(&w.table, &list(&[1, 0, 2])));
        let u = build(&w, &raw);
        let mut shuffled = u.clone();
        let n = shuffled.sources.len();
        if n > 1 {
            shuffled.sources.rotate_left(usize::try_from(seed % n as u64).expect("small"));
        }
        let (a, b) = (composer.compose(&u), composer.compose(&shuffled));
        for (p, (_, kind)) in PROPS.iter().enumerate() {
            prop_assert!(a.same_value(&b, w.props[p], *kind));
        }
    }
}

#[test]
fn impact_counts_per_property() {
    // The seed 004 example over three users: swapping Entra and organisational data changes
    // jobTitle for the one user whose two values differ.
    let mut catalog = PropertyCatalog::new();
    let title = catalog.intern("positions/detail/jobTitle", PropertyKind::Single);
    let mut table = SourceTable::new();
    let entra = table.intern(&SourceId::entra());
    let org = table.intern(&SourceId::new("7986c642-b494-4140-8df4-f5ed125e2c67").expect("valid"));
    let users = vec![
        UserSources::new()
            .with(entra, vec![(title, "Software Engineer".into())])
            .with(org, vec![(title, "Senior Software Engineer".into())]),
        UserSources::new()
            .with(entra, vec![(title, "Designer".into())])
            .with(org, vec![(title, "Designer".into())]),
        UserSources::new().with(entra, vec![(title, "Writer".into())]),
    ];
    let ids = [table.ids()[0].clone(), table.ids()[1].clone()];
    let before = PrecedenceList::from_sources(&ids);
    let after = before.move_down(0).expect("in range");
    let result = impact(&before, &after, &catalog, &table, &users);
    assert_eq!(result.users, 3);
    assert_eq!(result.changed_users, vec![0]);
    assert_eq!(result.per_property.len(), 1);
    assert_eq!(result.per_property[0].property, "positions/detail/jobTitle");
    assert_eq!(result.per_property[0].changed, 1);
    assert!(
        impact(&before, &before, &catalog, &table, &users)
            .per_property
            .is_empty()
    );
}
