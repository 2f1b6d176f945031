//! The list panes' columns as data: headings, widths, which stay pinned when the table scrolls
//! sideways, and which the lists sort by. `update` (sorting, scrolling) and the panes both read it.

use super::action::PaneId;
use crate::vocab;

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

/// A connection's schema column word (see `vocab::schema_status`).
pub fn schema_word(view: &crate::ops::snapshot::ConnectionView) -> &'static str {
    let read = match (&view.schema, &view.schema_error) {
        (Some(_), _) => vocab::SchemaRead::Found {
            problems: !view.schema_problems.is_empty(),
        },
        (None, Some(_)) => vocab::SchemaRead::Unreadable,
        (None, None) => vocab::SchemaRead::Absent {
            draft: view.connection.state == crate::graph::connections::ConnectionState::Draft,
        },
    };
    vocab::schema_status(read)
}

/// The Connections table.
pub const CONNECTIONS: [Col; 8] = [
    Col::fixed("ID", 14),
    Col::flex("NAME", 12, 2, 30),
    Col::fixed("CONTRACT", 9),
    Col::fixed("STATE", 6),
    Col::fixed("SCHEMA", 7),
    Col::fixed("SOURCE", 6),
    Col::fixed("RANK", 4),
    Col::flex("PROBLEMS", 7, 3, 0),
];

/// The Profile sources table.
pub const SOURCES: [Col; 6] = [
    Col::flex("SOURCE ID", 13, 1, 36),
    Col::flex("NAME", 14, 2, 36),
    Col::fixed("KIND", 9),
    Col::flex("WEB URL", 12, 2, 0),
    Col::fixed("RANK", 4),
    Col::fixed("FLAGS", 8),
];

/// The Precedence table.
pub const PRECEDENCE: [Col; 6] = [
    Col::fixed("", 1),
    Col::fixed("RANK", 4),
    Col::flex("NAME", 16, 2, 40),
    Col::fixed("KIND", 10),
    Col::flex("SOURCE ID", 13, 1, 36),
    Col::flex("STATUS", 12, 2, 0),
];

/// The People list: the title and department are Entra ID's, not the composed profile's.
pub const PEOPLE: [Col; 4] = [
    Col::flex("NAME", 16, 2, 32),
    Col::flex("UPN", 18, 3, 44),
    Col::flex(vocab::ENTRA_TITLE, 12, 2, 40),
    Col::flex(vocab::ENTRA_DEPARTMENT, 16, 1, 0),
];

/// The Syncs table.
pub const SYNCS: [Col; 6] = [
    Col::fixed("CONNECTION", 14),
    Col::flex("NAME", 12, 2, 32),
    Col::flex("INPUT", 14, 3, 0),
    Col::flex("LAST RUN", 18, 3, 60),
    Col::fixed("ITEMS", 6),
    // From the last propagation check: "291/296" (live of checked).
    Col::fixed("LIVE", 7),
];

/// A pane's columns.
pub fn of(pane: PaneId) -> &'static [Col] {
    match pane {
        PaneId::Connections => &CONNECTIONS,
        PaneId::Sources => &SOURCES,
        PaneId::Precedence => &PRECEDENCE,
        PaneId::People => &PEOPLE,
        PaneId::Syncs => &SYNCS,
    }
}

/// Leading columns that stay in view when the table scrolls sideways (what names the row).
pub fn pinned(pane: PaneId) -> usize {
    match pane {
        PaneId::Precedence => 3,
        _ => 1,
    }
}

/// True for the lists that sort by a column.
pub fn sortable(pane: PaneId) -> bool {
    matches!(pane, PaneId::Connections | PaneId::Sources | PaneId::People)
}

/// How many columns a sideways scroll may hide (all but the pinned ones and one more).
pub fn max_hscroll(pane: PaneId) -> usize {
    of(pane).len().saturating_sub(pinned(pane) + 1)
}

/// The indices of the columns shown when `hscroll` columns after the pinned ones are hidden.
pub fn window(pane: PaneId, hscroll: usize) -> Vec<usize> {
    let n = of(pane).len();
    let pin = pinned(pane).min(n);
    let skip = hscroll.min(max_hscroll(pane));
    (0..pin).chain(pin + skip..n).collect()
}

/// The columns at `indices`, with the sorted one's heading marked (`NAME ▲`).
pub fn shown(
    pane: PaneId,
    indices: &[usize],
    sort: Option<(usize, bool)>,
    glyphs: &super::theme::Glyphs,
) -> (Vec<Col>, Vec<String>) {
    let cols = of(pane);
    let mut out = Vec::with_capacity(indices.len());
    let mut titles = Vec::with_capacity(indices.len());
    for &i in indices {
        let c = cols[i];
        out.push(c);
        titles.push(match sort {
            Some((col, descending)) if col == i => {
                format!(
                    "{} {}",
                    c.title,
                    if descending { glyphs.down } else { glyphs.up }
                )
            }
            _ => c.title.to_owned(),
        });
    }
    (out, titles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sideways_scroll_keeps_the_pinned_columns_and_the_last() {
        assert_eq!(window(PaneId::Connections, 0), (0..8).collect::<Vec<_>>());
        assert_eq!(window(PaneId::Connections, 2), [0, 3, 4, 5, 6, 7]);
        assert_eq!(
            window(PaneId::Connections, 99),
            [0, 7],
            "never past the last column"
        );
        assert_eq!(window(PaneId::Precedence, 1), [0, 1, 2, 4, 5]);
    }

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
}
