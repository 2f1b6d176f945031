//! The mapping file (TOML): which input column feeds the account key, each profile entity field
//! and each custom property; parsing with located errors, and the default mapping.
//!
//! The format is assets/demo/README.md's, extended (every demo file stays valid):
//!
//! ```toml
//! [input]                  # optional
//! format = "csv"           # or "jsonl"; default: from the file extension
//! missingColumns = "error" # or "ignore": drop fields whose column the CSV header lacks
//! allowControls = []       # columns whose values may hold control characters (line
//!                          # breaks, tabs, escapes) or invisible/bidi formatting characters
//!
//! [key]
//! column = "Email"
//! kind = "userPrincipalName"   # or "objectId" (item ids still come from the user's UPN)
//!
//! [position]   # jobTitle role level employeeId employeeType description startMonthYear
//!              # endMonthYear companyName department division costCenter officeLocation manager
//! [names]      # displayName first last middle nickname initials title suffix maiden
//! [emails]     # work personal main other unknown = column; ';' separates several values
//! [phones]     # home business mobile other assistant homeFax businessFax otherFax pager radio
//! [addresses.work]   # also .home and .other: street city state postalCode countryOrRegion
//!                    # postOfficeBox
//! [skills]     # column, separator (default ";"), proficiency (one value for every skill)
//! [notes]      # column: a plain-text note
//! [custom]     # schema property name = column
//! ```
//!
//! Any column value may be a list of alternatives (`work = ["mail", "email"]`): the first
//! column the input has is used. An empty cell means "no value" (the field is left out).
//!
//! A value holding a control character (C0, DEL, C1: a line break, a tab, a terminal escape) or
//! an invisible or reordering format character (U+200B–U+200F, U+202A–U+202E, U+2066–U+2069,
//! U+FEFF, ...; see `crate::text`) is a bad cell: it is reported with its file, line and column
//! and the row is not sent, because such text is echoed later on admins' terminals and people's
//! profile cards. A column meant to carry them (a multi-line note) is named in
//! `[input] allowControls`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_json::{Map, Value, json};
use toml::Spanned;

use super::reader::{Cell, Header, InputFormat, Row, RowError};
use crate::people::entities::EntityKind;
use crate::people::ids::Upn;

/// Longest value accepted in a mapped cell, in characters. Profile fields are short; a longer
/// value is a wrong column or a pasted document.
pub const MAX_VALUE_CHARS: usize = 1024;
/// Longest note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 16 * 1024;
/// Largest mapping file read. Real ones are a few KiB; a bigger file is the wrong file.
pub const MAX_MAPPING_BYTES: u64 = 1024 * 1024;

/// The mapping used when none is given; `peoplectl sync --print-default-mapping` prints it.
pub fn default_mapping_toml() -> &'static str {
    DEFAULT_MAPPING
}

const DEFAULT_MAPPING: &str = r#"# peoplectl sync: the default mapping, used when --mapping is not given.
# Each value names an input column (a CSV header or a JSON Lines key). Names match exactly, then
# ignoring case. A list names alternatives: the first column the file has is used.

[input]
# Columns this mapping names but the file lacks are skipped ("error" refuses the file instead).
missingColumns = "ignore"

[key]                            # the column that identifies the person
column = "userPrincipalName"
kind = "userPrincipalName"       # or "objectId"

[position]                       # workPosition.detail and its company
jobTitle = "jobTitle"
department = "department"
officeLocation = "officeLocation"
companyName = "companyName"
employeeId = "employeeId"

[emails]                         # itemEmail by type; ';' separates several addresses
work = ["mail", "email"]

[phones]                         # itemPhone by type
mobile = "mobilePhone"

[skills]                         # skillProficiency.displayName, one per separated value
column = "skills"
separator = ";"
"#;

/// A mapping that could not be used, located in its file.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}, line {line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
    /// The mapping names a column the input does not have.
    #[error(
        "{file}: the mapping's {key} names column '{column}', which the input does not have (columns: {available})"
    )]
    MissingColumn {
        file: String,
        key: String,
        column: String,
        available: String,
    },
}

/// How the person is identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum KeyKind {
    UserPrincipalName,
    ObjectId,
}

/// One column or alternatives, the first present wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns(Vec<String>);

impl Columns {
    fn names(&self) -> &[String] {
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
enum MissingColumns {
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
struct InputSection {
    format: Option<InputFormat>,
    #[serde(default)]
    missing_columns: MissingColumns,
    /// Columns whose values may hold control and format characters.
    #[serde(default)]
    allow_controls: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a [key] table (column, kind)"
)]
struct KeySection {
    column: Spanned<Columns>,
    #[serde(default = "default_kind")]
    kind: KeyKind,
}

fn default_kind() -> KeyKind {
    KeyKind::UserPrincipalName
}

/// `workPosition` fields: the JSON path under the position and the TOML key.
const POSITION_FIELDS: &[(&str, &str)] = &[
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
const NAME_FIELDS: &[&str] = &[
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
const ADDRESS_FIELDS: &[&str] = &[
    "street",
    "city",
    "state",
    "postalCode",
    "countryOrRegion",
    "postOfficeBox",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "camelCase")]
enum EmailKind {
    Work,
    Personal,
    Main,
    Other,
    Unknown,
}

impl EmailKind {
    fn as_str(self) -> &'static str {
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
enum PhoneKind {
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
    fn as_str(self) -> &'static str {
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
enum AddressKind {
    Work,
    Home,
    Other,
}

impl AddressKind {
    /// `physicalAddress.type` (Graph calls a work address `business`).
    fn graph_type(self) -> &'static str {
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
struct SkillsSection {
    column: Columns,
    #[serde(default = "default_separator")]
    separator: Spanned<String>,
    /// One proficiency for every skill (`skillProficiency.proficiency`), when the export has none.
    proficiency: Option<Spanned<String>>,
}

fn default_separator() -> Spanned<String> {
    Spanned::new(0..0, ";".to_owned())
}

#[derive(Debug, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a [notes] table (column)"
)]
struct NotesSection {
    column: Columns,
}

#[derive(Debug, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a mapping: TOML tables [key], [position], [emails], ..."
)]
struct MappingFile {
    #[serde(default)]
    input: InputSection,
    key: KeySection,
    #[serde(default)]
    position: BTreeMap<Spanned<String>, Columns>,
    #[serde(default)]
    names: BTreeMap<Spanned<String>, Columns>,
    #[serde(default)]
    emails: BTreeMap<EmailKind, Columns>,
    #[serde(default)]
    phones: BTreeMap<PhoneKind, Columns>,
    #[serde(default)]
    addresses: BTreeMap<AddressKind, BTreeMap<Spanned<String>, Columns>>,
    skills: Option<SkillsSection>,
    notes: Option<NotesSection>,
    #[serde(default)]
    custom: BTreeMap<Spanned<String>, Columns>,
}

/// One mapped field: where it goes and which columns may feed it.
#[derive(Debug, Clone)]
struct Field {
    /// The mapping key, for errors: `position.jobTitle`.
    key: String,
    columns: Columns,
}

#[derive(Debug, Clone)]
struct Skills {
    field: Field,
    separator: String,
    proficiency: Option<String>,
}

/// A parsed mapping file.
#[derive(Debug, Clone)]
pub struct Mapping {
    file: String,
    format: Option<InputFormat>,
    ignore_missing: bool,
    /// Columns whose values may hold control and format characters (`[input] allowControls`).
    allow_controls: Vec<String>,
    key_kind: KeyKind,
    key: Field,
    /// (JSON path under the position, field).
    position: Vec<(&'static str, Field)>,
    names: Vec<(&'static str, Field)>,
    emails: Vec<(&'static str, Field)>,
    phones: Vec<(&'static str, Field)>,
    addresses: Vec<(&'static str, Vec<(&'static str, Field)>)>,
    skills: Option<Skills>,
    notes: Option<Field>,
    custom: Vec<(String, Field)>,
}

/// Skill proficiencies Graph accepts (`skillProficiency.proficiency`).
const PROFICIENCIES: &[&str] = &[
    "elementary",
    "limitedWorking",
    "generalProfessional",
    "advancedProfessional",
    "expert",
];

fn line_of(text: &str, offset: usize) -> usize {
    bytecount_lines(&text.as_bytes()[..offset.min(text.len())])
}

/// The 1-based line the byte after `before` is on.
#[allow(clippy::naive_bytecount)] // mapping files are small; not worth a dependency
fn bytecount_lines(before: &[u8]) -> usize {
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

/// A TOML error's message, led by the key it is about when the message does not name it
/// (`` `skills.column`: invalid type: integer `3`, ... ``).
fn toml_message(e: &toml::de::Error) -> String {
    let message = e.message().trim();
    // Without its input, the error's Display is the message plus "in `a.b`" naming the key.
    let mut bare = e.clone();
    bare.set_input(None);
    let text = bare.to_string();
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("in `").and_then(|k| k.strip_suffix('`')));
    match key {
        Some(key) if !key.is_empty() => format!("`{key}`: {message}"),
        _ => message.to_owned(),
    }
}

impl Mapping {
    /// The default mapping (see [`default_mapping_toml`]).
    pub fn default_mapping() -> Self {
        // The default text is ours and covered by a test; failing here is a build defect.
        Self::parse("default mapping", DEFAULT_MAPPING).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Reads and parses a mapping file.
    pub fn load(path: &Path) -> Result<Self, MappingError> {
        use std::io::Read;
        let file = path.display().to_string();
        let io_error = |source| MappingError::Io {
            file: file.clone(),
            source,
        };
        let mut bytes = Vec::new();
        // Read one byte past the limit to tell "at the limit" from "over it" without
        // loading a wrongly named multi-gigabyte file.
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_MAPPING_BYTES + 1).read_to_end(&mut bytes))
            .map_err(io_error)?;
        if bytes.len() as u64 > MAX_MAPPING_BYTES {
            return Err(MappingError::Invalid {
                file,
                line: 1,
                message: format!(
                    "the file is larger than {} KiB, which no mapping is; is it the data file?",
                    MAX_MAPPING_BYTES / 1024
                ),
            });
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            MappingError::Invalid {
                file: file.clone(),
                line: bytecount_lines(valid),
                message: "the file is not UTF-8 text".into(),
            }
        })?;
        Self::parse(&file, &text)
    }

    /// Parses mapping text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, MappingError> {
        let invalid = |offset: usize, message: String| MappingError::Invalid {
            file: file.to_owned(),
            line: line_of(text, offset),
            message,
        };
        let raw: MappingFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            invalid(offset, toml_message(&e))
        })?;

        let mut position = Vec::new();
        for (name, columns) in raw.position {
            let Some((_, path)) = POSITION_FIELDS.iter().find(|(k, _)| *k == name.get_ref()) else {
                let known: Vec<&str> = POSITION_FIELDS.iter().map(|(k, _)| *k).collect();
                return Err(invalid(
                    name.span().start,
                    format!(
                        "unknown key `{}` in [position], expected one of {}",
                        name.get_ref(),
                        known.join(", ")
                    ),
                ));
            };
            position.push((
                *path,
                Field {
                    key: format!("position.{}", name.get_ref()),
                    columns,
                },
            ));
        }

        let mut names = Vec::new();
        for (name, columns) in raw.names {
            let Some(field) = NAME_FIELDS.iter().find(|k| **k == name.get_ref()) else {
                return Err(invalid(
                    name.span().start,
                    format!(
                        "unknown key `{}` in [names], expected one of {}",
                        name.get_ref(),
                        NAME_FIELDS.join(", ")
                    ),
                ));
            };
            names.push((
                *field,
                Field {
                    key: format!("names.{field}"),
                    columns,
                },
            ));
        }

        let emails = raw
            .emails
            .into_iter()
            .map(|(kind, columns)| {
                (
                    kind.as_str(),
                    Field {
                        key: format!("emails.{}", kind.as_str()),
                        columns,
                    },
                )
            })
            .collect();
        let phones = raw
            .phones
            .into_iter()
            .map(|(kind, columns)| {
                (
                    kind.as_str(),
                    Field {
                        key: format!("phones.{}", kind.as_str()),
                        columns,
                    },
                )
            })
            .collect();

        let mut addresses = Vec::new();
        for (kind, fields) in raw.addresses {
            let mut mapped = Vec::new();
            for (name, columns) in fields {
                let Some(field) = ADDRESS_FIELDS.iter().find(|k| **k == name.get_ref()) else {
                    return Err(invalid(
                        name.span().start,
                        format!(
                            "unknown key `{}` in an address, expected one of {}",
                            name.get_ref(),
                            ADDRESS_FIELDS.join(", ")
                        ),
                    ));
                };
                mapped.push((
                    *field,
                    Field {
                        key: format!("addresses.{}.{field}", kind.graph_type()),
                        columns,
                    },
                ));
            }
            addresses.push((kind.graph_type(), mapped));
        }

        let skills = match raw.skills {
            None => None,
            Some(s) => {
                if s.separator.get_ref().is_empty() {
                    return Err(invalid(
                        s.separator.span().start,
                        "`separator` in [skills] must not be empty".into(),
                    ));
                }
                if let Some(p) = &s.proficiency {
                    if !PROFICIENCIES.contains(&p.get_ref().as_str()) {
                        return Err(invalid(
                            p.span().start,
                            format!(
                                "`proficiency` in [skills] is '{}', expected one of {}",
                                p.get_ref(),
                                PROFICIENCIES.join(", ")
                            ),
                        ));
                    }
                }
                Some(Skills {
                    field: Field {
                        key: "skills.column".into(),
                        columns: s.column,
                    },
                    separator: s.separator.into_inner(),
                    proficiency: s.proficiency.map(Spanned::into_inner),
                })
            }
        };

        let mut custom = Vec::new();
        for (name, columns) in raw.custom {
            if let Err(reason) = check_property_name(name.get_ref()) {
                return Err(invalid(
                    name.span().start,
                    format!("custom property `{}`: {reason}", name.get_ref()),
                ));
            }
            custom.push((
                name.get_ref().clone(),
                Field {
                    key: format!("custom.{}", name.get_ref()),
                    columns,
                },
            ));
        }

        Ok(Self {
            file: file.to_owned(),
            format: raw.input.format,
            ignore_missing: raw.input.missing_columns == MissingColumns::Ignore,
            allow_controls: raw.input.allow_controls,
            key_kind: raw.key.kind,
            key: Field {
                key: "key.column".into(),
                columns: raw.key.column.into_inner(),
            },
            position,
            names,
            emails,
            phones,
            addresses,
            skills,
            notes: raw.notes.map(|n| Field {
                key: "notes.column".into(),
                columns: n.column,
            }),
            custom,
        })
    }

    /// The file the mapping came from (or "default mapping").
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The input format the mapping asks for, if it says.
    pub fn format(&self) -> Option<InputFormat> {
        self.format
    }

    /// How people are keyed.
    pub fn key_kind(&self) -> KeyKind {
        self.key_kind
    }

    /// The names of the custom properties this mapping fills.
    pub fn custom_properties(&self) -> impl Iterator<Item = &str> {
        self.custom.iter().map(|(name, _)| name.as_str())
    }

    fn fields_mut(&mut self) -> Vec<&mut Field> {
        let mut all = vec![&mut self.key];
        all.extend(self.position.iter_mut().map(|(_, f)| f));
        all.extend(self.names.iter_mut().map(|(_, f)| f));
        all.extend(self.emails.iter_mut().map(|(_, f)| f));
        all.extend(self.phones.iter_mut().map(|(_, f)| f));
        for (_, fields) in &mut self.addresses {
            all.extend(fields.iter_mut().map(|(_, f)| f));
        }
        if let Some(s) = &mut self.skills {
            all.push(&mut s.field);
        }
        if let Some(n) = &mut self.notes {
            all.push(n);
        }
        all.extend(self.custom.iter_mut().map(|(_, f)| f));
        all
    }

    /// Fixes each field to the one column a CSV header has. A column the header lacks is an
    /// error (the key always; others unless the mapping says `missingColumns = "ignore"`, in
    /// which case the field is dropped). JSON Lines keys vary by line, so nothing is fixed then.
    pub fn bind(&self, header: Option<&Header>) -> Result<Self, MappingError> {
        let Some(header) = header else {
            return Ok(self.clone());
        };
        let mut bound = self.clone();
        let ignore = bound.ignore_missing;
        let file = bound.file.clone();
        let mut drop = Vec::new();
        for field in bound.fields_mut() {
            match field
                .columns
                .names()
                .iter()
                .find(|c| header.position(c).is_some())
            {
                Some(found) => field.columns = Columns(vec![found.clone()]),
                None if ignore && field.key != "key.column" => {
                    drop.push(field.key.clone());
                }
                None => {
                    // Header names come from the file: shown inertly, whatever they hold.
                    return Err(MappingError::MissingColumn {
                        file,
                        key: field.key.clone(),
                        column: crate::text::shown(&field.columns.names().join("' or '"))
                            .into_owned(),
                        available: crate::text::shown(&header.names().join(", ")).into_owned(),
                    });
                }
            }
        }
        let keep = |f: &Field| !drop.contains(&f.key);
        bound.position.retain(|(_, f)| keep(f));
        bound.names.retain(|(_, f)| keep(f));
        bound.emails.retain(|(_, f)| keep(f));
        bound.phones.retain(|(_, f)| keep(f));
        for (_, fields) in &mut bound.addresses {
            fields.retain(|(_, f)| keep(f));
        }
        bound.addresses.retain(|(_, fields)| !fields.is_empty());
        if bound.skills.as_ref().is_some_and(|s| !keep(&s.field)) {
            bound.skills = None;
        }
        if bound.notes.as_ref().is_some_and(|n| !keep(n)) {
            bound.notes = None;
        }
        bound.custom.retain(|(_, f)| keep(f));
        Ok(bound)
    }

    /// Maps one row to a person; every problem found is returned, not just the first, with
    /// the row's key when it could be read (a bad row still names its person).
    pub fn map_row(&self, row: &Row) -> Result<MappedPerson, RowFailure> {
        let mut cx = RowCx {
            row,
            errors: Vec::new(),
            allow_controls: &self.allow_controls,
        };
        let key = cx.key(&self.key, self.key_kind);
        let mut person = MappedPerson {
            line: row.line(),
            key_column: String::new(),
            key: PersonKey::ObjectId(String::new()),
            position: None,
            name: None,
            emails: Vec::new(),
            phones: Vec::new(),
            addresses: Vec::new(),
            skills: Vec::new(),
            note: None,
            custom: BTreeMap::new(),
            origins: Vec::new(),
        };

        let mut position = Map::new();
        for (path, field) in &self.position {
            if let Some((column, value)) = cx.text(field, MAX_VALUE_CHARS) {
                if *path == "manager.userPrincipalName" {
                    if let Err(e) = Upn::new(value.clone()) {
                        cx.fail(&column, format!("the manager is not a valid UPN: {e}"));
                        continue;
                    }
                }
                set_path(&mut position, path, Value::String(value));
                person.origins.push((format!("position.{path}"), column));
            }
        }
        if !position.is_empty() {
            position.insert("isCurrent".into(), Value::Bool(true));
            person.position = Some(Value::Object(position));
        }

        let mut name = Map::new();
        for (field_name, field) in &self.names {
            if let Some((column, value)) = cx.text(field, MAX_VALUE_CHARS) {
                name.insert((*field_name).to_owned(), Value::String(value));
                person.origins.push((format!("name.{field_name}"), column));
            }
        }
        if !name.is_empty() {
            person.name = Some(Value::Object(name));
        }

        for (kind, field) in &self.emails {
            for (column, address) in cx.list(field, ";", MAX_VALUE_CHARS) {
                person
                    .origins
                    .push((format!("emails[{}]", person.emails.len()), column));
                person
                    .emails
                    .push(json!({"address": address, "type": kind}));
            }
        }
        for (kind, field) in &self.phones {
            for (column, number) in cx.list(field, ";", MAX_VALUE_CHARS) {
                person
                    .origins
                    .push((format!("phones[{}]", person.phones.len()), column));
                person.phones.push(json!({"number": number, "type": kind}));
            }
        }
        for (kind, fields) in &self.addresses {
            let mut detail = Map::new();
            let mut first_column = None;
            for (field_name, field) in fields {
                if let Some((column, value)) = cx.text(field, MAX_VALUE_CHARS) {
                    detail.insert((*field_name).to_owned(), Value::String(value));
                    first_column.get_or_insert(column);
                }
            }
            if let Some(column) = first_column {
                detail.insert("type".into(), Value::String((*kind).to_owned()));
                person
                    .origins
                    .push((format!("addresses[{}]", person.addresses.len()), column));
                person.addresses.push(json!({ "detail": detail }));
            }
        }
        if let Some(skills) = &self.skills {
            for (column, skill) in cx.list(&skills.field, &skills.separator, MAX_VALUE_CHARS) {
                person
                    .origins
                    .push((format!("skills[{}]", person.skills.len()), column));
                let mut entity = json!({ "displayName": skill });
                if let Some(p) = &skills.proficiency {
                    entity["proficiency"] = Value::String(p.clone());
                }
                person.skills.push(entity);
            }
        }
        if let Some(notes) = &self.notes {
            if let Some((column, text)) = cx.text(notes, MAX_NOTE_CHARS) {
                person.origins.push(("note".into(), column));
                person.note = Some(json!({"detail": {"content": text, "contentType": "text"}}));
            }
        }
        for (property, field) in &self.custom {
            if let Some((column, value)) = cx.text(field, MAX_VALUE_CHARS) {
                person.origins.push((format!("custom.{property}"), column));
                person.custom.insert(property.clone(), value);
            }
        }

        match key {
            Some((column, key)) if cx.errors.is_empty() => {
                person.key_column = column;
                person.key = key;
                Ok(person)
            }
            key => Err(RowFailure {
                key: key.map(|(_, k)| k),
                errors: cx.errors,
            }),
        }
    }

    /// The kinds of profile entity this mapping fills.
    pub fn kinds(&self) -> Vec<EntityKind> {
        let mut kinds = Vec::new();
        if !self.position.is_empty() {
            kinds.push(EntityKind::CurrentPosition);
        }
        if !self.names.is_empty() {
            kinds.push(EntityKind::Name);
        }
        if self.notes.is_some() {
            kinds.push(EntityKind::Note);
        }
        if !self.addresses.is_empty() {
            kinds.push(EntityKind::Addresses);
        }
        if !self.emails.is_empty() {
            kinds.push(EntityKind::Emails);
        }
        if !self.phones.is_empty() {
            kinds.push(EntityKind::Phones);
        }
        if self.skills.is_some() {
            kinds.push(EntityKind::Skills);
        }
        kinds
    }

    /// The mapping without the fields of some entity kinds (the default mapping drops what a
    /// connection's schema has no property for).
    #[must_use]
    pub fn without_kinds(&self, kinds: &[EntityKind]) -> Self {
        let mut m = self.clone();
        for kind in kinds {
            match kind {
                EntityKind::CurrentPosition => m.position.clear(),
                EntityKind::Name => m.names.clear(),
                EntityKind::Note => m.notes = None,
                EntityKind::Addresses => m.addresses.clear(),
                EntityKind::Emails => m.emails.clear(),
                EntityKind::Phones => m.phones.clear(),
                EntityKind::Skills => m.skills = None,
                _ => {}
            }
        }
        m
    }

    /// Whether this is the built-in default mapping (which adapts to the input and the
    /// schema rather than insisting).
    pub fn is_lenient(&self) -> bool {
        self.ignore_missing
    }
}

/// A Graph schema property name: 1–32 ASCII letters and digits (graph-api §2.4).
fn check_property_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if len == 0 || len > 32 {
        return Err(format!(
            "a property name is 1 to 32 characters, this one is {len}"
        ));
    }
    if let Some(c) = name.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(format!(
            "a property name holds only letters and digits, not {c:?}"
        ));
    }
    Ok(())
}

fn set_path(target: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut node = target;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node.insert(part.to_owned(), value);
            return;
        }
        let next = node
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        let Value::Object(map) = next else { return };
        node = map;
    }
}

struct RowCx<'a> {
    row: &'a Row,
    errors: Vec<RowError>,
    allow_controls: &'a [String],
}

impl RowCx<'_> {
    fn fail(&mut self, column: &str, reason: String) {
        self.errors.push(RowError {
            line: self.row.line(),
            column: Some(column.to_owned()),
            reason,
        });
    }

    /// The first present column of a field and its value.
    fn cell(&mut self, field: &Field) -> Option<(String, Cell)> {
        for column in field.columns.names() {
            match self.row.cell(column) {
                Ok(Some(cell)) => return Some((column.clone(), cell)),
                Ok(None) => {}
                Err(e) => {
                    self.errors.push(e);
                    return None;
                }
            }
        }
        None
    }

    /// Length and characters: a value is too long, or holds a control or format character
    /// its column is not allowed (see the module docs), or is fine.
    fn check_len(&mut self, column: &str, value: &str, max: usize) -> bool {
        let len = value.chars().count();
        if len > max {
            self.fail(
                column,
                format!("the value is {len} characters long; at most {max} are accepted"),
            );
            return false;
        }
        self.check_chars(column, value)
    }

    fn check_chars(&mut self, column: &str, value: &str) -> bool {
        let Some((at, c)) = value
            .chars()
            .enumerate()
            .find(|(_, c)| crate::text::is_unsafe(*c))
        else {
            return true;
        };
        if self.allow_controls.iter().any(|a| a == column) {
            return true;
        }
        self.fail(
            column,
            format!(
                "the value holds the control or invisible formatting character U+{:04X} at character {}; \
                 if this column is meant to carry such characters, name it in [input] allowControls",
                u32::from(c),
                at + 1
            ),
        );
        false
    }

    fn text(&mut self, field: &Field, max: usize) -> Option<(String, String)> {
        let (column, cell) = self.cell(field)?;
        match cell {
            Cell::Text(text) => self
                .check_len(&column, &text, max)
                .then_some((column, text)),
            Cell::List(_) => {
                self.fail(&column, "a list where one value was expected".into());
                None
            }
        }
    }

    fn list(&mut self, field: &Field, separator: &str, max: usize) -> Vec<(String, String)> {
        let Some((column, cell)) = self.cell(field) else {
            return Vec::new();
        };
        let values: Vec<String> = match cell {
            Cell::Text(text) => text
                .split(separator)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect(),
            Cell::List(items) => items,
        };
        let mut out = Vec::with_capacity(values.len());
        for value in values {
            if self.check_len(&column, &value, max) {
                out.push((column.clone(), value));
            }
        }
        out
    }

    fn key(&mut self, field: &Field, kind: KeyKind) -> Option<(String, PersonKey)> {
        let Some((column, cell)) = self.cell(field) else {
            let column = field.columns.names().join(" or ");
            self.fail(
                &column,
                "the key is missing: the row cannot be matched to a person".into(),
            );
            return None;
        };
        let Cell::Text(text) = cell else {
            self.fail(&column, "the key is a list; it must be one value".into());
            return None;
        };
        if !self.check_chars(&column, &text) {
            return None;
        }
        match kind {
            KeyKind::UserPrincipalName => match Upn::new(text) {
                Ok(upn) => Some((column, PersonKey::Upn(upn))),
                Err(e) => {
                    self.fail(&column, format!("the key is malformed: {e}"));
                    None
                }
            },
            KeyKind::ObjectId => {
                if let Ok(id) = uuid::Uuid::parse_str(&text) {
                    Some((column, PersonKey::ObjectId(id.hyphenated().to_string())))
                } else {
                    self.fail(
                        &column,
                        format!("the key '{text}' is malformed: an object id is a GUID"),
                    );
                    None
                }
            }
        }
    }
}

/// A row that cannot be used, with its key when the key itself was fine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowFailure {
    pub key: Option<PersonKey>,
    pub errors: Vec<RowError>,
}

/// How a row names its person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonKey {
    Upn(Upn),
    /// Lowercase hyphenated GUID.
    ObjectId(String),
}

impl PersonKey {
    /// The key as compared for duplicates: lowercase.
    pub fn normalized(&self) -> String {
        match self {
            Self::Upn(upn) => upn.normalized(),
            Self::ObjectId(id) => id.clone(),
        }
    }
}

impl fmt::Display for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Upn(upn) => f.write_str(upn.as_str()),
            Self::ObjectId(id) => f.write_str(id),
        }
    }
}

/// One row mapped to profile entities, in Graph's JSON shapes (graph-api §4.4), before the
/// entity rules check it.
#[derive(Debug, Clone)]
pub struct MappedPerson {
    pub line: u64,
    pub key_column: String,
    pub key: PersonKey,
    /// `workPosition` (`isCurrent: true`).
    pub position: Option<Value>,
    /// `personName`.
    pub name: Option<Value>,
    /// `itemEmail`s.
    pub emails: Vec<Value>,
    /// `itemPhone`s.
    pub phones: Vec<Value>,
    /// `itemAddress`es.
    pub addresses: Vec<Value>,
    /// `skillProficiency`s.
    pub skills: Vec<Value>,
    /// `personAnnotation`.
    pub note: Option<Value>,
    /// Custom (unlabelled) properties.
    pub custom: BTreeMap<String, String>,
    /// Where each value came from: (path such as `position.detail.startMonthYear` or
    /// `emails[3]`, column), so entity errors can name the column.
    pub origins: Vec<(String, String)>,
}

impl MappedPerson {
    /// The column a path (or the closest enclosing path) was read from; for a list as a whole
    /// (`emails`: too many), the column of its last entry, the one that overflowed.
    pub fn column_of(&self, path: &str) -> Option<&str> {
        let mut best: Option<&(String, String)> = None;
        for origin in &self.origins {
            let matches = path == origin.0
                || path.starts_with(&origin.0) && path[origin.0.len()..].starts_with(['.', '['])
                || origin.0.starts_with(path) && origin.0[path.len()..].starts_with(['.', '[']);
            if matches && best.is_none_or(|b| origin.0.len() >= b.0.len()) {
                best = Some(origin);
            }
        }
        best.map(|(_, c)| c.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::reader::RowReader;

    const DEMO: &str = include_str!("../../assets/demo/hr-mapping.toml");

    fn csv_rows(mapping: &Mapping, text: &'static str) -> (Mapping, Vec<Row>) {
        let mut reader =
            RowReader::from_reader("t.csv".into(), Box::new(text.as_bytes()), InputFormat::Csv)
                .unwrap();
        let bound = mapping.bind(reader.header()).unwrap();
        let mut rows = Vec::new();
        while let Some(row) = reader.next_row().unwrap() {
            rows.push(row.unwrap());
        }
        (bound, rows)
    }

    #[test]
    fn the_demo_mapping_parses() {
        let m = Mapping::parse("hr-mapping.toml", DEMO).unwrap();
        assert_eq!(m.key_kind(), KeyKind::UserPrincipalName);
        assert_eq!(m.custom_properties().collect::<Vec<_>>(), ["costCenter"]);
        assert_eq!(m.position.len(), 9);
    }

    #[test]
    fn the_default_mapping_parses_and_skips_columns_the_file_lacks() {
        let m = Mapping::default_mapping();
        let (bound, rows) = csv_rows(
            &m,
            "userPrincipalName,jobTitle,email,skills\na@x.com,Dev,a@x.com;a2@x.com,Rust; Go ;\n",
        );
        let p = bound.map_row(&rows[0]).unwrap();
        assert_eq!(p.key, PersonKey::Upn(Upn::new("a@x.com").unwrap()));
        assert_eq!(
            p.position,
            Some(json!({"detail": {"jobTitle": "Dev"}, "isCurrent": true}))
        );
        assert_eq!(
            p.emails,
            vec![
                json!({"address": "a@x.com", "type": "work"}),
                json!({"address": "a2@x.com", "type": "work"})
            ]
        );
        assert_eq!(
            p.skills,
            vec![json!({"displayName": "Rust"}), json!({"displayName": "Go"})]
        );
        assert_eq!(p.column_of("emails[1].address"), Some("email"));
        assert_eq!(p.column_of("position.detail.jobTitle"), Some("jobTitle"));
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_file_line_and_key() {
        let text = "[key]\ncolumn = \"Email\"\n\n[position]\njobTitle = \"Title\"\nfavouriteColour = \"C\"\n";
        let e = Mapping::parse("m.toml", text).unwrap_err().to_string();
        assert!(e.starts_with("m.toml, line 6:"), "{e}");
        assert!(e.contains("favouriteColour"), "{e}");

        let text = "[key]\ncolumn = \"Email\"\nkind = \"email\"\n";
        let e = Mapping::parse("m.toml", text).unwrap_err().to_string();
        assert!(e.starts_with("m.toml, line 3:"), "{e}");
        assert!(e.contains("email"), "{e}");

        let text = "[key]\ncolumn = \"Email\"\n[skills]\ncolumn = 3\n";
        let e = Mapping::parse("m.toml", text).unwrap_err().to_string();
        assert!(e.starts_with("m.toml, line 4:"), "{e}");
        assert!(e.contains("column name"), "{e}");

        let text = "[key]\ncolumn = \"Email\"\n[phones]\nsatellite = \"Sat\"\n";
        let e = Mapping::parse("m.toml", text).unwrap_err().to_string();
        assert!(e.starts_with("m.toml, line 4:"), "{e}");
        assert!(e.contains("satellite"), "{e}");

        let text = "[key]\ncolumn = \"Email\"\n[custom]\n\"cost-center\" = \"CC\"\n";
        let e = Mapping::parse("m.toml", text).unwrap_err().to_string();
        assert!(e.starts_with("m.toml, line 4:"), "{e}");
        assert!(e.contains("cost-center"), "{e}");

        let text = "[position]\njobTitle = \"T\"\n";
        let e = Mapping::parse("m.toml", text).unwrap_err().to_string();
        assert!(e.contains("key"), "{e}");

        let text = "[key]\ncolumn = \"E\"\n[skills]\ncolumn = \"S\"\nproficiency = \"guru\"\n";
        let e = Mapping::parse("m.toml", text).unwrap_err().to_string();
        assert!(e.starts_with("m.toml, line 5:"), "{e}");
        assert!(e.contains("guru"), "{e}");
    }

    #[test]
    fn a_column_missing_from_the_header_is_an_error_for_explicit_mappings() {
        let m = Mapping::parse("hr-mapping.toml", DEMO).unwrap();
        let reader = RowReader::from_reader(
            "x.csv".into(),
            Box::new(&b"Email,Job Title\n"[..]),
            InputFormat::Csv,
        )
        .unwrap();
        let e = m.bind(reader.header()).unwrap_err().to_string();
        assert!(e.contains("hr-mapping.toml"), "{e}");
        assert!(e.contains("position."), "{e}");
    }

    #[test]
    fn the_demo_mapping_maps_a_demo_row() {
        let m = Mapping::parse("hr-mapping.toml", DEMO).unwrap();
        let header = "Employee ID,Email,First Name,Last Name,Job Title,Department,Office,Company,Employee Type,Cost Center,Hire Date,Manager Email,Mobile,Work Phone,Other Emails,Skills\n";
        let row = "E1,Zoe.Mueller@contoso.com,Zoë,Müller,Researcher,Research,Munich,Contoso Research GmbH,Employee,CC3100,2020-02-03,boss@contoso.com,+49 1,+49 2,zoe@contoso-research.de,ML;Stats\n";
        let text: &'static str = format!("{header}{row}").leak();
        let (bound, rows) = csv_rows(&m, text);
        let p = bound.map_row(&rows[0]).unwrap();
        assert_eq!(p.key.normalized(), "zoe.mueller@contoso.com");
        assert_eq!(p.key_column, "Email");
        let position = p.position.clone().unwrap();
        assert_eq!(position["detail"]["startMonthYear"], "2020-02-03");
        assert_eq!(position["detail"]["company"]["costCenter"], "CC3100");
        assert_eq!(position["manager"]["userPrincipalName"], "boss@contoso.com");
        assert_eq!(p.emails.len(), 2);
        assert_eq!(p.emails[1]["type"], "other");
        assert_eq!(p.phones.len(), 2);
        assert_eq!(
            p.custom.get("costCenter").map(String::as_str),
            Some("CC3100")
        );
        assert_eq!(
            p.column_of("position.detail.startMonthYear"),
            Some("Hire Date")
        );
    }

    #[test]
    fn control_and_bidi_characters_are_bad_cells_unless_the_column_allows_them() {
        let text: &'static str = "Email,Title,Notes,\u{202e}Dept\x1b[2J\n\
            a@contoso.com,\"\x1b]52;c;eA==\x07Engineer\",\"line one\nline two\",Sales\n\
            b@contoso.com,Abc\u{202e}def,ok,Sales\n\
            c@contoso.com,Clean,ok,Sales\n";
        let plain = Mapping::parse(
            "m.toml",
            "[key]\ncolumn = \"Email\"\n[position]\njobTitle = \"Title\"\n[notes]\ncolumn = \"Notes\"\n",
        )
        .unwrap();
        let (bound, rows) = csv_rows(&plain, text);
        // Row 2: the title and the multi-line note are both reported; the key is kept.
        let failure = bound.map_row(&rows[0]).unwrap_err();
        assert!(failure.key.is_some());
        let columns: Vec<_> = failure
            .errors
            .iter()
            .map(|e| e.column.clone().unwrap())
            .collect();
        assert_eq!(columns, ["Title", "Notes"]);
        assert_eq!(failure.errors[0].line, 2);
        assert!(
            failure.errors[0].reason.contains("U+001B at character 1"),
            "{}",
            failure.errors[0].reason
        );
        assert!(failure.errors[0].reason.contains("allowControls"));
        let errors = bound.map_row(&rows[1]).unwrap_err().errors;
        assert!(
            errors[0].reason.contains("U+202E at character 4"),
            "{}",
            errors[0].reason
        );
        // The file goes on: the clean row maps.
        assert!(bound.map_row(&rows[2]).is_ok());

        let allowing = Mapping::parse(
            "m.toml",
            "[input]\nallowControls = [\"Notes\"]\n[key]\ncolumn = \"Email\"\n[position]\njobTitle = \"Title\"\n[notes]\ncolumn = \"Notes\"\n",
        )
        .unwrap();
        let (bound, rows) = csv_rows(&allowing, text);
        let errors = bound.map_row(&rows[0]).unwrap_err().errors;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].column.as_deref(), Some("Title"));

        // A header with controls is named inertly in the error that names it.
        let m = Mapping::parse(
            "m.toml",
            "[key]\ncolumn = \"Email\"\n[position]\ndepartment = \"Dept\"\n",
        )
        .unwrap();
        let reader =
            RowReader::from_reader("t.csv".into(), Box::new(text.as_bytes()), InputFormat::Csv)
                .unwrap();
        let message = m.bind(reader.header()).unwrap_err().to_string();
        assert!(message.contains("\\u{202e}Dept␛[2J"), "{message}");
        assert!(!message.chars().any(crate::text::is_unsafe), "{message}");
    }

    #[test]
    fn row_errors_cover_key_and_oversize_values_together() {
        let m = Mapping::parse(
            "m.toml",
            "[key]\ncolumn = \"Email\"\n[position]\njobTitle = \"Title\"\nmanager = \"Boss\"\n",
        )
        .unwrap();
        let long = "x".repeat(MAX_VALUE_CHARS + 1);
        let text: &'static str =
            format!("Email,Title,Boss\n,{long},nobody\nnot-an-upn,T,\n").leak();
        let (bound, rows) = csv_rows(&m, text);
        let failure = bound.map_row(&rows[0]).unwrap_err();
        assert_eq!(failure.key, None);
        let errors = failure.errors;
        let columns: Vec<_> = errors.iter().map(|e| e.column.clone().unwrap()).collect();
        assert_eq!(columns, ["Email", "Title", "Boss"]);
        assert!(errors[0].reason.contains("missing"));
        assert!(errors[1].reason.contains("characters"));
        assert_eq!(errors[0].line, 2);
        let errors = bound.map_row(&rows[1]).unwrap_err().errors;
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].reason.contains("malformed"),
            "{}",
            errors[0].reason
        );
        assert_eq!(errors[0].line, 3);
    }

    #[test]
    fn object_id_keys_and_json_lists() {
        let m = Mapping::parse(
            "m.toml",
            "[key]\ncolumn = \"id\"\nkind = \"objectId\"\n[skills]\ncolumn = \"skills\"\nproficiency = \"expert\"\n[names]\nfirst = \"given\"\n[addresses.work]\ncity = \"city\"\n[notes]\ncolumn = \"bio\"\n",
        )
        .unwrap();
        let object = serde_json::from_str(
            r#"{"id":"6A0C5E0B-0000-4000-8000-000000000001","skills":["Rust"],"given":"Ann","city":"Oslo","bio":"Hi"}"#,
        )
        .unwrap();
        let p = m.map_row(&Row::from_json(7, object)).unwrap();
        assert_eq!(
            p.key,
            PersonKey::ObjectId("6a0c5e0b-0000-4000-8000-000000000001".into())
        );
        assert_eq!(
            p.skills,
            vec![json!({"displayName": "Rust", "proficiency": "expert"})]
        );
        assert_eq!(p.name, Some(json!({"first": "Ann"})));
        assert_eq!(
            p.addresses,
            vec![json!({"detail": {"city": "Oslo", "type": "business"}})]
        );
        assert_eq!(p.note.unwrap()["detail"]["content"], "Hi");

        let bad = serde_json::from_str(r#"{"id":"nope"}"#).unwrap();
        let e = m.map_row(&Row::from_json(8, bad)).unwrap_err().errors;
        assert!(e[0].reason.contains("GUID"));
        assert_eq!(e[0].line, 8);
    }
}

#[cfg(test)]
mod hostile_tests;
