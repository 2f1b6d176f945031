//! Plain-text tables that fit a terminal width: columns shrink from the widest, cells truncate
//! with an ellipsis.

use unicode_width::UnicodeWidthStr;

/// A table being built.
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Columns never shortened (ids an admin copies into commands).
    keep: Vec<usize>,
}

impl Table {
    /// A table with these column headers.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(headers: I) -> Self {
        Self {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
            keep: Vec::new(),
        }
    }

    /// Marks a column as never shortened.
    #[must_use]
    pub fn keep(mut self, column: usize) -> Self {
        self.keep.push(column);
        self
    }

    /// Adds a row (missing cells are blank).
    pub fn row<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, cells: I) {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    /// True when no rows were added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders to at most `width` columns per line.
    pub fn render(&self, width: usize) -> String {
        let n = self.headers.len();
        if n == 0 {
            return String::new();
        }
        let mut widths: Vec<usize> = (0..n)
            .map(|c| {
                std::iter::once(&self.headers[c])
                    .chain(self.rows.iter().map(|r| &r[c]))
                    .map(|s| s.width())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let gaps = 2 * (n - 1);
        // Shrink the widest column one step at a time: keeps narrow columns (ranks, flags) whole.
        while widths.iter().sum::<usize>() + gaps > width {
            let (i, w) = widths
                .iter()
                .enumerate()
                .filter(|(i, _)| !self.keep.contains(i))
                .max_by_key(|(_, w)| **w)
                .map_or((0, 0), |(i, w)| (i, *w));
            if w <= 4 {
                break;
            }
            widths[i] = w - 1;
        }
        let mut out = String::new();
        for row in std::iter::once(&self.headers).chain(self.rows.iter()) {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                let text = fit(cell, widths[c]);
                line.push_str(&text);
                if c + 1 < n {
                    let pad = widths[c] - text.width() + 2;
                    line.push_str(&" ".repeat(pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Truncates `text` to `width` display columns, ending in `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Word-wraps `text` to `width` columns for a caller that prints it after `indent` spaces;
/// every following line gets the same indent.
pub fn wrap(text: &str, width: usize, indent: usize) -> String {
    let mut out = String::new();
    let mut line_width = indent;
    let pad = " ".repeat(indent);
    for word in text.split_whitespace() {
        let w = word.width();
        if line_width > indent && line_width + 1 + w > width {
            out.push('\n');
            out.push_str(&pad);
            line_width = indent;
        } else if line_width > indent {
            out.push(' ');
            line_width += 1;
        }
        out.push_str(word);
        line_width += w;
    }
    out
}

/// The terminal width to render for: `COLUMNS`, else 80 (pipes and CI get 80 too).
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_the_width_and_truncates_the_widest_column() {
        let mut t = Table::new(["RANK", "SOURCE", "URL"]);
        t.row(["1", "contosohr", &"https://example.com/".repeat(10)]);
        t.row(["2", "Zoë Müller", "short"]);
        let text = t.render(60);
        for line in text.lines() {
            assert!(line.width() <= 60, "{line:?} is {} wide", line.width());
        }
        assert!(text.contains('…'));
        assert!(
            text.contains("contosohr"),
            "narrow columns stay whole: {text}"
        );
        assert!(text.lines().next().unwrap().starts_with("RANK  SOURCE"));
    }

    #[test]
    fn wraps_words_with_a_hanging_indent() {
        let text = format!("  {}", wrap("one two three four five six", 10, 2));
        assert_eq!(text, "  one two\n  three\n  four\n  five six");
        for line in text.lines() {
            assert!(line.width() <= 10);
        }
    }

    #[test]
    fn fit_cuts_by_display_width() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(fit("日本語です", 5), "日本…");
    }
}
