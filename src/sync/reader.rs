//! Streaming readers of HR exports (CSV with header, JSON Lines): one row at a time, bounded memory.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

/// Longest record (CSV) or line (JSON Lines) we read. A longer one is almost always an
/// unterminated quote swallowing the rest of the file, and reading on would hold it all in memory.
pub const MAX_RECORD_BYTES: u64 = 1024 * 1024;

/// Most columns a CSV header may have: a spreadsheet's limit (16,384 in Excel). A wider
/// "header" is not an HR export, and every row would have to match it.
pub const MAX_COLUMNS: usize = 16_384;

/// The two input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    /// RFC 4180 CSV with a header row, UTF-8 with or without a BOM.
    Csv,
    /// One JSON object per line.
    #[serde(rename = "jsonl", alias = "jsonlines", alias = "ndjson")]
    JsonLines,
}

impl InputFormat {
    /// The format a file name implies: `.jsonl`, `.ndjson` and `.json` are JSON Lines, anything
    /// else is CSV.
    pub fn from_path(path: &Path) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("jsonl" | "ndjson" | "json") => Self::JsonLines,
            _ => Self::Csv,
        }
    }
}

/// A problem that stops reading the file: nothing after it can be trusted or reached.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error("{file}, line {line}: {reason}")]
    Format {
        file: String,
        line: u64,
        reason: String,
    },
    /// The input is not something to read an export from (a FIFO, a device, a terminal).
    #[error("{0}")]
    Input(String),
}

/// A problem with one row; reading goes on with the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line where the row starts (the header is line 1 in CSV).
    pub line: u64,
    /// The column (CSV header name or JSON key) at fault, when one is.
    pub column: Option<String>,
    pub reason: String,
}

/// The header of a CSV file: column names and where each sits.
#[derive(Debug)]
pub struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Header {
    fn new(names: Vec<String>) -> Result<Self, String> {
        let mut index = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                continue;
            }
            if index.insert(name.clone(), i).is_some() {
                return Err(format!("the header names column '{name}' twice"));
            }
        }
        if index.is_empty() {
            return Err("the header row is empty".into());
        }
        Ok(Self { names, index })
    }

    /// Column names in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Position of a column: exact name first, else a unique case-insensitive match.
    pub fn position(&self, column: &str) -> Option<usize> {
        if let Some(i) = self.index.get(column) {
            return Some(*i);
        }
        let mut found = None;
        for (i, name) in self.names.iter().enumerate() {
            if name.eq_ignore_ascii_case(column) {
                if found.is_some() {
                    return None;
                }
                found = Some(i);
            }
        }
        found
    }
}

/// One value read from a row, trimmed; empty cells and JSON nulls are `None` upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// A JSON array (JSON Lines only); CSV lists are text split by the mapping's separator.
    List(Vec<String>),
}

/// The fields of one CSV record: their text end to end, and where each ends.
#[derive(Debug)]
struct Fields {
    text: String,
    ends: Vec<usize>,
}

impl Fields {
    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end)
    }
}

#[derive(Debug)]
enum Cells {
    Csv(Arc<Header>, Fields),
    Json(serde_json::Map<String, Value>),
}

/// One data row.
#[derive(Debug)]
pub struct Row {
    line: u64,
    cells: Cells,
}

impl Row {
    /// 1-based line where the row starts.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// A row of a JSON Lines file, for tests and callers with objects in hand.
    pub fn from_json(line: u64, object: serde_json::Map<String, Value>) -> Self {
        Self {
            line,
            cells: Cells::Json(object),
        }
    }

    /// The value of a column: `Ok(None)` when absent, empty or null.
    pub fn cell(&self, column: &str) -> Result<Option<Cell>, RowError> {
        match &self.cells {
            Cells::Csv(header, fields) => {
                let text = header
                    .position(column)
                    .and_then(|i| fields.get(i))
                    .map(str::trim)
                    .unwrap_or_default();
                Ok((!text.is_empty()).then(|| Cell::Text(text.to_owned())))
            }
            Cells::Json(object) => {
                let Some(value) = object.get(column).or_else(|| {
                    object
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(column))
                        .map(|(_, v)| v)
                }) else {
                    return Ok(None);
                };
                json_cell(value).map_err(|reason| RowError {
                    line: self.line,
                    column: Some(column.to_owned()),
                    reason,
                })
            }
        }
    }
}

fn json_scalar(value: &Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => {
            let s = s.trim();
            Ok((!s.is_empty()).then(|| s.to_owned()))
        }
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) => Err("a nested list where text was expected".into()),
        Value::Object(_) => Err("an object where text was expected".into()),
    }
}

fn json_cell(value: &Value) -> Result<Option<Cell>, String> {
    if let Value::Array(items) = value {
        let mut list = Vec::with_capacity(items.len());
        for item in items {
            if let Some(text) = json_scalar(item)? {
                list.push(text);
            }
        }
        return Ok((!list.is_empty()).then_some(Cell::List(list)));
    }
    Ok(json_scalar(value)?.map(Cell::Text))
}

/// Where the CSV parser is within a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing of the record read yet: line breaks here are blank lines, skipped.
    RecordStart,
    FieldStart,
    Unquoted,
    Quoted,
    /// A `\r` inside quotes, held until we know whether a `\n` follows (CRLF becomes `\n`).
    QuotedCr,
    /// A `"` inside quotes: either the first of a doubled quote or the closing one.
    QuoteInQuoted,
}

/// Why a record that was read to its end cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flaw {
    /// Longer than [`MAX_RECORD_BYTES`]; its fields were not kept.
    TooLong,
    /// Text right after a closing quote (`"a"b`), on this line and in this field: the quoting
    /// is off, so where the record ends is a guess.
    TextAfterQuote { line: u64, field: usize },
}

/// One record as read: fields in the parser's buffers.
#[derive(Debug, Clone, Copy)]
struct RawRecord {
    /// Line the record starts on.
    line: u64,
    /// Line its last byte is on.
    last_line: u64,
    flaw: Option<Flaw>,
}

/// What stops the CSV parser.
enum Stop {
    Io(io::Error),
    /// End of input inside quotes opened on this line.
    UnclosedQuote(u64),
}

/// An RFC 4180 parser that reads one record at a time and never holds more than
/// [`MAX_RECORD_BYTES`] of it: a longer record is read to its end (so the next one starts in
/// the right place) without keeping it. As the csv crate does, it is lenient where RFC 4180 is
/// strict but the meaning is plain (a quote inside an unquoted value is text; `\r`, `\n` and
/// `\r\n` all end a record; blank lines are skipped), and strict where it would have to guess:
/// text after a closing quote, and a quote never closed.
struct CsvParser {
    input: BufReader<Box<dyn Read + Send>>,
    /// Line of the next byte.
    line: u64,
    /// A `\r` ended the last line: a `\n` right after it belongs to the same break.
    skip_lf: bool,
    /// The record's field bytes end to end, and where each field ends.
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl CsvParser {
    /// The next record, `Ok(None)` at the end of the input.
    fn next_record(&mut self) -> Result<Option<RawRecord>, Stop> {
        let Self {
            input,
            line,
            skip_lf,
            buf,
            ends,
        } = self;
        buf.clear();
        ends.clear();
        let limit = usize::try_from(MAX_RECORD_BYTES).unwrap_or(usize::MAX);
        let mut state = State::RecordStart;
        let mut start = *line;
        let mut quote_line = *line;
        // Bytes of the record as written (quotes and commas included): what the limit counts.
        let mut size = 0usize;
        let mut too_long = false;
        let mut flaw = None;
        loop {
            let chunk = match input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Stop::Io(e)),
            };
            if chunk.is_empty() {
                return match state {
                    State::RecordStart => Ok(None),
                    State::Quoted | State::QuotedCr => Err(Stop::UnclosedQuote(quote_line)),
                    State::FieldStart | State::Unquoted | State::QuoteInQuoted => {
                        if !too_long {
                            ends.push(buf.len());
                        }
                        Ok(Some(RawRecord {
                            line: start,
                            last_line: *line,
                            flaw: if too_long { Some(Flaw::TooLong) } else { flaw },
                        }))
                    }
                };
            }
            let mut used = 0;
            let mut done = false;
            for &b in chunk {
                used += 1;
                if std::mem::take(skip_lf) && b == b'\n' {
                    continue;
                }
                if state != State::RecordStart {
                    size += 1;
                    if size > limit && !too_long {
                        too_long = true;
                        buf.clear();
                        ends.clear();
                    }
                }
                let mut push = |b: u8| {
                    if !too_long {
                        buf.push(b);
                    }
                };
                // Which byte ends the record, if this one does.
                let mut end = None;
                match state {
                    State::RecordStart => match b {
                        b'\n' => *line += 1,
                        b'\r' => {
                            *line += 1;
                            *skip_lf = true;
                        }
                        _ => {
                            start = *line;
                            size = 1;
                            match b {
                                b'"' => {
                                    quote_line = *line;
                                    state = State::Quoted;
                                }
                                b',' => {
                                    ends.push(0);
                                    state = State::FieldStart;
                                }
                                _ => {
                                    push(b);
                                    state = State::Unquoted;
                                }
                            }
                        }
                    },
                    State::FieldStart | State::Unquoted | State::QuoteInQuoted => match b {
                        b',' => {
                            if !too_long {
                                ends.push(buf.len());
                            }
                            state = State::FieldStart;
                        }
                        b'\n' | b'\r' => end = Some(b),
                        b'"' if state == State::FieldStart => {
                            quote_line = *line;
                            state = State::Quoted;
                        }
                        b'"' if state == State::QuoteInQuoted => {
                            push(b'"');
                            state = State::Quoted;
                        }
                        _ => {
                            if state == State::QuoteInQuoted && flaw.is_none() {
                                flaw = Some(Flaw::TextAfterQuote {
                                    line: *line,
                                    field: ends.len(),
                                });
                            }
                            push(b);
                            state = State::Unquoted;
                        }
                    },
                    State::Quoted | State::QuotedCr => {
                        if state == State::QuotedCr {
                            state = State::Quoted;
                            if b == b'\n' {
                                // CRLF inside quotes is one line break, kept as `\n`.
                                push(b'\n');
                                *line += 1;
                                continue;
                            }
                            push(b'\r');
                        }
                        match b {
                            b'"' => state = State::QuoteInQuoted,
                            b'\r' => state = State::QuotedCr,
                            b'\n' => {
                                push(b'\n');
                                *line += 1;
                            }
                            _ => push(b),
                        }
                    }
                }
                if let Some(b) = end {
                    if !too_long {
                        ends.push(buf.len());
                    }
                    *line += 1;
                    *skip_lf = b == b'\r';
                    done = true;
                    break;
                }
            }
            input.consume(used);
            if done {
                return Ok(Some(RawRecord {
                    line: start,
                    last_line: *line - 1,
                    flaw: if too_long { Some(Flaw::TooLong) } else { flaw },
                }));
            }
        }
    }

    /// Takes the record's fields as UTF-8 text; on failure, the index of the field at fault.
    fn take_fields(&mut self) -> Result<Fields, usize> {
        // The next record is likely about as long: start its buffer at this one's size.
        let next = Vec::with_capacity(self.buf.len());
        match String::from_utf8(std::mem::replace(&mut self.buf, next)) {
            Ok(text) => {
                // Valid as a whole is not enough: a character split across a comma leaves
                // two fields that are each invalid.
                if let Some(i) = self.ends.iter().position(|&e| !text.is_char_boundary(e)) {
                    return Err(i);
                }
                Ok(Fields {
                    text,
                    ends: std::mem::take(&mut self.ends),
                })
            }
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                Err(self.ends.iter().position(|&end| at < end).unwrap_or(0))
            }
        }
    }

    /// The field holding a NUL byte, if one does.
    fn nul_field(&self) -> Option<usize> {
        let at = self.buf.iter().position(|&b| b == 0)?;
        self.ends.iter().position(|&e| at < e)
    }
}

/// Lines a record spans, for messages about rows that may have swallowed others.
fn span(record: &RawRecord) -> String {
    if record.last_line > record.line {
        format!(
            " (the row runs from line {} to line {})",
            record.line, record.last_line
        )
    } else {
        String::new()
    }
}

enum Source {
    Csv {
        parser: CsvParser,
        header: Arc<Header>,
    },
    Json {
        reader: BufReader<Box<dyn Read + Send>>,
        line: u64,
        buf: Vec<u8>,
    },
}

/// Reads rows one at a time; only the current row is held in memory.
pub struct RowReader {
    file: String,
    source: Source,
}

impl std::fmt::Debug for RowReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

/// Strips a UTF-8 byte order mark; refuses UTF-16 (Excel's "Unicode text"), which would read
/// as NULs and garbage row after row.
fn sniff(file: &str, mut input: Box<dyn Read + Send>) -> Result<Box<dyn Read + Send>, ReadError> {
    let mut head = Vec::with_capacity(3);
    (&mut input)
        .take(3)
        .read_to_end(&mut head)
        .map_err(|source| ReadError::Io {
            file: file.to_owned(),
            source,
        })?;
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(ReadError::Format {
            file: file.to_owned(),
            line: 1,
            reason: "the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it \
                     as UTF-8"
                .into(),
        });
    }
    if head == b"\xEF\xBB\xBF" {
        head.clear();
    }
    Ok(Box::new(io::Cursor::new(head).chain(input)))
}

impl RowReader {
    /// Opens a file in the given format (CSV reads its header here). Only a regular file is
    /// opened: see [`super::input`] for standard input.
    pub fn open(path: &Path, format: InputFormat) -> Result<Self, ReadError> {
        let input = super::input::Input::open(path, Path::new(""))?;
        Self::from_reader(input.name().to_owned(), input.read()?, format)
    }

    /// Reads from any byte source; `file` names it in errors.
    pub fn from_reader(
        file: String,
        input: Box<dyn Read + Send>,
        format: InputFormat,
    ) -> Result<Self, ReadError> {
        let input = BufReader::with_capacity(64 * 1024, sniff(&file, input)?);
        let source = match format {
            InputFormat::Csv => {
                let mut parser = CsvParser {
                    input,
                    line: 1,
                    skip_lf: false,
                    buf: Vec::new(),
                    ends: Vec::new(),
                };
                let header = read_header(&file, &mut parser)?;
                Source::Csv {
                    parser,
                    header: Arc::new(header),
                }
            }
            InputFormat::JsonLines => Source::Json {
                reader: input,
                line: 0,
                buf: Vec::new(),
            },
        };
        Ok(Self { file, source })
    }

    /// The file name used in errors.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The CSV header (`None` for JSON Lines, whose keys vary by line).
    pub fn header(&self) -> Option<&Header> {
        match &self.source {
            Source::Csv { header, .. } => Some(header),
            Source::Json { .. } => None,
        }
    }

    /// The next row: `Ok(None)` at the end, `Ok(Some(Err(_)))` for a bad row (go on),
    /// `Err(_)` when the file cannot be read further.
    pub fn next_row(&mut self) -> Result<Option<Result<Row, RowError>>, ReadError> {
        match &mut self.source {
            Source::Csv { parser, header } => {
                let Some(record) = parser
                    .next_record()
                    .map_err(|stop| stop_error(&self.file, stop))?
                else {
                    return Ok(None);
                };
                Ok(Some(csv_row(header, parser, &record)))
            }
            Source::Json { reader, line, buf } => loop {
                *line += 1;
                buf.clear();
                let (n, complete) =
                    read_bounded_line(reader, buf).map_err(|source| ReadError::Io {
                        file: self.file.clone(),
                        source,
                    })?;
                if n == 0 {
                    return Ok(None);
                }
                if !complete {
                    return Ok(Some(Err(RowError {
                        line: *line,
                        column: None,
                        reason: format!("the line is longer than {} KiB", MAX_RECORD_BYTES / 1024),
                    })));
                }
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(json_row(buf, *line)));
            },
        }
    }
}

fn stop_error(file: &str, stop: Stop) -> ReadError {
    match stop {
        Stop::Io(source) => ReadError::Io {
            file: file.to_owned(),
            source,
        },
        Stop::UnclosedQuote(line) => ReadError::Format {
            file: file.to_owned(),
            line,
            reason: "a quote opened on this line is never closed, so the rest of the file \
                     would be one value; is a quote left open?"
                .into(),
        },
    }
}

/// Reads and checks the header row. Any problem here is fatal: rows mean nothing without it.
fn read_header(file: &str, parser: &mut CsvParser) -> Result<Header, ReadError> {
    let fail = |line: u64, reason: String| ReadError::Format {
        file: file.to_owned(),
        line,
        reason,
    };
    let Some(record) = parser
        .next_record()
        .map_err(|stop| stop_error(file, stop))?
    else {
        return Err(fail(
            1,
            "the file is empty: a header row is required".into(),
        ));
    };
    let line = record.line;
    match record.flaw {
        Some(Flaw::TooLong) => {
            return Err(fail(
                line,
                format!(
                    "the header row is longer than {} KiB; is this a CSV export?",
                    MAX_RECORD_BYTES / 1024
                ),
            ));
        }
        Some(Flaw::TextAfterQuote { line, .. }) => {
            return Err(fail(
                line,
                "the header row has text after a closing quote; a quote inside a quoted name \
                 must be doubled (\"\")"
                    .into(),
            ));
        }
        None => {}
    }
    let columns = parser.ends.len();
    if columns > MAX_COLUMNS {
        return Err(fail(
            line,
            format!(
                "the header has {columns} columns; at most {MAX_COLUMNS} (a spreadsheet's \
                 limit) are accepted"
            ),
        ));
    }
    if parser.nul_field().is_some() {
        return Err(fail(
            line,
            "the header row holds NUL bytes; is the file UTF-16 or binary? Save it as UTF-8 CSV"
                .into(),
        ));
    }
    let fields = parser
        .take_fields()
        .map_err(|_| fail(line, "the header row is not valid UTF-8".into()))?;
    let names = (0..fields.ends.len())
        .map(|i| fields.get(i).unwrap_or_default().trim().to_owned())
        .collect();
    Header::new(names).map_err(|reason| fail(line, reason))
}

fn csv_row(
    header: &Arc<Header>,
    parser: &mut CsvParser,
    record: &RawRecord,
) -> Result<Row, RowError> {
    let line = record.line;
    let fail = |column: Option<String>, reason: String| RowError {
        line,
        column,
        reason,
    };
    let column = |i: usize| header.names().get(i).filter(|n| !n.is_empty()).cloned();
    match record.flaw {
        Some(Flaw::TooLong) => {
            return Err(fail(
                None,
                format!(
                    "the row is longer than {} KiB, so it is skipped{}; is a quote left open?",
                    MAX_RECORD_BYTES / 1024,
                    span(record)
                ),
            ));
        }
        Some(Flaw::TextAfterQuote { line: at, field }) => {
            return Err(fail(
                column(field),
                format!(
                    "text follows the closing quote of a value on line {at}{}; a quote inside \
                     a quoted value must be doubled (\"\")",
                    span(record)
                ),
            ));
        }
        None => {}
    }
    let expected = header.names().len();
    let got = parser.ends.len();
    if got != expected {
        return Err(fail(
            None,
            format!(
                "the row has {got} fields but the header has {expected}{}",
                span(record)
            ),
        ));
    }
    if let Some(i) = parser.nul_field() {
        return Err(fail(
            column(i),
            "the value holds a NUL byte (is the file UTF-16 or binary?)".into(),
        ));
    }
    match parser.take_fields() {
        Ok(fields) => Ok(Row {
            line,
            cells: Cells::Csv(header.clone(), fields),
        }),
        Err(i) => Err(fail(
            column(i),
            "the value is not valid UTF-8 (is the file in another encoding?)".into(),
        )),
    }
}

fn json_row(bytes: &[u8], line: u64) -> Result<Row, RowError> {
    let fail = |reason: String| RowError {
        line,
        column: None,
        reason,
    };
    let text =
        std::str::from_utf8(bytes).map_err(|_| fail("the line is not valid UTF-8".into()))?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Ok(Row {
            line,
            cells: Cells::Json(object),
        }),
        Ok(_) => Err(fail("the line is JSON but not an object".into())),
        Err(e) => Err(fail(format!("the line is not valid JSON: {e}"))),
    }
}

/// Reads up to and including `\n`, keeping at most [`MAX_RECORD_BYTES`] in `buf` (the rest of
/// an overlong line is skipped). Returns bytes consumed and whether the line fitted.
fn read_bounded_line<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> io::Result<(usize, bool)> {
    let limit = usize::try_from(MAX_RECORD_BYTES).unwrap_or(usize::MAX);
    let mut consumed = 0;
    let mut fits = true;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((consumed, fits));
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        if fits {
            if buf.len() + chunk.len() > limit {
                fits = false;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        let n = chunk.len();
        reader.consume(n);
        consumed += n;
        if done {
            return Ok((consumed, fits));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_reader(text: &[u8]) -> RowReader {
        RowReader::from_reader(
            "t.csv".into(),
            Box::new(text.to_vec().leak() as &[u8]),
            InputFormat::Csv,
        )
        .unwrap()
    }

    fn rows(reader: &mut RowReader) -> Vec<Result<Row, RowError>> {
        let mut out = Vec::new();
        while let Some(row) = reader.next_row().unwrap() {
            out.push(row);
        }
        out
    }

    fn text(row: &Row, column: &str) -> Option<String> {
        match row.cell(column).unwrap() {
            Some(Cell::Text(t)) => Some(t),
            Some(Cell::List(l)) => Some(l.join("|")),
            None => None,
        }
    }

    #[test]
    fn csv_with_bom_reads_first_column_name_cleanly() {
        let mut r = csv_reader(b"\xEF\xBB\xBFEmail,Title\r\na@x.com,Dev\r\n");
        assert_eq!(r.header().unwrap().names(), ["Email", "Title"]);
        let rows = rows(&mut r);
        assert_eq!(rows.len(), 1);
        let row = rows[0].as_ref().unwrap();
        assert_eq!(row.line(), 2);
        assert_eq!(text(row, "Email").as_deref(), Some("a@x.com"));
    }

    #[test]
    fn csv_quoted_newlines_keep_the_starting_line() {
        let mut r = csv_reader(b"Email,Note\na@x.com,\"one\ntwo\"\nb@x.com,plain\n");
        let rows = rows(&mut r);
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.line(), 2);
        assert_eq!(text(first, "Note").as_deref(), Some("one\ntwo"));
        let second = rows[1].as_ref().unwrap();
        assert_eq!(second.line(), 4);
        assert_eq!(text(second, "Email").as_deref(), Some("b@x.com"));
    }

    /// Hands out one byte per read, to exercise chunk boundaries.
    struct Trickle(Vec<u8>, usize);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.1 >= self.0.len() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[self.1];
            self.1 += 1;
            Ok(1)
        }
    }

    #[test]
    fn csv_crlf_line_numbers_are_right_even_across_tiny_reads() {
        let input = b"Email,Note\r\na@x.com,\"one\r\ntwo\"\r\n\r\nb@x.com,\"x\rz\"\r\n".to_vec();
        for trickle in [false, true] {
            let source: Box<dyn Read + Send> = if trickle {
                Box::new(Trickle(input.clone(), 0))
            } else {
                Box::new(io::Cursor::new(input.clone()))
            };
            let mut r = RowReader::from_reader("w.csv".into(), source, InputFormat::Csv).unwrap();
            assert_eq!(r.header().unwrap().names(), ["Email", "Note"]);
            let rows = rows(&mut r);
            assert_eq!(rows.len(), 2, "trickle={trickle}");
            let first = rows[0].as_ref().unwrap();
            assert_eq!(first.line(), 2);
            assert_eq!(text(first, "Note").as_deref(), Some("one\ntwo"));
            let second = rows[1].as_ref().unwrap();
            assert_eq!(second.line(), 5, "trickle={trickle}");
            // A lone CR inside quotes is data.
            assert_eq!(text(second, "Note").as_deref(), Some("x\rz"));
        }
    }

    #[test]
    fn csv_blank_lines_and_missing_final_newline_keep_line_numbers() {
        let mut r = csv_reader(b"Email\n\n\na@x.com\n\nb@x.com");
        let lines: Vec<u64> = rows(&mut r)
            .iter()
            .map(|r| r.as_ref().unwrap().line())
            .collect();
        assert_eq!(lines, [4, 6]);
    }

    #[test]
    fn csv_ragged_row_is_a_row_error_and_reading_goes_on() {
        let mut r = csv_reader(b"Email,Title\na@x.com\nb@x.com,Dev,extra\nc@x.com,Ok\n");
        let rows = rows(&mut r);
        assert_eq!(rows.len(), 3);
        let e = rows[0].as_ref().unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("1 fields"), "{}", e.reason);
        assert_eq!(rows[1].as_ref().unwrap_err().line, 3);
        assert_eq!(
            text(rows[2].as_ref().unwrap(), "Title").as_deref(),
            Some("Ok")
        );
    }

    #[test]
    fn csv_invalid_utf8_is_a_row_error_naming_the_column() {
        let mut r = csv_reader(b"Email,Title\na@x.com,Caf\xE9\nb@x.com,Ok\n");
        let rows = rows(&mut r);
        let e = rows[0].as_ref().unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(e.column.as_deref(), Some("Title"));
        assert!(e.reason.contains("UTF-8"));
        assert!(rows[1].is_ok());
    }

    #[test]
    fn csv_a_character_split_by_a_comma_is_invalid_utf8_in_its_first_half() {
        let mut r = csv_reader(b"A,B\n\xC3,\xA9\nok,ok\n");
        let rows = rows(&mut r);
        let e = rows[0].as_ref().unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (2, Some("A")));
        assert_eq!(text(rows[1].as_ref().unwrap(), "B").as_deref(), Some("ok"));
    }

    #[test]
    fn csv_empty_and_blank_cells_are_absent_and_values_are_trimmed() {
        let mut r = csv_reader(b"Email,Title,Dept\n  a@x.com ,  ,\n");
        let rows = rows(&mut r);
        let row = rows[0].as_ref().unwrap();
        assert_eq!(text(row, "Email").as_deref(), Some("a@x.com"));
        assert_eq!(text(row, "Title"), None);
        assert_eq!(text(row, "Dept"), None);
        assert_eq!(text(row, "Missing"), None);
        // Case-insensitive fallback.
        assert_eq!(text(row, "email").as_deref(), Some("a@x.com"));
    }

    #[test]
    fn csv_header_problems_are_fatal() {
        let empty = RowReader::from_reader("e.csv".into(), Box::new(&b""[..]), InputFormat::Csv)
            .unwrap_err();
        assert!(
            empty.to_string().contains("header row is required"),
            "{empty}"
        );
        let dup = RowReader::from_reader(
            "d.csv".into(),
            Box::new(&b"A,B,A\n1,2,3\n"[..]),
            InputFormat::Csv,
        )
        .unwrap_err();
        assert!(dup.to_string().contains("'A' twice"), "{dup}");
        assert!(dup.to_string().starts_with("d.csv, line 1"), "{dup}");
    }

    #[test]
    fn csv_unterminated_quote_stops_with_an_error_instead_of_buffering_the_file() {
        let mut text = b"Email,Note\na@x.com,\"open\n".to_vec();
        for _ in 0..40_000 {
            text.extend_from_slice(b"b@x.com,filler filler filler filler filler\n");
        }
        let mut r = csv_reader(&text);
        let err = loop {
            match r.next_row() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("expected an error"),
                Err(e) => break e,
            }
        };
        let text = err.to_string();
        assert!(text.contains("line 2"), "{text}");
        assert!(text.contains("quote"), "{text}");
    }

    fn json_reader(text: &'static [u8]) -> RowReader {
        RowReader::from_reader("t.jsonl".into(), Box::new(text), InputFormat::JsonLines).unwrap()
    }

    #[test]
    fn json_lines_values_lists_blank_lines_and_bad_lines() {
        let mut r = json_reader(
            b"\xEF\xBB\xBF{\"upn\":\"a@x.com\",\"skills\":[\"Rust\",\"Go\"],\"n\":3}\n\n[1,2]\n{bad\n\xFF\n{\"upn\":\"b@x.com\",\"x\":{\"a\":1}}",
        );
        let rows = rows(&mut r);
        assert_eq!(rows.len(), 5);
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.line(), 1);
        assert_eq!(text(first, "upn").as_deref(), Some("a@x.com"));
        assert_eq!(
            first.cell("skills").unwrap(),
            Some(Cell::List(vec!["Rust".into(), "Go".into()]))
        );
        assert_eq!(text(first, "n").as_deref(), Some("3"));
        assert_eq!(rows[1].as_ref().unwrap_err().line, 3);
        assert!(
            rows[1]
                .as_ref()
                .unwrap_err()
                .reason
                .contains("not an object")
        );
        assert_eq!(rows[2].as_ref().unwrap_err().line, 4);
        assert!(rows[3].as_ref().unwrap_err().reason.contains("UTF-8"));
        let last = rows[4].as_ref().unwrap();
        assert_eq!(last.line(), 6);
        let e = last.cell("x").unwrap_err();
        assert_eq!(e.column.as_deref(), Some("x"));
    }

    #[test]
    fn json_overlong_line_is_skipped_as_a_row_error() {
        let mut input = b"{\"a\":\"".to_vec();
        input.extend(std::iter::repeat_n(b'x', 2 * 1024 * 1024));
        input.extend_from_slice(b"\"}\n{\"a\":\"ok\"}\n");
        let mut r = RowReader::from_reader(
            "big.jsonl".into(),
            Box::new(std::io::Cursor::new(input)),
            InputFormat::JsonLines,
        )
        .unwrap();
        let rows = rows(&mut r);
        assert_eq!(rows.len(), 2);
        assert!(rows[0].as_ref().unwrap_err().reason.contains("longer"));
        assert_eq!(text(rows[1].as_ref().unwrap(), "a").as_deref(), Some("ok"));
        assert_eq!(rows[1].as_ref().unwrap().line(), 2);
    }

    #[test]
    fn format_from_extension() {
        assert_eq!(
            InputFormat::from_path(Path::new("a.JSONL")),
            InputFormat::JsonLines
        );
        assert_eq!(
            InputFormat::from_path(Path::new("a.ndjson")),
            InputFormat::JsonLines
        );
        assert_eq!(InputFormat::from_path(Path::new("a.csv")), InputFormat::Csv);
        assert_eq!(
            InputFormat::from_path(Path::new("export")),
            InputFormat::Csv
        );
    }
}

#[cfg(test)]
mod hostile_tests;
