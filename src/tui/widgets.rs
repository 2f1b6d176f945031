//! Small drawing helpers shared by panes and popups: blocks, list rows, fixed-width columns,
//! and the sanitising cut and wrap of `crate::text` in the theme's glyphs.

use std::borrow::Cow;

use super::action::PaneId;
use super::columns;
use super::state::{AppState, LoadState};
use super::theme::{Role, Theme};
use crate::text;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

// Geometry lives in `layout`; drawing code has long reached it through here.
pub use super::columns::{Col, widths};
pub use super::layout::{centered, split_detail};

/// A bordered block with a title.
pub fn block<'a>(theme: &Theme, title: impl Into<Line<'a>>) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_set(theme.border())
        .title(title.into().style(theme.style(Role::Heading)))
}

/// A pane's block: its title on the left, and on the right when what it shows was read
/// ("read 12 s ago").
/// The age is left out when the title needs the room (`width` is the pane's).
pub fn pane_block<'a>(state: &AppState, width: u16, title: String) -> Block<'a> {
    let age = state.age();
    let room = usize::from(width).saturating_sub(text::width(&title) + 4);
    let b = block(&state.theme, title);
    if age.is_empty() || text::width(&age) + 2 > room {
        return b;
    }
    b.title_top(Line::styled(format!(" {age} "), state.theme.style(Role::Dim)).right_aligned())
}

/// `text` sanitised and cut to `width` columns, ending in the theme's ellipsis when cut.
pub fn truncate(text: &str, width: usize, theme: &Theme) -> String {
    text::fit(text, width, theme.glyphs().ellipsis).into_owned()
}

/// `text` sanitised, cut and padded to exactly `width` columns.
pub fn cell(text: &str, width: usize, theme: &Theme) -> String {
    text::fit_padded(text, width, theme.glyphs().ellipsis)
}

/// A line of cells at the given widths, each with its own style (sanitised and cut).
pub fn row<'a, S: AsRef<str>>(cells: Vec<(S, Style)>, widths: &[usize], theme: &Theme) -> Line<'a> {
    let mut spans = Vec::with_capacity(cells.len() * 2);
    for (i, ((text, style), w)) in cells.into_iter().zip(widths).enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(cell(text.as_ref(), *w, theme), style));
    }
    Line::from(spans)
}

/// One row of a list pane: its cells (text and role) and whether it is the selected one.
pub struct ListRow<'t> {
    pub cells: Vec<(Cow<'t, str>, Role)>,
    pub selected: bool,
}

/// The lines of a list pane: the heading, then `rows` (already windowed to what fits), each
/// cell sanitised and cut to its column, the selected row highlighted; `empty` when there are
/// no rows at all.
pub fn list_rows<'a, 't>(
    cols: &[Col],
    widths: &[usize],
    theme: &Theme,
    rows: impl IntoIterator<Item = ListRow<'t>>,
    empty: Option<&'static str>,
) -> Vec<Line<'a>> {
    let mut lines = vec![heading(cols, widths, theme)];
    if let Some(text) = empty {
        lines.push(Line::styled(text, theme.style(Role::Dim)));
    }
    for r in rows {
        lines.push(row(styled(r.cells, r.selected, *theme), widths, theme));
    }
    lines
}

/// Cells with their roles' styles, the selection's laid over them on the selected row.
fn styled<'t>(
    cells: impl IntoIterator<Item = (Cow<'t, str>, Role)>,
    selected: bool,
    theme: Theme,
) -> Vec<(Cow<'t, str>, Style)> {
    let highlight = theme.style(Role::Selected);
    cells
        .into_iter()
        .map(|(text, role)| {
            let style = theme.style(role);
            (
                text,
                if selected {
                    style.patch(highlight)
                } else {
                    style
                },
            )
        })
        .collect()
}

/// A list pane's table at a width: the columns shown after a sideways scroll, their headings
/// (the sorted column marked, hidden columns announced) and their widths.
pub struct PaneTable {
    /// Indices of the pane's columns shown (see `columns::window`).
    pub window: Vec<usize>,
    pub titles: Vec<String>,
    pub widths: Vec<usize>,
}

/// The table a list pane draws at `width`, as its sideways scroll and sort say.
pub fn pane_table(state: &AppState, pane: PaneId, width: u16) -> PaneTable {
    let view = state.view(pane);
    let window = columns::window(pane, view.hscroll);
    let g = state.theme.glyphs();
    let (cols, mut titles) = columns::shown(pane, &window, view.sort, g);
    let pin = columns::pinned(pane);
    if view.hscroll > 0 {
        if let Some(t) = titles.get_mut(pin) {
            *t = format!("{}{t}", g.left);
        }
    }
    PaneTable {
        widths: widths(width, &cols),
        window,
        titles,
    }
}

impl PaneTable {
    /// The heading and `rows` (each with every column's cell; the shown ones are picked).
    pub fn lines<'a, 't>(
        &self,
        theme: &Theme,
        rows: impl IntoIterator<Item = ListRow<'t>>,
        empty: Option<&'static str>,
    ) -> Vec<Line<'a>> {
        let style = theme.style(Role::Heading);
        let mut lines = vec![row(
            self.titles.iter().map(|t| (t.as_str(), style)).collect(),
            &self.widths,
            theme,
        )];
        if let Some(text) = empty {
            lines.push(Line::styled(text, theme.style(Role::Dim)));
        }
        for r in rows {
            let mut cells: Vec<Option<(Cow<'t, str>, Role)>> =
                r.cells.into_iter().map(Some).collect();
            let picked = self
                .window
                .iter()
                .filter_map(|&i| cells.get_mut(i).and_then(Option::take));
            lines.push(row(styled(picked, r.selected, *theme), &self.widths, theme));
        }
        lines
    }
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

/// Clears `area` and draws a popup frame with a title (sanitised); returns the inside.
pub fn popup_frame(frame: &mut Frame, area: Rect, title: &str, theme: &Theme, error: bool) -> Rect {
    frame.render_widget(Clear, area);
    let mut b = block(theme, format!(" {} ", text::shown(title)));
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
                format!("Could not read from Graph: {}", text::shown(e)),
                theme.style(Role::Error),
            ),
            Line::styled("Press r to try again.", theme.style(Role::Dim)),
        ],
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    true
}

/// `text` sanitised and wrapped to `width` columns (at spaces where possible).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    text::wrap(text, width)
}

/// The last guard on the draw path: removes any unsafe character (see `crate::text`) that a
/// draw function let into a cell, so none reaches the terminal even where one forgot to pass
/// its text through the sanitiser. Clean cells (nearly all) cost one ASCII check.
pub fn scrub(buf: &mut Buffer) {
    for cell in &mut buf.content {
        let symbol = cell.symbol();
        if symbol.bytes().all(|b| (0x20..0x7f).contains(&b)) || !symbol.chars().any(text::is_unsafe)
        {
            continue;
        }
        let clean: String = symbol.chars().filter(|c| !text::is_unsafe(*c)).collect();
        cell.set_symbol(if clean.is_empty() { " " } else { &clean });
    }
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
    use unicode_width::UnicodeWidthStr;

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
    fn list_rows_highlight_the_selected_row_and_cut_hostile_cells() {
        let t = Theme::default();
        let cols = [Col::fixed("ID", 6), Col::flex("NAME", 8, 1, 0)];
        let w = widths(20, &cols);
        let lines = list_rows(
            &cols,
            &w,
            &t,
            [
                ListRow {
                    cells: vec![
                        ("hr".into(), Role::Normal),
                        ("\x1b]0;x\x07 HR".into(), Role::Dim),
                    ],
                    selected: false,
                },
                ListRow {
                    cells: vec![("lms".into(), Role::Normal), ("LMS".into(), Role::Normal)],
                    selected: true,
                },
            ],
            None,
        );
        assert_eq!(lines.len(), 3);
        let text: Vec<String> = lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(text[1], "hr     ␛]0;x␇ HR    ");
        assert!(text.iter().all(|l| l.width() == 20), "{text:?}");
        let sel = t.style(Role::Selected);
        assert_eq!(lines[2].spans[0].style, t.style(Role::Normal).patch(sel));
        assert_eq!(lines[1].spans[2].style, t.style(Role::Dim));
    }

    #[test]
    fn scrub_removes_what_a_draw_function_let_through() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        buf.set_string(0, 0, "ab", Style::default());
        buf[(2, 0)].set_symbol("\x1b");
        buf[(3, 0)].set_symbol("c\u{202e}");
        scrub(&mut buf);
        let text: String = buf
            .content
            .iter()
            .map(ratatui::buffer::Cell::symbol)
            .collect();
        assert_eq!(text, "ab c  ");
    }

    #[test]
    fn wrapping_keeps_words_and_cuts_long_ones() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        let long = wrap("https://example.com/a/very/long/path", 10);
        assert!(long.iter().all(|l| l.width() <= 10), "{long:?}");
        assert_eq!(long.concat(), "https://example.com/a/very/long/path");
    }
}
