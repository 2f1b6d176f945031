//! Hostile input files for the readers: malformed CSV and JSON Lines, huge fields and
//! headers, odd encodings; bad rows are reported with their line and the rows around them
//! come through.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;

use super::{
    Cell, InputFormat, MAX_COLUMNS, MAX_RECORD_BYTES, ReadError, Row, RowError, RowReader,
};

// ---------------------------------------------------------------------------------------------
// Helpers

fn open(name: &str, bytes: &[u8], format: InputFormat) -> Result<RowReader, ReadError> {
    RowReader::from_reader(
        name.into(),
        Box::new(io::Cursor::new(bytes.to_vec())),
        format,
    )
}

fn csv(bytes: &[u8]) -> RowReader {
    open("hr.csv", bytes, InputFormat::Csv).unwrap()
}

/// Every row until the end, or the error that stopped reading.
fn drain(reader: &mut RowReader) -> (Vec<Result<Row, RowError>>, Option<ReadError>) {
    let mut rows = Vec::new();
    loop {
        match reader.next_row() {
            Ok(Some(row)) => rows.push(row),
            Ok(None) => return (rows, None),
            Err(e) => return (rows, Some(e)),
        }
    }
}

fn text(row: &Row, column: &str) -> Option<String> {
    match row.cell(column).unwrap() {
        Some(Cell::Text(t)) => Some(t),
        Some(Cell::List(l)) => Some(l.join("|")),
        None => None,
    }
}

/// (line, Email) of good rows, and the bad rows' errors.
fn split(rows: Vec<Result<Row, RowError>>) -> (Vec<(u64, String)>, Vec<RowError>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for row in rows {
        match row {
            Ok(row) => good.push((row.line(), text(&row, "Email").unwrap_or_default())),
            Err(e) => bad.push(e),
        }
    }
    (good, bad)
}

/// Bytes from a list of parts, some of them generated, handed out as they are read and
/// counted, so a test can tell how far the reader got.
struct Generated {
    parts: Vec<Part>,
    offset: u64,
    read: Arc<AtomicU64>,
}

enum Part {
    Bytes(Vec<u8>),
    /// A byte repeated; `u64::MAX` times is "forever".
    Repeat(u8, u64),
    /// A line repeated forever.
    Forever(Vec<u8>),
}

impl Generated {
    fn new(parts: Vec<Part>) -> (Self, Arc<AtomicU64>) {
        let read = Arc::new(AtomicU64::new(0));
        let me = Self {
            parts,
            offset: 0,
            read: read.clone(),
        };
        (me, read)
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let Some(part) = self.parts.first() else {
            return Ok(0);
        };
        let n = match part {
            Part::Bytes(bytes) => {
                let rest = &bytes[usize::try_from(self.offset).unwrap()..];
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                n
            }
            Part::Repeat(b, count) => {
                let n = usize::try_from((count - self.offset).min(buf.len() as u64)).unwrap();
                buf[..n].fill(*b);
                n
            }
            Part::Forever(line) => {
                let mut n = 0;
                while n < buf.len() {
                    let at = usize::try_from(self.offset % line.len() as u64).unwrap();
                    let take = (line.len() - at).min(buf.len() - n);
                    buf[n..n + take].copy_from_slice(&line[at..at + take]);
                    n += take;
                    self.offset += take as u64;
                }
                self.read.fetch_add(n as u64, Ordering::Relaxed);
                return Ok(n);
            }
        };
        self.offset += n as u64;
        let done = match part {
            Part::Bytes(bytes) => self.offset == bytes.len() as u64,
            Part::Repeat(_, count) => self.offset == *count,
            Part::Forever(_) => false,
        };
        if done {
            self.parts.remove(0);
            self.offset = 0;
        }
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        if n == 0 { self.read(buf) } else { Ok(n) }
    }
}

const MIB: u64 = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// CSV: bad rows are reported with their line; the rows around them come through

#[test]
fn a_ragged_row_is_reported_and_its_neighbours_are_read() {
    let mut r = csv(b"Email,Title\na@x.com,Dev\nb@x.com\nc@x.com,Ops\n");
    let (rows, stop) = drain(&mut r);
    assert!(stop.is_none());
    let (good, bad) = split(rows);
    assert_eq!(good, [(2, "a@x.com".into()), (4, "c@x.com".into())]);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].line, 3);
    assert_eq!(bad[0].column, None);
    assert_eq!(bad[0].reason, "the row has 1 fields but the header has 2");
}

#[test]
fn an_unbalanced_quote_that_a_later_quote_closes_is_one_bad_row_naming_its_lines() {
    // Row 3 opens a quote; row 4's quote closes it, and what follows that quote shows the
    // quoting is off. Row 4 is swallowed, and the error says so by naming both lines.
    let mut r = csv(b"Email,Note\na@x.com,ok\nc@x.com,\"open\nd@x.com,\"closed\"\ne@x.com,fine\n");
    let (rows, stop) = drain(&mut r);
    assert!(stop.is_none(), "{stop:?}");
    let (good, bad) = split(rows);
    assert_eq!(good, [(2, "a@x.com".into()), (5, "e@x.com".into())]);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].line, 3);
    assert_eq!(bad[0].column.as_deref(), Some("Note"));
    assert!(
        bad[0].reason.contains("closing quote of a value on line 4"),
        "{}",
        bad[0].reason
    );
    assert!(
        bad[0].reason.contains("from line 3 to line 4"),
        "{}",
        bad[0].reason
    );
}

#[test]
fn text_after_a_closing_quote_on_one_line_is_a_row_error() {
    let mut r = csv(b"Email,Name\na@x.com,\"Smith\" Jr\nb@x.com,\"Jones, Sr\"\n");
    let (rows, _) = drain(&mut r);
    let (good, bad) = split(rows);
    assert_eq!(good, [(3, "b@x.com".into())]);
    assert_eq!(bad[0].line, 2);
    assert_eq!(bad[0].column.as_deref(), Some("Name"));
    assert!(!bad[0].reason.contains("runs from"), "{}", bad[0].reason);
}

#[test]
fn a_quote_never_closed_stops_reading_after_the_good_rows_before_it() {
    // Everything after the open quote would be one value: nothing there can be trusted, so
    // the reader stops (the sync then writes nothing) rather than guess.
    let mut r = csv(b"Email,Note\na@x.com,ok\nb@x.com,\"open\nc@x.com,fine\n");
    let (rows, stop) = drain(&mut r);
    let (good, bad) = split(rows);
    assert_eq!(good, [(2, "a@x.com".into())]);
    assert!(bad.is_empty());
    let stop = stop.expect("an unclosed quote stops the reader");
    assert!(
        matches!(stop, ReadError::Format { line: 3, .. }),
        "{stop:?}"
    );
    let text = stop.to_string();
    assert!(text.starts_with("hr.csv, line 3: "), "{text}");
    assert!(text.contains("never closed"), "{text}");
}

#[test]
fn invalid_utf8_and_nul_bytes_are_row_errors_naming_the_column() {
    let mut r = csv(
        b"Email,Title,Dept\na@x.com,Dev,R&D\nb@x.com,Caf\xE9,Ops\nc@x.com,Ok,Fi\0n\nd@x.com,QA,IT\n",
    );
    let (rows, stop) = drain(&mut r);
    assert!(stop.is_none());
    let (good, bad) = split(rows);
    assert_eq!(good, [(2, "a@x.com".into()), (5, "d@x.com".into())]);
    assert_eq!(bad[0].line, 3);
    assert_eq!(bad[0].column.as_deref(), Some("Title"));
    assert!(
        bad[0].reason.contains("not valid UTF-8"),
        "{}",
        bad[0].reason
    );
    assert_eq!(bad[1].line, 4);
    assert_eq!(bad[1].column.as_deref(), Some("Dept"));
    assert!(bad[1].reason.contains("NUL"), "{}", bad[1].reason);
}

#[test]
fn a_utf16_file_or_a_header_with_nuls_is_refused_whole() {
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "Email,Title\na@x.com,Dev\n".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let e = open("u16.csv", &utf16, InputFormat::Csv).unwrap_err();
    assert!(matches!(e, ReadError::Format { line: 1, .. }), "{e:?}");
    assert!(e.to_string().contains("UTF-16"), "{e}");
    let e = open("u16.jsonl", &utf16, InputFormat::JsonLines).unwrap_err();
    assert!(e.to_string().contains("UTF-16"), "{e}");

    // The same without its byte order mark: NULs between the letters.
    let e = open("nul.csv", &utf16[2..], InputFormat::Csv).unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("nul.csv, line 1: "), "{text}");
    assert!(text.contains("NUL"), "{text}");
}

#[test]
fn empty_and_blank_files_need_a_header() {
    for input in [&b""[..], b"\n\n\r\n", b"\xEF\xBB\xBF"] {
        let e = open("e.csv", input, InputFormat::Csv).unwrap_err();
        assert!(e.to_string().contains("header row is required"), "{e}");
    }
    let e = open("q.csv", b"\"Email\"x,Title\n", InputFormat::Csv).unwrap_err();
    assert!(e.to_string().contains("closing quote"), "{e}");
}

#[test]
fn old_mac_and_windows_line_breaks_keep_line_numbers() {
    let mut r = csv(b"Email,Note\ra@x.com,x\r\rb@x.com,\"two\r\nlines\"\r\nc@x.com,z");
    let (rows, stop) = drain(&mut r);
    assert!(stop.is_none());
    let lines: Vec<u64> = rows.iter().map(|r| r.as_ref().unwrap().line()).collect();
    assert_eq!(lines, [2, 4, 6]);
    assert_eq!(
        text(rows[1].as_ref().unwrap(), "Note").as_deref(),
        Some("two\nlines")
    );
}

// ---------------------------------------------------------------------------------------------
// CSV: size limits

#[test]
fn a_10_mib_field_is_refused_as_one_row_without_reading_the_rest_of_the_file() {
    for quoted in [true, false] {
        let big = 10 * MIB;
        let (open_q, close_q): (&[u8], &[u8]) = if quoted { (b"\"", b"\"") } else { (b"", b"") };
        let head = b"Email,Note\na@x.com,ok\nb@x.com,".to_vec();
        let (input, read) = Generated::new(vec![
            Part::Bytes(head.clone()),
            Part::Bytes(open_q.to_vec()),
            Part::Repeat(b'x', big),
            Part::Bytes([close_q, b"\n"].concat()),
            // Good rows without end: reading the whole file would never finish.
            Part::Forever(b"c@x.com,fine\n".to_vec()),
        ]);
        let mut r =
            RowReader::from_reader("big.csv".into(), Box::new(input), InputFormat::Csv).unwrap();
        let first = r.next_row().unwrap().unwrap().unwrap();
        assert_eq!(text(&first, "Email").as_deref(), Some("a@x.com"));
        let e = r.next_row().unwrap().unwrap().unwrap_err();
        assert_eq!(e.line, 3);
        assert!(
            e.reason
                .starts_with("the row is longer than 1024 KiB, so it is skipped"),
            "{}",
            e.reason
        );
        // The reader went past the big row and a buffer's worth more, no further.
        let consumed = read.load(Ordering::Relaxed);
        assert!(consumed >= big, "{consumed}");
        assert!(
            consumed < big + 256 * 1024,
            "quoted={quoted}: read {consumed}"
        );
        for line in 4..7 {
            let row = r.next_row().unwrap().unwrap().unwrap();
            assert_eq!(row.line(), line);
            assert_eq!(text(&row, "Note").as_deref(), Some("fine"));
        }
    }
}

#[test]
fn a_row_just_under_the_limit_is_read_and_one_just_over_is_not() {
    let fits = usize::try_from(MAX_RECORD_BYTES).unwrap() - "b@x.com,".len() - 1;
    let mut input = b"Email,Note\n".to_vec();
    input.extend_from_slice(b"b@x.com,");
    input.extend(std::iter::repeat_n(b'y', fits));
    input.extend_from_slice(b"\nc@x.com,");
    input.extend(std::iter::repeat_n(b'z', fits + 2));
    input.extend_from_slice(b"\nd@x.com,ok\n");
    let (rows, stop) = drain(&mut csv(&input));
    assert!(stop.is_none());
    assert_eq!(rows.len(), 3);
    assert_eq!(
        text(rows[0].as_ref().unwrap(), "Note").map(|t| t.len()),
        Some(fits)
    );
    assert_eq!(rows[1].as_ref().unwrap_err().line, 3);
    assert_eq!(rows[2].as_ref().unwrap().line(), 4);
}

#[test]
fn a_header_with_a_million_columns_is_refused_with_a_clear_error() {
    let mut header = Vec::new();
    for i in 0..1_000_000 {
        header.extend_from_slice(format!("c{i},").as_bytes());
    }
    header.extend_from_slice(b"Email\na@x.com\n");
    let e = open("wide.csv", &header, InputFormat::Csv).unwrap_err();
    assert_eq!(
        e.to_string(),
        "wide.csv, line 1: the header row is longer than 1024 KiB; is this a CSV export?"
    );

    // Under the byte limit but wider than any spreadsheet: refused by count.
    let names: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
    let wide = format!("{}\n", names.join(","));
    let e = open("wide.csv", wide.as_bytes(), InputFormat::Csv).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "wide.csv, line 1: the header has {} columns; at most {MAX_COLUMNS} (a spreadsheet's limit) are accepted",
            MAX_COLUMNS + 1
        )
    );

    // A spreadsheet's full width is fine.
    let names: Vec<String> = (0..MAX_COLUMNS).map(|i| format!("c{i}")).collect();
    let values: Vec<String> = (0..MAX_COLUMNS).map(|i| format!("v{i}")).collect();
    let full = format!("{}\n{}\n", names.join(","), values.join(","));
    let mut r = csv(full.as_bytes());
    let row = r.next_row().unwrap().unwrap().unwrap();
    assert_eq!(text(&row, "c16383").as_deref(), Some("v16383"));
}

#[test]
fn a_data_row_with_a_million_fields_is_one_bad_row() {
    let mut input = b"Email,Note\na@x.com,ok\n".to_vec();
    input.extend(std::iter::repeat_n(b',', 2_000_000));
    input.extend_from_slice(b"\nc@x.com,ok\n");
    let (rows, stop) = drain(&mut csv(&input));
    assert!(stop.is_none());
    let (good, bad) = split(rows);
    assert_eq!(good, [(2, "a@x.com".into()), (4, "c@x.com".into())]);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].line, 3);
    assert!(bad[0].reason.contains("longer than 1024 KiB"), "{bad:?}");
}

// ---------------------------------------------------------------------------------------------
// JSON Lines

#[test]
fn deeply_nested_json_lines_are_row_errors_not_a_stack_overflow() {
    let mut input = b"{\"Email\":\"a@x.com\"}\n".to_vec();
    input.extend(std::iter::repeat_n(b'[', 500_000));
    input.extend(std::iter::repeat_n(b']', 500_000));
    input.push(b'\n');
    for _ in 0..100_000 {
        input.extend_from_slice(b"{\"a\":");
    }
    input.extend_from_slice(b"1");
    input.extend(std::iter::repeat_n(b'}', 100_000));
    input.extend_from_slice(b"\n{\"Email\":\"d@x.com\",\"deep\":[[[1]]]}\n");
    let mut r = open("deep.jsonl", &input, InputFormat::JsonLines).unwrap();
    let (rows, stop) = drain(&mut r);
    assert!(stop.is_none());
    assert_eq!(rows.len(), 4);
    assert_eq!(
        text(rows[0].as_ref().unwrap(), "Email").as_deref(),
        Some("a@x.com")
    );
    for (row, line) in rows[1..3].iter().zip([2, 3]) {
        let e = row.as_ref().unwrap_err();
        assert_eq!(e.line, line);
        assert!(e.reason.contains("recursion limit"), "{}", e.reason);
    }
    let last = rows[3].as_ref().unwrap();
    assert_eq!(last.line(), 4);
    let e = last.cell("deep").unwrap_err();
    assert_eq!(e.column.as_deref(), Some("deep"));
    assert!(e.reason.contains("nested list"), "{}", e.reason);
}

#[test]
fn an_endless_json_line_is_skipped_with_bounded_reading() {
    let (input, read) = Generated::new(vec![
        Part::Bytes(b"{\"Email\":\"".to_vec()),
        Part::Repeat(b'x', 8 * MIB),
        Part::Bytes(b"\"}\n".to_vec()),
        Part::Forever(b"{\"Email\":\"b@x.com\"}\n".to_vec()),
    ]);
    let mut r =
        RowReader::from_reader("j.jsonl".into(), Box::new(input), InputFormat::JsonLines).unwrap();
    let e = r.next_row().unwrap().unwrap().unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.reason.contains("longer than 1024 KiB"), "{}", e.reason);
    assert!(read.load(Ordering::Relaxed) < 8 * MIB + 256 * 1024);
    let next = r.next_row().unwrap().unwrap().unwrap();
    assert_eq!(next.line(), 2);
    assert_eq!(text(&next, "Email").as_deref(), Some("b@x.com"));
}

// ---------------------------------------------------------------------------------------------
// Property tests

/// Bytes that make CSV interesting, mixed with any byte at all.
fn csvish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(b"\",\r\nab \xEF\xBB\xBF\x00\xC3\xFF".to_vec()),
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..600)
}

/// A field value: text with quotes, commas, line breaks and non-ASCII.
fn field() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            6 => prop::sample::select(vec!["a", "Z", "9", " ", "\"", ",", "\n", "\r\n", "\r", "é", "日", "'", "#"])
                .prop_map(str::to_owned),
            1 => "\\PC",
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn write_field(out: &mut String, value: &str, quote: bool) {
    let must = value.is_empty()
        || value.contains(['"', ',', '\n', '\r'])
        || value.starts_with(char::is_whitespace);
    if quote || must {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Line breaks a value holds as the reader counts them (CRLF is one).
fn breaks(value: &str) -> u64 {
    value.replace("\r\n", "\n").matches('\n').count() as u64
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn csv_reader_never_panics_and_stays_in_order(bytes in csvish_bytes()) {
        let Ok(mut reader) = open("fuzz.csv", &bytes, InputFormat::Csv) else {
            return Ok(());
        };
        let names: Vec<String> = reader.header().unwrap().names().to_vec();
        let mut last = 0;
        let mut steps = 0;
        loop {
            steps += 1;
            prop_assert!(steps <= bytes.len() + 2, "more rows than bytes");
            match reader.next_row() {
                Ok(None) | Err(_) => break,
                Ok(Some(Ok(row))) => {
                    prop_assert!(row.line() > last);
                    last = row.line();
                    for name in &names {
                        let _ = row.cell(name);
                    }
                }
                Ok(Some(Err(e))) => {
                    prop_assert!(e.line > last);
                    last = e.line;
                    prop_assert!(!e.reason.is_empty());
                }
            }
        }
    }

    #[test]
    fn well_formed_csv_round_trips(
        columns in 1usize..5,
        rows in prop::collection::vec(prop::collection::vec((field(), any::<bool>()), 5), 0..8),
        crlf in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let names: Vec<String> = (0..columns).map(|i| format!("col{i}")).collect();
        let mut file = format!("{}{eol}", names.join(","));
        let mut line = 2;
        let mut expected = Vec::new();
        for row in &rows {
            let mut written = String::new();
            for (i, (value, quote)) in row.iter().take(columns).enumerate() {
                if i > 0 {
                    written.push(',');
                }
                write_field(&mut written, value, *quote);
            }
            file.push_str(&written);
            file.push_str(eol);
            let values: Vec<String> = row.iter().take(columns).map(|(v, _)| v.replace("\r\n", "\n")).collect();
            expected.push((line, values));
            line += 1 + row.iter().take(columns).map(|(v, _)| breaks(v)).sum::<u64>();
        }
        let mut reader = open("ok.csv", file.as_bytes(), InputFormat::Csv).unwrap();
        let (got, stop) = drain(&mut reader);
        prop_assert!(stop.is_none(), "{:?}", stop);
        prop_assert_eq!(got.len(), expected.len());
        for (row, (line, values)) in got.iter().zip(&expected) {
            let row = row.as_ref().unwrap();
            prop_assert_eq!(row.line(), *line);
            for (name, value) in names.iter().zip(values) {
                let want = Some(value.trim()).filter(|v| !v.is_empty()).map(str::to_owned);
                prop_assert_eq!(text(row, name), want);
            }
        }
    }

    #[test]
    fn json_lines_reader_never_panics(bytes in csvish_bytes()) {
        // Only a UTF-16 byte order mark stops a JSON Lines file before its first line.
        let Ok(mut reader) = open("fuzz.jsonl", &bytes, InputFormat::JsonLines) else {
            prop_assert!(bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF"));
            return Ok(());
        };
        let (rows, _) = drain(&mut reader);
        prop_assert!(rows.len() <= bytes.len());
    }
}
