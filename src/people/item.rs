//! External items for one person under each people-connector contract, item ids, content hashes.
//!
//! Serialisation is deterministic (object keys sorted at every level, entity JSON strings
//! included), so [`BuiltItem::hash`] tells an unchanged person from a changed one.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::compose::SourceEntities;
use super::entities::{EntityKind, PersonProfile, Validate, ValidationError};
use super::ids::{ConnectionId, SourceId};
use super::schema::{Contract, DRAFT_2025_NAMES, PropertyType, Schema, detect, validate_name};

/// Longest item id Graph takes.
pub const MAX_ITEM_ID_LEN: usize = 128;

/// The item id of a person, derived from the UPN as the Microsoft people sample does
/// (`alexw@contoso.com` → `alexw_at_contoso_dot_com`), per assets/demo/README.md "Item ids":
/// lowercase; keep `a-z0-9`; `@` → `_at_`, `.` → `_dot_`, `-` → `_dash_`, anything else →
/// `_x` + lowercase hex of its UTF-8 bytes + `_`; beyond 128 characters, the first 100
/// characters + `_` + the first 16 hex digits of the SHA-256 of the lowercased UPN.
pub fn item_id_for_upn(upn: &str) -> String {
    let lower = upn.to_lowercase();
    let mut id = String::with_capacity(lower.len() + 16);
    for c in lower.chars() {
        match c {
            'a'..='z' | '0'..='9' => id.push(c),
            '@' => id.push_str("_at_"),
            '.' => id.push_str("_dot_"),
            '-' => id.push_str("_dash_"),
            other => {
                id.push_str("_x");
                let mut buf = [0u8; 4];
                id.push_str(&hex::encode(other.encode_utf8(&mut buf).as_bytes()));
                id.push('_');
            }
        }
    }
    if id.len() > MAX_ITEM_ID_LEN {
        let digest = hex::encode(Sha256::digest(lower.as_bytes()));
        // The id is ASCII here, so byte offsets are character offsets.
        id.truncate(100);
        id.push('_');
        id.push_str(&digest[..16]);
    }
    id
}

/// The (lowercased) UPN an item id was derived from by [`item_id_for_upn`], when the id can be
/// read back: `None` for a shortened id (its tail is a digest) or one this scheme did not make.
pub fn upn_from_item_id(item_id: &str) -> Option<String> {
    if item_id.is_empty() {
        return None;
    }
    let mut bytes = Vec::with_capacity(item_id.len());
    let mut rest = item_id;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix("_at_") {
            bytes.push(b'@');
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("_dot_") {
            bytes.push(b'.');
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("_dash_") {
            bytes.push(b'-');
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("_x") {
            let end = tail.find('_')?;
            bytes.extend(hex::decode(&tail[..end]).ok()?);
            rest = &tail[end + 1..];
        } else {
            let c = rest.chars().next()?;
            if !matches!(c, 'a'..='z' | '0'..='9') {
                return None;
            }
            bytes.push(u8::try_from(c).ok()?);
            rest = &rest[1..];
        }
    }
    let upn = String::from_utf8(bytes).ok()?;
    (item_id_for_upn(&upn) == item_id).then_some(upn)
}

/// Why an item could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ItemError {
    /// The person's data breaks entity rules.
    #[error("invalid person data: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ValidationError>),
    /// The schema has no property for data the person carries.
    #[error("the schema has no property for {0:?} data")]
    NoProperty(EntityKind),
    /// The schema follows no people contract.
    #[error("the schema follows no people-connector contract")]
    NotPeople,
    /// The draft contract needs the person's Entra object id.
    #[error(
        "the June 2025 draft contract needs the person's Entra object id (externalDirectoryObjectId)"
    )]
    MissingObjectId,
    /// A custom property the schema does not declare.
    #[error("custom property {0:?} is not in the schema")]
    UndeclaredProperty(String),
    /// A custom property name Graph would refuse, or that a people property already uses.
    #[error("custom property name {0:?} is not allowed: {1}")]
    BadCustomName(String, String),
    /// A custom value that is not a string, number, boolean or list of those.
    #[error("custom property {0:?}: objects and mixed lists cannot be stored; use text")]
    BadCustomValue(String),
}

/// How a person maps onto a connection's schema: the property for each kind of people data,
/// and the custom properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemLayout {
    /// The contract the items follow.
    pub contract: Contract,
    /// The property holding each kind of data (preview: positions share `positions`).
    pub people: Vec<(EntityKind, String)>,
    /// Declared custom properties and their types.
    pub custom: Vec<(String, PropertyType)>,
    /// Whether custom properties the layout does not declare are accepted (true for
    /// [`ItemLayout::default_for`], which knows no schema).
    pub accept_undeclared: bool,
}

impl ItemLayout {
    /// The layout of an existing schema.
    pub fn from_schema(schema: &Schema) -> Result<Self, ItemError> {
        let contract = detect(schema);
        let mut people = Vec::new();
        match contract {
            Contract::None => return Err(ItemError::NotPeople),
            Contract::Labels => {
                for kind in EntityKind::ALL {
                    if let Some(p) = schema
                        .properties
                        .iter()
                        .find(|p| p.person_kind() == Some(kind))
                    {
                        people.push((kind, p.name.clone()));
                    }
                }
            }
            Contract::Preview | Contract::Draft2025 => {
                for kind in EntityKind::ALL {
                    if let Some(p) = kind.preview_name().and_then(|n| schema.property(n)) {
                        people.push((kind, p.name.clone()));
                    }
                }
            }
        }
        let custom = schema
            .properties
            .iter()
            .filter(|p| !people.iter().any(|(_, n)| *n == p.name))
            .filter(|p| {
                contract != Contract::Draft2025
                    || !DRAFT_2025_NAMES
                        .iter()
                        .any(|d| d.eq_ignore_ascii_case(&p.name))
            })
            .map(|p| (p.name.clone(), p.property_type.clone()))
            .collect();
        Ok(Self {
            contract,
            people,
            custom,
            accept_undeclared: false,
        })
    }

    /// The layout of a schema peoplectl builds for `contract` with every kind of data (labels:
    /// default names; preview and draft: the fixed names).
    pub fn default_for(contract: Contract) -> Self {
        let people = EntityKind::ALL
            .into_iter()
            .filter_map(|k| {
                let name = match contract {
                    Contract::Labels => Some(k.default_property_name()),
                    Contract::Preview | Contract::Draft2025 => k.preview_name(),
                    Contract::None => None,
                };
                name.map(|n| (k, n.to_owned()))
            })
            .collect();
        Self {
            contract,
            people,
            custom: Vec::new(),
            accept_undeclared: true,
        }
    }

    /// The property holding `kind`.
    pub fn property_for(&self, kind: EntityKind) -> Option<&str> {
        self.people
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, n)| n.as_str())
    }
}

/// Tenant and connection facts an item needs.
#[derive(Debug, Clone, Copy)]
pub struct ItemContext<'a> {
    /// The ACL's `everyone` value (the tenant id).
    pub tenant_id: &'a str,
    /// The connection (the draft contract repeats it in every item).
    pub connection_id: &'a ConnectionId,
}

/// An item ready to PUT, with its content hash.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltItem {
    /// The item id (from the UPN, else the object id).
    pub id: String,
    /// The request body: `{id, acl, properties}`.
    pub body: Value,
    /// SHA-256 hex of the canonical JSON of `body`.
    pub hash: String,
}

/// JSON with object keys sorted at every level and no insignificant whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// SHA-256 hex of the canonical JSON of `value`.
pub fn content_hash(value: &Value) -> String {
    hex::encode(Sha256::digest(canonical_json(value).as_bytes()))
}

/// Adds a string property, with the `String` annotation Graph wants on non-ASCII text.
fn put_string(props: &mut Map<String, Value>, name: &str, text: String) {
    if !text.is_ascii() {
        props.insert(format!("{name}@odata.type"), json!("String"));
    }
    props.insert(name.to_owned(), Value::String(text));
}

/// Builds the external item for one person: ACL granting everyone, the people data under the
/// layout's contract, and custom properties (`null` custom values are left out). The person is
/// validated first.
pub fn build_item(
    person: &PersonProfile,
    custom: &BTreeMap<String, Value>,
    layout: &ItemLayout,
    ctx: &ItemContext<'_>,
) -> Result<BuiltItem, ItemError> {
    person.validate().map_err(ItemError::Invalid)?;
    let account = &person.account;
    let key = account
        .user_principal_name
        .as_deref()
        .or(account.external_directory_object_id.as_deref())
        .unwrap_or_default();
    let id = item_id_for_upn(key);
    let mut props = Map::new();

    match layout.contract {
        Contract::None => return Err(ItemError::NotPeople),
        Contract::Labels => {
            for kind in EntityKind::ALL {
                let entities = person.entities(kind);
                if entities.is_empty() {
                    continue;
                }
                let name = layout
                    .property_for(kind)
                    .ok_or(ItemError::NoProperty(kind))?;
                if kind.is_collection() {
                    let items: Vec<Value> = entities
                        .iter()
                        .map(|e| Value::String(canonical_json(e)))
                        .collect();
                    props.insert(format!("{name}@odata.type"), json!("Collection(String)"));
                    props.insert(name.to_owned(), Value::Array(items));
                } else if let Some(e) = entities.first() {
                    put_string(&mut props, name, canonical_json(e));
                }
            }
        }
        Contract::Preview | Contract::Draft2025 => {
            // Fixed names hold JSON arrays serialised into one string; kinds sharing a name
            // (current and past positions) share the array.
            let mut arrays: Vec<(String, Vec<Value>)> = Vec::new();
            for kind in EntityKind::ALL {
                let entities = person.entities(kind);
                if entities.is_empty() {
                    continue;
                }
                let name = layout
                    .property_for(kind)
                    .ok_or(ItemError::NoProperty(kind))?;
                match arrays.iter_mut().find(|(n, _)| n == name) {
                    Some((_, list)) => list.extend(entities),
                    None => arrays.push((name.to_owned(), entities)),
                }
            }
            for (name, list) in arrays {
                put_string(&mut props, &name, canonical_json(&Value::Array(list)));
            }
            if layout.contract == Contract::Draft2025 {
                let oid = account
                    .external_directory_object_id
                    .clone()
                    .ok_or(ItemError::MissingObjectId)?;
                props.insert("connectionId".into(), json!(ctx.connection_id.as_str()));
                props.insert("externalId".into(), json!(id));
                props.insert("oid".into(), json!(oid));
            }
        }
    }

    for (name, value) in custom {
        add_custom(&mut props, layout, name, value)?;
    }

    let body = json!({
        "id": id,
        "acl": [{"type": "everyone", "value": ctx.tenant_id, "accessType": "grant"}],
        "properties": props,
    });
    let hash = content_hash(&body);
    Ok(BuiltItem { id, body, hash })
}

/// One person's data as JSON entities already in the shape [`entity_json`] gives them (absent
/// parts left out), for pricing without building the item: see [`ItemHasher`].
///
/// [`entity_json`]: super::entities::entity_json
#[derive(Debug, Clone, Copy)]
pub struct PersonJson<'a> {
    /// The account's UPN.
    pub upn: &'a str,
    /// The item id ([`item_id_for_upn`] of the UPN).
    pub id: &'a str,
    /// The entities of each kind the person has, in order.
    pub entities: &'a [(EntityKind, &'a [Value])],
    /// Custom properties (text).
    pub custom: &'a BTreeMap<String, String>,
}

/// Prices items the way [`build_item`] does, without building them: the canonical JSON of the
/// body is written straight into a reused buffer and hashed, with no value tree and no
/// allocation per field. [`ItemHasher::hash`] gives exactly the SHA-256 [`BuiltItem::hash`]
/// holds in hex, or `None` where it cannot vouch for that (a contract other than labels, a
/// value [`entity_json`](super::entities::entity_json) would prune, a custom property the
/// layout refuses); the caller then builds the item.
#[derive(Debug, Default)]
pub struct ItemHasher {
    entity: Vec<u8>,
    /// Keys and values of the item's properties, before they are sorted into `body`.
    scratch: Vec<u8>,
    /// (key start, key end, value end) in `scratch`; the value starts where the key ends.
    spans: Vec<(usize, usize, usize)>,
    body: Vec<u8>,
}

impl ItemHasher {
    /// A hasher with empty buffers (they grow to the largest item and stay).
    pub fn new() -> Self {
        Self::default()
    }

    /// The SHA-256 of the item [`build_item`] would build for this person, if this path can
    /// tell it (see the type's docs).
    pub fn hash(
        &mut self,
        person: &PersonJson<'_>,
        layout: &ItemLayout,
        ctx: &ItemContext<'_>,
    ) -> Option<[u8; 32]> {
        if layout.contract != Contract::Labels {
            return None;
        }
        self.scratch.clear();
        self.spans.clear();
        // The account entity is `{"userPrincipalName": upn}`.
        let account_property = layout.property_for(EntityKind::Account)?;
        self.entity.clear();
        self.entity.extend_from_slice(b"{\"userPrincipalName\":");
        write_str(&mut self.entity, person.upn);
        self.entity.push(b'}');
        self.single_property(account_property)?;
        for &(kind, entities) in person.entities {
            if kind == EntityKind::Account {
                return None;
            }
            if entities.is_empty() {
                continue;
            }
            let name = layout.property_for(kind)?;
            if kind.is_collection() {
                let key_start = self.scratch.len();
                write_annotation_key(&mut self.scratch, name);
                let key_end = self.scratch.len();
                write_str(&mut self.scratch, "Collection(String)");
                self.spans.push((key_start, key_end, self.scratch.len()));
                let key_start = self.scratch.len();
                write_str(&mut self.scratch, name);
                let key_end = self.scratch.len();
                self.scratch.push(b'[');
                for (i, e) in entities.iter().enumerate() {
                    if i > 0 {
                        self.scratch.push(b',');
                    }
                    self.entity.clear();
                    write_canonical_pruned(e, &mut self.entity)?;
                    write_str(&mut self.scratch, std::str::from_utf8(&self.entity).ok()?);
                }
                self.scratch.push(b']');
                self.spans.push((key_start, key_end, self.scratch.len()));
            } else {
                // One entity per single-valued kind, as `PersonProfile` holds them.
                let [e] = entities else { return None };
                self.entity.clear();
                write_canonical_pruned(e, &mut self.entity)?;
                self.single_property(name)?;
            }
        }
        for (name, value) in person.custom {
            self.custom_property(layout, name, value)?;
        }
        self.write_body(person, ctx)?;
        Some(Sha256::digest(&self.body).into())
    }

    /// Adds property `name` holding `self.entity` as a string (annotated when not ASCII).
    fn single_property(&mut self, name: &str) -> Option<()> {
        let text = std::str::from_utf8(&self.entity).ok()?;
        push_string_property(&mut self.scratch, &mut self.spans, name, text);
        Some(())
    }

    fn custom_property(&mut self, layout: &ItemLayout, name: &str, value: &str) -> Option<()> {
        // The rules `add_custom` applies; any refusal is for the item builder to report.
        validate_name(name).ok()?;
        let declared = layout
            .custom
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name));
        let clashes = layout
            .people
            .iter()
            .any(|(_, n)| n.eq_ignore_ascii_case(name))
            || self.spans.iter().any(|&(a, b, _)| {
                // Keys are JSON strings here: compare the text between the quotes.
                self.scratch
                    .get(a + 1..b - 1)
                    .is_some_and(|k| k.eq_ignore_ascii_case(name.as_bytes()))
            });
        if clashes || (!declared && !layout.accept_undeclared) {
            return None;
        }
        push_string_property(&mut self.scratch, &mut self.spans, name, value);
        Some(())
    }

    fn write_body(&mut self, person: &PersonJson<'_>, ctx: &ItemContext<'_>) -> Option<()> {
        let scratch = &self.scratch;
        self.spans
            .sort_unstable_by(|x, y| key_text(scratch, x).cmp(key_text(scratch, y)));
        // Two properties of one name (a custom one clashing in case only) are the builder's
        // to refuse.
        if self
            .spans
            .windows(2)
            .any(|w| key_text(scratch, &w[0]) == key_text(scratch, &w[1]))
        {
            return None;
        }
        let body = &mut self.body;
        body.clear();
        body.extend_from_slice(
            b"{\"acl\":[{\"accessType\":\"grant\",\"type\":\"everyone\",\"value\":",
        );
        write_str(body, ctx.tenant_id);
        body.extend_from_slice(b"}],\"id\":");
        write_str(body, person.id);
        body.extend_from_slice(b",\"properties\":{");
        for (i, &(a, b, c)) in self.spans.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(&scratch[a..b]);
            body.push(b':');
            body.extend_from_slice(&scratch[b..c]);
        }
        body.extend_from_slice(b"}}");
        Some(())
    }
}

/// A key in `scratch` without its quotes; JSON escaping keeps the order of plain keys, and
/// every key here is a schema name (letters and digits) or one with `@odata.type`.
fn key_text<'a>(scratch: &'a [u8], span: &(usize, usize, usize)) -> &'a [u8] {
    &scratch[span.0 + 1..span.1 - 1]
}

fn push_string_property(
    scratch: &mut Vec<u8>,
    spans: &mut Vec<(usize, usize, usize)>,
    name: &str,
    text: &str,
) {
    if !text.is_ascii() {
        let key_start = scratch.len();
        write_annotation_key(scratch, name);
        let key_end = scratch.len();
        write_str(scratch, "String");
        spans.push((key_start, key_end, scratch.len()));
    }
    let key_start = scratch.len();
    write_str(scratch, name);
    let key_end = scratch.len();
    write_str(scratch, text);
    spans.push((key_start, key_end, scratch.len()));
}

/// The key `"<name>@odata.type"`, without building the string.
fn write_annotation_key(out: &mut Vec<u8>, name: &str) {
    write_str(out, name);
    out.pop();
    out.extend_from_slice(b"@odata.type\"");
}

/// A JSON string, escaped exactly as `serde_json` writes it (so as [`canonical_json`] does):
/// quotes and backslashes escaped, C0 controls as `\b \t \n \f \r` or `\u00xx` (lowercase
/// hex), everything else (DEL and non-ASCII included) as it is. The tests compare it with
/// serde_json on every byte that needs it.
fn write_str(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(text.len() + 2);
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// [`canonical_json`] of a value that `entity_json` would leave as it is; `None` when it would
/// prune something (a null, an empty list or object) or when an object's keys do not come in
/// order (a `serde_json` built to keep insertion order).
fn write_canonical_pruned(value: &Value, out: &mut Vec<u8>) -> Option<()> {
    match value {
        Value::Null => return None,
        Value::Object(map) => {
            if map.is_empty() {
                return None;
            }
            out.push(b'{');
            let mut last: Option<&String> = None;
            for (i, (k, v)) in map.iter().enumerate() {
                if last.is_some_and(|l| l >= k) {
                    return None;
                }
                last = Some(k);
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_canonical_pruned(v, out)?;
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            if items.is_empty() {
                return None;
            }
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical_pruned(v, out)?;
            }
            out.push(b']');
        }
        Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            let _ = serde_json::to_writer(&mut *out, value);
        }
    }
    Some(())
}

fn add_custom(
    props: &mut Map<String, Value>,
    layout: &ItemLayout,
    name: &str,
    value: &Value,
) -> Result<(), ItemError> {
    validate_name(name).map_err(|e| ItemError::BadCustomName(name.to_owned(), e.to_string()))?;
    if layout
        .people
        .iter()
        .any(|(_, n)| n.eq_ignore_ascii_case(name))
        || props.keys().any(|k| k.eq_ignore_ascii_case(name))
    {
        return Err(ItemError::BadCustomName(
            name.to_owned(),
            "a people-data property already has this name".into(),
        ));
    }
    let declared = layout
        .custom
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, t)| t);
    if declared.is_none() && !layout.accept_undeclared {
        return Err(ItemError::UndeclaredProperty(name.to_owned()));
    }
    match value {
        Value::Null => {}
        Value::String(s) => put_string(props, name, s.clone()),
        Value::Bool(_) | Value::Number(_) => {
            props.insert(name.to_owned(), value.clone());
        }
        Value::Array(items) => {
            let inferred = if items.iter().all(Value::is_string) {
                PropertyType::StringCollection
            } else if items.iter().all(|v| v.is_i64() || v.is_u64()) {
                PropertyType::Int64Collection
            } else if items.iter().all(Value::is_number) {
                PropertyType::DoubleCollection
            } else {
                return Err(ItemError::BadCustomValue(name.to_owned()));
            };
            let annotation = declared
                .and_then(PropertyType::collection_annotation)
                .or(inferred.collection_annotation())
                .unwrap_or("Collection(String)");
            props.insert(format!("{name}@odata.type"), json!(annotation));
            props.insert(name.to_owned(), value.clone());
        }
        Value::Object(_) => return Err(ItemError::BadCustomValue(name.to_owned())),
    }
    Ok(())
}

/// Reads the people data of an item's `properties` back into profile entities, as the service
/// does: labelled values are parsed as JSON, and values that are not valid JSON (or not
/// objects) are skipped silently.
pub fn entities_from_item(
    layout: &ItemLayout,
    properties: &Value,
    source_id: SourceId,
) -> SourceEntities {
    let mut out = SourceEntities::new(source_id);
    let mut done: Vec<&str> = Vec::new();
    for (kind, name) in &layout.people {
        if done.contains(&name.as_str()) {
            continue;
        }
        done.push(name);
        let Some(value) = properties.get(name.as_str()) else {
            continue;
        };
        let texts: Vec<&str> = match value {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for text in texts {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(o)) => out.push(kind.collection(), Value::Object(o)),
                Ok(Value::Array(items)) => {
                    for item in items.into_iter().filter(Value::is_object) {
                        out.push(kind.collection(), item);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::entities::{
        ItemEmail, PositionDetail, SkillProficiency, UserAccountInformation, WorkPosition,
    };
    use crate::people::schema::build_schema;

    #[test]
    fn item_ids_read_back_into_the_upn_unless_shortened() {
        for upn in [
            "alexw@contoso.com",
            "mary-jo@contoso.com",
            "o'neil+x@contoso.com",
            "josé@contoso.com",
            "a_b@c.d",
        ] {
            assert_eq!(
                upn_from_item_id(&item_id_for_upn(upn)).as_deref(),
                Some(upn)
            );
        }
        let long = format!("{}@contoso.com", "x".repeat(150));
        assert_eq!(upn_from_item_id(&item_id_for_upn(&long)), None);
        for foreign in ["Alex", "a_xzz_b", "a_x41_b", "a b", ""] {
            assert_eq!(upn_from_item_id(foreign), None, "{foreign}");
        }
    }

    #[test]
    fn item_ids_per_the_demo_readme() {
        assert_eq!(
            item_id_for_upn("alexw@contoso.com"),
            "alexw_at_contoso_dot_com"
        );
        assert_eq!(
            item_id_for_upn("Alex.Wilber@Contoso.com"),
            "alex_dot_wilber_at_contoso_dot_com"
        );
        assert_eq!(
            item_id_for_upn("mary-jo@contoso.com"),
            "mary_dash_jo_at_contoso_dot_com"
        );
        assert_eq!(
            item_id_for_upn("o'neil+x@contoso.com"),
            "o_x27_neil_x2b_x_at_contoso_dot_com"
        );
        assert_eq!(
            item_id_for_upn("JOSÉ@contoso.com"),
            "jos_xc3a9__at_contoso_dot_com"
        );
        assert_eq!(item_id_for_upn("a_b@c.d"), "a_x5f_b_at_c_dot_d");
    }

    #[test]
    fn long_item_ids_are_truncated_with_a_hash() {
        let upn = format!("{}@contoso.com", "a".repeat(120));
        let id = item_id_for_upn(&upn);
        assert_eq!(id.len(), 117);
        assert_eq!(&id[..100], "a".repeat(100));
        let digest = hex::encode(Sha256::digest(upn.as_bytes()));
        assert_eq!(id[100..], format!("_{}", &digest[..16]));
        // Exactly 128 characters is kept whole.
        let upn = format!("{}@b", "a".repeat(123));
        assert_eq!(item_id_for_upn(&upn).len(), 128);
    }

    /// The slow path's item for the same JSON the fast path hashes.
    fn built_hash(
        person: &PersonJson<'_>,
        layout: &ItemLayout,
        ctx: &ItemContext<'_>,
    ) -> Option<String> {
        let mut object = serde_json::Map::new();
        object.insert("account".into(), json!({"userPrincipalName": person.upn}));
        for (kind, entities) in person.entities {
            let name = match kind {
                EntityKind::CurrentPosition => "position",
                EntityKind::Name => "name",
                EntityKind::Note => "note",
                EntityKind::Emails => "emails",
                EntityKind::Phones => "phones",
                EntityKind::Addresses => "addresses",
                EntityKind::Skills => "skills",
                other => panic!("not in this test: {other:?}"),
            };
            let value = if kind.is_collection() {
                Value::Array(entities.to_vec())
            } else {
                entities[0].clone()
            };
            object.insert(name.into(), value);
        }
        let profile: PersonProfile = serde_json::from_value(Value::Object(object)).ok()?;
        let custom = person
            .custom
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        build_item(&profile, &custom, layout, ctx)
            .ok()
            .map(|b| b.hash)
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut every: String = (0u8..0x80).map(char::from).collect();
        every.push_str("é東\u{2028}\u{feff}ø");
        for text in [every.as_str(), "", "plain", "\"\\", "a\u{1}b\u{1f}c\u{7f}"] {
            let mut ours = Vec::new();
            write_str(&mut ours, text);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(text).unwrap(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn the_hasher_gives_the_built_items_hash_or_declines() {
        let conn = ConnectionId::new("contosohr").expect("valid");
        let ctx = ctx(&conn);
        let layout = ItemLayout::default_for(Contract::Labels);
        let position = [json!({
            "detail": {"company": {"department": "R&D \"Labs\" \\ 東京", "displayName": "Contoso"},
                       "jobTitle": "Lead\tline\u{1}\u{7f}", "startMonthYear": "2020-01-01"},
            "isCurrent": true,
            "manager": {"userPrincipalName": "boss@contoso.com"}
        })];
        let emails = [
            json!({"address": "a@contoso.com", "type": "work"}),
            json!({"address": "ä@contoso.com", "type": "personal"}),
        ];
        let note = [json!({"detail": {"content": "line one\nline two", "contentType": "text"}})];
        let name = [json!({"first": "Zoë", "last": "Müller"})];
        let skills = [json!({"displayName": "Rust", "proficiency": "expert"})];
        let addresses = [json!({"detail": {"city": "Oslo", "type": "business"}})];
        let phones = [json!({"number": "+47 1", "type": "mobile"})];
        let entities = [
            (EntityKind::CurrentPosition, &position[..]),
            (EntityKind::Emails, &emails[..]),
            (EntityKind::Note, &note[..]),
            (EntityKind::Name, &name[..]),
            (EntityKind::Skills, &skills[..]),
            (EntityKind::Addresses, &addresses[..]),
            (EntityKind::Phones, &phones[..]),
        ];
        let custom: BTreeMap<String, String> = [
            ("costCenter".to_owned(), "CC-ø".to_owned()),
            ("band".to_owned(), "7".to_owned()),
        ]
        .into();
        let upn = "Zoë.Müller@contoso.com";
        let id = item_id_for_upn(upn);
        let person = PersonJson {
            upn,
            id: &id,
            entities: &entities,
            custom: &custom,
        };
        let mut hasher = ItemHasher::new();
        let fast = hasher
            .hash(&person, &layout, &ctx)
            .expect("the fast path vouches");
        assert_eq!(Some(hex::encode(fast)), built_hash(&person, &layout, &ctx));
        // The buffers are reused: the same person again, then a smaller one.
        assert_eq!(hasher.hash(&person, &layout, &ctx), Some(fast));
        let few = PersonJson {
            entities: &entities[..1],
            ..person
        };
        let fast = hasher.hash(&few, &layout, &ctx).unwrap();
        assert_eq!(Some(hex::encode(fast)), built_hash(&few, &layout, &ctx));

        // Declined: another contract, a value the builder would prune, a custom property the
        // layout does not declare or whose name a people property has.
        let preview = ItemLayout::default_for(Contract::Preview);
        assert_eq!(hasher.hash(&person, &preview, &ctx), None);
        let with_null = [json!({"detail": {"jobTitle": null}, "isCurrent": true})];
        let nulls = [(EntityKind::CurrentPosition, &with_null[..])];
        let pruned = PersonJson {
            entities: &nulls,
            ..person
        };
        assert_eq!(hasher.hash(&pruned, &layout, &ctx), None);
        let schema = build_schema(Contract::Labels, &[EntityKind::CurrentPosition], &[]).unwrap();
        let strict = ItemLayout::from_schema(&schema).unwrap();
        let undeclared = PersonJson {
            entities: &entities[..1],
            ..person
        };
        assert_eq!(hasher.hash(&undeclared, &strict, &ctx), None);
        assert_eq!(built_hash(&undeclared, &strict, &ctx), None);
        let clash: BTreeMap<String, String> =
            [("CurrentPosition".to_owned(), "x".to_owned())].into();
        let clashing = PersonJson {
            custom: &clash,
            ..few
        };
        assert_eq!(hasher.hash(&clashing, &layout, &ctx), None);
        assert_eq!(built_hash(&clashing, &layout, &ctx), None);
    }

    fn person() -> PersonProfile {
        PersonProfile {
            account: UserAccountInformation {
                user_principal_name: Some("adelev@contoso.com".into()),
                external_directory_object_id: Some("oid-1".into()),
                ..UserAccountInformation::default()
            },
            position: Some(WorkPosition {
                detail: Some(PositionDetail {
                    job_title: Some("ProductManager".into()),
                    ..PositionDetail::default()
                }),
                ..WorkPosition::default()
            }),
            skills: vec![
                SkillProficiency {
                    display_name: Some("Product requirements".into()),
                    ..SkillProficiency::default()
                },
                SkillProficiency {
                    display_name: Some("Customer research".into()),
                    ..SkillProficiency::default()
                },
            ],
            ..PersonProfile::default()
        }
    }

    fn ctx(conn: &ConnectionId) -> ItemContext<'_> {
        ItemContext {
            tenant_id: "tenant-1",
            connection_id: conn,
        }
    }

    #[test]
    fn labels_item_matches_the_docs_example() {
        let conn = ConnectionId::new("contosohr").expect("valid");
        let schema = build_schema(
            Contract::Labels,
            &[EntityKind::CurrentPosition, EntityKind::Skills],
            &[],
        )
        .expect("valid");
        let layout = ItemLayout::from_schema(&schema).expect("people schema");
        let custom = BTreeMap::from([
            ("requisitionId".to_owned(), json!("REQ-12345678")),
            ("tags".to_owned(), json!(["a", "b"])),
            ("ignored".to_owned(), Value::Null),
        ]);
        let mut layout_with_custom = layout.clone();
        layout_with_custom
            .custom
            .push(("requisitionId".into(), PropertyType::String));
        layout_with_custom
            .custom
            .push(("tags".into(), PropertyType::StringCollection));
        layout_with_custom
            .custom
            .push(("ignored".into(), PropertyType::String));
        let item =
            build_item(&person(), &custom, &layout_with_custom, &ctx(&conn)).expect("builds");
        assert_eq!(item.id, "adelev_at_contoso_dot_com");
        assert_eq!(
            item.body,
            json!({"id": "adelev_at_contoso_dot_com",
                   "acl": [{"type": "everyone", "value": "tenant-1", "accessType": "grant"}],
                   "properties": {
                       "account": "{\"externalDirectoryObjectId\":\"oid-1\",\"userPrincipalName\":\"adelev@contoso.com\"}",
                       "currentPosition": "{\"detail\":{\"jobTitle\":\"ProductManager\"},\"isCurrent\":true}",
                       "skills@odata.type": "Collection(String)",
                       "skills": ["{\"displayName\":\"Product requirements\"}", "{\"displayName\":\"Customer research\"}"],
                       "requisitionId": "REQ-12345678",
                       "tags@odata.type": "Collection(String)",
                       "tags": ["a", "b"]}})
        );
        assert_eq!(item.hash, content_hash(&item.body));
        assert_eq!(item.hash.len(), 64);
        assert_eq!(
            build_item(&person(), &custom, &layout, &ctx(&conn)),
            Err(ItemError::UndeclaredProperty("ignored".into()))
        );
    }

    #[test]
    fn preview_and_draft_items() {
        let conn = ConnectionId::new("contosohr").expect("valid");
        let mut p = person();
        p.work_positions.push(WorkPosition {
            is_current: Some(false),
            ..WorkPosition::default()
        });
        let preview = build_item(
            &p,
            &BTreeMap::new(),
            &ItemLayout::default_for(Contract::Preview),
            &ctx(&conn),
        )
        .expect("builds");
        let props = &preview.body["properties"];
        assert_eq!(
            props["accounts"],
            "[{\"externalDirectoryObjectId\":\"oid-1\",\"userPrincipalName\":\"adelev@contoso.com\"}]"
        );
        assert_eq!(
            props["positions"],
            "[{\"detail\":{\"jobTitle\":\"ProductManager\"},\"isCurrent\":true},{\"isCurrent\":false}]"
        );
        assert!(
            props.get("skills@odata.type").is_none(),
            "preview values are plain strings"
        );
        assert!(props.get("connectionId").is_none());

        let draft = build_item(
            &p,
            &BTreeMap::new(),
            &ItemLayout::default_for(Contract::Draft2025),
            &ctx(&conn),
        )
        .expect("builds");
        let props = &draft.body["properties"];
        assert_eq!(props["connectionId"], "contosohr");
        assert_eq!(props["externalId"], "adelev_at_contoso_dot_com");
        assert_eq!(props["oid"], "oid-1");
        p.account.external_directory_object_id = None;
        assert_eq!(
            build_item(
                &p,
                &BTreeMap::new(),
                &ItemLayout::default_for(Contract::Draft2025),
                &ctx(&conn)
            ),
            Err(ItemError::MissingObjectId)
        );
        assert_eq!(
            build_item(
                &p,
                &BTreeMap::new(),
                &ItemLayout::default_for(Contract::None),
                &ctx(&conn)
            ),
            Err(ItemError::NotPeople)
        );
    }

    #[test]
    fn hash_is_deterministic_and_sensitive() {
        let conn = ConnectionId::new("contosohr").expect("valid");
        let layout = ItemLayout::default_for(Contract::Labels);
        let a = build_item(&person(), &BTreeMap::new(), &layout, &ctx(&conn)).expect("builds");
        let b = build_item(&person(), &BTreeMap::new(), &layout, &ctx(&conn)).expect("builds");
        assert_eq!(a.hash, b.hash);
        let mut changed = person();
        changed.skills.pop();
        let c = build_item(&changed, &BTreeMap::new(), &layout, &ctx(&conn)).expect("builds");
        assert_ne!(a.hash, c.hash);
        // Key order in the input does not matter.
        assert_eq!(
            canonical_json(&json!({"b": 1, "a": {"d": [1, {"z": 0, "y": "é"}], "c": null}})),
            "{\"a\":{\"c\":null,\"d\":[1,{\"y\":\"é\",\"z\":0}]},\"b\":1}"
        );
    }

    #[test]
    fn refusals() {
        let conn = ConnectionId::new("contosohr").expect("valid");
        let schema = build_schema(Contract::Labels, &[], &[]).expect("valid");
        let layout = ItemLayout::from_schema(&schema).expect("people schema");
        assert_eq!(
            build_item(&person(), &BTreeMap::new(), &layout, &ctx(&conn)),
            Err(ItemError::NoProperty(EntityKind::CurrentPosition))
        );
        let mut bad = person();
        bad.emails = vec![ItemEmail::default()];
        assert!(matches!(
            build_item(&bad, &BTreeMap::new(), &ItemLayout::default_for(Contract::Labels), &ctx(&conn)),
            Err(ItemError::Invalid(e)) if e[0].path == "emails[0].address"
        ));
        let open = ItemLayout::default_for(Contract::Labels);
        for (name, value, ok) in [
            ("cost center", json!("x"), false),
            ("skills", json!("x"), false),
            ("obj", json!({"a": 1}), false),
            ("mixed", json!([1, "a"]), false),
            ("nums", json!([1, 2]), true),
            ("ratio", json!(0.5), true),
            ("remark", json!("Åse"), true),
        ] {
            let custom = BTreeMap::from([(name.to_owned(), value)]);
            let built = build_item(&person(), &custom, &open, &ctx(&conn));
            assert_eq!(built.is_ok(), ok, "{name}");
            if let Ok(item) = built {
                let props = &item.body["properties"];
                match name {
                    "nums" => assert_eq!(props["nums@odata.type"], "Collection(Int64)"),
                    "remark" => assert_eq!(props["remark@odata.type"], "String"),
                    _ => assert!(props.get(format!("{name}@odata.type")).is_none()),
                }
            }
        }
    }

    #[test]
    fn items_read_back_into_entities() {
        let conn = ConnectionId::new("contosohr").expect("valid");
        for contract in [Contract::Labels, Contract::Preview, Contract::Draft2025] {
            let layout = ItemLayout::default_for(contract);
            let item =
                build_item(&person(), &BTreeMap::new(), &layout, &ctx(&conn)).expect("builds");
            let e = entities_from_item(&layout, &item.body["properties"], conn.to_source_id());
            let expected = person().to_source_entities(conn.to_source_id());
            assert_eq!(e, expected, "{contract:?}");
        }
        // Invalid JSON and non-objects are skipped silently, as the service does.
        let layout = ItemLayout::default_for(Contract::Labels);
        let props =
            json!({"account": "{not json", "skills": ["{\"displayName\":\"Go\"}", "42", "[]"]});
        let e = entities_from_item(&layout, &props, conn.to_source_id());
        assert!(!e.collections.contains_key("account"));
        assert_eq!(e.collections["skills"], [json!({"displayName": "Go"})]);
    }

    #[test]
    fn layout_from_existing_schemas() {
        let schema: Schema = serde_json::from_value(json!({"properties": [
            {"name": "connectionId", "type": "string"}, {"name": "oid", "type": "string"},
            {"name": "accounts", "type": "string"}, {"name": "positions", "type": "string"},
            {"name": "favoriteColor", "type": "string"}]}))
        .expect("parses");
        let layout = ItemLayout::from_schema(&schema).expect("people schema");
        assert_eq!(layout.contract, Contract::Draft2025);
        assert_eq!(
            layout.property_for(EntityKind::WorkPositions),
            Some("positions")
        );
        assert_eq!(
            layout.custom,
            vec![("favoriteColor".to_owned(), PropertyType::String)]
        );
        let none: Schema =
            serde_json::from_value(json!({"properties": [{"name": "x", "type": "string"}]}))
                .expect("parses");
        assert_eq!(ItemLayout::from_schema(&none), Err(ItemError::NotPeople));
    }
}
