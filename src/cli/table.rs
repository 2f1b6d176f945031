//! Plain-text tables: on a terminal they fit its width (columns shrink from the widest, cells
//! cut with an ellipsis); into a pipe or file they grow to fit, so nothing is ever cut there.

use crate::text;

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
                    .map(|s| text::width(s))
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
                if c + 1 < n {
                    line.push_str(&text::fit_padded(cell, widths[c], "…"));
                    line.push_str("  ");
                } else {
                    line.push_str(&text::fit(cell, widths[c], "…"));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// The width to render for: the terminal's when stdout is one (its size, else `COLUMNS`, else
/// 80), and no limit when stdout is a pipe or a file, where a cut would lose data for good.
pub fn terminal_width() -> usize {
    width_for(
        std::io::IsTerminal::is_terminal(&std::io::stdout()),
        crossterm::terminal::size()
            .ok()
            .map(|(w, _)| usize::from(w)),
        std::env::var("COLUMNS").ok().as_deref(),
    )
}

/// [`terminal_width`] from what it reads: whether stdout is a terminal, the terminal's width,
/// and `COLUMNS`.
fn width_for(terminal: bool, size: Option<usize>, columns: Option<&str>) -> usize {
    if !terminal {
        return usize::MAX;
    }
    size.filter(|w| *w >= 40)
        .or_else(|| {
            columns
                .and_then(|c| c.parse::<usize>().ok())
                .filter(|w| *w >= 40)
        })
        .unwrap_or(80)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

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
    fn a_name_with_control_characters_is_cut_without_panicking() {
        // Issue 14: two or more control characters in a cut cell made `render` panic with
        // "capacity overflow" (the width of the cut text was taken after the controls).
        let mut t = Table::new(["ID", "NAME", "NOTE"]).keep(0);
        let hostile = format!(
            "\x1b]52;c;{}\x07\x1b[2J{}",
            "QUJD".repeat(20),
            "x".repeat(40)
        );
        t.row(["hr", hostile.as_str(), "note"]);
        let out = t.render(60);
        for line in out.lines() {
            assert!(line.width() <= 60, "{line:?}");
            assert!(!line.chars().any(crate::text::is_unsafe), "{line:?}");
        }
        assert!(out.contains("␛]52;c;"), "{out}");
    }

    #[test]
    fn a_pipe_gets_every_character_and_a_terminal_its_width() {
        assert_eq!(width_for(false, Some(80), Some("60")), usize::MAX);
        assert_eq!(width_for(true, Some(120), Some("60")), 120);
        assert_eq!(width_for(true, None, Some("60")), 60);
        assert_eq!(width_for(true, None, None), 80);
        let mut t = Table::new(["STEP", "DETAIL"]);
        let long = format!("{} (Talent Hub, ready, 100 items)", "x".repeat(150));
        t.row(["connection", long.as_str()]);
        let out = t.render(usize::MAX);
        assert!(out.contains(&long), "{out}");
        assert!(!out.contains('…'));
    }

    proptest::proptest! {
        #[test]
        fn any_cells_fit_any_width(
            cells in proptest::collection::vec(crate::text::tests::hostile_text(), 3..9),
            width in 20usize..200,
        ) {
            let mut t = Table::new(["A", "B", "C"]).keep(0);
            for row in cells.chunks(3) {
                t.row(row.to_vec());
            }
            let out = t.render(width);
            for line in out.lines() {
                // A kept column is never cut, so only the others are bounded by the width.
                let kept: usize = cells.iter().step_by(3).map(|c| crate::text::width(c)).max().unwrap_or(0);
                proptest::prop_assert!(line.width() <= width.max(kept + 2 * 2 + 8), "{:?}", line);
                proptest::prop_assert!(!line.chars().any(crate::text::is_unsafe), "{:?}", line);
            }
        }
    }
}
