//! JSON profile entities: per collection, the merged single-valued entity in Graph's shape
//! with the paths each source supplied, and multi-valued items tagged with their source.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Map;

use super::catalog::{
    PropertyCatalog, PropertyId, PropertyKind, SourceKey, SourceTable, collection_kind,
};
use super::composer::{Composer, Provenance, SourceValues, UserSources};
use super::ranking::Ranking;
use super::value::Value;
use crate::people::ids::SourceId;
use crate::people::precedence::PrecedenceList;
use crate::people::source_url::source_type_token;

/// Top-level entity keys that describe an instance rather than the person, so they are not
/// merged: `id` (the caller assigns the composed entity's id) and the provenance annotations.
const UNMERGED_KEYS: [&str; 3] = ["id", "source", "sources"];

/// One source's profile entities for one user, per profile collection (`positions`,
/// `names`, `account`, `emails`, ...), each entity in Graph's profile JSON shape.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceEntities {
    /// The source.
    pub source_id: SourceId,
    /// Entities per collection name, in the source's order.
    pub collections: BTreeMap<String, Vec<serde_json::Value>>,
}

impl SourceEntities {
    /// No entities yet.
    pub fn new(source_id: SourceId) -> Self {
        Self {
            source_id,
            collections: BTreeMap::new(),
        }
    }

    /// Adds one entity to `collection`.
    #[must_use]
    pub fn with(mut self, collection: &str, entity: serde_json::Value) -> Self {
        self.push(collection, entity);
        self
    }

    /// Adds one entity to `collection`.
    pub fn push(&mut self, collection: &str, entity: serde_json::Value) {
        self.collections
            .entry(collection.to_owned())
            .or_default()
            .push(entity);
    }
}

/// What one source supplied to a merged entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceContribution {
    /// The source.
    pub source_id: SourceId,
    /// Its 1-based effective rank.
    pub rank: usize,
    /// Slash paths relative to the entity (`detail/jobTitle`), in path order.
    pub properties: Vec<String>,
}

/// Graph's per-entity `sources` annotation (`profileSourceAnnotation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceAnnotation {
    /// The source.
    pub source_id: SourceId,
    /// Set on the one source every unlisted property came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_default_source: Option<bool>,
    /// The properties this (non-default) source supplied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<String>,
}

/// A single-valued collection's entity merged across sources.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedEntity {
    /// The merged entity (only the properties some source supplied).
    pub entity: serde_json::Value,
    /// Each contributing source in rank order, with the properties it supplied.
    pub sources: Vec<SourceContribution>,
}

impl MergedEntity {
    /// Graph's `sources` annotation: the source that supplied the most properties (the higher
    /// ranked one on a tie) is the default source; every other source lists its properties.
    pub fn annotations(&self) -> Vec<SourceAnnotation> {
        let default = self
            .sources
            .iter()
            .enumerate()
            .max_by_key(|(i, s)| (s.properties.len(), std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        self.sources
            .iter()
            .enumerate()
            .map(|(i, s)| SourceAnnotation {
                source_id: s.source_id.clone(),
                is_default_source: (Some(i) == default).then_some(true),
                properties: if Some(i) == default {
                    Vec::new()
                } else {
                    s.properties.clone()
                },
            })
            .collect()
    }

    /// Graph's `source.type` tokens of the contributing sources, in rank order, without repeats.
    pub fn source_types(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for t in self
            .sources
            .iter()
            .filter_map(|s| source_type_token(&s.source_id))
        {
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }
}

/// A whole entity from one source, as it appears in a composed collection.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourcedItem {
    /// The source it came from.
    pub source_id: SourceId,
    /// That source's 1-based effective rank.
    pub rank: usize,
    /// The entity as the source sent it.
    pub item: serde_json::Value,
}

/// One composed profile collection.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposedCollection {
    /// Single- or multi-valued.
    pub kind: PropertyKind,
    /// Single-valued collections: the merged entity, if any source supplied a value.
    pub merged: Option<MergedEntity>,
    /// Multi-valued collections: every item in rank order. Single-valued collections: the
    /// entities that were not merged (a source's further entities, e.g. past positions).
    pub items: Vec<SourcedItem>,
}

/// A user's profile composed from every source, per collection name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ComposedEntities {
    /// Composed collections by name; a collection no source supplied is absent.
    pub collections: BTreeMap<String, ComposedCollection>,
}

/// Composes JSON profile entities from several sources under `precedence`.
///
/// Single-valued collections (`positions`, `names`, `account`) merge, per source, the first
/// entity whose `isCurrent` is not `false`; a source's other entities there (past positions)
/// are passed through in `items`. Leaves are merged per slash path (arrays are leaves);
/// `id`, `source` and `sources` at the top of an entity are not merged.
pub fn compose_entities(
    precedence: &PrecedenceList,
    sources: &[SourceEntities],
) -> ComposedEntities {
    let mut table = SourceTable::new();
    let keys: Vec<SourceKey> = sources.iter().map(|s| table.intern(&s.source_id)).collect();
    let ranking = Ranking::new(&table, precedence);

    let mut catalog = PropertyCatalog::new();
    // Slash paths split back into segments (a JSON key may itself contain '/').
    let mut segments: Vec<(String, Vec<String>)> = Vec::new();
    let mut user = UserSources::new();
    let mut extras: BTreeMap<String, Vec<(SourceKey, serde_json::Value)>> = BTreeMap::new();
    let mut multi: BTreeMap<String, Vec<(SourceKey, serde_json::Value)>> = BTreeMap::new();

    for (src, key) in sources.iter().zip(&keys) {
        let mut values = Vec::new();
        for (collection, entities) in &src.collections {
            if collection_kind(collection) == PropertyKind::Multi {
                let slot = multi.entry(collection.clone()).or_default();
                slot.extend(
                    entities
                        .iter()
                        .filter(|e| !e.is_null())
                        .map(|e| (*key, e.clone())),
                );
                continue;
            }
            // What a user writes is an instance of its own (seed 003): never merged.
            let merged_pos = entities
                .iter()
                .position(|e| {
                    e.is_object() && e.get("isCurrent") != Some(&serde_json::Value::Bool(false))
                })
                .filter(|_| !src.source_id.is_profile_api_user());
            for (i, entity) in entities.iter().enumerate() {
                if Some(i) != merged_pos {
                    if !entity.is_null() {
                        extras
                            .entry(collection.clone())
                            .or_default()
                            .push((*key, entity.clone()));
                    }
                    continue;
                }
                // Make sure the collection shows up even if every leaf is null.
                extras.entry(collection.clone()).or_default();
                let mut path = vec![collection.clone()];
                flatten(entity, &mut path, true, &mut |segs, leaf| {
                    let joined = segs.join("/");
                    let id = catalog.intern(&joined, PropertyKind::Single);
                    if id.index() == segments.len() {
                        segments.push((segs[0].clone(), segs[1..].to_vec()));
                    }
                    values.push((id, Value::from_json(leaf)));
                });
            }
        }
        user.sources.push(SourceValues {
            source: *key,
            values,
        });
    }

    let composer = Composer::new(&catalog, ranking);
    let composition = composer.compose(&user);
    let mut out = ComposedEntities::default();

    for (collection, extra) in extras {
        let mut entity = serde_json::Value::Object(Map::new());
        let mut contributions: Vec<(usize, SourceKey, Vec<String>)> = Vec::new();
        for (id, (coll, segs)) in segments.iter().enumerate() {
            if *coll != collection {
                continue;
            }
            let prop = PropertyId(u32::try_from(id).unwrap_or(u32::MAX));
            let Some(pick) = composition.get(prop) else {
                continue;
            };
            if !set_path(&mut entity, segs, pick.value.to_json()) {
                continue;
            }
            let path = segs.join("/");
            match contributions.iter_mut().find(|c| c.1 == pick.source) {
                Some(c) => c.2.push(path),
                None => contributions.push((pick.rank, pick.source, vec![path])),
            }
        }
        contributions.sort();
        let merged = (!contributions.is_empty()).then(|| MergedEntity {
            entity,
            sources: contributions
                .into_iter()
                .map(|(rank, key, mut properties)| {
                    properties.sort();
                    SourceContribution {
                        source_id: table.ids()[key.index()].clone(),
                        rank,
                        properties,
                    }
                })
                .collect(),
        });
        let items = sourced_items(&composer, &table, extra);
        if merged.is_some() || !items.is_empty() {
            out.collections.insert(
                collection,
                ComposedCollection {
                    kind: PropertyKind::Single,
                    merged,
                    items,
                },
            );
        }
    }
    for (collection, items) in multi {
        let items = sourced_items(&composer, &table, items);
        if !items.is_empty() {
            out.collections.insert(
                collection,
                ComposedCollection {
                    kind: PropertyKind::Multi,
                    merged: None,
                    items,
                },
            );
        }
    }
    out
}

fn sourced_items(
    composer: &Composer,
    table: &SourceTable,
    items: Vec<(SourceKey, serde_json::Value)>,
) -> Vec<SourcedItem> {
    // Items of a source that does not count are not on the profile.
    let mut ranked: Vec<(usize, SourceKey, usize, serde_json::Value)> = items
        .into_iter()
        .enumerate()
        .filter_map(|(i, (key, item))| Some((composer.ranking.rank(key)?, key, i, item)))
        .collect();
    ranked.sort_by_key(|(rank, key, i, _)| (*rank, *key, *i));
    ranked
        .into_iter()
        .map(|(rank, key, _, item)| SourcedItem {
            source_id: table.ids()[key.index()].clone(),
            rank,
            item,
        })
        .collect()
}

/// Calls `leaf` for every leaf of `value` (scalars, nulls and arrays) with its path segments.
/// Explains one user from JSON profile entities: every property with its composed value,
/// winning source, shadowed values and rule (the typed core's [`Composer::explain`], fed from
/// the same inputs as [`compose_entities`]). Single-valued collections are explained per leaf
/// path (`positions/detail/jobTitle`) from each source's current entity; multi-valued ones per
/// collection (`emails`), each item a value in rank order.
pub fn explain_entities(
    precedence: &PrecedenceList,
    sources: &[SourceEntities],
) -> Vec<Provenance> {
    let mut table = SourceTable::new();
    let mut catalog = PropertyCatalog::new();
    let user = user_sources(&mut catalog, &mut table, sources);
    let composer = Composer::new(&catalog, Ranking::new(&table, precedence));
    composer.explain(&user, &catalog, &table)
}

/// One user's JSON profile entities in the typed core's form, interning property paths and
/// sources as it goes: single-valued collections by leaf path of each source's current entity
/// (`positions/detail/jobTitle`), multi-valued ones whole (`emails`). Explanations and reorder
/// impact over many users both read users this way, so their paths agree.
pub fn user_sources(
    catalog: &mut PropertyCatalog,
    table: &mut SourceTable,
    sources: &[SourceEntities],
) -> UserSources {
    let mut user = UserSources::new();
    for src in sources {
        let key = table.intern(&src.source_id);
        let mut values = Vec::new();
        for (collection, entities) in &src.collections {
            if collection_kind(collection) == PropertyKind::Multi {
                let id = catalog.intern(collection, PropertyKind::Multi);
                values.extend(
                    entities
                        .iter()
                        .filter(|e| !e.is_null())
                        .map(|e| (id, Value::from_json(e))),
                );
                continue;
            }
            let current = entities.iter().find(|e| {
                e.is_object() && e.get("isCurrent") != Some(&serde_json::Value::Bool(false))
            });
            if let Some(entity) = current {
                let mut path = vec![collection.clone()];
                flatten(entity, &mut path, true, &mut |segs, leaf| {
                    let id = catalog.intern(&segs.join("/"), PropertyKind::Single);
                    values.push((id, Value::from_json(leaf)));
                });
            }
        }
        user = user.with(key, values);
    }
    user
}

fn flatten(
    value: &serde_json::Value,
    path: &mut Vec<String>,
    top: bool,
    leaf: &mut dyn FnMut(&[String], &serde_json::Value),
) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if top && UNMERGED_KEYS.contains(&k.as_str()) {
                    continue;
                }
                path.push(k.clone());
                flatten(v, path, false, leaf);
                path.pop();
            }
        }
        other if !top => leaf(path, other),
        _ => {}
    }
}

/// Sets `segs` in `root`, creating objects on the way. Returns false (and changes nothing)
/// when a non-object already sits on the path: the first value placed there stays.
fn set_path(root: &mut serde_json::Value, segs: &[String], value: serde_json::Value) -> bool {
    let Some((last, parents)) = segs.split_last() else {
        return false;
    };
    let mut node = root;
    for seg in parents {
        let Some(map) = node.as_object_mut() else {
            return false;
        };
        node = map
            .entry(seg.clone())
            .or_insert_with(|| serde_json::Value::Object(Map::new()));
    }
    match node.as_object_mut() {
        Some(map) if !map.contains_key(last) => {
            map.insert(last.clone(), value);
            true
        }
        _ => false,
    }
}
