//! What composition works on: property kinds, interned property paths and source keys.

use std::collections::HashMap;

use serde::Serialize;

use crate::people::ids::SourceId;

/// Whether a property holds one authoritative value or an ordered list of items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PropertyKind {
    /// Decided by precedence: the highest-ranked source with a value wins.
    Single,
    /// Concatenated in rank order, duplicates kept.
    Multi,
}

/// The profile collections whose data is single-valued (graph-api.md §6.4).
pub const SINGLE_VALUED_COLLECTIONS: [&str; 3] = ["positions", "names", "account"];

/// The kind of data a profile collection (`positions`, `emails`, ...) holds.
pub fn collection_kind(collection: &str) -> PropertyKind {
    if SINGLE_VALUED_COLLECTIONS.contains(&collection) {
        PropertyKind::Single
    } else {
        PropertyKind::Multi
    }
}

/// A property interned in a [`PropertyCatalog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PropertyId(pub(super) u32);

impl PropertyId {
    /// Position in the catalog.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Interned property paths and their kinds, so the hot path compares integers, not strings.
#[derive(Debug, Clone, Default)]
pub struct PropertyCatalog {
    pub(super) defs: Vec<(String, PropertyKind)>,
    by_path: HashMap<String, PropertyId>,
}

impl PropertyCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `path`, adding it with `kind` if new (an existing path keeps its first kind).
    pub fn intern(&mut self, path: &str, kind: PropertyKind) -> PropertyId {
        if let Some(id) = self.by_path.get(path) {
            return *id;
        }
        let id = PropertyId(u32::try_from(self.defs.len()).unwrap_or(u32::MAX));
        self.defs.push((path.to_owned(), kind));
        self.by_path.insert(path.to_owned(), id);
        id
    }

    /// The id of `path`, if interned.
    pub fn get(&self, path: &str) -> Option<PropertyId> {
        self.by_path.get(path).copied()
    }

    /// The path of `id` (empty for an id from another catalog).
    pub fn path(&self, id: PropertyId) -> &str {
        self.defs.get(id.index()).map_or("", |d| d.0.as_str())
    }

    /// The kind of `id`; ids the catalog does not know count as single-valued.
    pub fn kind(&self, id: PropertyId) -> PropertyKind {
        self.defs
            .get(id.index())
            .map_or(PropertyKind::Single, |d| d.1)
    }

    /// How many properties are interned.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether no property is interned.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Every property in interning order.
    pub fn iter(&self) -> impl Iterator<Item = (PropertyId, &str, PropertyKind)> {
        self.defs.iter().enumerate().map(|(i, (p, k))| {
            (
                PropertyId(u32::try_from(i).unwrap_or(u32::MAX)),
                p.as_str(),
                *k,
            )
        })
    }
}

/// A source interned in a [`SourceTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceKey(u32);

impl SourceKey {
    /// Position in the table.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Interned source ids, independent of any precedence order (so one set of user data can be
/// composed under two orders).
#[derive(Debug, Clone, Default)]
pub struct SourceTable {
    ids: Vec<SourceId>,
    by_id: HashMap<SourceId, SourceKey>,
}

impl SourceTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The key of `id`, adding it if new.
    pub fn intern(&mut self, id: &SourceId) -> SourceKey {
        if let Some(k) = self.by_id.get(id) {
            return *k;
        }
        let key = SourceKey(u32::try_from(self.ids.len()).unwrap_or(u32::MAX));
        self.ids.push(id.clone());
        self.by_id.insert(id.clone(), key);
        key
    }

    /// The key of `id`, if interned.
    pub fn get(&self, id: &SourceId) -> Option<SourceKey> {
        self.by_id.get(id).copied()
    }

    /// The id behind `key`.
    pub fn id(&self, key: SourceKey) -> Option<&SourceId> {
        self.ids.get(key.index())
    }

    /// Every interned id, in key order.
    pub fn ids(&self) -> &[SourceId] {
        &self.ids
    }

    /// How many sources are interned.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no source is interned.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}
