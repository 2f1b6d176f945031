//! Hostile mapping files: unknown keys and wrong types named with their line, garbage and
//! huge files refused.

use proptest::prelude::*;

use super::{MAX_MAPPING_BYTES, Mapping, MappingError};

// ---------------------------------------------------------------------------------------------
// Mapping files

fn mapping_error(text: &str) -> (usize, String) {
    match Mapping::parse("m.toml", text).unwrap_err() {
        MappingError::Invalid {
            file,
            line,
            message,
        } => {
            assert_eq!(file, "m.toml");
            (line, message)
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn unknown_keys_are_named_with_their_line_at_every_level() {
    let cases = [
        (
            "[key]\ncolumn = \"E\"\n\n[positon]\njobTitle = \"T\"\n",
            4,
            "positon",
        ),
        ("[key]\ncolum = \"E\"\n", 2, "colum"),
        (
            "[input]\nfromat = \"csv\"\n[key]\ncolumn = \"E\"\n",
            2,
            "fromat",
        ),
        (
            "[key]\ncolumn = \"E\"\n[skills]\ncolumn = \"S\"\nseperator = \",\"\n",
            5,
            "seperator",
        ),
        (
            "[key]\ncolumn = \"E\"\n[addresses.mars]\ncity = \"C\"\n",
            3,
            "mars",
        ),
        (
            "[key]\ncolumn = \"E\"\n[addresses.work]\ntown = \"C\"\n",
            4,
            "town",
        ),
        (
            "[key]\ncolumn = \"E\"\n[names]\nnickName = \"N\"\n",
            4,
            "nickName",
        ),
        (
            "[key]\ncolumn = \"E\"\n[emails]\nwork = \"W\"\nspam = \"S\"\n",
            5,
            "spam",
        ),
    ];
    for (text, line, key) in cases {
        let (got_line, message) = mapping_error(text);
        assert_eq!(got_line, line, "{text:?}: {message}");
        assert!(message.contains(key), "{text:?}: {message}");
    }
}

#[test]
fn wrong_types_name_the_key_and_its_line() {
    let cases = [
        ("[key]\ncolumn = 3\n", 2, "`key.column`"),
        ("[key]\ncolumn = \"E\"\nkind = 7\n", 3, "`key.kind`"),
        (
            "[key]\ncolumn = \"E\"\n[position]\njobTitle = true\n",
            4,
            "`position.jobTitle`",
        ),
        (
            "[key]\ncolumn = \"E\"\n[emails]\nwork = [\"a\", 1]\n",
            4,
            "`emails.work`",
        ),
        (
            "[input]\nmissingColumns = \"sometimes\"\n[key]\ncolumn = \"E\"\n",
            2,
            "`input.missingColumns`",
        ),
        (
            "[input]\nformat = \"xlsx\"\n[key]\ncolumn = \"E\"\n",
            2,
            "`input.format`",
        ),
        (
            "[key]\ncolumn = \"E\"\n[custom]\ncostCenter = { a = 1 }\n",
            4,
            "`custom.costCenter`",
        ),
        (
            "[key]\ncolumn = \"E\"\n[skills]\ncolumn = []\n",
            4,
            "`skills.column`",
        ),
        (
            "[key]\ncolumn = \"E\"\n[notes]\ncolumn = \"  \"\n",
            4,
            "`notes.column`",
        ),
    ];
    for (text, line, key) in cases {
        let (got_line, message) = mapping_error(text);
        assert_eq!(got_line, line, "{text:?}: {message}");
        assert!(message.contains(key), "{text:?}: {message}");
    }
    // A section given as a value.
    let (line, message) = mapping_error("key = \"Email\"\n");
    assert_eq!(line, 1);
    assert_eq!(
        message,
        "`key`: invalid type: string \"Email\", expected a [key] table (column, kind)"
    );
}

#[test]
fn a_non_ascii_property_name_is_refused_for_its_characters_not_a_byte_count() {
    // 17 characters, 34 bytes: within the length limit, so the charset is what is wrong.
    let name = "é".repeat(17);
    let (line, message) = mapping_error(&format!(
        "[key]\ncolumn = \"E\"\n[custom]\n\"{name}\" = \"C\"\n"
    ));
    assert_eq!(line, 4);
    assert!(message.contains("not 'é'"), "{message}");
    let (_, message) = mapping_error(&format!(
        "[key]\ncolumn = \"E\"\n[custom]\n\"{}\" = \"C\"\n",
        "a".repeat(33)
    ));
    assert!(message.contains("this one is 33"), "{message}");
}

#[test]
fn deeply_nested_and_garbage_mappings_are_errors() {
    let deep = format!(
        "[key]\ncolumn = {}\"E\"{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (line, _) = mapping_error(&deep);
    assert_eq!(line, 2);
    let inline = format!("[key]\ncolumn = \"E\"\nx = {}\n", "{a=".repeat(50_000));
    mapping_error(&inline);
    for garbage in [
        "\0\0\0",
        "[[[",
        "= = =",
        "[key\ncolumn=\"E\"",
        "\u{feff}[key]\n",
    ] {
        mapping_error(garbage);
    }
}

#[test]
fn a_huge_or_binary_mapping_file_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.toml");
    let mut text = b"[key]\ncolumn = \"E\"\n".to_vec();
    text.extend(std::iter::repeat_n(
        b'#',
        usize::try_from(MAX_MAPPING_BYTES).unwrap(),
    ));
    std::fs::write(&huge, &text).unwrap();
    let e = Mapping::load(&huge).unwrap_err().to_string();
    assert!(e.contains("huge.toml, line 1: "), "{e}");
    assert!(e.contains("larger than 1024 KiB"), "{e}");

    let binary = dir.path().join("binary.toml");
    std::fs::write(&binary, b"[key]\ncolumn = \"E\"\n# caf\xE9\n").unwrap();
    let e = Mapping::load(&binary).unwrap_err().to_string();
    assert!(e.contains("binary.toml, line 3: "), "{e}");
    assert!(e.contains("not UTF-8"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mapping_parser_never_panics(
        parts in prop::collection::vec(
            prop::sample::select(vec![
                "[key]", "[position]", "[skills]", "[custom]", "[addresses.work]", "[[x]]",
                "column", "kind", "jobTitle", "separator", "=", "\"E\"", "'x'", "[", "]", "{",
                "}", ",", "3", "true", "\n", " ", "#", "\"", "\\", "é", "\u{0}",
            ]),
            0..40,
        )
    ) {
        let text = parts.concat();
        if let Err(MappingError::Invalid { line, message, .. }) = Mapping::parse("p.toml", &text) {
            prop_assert!(line >= 1 && line <= text.matches('\n').count() + 1);
            prop_assert!(!message.is_empty());
        }
    }

    #[test]
    fn mapping_type_errors_name_the_key(
        section in prop::sample::select(vec![
            ("position", "jobTitle"), ("position", "department"), ("names", "first"),
            ("emails", "work"), ("phones", "mobile"), ("custom", "costCenter"),
            ("skills", "column"), ("notes", "column"),
        ]),
        bad in prop::sample::select(vec!["3", "true", "1.5", "{ a = 1 }", "[1]", "2024-01-01"]),
        blank_lines in 0usize..4,
    ) {
        let (table, key) = section;
        let text = format!(
            "[key]\ncolumn = \"Email\"\n{}[{table}]\n{key} = {bad}\n",
            "\n".repeat(blank_lines)
        );
        let (line, message) = mapping_error(&text);
        prop_assert_eq!(line, 4 + blank_lines, "{}", message);
        let want = format!("`{table}.{key}`");
        prop_assert!(message.contains(&want), "{}", message);
    }
}
