//! One row through the mapping: every cell checked, the person in Graph's entity shapes, and
//! every problem of the row located by line and column.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value, json};

use super::{Field, KeyKind, MAX_NOTE_CHARS, MAX_VALUE_CHARS, Mapping};
use crate::people::entities::{MAX_ADDRESSES, MAX_EMAILS, is_date};
use crate::people::ids::Upn;
use crate::sync::reader::{Cell, Row, RowError};

impl Mapping {
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
    /// Whether the entity rules surely pass: the mapping writes only non-empty text, in shapes
    /// and enum members those rules accept, so all it can get wrong is a date of the position
    /// (`startMonthYear`, `endMonthYear`) and the number of emails and addresses. `false`
    /// means "ask the rules", which name what is wrong; the sync's property test checks the
    /// two agree.
    pub fn surely_valid(&self) -> bool {
        let detail = self.position.as_ref().and_then(|p| p.get("detail"));
        let dates = ["startMonthYear", "endMonthYear"].iter().all(|field| {
            detail
                .and_then(|d| d.get(field))
                .is_none_or(|v| v.as_str().is_some_and(is_date))
        });
        dates && self.emails.len() <= MAX_EMAILS && self.addresses.len() <= MAX_ADDRESSES
    }

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
    use crate::sync::reader::{InputFormat, RowReader};

    const DEMO: &str = include_str!("../../../assets/demo/hr-mapping.toml");

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
