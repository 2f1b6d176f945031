//! Scan: the first pass over the input. Every row is read and validated and its key noted;
//! under the labels contract with UPN keys its item is priced here already, so a row that did
//! not change, whose person the state store matched recently, needs nothing from Graph.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::{Shared, SyncError, item};
use crate::people::item::{ItemHasher, item_id_for_upn};
use crate::people::schema::Contract;
use crate::sync::index::{Digest, KeyIndex, Repeat, Seen, digest};
use crate::sync::mapping::{PersonKey, RowFailure};
use crate::sync::reader::RowError;
use crate::sync::report::{IssueKind, Phase, bump};
use crate::sync::users;

/// Whether items of this contract carry the person's object id.
pub(super) fn needs_object_id(contract: Contract) -> bool {
    matches!(contract, Contract::Preview | Contract::Draft2025)
}

/// The digest a key is indexed by: the item id's for a UPN, the object id's otherwise.
pub(super) fn key_digest(key: &PersonKey) -> Digest {
    match key {
        PersonKey::Upn(upn) => digest(&item_id_for_upn(upn.as_str())),
        PersonKey::ObjectId(oid) => digest(oid),
    }
}

/// A key to look up, in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Lookup {
    /// The key's digest in its index.
    pub(super) digest: Digest,
    pub(super) line: u32,
    /// The UPN or object id, as the lookup sends it.
    pub(super) key: Box<str>,
}

/// What the first pass leaves behind.
pub(super) struct Scan {
    /// By item id: the state's items and the input's people (UPN keys).
    pub(super) index: KeyIndex,
    /// By object id (object-id keys only).
    pub(super) oid_index: KeyIndex,
    /// The keys of the rows whose person must be looked up, in input order; `None` when there
    /// were more than batched lookups would take (the listing is used then).
    pub(super) lookups: Option<Vec<Lookup>>,
    /// Bad rows whose key could not be read: any of them might name a stored person.
    pub(super) keyless_invalid: u64,
}

/// Pass 1: reads every row, validates it, notes its key and, where it can, prices its item.
pub(super) fn scan(
    cx: &Shared,
    mut index: KeyIndex,
    cancel: &CancellationToken,
) -> Result<Scan, SyncError> {
    let (mut reader, mapping) = cx.reader()?;
    let mut oid_index = KeyIndex::new();
    let mut lookups = Some(Vec::new());
    let mut keyless_invalid = 0u64;
    let early = cx.prices_early();
    let mut hasher = ItemHasher::new();
    let mut last_progress = Instant::now();
    while let Some(row) = reader.next_row()? {
        if cancel.is_cancelled() {
            break;
        }
        bump(&cx.tally.rows);
        if last_progress.elapsed() >= Duration::from_millis(250) {
            last_progress = Instant::now();
            cx.progress(Phase::Validating);
        }
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                bump(&cx.tally.invalid);
                keyless_invalid += 1;
                cx.issue(IssueKind::Invalid, e);
                continue;
            }
        };
        let line = row.line();
        let (key, mapped, mut errors) = match mapping.map_row(&row) {
            Ok(p) => (Some(p.key.clone()), Some(p), Vec::new()),
            Err(RowFailure { key, errors }) => (key, None, errors),
        };
        let Some(key) = key else {
            bump(&cx.tally.invalid);
            keyless_invalid += 1;
            for e in errors {
                cx.issue(IssueKind::Invalid, e);
            }
            continue;
        };
        let (d, item_id) = match &key {
            PersonKey::Upn(upn) => {
                let id = item_id_for_upn(upn.as_str());
                (digest(&id), Some(id))
            }
            PersonKey::ObjectId(oid) => (digest(oid), None),
        };
        // Entity rules, only once the row maps.
        let mut planned = None;
        if let Some(p) = &mapped {
            match (&p.key, &item_id) {
                (PersonKey::Upn(upn), Some(id)) if early => {
                    match cx.price(p, upn.as_str(), id, &mut hasher) {
                        Ok(hash) => planned = Some(hash),
                        Err(e) => errors.extend(e),
                    }
                }
                (PersonKey::Upn(upn), _) => {
                    if let Err(e) = item::profile(p, Some(upn.as_str()), None) {
                        errors.extend(e);
                    }
                }
                (PersonKey::ObjectId(oid), _) => {
                    if let Err(e) = item::profile(p, None, Some(oid)) {
                        errors.extend(e);
                    }
                }
            }
        }
        let target = match key {
            PersonKey::Upn(_) => &mut index,
            PersonKey::ObjectId(_) => &mut oid_index,
        };
        let valid = errors.is_empty();
        if let Seen::Duplicate(first) = target.insert_row(d, line, valid, planned) {
            errors.insert(
                0,
                duplicate(
                    line,
                    mapped.as_ref().map(|p| p.key_column.clone()),
                    &key,
                    first,
                ),
            );
        }
        if !errors.is_empty() {
            bump(&cx.tally.invalid);
            // One row, one count; every problem in it is listed.
            for e in errors {
                cx.issue(IssueKind::Invalid, e);
            }
            continue;
        }
        // Someone new, or whose recorded match does not settle it: looked up later.
        let needs_lookup = target.stored_entry(&d).is_none_or(|e| e.needs_lookup());
        if let (true, Some(keys)) = (needs_lookup, &mut lookups) {
            if keys.len() < users::MAX_BATCH_KEYS {
                keys.push(Lookup {
                    digest: d,
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                    key: key.to_string().into_boxed_str(),
                });
            } else {
                // Too many for lookups: the listing will be used; free the memory now.
                lookups = None;
            }
        }
    }
    cx.progress(Phase::Validating);
    let mut repeats = index.seal_rows();
    repeats.extend(oid_index.seal_rows());
    if !repeats.is_empty() && !cancel.is_cancelled() {
        report_repeats(cx, &repeats, cancel)?;
    }
    if let Some(keys) = &mut lookups {
        // A repeated row is not its person's row: its key is not looked up.
        keys.retain(|k| {
            index.owns(&k.digest, u64::from(k.line)) || oid_index.owns(&k.digest, u64::from(k.line))
        });
    }
    Ok(Scan {
        index,
        oid_index,
        lookups,
        keyless_invalid,
    })
}

fn duplicate(line: u64, column: Option<String>, key: &PersonKey, first: u32) -> RowError {
    RowError {
        line,
        column,
        reason: format!("duplicate key {key}: already on line {first}"),
    }
}

/// Names the rows found, once the input was whole, to repeat the key of an earlier row naming
/// someone new (a third pass, only when there are such rows): each is invalid, as a repeat
/// of a stored person's key is at once.
fn report_repeats(
    cx: &Shared,
    repeats: &[Repeat],
    cancel: &CancellationToken,
) -> Result<(), SyncError> {
    // A valid repeat is invalid now; an invalid one was counted already.
    let valid = repeats.iter().filter(|r| r.valid).count() as u64;
    cx.tally
        .invalid
        .fetch_add(valid, std::sync::atomic::Ordering::Relaxed);
    let (mut reader, mapping) = cx.reader()?;
    let mut next = repeats.iter().copied().peekable();
    while let (Some(r), Some(row)) = (next.peek().copied(), reader.next_row()?) {
        if cancel.is_cancelled() {
            break;
        }
        let Ok(row) = row else { continue };
        if u64::from(r.line) != row.line() {
            continue;
        }
        next.next();
        let (key, column) = match mapping.map_row(&row) {
            Ok(p) => (Some(p.key), Some(p.key_column)),
            Err(RowFailure { key, .. }) => (key, None),
        };
        if let Some(key) = key {
            cx.issue(
                IssueKind::Invalid,
                duplicate(row.line(), column, &key, r.first),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::people::ids::ConnectionId;
    use crate::people::item::ItemLayout;
    use crate::sync::index::short_hash;
    use crate::sync::input::Input;
    use crate::sync::mapping::Mapping;
    use crate::sync::reader::{InputFormat, Row};
    use crate::sync::report::{EventSink, IssueLog, Tally};

    fn shared(dir: &std::path::Path, csv: &str, mapping: &str) -> Shared {
        let input = dir.join("in.csv");
        std::fs::write(&input, csv).unwrap();
        let mapping = Mapping::parse("m.toml", mapping).unwrap();
        Shared {
            file: input.display().to_string(),
            input: Input::open(&input, dir).unwrap(),
            format: InputFormat::Csv,
            key_kind: mapping.key_kind(),
            mapping,
            layout: ItemLayout::default_for(Contract::Labels),
            tenant_id: "t".into(),
            connection: ConnectionId::new("hrsync").unwrap(),
            full: false,
            tally: Arc::new(Tally::default()),
            issues: Arc::new(IssueLog::new(100)),
            events: EventSink::none(),
            started: Instant::now(),
        }
    }

    const MAPPING: &str = "[key]\ncolumn = \"upn\"\n[position]\njobTitle = \"title\"\n\
                           startMonthYear = \"hired\"\n";

    #[test]
    fn the_first_pass_validates_keys_rows_prices_changes_and_picks_the_lookups() {
        let dir = tempfile::tempdir().unwrap();
        let cx = shared(
            dir.path(),
            "upn,title,hired\n\
             a@x.com,Dev,2020-01-01\n\
             b@x.com,Dev,2020-02-30\n\
             A@X.COM,Lead,2020-01-01\n\
             ,Dev,2020-01-01\n\
             c@x.com,Ops\n\
             d@x.com,Ops,\n\
             f@x.com,New,\n\
             F@x.com,Again,\n\
             h@x.com,Stale,\n",
            MAPPING,
        );
        let key = |upn: &str| digest(&item_id_for_upn(upn));
        let built = |upn: &str, title: &str, hired: &str| {
            let object = serde_json::json!({"upn": upn, "title": title, "hired": hired});
            let person = Mapping::parse("m.toml", MAPPING)
                .unwrap()
                .map_row(&Row::from_json(2, object.as_object().unwrap().clone()))
                .unwrap();
            short_hash(&cx.item(&person, Some(upn), None).unwrap().2)
        };
        // What the state holds: a's item exactly as this input builds it (matched recently),
        // d's an older one, h's as built but matched too long ago, e no longer in the input.
        let mut index = KeyIndex::new();
        index.insert_stored(
            key("a@x.com"),
            Some(built("a@x.com", "Dev", "2020-01-01")),
            true,
        );
        index.insert_stored(key("d@x.com"), Some(1), true);
        index.insert_stored(key("b@x.com"), Some(2), true);
        index.insert_stored(key("e@x.com"), Some(3), true);
        index.insert_stored(key("h@x.com"), Some(built("h@x.com", "Stale", "")), false);
        index.seal_stored();

        let scan = scan(&cx, index, &CancellationToken::new()).unwrap();
        let counts = cx.tally.snapshot();
        assert_eq!((counts.rows, counts.invalid), (9, 5));
        let lookups: Vec<(&str, u32)> = scan
            .lookups
            .as_deref()
            .unwrap()
            .iter()
            .map(|l| (&*l.key, l.line))
            .collect();
        assert_eq!(lookups, [("d@x.com", 7), ("f@x.com", 8), ("h@x.com", 10)]);
        let (issues, _) = cx.issues.take();
        let found: Vec<(u64, Option<&str>)> = issues
            .iter()
            .map(|i| (i.line.unwrap(), i.column.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (3, Some("hired")),
                (4, Some("upn")),
                (5, Some("upn")),
                (6, None),
                (9, Some("upn"))
            ]
        );
        assert!(issues[1].reason.contains("already on line 2"));
        assert_eq!(
            issues[4].reason, "duplicate key F@x.com: already on line 8",
            "a repeat of someone new is told once the input is whole, in the same words"
        );
        let entry = |upn: &str| scan.index.get(&key(upn)).unwrap();
        assert_eq!(entry("a@x.com").changed(), Some(false), "unchanged");
        assert!(!entry("a@x.com").needs_lookup());
        assert_eq!(entry("d@x.com").changed(), Some(true), "changed");
        assert_eq!(entry("h@x.com").changed(), Some(false));
        assert!(
            entry("h@x.com").needs_lookup(),
            "a stale match is asked again"
        );
        assert_eq!(entry("f@x.com").line, 8);
        // A bad row keeps its person: b is invalid but not vanished, so not deleted.
        assert!(!entry("b@x.com").is_valid());
        assert!(!entry("b@x.com").vanished());
        assert!(entry("e@x.com").vanished());
    }
}
