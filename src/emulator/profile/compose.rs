//! The emulator's own profile composition, written from the documented rules (graph-api.md
//! §6.4, seed 003) and sharing no code with the client's explanation (`people::compose`), so
//! that a wrong rule on either side shows up in the differential test instead of agreeing.
//!
//! * Sources rank in the order of the precedence list (first position counts). Entra ID ranks
//!   last when the list lacks it (the service appends it to such lists). A connector source not
//!   in the list contributes nothing.
//! * Single-valued collections (positions, names, account): per leaf path of each source's
//!   current entity, the highest-ranked source with a value wins; `""` is a value, `null` or an
//!   absent property is not. A source's other entities (past positions) follow as instances.
//! * Multi-valued collections: every source's entities in rank order (an ordered union,
//!   duplicates kept).
//! * Data written through the profile API (the `user` source) never overrides connector or
//!   Entra ID values: each entry is a separate instance after the composed ones.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// The collections whose data is single-valued (seed 003: work position, name and account).
pub(crate) const SINGLE_VALUED: [&str; 3] = ["positions", "names", "account"];

/// Top-level members that describe an instance, not the person: never merged.
const INSTANCE_MEMBERS: [&str; 3] = ["id", "source", "sources"];

/// What kind of source supplied data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Microsoft Entra ID (the directory).
    Entra,
    /// A people connector registered as a profile source.
    Connector,
    /// The profile API's own data (`/me/profile` writes).
    User,
}

/// One source's entities for one user, per collection, in the source's order.
#[derive(Debug, Clone)]
pub(crate) struct SourceData {
    pub source_id: String,
    pub origin: Origin,
    pub collections: BTreeMap<String, Vec<Value>>,
}

/// One entity of a composed collection.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Instance {
    /// The entity's members (no itemFacet members).
    pub entity: Map<String, Value>,
    /// Each contributing source in rank order, with the slash paths it supplied (empty for a
    /// whole entity taken from one source).
    pub contributions: Vec<(String, Origin, Vec<String>)>,
    /// What makes the instance's id stable: `merged`, or the source and its entity's index.
    pub key: String,
}

impl Instance {
    /// Graph's `sources` annotation: the source that supplied the most properties (the higher
    /// ranked on a tie) is the default one; the others list their properties.
    pub fn annotations(&self) -> Vec<Value> {
        let default = self
            .contributions
            .iter()
            .enumerate()
            .max_by(|(i, a), (j, b)| a.2.len().cmp(&b.2.len()).then(j.cmp(i)))
            .map(|(i, _)| i);
        self.contributions
            .iter()
            .enumerate()
            .map(|(i, (source, _, paths))| {
                let mut out = Map::new();
                out.insert("sourceId".into(), Value::String(source.clone()));
                if Some(i) == default {
                    out.insert("isDefaultSource".into(), Value::Bool(true));
                } else {
                    out.insert(
                        "properties".into(),
                        Value::Array(paths.iter().cloned().map(Value::String).collect()),
                    );
                }
                Value::Object(out)
            })
            .collect()
    }
}

/// The source order the service applies: the list as written without repeats, Entra ID last
/// when missing.
pub(crate) fn effective_order(listed: &[String], entra: &str) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    for id in listed {
        if !order.iter().any(|o| o.eq_ignore_ascii_case(id)) {
            order.push(id.clone());
        }
    }
    if !order.iter().any(|o| o.eq_ignore_ascii_case(entra)) {
        order.push(entra.to_owned());
    }
    order
}

/// Composes one user's profile from every source's data under `order` (see
/// [`effective_order`]); collections no source supplied are absent.
pub(crate) fn compose(order: &[String], sources: &[SourceData]) -> BTreeMap<String, Vec<Instance>> {
    let rank = |id: &str| order.iter().position(|o| o.eq_ignore_ascii_case(id));
    let mut ranked: Vec<(usize, &SourceData)> = sources
        .iter()
        .filter(|s| s.origin != Origin::User)
        .filter_map(|s| rank(&s.source_id).map(|r| (r, s)))
        .collect();
    ranked.sort_by_key(|(r, _)| *r);
    let user_entries: Vec<&SourceData> = sources
        .iter()
        .filter(|s| s.origin == Origin::User)
        .collect();

    let names: BTreeSet<&String> = sources.iter().flat_map(|s| s.collections.keys()).collect();
    let mut out = BTreeMap::new();
    for collection in names {
        let mut instances = if SINGLE_VALUED.contains(&collection.as_str()) {
            merge_single(collection, &ranked)
        } else {
            union_multi(collection, &ranked)
        };
        for source in &user_entries {
            for (index, entity) in source
                .collections
                .get(collection)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(object) = entity.as_object() {
                    instances.push(whole(source, object, index));
                }
            }
        }
        if !instances.is_empty() {
            out.insert(collection.clone(), instances);
        }
    }
    out
}

fn whole(source: &SourceData, object: &Map<String, Value>, index: usize) -> Instance {
    let entity = object
        .iter()
        .filter(|(k, _)| !INSTANCE_MEMBERS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Instance {
        entity,
        contributions: vec![(source.source_id.clone(), source.origin, Vec::new())],
        key: format!("{}/{index}", source.source_id.to_ascii_lowercase()),
    }
}

fn union_multi(collection: &str, ranked: &[(usize, &SourceData)]) -> Vec<Instance> {
    let mut out = Vec::new();
    for (_, source) in ranked {
        for (index, entity) in source
            .collections
            .get(collection)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(object) = entity.as_object() {
                out.push(whole(source, object, index));
            }
        }
    }
    out
}

fn is_current(entity: &Value) -> bool {
    entity.is_object() && entity.get("isCurrent") != Some(&Value::Bool(false))
}

fn merge_single(collection: &str, ranked: &[(usize, &SourceData)]) -> Vec<Instance> {
    let mut merged = Map::new();
    let mut contributions = Vec::new();
    let mut others = Vec::new();
    for (_, source) in ranked {
        let Some(entities) = source.collections.get(collection) else {
            continue;
        };
        let current = entities.iter().position(is_current);
        for (index, entity) in entities.iter().enumerate() {
            let Some(object) = entity.as_object() else {
                continue;
            };
            if Some(index) != current {
                others.push(whole(source, object, index));
                continue;
            }
            let top: Map<String, Value> = object
                .iter()
                .filter(|(k, _)| !INSTANCE_MEMBERS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let mut paths = Vec::new();
            merge_into(&mut merged, &top, &mut Vec::new(), &mut paths);
            if !paths.is_empty() {
                paths.sort();
                contributions.push((source.source_id.clone(), source.origin, paths));
            }
        }
    }
    let mut out = Vec::new();
    if !contributions.is_empty() {
        out.push(Instance {
            entity: merged,
            contributions,
            key: "merged".into(),
        });
    }
    out.extend(others);
    out
}

/// Adds the leaves of `from` that `into` does not have yet (a higher-ranked source already
/// decided those), recording their slash paths. Objects are walked; arrays and scalars are
/// leaves; a null leaf is no value.
fn merge_into(
    into: &mut Map<String, Value>,
    from: &Map<String, Value>,
    path: &mut Vec<String>,
    paths: &mut Vec<String>,
) {
    for (key, value) in from {
        path.push(key.clone());
        match value {
            Value::Null => {}
            Value::Object(child) => match into.get_mut(key) {
                Some(Value::Object(existing)) => merge_into(existing, child, path, paths),
                Some(_) => {}
                None => {
                    let mut fresh = Map::new();
                    merge_into(&mut fresh, child, path, paths);
                    if !fresh.is_empty() {
                        into.insert(key.clone(), Value::Object(fresh));
                    }
                }
            },
            leaf => {
                if !into.contains_key(key) {
                    into.insert(key.clone(), leaf.clone());
                    paths.push(path.join("/"));
                }
            }
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENTRA: &str = "4ce763dd-9214-4eff-af7c-da491cc3782d";

    fn source(id: &str, origin: Origin, collection: &str, entities: Vec<Value>) -> SourceData {
        SourceData {
            source_id: id.into(),
            origin,
            collections: BTreeMap::from([(collection.to_owned(), entities)]),
        }
    }

    #[test]
    fn leaves_merge_by_rank_and_nulls_do_not_count() {
        let order = effective_order(&["hr".into()], ENTRA);
        assert_eq!(order, ["hr", ENTRA], "Entra appended");
        let hr = source(
            "hr",
            Origin::Connector,
            "positions",
            vec![json!({"detail": {"jobTitle": "", "role": null, "company": {}}})],
        );
        let entra = source(
            ENTRA,
            Origin::Entra,
            "positions",
            vec![json!({"detail": {"jobTitle": "Engineer", "role": "Dev"}})],
        );
        let out = compose(&order, &[entra, hr]);
        let merged = &out["positions"][0];
        assert_eq!(
            Value::Object(merged.entity.clone()),
            json!({"detail": {"jobTitle": "", "role": "Dev"}})
        );
        assert_eq!(merged.contributions[0].2, ["detail/jobTitle"]);
        assert_eq!(merged.contributions[1].2, ["detail/role"]);
    }

    #[test]
    fn unlisted_connectors_contribute_nothing_and_user_entries_stand_apart() {
        let order = effective_order(&[ENTRA.into()], ENTRA);
        let hr = source(
            "hr",
            Origin::Connector,
            "skills",
            vec![json!({"displayName": "Go"})],
        );
        let user = source(
            "46a57efc-33f8-4eec-a512-b90039ad6187",
            Origin::User,
            "positions",
            vec![json!({"detail": {"jobTitle": "Chief"}})],
        );
        let entra = source(
            ENTRA,
            Origin::Entra,
            "positions",
            vec![json!({"detail": {}})],
        );
        let out = compose(&order, &[hr, user, entra]);
        assert!(!out.contains_key("skills"));
        let positions = &out["positions"];
        assert_eq!(
            positions.len(),
            1,
            "Entra had no leaf; the user's entry stands alone"
        );
        assert_eq!(positions[0].contributions[0].1, Origin::User);
    }
}
