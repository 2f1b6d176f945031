//! The Precedence pane: the ordered list, flags, staged moves, and the diff and impact before apply.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::problem_lines;
use crate::people::compose::{PropertyKind, collection_kind};
use crate::people::impact::Impact;
use crate::people::precedence::{Change, Problem};
use crate::people::source_url::SourceUrl;
use crate::text::shown;
use crate::tui::action::PaneId;
use crate::tui::layout::DETAIL_LINES;
use crate::tui::profile::label_for;
use crate::tui::state::{AppState, ImpactState, LoadState};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{self, ListRow, load_placeholder, pane_block, pane_table};

/// The name an entry is shown by.
pub fn entry_name(state: &AppState, entry: &SourceUrl) -> String {
    let snap = state.snap();
    match entry.source_id() {
        Some(id) => snap
            .and_then(|s| s.source(id.as_str()))
            .and_then(|s| s.display_name.clone())
            .or_else(|| entry.builtin().map(|b| b.name.to_owned()))
            .unwrap_or_else(|| id.to_string()),
        None => entry.as_str().to_owned(),
    }
}

fn entry_kind(state: &AppState, entry: &SourceUrl) -> String {
    match entry.source_id() {
        Some(id) => state
            .snap()
            .and_then(|s| s.source(id.as_str()))
            .and_then(|s| s.kind.clone())
            .unwrap_or_else(|| {
                if entry.builtin().is_some() {
                    "built-in".to_owned()
                } else {
                    "-".to_owned()
                }
            }),
        None => "-".to_owned(),
    }
}

/// Draws the pane.
pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let theme = &state.theme;
    let g = theme.glyphs();
    let p = &state.precedence;
    let staged = p.staged.as_ref().filter(|s| s.changed());
    let title = if staged.is_some() {
        format!(" {}  {} staged, not applied ", s::PANE_TITLES[2], g.staged)
    } else {
        format!(" {}  (rank 1 = highest) ", s::PANE_TITLES[2])
    };
    let b = pane_block(state, area.width, title);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if load_placeholder(frame, inner, state, &state.snapshot, s::LOADING_TENANT) {
        return;
    }
    let list = state.shown_list();
    let table = pane_table(state, PaneId::Precedence, inner.width);
    let height = usize::from(inner.height.saturating_sub(1 + DETAIL_LINES)).max(1);
    let empty = list.is_empty().then_some(s::NO_PRECEDENCE_SETTING);
    let rows = list
        .entries()
        .iter()
        .enumerate()
        .skip(p.list.offset)
        .take(height)
        .map(|(i, entry)| {
            let moved = staged.and_then(|s| s.moved_from(i));
            let registered = entry.source_id().is_some_and(|id| {
                state
                    .snap()
                    .is_some_and(|s| s.source(id.as_str()).is_some())
            });
            let mut status = Vec::new();
            let mut role = Role::Normal;
            if let Some(from) = moved {
                status.push(format!("{} was {}", g.staged, from + 1));
                role = Role::Staged;
            }
            let orphan = entry.source_id().is_some_and(|id| {
                registered
                    && entry.builtin().is_none()
                    && state
                        .snap()
                        .is_some_and(|s| s.connection(id.as_str()).is_none())
            });
            if entry.source_id().is_none() {
                status.push("unrecognised URL".to_owned());
            } else if !registered {
                status.push("not registered".to_owned());
            } else if orphan {
                status.push("orphan".to_owned());
            }
            let flag_role = if moved.is_some() {
                Role::Staged
            } else if status.is_empty() {
                Role::Normal
            } else {
                Role::Warning
            };
            ListRow {
                cells: vec![
                    (if moved.is_some() { g.staged } else { " " }.into(), role),
                    ((i + 1).to_string().into(), role),
                    (entry_name(state, entry).into(), role),
                    (entry_kind(state, entry).into(), Role::Dim),
                    (
                        entry
                            .source_id()
                            .map_or(Cow::Borrowed("-"), |id| id.as_str().into()),
                        Role::Normal,
                    ),
                    (status.join(", ").into(), flag_role),
                ],
                selected: i == p.list.selected,
            }
        });
    let lines = table.lines(theme, rows, empty);
    let (list_area, detail) = widgets::split_detail(inner, DETAIL_LINES);
    frame.render_widget(Paragraph::new(lines), list_area);
    panel(frame, detail, state);
}

/// "jobTitle changes for 37 of 312 users; department for 4; order of phones for 250".
/// Single-valued properties come first (their value changes), then multi-valued ones (only
/// the order of their items changes), each by how many users it touches.
pub fn impact_text(impact: &Impact) -> String {
    if impact.per_property.is_empty() {
        return format!(
            "no composed value changes for any of the {} users",
            impact.users
        );
    }
    let mut props: Vec<_> = impact.per_property.iter().collect();
    let multi = |p: &str| collection_kind(p.split('/').next().unwrap_or(p)) == PropertyKind::Multi;
    props.sort_by_key(|p| (multi(&p.property), std::cmp::Reverse(p.changed)));
    let mut parts = Vec::new();
    for (i, p) in props.iter().enumerate() {
        let label = if multi(&p.property) {
            format!("order of {}", label_for(&p.property))
        } else {
            label_for(&p.property)
        };
        if i == 0 {
            parts.push(format!(
                "{label} changes for {} of {} users",
                p.changed, impact.users
            ));
        } else {
            parts.push(format!("{label} for {}", p.changed));
        }
    }
    parts.join("; ")
}

/// A problem of a list, in ranks (1-based) as the pane shows them.
pub fn problem_text(problem: &Problem) -> String {
    match problem {
        Problem::EntraMissing => {
            "Microsoft Entra ID is not in the list (Microsoft appends it last)".to_owned()
        }
        Problem::Duplicate { source_id, indices } => format!(
            "'{source_id}' is listed {} times (ranks {})",
            indices.len(),
            indices
                .iter()
                .map(|i| (i + 1).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Problem::Unregistered { index, source_id } => format!(
            "rank {}: '{source_id}' is not a registered profile source",
            index + 1
        ),
        Problem::Unrecognised { index, url } => {
            format!(
                "rank {}: '{url}' names no profile source peoplectl recognises",
                index + 1
            )
        }
    }
}

fn panel(frame: &mut Frame, area: Rect, state: &AppState) {
    let theme = &state.theme;
    let g = theme.glyphs();
    let p = &state.precedence;
    let width = usize::from(area.width);
    let mut lines = vec![widgets::rule(theme, width)];
    if let Some(staged) = p.staged.as_ref().filter(|s| s.changed()) {
        let changes = staged.base.diff(&staged.list);
        let moves: Vec<String> = changes
            .iter()
            .map(|c| match c {
                Change::Moved { entry, from, to } => format!(
                    "{} {} {} {}",
                    entry_name(state, entry),
                    from + 1,
                    g.arrow,
                    to + 1
                ),
                Change::Inserted { entry, at } => {
                    format!("+ {} at {}", entry_name(state, entry), at + 1)
                }
                Change::Removed { entry, from } => {
                    format!("- {} (was {})", entry_name(state, entry), from + 1)
                }
            })
            .collect();
        let staged_text = format!("{} Staged: {}", g.staged, moves.join(", "));
        for (i, l) in widgets::wrap(&staged_text, width)
            .into_iter()
            .take(2)
            .enumerate()
        {
            lines.push(Line::styled(
                l,
                theme.style(if i == 0 { Role::Staged } else { Role::Normal }),
            ));
        }
        let impact = match &p.impact {
            ImpactState::Ready(i) => Line::from(vec![
                Span::styled("Impact: ", theme.style(Role::Heading)),
                Span::raw(shown(&impact_text(i)).into_owned()),
            ]),
            ImpactState::Computing => Line::styled("Impact: computing…", theme.style(Role::Dim)),
            ImpactState::WaitingForInputs | ImpactState::None => match &p.inputs {
                LoadState::Failed(e) => Line::styled(
                    format!("Impact unknown: reading source values failed: {}", shown(e)),
                    theme.style(Role::Error),
                ),
                _ => Line::styled(
                    format!(
                        "Impact: reading every user's source values ({} of {} users)…",
                        p.inputs_progress.0, p.inputs_progress.1
                    ),
                    theme.style(Role::Dim),
                ),
            },
        };
        for l in crate::tui::widgets::wrap(&line_text(&impact), width)
            .into_iter()
            .take(2)
        {
            lines.push(Line::styled(l, impact.style));
        }
        if let ImpactState::Ready(i) = &p.impact {
            lines.push(Line::styled(
                format!(
                    "{} of {} users would see a different profile.",
                    i.changed_users.len(),
                    i.users
                ),
                theme.style(Role::Dim),
            ));
        }
        lines.push(Line::from(vec![
            Span::styled("a", theme.style(Role::Key)),
            Span::raw(" apply (asks first)   "),
            Span::styled("u", theme.style(Role::Key)),
            Span::raw(" discard   "),
            Span::styled("i", theme.style(Role::Key)),
            Span::raw(" who changes   nothing written yet"),
        ]));
    } else {
        lines.push(Line::styled(
            "Single-valued data comes from the highest-ranked source that has a value.",
            theme.style(Role::Dim),
        ));
        lines.push(Line::from(vec![
            Span::styled("K/J", theme.style(Role::Key)),
            Span::raw(" move, "),
            Span::styled("m", theme.style(Role::Key)),
            Span::raw(" to a rank, "),
            Span::styled("d", theme.style(Role::Key)),
            Span::raw(" removes; see the impact, then "),
            Span::styled("a", theme.style(Role::Key)),
            Span::raw(" applies."),
        ]));
        let list = state.shown_list();
        if let Some(id) = list
            .entries()
            .get(p.list.selected)
            .and_then(SourceUrl::source_id)
        {
            lines.extend(problem_lines(state, id.as_str(), width, false));
        }
    }
    lines.truncate(usize::from(area.height));
    // Hints and notes wrap at narrow widths rather than lose their ends.
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

fn line_text(line: &Line) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}
