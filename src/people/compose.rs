//! The composed profile: each property's value by source precedence, with provenance.
//!
//! # Rules (graph-api.md §6.4)
//!
//! * **Single-valued** data (work position, names, account) is decided per property, at leaf
//!   path granularity (`positions/detail/jobTitle`, `positions/detail/company/department`): the
//!   highest-ranked source that has a value wins. An empty string *is* a value and wins; `null`
//!   or an absent property is not.
//! * **Multi-valued** data (emails, phones, addresses, skills, ...) is concatenated in source
//!   rank order, duplicates kept, each item tagged with its source.
//! * The profile API's `user` source ([`USER_SOURCE_ID`]) never overrides connector or Entra ID
//!   values: it ranks below every other source whatever the precedence list says.
//! * Sources not named in the precedence list rank after every listed source: Entra ID first
//!   (the service appends it to a list that lacks it, graph-api.md §6.3), then the others
//!   ordered by source id (case-insensitively) so the result never depends on input order.
//!   Entries naming the same source twice count at their first position.
//!
//! # Two entry points
//!
//! * [`compose_entities`] works on JSON profile entities (what the emulator needs to answer
//!   `GET /beta/users/{id}/profile`): per collection, the merged single-valued entity in Graph's
//!   shape, the slash paths each source supplied, and multi-valued items tagged with their source.
//! * The typed core ([`Composer`] over [`UserSources`]) is for explaining one user and for
//!   re-composing 100k users when previewing a reorder; [`Composer::compose_into`] allocates
//!   nothing once its output buffer has grown.
//!
//! ```
//! use peoplectl::people::compose::{compose_entities, SourceEntities};
//! use peoplectl::people::ids::SourceId;
//! use peoplectl::people::precedence::PrecedenceList;
//! use serde_json::json;
//!
//! let hr = SourceId::new("contosohr").unwrap();
//! let list = PrecedenceList::from_urls([
//!     "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='contosohr')",
//!     "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='4ce763dd-9214-4eff-af7c-da491cc3782d')",
//! ]);
//! let entra = SourceEntities::new(SourceId::entra())
//!     .with("positions", json!({"detail": {"jobTitle": "Software Engineer",
//!                                          "company": {"department": "Engineering"}}}))
//!     .with("emails", json!({"address": "alexw@contoso.com", "type": "work"}));
//! let connector = SourceEntities::new(hr.clone())
//!     .with("positions", json!({"detail": {"jobTitle": "Senior Software Engineer",
//!                                          "company": {"department": null}}}))
//!     .with("emails", json!({"address": "alex@home.example", "type": "personal"}));
//!
//! let profile = compose_entities(&list, &[entra, connector]);
//!
//! let positions = &profile.collections["positions"];
//! let merged = positions.merged.as_ref().unwrap();
//! // The connector ranks first and wins jobTitle; its null department does not override Entra.
//! assert_eq!(merged.entity, json!({"detail": {"jobTitle": "Senior Software Engineer",
//!                                             "company": {"department": "Engineering"}}}));
//! assert_eq!(merged.sources[0].source_id, hr);
//! assert_eq!(merged.sources[0].properties, ["detail/jobTitle"]);
//! assert_eq!(merged.sources[1].properties, ["detail/company/department"]);
//! // Graph's `sources` annotation and `source.type` tokens, ready to serialise.
//! assert_eq!(serde_json::to_value(merged.annotations()).unwrap(), json!([
//!     {"sourceId": "contosohr", "isDefaultSource": true},
//!     {"sourceId": "4ce763dd-9214-4eff-af7c-da491cc3782d",
//!      "properties": ["detail/company/department"]}]));
//! assert_eq!(merged.source_types(), ["ConnectorSource", "AAD"]);
//!
//! // Multi-valued: every item, in source rank order, tagged with its source.
//! let emails = &profile.collections["emails"].items;
//! assert_eq!(emails[0].source_id, hr);
//! assert_eq!(emails[1].item["address"], "alexw@contoso.com");
//! ```
//!
//! [`USER_SOURCE_ID`]: crate::people::source_url::USER_SOURCE_ID

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::Map;

use super::ids::SourceId;
use super::precedence::PrecedenceList;
use super::source_url::source_type_token;

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
pub struct PropertyId(u32);

impl PropertyId {
    /// Position in the catalog.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Interned property paths and their kinds, so the hot path compares integers, not strings.
#[derive(Debug, Clone, Default)]
pub struct PropertyCatalog {
    defs: Vec<(String, PropertyKind)>,
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

/// One source's value for one property: a JSON scalar, or any other JSON (arrays at a leaf,
/// multi-valued items). Cloning is cheap.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Explicitly no value: never wins, never shadows.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string; `""` is a value.
    String(Arc<str>),
    /// Any other JSON (arrays, objects).
    Json(Arc<serde_json::Value>),
}

impl Value {
    /// Whether this is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text, for strings.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Converts JSON; arrays and objects are kept whole.
    pub fn from_json(v: &serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_f64() {
                // Integers beyond f64's exact range keep their JSON form.
                Some(f) if n.is_f64() || f.abs() < 9_007_199_254_740_992.0 => Value::Number(f),
                _ => Value::Json(Arc::new(v.clone())),
            },
            serde_json::Value::String(s) => Value::String(Arc::from(s.as_str())),
            other => Value::Json(Arc::new(other.clone())),
        }
    }

    /// The JSON form.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(f) => number_json(*f),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Json(j) => (**j).clone(),
        }
    }
}

#[allow(clippy::cast_possible_truncation, clippy::float_cmp)] // guarded: exact integers only
fn number_json(f: f64) -> serde_json::Value {
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        serde_json::Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_none(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(f) => number_json(*f).serialize(serializer),
            Value::String(s) => serializer.serialize_str(s),
            Value::Json(j) => j.serialize(serializer),
        }
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::String(Arc::from(value))
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::String(Arc::from(value))
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Value::Number(value)
    }
}

impl From<serde_json::Value> for Value {
    fn from(value: serde_json::Value) -> Self {
        Value::from_json(&value)
    }
}

/// One source's data for one user: `(property, value)` pairs. A multi-valued property appears
/// once per item, in the source's order; for a single-valued property the first non-null
/// entry counts.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceValues {
    /// The source.
    pub source: SourceKey,
    /// Its values.
    pub values: Vec<(PropertyId, Value)>,
}

/// Every source's data for one user.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserSources {
    /// One entry per source that has data for the user (order does not matter).
    pub sources: Vec<SourceValues>,
}

impl UserSources {
    /// No data yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one source's values.
    #[must_use]
    pub fn with(mut self, source: SourceKey, values: Vec<(PropertyId, Value)>) -> Self {
        self.sources.push(SourceValues { source, values });
        self
    }

    /// The values `source` gave for `property`, in order.
    pub fn values_of(
        &self,
        source: SourceKey,
        property: PropertyId,
    ) -> impl Iterator<Item = &Value> + '_ {
        self.sources
            .iter()
            .filter(move |s| s.source == source)
            .flat_map(|s| s.values.iter())
            .filter(move |(p, _)| *p == property)
            .map(|(_, v)| v)
    }
}

/// The effective source order for composition: the precedence list plus the rules for the
/// `user` source and for unlisted sources (see the module docs).
#[derive(Debug, Clone)]
pub struct Ranking {
    order: Vec<SourceId>,
    rank_of: Vec<u32>,
    nominal_of: Vec<u32>,
    listed: usize,
}

impl Ranking {
    /// The effective order of `list` for the sources of `table`.
    pub fn new(table: &SourceTable, list: &PrecedenceList) -> Self {
        Self::from_ids(table, list.entries().iter().filter_map(|e| e.source_id()))
    }

    /// The effective order of a list given as source ids, highest first.
    pub fn from_ids<'a>(
        table: &SourceTable,
        listed: impl IntoIterator<Item = &'a SourceId>,
    ) -> Self {
        let mut nominal: Vec<SourceId> = Vec::new();
        for id in listed {
            if !nominal.contains(id) {
                nominal.push(id.clone());
            }
        }
        let listed_count = nominal.len();
        let mut order: Vec<SourceId> = nominal
            .iter()
            .filter(|id| !id.is_profile_api_user())
            .cloned()
            .collect();
        if !order.iter().any(SourceId::is_entra) {
            order.push(SourceId::entra());
        }
        let mut unlisted: Vec<&SourceId> = table
            .ids()
            .iter()
            .filter(|id| !id.is_profile_api_user() && !order.contains(id))
            .collect();
        unlisted.sort();
        order.extend(unlisted.into_iter().cloned());
        order.push(SourceId::profile_api_user());

        let position = |list: &[SourceId], id: &SourceId| {
            list.iter()
                .position(|x| x == id)
                .map_or(u32::MAX, |p| u32::try_from(p).unwrap_or(u32::MAX))
        };
        let rank_of = table.ids().iter().map(|id| position(&order, id)).collect();
        // A source's place in the list as written, before the user source is demoted; only
        // explanations use it, to say when the user source lost despite its position.
        let nominal_of = table
            .ids()
            .iter()
            .map(|id| {
                let p = position(&nominal, id);
                if p == u32::MAX {
                    position(&order, id).saturating_add(u32::try_from(listed_count).unwrap_or(0))
                } else {
                    p
                }
            })
            .collect();
        Self {
            order,
            rank_of,
            nominal_of,
            listed: listed_count,
        }
    }

    /// Every source in effective order, highest first (includes listed sources with no data,
    /// Entra ID and the `user` source).
    pub fn order(&self) -> &[SourceId] {
        &self.order
    }

    /// The 1-based effective rank of `key`; sources missing from the table rank last.
    pub fn rank(&self, key: SourceKey) -> usize {
        self.rank0(key) as usize + 1
    }

    /// The 1-based rank of a source id, if it is in the effective order.
    pub fn rank_of_id(&self, id: &SourceId) -> Option<usize> {
        self.order.iter().position(|x| x == id).map(|p| p + 1)
    }

    /// How many distinct sources the precedence list names.
    pub fn listed_count(&self) -> usize {
        self.listed
    }

    fn rank0(&self, key: SourceKey) -> u32 {
        self.rank_of.get(key.index()).copied().unwrap_or(u32::MAX)
    }

    fn nominal0(&self, key: SourceKey) -> u32 {
        self.nominal_of
            .get(key.index())
            .copied()
            .unwrap_or(u32::MAX)
    }
}

/// A value chosen by composition, borrowed from the user's input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick<'a> {
    /// The source it came from.
    pub source: SourceKey,
    /// That source's 1-based effective rank.
    pub rank: usize,
    /// The value.
    pub value: &'a Value,
}

/// The composed values of one user (fast path). Reuse one across users to avoid allocation.
#[derive(Debug, Clone, Default)]
pub struct Composition<'a> {
    single: Vec<Option<Pick<'a>>>,
    multi: Vec<(PropertyId, Pick<'a>)>,
    scratch: Vec<(u32, SourceKey, usize)>,
}

impl<'a> Composition<'a> {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The winning value of a single-valued property.
    pub fn get(&self, property: PropertyId) -> Option<Pick<'a>> {
        self.single.get(property.index()).copied().flatten()
    }

    /// The items of a multi-valued property, in rank order.
    pub fn items(&self, property: PropertyId) -> impl Iterator<Item = Pick<'a>> + '_ {
        self.multi
            .iter()
            .filter(move |(p, _)| *p == property)
            .map(|(_, pick)| *pick)
    }

    /// Whether `property` has the same composed value here and in `other` (for multi-valued
    /// properties: the same items in the same order). Which source supplied it does not matter.
    pub fn same_value(
        &self,
        other: &Composition<'_>,
        property: PropertyId,
        kind: PropertyKind,
    ) -> bool {
        match kind {
            PropertyKind::Single => {
                self.get(property).map(|p| p.value) == other.get(property).map(|p| p.value)
            }
            PropertyKind::Multi => self
                .items(property)
                .map(|p| p.value)
                .eq(other.items(property).map(|p| p.value)),
        }
    }
}

/// Why a property has its composed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Rule {
    /// Only one source has a value.
    OnlySource,
    /// The highest-ranked source with a value wins over lower-ranked values.
    HighestRank,
    /// An empty string from a higher-ranked source overrides lower non-empty values.
    EmptyStringWins,
    /// A higher-ranked source sent `null`, which is not a value, so a lower source won.
    NullDoesNotOverride,
    /// The profile API's user source had a value ranked above the winner but never overrides.
    UserSourceNeverOverrides,
    /// Multi-valued: every source's items in rank order, duplicates kept.
    OrderedUnion,
    /// No source has a value.
    NoValue,
}

/// One source's value in an explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Contribution {
    /// The source.
    pub source: SourceId,
    /// Its 1-based effective rank.
    pub rank: usize,
    /// What it sent.
    pub value: Value,
}

/// How one property of one user got its composed value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// The property's path, e.g. `positions/detail/jobTitle`.
    pub property: String,
    /// Single- or multi-valued.
    pub kind: PropertyKind,
    /// The rule that decided.
    pub rule: Rule,
    /// Single-valued: the winning source and value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winner: Option<Contribution>,
    /// Multi-valued: every item, in order, with its source.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Contribution>,
    /// Single-valued: the lower-ranked values the winner shadowed.
    pub shadowed: Vec<Contribution>,
    /// Sources ranked above the winner that sent `null`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nulls: Vec<Contribution>,
}

/// Composes users under one effective source order.
#[derive(Debug, Clone)]
pub struct Composer {
    kinds: Vec<PropertyKind>,
    ranking: Ranking,
}

impl Composer {
    /// A composer for the properties of `catalog` (ids interned later count as single-valued).
    pub fn new(catalog: &PropertyCatalog, ranking: Ranking) -> Self {
        Self {
            kinds: catalog.defs.iter().map(|d| d.1).collect(),
            ranking,
        }
    }

    /// The order this composer applies.
    pub fn ranking(&self) -> &Ranking {
        &self.ranking
    }

    fn kind(&self, p: PropertyId) -> PropertyKind {
        self.kinds
            .get(p.index())
            .copied()
            .unwrap_or(PropertyKind::Single)
    }

    /// Composes one user into `out`, replacing what it held. The hot path: no allocation once
    /// `out` has grown to the catalog's size.
    pub fn compose_into<'a>(&self, user: &'a UserSources, out: &mut Composition<'a>) {
        out.single.clear();
        out.single.resize(self.kinds.len(), None);
        out.multi.clear();
        out.scratch.clear();
        for (pos, s) in user.sources.iter().enumerate() {
            out.scratch
                .push((self.ranking.rank0(s.source), s.source, pos));
        }
        out.scratch.sort_unstable();
        for &(rank0, key, pos) in &out.scratch {
            let rank = rank0 as usize + 1;
            for (prop, value) in &user.sources[pos].values {
                if value.is_null() {
                    continue;
                }
                let pick = Pick {
                    source: key,
                    rank,
                    value,
                };
                match self.kind(*prop) {
                    PropertyKind::Single => {
                        let i = prop.index();
                        if i >= out.single.len() {
                            out.single.resize(i + 1, None);
                        }
                        if out.single[i].is_none() {
                            out.single[i] = Some(pick);
                        }
                    }
                    PropertyKind::Multi => out.multi.push((*prop, pick)),
                }
            }
        }
    }

    /// Composes one user into a fresh buffer.
    pub fn compose<'a>(&self, user: &'a UserSources) -> Composition<'a> {
        let mut out = Composition::new();
        self.compose_into(user, &mut out);
        out
    }

    /// Every property any source sent for this user, in catalog order, with its value, the
    /// winning source, the values it shadowed and the rule that decided.
    pub fn explain(
        &self,
        user: &UserSources,
        catalog: &PropertyCatalog,
        table: &SourceTable,
    ) -> Vec<Provenance> {
        // (rank0, key, source position, value position) of every value, per property.
        let mut per_prop: BTreeMap<PropertyId, Vec<(u32, SourceKey, usize, usize)>> =
            BTreeMap::new();
        for (spos, s) in user.sources.iter().enumerate() {
            for (vpos, (prop, _)) in s.values.iter().enumerate() {
                per_prop.entry(*prop).or_default().push((
                    self.ranking.rank0(s.source),
                    s.source,
                    spos,
                    vpos,
                ));
            }
        }
        let id_of = |key: SourceKey| table.id(key).cloned().unwrap_or_else(SourceId::entra);
        let mut out = Vec::with_capacity(per_prop.len());
        for (prop, mut entries) in per_prop {
            entries.sort_unstable();
            let contributions: Vec<(SourceKey, Contribution)> = entries
                .iter()
                .map(|&(rank0, key, spos, vpos)| {
                    (
                        key,
                        Contribution {
                            source: id_of(key),
                            rank: rank0 as usize + 1,
                            value: user.sources[spos].values[vpos].1.clone(),
                        },
                    )
                })
                .collect();
            out.push(self.explain_property(prop, catalog, contributions));
        }
        out
    }

    fn explain_property(
        &self,
        prop: PropertyId,
        catalog: &PropertyCatalog,
        contributions: Vec<(SourceKey, Contribution)>,
    ) -> Provenance {
        let property = catalog.path(prop).to_owned();
        let kind = self.kind(prop);
        let (nulls, values): (Vec<_>, Vec<_>) = contributions
            .into_iter()
            .partition(|(_, c)| c.value.is_null());
        if kind == PropertyKind::Multi {
            return Provenance {
                property,
                kind,
                rule: if values.is_empty() {
                    Rule::NoValue
                } else {
                    Rule::OrderedUnion
                },
                winner: None,
                items: values.into_iter().map(|(_, c)| c).collect(),
                shadowed: Vec::new(),
                nulls: nulls.into_iter().map(|(_, c)| c).collect(),
            };
        }
        let mut values = values.into_iter();
        let Some((win_key, winner)) = values.next() else {
            return Provenance {
                property,
                kind,
                rule: Rule::NoValue,
                winner: None,
                items: Vec::new(),
                shadowed: Vec::new(),
                nulls: nulls.into_iter().map(|(_, c)| c).collect(),
            };
        };
        // Several values from the winning source itself are not "shadowed" by another source.
        let shadowed: Vec<(SourceKey, Contribution)> =
            values.filter(|(k, _)| *k != win_key).collect();
        let nulls: Vec<Contribution> = nulls
            .into_iter()
            .filter(|(_, c)| c.rank < winner.rank)
            .map(|(_, c)| c)
            .collect();
        let user_outranked = shadowed.iter().any(|(k, c)| {
            c.source.is_profile_api_user()
                && self.ranking.nominal0(*k) < self.ranking.nominal0(win_key)
        });
        let empty_wins = winner.value.as_str() == Some("")
            && shadowed.iter().any(|(_, c)| c.value.as_str() != Some(""));
        let rule = if user_outranked {
            Rule::UserSourceNeverOverrides
        } else if empty_wins {
            Rule::EmptyStringWins
        } else if !nulls.is_empty() {
            Rule::NullDoesNotOverride
        } else if !shadowed.is_empty() {
            Rule::HighestRank
        } else {
            Rule::OnlySource
        };
        Provenance {
            property,
            kind,
            rule,
            winner: Some(winner),
            items: Vec::new(),
            shadowed: shadowed.into_iter().map(|(_, c)| c).collect(),
            nulls,
        }
    }
}

// ------------------------------------------------------------------------------------------
// JSON entities (the emulator's entry point)
// ------------------------------------------------------------------------------------------

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
            let merged_pos = entities.iter().position(|e| {
                e.is_object() && e.get("isCurrent") != Some(&serde_json::Value::Bool(false))
            });
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
    let mut ranked: Vec<(usize, SourceKey, usize, serde_json::Value)> = items
        .into_iter()
        .enumerate()
        .map(|(i, (key, item))| (composer.ranking.rank(key), key, i, item))
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

#[cfg(test)]
mod tests {
    use super::*;
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
            name: "the user source fills a gap",
            order: &[USER, ENTRA],
            sent: &[(USER, Sent::Str("Chief Everything")), (ENTRA, Sent::Null)],
            value: Some("Chief Everything"),
            winner: Some(USER),
            rule: Rule::NullDoesNotOverride,
            shadowed: &[],
        },
        Case {
            name: "unlisted sources rank after listed ones, Entra first",
            order: &["contosohr"],
            sent: &[
                ("zeta", Sent::Str("Z")),
                (ENTRA, Sent::Str("E")),
                ("alpha", Sent::Str("A")),
            ],
            value: Some("E"),
            winner: Some(ENTRA),
            rule: Rule::HighestRank,
            shadowed: &["A", "Z"],
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
        assert_eq!(
            order,
            ["hr", "listedbutempty", ENTRA, "alpha", "zeta", USER]
        );
        assert_eq!(r.listed_count(), 3);
        assert_eq!(r.rank(table.get(&id("hr")).expect("interned")), 1);
        assert_eq!(r.rank(table.get(&id(USER)).expect("interned")), 6);
        assert_eq!(r.rank_of_id(&id("ALPHA")), Some(4));
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
        let hr =
            SourceEntities::new(id("hr")).with("positions", json!({"detail": {"jobTitle": ""}}));
        let entra = SourceEntities::new(SourceId::entra())
            .with("positions", json!({"detail": {"jobTitle": "Engineer"}}))
            .with("phones", json!({"number": "1", "type": "business"}));
        let list = PrecedenceList::from_sources(&[id(USER), id("hr"), SourceId::entra()]);
        let out = compose_entities(&list, &[user.clone(), hr, entra]);
        let merged = out.collections["positions"]
            .merged
            .as_ref()
            .expect("merged");
        assert_eq!(
            merged.entity,
            json!({"detail": {"jobTitle": "", "role": "Dev"}})
        );
        assert_eq!(merged.source_types(), ["ConnectorSource", "user"]);
        assert_eq!(out.collections["phones"].items[0].rank, 2);
        // Only the user source: it still composes.
        let only = compose_entities(&PrecedenceList::default(), &[user]);
        assert_eq!(
            only.collections["positions"]
                .merged
                .as_ref()
                .map(|m| m.sources.len()),
            Some(1)
        );
    }
}

#[cfg(test)]
mod explain_entities_tests {
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

#[cfg(test)]
mod proptests;
