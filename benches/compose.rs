//! Composition throughput: 100,000 users x 4 sources x 20 properties, against a naive baseline.
//!
//! Run with `cargo bench --bench compose`. Plain `std::time`, one thread. Reports the typed
//! core (`Composer::compose_into`), the JSON entry point the emulator uses
//! (`compose_entities`), a reorder impact over every user, and a naive per-user merge over
//! `serde_json::Value` measured in the same run; ratios compare per-user costs.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use peoplectl::people::compose::{
    Composer, Composition, PropertyCatalog, PropertyId, PropertyKind, Ranking,
    SINGLE_VALUED_COLLECTIONS, SourceEntities, SourceKey, SourceTable, UserSources, Value,
    compose_entities,
};
use peoplectl::people::ids::SourceId;
use peoplectl::people::{impact::impact, precedence::PrecedenceList};
use serde_json::{Map, Value as Json, json};

const USERS: usize = 100_000;
/// Users in the JSON-based runs (the baseline holds every user as nested JSON objects).
const JSON_USERS: usize = 20_000;
const RUNS: usize = 5;
const BUDGET: Duration = Duration::from_millis(300);

const SOURCES: [&str; 4] = [
    "contosohr",
    "4ce763dd-9214-4eff-af7c-da491cc3782d",
    "7986c642-b494-4140-8df4-f5ed125e2c67",
    "contosolms",
];

/// 14 single-valued leaf paths and 6 multi-valued collections: 20 properties.
const SINGLE: [&str; 14] = [
    "positions/detail/jobTitle",
    "positions/detail/role",
    "positions/detail/level",
    "positions/detail/employeeId",
    "positions/detail/employeeType",
    "positions/detail/startMonthYear",
    "positions/detail/company/displayName",
    "positions/detail/company/department",
    "positions/detail/company/officeLocation",
    "positions/detail/company/costCenter",
    "names/displayName",
    "names/first",
    "names/last",
    "account/userPrincipalName",
];
const MULTI: [&str; 6] = [
    "emails",
    "phones",
    "skills",
    "addresses",
    "projects",
    "languages",
];

/// A small deterministic generator (xorshift64*), so every run sees the same tenant.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

/// One generated value: absent, null, empty string, or one of a pool of strings.
#[derive(Clone)]
enum Gen {
    Absent,
    Null,
    Text(Arc<str>),
}

/// Per user, per source: the single-valued leaves and the multi-valued items.
struct GenUser {
    single: Vec<Vec<Gen>>,
    multi: Vec<Vec<Vec<Arc<str>>>>,
}

fn generate(rng: &mut Rng, pool: &[Arc<str>]) -> GenUser {
    let mut single = Vec::with_capacity(SOURCES.len());
    let mut multi = Vec::with_capacity(SOURCES.len());
    for _ in SOURCES {
        single.push(
            (0..SINGLE.len())
                .map(|_| match rng.below(10) {
                    0..=2 => Gen::Absent,
                    3 => Gen::Null,
                    4 => Gen::Text(Arc::from("")),
                    _ => Gen::Text(pool[rng.below(pool.len())].clone()),
                })
                .collect(),
        );
        multi.push(
            (0..MULTI.len())
                .map(|_| {
                    (0..rng.below(3))
                        .map(|_| pool[rng.below(pool.len())].clone())
                        .collect()
                })
                .collect(),
        );
    }
    GenUser { single, multi }
}

fn typed(
    user: &GenUser,
    keys: &[SourceKey],
    single: &[PropertyId],
    multi: &[PropertyId],
) -> UserSources {
    let mut out = UserSources::new();
    for (s, key) in keys.iter().enumerate() {
        let mut values = Vec::with_capacity(SINGLE.len() + MULTI.len() * 2);
        for (p, g) in user.single[s].iter().enumerate() {
            match g {
                Gen::Absent => {}
                Gen::Null => values.push((single[p], Value::Null)),
                Gen::Text(t) => values.push((single[p], Value::String(t.clone()))),
            }
        }
        for (p, items) in user.multi[s].iter().enumerate() {
            values.extend(items.iter().map(|t| (multi[p], Value::String(t.clone()))));
        }
        out = out.with(*key, values);
    }
    out
}

fn set(root: &mut Map<String, Json>, path: &[&str], v: Json) {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut node = root;
    for seg in parents {
        node = node
            .entry((*seg).to_owned())
            .or_insert_with(|| Json::Object(Map::new()))
            .as_object_mut()
            .expect("object");
    }
    node.insert((*last).to_owned(), v);
}

/// The user's data as one JSON document per source, in Graph's profile shape.
fn as_json(user: &GenUser) -> Vec<(String, Json)> {
    SOURCES
        .iter()
        .enumerate()
        .map(|(s, id)| {
            let mut root = Map::new();
            for (p, g) in user.single[s].iter().enumerate() {
                let path: Vec<&str> = SINGLE[p].split('/').collect();
                match g {
                    Gen::Absent => {}
                    Gen::Null => set(&mut root, &path, Json::Null),
                    Gen::Text(t) => set(&mut root, &path, json!(&**t)),
                }
            }
            for (p, items) in user.multi[s].iter().enumerate() {
                let list: Vec<Json> = items.iter().map(|t| json!({"displayName": &**t})).collect();
                root.insert(MULTI[p].to_owned(), Json::Array(list));
            }
            ((*id).to_owned(), Json::Object(root))
        })
        .collect()
}

fn as_entities(docs: &[(String, Json)]) -> Vec<SourceEntities> {
    docs.iter()
        .map(|(id, doc)| {
            let mut e = SourceEntities::new(SourceId::new(id.as_str()).expect("valid"));
            for (collection, v) in doc.as_object().expect("object") {
                match v {
                    Json::Array(items) => items.iter().for_each(|i| e.push(collection, i.clone())),
                    other => e.push(collection, other.clone()),
                }
            }
            e
        })
        .collect()
}

/// The naive way: order the sources by looking each up in the list of URLs, then deep-merge
/// cloned JSON documents, first writer wins, arrays concatenated.
fn naive_merge(order: &[String], docs: &[(String, Json)]) -> Json {
    fn merge(into: &mut Map<String, Json>, from: &Map<String, Json>) {
        for (k, v) in from {
            match (into.get_mut(k), v) {
                (Some(Json::Object(a)), Json::Object(b)) => merge(a, b),
                (Some(Json::Array(a)), Json::Array(b)) => a.extend(b.iter().cloned()),
                (_, Json::Null) | (Some(_), _) => {}
                (None, Json::Object(b)) => {
                    let mut fresh = Map::new();
                    merge(&mut fresh, b);
                    into.insert(k.clone(), Json::Object(fresh));
                }
                (None, other) => {
                    into.insert(k.clone(), other.clone());
                }
            }
        }
    }
    let mut ranked: Vec<&(String, Json)> = docs.iter().collect();
    ranked.sort_by_key(|(id, _)| {
        order
            .iter()
            .position(|url| {
                url.to_lowercase()
                    .contains(&format!("sourceid='{}'", id.to_lowercase()))
            })
            .unwrap_or(usize::MAX)
    });
    let mut out = Map::new();
    for (_, doc) in ranked {
        if let Json::Object(m) = doc {
            merge(&mut out, m);
        }
    }
    Json::Object(out)
}

fn best_and_median(mut runs: Vec<Duration>) -> (Duration, Duration) {
    runs.sort();
    (runs[0], runs[runs.len() / 2])
}

fn time<F: FnMut() -> usize>(mut f: F) -> (Duration, Duration, usize) {
    let mut check = 0;
    let runs: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            check = black_box(f());
            start.elapsed()
        })
        .collect();
    let (best, median) = best_and_median(runs);
    (best, median, check)
}

#[allow(clippy::cast_precision_loss)] // user counts are far below 2^52
fn per_user(d: Duration, users: usize) -> f64 {
    d.as_secs_f64() * 1e9 / users as f64
}

fn main() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let pool: Vec<Arc<str>> = (0..200).map(|i| Arc::from(format!("value {i}"))).collect();
    let generated: Vec<GenUser> = (0..USERS).map(|_| generate(&mut rng, &pool)).collect();

    let mut catalog = PropertyCatalog::new();
    let single: Vec<PropertyId> = SINGLE
        .iter()
        .map(|p| catalog.intern(p, PropertyKind::Single))
        .collect();
    let multi: Vec<PropertyId> = MULTI
        .iter()
        .map(|p| catalog.intern(p, PropertyKind::Multi))
        .collect();
    let mut table = SourceTable::new();
    let keys: Vec<SourceKey> = SOURCES
        .iter()
        .map(|s| table.intern(&SourceId::new(*s).expect("valid")))
        .collect();
    let users: Vec<UserSources> = generated
        .iter()
        .map(|u| typed(u, &keys, &single, &multi))
        .collect();
    let ids: Vec<SourceId> = table.ids().to_vec();
    let precedence = PrecedenceList::from_sources(&ids);
    let reordered = precedence.move_to(2, 0).expect("in range");
    let composer = Composer::new(&catalog, Ranking::new(&table, &precedence));
    assert!(
        SINGLE
            .iter()
            .all(|p| SINGLE_VALUED_COLLECTIONS.iter().any(|c| p.starts_with(c)))
    );

    // The typed core: every user, one reusable buffer.
    let (core_best, core_median, core_check) = time(|| {
        let mut out = Composition::new();
        let mut decided = 0;
        for u in &users {
            composer.compose_into(u, &mut out);
            decided += single.iter().filter(|p| out.get(**p).is_some()).count();
            decided += multi.iter().map(|p| out.items(*p).count()).sum::<usize>();
        }
        decided
    });

    // Reorder impact over every user (two compositions per user plus the comparison).
    let (impact_best, impact_median, impact_check) = time(|| {
        let r = impact(&precedence, &reordered, &catalog, &table, &users);
        r.changed_users.len()
    });

    // JSON runs on a subset.
    let docs: Vec<Vec<(String, Json)>> = generated[..JSON_USERS].iter().map(as_json).collect();
    let entities: Vec<Vec<SourceEntities>> = docs.iter().map(|d| as_entities(d)).collect();
    let order = precedence.to_strings();
    let (json_best, json_median, json_check) = time(|| {
        entities
            .iter()
            .map(|e| compose_entities(&precedence, e).collections.len())
            .sum()
    });
    let (naive_best, naive_median, naive_check) = time(|| {
        docs.iter()
            .map(|d| naive_merge(&order, d).as_object().map_or(0, Map::len))
            .sum()
    });

    let core_pu = per_user(core_best, USERS);
    let naive_pu = per_user(naive_best, JSON_USERS);
    let mut report = BTreeMap::new();
    report.insert("1 typed core", (core_best, core_median, USERS, core_check));
    report.insert(
        "2 reorder impact",
        (impact_best, impact_median, USERS, impact_check),
    );
    report.insert(
        "3 compose_entities (JSON)",
        (json_best, json_median, JSON_USERS, json_check),
    );
    report.insert(
        "4 naive serde_json merge",
        (naive_best, naive_median, JSON_USERS, naive_check),
    );

    println!(
        "compose benchmark: {USERS} users x {} sources x {} properties ({} single, {} multi), best of {RUNS} runs, one thread",
        SOURCES.len(),
        SINGLE.len() + MULTI.len(),
        SINGLE.len(),
        MULTI.len()
    );
    for (name, (best, median, n, check)) in &report {
        println!(
            "  {:<28} {:>6} users  best {:>9.2} ms  median {:>9.2} ms  {:>8.1} ns/user  (check {check})",
            &name[2..],
            n,
            best.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3,
            per_user(*best, *n)
        );
    }
    println!(
        "  typed core vs naive baseline: {:.1}x faster per user ({core_pu:.1} vs {naive_pu:.1} ns)",
        naive_pu / core_pu
    );
    println!(
        "  compose_entities vs naive baseline: {:.2}x per user",
        naive_pu / per_user(json_best, JSON_USERS)
    );
    println!(
        "  budget: {USERS} users in <= {} ms: {} ({:.1} ms)",
        BUDGET.as_millis(),
        if core_best <= BUDGET {
            "met"
        } else {
            "EXCEEDED"
        },
        core_best.as_secs_f64() * 1e3
    );
}
