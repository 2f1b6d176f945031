//! The one way untrusted text becomes terminal text (sanitise, measure, cut, wrap) or shell text (quote).
//!
//! Text from Graph, HR files, config or errors is shown only through [`shown`] (or the helpers
//! here built on it). The convention for what cannot be shown as itself:
//!
//! - tab becomes one space;
//! - the other C0 controls U+0000–U+001F become their control pictures (`␛` for ESC, `␊` for a
//!   line feed, U+2400 + code), and DEL becomes `␡`;
//! - C1 controls (U+0080–U+009F) and the invisible or reordering format characters
//!   (U+061C, U+200B–U+200F, U+2028–U+2029, U+202A–U+202E, U+2060–U+2064, U+2066–U+2069,
//!   U+FEFF) become the ASCII text `\u{202e}`, lowercase hex without leading zeros.
//!
//! None of these characters is ever emitted, so a hostile name can neither drive the terminal
//! (escape sequences, OSC 52 clipboard writes, titles) nor reorder or hide what it shows.
//! Width and cutting are computed on the sanitised text, so they cannot disagree with it.

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// True for a character that must never reach a terminal as itself.
pub fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x1f'
            | '\x7f'..='\u{9f}'
            | '\u{061c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// Appends the visible, inert form of `c` (which [`is_unsafe`]) to `out`.
fn push_inert(out: &mut String, c: char) {
    match c {
        '\t' => out.push(' '),
        '\0'..='\x1f' => out.push(char::from_u32(0x2400 + u32::from(c)).unwrap_or('?')),
        '\x7f' => out.push('\u{2421}'),
        _ => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// `text` as a terminal may show it: every unsafe character replaced by its inert form (see
/// the module docs). Borrowed when nothing changes, so clean text costs no allocation.
pub fn shown(text: &str) -> Cow<'_, str> {
    shown_keeping(text, false)
}

/// Like [`shown`], but line feeds stay line feeds: for multi-line text we composed ourselves
/// (a table, a report) in which each untrusted piece was already passed through [`shown`].
pub fn shown_lines(text: &str) -> Cow<'_, str> {
    shown_keeping(text, true)
}

fn shown_keeping(text: &str, newlines: bool) -> Cow<'_, str> {
    let unsafe_here = |c: char| is_unsafe(c) && !(newlines && c == '\n');
    // Fast path: ASCII printable bytes are the common case and need no char decoding.
    let first = text
        .bytes()
        .position(|b| !(0x20..0x7f).contains(&b))
        .and_then(|start| {
            text[start..]
                .char_indices()
                .find(|&(_, c)| unsafe_here(c))
                .map(|(i, _)| start + i)
        });
    let Some(first) = first else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if unsafe_here(c) {
            push_inert(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Display columns `text` takes once sanitised.
pub fn width(text: &str) -> usize {
    shown(text).width()
}

/// `text` sanitised and cut to at most `max` columns, ending in `ellipsis` when cut (or cut
/// hard when even the ellipsis does not fit).
pub fn fit<'a>(text: &'a str, max: usize, ellipsis: &str) -> Cow<'a, str> {
    let shown = shown(text);
    if shown.width() <= max {
        return shown;
    }
    let ell = shown_lines(ellipsis);
    let ell_w = ell.width();
    if max < ell_w || ell_w == 0 {
        return Cow::Owned(cut(&shown, max).to_owned());
    }
    let mut out = cut(&shown, max - ell_w).to_owned();
    out.push_str(&ell);
    // Widths of a whole string can exceed the sum of its characters' (a variation selector
    // widens what it follows); drop characters until the promise holds.
    while out.width() > max && out.len() > ell.len() {
        let keep = out.len() - ell.len();
        let Some((i, _)) = out[..keep].char_indices().next_back() else {
            break;
        };
        out.replace_range(i..keep, "");
    }
    Cow::Owned(out)
}

/// [`fit`], then padded with spaces to exactly `cols` columns.
pub fn fit_padded(text: &str, cols: usize, ellipsis: &str) -> String {
    let t = fit(text, cols, ellipsis);
    let pad = cols.saturating_sub(t.width());
    let mut out = String::with_capacity(t.len() + pad);
    out.push_str(&t);
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// The longest prefix of already-sanitised `text` that fits `max` columns.
fn cut(text: &str, max: usize) -> &str {
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > max {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    let mut prefix = &text[..end];
    while prefix.width() > max {
        let Some((i, _)) = prefix.char_indices().next_back() else {
            break;
        };
        prefix = &prefix[..i];
    }
    prefix
}

/// `text` sanitised and wrapped to lines of at most `max` columns, at spaces where possible;
/// a word longer than a line is cut hard. Always at least one line.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let text = shown(text);
    let mut out = Vec::new();
    let mut line = String::new();
    let mut line_w = 0;
    for word in text.split(' ') {
        let mut word = word;
        let mut word_w = word.width();
        if line_w > 0 && line_w + 1 + word_w > max {
            out.push(std::mem::take(&mut line));
            line_w = 0;
        }
        if line_w > 0 {
            line.push(' ');
            line_w += 1;
        }
        while line_w + word_w > max {
            let mut head = cut(word, max.saturating_sub(line_w));
            if head.is_empty() {
                if line_w > 0 {
                    out.push(std::mem::take(&mut line));
                    line_w = 0;
                    continue;
                }
                // Narrower than one character: take it anyway, so wrapping always ends.
                let first = word.chars().next().map_or(0, char::len_utf8);
                head = &word[..first];
            }
            line.push_str(head);
            out.push(std::mem::take(&mut line));
            line_w = 0;
            word = &word[head.len()..];
            // Measuring the whole rest after every cut is quadratic in a long word: subtract
            // while far from the end, measure exactly once near it (widths are not quite
            // additive).
            word_w = word_w.saturating_sub(head.width());
            if word_w <= max.saturating_mul(2) {
                word_w = word.width();
            }
        }
        line.push_str(word);
        line_w += word_w;
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// [`wrap`] for text printed after `indent` spaces on lines of `max` columns: the lines joined
/// by a line feed and the same indent.
pub fn wrap_indented(text: &str, max: usize, indent: usize) -> String {
    wrap(text, max.saturating_sub(indent).max(1)).join(&format!("\n{}", " ".repeat(indent)))
}

/// True when `arg` means the same to a POSIX shell bare as quoted.
fn is_plain_word(arg: &str) -> bool {
    // `=` only matters at the start (zsh's =cmd); `~` expands after `:` in assignments too.
    !arg.is_empty()
        && !arg.starts_with('=')
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@=,+%".contains(c))
}

/// `arg` quoted for a POSIX shell: plain words stay bare, anything else goes in single quotes
/// (a `'` inside becomes `'\''`), so the shell hands the program exactly `arg`.
pub fn shell_quote(arg: &str) -> Cow<'_, str> {
    if is_plain_word(arg) {
        Cow::Borrowed(arg)
    } else {
        Cow::Owned(format!("'{}'", arg.replace('\'', r"'\''")))
    }
}

/// A command line printed for an admin to paste: every argument quoted for a POSIX shell.
/// Words keep the order they were added in; when an operand could be taken for an option
/// (it starts with `-`), the operands move after a `--`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    /// Each word, and whether it is an operand (data) rather than a word of ours.
    words: Vec<(String, bool)>,
    comment: Option<String>,
}

impl CommandLine {
    /// `peoplectl` followed by these subcommand words (ours, not data).
    pub fn peoplectl<const N: usize>(subcommand: [&str; N]) -> Self {
        let mut words = vec![("peoplectl".to_owned(), false)];
        words.extend(subcommand.iter().map(|w| ((*w).to_owned(), false)));
        Self {
            words,
            comment: None,
        }
    }

    /// Adds an option with its value (`--name VALUE`, or `--name=VALUE` when the value
    /// starts with `-` and could be taken for an option).
    #[must_use]
    pub fn option(mut self, flag: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        if value.starts_with('-') {
            self.words.push((format!("{flag}={value}"), false));
        } else {
            self.words.push((flag.to_owned(), false));
            self.words.push((value, false));
        }
        self
    }

    /// Adds a flag without a value (`--wait`).
    #[must_use]
    pub fn flag(mut self, flag: &str) -> Self {
        self.words.push((flag.to_owned(), false));
        self
    }

    /// Adds a positional operand (an id, a UPN, a path).
    #[must_use]
    pub fn operand(mut self, value: impl Into<String>) -> Self {
        self.words.push((value.into(), true));
        self
    }

    /// A note after the command, as a shell comment (sanitised, so it cannot end the line).
    #[must_use]
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }

    /// The argv the shell hands the program when the line is pasted.
    pub fn argv(&self) -> Vec<String> {
        if !self.words.iter().any(|(w, op)| *op && w.starts_with('-')) {
            return self.words.iter().map(|(w, _)| w.clone()).collect();
        }
        let mut argv: Vec<String> = self
            .words
            .iter()
            .filter(|(_, op)| !op)
            .map(|(w, _)| w.clone())
            .collect();
        argv.push("--".to_owned());
        argv.extend(
            self.words
                .iter()
                .filter(|(_, op)| *op)
                .map(|(w, _)| w.clone()),
        );
        argv
    }

    /// True when the printed line, shown on a terminal, is exactly what must be pasted: no
    /// argument holds a character that [`shown`] replaces.
    pub fn pasteable(&self) -> bool {
        self.argv().iter().all(|a| !a.chars().any(is_unsafe))
    }
}

impl std::fmt::Display for CommandLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, arg) in self.argv().iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&shell_quote(arg))?;
        }
        if let Some(c) = &self.comment {
            write!(f, "   # {}", shown(c))?;
        }
        Ok(())
    }
}

/// Serialized JSON with every C1 control, DEL and format character above escaped as `\uXXXX`
/// (serde escapes only C0), so a terminal that `cat`s the document interprets nothing. Still
/// valid JSON that parses to the same value: these characters can only occur inside strings.
pub fn json_safe(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| c >= '\x7f' && is_unsafe(c)) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c >= '\x7f' && is_unsafe(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clean_text_is_borrowed_and_unchanged() {
        for t in ["contosohr", "Zoë Müller", "日本語", "", "a'b\"c$`"] {
            assert!(matches!(shown(t), Cow::Borrowed(s) if s == t), "{t:?}");
        }
    }

    #[test]
    fn controls_and_reordering_characters_are_shown_inertly() {
        assert_eq!(
            shown("\x1b]52;c;Y3VybA==\x07x"),
            "␛]52;c;Y3VybA==␇x",
            "OSC 52"
        );
        assert_eq!(shown("a\tb\nc\rd\x7f"), "a b␊c␍d␡");
        assert_eq!(shown("\u{9b}2J"), "\\u{9b}2J", "C1 CSI");
        assert_eq!(shown("abc\u{202e}fed"), "abc\\u{202e}fed", "RTL override");
        assert_eq!(
            shown("x\u{200b}\u{feff}\u{2066}"),
            "x\\u{200b}\\u{feff}\\u{2066}"
        );
        assert_eq!(shown_lines("a\nb\x1b"), "a\nb␛");
    }

    #[test]
    fn the_panicking_name_of_issue_14_fits() {
        // Two control characters made the old table code pad by a negative amount.
        let name = "\x1b[2J\x1b]0;owned\x07 Contoso HR";
        let cut = fit(name, 10, "…");
        assert_eq!(cut, "␛[2J␛]0;o…");
        assert_eq!(cut.width(), 10);
        assert_eq!(fit_padded("ab", 4, "…"), "ab  ");
    }

    #[test]
    fn fit_and_wrap_by_display_width() {
        assert_eq!(fit("abcdef", 4, "…"), "abc…");
        assert_eq!(fit("abc", 4, "…"), "abc");
        assert_eq!(fit("日本語です", 5, "…"), "日本…");
        assert_eq!(fit("Senior Software Engineer", 10, "..."), "Senior ...");
        assert_eq!(fit("abcdef", 2, "..."), "ab", "no room for the ellipsis");
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        let long = wrap("https://example.com/a/very/long/path", 10);
        assert!(long.iter().all(|l| l.width() <= 10), "{long:?}");
        assert_eq!(long.concat(), "https://example.com/a/very/long/path");
        assert_eq!(wrap("", 10), [""]);
    }

    #[test]
    fn shell_quoting_keeps_plain_words_bare() {
        assert_eq!(shell_quote("contosohr"), "contosohr");
        assert_eq!(
            shell_quote("https://hr.contoso.com/x"),
            "https://hr.contoso.com/x"
        );
        assert_eq!(
            shell_quote("Contoso HR (Workday)"),
            "'Contoso HR (Workday)'"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("~root"), "'~root'");
        assert_eq!(
            shell_quote("hr;touch${IFS}/tmp/x;#"),
            "'hr;touch${IFS}/tmp/x;#'"
        );
    }

    #[test]
    fn command_lines_put_dashed_operands_after_a_double_dash() {
        let c = CommandLine::peoplectl(["remove"]).operand("--yes");
        assert_eq!(c.to_string(), "peoplectl remove -- --yes");
        let c = CommandLine::peoplectl(["connections", "create"])
            .operand("hr2")
            .option("--name", "HR; rm -rf ~")
            .flag("--wait")
            .comment("then: peoplectl remove hr\nrm -rf /");
        assert_eq!(
            c.to_string(),
            "peoplectl connections create hr2 --name 'HR; rm -rf ~' --wait   # then: peoplectl remove hr␊rm -rf /"
        );
        let c = CommandLine::peoplectl(["precedence", "move"])
            .operand("-x")
            .option("--to", "1");
        assert_eq!(c.to_string(), "peoplectl precedence move --to 1 -- -x");
        assert!(c.pasteable());
        assert!(
            !CommandLine::peoplectl(["remove"])
                .operand("a\x1bb")
                .pasteable()
        );
    }

    #[test]
    fn json_stays_valid_and_exact() {
        let value = serde_json::json!({"name": "a\u{9b}b\u{202e}c\x1b\x7f日本"});
        let text = serde_json::to_string(&value).unwrap();
        let safe = json_safe(&text);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        assert!(safe.contains("\\u009b") && safe.contains("\\u202e"));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }

    /// Arbitrary text leaning on the hard cases: controls, C1, bidi, zero-width, combining
    /// marks, wide CJK, emoji with ZWJ and variation selectors, RTL letters.
    pub(crate) fn hostile_text() -> impl Strategy<Value = String> {
        let pieces = prop_oneof![
            any::<char>().prop_map(String::from),
            prop::sample::select(vec![
                "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07",
                "\x1b]0;owned\x07",
                "\x1b[2J",
                "\u{9b}31m",
                "\u{202e}",
                "\u{2066}",
                "\u{200b}",
                "\u{feff}",
                "e\u{301}\u{302}",
                "日本語",
                "👨\u{200d}👩\u{200d}👧",
                "☺\u{fe0f}",
                "שלום",
                "\t",
                "\n",
                "\r\n",
                " ",
                "'",
                "a",
            ])
            .prop_map(str::to_owned),
        ];
        prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn nothing_unsafe_survives_and_widths_hold(text in hostile_text(), max in 0usize..200) {
            let s = shown(&text);
            prop_assert!(!s.chars().any(is_unsafe));
            prop_assert_eq!(shown(&s), s.clone(), "idempotent");
            let f = fit(&text, max, "…");
            prop_assert!(f.width() <= max, "{:?} is {} wide", f, f.width());
            prop_assert!(!f.chars().any(is_unsafe));
            prop_assert_eq!(fit_padded(&text, max, "…").width(), max.max(f.width()));
            for line in wrap(&text, max.max(2)) {
                prop_assert!(line.width() <= max.max(2), "{:?}", line);
                prop_assert!(!line.chars().any(is_unsafe));
            }
        }

        #[test]
        fn long_text_cuts_fast_and_right(text in hostile_text(), max in 20usize..200) {
            let long = text.repeat(10_000 / text.len().max(1) + 1);
            prop_assert!(fit(&long, max, "…").width() <= max);
        }

        #[test]
        fn printed_commands_parse_back_to_their_argv(
            args in prop::collection::vec(hostile_text(), 1..4),
            name in hostile_text(),
        ) {
            let mut c = CommandLine::peoplectl(["connections", "create"]).option("--name", name);
            for a in &args {
                c = c.operand(a.clone());
            }
            let printed = c.to_string();
            let parsed = shell_words::split(&printed).expect("parses");
            prop_assert_eq!(parsed, c.argv());
            // Shown on a terminal, it is exact whenever it is pasteable, and inert always.
            let on_screen = shown(&printed);
            prop_assert!(!on_screen.chars().any(is_unsafe));
            if c.pasteable() {
                prop_assert_eq!(shell_words::split(&on_screen).expect("parses"), c.argv());
            }
        }

        #[test]
        fn json_round_trips(text in hostile_text()) {
            let value = serde_json::json!({"v": text});
            let pretty = serde_json::to_string_pretty(&value).unwrap();
            let safe = json_safe(&pretty);
            prop_assert!(!safe.chars().any(|c| is_unsafe(c) && c != '\n'));
            let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
            prop_assert_eq!(back, value);
        }
    }
}
