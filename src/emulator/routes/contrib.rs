//! What a people-connector item contributes to a profile, derived once at PUT time: labelled
//! values parsed as JSON (invalid ones silently ignored), the account resolved to a user.
//!
//! Two contracts are understood (graph-api §4.1): the current *labels* contract (connection
//! contentCategory `people`, a `personAccount`-labelled property) and the 2025 *preview*
//! contract (fixed property names such as `accounts` and `positions`, each a string holding a
//! JSON array of entities), which the demo's legacy connector still uses.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::emulator::directory::Directory;
use crate::emulator::model::{Contribution, PropType, RegisteredSchema, profile_collection};

/// Preview-contract property names and the profile collection each feeds.
const PREVIEW_NAMES: &[(&str, &str)] = &[
    ("accounts", "account"),
    ("addresses", "addresses"),
    ("awards", "awards"),
    ("certifications", "certifications"),
    ("emails", "emails"),
    ("names", "names"),
    ("notes", "notes"),
    ("phones", "phones"),
    ("positions", "positions"),
    ("projects", "projects"),
    ("skills", "skills"),
    ("webAccounts", "webAccounts"),
    ("webSites", "websites"),
];

/// The entities one value holds: a JSON object, or a JSON array of objects; anything else
/// (including invalid JSON) contributes nothing.
fn parse_entities(text: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => vec![Value::Object(object)],
        Ok(Value::Array(values)) => values.into_iter().filter(Value::is_object).collect(),
        _ => Vec::new(),
    }
}

fn entities_of(value: &Value) -> Vec<Value> {
    match value {
        Value::String(text) => parse_entities(text),
        Value::Array(values) => values
            .iter()
            .filter_map(Value::as_str)
            .flat_map(parse_entities)
            .collect(),
        _ => Vec::new(),
    }
}

fn property<'a>(properties: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    properties
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Which contract a connection's schema follows, if it is a people-data one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contract {
    Labels,
    Preview,
}

fn contract(schema: &RegisteredSchema, people_category: bool) -> Option<Contract> {
    if people_category && schema.labelled("personAccount").is_some() {
        return Some(Contract::Labels);
    }
    let preview = schema.properties.iter().any(|p| {
        p.name.eq_ignore_ascii_case("accounts")
            && p.prop_type == PropType::String
            && p.labels.is_empty()
    }) && schema.labelled("personAccount").is_none();
    preview.then_some(Contract::Preview)
}

/// The contribution of an item, or `None` when the connection holds no people data or the
/// account is missing, invalid, unknown or has no mailbox (all silently ignored, §4.3).
pub(crate) fn derive(
    schema: &RegisteredSchema,
    properties: &Map<String, Value>,
    directory: &Directory,
    people_category: bool,
) -> Option<Contribution> {
    let contract = contract(schema, people_category)?;
    let mut entities: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    match contract {
        Contract::Labels => {
            let mut current_positions = Vec::new();
            for schema_property in &schema.properties {
                let Some(value) = property(properties, &schema_property.name) else {
                    continue;
                };
                for label in &schema_property.labels {
                    let Some(collection) = profile_collection(label) else {
                        continue;
                    };
                    let parsed = entities_of(value);
                    if *label == "personCurrentPosition" {
                        current_positions.extend(parsed);
                    } else if !parsed.is_empty() {
                        entities.entry(collection).or_default().extend(parsed);
                    }
                }
            }
            if !current_positions.is_empty() {
                // The current position goes first: it is the one merged by precedence.
                let positions = entities.entry("positions").or_default();
                current_positions.append(positions);
                *positions = current_positions;
            }
        }
        Contract::Preview => {
            for (name, collection) in PREVIEW_NAMES {
                let parsed = property(properties, name)
                    .map(entities_of)
                    .unwrap_or_default();
                if !parsed.is_empty() {
                    entities.entry(collection).or_default().extend(parsed);
                }
            }
        }
    }
    let account = entities.get("account")?.first()?.clone();
    let by_upn = account
        .get("userPrincipalName")
        .and_then(Value::as_str)
        .and_then(|upn| directory.find(upn));
    let user = by_upn.or_else(|| {
        account
            .get("externalDirectoryObjectId")
            .and_then(Value::as_str)
            .and_then(|id| directory.find(id))
    })?;
    if !user.has_mailbox {
        return None;
    }
    // externalDirectoryObjectId identifies the user; it is not a userAccountInformation field.
    if let Some(accounts) = entities.get_mut("account") {
        for account in accounts.iter_mut() {
            if let Some(object) = account.as_object_mut() {
                object.remove("externalDirectoryObjectId");
            }
        }
    }
    Some(Contribution {
        user_id: user.id.clone(),
        entities,
    })
}
