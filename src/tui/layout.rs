//! Pure screen geometry: the frame's rows, the list/detail split, popup rects and mouse hits.

// `update` (list heights, clicks) and the drawing code both read it, so neither imports the
// other. Only `Rect` comes from ratatui here: no widgets, no frame.

use ratatui::layout::Rect;
use unicode_width::UnicodeWidthStr;

use super::action::PaneId;
use super::strings as s;

/// The header's row.
pub const HEADER_ROW: u16 = 0;
/// The tab row.
pub const TABS_ROW: u16 = 1;

/// Lines below a list that panes keep for the selected row's details.
pub const DETAIL_LINES: u16 = 7;

/// The Syncs pane's detail: a run's counters and errors, then its last propagation check.
pub const SYNCS_DETAIL_LINES: u16 = 10;

/// Below this size the console draws only a line saying so.
pub const MIN_SIZE: (u16, u16) = (20, 6);

/// The rows of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regions {
    pub header: Rect,
    pub tabs: Rect,
    /// The shown pane (popups are centred in it too).
    pub body: Rect,
    pub footer: Rect,
}

/// Splits the terminal area into header, tabs, pane body and footer.
pub fn regions(area: Rect) -> Regions {
    let row = |y: u16| Rect {
        x: area.x,
        y,
        width: area.width,
        height: 1,
    };
    Regions {
        header: row(area.y + HEADER_ROW),
        tabs: row(area.y + TABS_ROW),
        body: body((area.width, area.height)),
        footer: row(area.y + area.height.saturating_sub(1)),
    }
}

/// True when the terminal is too small to draw the console.
pub fn too_small(area: Rect) -> bool {
    area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1
}

/// The pane body: everything between the tab row and the footer.
pub fn body(size: (u16, u16)) -> Rect {
    Rect {
        x: 0,
        y: TABS_ROW + 1,
        width: size.0,
        height: size.1.saturating_sub(3),
    }
}

/// How many list rows a pane shows at this size (the same arithmetic its draw uses).
pub fn list_height(pane: PaneId, size: (u16, u16)) -> usize {
    // Border (2) and table heading (1).
    let inner = body(size).height.saturating_sub(3);
    let rows = match pane {
        PaneId::Connections | PaneId::Sources | PaneId::Precedence => {
            inner.saturating_sub(DETAIL_LINES)
        }
        PaneId::Syncs => inner.saturating_sub(SYNCS_DETAIL_LINES),
        // The search line.
        PaneId::People => inner.saturating_sub(1),
    };
    usize::from(rows.max(1))
}

/// The screen row of a pane's first list row (below the border, the People search line and
/// the heading): where clicks on rows are counted from.
pub fn first_row(pane: PaneId) -> u16 {
    let search = u16::from(pane == PaneId::People);
    TABS_ROW + 1 + 1 + search + 1
}

/// Lines the profile view has for its properties at this size (below the border, the
/// sources and note lines and the heading).
pub fn profile_rows(size: (u16, u16)) -> usize {
    usize::from(body(size).height.saturating_sub(2 + 3).max(1))
}

/// Where the full-text view is drawn: nearly the whole body, for reading long text.
pub fn text_view(size: (u16, u16)) -> Rect {
    let b = body(size);
    centered(b, b.width.min(120), b.height)
}

/// Lines of text the full-text view shows at once, and how wide they are.
pub fn text_view_room(size: (u16, u16)) -> (usize, usize) {
    let r = text_view(size);
    // Border (2) and the hint line.
    (
        usize::from(r.height.saturating_sub(3)).max(1),
        usize::from(r.width.saturating_sub(2)).max(1),
    )
}

/// Splits a pane's inner area into its list and the detail panel of `detail_lines` below it.
pub fn split_detail(inner: Rect, detail_lines: u16) -> (Rect, Rect) {
    let list = Rect {
        height: inner.height.saturating_sub(detail_lines),
        ..inner
    };
    let detail = Rect {
        y: inner.y + list.height,
        height: inner.height - list.height,
        ..inner
    };
    (list, detail)
}

/// The tab label of a pane (fixed width, so clicks map to tabs without the state).
pub fn tab_label(p: PaneId, staged: bool) -> String {
    let title = match p {
        PaneId::Sources => "Sources",
        other => s::PANE_TITLES[other.index()],
    };
    format!(
        " {} {title}{} ",
        p.index() + 1,
        if staged { "*" } else { " " }
    )
}

/// The pane whose tab is at (`col`, `row`), if a tab is there.
pub fn tab_at(col: u16, row: u16) -> Option<PaneId> {
    if row != TABS_ROW {
        return None;
    }
    let mut x = 0u16;
    for p in PaneId::ALL {
        let w = u16::try_from(tab_label(p, false).width()).unwrap_or(0);
        if col >= x && col < x + w {
            return Some(p);
        }
        x += w;
    }
    None
}

/// The usual popup width at this body width.
pub fn popup_width(body: Rect) -> u16 {
    body.width.saturating_sub(4).min(76)
}

/// The width of a popup that lists rows with several columns (impact list, problems).
pub fn wide_popup_width(body: Rect) -> u16 {
    body.width.saturating_sub(4).min(140)
}

/// Lines a list popup (impact list, problems) spends outside its rows: border (2), a summary
/// line, the column heading, the selected row's detail (3) and the key hints.
pub const LIST_POPUP_CHROME: u16 = 8;

/// Rows a list popup shows at this size (the same arithmetic its draw uses).
pub fn list_popup_rows(size: (u16, u16)) -> usize {
    usize::from(body(size).height.saturating_sub(LIST_POPUP_CHROME).max(1))
}

/// The height a popup needs for `lines` plus its border, within the body.
pub fn fit_height(body: Rect, lines: usize) -> u16 {
    u16::try_from(lines + 2)
        .unwrap_or(u16::MAX)
        .min(body.height)
}

/// A rectangle of `w` x `h` centred in `area` (clamped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_map_to_the_tab_drawn_under_them_and_only_on_the_tab_row() {
        let mut x = 0u16;
        for p in PaneId::ALL {
            let w = u16::try_from(tab_label(p, false).width()).expect("narrow");
            assert_eq!(tab_at(x, TABS_ROW), Some(p), "first column of {p:?}");
            assert_eq!(tab_at(x + w - 1, TABS_ROW), Some(p), "last column of {p:?}");
            assert_eq!(tab_at(x, TABS_ROW + 1), None, "below the tabs");
            x += w;
        }
        assert_eq!(tab_at(x, TABS_ROW), None, "right of the last tab");
        assert_eq!(
            tab_label(PaneId::Precedence, true).width(),
            tab_label(PaneId::Precedence, false).width(),
            "the staged mark does not move the tabs after it"
        );
    }

    #[test]
    fn the_list_height_update_scrolls_by_is_the_list_area_panes_draw() {
        for size in [(80, 24), (60, 20), (160, 48), (20, 6)] {
            let r = regions(Rect::new(0, 0, size.0, size.1));
            assert_eq!(r.body, body(size));
            assert_eq!(r.footer.y, size.1 - 1, "{size:?}");
            assert_eq!(
                r.body.bottom(),
                r.footer.y,
                "{size:?}: body ends at the footer"
            );
            // A pane draws inside a border, then a heading row above its rows.
            let inner = Rect::new(1, r.body.y + 1, size.0 - 2, r.body.height - 2);
            let (list, detail) = split_detail(inner, DETAIL_LINES);
            assert_eq!(list.height + detail.height, inner.height);
            let rows = usize::from(list.height.saturating_sub(1)).max(1);
            assert_eq!(list_height(PaneId::Connections, size), rows, "{size:?}");
            let people = usize::from(inner.height.saturating_sub(2)).max(1);
            assert_eq!(list_height(PaneId::People, size), people, "{size:?}");
        }
    }

    #[test]
    fn clicks_count_rows_from_where_the_panes_draw_them() {
        // Border, heading: the first row of a list is two rows into the body.
        assert_eq!(first_row(PaneId::Connections), body((80, 24)).y + 2);
        assert_eq!(
            first_row(PaneId::People),
            body((80, 24)).y + 3,
            "the search line"
        );
        let (rows, width) = text_view_room((60, 20));
        assert!(rows >= 1 && width <= 58, "{rows} x {width}");
        assert_eq!(
            text_view((60, 20)).width,
            60,
            "the whole body at 60 columns"
        );
        assert_eq!(
            text_view((160, 48)).width,
            120,
            "a readable measure when wide"
        );
    }

    #[test]
    fn popups_stay_inside_the_body() {
        let body = body((60, 20));
        let area = centered(body, popup_width(body), fit_height(body, 100));
        assert_eq!(area.height, body.height, "tall content is clamped");
        assert!(area.x >= body.x && area.right() <= body.right());
        assert!(area.y >= body.y && area.bottom() <= body.bottom());
        assert_eq!(popup_width(body), 56);
        assert_eq!(fit_height(body, 3), 5, "three lines and a border");
    }
}
