//! Planning: who is sent, who is unchanged, who is deleted; and the delete guard, which
//! refuses the whole run before anything is written when more people left than it allows.

use std::sync::atomic::Ordering;

use super::{SyncError, SyncOptions, default_max_deletes};
use crate::sync::index::{Entry, KeyIndex};
use crate::sync::report::Tally;

/// The plan's numbers (also in the tally).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Counts {
    pub valid: u64,
    pub unmatched: u64,
    pub unchanged: u64,
    pub to_put: u64,
    /// Matched people whose item the first pass could not build (it needs the user).
    pub unpriced: u64,
    /// Items to delete (none while unreadable rows might name them).
    pub vanished: u64,
}

/// Counts the plan from the index (`key_index` is the one rows are keyed in) and puts the
/// numbers in the tally. `keyless_invalid` rows might name anyone, so while there are any,
/// no one is deleted.
pub(super) fn count(
    index: &KeyIndex,
    key_index: &KeyIndex,
    keyless_invalid: u64,
    full: bool,
    tally: &Tally,
) -> Counts {
    let (mut valid, mut unmatched) = (0u64, 0u64);
    for (_, e) in key_index.entries() {
        if e.in_input() && e.is_valid() {
            if e.is_matched() {
                valid += 1;
            } else {
                unmatched += 1;
            }
        }
    }
    let (mut unchanged, mut to_put, mut unpriced) = (0u64, 0u64, 0u64);
    for (_, e) in index.entries() {
        if !(e.in_input() && e.is_valid() && e.is_matched()) {
            continue;
        }
        match e.changed() {
            Some(false) if !full => unchanged += 1,
            Some(_) => to_put += 1,
            None => unpriced += 1,
        }
    }
    let mut vanished = index.entries().filter(|(_, e)| e.vanished()).count() as u64;
    if keyless_invalid > 0 && vanished > 0 {
        tally.deletes_held.store(vanished, Ordering::Relaxed);
        // The report says it to the admin; this is for the log.
        tracing::info!(
            held = vanished,
            unreadable_rows = keyless_invalid,
            "not deleting: some rows could not be read and might name these people"
        );
        vanished = 0;
    }
    tally.valid.store(valid, Ordering::Relaxed);
    tally.unmatched.store(unmatched, Ordering::Relaxed);
    tally.unchanged.store(unchanged, Ordering::Relaxed);
    tally.to_put.store(to_put, Ordering::Relaxed);
    tally.to_delete.store(vanished, Ordering::Relaxed);
    Counts {
        valid,
        unmatched,
        unchanged,
        to_put,
        unpriced,
        vanished,
    }
}

/// The delete guard: refuses the run when it would delete more than `--max-deletes` (by
/// default 5% of the items the connection holds, at least 10). Checked before any request
/// is sent, so a refused run writes nothing at all.
pub(super) fn guard_deletes(
    options: &SyncOptions,
    planned: u64,
    stored_items: u64,
) -> Result<(), SyncError> {
    let max = options
        .max_deletes
        .unwrap_or_else(|| default_max_deletes(stored_items));
    if planned > max {
        return Err(SyncError::DeleteGuard {
            connection: options.connection.clone(),
            planned,
            max,
            items: stored_items,
        });
    }
    Ok(())
}

/// The item ids of the people who left, read from the state store.
pub(super) fn vanished_ids(
    store: &crate::sync::state::StateStore,
    index: &KeyIndex,
) -> Result<Vec<String>, SyncError> {
    let mut deletes = Vec::new();
    store.for_each(|id, _| {
        if index
            .get(&crate::sync::index::digest(id))
            .is_some_and(Entry::vanished)
        {
            deletes.push(id.to_owned());
        }
    })?;
    Ok(deletes)
}
