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

mod file;
mod row;

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::reader::{Header, InputFormat};
use crate::people::entities::EntityKind;
use file::{
    ADDRESS_FIELDS, Columns, MappingFile, MissingColumns, NAME_FIELDS, POSITION_FIELDS,
    PROFICIENCIES,
};
pub use row::{MappedPerson, PersonKey, RowFailure};

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
        Self::parse("default mapping", DEFAULT_MAPPING).expect("the default mapping parses")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::reader::{InputFormat, RowReader};

    const DEMO: &str = include_str!("../../assets/demo/hr-mapping.toml");

    #[test]
    fn the_demo_mapping_parses() {
        let m = Mapping::parse("hr-mapping.toml", DEMO).unwrap();
        assert_eq!(m.key_kind(), KeyKind::UserPrincipalName);
        assert_eq!(m.custom_properties().collect::<Vec<_>>(), ["costCenter"]);
        assert_eq!(m.position.len(), 9);
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
}

#[cfg(test)]
mod hostile_tests;
