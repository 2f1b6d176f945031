//! Send: the second pass builds the items that must be sent and hands them to the executor,
//! names the rows no user matched, then queues the deletes.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::scan::key_digest;
use super::{Extras, Shared, SyncError};
use crate::people::item::item_id_for_upn;
use crate::sync::exec::{Action, Job};
use crate::sync::index::{KeyIndex, digest, short_hash};
use crate::sync::mapping::PersonKey;
use crate::sync::reader::RowError;
use crate::sync::report::{IssueKind, bump};

/// What the second pass works from.
pub(super) struct Plan {
    pub(super) index: KeyIndex,
    pub(super) oid_index: KeyIndex,
    pub(super) extras: Extras,
    pub(super) second_pass: bool,
}

/// Pass 2: builds the items that must be sent and hands them to `tx` (none in a dry run,
/// which only counts), reports unmatched rows by name; then queues the deletes.
pub(super) fn produce(
    cx: &Shared,
    plan: &Plan,
    deletes: Vec<String>,
    tx: Option<&mpsc::Sender<Job>>,
    cancel: &CancellationToken,
) -> Result<(), SyncError> {
    let Plan {
        index,
        oid_index,
        extras,
        second_pass,
    } = plan;
    let send = |job: Job| -> bool { tx.is_some_and(|tx| tx.blocking_send(job).is_ok()) };
    if *second_pass {
        let (mut reader, mapping) = cx.reader()?;
        while let Some(row) = reader.next_row()? {
            if cancel.is_cancelled() {
                return Ok(());
            }
            let Ok(row) = row else { continue };
            let line = row.line();
            let Ok(person) = mapping.map_row(&row) else {
                continue;
            };
            let d = key_digest(&person.key);
            let (key_index, upn, oid) = match &person.key {
                PersonKey::Upn(u) => (
                    index,
                    Some(u.as_str().to_owned()),
                    extras.get(&d).map(ToString::to_string),
                ),
                PersonKey::ObjectId(o) => (
                    oid_index,
                    extras.get(&d).map(ToString::to_string),
                    Some(o.clone()),
                ),
            };
            if !key_index.owns(&d, line) {
                continue;
            }
            let Some(entry) = key_index.get(&d).copied() else {
                continue;
            };
            if !entry.is_valid() {
                continue;
            }
            if !entry.is_matched() {
                cx.issue(
                    IssueKind::Unmatched,
                    RowError {
                        line,
                        column: Some(person.key_column.clone()),
                        reason: format!(
                            "no user {} in the tenant: Graph would ignore this person",
                            person.key
                        ),
                    },
                );
                continue;
            }
            let Some(upn) = upn else { continue };
            let item_digest = digest(&item_id_for_upn(&upn));
            let main = index.get(&item_digest).copied();
            if main.and_then(|e| e.changed()) == Some(false) && !cx.full {
                continue;
            }
            let (item_id, item, hash) = match cx.item(&person, Some(&upn), oid.as_deref()) {
                Ok(built) => built,
                Err(errors) => {
                    // The first pass accepted the row; only the account (matched now) can
                    // make the item fail, so it counts as failed, not invalid.
                    bump(&cx.tally.failed);
                    for e in errors {
                        cx.issue(IssueKind::Failed, e);
                    }
                    continue;
                }
            };
            if main.and_then(|e| e.changed()).is_none() {
                // Priced only now: the first pass could not build it without the user.
                let unchanged = main.and_then(|e| e.stored()) == Some(short_hash(&hash));
                if unchanged && !cx.full {
                    bump(&cx.tally.unchanged);
                    continue;
                }
                bump(&cx.tally.to_put);
            }
            if tx.is_none() {
                continue;
            }
            let job = Job {
                item_id,
                line: Some(line),
                action: Action::Put {
                    item: Box::new(item),
                    hash,
                },
            };
            if !send(job) {
                return Ok(());
            }
        }
    }
    for item_id in deletes {
        if cancel.is_cancelled() {
            return Ok(());
        }
        let job = Job {
            item_id,
            line: None,
            action: Action::Delete,
        };
        if !send(job) {
            return Ok(());
        }
    }
    Ok(())
}
