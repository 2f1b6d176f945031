//! Small drawing helpers shared by panes and popups: blocks, fixed-width columns, truncation.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

// Geometry lives in `layout`; drawing code has long reached it through here.
pub use super::layout::{centered, split_detail};
use super::state::{AppState, LoadState};
use super::theme::{Role, Theme};

/// A bordered block with a title.
pub fn block<'a>(theme: &Theme, title: impl Into<Line<'a>>) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_set(theme.border())
        .title(title.into().style(theme.style(Role::Heading)))
}

/// `text` cut to `width` columns, ending in an ellipsis when cut.
pub fn truncate(text: &str, width: usize, theme: &Theme) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let ell = theme.glyphs().ellipsis;
    let keep = width.saturating_sub(ell.width());
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > keep {
            break;
        }
        out.push(c);
        used += w;
    }
    if width >= ell.width() {
        out.push_str(ell);
    }
    out
}

/// `text` truncated and padded to exactly `width` columns.
pub fn cell(text: &str, width: usize, theme: &Theme) -> String {
    let t = truncate(text, width, theme);
    let pad = width.saturating_sub(t.width());
    format!("{t}{}", " ".repeat(pad))
}

/// A column of a table: its heading, minimum width, and whether it takes spare room.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub title: &'static str,
    pub min: u16,
    /// Share of the spare width (0 = fixed).
    pub grow: u16,
    /// Upper bound when growing (0 = none).
    pub max: u16,
}

impl Col {
    /// A fixed-width column.
    pub const fn fixed(title: &'static str, width: u16) -> Self {
        Self {
            title,
            min: width,
            grow: 0,
            max: 0,
        }
    }

    /// A column that takes `grow` shares of the spare width, up to `max` (0: unbounded).
    pub const fn flex(title: &'static str, min: u16, grow: u16, max: u16) -> Self {
        Self {
            title,
            min,
            grow,
            max,
        }
    }
}

/// Column widths for `total` columns, one space between columns.
pub fn widths(total: u16, cols: &[Col]) -> Vec<usize> {
    let gaps = u16::try_from(cols.len().saturating_sub(1)).unwrap_or(0);
    let fixed: u16 = cols.iter().map(|c| c.min).sum::<u16>() + gaps;
    let mut spare = total.saturating_sub(fixed);
    let mut out: Vec<u16> = cols.iter().map(|c| c.min).collect();
    // Two passes: hand out shares, then give what capped columns refused to the others.
    for _ in 0..2 {
        let shares: u16 = cols
            .iter()
            .zip(&out)
            .filter(|(c, w)| c.grow > 0 && (c.max == 0 || **w < c.max))
            .map(|(c, _)| c.grow)
            .sum();
        if shares == 0 || spare == 0 {
            break;
        }
        let pool = spare;
        for (c, w) in cols.iter().zip(out.iter_mut()) {
            if c.grow == 0 || (c.max != 0 && *w >= c.max) {
                continue;
            }
            let mut add = pool * c.grow / shares;
            if c.max != 0 {
                add = add.min(c.max - *w);
            }
            *w += add;
            spare -= add;
        }
    }
    // Rounding leftovers go to the last growing column.
    if let Some((_, w)) = cols
        .iter()
        .zip(out.iter_mut())
        .rev()
        .find(|(c, w)| c.grow > 0 && (c.max == 0 || **w < c.max))
    {
        *w += spare;
    }
    out.into_iter().map(usize::from).collect()
}

/// A line of cells at the given widths, each with its own style.
pub fn row<'a>(cells: Vec<(String, Style)>, widths: &[usize], theme: &Theme) -> Line<'a> {
    let mut spans = Vec::with_capacity(cells.len() * 2);
    for (i, ((text, style), w)) in cells.into_iter().zip(widths).enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(cell(&text, *w, theme), style));
    }
    Line::from(spans)
}

/// The heading line of a table.
pub fn heading<'a>(cols: &[Col], widths: &[usize], theme: &Theme) -> Line<'a> {
    let style = theme.style(Role::Heading);
    row(
        cols.iter().map(|c| (c.title.to_owned(), style)).collect(),
        widths,
        theme,
    )
}

/// Clears `area` and draws a popup frame with a title; returns the inside.
pub fn popup_frame(frame: &mut Frame, area: Rect, title: &str, theme: &Theme, error: bool) -> Rect {
    frame.render_widget(Clear, area);
    let mut b = block(theme, format!(" {title} "));
    if error {
        b = b.border_style(theme.style(Role::Error));
    }
    let inner = b.inner(area);
    frame.render_widget(b, area);
    inner
}

/// The spinner glyph for the current frame.
pub fn spinner(state: &AppState) -> &'static str {
    let g = state.theme.glyphs();
    g.spinner[state.frame % g.spinner.len()]
}

/// What a pane shows while its data is not loaded: a loading line or the error in red.
pub fn load_placeholder<T>(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    load: &LoadState<T>,
    loading_text: &str,
) -> bool {
    let theme = &state.theme;
    let lines = match load {
        LoadState::Loaded(_) => return false,
        LoadState::Idle | LoadState::Loading => vec![Line::from(vec![
            Span::styled(spinner(state), theme.style(Role::Key)),
            Span::raw(" "),
            Span::raw(loading_text.to_owned()),
        ])],
        LoadState::Failed(e) => vec![
            Line::styled(
                format!("Could not read from Graph: {e}"),
                theme.style(Role::Error),
            ),
            Line::styled("Press r to try again.", theme.style(Role::Dim)),
        ],
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    true
}

/// Wraps `text` to `width` columns (at spaces where possible).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let wl = word.width();
        let ll = line.width();
        if ll > 0 && ll + 1 + wl > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        if wl > width {
            // A word longer than the line is cut hard.
            let mut rest = word;
            while rest.width() > width {
                let mut cut = 0;
                let mut used = 0;
                for (i, c) in rest.char_indices() {
                    let w = c.width().unwrap_or(0);
                    if used + w > width.saturating_sub(line.width()) {
                        break;
                    }
                    used += w;
                    cut = i + c.len_utf8();
                }
                if cut == 0 {
                    break;
                }
                line.push_str(&rest[..cut]);
                out.push(std::mem::take(&mut line));
                rest = &rest[cut..];
            }
            line.push_str(rest);
        } else {
            line.push_str(word);
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// A horizontal rule across `width` columns (ASCII when glyphs are off).
pub fn rule<'a>(theme: &Theme, width: usize) -> Line<'a> {
    Line::styled(
        if theme.ascii { "-" } else { "─" }.repeat(width),
        theme.style(Role::Dim),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_fill_the_line_and_respect_caps() {
        let cols = [
            Col::fixed("A", 4),
            Col::flex("B", 5, 1, 10),
            Col::flex("C", 5, 1, 0),
        ];
        let w = widths(40, &cols);
        assert_eq!(w.iter().sum::<usize>() + 2, 40);
        assert_eq!(w[1], 10);
        let w = widths(10, &cols);
        assert_eq!(w, [4, 5, 5], "too narrow: minimums");
    }

    #[test]
    fn truncation_is_width_aware() {
        let t = Theme::default();
        assert_eq!(truncate("Zoë Müller", 20, &t), "Zoë Müller");
        assert_eq!(truncate("Senior Software Engineer", 10, &t), "Senior So…");
        let ascii = Theme {
            color: true,
            ascii: true,
        };
        assert_eq!(
            truncate("Senior Software Engineer", 10, &ascii),
            "Senior ..."
        );
        assert_eq!(cell("ab", 4, &t), "ab  ");
    }

    #[test]
    fn wrapping_keeps_words_and_cuts_long_ones() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        let long = wrap("https://example.com/a/very/long/path", 10);
        assert!(long.iter().all(|l| l.width() <= 10), "{long:?}");
        assert_eq!(long.concat(), "https://example.com/a/very/long/path");
    }
}
