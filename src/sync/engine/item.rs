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
            fn one(v: Option<&Value>) -> &[Value] {
                v.map_or(&[], std::slice::from_ref)
            }
            let entities = [
                (EntityKind::CurrentPosition, one(person.position.as_ref())),
                (EntityKind::Name, one(person.name.as_ref())),
                (EntityKind::Note, one(person.note.as_ref())),
                (EntityKind::Addresses, &person.addresses[..]),
                (EntityKind::Emails, &person.emails[..]),
                (EntityKind::Phones, &person.phones[..]),
                (EntityKind::Skills, &person.skills[..]),
            ];
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
