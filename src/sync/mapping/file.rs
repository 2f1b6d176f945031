//! The mapping file's TOML shape: its tables, the keys each accepts, and column lists.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

use super::KeyKind;
use crate::sync::reader::InputFormat;
/// One column or alternatives, the first present wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns(pub(super) Vec<String>);

impl Columns {
    pub(super) fn names(&self) -> &[String] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Columns {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Columns;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a column name or a list of column names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Columns, E> {
                if v.trim().is_empty() {
                    return Err(E::custom("a column name must not be empty"));
                }
                Ok(Columns(vec![v.trim().to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Columns, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    if name.trim().is_empty() {
                        return Err(de::Error::custom("a column name must not be empty"));
                    }
                    names.push(name.trim().to_owned());
                }
                if names.is_empty() {
                    return Err(de::Error::custom("the list of columns is empty"));
                }
                Ok(Columns(names))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum MissingColumns {
    #[default]
    Error,
    Ignore,
}

#[derive(Debug, Default, Deserialize)]
// `expecting` keeps Rust type names out of messages such as "expected struct KeySection".
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "an [input] table (format, missingColumns, allowControls)"
)]
pub(super) struct InputSection {
    pub(super) format: Option<InputFormat>,
    #[serde(default)]
    pub(super) missing_columns: MissingColumns,
    /// Columns whose values may hold control and format characters.
    #[serde(default)]
    pub(super) allow_controls: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a [key] table (column, kind)"
)]
pub(super) struct KeySection {
    pub(super) column: Spanned<Columns>,
    #[serde(default = "default_kind")]
    pub(super) kind: KeyKind,
}

pub(super) fn default_kind() -> KeyKind {
    KeyKind::UserPrincipalName
}

/// `workPosition` fields: the JSON path under the position and the TOML key.
pub(super) const POSITION_FIELDS: &[(&str, &str)] = &[
    ("jobTitle", "detail.jobTitle"),
    ("role", "detail.role"),
    ("level", "detail.level"),
    ("employeeId", "detail.employeeId"),
    ("employeeType", "detail.employeeType"),
    ("description", "detail.description"),
    ("startMonthYear", "detail.startMonthYear"),
    ("endMonthYear", "detail.endMonthYear"),
    ("companyName", "detail.company.displayName"),
    ("department", "detail.company.department"),
    ("division", "detail.company.division"),
    ("costCenter", "detail.company.costCenter"),
    ("officeLocation", "detail.company.officeLocation"),
    ("manager", "manager.userPrincipalName"),
];

/// `personName` fields (an extension of the demo format).
pub(super) const NAME_FIELDS: &[&str] = &[
    "displayName",
    "first",
    "last",
    "middle",
    "nickname",
    "initials",
    "title",
    "suffix",
    "maiden",
];

/// `physicalAddress` fields of an address (an extension of the demo format).
pub(super) const ADDRESS_FIELDS: &[&str] = &[
    "street",
    "city",
    "state",
    "postalCode",
    "countryOrRegion",
    "postOfficeBox",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum EmailKind {
    Work,
    Personal,
    Main,
    Other,
    Unknown,
}

impl EmailKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Work => "work",
            Self::Personal => "personal",
            Self::Main => "main",
            Self::Other => "other",
            Self::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum PhoneKind {
    Home,
    Business,
    Mobile,
    Other,
    Assistant,
    HomeFax,
    BusinessFax,
    OtherFax,
    Pager,
    Radio,
}

impl PhoneKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::Business => "business",
            Self::Mobile => "mobile",
            Self::Other => "other",
            Self::Assistant => "assistant",
            Self::HomeFax => "homeFax",
            Self::BusinessFax => "businessFax",
            Self::OtherFax => "otherFax",
            Self::Pager => "pager",
            Self::Radio => "radio",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum AddressKind {
    Work,
    Home,
    Other,
}

impl AddressKind {
    /// `physicalAddress.type` (Graph calls a work address `business`).
    pub(super) fn graph_type(self) -> &'static str {
        match self {
            Self::Work => "business",
            Self::Home => "home",
            Self::Other => "other",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a [skills] table (column, separator, proficiency)"
)]
pub(super) struct SkillsSection {
    pub(super) column: Columns,
    #[serde(default = "default_separator")]
    pub(super) separator: Spanned<String>,
    /// One proficiency for every skill (`skillProficiency.proficiency`), when the export has none.
    pub(super) proficiency: Option<Spanned<String>>,
}

pub(super) fn default_separator() -> Spanned<String> {
    Spanned::new(0..0, ";".to_owned())
}

#[derive(Debug, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a [notes] table (column)"
)]
pub(super) struct NotesSection {
    pub(super) column: Columns,
}

#[derive(Debug, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a mapping: TOML tables [key], [position], [emails], ..."
)]
pub(super) struct MappingFile {
    #[serde(default)]
    pub(super) input: InputSection,
    pub(super) key: KeySection,
    #[serde(default)]
    pub(super) position: BTreeMap<Spanned<String>, Columns>,
    #[serde(default)]
    pub(super) names: BTreeMap<Spanned<String>, Columns>,
    #[serde(default)]
    pub(super) emails: BTreeMap<EmailKind, Columns>,
    #[serde(default)]
    pub(super) phones: BTreeMap<PhoneKind, Columns>,
    #[serde(default)]
    pub(super) addresses: BTreeMap<AddressKind, BTreeMap<Spanned<String>, Columns>>,
    pub(super) skills: Option<SkillsSection>,
    pub(super) notes: Option<NotesSection>,
    #[serde(default)]
    pub(super) custom: BTreeMap<Spanned<String>, Columns>,
}

/// Skill proficiencies Graph accepts (`skillProficiency.proficiency`).
pub(super) const PROFICIENCIES: &[&str] = &[
    "elementary",
    "limitedWorking",
    "generalProfessional",
    "advancedProfessional",
    "expert",
];
