//! Scan: the first pass over the input. Every row is read and validated and its key noted;
//! under the labels contract with UPN keys the item is built and priced here already.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::{Shared, SyncError};
use crate::graph::items::ExternalItem;
use crate::people::entities::{PersonProfile, Validate};
use crate::people::item::{ItemContext, build_item, item_id_for_upn};
use crate::people::schema::Contract;
use crate::sync::index::{Digest, KeyIndex, Seen, digest, short_hash};
use crate::sync::mapping::{KeyKind, MappedPerson, PersonKey, RowFailure};
use crate::sync::reader::RowError;
use crate::sync::report::{IssueKind, Phase, bump};
use crate::sync::users;

/// The person as profile entities, the account from what is known of them.
pub(super) fn profile(
    person: &MappedPerson,
    upn: Option<&str>,
    oid: Option<&str>,
) -> Result<PersonProfile, Vec<RowError>> {
    let mut account = Map::new();
    if let Some(upn) = upn {
        account.insert("userPrincipalName".into(), Value::String(upn.to_owned()));
    }
    if let Some(oid) = oid {
        account.insert(
            "externalDirectoryObjectId".into(),
            Value::String(oid.to_owned()),
        );
    }
    let mut object = Map::new();
    object.insert("account".into(), Value::Object(account));
    let mut put = |name: &str, v: Option<&Value>| {
        if let Some(v) = v {
            object.insert(name.to_owned(), v.clone());
        }
    };
    put("position", person.position.as_ref());
    put("name", person.name.as_ref());
    put("note", person.note.as_ref());
    for (name, list) in [
        ("emails", &person.emails),
        ("phones", &person.phones),
        ("addresses", &person.addresses),
        ("skills", &person.skills),
    ] {
        if !list.is_empty() {
            object.insert(name.to_owned(), Value::Array(list.clone()));
        }
    }
    let profile: PersonProfile = serde_json::from_value(Value::Object(object)).map_err(|e| {
        vec![RowError {
            line: person.line,
            column: None,
            reason: format!("the row's values do not make a profile: {e}"),
        }]
    })?;
    profile.validate().map_err(|errors| {
        errors
            .into_iter()
            .map(|e| RowError {
                line: person.line,
                column: person.column_of(&e.path).map(str::to_owned),
                reason: e.to_string(),
            })
            .collect::<Vec<_>>()
    })?;
    Ok(profile)
}

impl Shared {
    /// The item for a valid person.
    pub(super) fn item(
        &self,
        person: &MappedPerson,
        upn: Option<&str>,
        oid: Option<&str>,
    ) -> Result<(String, ExternalItem, String), Vec<RowError>> {
        let profile = profile(person, upn, oid)?;
        let custom: BTreeMap<String, Value> = person
            .custom
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let ctx = ItemContext {
            tenant_id: &self.tenant_id,
            connection_id: &self.connection,
        };
        let built = build_item(&profile, &custom, &self.layout, &ctx).map_err(|e| {
            vec![RowError {
                line: person.line,
                column: None,
                reason: e.to_string(),
            }]
        })?;
        let item: ExternalItem = serde_json::from_value(built.body).map_err(|e| {
            vec![RowError {
                line: person.line,
                column: None,
                reason: format!("the built item does not fit the wire shape: {e}"),
            }]
        })?;
        Ok((built.id, item, built.hash))
    }
}

/// Whether items of this contract carry the person's object id.
pub(super) fn needs_object_id(contract: Contract) -> bool {
    matches!(contract, Contract::Preview | Contract::Draft2025)
}

/// The index a row's key lives in, and its digest there.
pub(super) fn key_digest(key: &PersonKey) -> Digest {
    match key {
        PersonKey::Upn(upn) => digest(&item_id_for_upn(upn.as_str())),
        PersonKey::ObjectId(oid) => digest(oid),
    }
}

/// What the first pass leaves behind.
pub(super) struct Scan {
    /// By item id: the state's items and the input's people (UPN keys).
    pub(super) index: KeyIndex,
    /// By object id (object-id keys only).
    pub(super) oid_index: KeyIndex,
    /// Keys of valid rows for batched lookups; `None` when there were too many to keep.
    pub(super) lookup_keys: Option<Vec<String>>,
    pub(super) valid_keys: u64,
    /// Bad rows whose key could not be read: any of them might name a stored person.
    pub(super) keyless_invalid: u64,
}

/// Pass 1: reads every row, validates it, notes its key; for UPN keys under the labels
/// contract the item is built here already, so its change is known before any lookup.
pub(super) fn scan(
    cx: &Shared,
    mut index: KeyIndex,
    cancel: &CancellationToken,
) -> Result<Scan, SyncError> {
    let (mut reader, mapping) = cx.reader()?;
    let mut oid_index = KeyIndex::new();
    let mut lookup_keys = Some(Vec::new());
    let mut valid_keys = 0u64;
    let mut keyless_invalid = 0u64;
    let early_hash =
        cx.key_kind == KeyKind::UserPrincipalName && !needs_object_id(cx.layout.contract);
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
        // Entity rules, only once the row maps.
        let mut item = None;
        if let Some(p) = &mapped {
            let upn = match &p.key {
                PersonKey::Upn(u) => Some(u.as_str()),
                PersonKey::ObjectId(_) => None,
            };
            let oid = match &p.key {
                PersonKey::ObjectId(o) => Some(o.as_str()),
                PersonKey::Upn(_) => None,
            };
            if early_hash {
                match cx.item(p, upn, oid) {
                    Ok(built) => item = Some(built),
                    Err(e) => errors.extend(e),
                }
            } else if let Err(e) = profile(p, upn, oid) {
                errors.extend(e);
            }
        }
        let Some(key) = key else {
            bump(&cx.tally.invalid);
            keyless_invalid += 1;
            for e in errors {
                cx.issue(IssueKind::Invalid, e);
            }
            continue;
        };
        let d = key_digest(&key);
        let target = match key {
            PersonKey::Upn(_) => &mut index,
            PersonKey::ObjectId(_) => &mut oid_index,
        };
        let valid = errors.is_empty();
        if let Seen::Duplicate(first) = target.insert_row(d, line, valid) {
            errors.insert(
                0,
                RowError {
                    line,
                    column: mapped.as_ref().map(|p| p.key_column.clone()),
                    reason: format!("duplicate key {key}: already on line {first}"),
                },
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
        valid_keys += 1;
        if let Some((_, _, hash)) = item {
            target.set_planned(&d, short_hash(&hash));
        }
        if let Some(keys) = &mut lookup_keys {
            if keys.len() < users::MAX_BATCH_KEYS {
                keys.push(key.to_string());
            } else {
                // Too many for lookups: the listing will be used; free the memory now.
                lookup_keys = None;
            }
        }
    }
    cx.progress(Phase::Validating);
    Ok(Scan {
        index,
        oid_index,
        lookup_keys,
        valid_keys,
        keyless_invalid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::people::ids::ConnectionId;
    use crate::people::item::ItemLayout;
    use crate::sync::input::Input;
    use crate::sync::mapping::Mapping;
    use crate::sync::reader::InputFormat;
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
    fn the_first_pass_validates_keys_rows_and_prices_changes() {
        let dir = tempfile::tempdir().unwrap();
        let cx = shared(
            dir.path(),
            "upn,title,hired\n\
             a@x.com,Dev,2020-01-01\n\
             b@x.com,Dev,2020-02-30\n\
             A@X.COM,Lead,2020-01-01\n\
             ,Dev,2020-01-01\n\
             c@x.com,Ops\n\
             d@x.com,Ops,\n",
            MAPPING,
        );
        // What the state holds: a's item exactly as this input builds it, d's an older one,
        // e's a person no longer in the input.
        let mut index = KeyIndex::new();
        let key = |upn: &str| digest(&item_id_for_upn(upn));
        let (_, _, a_hash) = cx
            .item(
                &Mapping::parse("m.toml", MAPPING)
                    .unwrap()
                    .map_row(&crate::sync::reader::Row::from_json(
                        2,
                        serde_json::from_str(
                            r#"{"upn":"a@x.com","title":"Dev","hired":"2020-01-01"}"#,
                        )
                        .unwrap(),
                    ))
                    .unwrap(),
                Some("a@x.com"),
                None,
            )
            .unwrap();
        index.insert_stored(key("a@x.com"), Some(short_hash(&a_hash)));
        index.insert_stored(key("d@x.com"), Some(1));
        index.insert_stored(key("b@x.com"), Some(2));
        index.insert_stored(key("e@x.com"), Some(3));

        let scan = scan(&cx, index, &CancellationToken::new()).unwrap();
        let counts = cx.tally.snapshot();
        assert_eq!((counts.rows, counts.invalid), (6, 4));
        assert_eq!(scan.valid_keys, 2);
        assert_eq!(
            scan.lookup_keys.as_deref(),
            Some(&["a@x.com".to_owned(), "d@x.com".to_owned()][..])
        );
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
                (6, None)
            ]
        );
        assert!(issues[1].reason.contains("already on line 2"));
        let entry = |upn: &str| *scan.index.get(&key(upn)).unwrap();
        assert_eq!(entry("a@x.com").changed(), Some(false), "unchanged");
        assert_eq!(entry("d@x.com").changed(), Some(true), "changed");
        // A bad row keeps its person: b is invalid but not vanished, so not deleted.
        assert!(!entry("b@x.com").is_valid());
        assert!(!entry("b@x.com").vanished());
        assert!(entry("e@x.com").vanished());
    }
}
