//! The ranking rule: which source outranks which, from the precedence list plus the rules for
//! the profile API's `user` source and for sources the list does not name.
//!
//! * Listed sources rank in list order; a source listed twice counts at its first position.
//! * Entra ID ranks after them when the list lacks it (the service appends it, graph-api.md §6.3).
//! * Any other source the list does not name does not count at all: a connector not in the
//!   precedence list contributes nothing to profiles (its data still lands in Graph).
//! * The profile API's `user` source ranks last wherever it is listed, and it never supplies a
//!   single-valued property: what a user writes is an instance of its own (seed 003).

use super::catalog::{SourceKey, SourceTable};
use crate::people::ids::SourceId;
use crate::people::precedence::PrecedenceList;

/// The effective source order for composition: the precedence list plus the rules for the
/// `user` source and for unlisted sources (see the module docs).
#[derive(Debug, Clone)]
pub struct Ranking {
    order: Vec<SourceId>,
    /// Per interned source, its 0-based place in `order`; [`UNRANKED`] when it does not count.
    rank_of: Vec<u32>,
    nominal_of: Vec<u32>,
    listed: usize,
}

/// The rank of a source that does not count.
pub(super) const UNRANKED: u32 = u32::MAX;

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
        order.push(SourceId::profile_api_user());

        let position = |list: &[SourceId], id: &SourceId| {
            list.iter()
                .position(|x| x == id)
                .map_or(UNRANKED, |p| u32::try_from(p).unwrap_or(UNRANKED))
        };
        let rank_of = table.ids().iter().map(|id| position(&order, id)).collect();
        // A source's place in the list as written, before the user source is demoted; only
        // explanations use it, to say when the user source lost despite its position.
        let nominal_of = table
            .ids()
            .iter()
            .map(|id| {
                let p = position(&nominal, id);
                if p == UNRANKED {
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

    /// Every source that counts, in effective order, highest first (includes listed sources with
    /// no data, Entra ID and the `user` source).
    pub fn order(&self) -> &[SourceId] {
        &self.order
    }

    /// The 1-based effective rank of `key`; `None` for a source that does not count (not in
    /// the list, not Entra ID, not the `user` source).
    pub fn rank(&self, key: SourceKey) -> Option<usize> {
        let rank0 = self.rank0(key);
        (rank0 != UNRANKED).then_some(rank0 as usize + 1)
    }

    /// Whether `rank0` is the `user` source's place (last).
    pub(super) fn is_user_rank(&self, rank0: u32) -> bool {
        rank0 != UNRANKED && rank0 as usize + 1 == self.order.len()
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
        self.rank_of.get(key.index()).copied().unwrap_or(UNRANKED)
    }

    pub(super) fn nominal0(&self, key: SourceKey) -> u32 {
        self.nominal_of
            .get(key.index())
            .copied()
            .unwrap_or(UNRANKED)
    }
}
