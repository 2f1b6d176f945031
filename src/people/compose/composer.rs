//! The typed core: one user's values per source, composed by rank into picks (fast path) or
//! explained with provenance (every value, the winner and the rule that decided).

use std::collections::BTreeMap;

use serde::Serialize;

use super::catalog::{PropertyCatalog, PropertyId, PropertyKind, SourceKey, SourceTable};
use super::ranking::{Ranking, UNRANKED};
use super::value::Value;
use crate::people::ids::SourceId;

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
    /// The profile API's user source had a value (listed above the winner, or where no other
    /// source had one) but never supplies the property: it is an instance of its own.
    UserSourceNeverOverrides,
    /// Multi-valued: every source's items in rank order, duplicates kept.
    OrderedUnion,
    /// No source has a value.
    NoValue,
    /// A higher-ranked source has a value that does not reach the profile (no mailbox, an
    /// unmatched account, ...): the explanation of what Microsoft 365 shows sets this; the
    /// composer never does, as it is only given the values that count.
    SourceIgnored,
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
    pub(super) ranking: Ranking,
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
            let rank0 = self.ranking.rank0(s.source);
            // A source the precedence list does not name contributes nothing.
            if rank0 != UNRANKED {
                out.scratch.push((rank0, s.source, pos));
            }
        }
        out.scratch.sort_unstable();
        for &(rank0, key, pos) in &out.scratch {
            let rank = rank0 as usize + 1;
            // What a user writes is an instance of its own: it never supplies a single value.
            let user_source = self.ranking.is_user_rank(rank0);
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
                    PropertyKind::Single if user_source => {}
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
            let rank0 = self.ranking.rank0(s.source);
            if rank0 == UNRANKED {
                continue;
            }
            for (vpos, (prop, _)) in s.values.iter().enumerate() {
                per_prop
                    .entry(*prop)
                    .or_default()
                    .push((rank0, s.source, spos, vpos));
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
        // The user's own values never supply the property (seed 003): they stand beside it.
        let (own, values): (Vec<_>, Vec<_>) = values
            .into_iter()
            .partition(|(_, c)| c.source.is_profile_api_user());
        let mut values = values.into_iter();
        let Some((win_key, winner)) = values.next() else {
            return Provenance {
                property,
                kind,
                rule: if own.is_empty() {
                    Rule::NoValue
                } else {
                    Rule::UserSourceNeverOverrides
                },
                winner: None,
                items: Vec::new(),
                shadowed: own.into_iter().map(|(_, c)| c).collect(),
                nulls: nulls.into_iter().map(|(_, c)| c).collect(),
            };
        };
        // Several values from the winning source itself are not "shadowed" by another source.
        let mut shadowed: Vec<(SourceKey, Contribution)> =
            values.filter(|(k, _)| *k != win_key).collect();
        shadowed.extend(own);
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
