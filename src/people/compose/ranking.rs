//! The ranking rule: which source outranks which, from the precedence list plus the rules for
//! the profile API's `user` source and for sources the list does not name.

use super::catalog::{SourceKey, SourceTable};
use crate::people::ids::SourceId;
use crate::people::precedence::PrecedenceList;

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

    pub(super) fn rank0(&self, key: SourceKey) -> u32 {
        self.rank_of.get(key.index()).copied().unwrap_or(u32::MAX)
    }

    pub(super) fn nominal0(&self, key: SourceKey) -> u32 {
        self.nominal_of
            .get(key.index())
            .copied()
            .unwrap_or(u32::MAX)
    }
}
