//! Plan: who is sent, who is unchanged, who is deleted, and which rows the second pass must
//! read; the delete guard, which refuses the whole run before anything is written when more
//! people left than it allows; and, where the plan needs them first, the lookups.

use std::sync::atomic::Ordering;

use tokio_util::sync::CancellationToken;

use super::resolve::{self, Extras};
use super::scan::{Lookup, Scan};
use super::{LookupChoice, Shared, SyncError, SyncOptions, default_max_deletes};
use crate::graph::GraphClient;
use crate::people::item::item_id_for_upn;
use crate::sync::index::{Entry, KeyIndex, digest};
use crate::sync::mapping::KeyKind;
use crate::sync::report::{LookupMode, Phase, SyncEvent, Tally};
use crate::sync::state::StateStore;

/// Input lines, as bits: which rows the second pass must read. One bit per line of the input
/// (a file's lines are fewer than its bytes), whatever share of the rows is wanted.
#[derive(Debug, Default)]
pub(super) struct Lines(Vec<u64>);

impl Lines {
    fn insert(&mut self, line: u32) {
        let (word, bit) = (line as usize / 64, line % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << bit;
    }

    /// Whether `line` is wanted.
    pub(super) fn contains(&self, line: u64) -> bool {
        usize::try_from(line / 64)
            .ok()
            .and_then(|word| self.0.get(word))
            .is_some_and(|w| w & (1 << (line % 64)) != 0)
    }

    /// Whether no line is wanted.
    pub(super) fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

/// What the second pass works from.
pub(super) struct Plan {
    /// By item id.
    pub(super) index: KeyIndex,
    /// By object id (object-id keys).
    pub(super) oid_index: KeyIndex,
    pub(super) extras: Extras,
    /// Lookups to make while sending, in input order (their rows are all wanted).
    pub(super) pending: Option<Vec<Lookup>>,
    /// The rows to read again: to send, to price, to name as unmatched, or whose match to
    /// record.
    pub(super) wanted: Lines,
    /// People to delete (their item ids are read from the state when sending).
    pub(super) vanished: u64,
    /// Matched people whose item only the second pass can price (it needs the user).
    pub(super) unpriced: u64,
}

/// Plans the run. `None` when it was cancelled while looking users up.
pub(super) async fn plan(
    client: &GraphClient,
    options: &SyncOptions,
    cx: &Shared,
    scan: Scan,
    cancel: &CancellationToken,
) -> Result<Option<(Plan, LookupMode)>, SyncError> {
    let Scan {
        mut index,
        mut oid_index,
        lookups,
        keyless_invalid,
    } = scan;
    let events = &cx.events;
    let mut extras = Extras::new();
    let keep_extras = super::scan::needs_object_id(cx.layout.contract);
    let mut pending = None;
    let mode;
    if cx.key_kind == KeyKind::ObjectId {
        // People keyed by object id have item ids only once their UPNs are known: they are
        // matched before anything else is planned.
        events.phase(Phase::ResolvingUsers).await;
        let needed = lookups.as_ref().map_or(u64::MAX, |k| k.len() as u64);
        mode = resolve::choose(client, options.lookup, needed, lookups.as_deref()).await;
        let done = resolve::all(
            client,
            mode,
            cx.key_kind,
            &mut oid_index,
            lookups,
            Some(&mut extras),
            cancel,
        )
        .await?;
        if done.is_none() {
            return Ok(None);
        }
        let mut matched = Vec::new();
        for (oid, entry) in oid_index.entries() {
            if let (true, Some(upn)) = (entry.is_matched(), extras.get(&oid)) {
                let d = digest(&item_id_for_upn(upn));
                index.insert_row(d, u64::from(entry.line), entry.is_valid(), None);
                matched.push(d);
            }
        }
        index.seal_rows();
        for d in &matched {
            index.set_matched(d, true);
        }
    } else {
        let needed = index
            .entries()
            .filter(|(_, e)| e.in_input() && e.is_valid() && e.needs_lookup())
            .count() as u64;
        // While sending, lookups go beside it; otherwise now, the cheaper way.
        let beside_sending = !options.dry_run
            && options.lookup != LookupChoice::Listing
            && lookups.is_some()
            && needed > 0;
        if beside_sending {
            mode = LookupMode::Batched;
            pending = lookups;
        } else {
            mode = resolve::choose(client, options.lookup, needed, lookups.as_deref()).await;
            if mode != LookupMode::Skipped {
                events.phase(Phase::ResolvingUsers).await;
            }
            let extras = keep_extras.then_some(&mut extras);
            let done = resolve::all(
                client,
                mode,
                cx.key_kind,
                &mut index,
                lookups,
                extras,
                cancel,
            )
            .await?;
            if done.is_none() {
                return Ok(None);
            }
        }
    }

    events.phase(Phase::Planning).await;
    let key_index = match cx.key_kind {
        KeyKind::UserPrincipalName => &index,
        KeyKind::ObjectId => &oid_index,
    };
    let counts = count(&index, key_index, keyless_invalid, options.full, &cx.tally);
    guard_deletes(options, counts.vanished, stored_items(&index))?;
    if pending.is_none() {
        events
            .send(SyncEvent::UsersResolved {
                mode,
                matched: counts.valid,
                unmatched: counts.unmatched,
            })
            .await;
    }
    if !options.dry_run || counts.unpriced == 0 {
        events.send(SyncEvent::Planned(cx.tally.snapshot())).await;
    }
    let wanted = wanted(
        &index,
        key_index,
        options,
        pending.is_some(),
        cx.prices_early(),
    );
    Ok(Some((
        Plan {
            index,
            oid_index,
            extras,
            pending,
            wanted,
            vanished: counts.vanished,
            unpriced: counts.unpriced,
        },
        mode,
    )))
}

/// The plan's numbers (also put in the tally).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Counts {
    pub(super) valid: u64,
    pub(super) unmatched: u64,
    pub(super) unchanged: u64,
    pub(super) to_put: u64,
    /// Matched people whose item the first pass could not build (it needs the user).
    pub(super) unpriced: u64,
    /// Items to delete (none while unreadable rows might name them).
    pub(super) vanished: u64,
}

/// Counts the plan from the index (`key_index` is the one rows are keyed in) and puts the
/// numbers in the tally. People whose lookup is still pending count as matched until it
/// answers. `keyless_invalid` rows might name anyone, so while there are any, no one is
/// deleted.
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

/// The items the state store holds.
fn stored_items(index: &KeyIndex) -> u64 {
    index.entries().filter(|(_, e)| e.in_state()).count() as u64
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

/// The rows the second pass reads: the ones whose lookup is pending (their answers come in
/// input order), the ones to name as unmatched, to price, to send, or (for real, where the
/// state's matches spare lookups: `confirm_matches`) whose match a lookup just confirmed.
fn wanted(
    index: &KeyIndex,
    key_index: &KeyIndex,
    options: &SyncOptions,
    pending: bool,
    confirm_matches: bool,
) -> Lines {
    let mut lines = Lines::default();
    let owned = |e: &Entry| e.in_input() && e.is_valid();
    for (_, e) in key_index.entries().filter(|(_, e)| owned(e)) {
        let awaiting = pending && e.needs_lookup() && !e.is_resolved();
        if awaiting || !e.is_matched() {
            lines.insert(e.line);
        }
    }
    for (_, e) in index.entries().filter(|(_, e)| owned(e) && e.is_matched()) {
        let priced_later = e.changed().is_none();
        let to_send = e.changed() != Some(false) || options.full;
        let confirmed = confirm_matches && e.is_resolved();
        if priced_later || (!options.dry_run && (to_send || confirmed)) {
            lines.insert(e.line);
        }
    }
    lines
}

/// The item ids of the people who left, read from the state store.
pub(super) fn vanished_ids(store: &StateStore, index: &KeyIndex) -> Result<Vec<String>, SyncError> {
    let mut deletes = Vec::new();
    store.for_each(|id, _| {
        if index.get(&digest(id)).is_some_and(|e| e.vanished()) {
            deletes.push(id.to_owned());
        }
    })?;
    Ok(deletes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bits() {
        let mut lines = Lines::default();
        assert!(lines.is_empty());
        for l in [2, 63, 64, 1000] {
            lines.insert(l);
        }
        assert!(!lines.is_empty());
        assert!([2, 63, 64, 1000].iter().all(|l| lines.contains(*l)));
        assert!(
            ![0, 1, 3, 65, 999, 1001, u64::MAX]
                .iter()
                .any(|l| lines.contains(*l))
        );
        assert_eq!(lines.0.len(), 16, "one bit a line, up to the last one");
    }
}
