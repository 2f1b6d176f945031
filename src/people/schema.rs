//! People-connector schemas: detect which of the three contracts a schema follows, build one
//! for the labels or preview contract, and validate names, types, labels and counts.

use serde::{Deserialize, Deserializer, Serialize};

use super::entities::{EntityKind, graph_enum};

/// The only `baseType` Graph accepts.
pub const BASE_TYPE: &str = "microsoft.graph.externalItem";
/// Most properties a schema may have.
pub const MAX_PROPERTIES: usize = 128;
/// Longest property name or alias.
pub const MAX_NAME_LEN: usize = 32;
/// Labels in Graph's enum that people connectors refuse (graph-api.md §4.2).
pub const UNSUPPORTED_PERSON_LABELS: [&str; 5] = [
    "personManager",
    "personAssistants",
    "personColleagues",
    "personAlternateContacts",
    "personEmergencyContacts",
];
/// The June 2025 draft's required names besides `accounts`.
pub const DRAFT_2025_NAMES: [&str; 3] = ["connectionId", "externalId", "oid"];

/// Which people-connector contract a schema follows (graph-api.md §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Contract {
    /// 2026: `contentCategory: people` and semantic `person*` labels (what we write by default).
    Labels,
    /// 2025 public preview: fixed names (`accounts`, `positions`, ...), JSON arrays in strings.
    Preview,
    /// June 2025 draft: `connectionId`, `externalId`, `oid` and `accounts` (read only).
    #[serde(rename = "draft2025")]
    Draft2025,
    /// Not a people schema.
    None,
}

graph_enum!(
    /// A schema property's type. Read case-insensitively: Graph's own examples send `String`.
    PropertyType {
        String => "string", Int64 => "int64", Double => "double", DateTime => "dateTime",
        Boolean => "boolean", StringCollection => "stringCollection",
        Int64Collection => "int64Collection", DoubleCollection => "doubleCollection",
        DateTimeCollection => "dateTimeCollection", UnknownFutureValue => "unknownFutureValue",
        Principal => "principal", PrincipalCollection => "principalCollection",
    }
);

impl PropertyType {
    /// The `@odata.type` annotation item values of this type need, for collections.
    pub fn collection_annotation(&self) -> Option<&'static str> {
        match self {
            PropertyType::StringCollection => Some("Collection(String)"),
            PropertyType::Int64Collection => Some("Collection(Int64)"),
            PropertyType::DoubleCollection => Some("Collection(Double)"),
            // Graph refuses Collection(DateTime) in items (graph-api.md §3.2).
            PropertyType::DateTimeCollection => Some("Collection(DateTimeOffset)"),
            _ => None,
        }
    }
}

/// One schema property, in Graph's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    /// Its name (≤ 32 ASCII alphanumerics).
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub property_type: PropertyType,
    /// Semantic labels, as written (unknown labels are kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Other names for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Full-text searchable.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_bool"
    )]
    pub is_searchable: Option<bool>,
    /// Usable in KQL restrictions.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_bool"
    )]
    pub is_queryable: Option<bool>,
    /// Returned in results.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_bool"
    )]
    pub is_retrievable: Option<bool>,
    /// Usable as a refiner.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_bool"
    )]
    pub is_refinable: Option<bool>,
    /// A description (people connectors ignore it on labelled properties).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Property {
    /// A property with no labels, flags or description.
    pub fn new(name: impl Into<String>, property_type: PropertyType) -> Self {
        Self {
            name: name.into(),
            property_type,
            labels: Vec::new(),
            aliases: Vec::new(),
            is_searchable: None,
            is_queryable: None,
            is_retrievable: None,
            is_refinable: None,
            description: None,
        }
    }

    /// The people entity kind of its first supported `person*` label.
    pub fn person_kind(&self) -> Option<EntityKind> {
        self.labels.iter().find_map(|l| EntityKind::from_label(l))
    }
}

/// Graph's docs send booleans as strings (`"isSearchable": "true"`); accept both.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    match Option::<B>::deserialize(d)? {
        None => Ok(None),
        Some(B::Bool(b)) => Ok(Some(b)),
        Some(B::Text(t)) if t.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(B::Text(t)) if t.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(B::Text(t)) => Err(serde::de::Error::custom(format!("{t:?} is not a boolean"))),
    }
}

fn default_base_type() -> String {
    BASE_TYPE.to_owned()
}

/// A connection schema, in Graph's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    /// Always [`BASE_TYPE`].
    #[serde(default = "default_base_type")]
    pub base_type: String,
    /// The properties.
    pub properties: Vec<Property>,
}

impl Schema {
    /// The property named `name` (names compare case-insensitively).
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// What is wrong with a property name or alias.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty.
    #[error("is empty")]
    Empty,
    /// Longer than 32 characters.
    #[error("is {0} characters long; at most 32 are allowed")]
    TooLong(usize),
    /// Holds a character other than ASCII letters and digits.
    #[error("contains {0:?}; only letters A-Z, a-z and digits 0-9 are allowed")]
    Character(char),
}

/// Checks a property name or alias: 1–32 ASCII alphanumerics (which also rules out every
/// character Graph lists as forbidden: whitespace, controls, `:;,()[]{}%$+!*=&?@#\~'"<>` and
/// the backtick and caret).
pub fn validate_name(name: &str) -> Result<(), NameError> {
    let len = name.chars().count();
    if len == 0 {
        return Err(NameError::Empty);
    }
    if len > MAX_NAME_LEN {
        return Err(NameError::TooLong(len));
    }
    match name.chars().find(|c| !c.is_ascii_alphanumeric()) {
        Some(c) => Err(NameError::Character(c)),
        None => Ok(()),
    }
}

/// Something wrong with a schema (or its connection) for its contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaProblem {
    /// `baseType` is not `microsoft.graph.externalItem`.
    #[error("baseType is {0:?}; it must be \"microsoft.graph.externalItem\"")]
    BaseType(String),
    /// Fewer than 1 or more than 128 properties.
    #[error("the schema has {0} properties; it must have 1 to 128")]
    PropertyCount(usize),
    /// A bad property name or alias.
    #[error("{} {name:?} {error}", if *alias { "alias" } else { "property name" })]
    InvalidName {
        /// The name.
        name: String,
        /// Whether it is an alias.
        alias: bool,
        /// What is wrong.
        error: NameError,
    },
    /// Two properties share a name (case-insensitively).
    #[error("property name {0:?} is used more than once")]
    DuplicateName(String),
    /// A label people connectors do not support.
    #[error(
        "property {property:?}: label {label} is not supported by people connectors (put relationships in a work position's colleagues instead)"
    )]
    UnsupportedLabel {
        /// The property.
        property: String,
        /// The label.
        label: String,
    },
    /// `principal` / `principalCollection` in a people schema.
    #[error("property {0:?}: principal types are not supported by people connectors")]
    PrincipalType(String),
    /// A label on a property of the wrong type.
    #[error("property {property:?}: label {label} needs type {expected}, not {found}")]
    LabelType {
        /// The property.
        property: String,
        /// The label.
        label: String,
        /// The type the label needs.
        expected: PropertyType,
        /// The property's type.
        found: PropertyType,
    },
    /// One label on several properties.
    #[error("label {label} is on {} properties ({}); a label maps to exactly one", properties.len(), properties.join(", "))]
    LabelRepeated {
        /// The label.
        label: String,
        /// The properties carrying it.
        properties: Vec<String>,
    },
    /// A non-person label on a property that is not retrievable.
    #[error("property {property:?}: label {label} needs isRetrievable")]
    LabelNotRetrievable {
        /// The property.
        property: String,
        /// The label.
        label: String,
    },
    /// The labels contract without a `personAccount` property.
    #[error(
        "no property is labelled personAccount; a people schema needs exactly one (type string)"
    )]
    MissingAccount,
    /// The preview or draft contract without `accounts`.
    #[error("no property named accounts; the {0:?} contract requires it (type string)")]
    MissingAccounts(Contract),
    /// A fixed-name property of the preview or draft contract that is not a string.
    #[error(
        "property {property:?} must be of type string in the {contract:?} contract, not {found}"
    )]
    FixedNameType {
        /// The property.
        property: String,
        /// The contract.
        contract: Contract,
        /// Its type.
        found: PropertyType,
    },
    /// Searchable on a type other than string / stringCollection.
    #[error("property {0:?}: only string and stringCollection properties can be searchable")]
    SearchableType(String),
    /// Both searchable and refinable.
    #[error("property {0:?} cannot be both searchable and refinable")]
    SearchableAndRefinable(String),
    /// A type Graph does not know.
    #[error("property {property:?}: unknown type {found:?}")]
    UnknownType {
        /// The property.
        property: String,
        /// The type as written.
        found: String,
    },
    /// The labels contract on a connection whose contentCategory is not `people`.
    #[error("the connection's contentCategory is {}; a people connector needs \"people\"", .0.as_deref().map_or_else(|| "not set".to_owned(), |c| format!("{c:?}")))]
    ContentCategory(Option<String>),
}

/// Why a schema could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// Only the labels and preview contracts are written.
    #[error("peoplectl does not write {0:?} schemas")]
    NotWritable(Contract),
    /// The preview contract has no property for this kind of data.
    #[error("the preview contract has no property for {0:?}")]
    NotInContract(EntityKind),
    /// The result would be invalid.
    #[error("the schema would be invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<SchemaProblem>),
}

/// A custom (unlabelled) property to add to a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomProperty {
    /// Its name.
    pub name: String,
    /// Its type.
    pub property_type: PropertyType,
    /// What it holds (recommended for custom properties).
    pub description: Option<String>,
}

/// Which contract `schema` follows: a supported `person*` label makes it the labels contract;
/// `accounts` plus any of `connectionId`/`externalId`/`oid` the June 2025 draft; `accounts`
/// alone the preview; anything else none. Names compare case-insensitively.
pub fn detect(schema: &Schema) -> Contract {
    if schema.properties.iter().any(|p| {
        p.labels.iter().any(|l| {
            EntityKind::from_label(l).is_some()
                || UNSUPPORTED_PERSON_LABELS
                    .iter()
                    .any(|u| u.eq_ignore_ascii_case(l))
        })
    }) {
        return Contract::Labels;
    }
    if schema.property("accounts").is_none() {
        return Contract::None;
    }
    if DRAFT_2025_NAMES
        .iter()
        .any(|n| schema.property(n).is_some())
    {
        Contract::Draft2025
    } else {
        Contract::Preview
    }
}

/// Builds the schema for `kinds` of people data (the account is always included) plus custom
/// properties, under the labels or preview contract. Labelled properties get peoplectl's
/// default names ([`EntityKind::default_property_name`]).
pub fn build_schema(
    contract: Contract,
    kinds: &[EntityKind],
    custom: &[CustomProperty],
) -> Result<Schema, SchemaError> {
    let mut properties: Vec<Property> = Vec::new();
    for kind in EntityKind::ALL {
        if kind != EntityKind::Account && !kinds.contains(&kind) {
            continue;
        }
        let property = match contract {
            Contract::Labels => {
                let ty = if kind.is_collection() {
                    PropertyType::StringCollection
                } else {
                    PropertyType::String
                };
                let mut p = Property::new(kind.default_property_name(), ty);
                p.labels.push(kind.label().to_owned());
                p
            }
            Contract::Preview => {
                let name = kind
                    .preview_name()
                    .ok_or(SchemaError::NotInContract(kind))?;
                Property::new(name, PropertyType::String)
            }
            other => return Err(SchemaError::NotWritable(other)),
        };
        if !properties.iter().any(|p| p.name == property.name) {
            properties.push(property);
        }
    }
    for c in custom {
        let mut p = Property::new(c.name.clone(), c.property_type.clone());
        p.description.clone_from(&c.description);
        properties.push(p);
    }
    let schema = Schema {
        base_type: BASE_TYPE.to_owned(),
        properties,
    };
    let problems = validate(&schema, contract);
    if problems.is_empty() {
        Ok(schema)
    } else {
        Err(SchemaError::Invalid(problems))
    }
}

/// Every problem with `schema` under `contract`: base type, property count (1..128), names and
/// aliases, duplicate names, types, search flags, label-vs-type rules, and the contract's own
/// requirements (unsupported labels and principal types are refused for people contracts).
pub fn validate(schema: &Schema, contract: Contract) -> Vec<SchemaProblem> {
    let mut problems = Vec::new();
    if schema.base_type != BASE_TYPE {
        problems.push(SchemaProblem::BaseType(schema.base_type.clone()));
    }
    let count = schema.properties.len();
    if !(1..=MAX_PROPERTIES).contains(&count) {
        problems.push(SchemaProblem::PropertyCount(count));
    }
    let people = contract != Contract::None;
    let mut seen: Vec<String> = Vec::new();
    let mut labelled: Vec<(String, Vec<String>)> = Vec::new();
    for p in &schema.properties {
        if let Err(error) = validate_name(&p.name) {
            problems.push(SchemaProblem::InvalidName {
                name: p.name.clone(),
                alias: false,
                error,
            });
        }
        for a in &p.aliases {
            if let Err(error) = validate_name(a) {
                problems.push(SchemaProblem::InvalidName {
                    name: a.clone(),
                    alias: true,
                    error,
                });
            }
        }
        let lower = p.name.to_ascii_lowercase();
        if seen.contains(&lower) {
            problems.push(SchemaProblem::DuplicateName(p.name.clone()));
        } else {
            seen.push(lower);
        }
        check_types(p, people, &mut problems);
        for label in &p.labels {
            check_label(p, label, people, &mut problems);
            match labelled
                .iter_mut()
                .find(|(l, _)| l.eq_ignore_ascii_case(label))
            {
                Some((_, props)) => props.push(p.name.clone()),
                None => labelled.push((label.clone(), vec![p.name.clone()])),
            }
        }
    }
    problems.extend(
        labelled
            .into_iter()
            .filter(|(_, props)| props.len() > 1)
            .map(|(label, properties)| SchemaProblem::LabelRepeated { label, properties }),
    );
    match contract {
        Contract::Labels => {
            if !schema
                .properties
                .iter()
                .any(|p| p.person_kind() == Some(EntityKind::Account))
            {
                problems.push(SchemaProblem::MissingAccount);
            }
        }
        Contract::Preview | Contract::Draft2025 => {
            if schema.property("accounts").is_none() {
                problems.push(SchemaProblem::MissingAccounts(contract));
            }
            let fixed = |name: &str| {
                EntityKind::from_preview_name(name).is_some()
                    || (contract == Contract::Draft2025
                        && DRAFT_2025_NAMES
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(name)))
            };
            for p in schema.properties.iter().filter(|p| fixed(&p.name)) {
                if p.property_type != PropertyType::String {
                    problems.push(SchemaProblem::FixedNameType {
                        property: p.name.clone(),
                        contract,
                        found: p.property_type.clone(),
                    });
                }
            }
        }
        Contract::None => {}
    }
    problems
}

fn check_types(p: &Property, people: bool, problems: &mut Vec<SchemaProblem>) {
    use PropertyType as T;
    match &p.property_type {
        T::Unrecognised(found) => problems.push(SchemaProblem::UnknownType {
            property: p.name.clone(),
            found: found.clone(),
        }),
        T::Principal | T::PrincipalCollection if people => {
            problems.push(SchemaProblem::PrincipalType(p.name.clone()));
        }
        _ => {}
    }
    let searchable = p.is_searchable == Some(true);
    if searchable && !matches!(p.property_type, T::String | T::StringCollection) {
        problems.push(SchemaProblem::SearchableType(p.name.clone()));
    }
    if searchable && p.is_refinable == Some(true) {
        problems.push(SchemaProblem::SearchableAndRefinable(p.name.clone()));
    }
}

fn check_label(p: &Property, label: &str, people: bool, problems: &mut Vec<SchemaProblem>) {
    use PropertyType as T;
    if people
        && UNSUPPORTED_PERSON_LABELS
            .iter()
            .any(|u| u.eq_ignore_ascii_case(label))
    {
        problems.push(SchemaProblem::UnsupportedLabel {
            property: p.name.clone(),
            label: label.to_owned(),
        });
        return;
    }
    let expected = if let Some(kind) = EntityKind::from_label(label) {
        Some(if kind.is_collection() {
            T::StringCollection
        } else {
            T::String
        })
    } else {
        // Search labels: Graph requires them to be retrievable; people connectors ignore the
        // flags, but only on person* labels.
        if p.is_retrievable != Some(true) {
            problems.push(SchemaProblem::LabelNotRetrievable {
                property: p.name.clone(),
                label: label.to_owned(),
            });
        }
        match label {
            "title" | "url" | "createdBy" | "lastModifiedBy" | "fileName" | "fileExtension"
            | "iconUrl" | "containerName" | "containerUrl" => Some(T::String),
            "authors" => Some(T::StringCollection),
            "createdDateTime" | "lastModifiedDateTime" => Some(T::DateTime),
            _ => None,
        }
    };
    if let Some(expected) = expected.filter(|e| *e != p.property_type) {
        problems.push(SchemaProblem::LabelType {
            property: p.name.clone(),
            label: label.to_owned(),
            expected,
            found: p.property_type.clone(),
        });
    }
}

/// Problems with the connection itself for `contract`: the labels contract needs
/// `contentCategory: people`.
pub fn check_content_category(
    content_category: Option<&str>,
    contract: Contract,
) -> Option<SchemaProblem> {
    (contract == Contract::Labels && content_category != Some("people"))
        .then(|| SchemaProblem::ContentCategory(content_category.map(str::to_owned)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(v: serde_json::Value) -> Schema {
        serde_json::from_value(v).expect("schema parses")
    }

    #[test]
    fn reads_the_docs_examples_and_detects_contracts() {
        let labels = schema(
            json!({"baseType": "microsoft.graph.externalItem", "properties": [
            {"name": "accountInformation", "type": "string", "labels": ["personAccount"]},
            {"name": "position", "type": "string", "labels": ["personCurrentPosition"]},
            {"name": "skills", "type": "stringCollection", "labels": ["personSkills"]},
            {"name": "requisitionId", "type": "String", "description": "The user's requisition ID",
             "isSearchable": "true"}]}),
        );
        assert_eq!(detect(&labels), Contract::Labels);
        assert_eq!(labels.properties[3].is_searchable, Some(true));
        assert!(validate(&labels, Contract::Labels).is_empty());

        let preview = schema(json!({"properties": [
            {"name": "accounts", "type": "string"}, {"name": "positions", "type": "string"},
            {"name": "favoriteColor", "type": "string"}]}));
        assert_eq!(detect(&preview), Contract::Preview);
        assert!(validate(&preview, Contract::Preview).is_empty());

        let draft = schema(json!({"properties": [
            {"name": "connectionId", "type": "string"}, {"name": "externalId", "type": "string"},
            {"name": "oid", "type": "string"}, {"name": "accounts", "type": "string"},
            {"name": "positions", "type": "string"}]}));
        assert_eq!(detect(&draft), Contract::Draft2025);
        assert!(validate(&draft, Contract::Draft2025).is_empty());

        let plain = schema(json!({"properties": [{"name": "title", "type": "string",
            "labels": ["title"], "isRetrievable": true}]}));
        assert_eq!(detect(&plain), Contract::None);
        assert!(validate(&plain, Contract::None).is_empty());
    }

    #[test]
    fn names() {
        assert_eq!(validate_name("jobTitle2"), Ok(()));
        assert_eq!(validate_name(""), Err(NameError::Empty));
        assert_eq!(validate_name(&"a".repeat(33)), Err(NameError::TooLong(33)));
        for (bad, c) in [
            ("cost center", ' '),
            ("a:b", ':'),
            ("x@y", '@'),
            ("naïve", 'ï'),
            ("a_b", '_'),
        ] {
            assert_eq!(validate_name(bad), Err(NameError::Character(c)), "{bad}");
        }
    }

    #[test]
    fn people_rules() {
        let s = schema(json!({"baseType": "other", "properties": [
            {"name": "acct", "type": "stringCollection", "labels": ["personAccount"]},
            {"name": "acct2", "type": "string", "labels": ["personAccount"]},
            {"name": "boss", "type": "string", "labels": ["personManager"]},
            {"name": "owner", "type": "principal"},
            {"name": "Owner", "type": "string", "aliases": ["bad alias"]},
            {"name": "count", "type": "int64", "isSearchable": true},
            {"name": "text", "type": "string", "isSearchable": true, "isRefinable": "TRUE"},
            {"name": "when", "type": "datetime2"}]}));
        let problems: Vec<String> = validate(&s, Contract::Labels)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            [
                "baseType is \"other\"; it must be \"microsoft.graph.externalItem\"",
                "property \"acct\": label personAccount needs type string, not stringCollection",
                "property \"boss\": label personManager is not supported by people connectors (put relationships in a work position's colleagues instead)",
                "property \"owner\": principal types are not supported by people connectors",
                "alias \"bad alias\" contains ' '; only letters A-Z, a-z and digits 0-9 are allowed",
                "property name \"Owner\" is used more than once",
                "property \"count\": only string and stringCollection properties can be searchable",
                "property \"text\" cannot be both searchable and refinable",
                "property \"when\": unknown type \"datetime2\"",
                "label personAccount is on 2 properties (acct, acct2); a label maps to exactly one",
            ]
        );
        let none = schema(
            json!({"properties": [{"name": "x", "type": "string", "labels": ["personSkills"]}]}),
        );
        assert!(validate(&none, Contract::Labels).contains(&SchemaProblem::MissingAccount));
        assert!(
            validate(&none, Contract::Labels)
                .iter()
                .any(|p| matches!(p, SchemaProblem::LabelType { .. }))
        );
    }

    #[test]
    fn counts() {
        let empty = Schema {
            base_type: BASE_TYPE.into(),
            properties: vec![],
        };
        assert!(validate(&empty, Contract::None).contains(&SchemaProblem::PropertyCount(0)));
        let many = Schema {
            base_type: BASE_TYPE.into(),
            properties: (0..129)
                .map(|i| Property::new(format!("p{i}"), PropertyType::String))
                .collect(),
        };
        assert_eq!(
            validate(&many, Contract::None),
            vec![SchemaProblem::PropertyCount(129)]
        );
    }

    #[test]
    fn preview_fixed_names_must_be_strings() {
        let s = schema(
            json!({"properties": [{"name": "accounts", "type": "stringCollection"},
                                              {"name": "skills", "type": "int64"}]}),
        );
        assert_eq!(
            validate(&s, Contract::Preview)
                .iter()
                .filter(|p| matches!(p, SchemaProblem::FixedNameType { .. }))
                .count(),
            2
        );
        let no_accounts = schema(json!({"properties": [{"name": "positions", "type": "string"}]}));
        assert_eq!(
            validate(&no_accounts, Contract::Preview),
            vec![SchemaProblem::MissingAccounts(Contract::Preview)]
        );
    }

    #[test]
    fn builds_labels_and_preview_schemas() {
        let custom = [CustomProperty {
            name: "costCenter".into(),
            property_type: PropertyType::String,
            description: Some("Cost center code".into()),
        }];
        let s = build_schema(
            Contract::Labels,
            &[EntityKind::Skills, EntityKind::CurrentPosition],
            &custom,
        )
        .expect("valid");
        assert_eq!(
            serde_json::to_value(&s).expect("serialises"),
            json!({"baseType": "microsoft.graph.externalItem", "properties": [
                {"name": "account", "type": "string", "labels": ["personAccount"]},
                {"name": "currentPosition", "type": "string", "labels": ["personCurrentPosition"]},
                {"name": "skills", "type": "stringCollection", "labels": ["personSkills"]},
                {"name": "costCenter", "type": "string", "description": "Cost center code"}]})
        );
        assert_eq!(detect(&s), Contract::Labels);

        let p = build_schema(
            Contract::Preview,
            &[
                EntityKind::CurrentPosition,
                EntityKind::WorkPositions,
                EntityKind::Emails,
            ],
            &[],
        )
        .expect("valid");
        let names: Vec<&str> = p.properties.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["accounts", "positions", "emails"]);
        assert_eq!(detect(&p), Contract::Preview);

        assert_eq!(
            build_schema(Contract::Preview, &[EntityKind::Languages], &[]),
            Err(SchemaError::NotInContract(EntityKind::Languages))
        );
        assert_eq!(
            build_schema(Contract::Draft2025, &[], &[]),
            Err(SchemaError::NotWritable(Contract::Draft2025))
        );
        let clash = [CustomProperty {
            name: "skills".into(),
            property_type: PropertyType::String,
            description: None,
        }];
        assert!(matches!(
            build_schema(Contract::Labels, &[EntityKind::Skills], &clash),
            Err(SchemaError::Invalid(p)) if p == vec![SchemaProblem::DuplicateName("skills".into())]
        ));
    }

    #[test]
    fn content_category() {
        assert_eq!(
            check_content_category(Some("people"), Contract::Labels),
            None
        );
        assert_eq!(
            check_content_category(None, Contract::Labels),
            Some(SchemaProblem::ContentCategory(None))
        );
        assert_eq!(check_content_category(None, Contract::Preview), None);
        assert!(
            SchemaProblem::ContentCategory(Some("crm".into()))
                .to_string()
                .contains("is \"crm\"")
        );
    }

    #[test]
    fn contract_serialises_as_the_cli_says() {
        let names: Vec<String> = [
            Contract::Labels,
            Contract::Preview,
            Contract::Draft2025,
            Contract::None,
        ]
        .iter()
        .map(|c| serde_json::to_string(c).expect("serialises"))
        .collect();
        assert_eq!(
            names,
            ["\"labels\"", "\"preview\"", "\"draft2025\"", "\"none\""]
        );
    }
}
