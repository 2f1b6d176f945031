//! A person's item: the typed path (every entity rule, errors naming file, line and column,
//! the body to send) and the fast price of the scan (the same hash, no value tree).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Shared;
use crate::graph::items::ExternalItem;
use crate::people::entities::{EntityKind, PersonProfile, Validate};
use crate::people::item::{ItemContext, ItemHasher, PersonJson, build_item};
use crate::sync::index::{short_digest, short_hash};
use crate::sync::mapping::MappedPerson;
use crate::sync::reader::RowError;

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

/// One entity, or none, as a slice.
fn one(v: Option<&Value>) -> &[Value] {
    v.map_or(&[], std::slice::from_ref)
}

/// A mapped person's entities by kind, as the hasher takes them.
fn entities(person: &MappedPerson) -> [(EntityKind, &[Value]); 7] {
    [
        (EntityKind::CurrentPosition, one(person.position.as_ref())),
        (EntityKind::Name, one(person.name.as_ref())),
        (EntityKind::Note, one(person.note.as_ref())),
        (EntityKind::Addresses, &person.addresses[..]),
        (EntityKind::Emails, &person.emails[..]),
        (EntityKind::Phones, &person.phones[..]),
        (EntityKind::Skills, &person.skills[..]),
    ]
}

impl Shared {
    /// The short hash of the item of a valid person keyed by `upn` (labels contract): priced
    /// by the hasher when the person surely passes the entity rules and the hasher vouches for
    /// the bytes, else built (which reports what is wrong).
    pub(super) fn price(
        &self,
        person: &MappedPerson,
        upn: &str,
        id: &str,
        hasher: &mut ItemHasher,
    ) -> Result<u64, Vec<RowError>> {
        if person.surely_valid() {
            let entities = entities(person);
            let json = PersonJson {
                upn,
                id,
                entities: &entities,
                custom: &person.custom,
            };
            let ctx = ItemContext {
                tenant_id: &self.tenant_id,
                connection_id: &self.connection,
            };
            if let Some(sha) = hasher.hash(&json, &self.layout, &ctx) {
                return Ok(short_digest(&sha));
            }
        }
        self.item(person, Some(upn), None)
            .map(|(_, _, hash)| short_hash(&hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    use proptest::prelude::*;
    use serde_json::json;

    use crate::people::ids::ConnectionId;
    use crate::people::item::{ItemLayout, item_id_for_upn};
    use crate::people::schema::Contract;
    use crate::sync::input::Input;
    use crate::sync::mapping::{Mapping, PersonKey};
    use crate::sync::reader::{InputFormat, Row};
    use crate::sync::report::{EventSink, IssueLog, Tally};

    /// Every field the mapping can fill, one column each; `note` and `title` may hold controls.
    const EVERY_FIELD: &str = r#"
[input]
allowControls = ["note", "title"]
[key]
column = "upn"
[position]
jobTitle = "title"
role = "role"
level = "level"
employeeId = "eid"
employeeType = "etype"
description = "desc"
startMonthYear = "start"
endMonthYear = "end"
companyName = "company"
department = "dept"
division = "division"
costCenter = "cc"
officeLocation = "office"
manager = "manager"
[names]
displayName = "display"
first = "first"
last = "last"
middle = "middle"
nickname = "nick"
initials = "initials"
title = "honorific"
suffix = "suffix"
maiden = "maiden"
[emails]
work = "mail"
personal = "mail2"
other = "mail3"
[phones]
mobile = "mobile"
business = "phone"
homeFax = "fax"
[addresses.work]
street = "street"
city = "city"
[addresses.home]
postalCode = "zip"
countryOrRegion = "country"
[addresses.other]
state = "state"
postOfficeBox = "pobox"
[skills]
column = "skills"
proficiency = "expert"
[notes]
column = "note"
[custom]
band = "band"
costCenter = "cc"
"#;

    const COLUMNS: &[&str] = &[
        "title",
        "role",
        "level",
        "eid",
        "etype",
        "desc",
        "company",
        "dept",
        "division",
        "cc",
        "office",
        "display",
        "first",
        "last",
        "middle",
        "nick",
        "initials",
        "honorific",
        "suffix",
        "maiden",
        "mobile",
        "phone",
        "fax",
        "street",
        "city",
        "zip",
        "country",
        "state",
        "pobox",
        "skills",
        "note",
        "band",
    ];

    fn shared(dir: &std::path::Path) -> Shared {
        let input = dir.join("in.jsonl");
        std::fs::write(&input, "").unwrap();
        let mapping = Mapping::parse("m.toml", EVERY_FIELD).unwrap();
        Shared {
            file: input.display().to_string(),
            input: Input::open(&input, dir).unwrap(),
            format: InputFormat::JsonLines,
            key_kind: mapping.key_kind(),
            mapping,
            layout: ItemLayout::default_for(Contract::Labels),
            tenant_id: "9b1f4c2e-5a3d-4e7b-8c6f-1d2e3f4a5b6c".into(),
            connection: ConnectionId::new("hrsync").unwrap(),
            full: false,
            tally: Arc::new(Tally::default()),
            issues: Arc::new(IssueLog::new(10)),
            events: EventSink::none(),
            started: Instant::now(),
        }
    }

    /// What the scan's fast price says, and what the built item says, of one row.
    struct Verdicts {
        surely: bool,
        fast: Option<[u8; 32]>,
        /// The built item's hash, or how many errors it has.
        slow: Result<String, usize>,
    }

    fn both(
        cx: &Shared,
        hasher: &mut ItemHasher,
        row: serde_json::Map<String, Value>,
    ) -> Option<Verdicts> {
        let person = cx.mapping.map_row(&Row::from_json(2, row)).ok()?;
        let PersonKey::Upn(upn) = &person.key else {
            return None;
        };
        let id = item_id_for_upn(upn.as_str());
        let ctx = ItemContext {
            tenant_id: &cx.tenant_id,
            connection_id: &cx.connection,
        };
        let json = PersonJson {
            upn: upn.as_str(),
            id: &id,
            entities: &entities(&person),
            custom: &person.custom,
        };
        let fast = hasher.hash(&json, &cx.layout, &ctx);
        let slow = cx
            .item(&person, Some(upn.as_str()), None)
            .map(|(_, _, hash)| hash)
            .map_err(|e| e.len());
        // The scan's own path agrees with the built item either way.
        let priced = cx.price(&person, upn.as_str(), &id, hasher);
        assert_eq!(
            priced.map_err(|e| e.len()),
            slow.as_ref().map(|h| short_hash(h)).map_err(|e| *e)
        );
        Some(Verdicts {
            surely: person.surely_valid(),
            fast,
            slow,
        })
    }

    #[test]
    fn a_row_filling_every_field_is_priced_fast_and_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let cx = shared(dir.path());
        let mut row = serde_json::Map::new();
        row.insert("upn".into(), json!("Zoë.O'Brien@contoso.com"));
        for (i, c) in COLUMNS.iter().enumerate() {
            row.insert((*c).into(), json!(format!("v{i} \"q\" \\ é")));
        }
        row.insert("start".into(), json!("2020-02-29"));
        row.insert("end".into(), json!("2024-12-31"));
        row.insert("manager".into(), json!("boss@contoso.com"));
        row.insert("mail".into(), json!("a@contoso.com;b@contoso.com"));
        row.insert("note".into(), json!("line one\nline\ttwo\u{1b}"));
        let v = both(&cx, &mut ItemHasher::new(), row).unwrap();
        assert!(v.surely);
        assert_eq!(v.fast.map(hex::encode), Some(v.slow.unwrap()));
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 ]{1,12}",
            "[\"\\\\/ é東ø\u{7f}\t\n-]{1,8}",
            Just("2021-02-29".to_owned()),
            Just("2020-02-29".to_owned()),
            Just("x@contoso.com;y@contoso.com;z@contoso.com;w@contoso.com".to_owned()),
            Just("a;b".to_owned()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The fast price never accepts what the entity rules refuse, and when it vouches for a
        /// hash, the built item has that hash.
        #[test]
        fn the_fast_price_agrees_with_the_built_item(
            cells in proptest::collection::vec((0..COLUMNS.len() + 4, text()), 0..20)
        ) {
            let dir = tempfile::tempdir().unwrap();
            let cx = shared(dir.path());
            let mut row = serde_json::Map::new();
            row.insert("upn".into(), json!("someone@contoso.com"));
            for (i, value) in cells {
                let column = match i.checked_sub(COLUMNS.len()) {
                    None => COLUMNS[i],
                    Some(0) => "start",
                    Some(1) => "end",
                    Some(2) => "mail",
                    _ => "mail2",
                };
                row.insert(column.into(), json!(value));
            }
            if let Some(v) = both(&cx, &mut ItemHasher::new(), row) {
                if v.surely {
                    prop_assert!(v.slow.is_ok(), "surely valid, but the rules said {:?}", v.slow);
                    if let Some(h) = v.fast {
                        prop_assert_eq!(Some(hex::encode(h)), v.slow.ok());
                    }
                }
            }
        }
    }
}
