//! Streaming readers of HR exports (CSV with header, JSON Lines): one row at a time, bounded memory.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

/// Longest record (CSV) or line (JSON Lines) we read. A longer one is almost always an
/// unterminated quote swallowing the rest of the file, and reading on would hold it all in memory.
pub const MAX_RECORD_BYTES: u64 = 1024 * 1024;

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

#[derive(Debug)]
enum Cells {
    Csv(Arc<Header>, csv::StringRecord),
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
            Cells::Csv(header, record) => {
                let text = header
                    .position(column)
                    .and_then(|i| record.get(i))
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

/// Feeds the CSV parser. It counts bytes and refuses to run past [`MAX_RECORD_BYTES`] within one
/// record, so a stray quote cannot make the parser buffer the rest of the file. It also turns
/// CRLF into LF: the csv crate reports a CRLF record as starting on the previous line, and
/// line numbers in the report must be right for files saved on Windows.
struct Guarded<R> {
    inner: R,
    read: u64,
    shared: Arc<Shared>,
    /// A `\r` that ended the previous chunk, held back until we know what follows it.
    pending_cr: bool,
    last: u8,
}

/// What the CSV feeder and the row loop tell each other.
#[derive(Default)]
struct Shared {
    /// Byte offset (after CRLF folding) where the record being parsed starts.
    record_start: AtomicU64,
    /// Bytes fed in total, once the input is exhausted; `u64::MAX` before.
    total: AtomicU64,
    /// Whether the input ended with a line break.
    ends_with_newline: std::sync::atomic::AtomicBool,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let start = self.shared.record_start.load(Ordering::Relaxed);
        if self.read.saturating_sub(start) > MAX_RECORD_BYTES + 64 * 1024 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, RecordTooLong));
        }
        if buf.len() < 2 {
            return Ok(0);
        }
        // Leave room to put back a held `\r`.
        let offset = usize::from(self.pending_cr);
        let n = self.inner.read(&mut buf[offset..])?;
        if self.pending_cr {
            buf[0] = b'\r';
            self.pending_cr = false;
        } else if n == 0 {
            self.shared
                .ends_with_newline
                .store(self.last == b'\n', Ordering::Relaxed);
            self.shared.total.store(self.read, Ordering::Relaxed);
            return Ok(0);
        }
        let filled = offset + n;
        let mut out = 0;
        for i in 0..filled {
            let b = buf[i];
            if b == b'\r' {
                if i + 1 == filled && n > 0 {
                    self.pending_cr = true;
                    continue;
                }
                if i + 1 < filled && buf[i + 1] == b'\n' {
                    continue;
                }
            }
            buf[out] = b;
            out += 1;
        }
        self.read += out as u64;
        if out > 0 {
            self.last = buf[out - 1];
        }
        if out == 0 && self.pending_cr {
            // Only a held `\r` so far: read again rather than signal end of file.
            return self.read(buf);
        }
        Ok(out)
    }
}

#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "record too long")
    }
}

impl std::error::Error for RecordTooLong {}

enum Source {
    Csv {
        reader: csv::Reader<Guarded<Box<dyn Read + Send>>>,
        header: Arc<Header>,
        record: csv::ByteRecord,
        shared: Arc<Shared>,
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

impl RowReader {
    /// Opens a file in the given format (CSV reads its header here).
    pub fn open(path: &Path, format: InputFormat) -> Result<Self, ReadError> {
        let file = display_path(path);
        let handle = File::open(path).map_err(|source| ReadError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_reader(file, Box::new(handle), format)
    }

    /// Reads from any byte source; `file` names it in errors.
    pub fn from_reader(
        file: String,
        input: Box<dyn Read + Send>,
        format: InputFormat,
    ) -> Result<Self, ReadError> {
        let source = match format {
            InputFormat::Csv => {
                let shared = Arc::new(Shared {
                    total: AtomicU64::new(u64::MAX),
                    ..Shared::default()
                });
                let guarded = Guarded {
                    inner: input,
                    read: 0,
                    shared: shared.clone(),
                    pending_cr: false,
                    last: 0,
                };
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .buffer_capacity(64 * 1024)
                    .from_reader(guarded);
                let mut first = csv::ByteRecord::new();
                let got = reader
                    .read_byte_record(&mut first)
                    .map_err(|e| csv_error(&file, 1, &e))?;
                if !got {
                    return Err(ReadError::Format {
                        file,
                        line: 1,
                        reason: "the file is empty: a header row is required".into(),
                    });
                }
                let names = first
                    .iter()
                    .map(|f| {
                        std::str::from_utf8(f)
                            .map(|s| s.trim().to_owned())
                            .map_err(|_| "the header row is not valid UTF-8".to_owned())
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .and_then(Header::new)
                    .map_err(|reason| ReadError::Format {
                        file: file.clone(),
                        line: 1,
                        reason,
                    })?;
                shared
                    .record_start
                    .store(reader.position().byte(), Ordering::Relaxed);
                Source::Csv {
                    reader,
                    header: Arc::new(names),
                    record: csv::ByteRecord::new(),
                    shared,
                }
            }
            InputFormat::JsonLines => Source::Json {
                reader: BufReader::with_capacity(64 * 1024, input),
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
            Source::Csv {
                reader,
                header,
                record,
                shared,
            } => {
                let line = reader.position().line();
                let got = reader
                    .read_byte_record(record)
                    .map_err(|e| csv_error(&self.file, line, &e))?;
                let end = reader.position();
                shared.record_start.store(end.byte(), Ordering::Relaxed);
                if !got {
                    return Ok(None);
                }
                Ok(Some(csv_row(
                    header,
                    record,
                    start_line(record, end, shared),
                )))
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
                let mut bytes = buf.as_slice();
                if *line == 1 {
                    bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                }
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(json_row(bytes, *line)));
            },
        }
    }
}

fn display_path(path: &Path) -> String {
    PathBuf::from(path).display().to_string()
}

fn csv_error(file: &str, line: u64, e: &csv::Error) -> ReadError {
    if let csv::ErrorKind::Io(io) = e.kind() {
        if io
            .get_ref()
            .is_some_and(<dyn std::error::Error + Send + Sync>::is::<RecordTooLong>)
        {
            return ReadError::Format {
                file: file.to_owned(),
                line,
                reason: format!(
                    "a record starting here runs past {} KiB; is a quote left open?",
                    MAX_RECORD_BYTES / 1024
                ),
            };
        }
        return ReadError::Io {
            file: file.to_owned(),
            source: io::Error::new(io.kind(), io.to_string()),
        };
    }
    ReadError::Format {
        file: file.to_owned(),
        line,
        reason: e.to_string(),
    }
}

/// The line a record starts on. The csv crate's own record position points before any blank
/// lines it skipped, so count back from where the record ended instead: the line breaks inside
/// its fields, and the one that ended it (absent only for a last line without a line break).
#[allow(clippy::naive_bytecount)] // a few short fields per row; not worth a dependency
fn start_line(record: &csv::ByteRecord, end: &csv::Position, shared: &Shared) -> u64 {
    let inside = record
        .iter()
        .map(|field| field.iter().filter(|&&b| b == b'\n').count() as u64)
        .sum::<u64>();
    let unterminated = end.byte() == shared.total.load(Ordering::Relaxed)
        && !shared.ends_with_newline.load(Ordering::Relaxed);
    end.line()
        .saturating_sub(inside)
        .saturating_sub(u64::from(!unterminated))
        .max(1)
}

fn csv_row(header: &Arc<Header>, record: &csv::ByteRecord, line: u64) -> Result<Row, RowError> {
    let expected = header.names().len();
    if record.len() != expected {
        return Err(RowError {
            line,
            column: None,
            reason: format!(
                "the row has {} fields but the header has {expected}",
                record.len()
            ),
        });
    }
    match csv::StringRecord::from_byte_record(record.clone()) {
        Ok(strings) => Ok(Row {
            line,
            cells: Cells::Csv(header.clone(), strings),
        }),
        Err(e) => {
            let column = header.names().get(e.utf8_error().field()).cloned();
            Err(RowError {
                line,
                column,
                reason: "the value is not valid UTF-8 (is the file in another encoding?)".into(),
            })
        }
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
