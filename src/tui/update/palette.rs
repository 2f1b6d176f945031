//! The command palette: `:` finds actions (any binding of the keymap, by description) and
//! objects (connections, sources, people, problems, panes) by fuzzy matching; a first word
//! such as `people`, `connection`, `source` or `doctor` narrows it to that kind.

use super::{PopupOutcome, jump, update};
use crate::tui::action::{Action, PaneId};
use crate::tui::effect::Effect;
use crate::tui::fuzzy;
use crate::tui::keymap::Section;
use crate::tui::state::{
    AppState, PaletteItem, PaletteState, PaletteTarget, Popup, Target, TextInput,
};
use crate::tui::strings as s;

/// Results shown at most.
const MAX_FOUND: usize = 60;
/// People found at most (the list can hold 100,000).
const MAX_PEOPLE: usize = 20;

pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    let p = PaletteState {
        found: find(state, ""),
        ..PaletteState::default()
    };
    state.popups.push(Popup::Palette(p));
    Vec::new()
}

/// A key in the palette; Enter runs the chosen action or goes to the chosen object.
pub(super) fn key(state: &mut AppState, mut p: PaletteState, action: &Action) -> PopupOutcome {
    let typed = match action {
        Action::Input(c) => p.input.push_within(*c, TextInput::MAX_QUERY),
        Action::Backspace => p.input.text.pop().is_some(),
        Action::ClearInput => {
            p.input.text.clear();
            true
        }
        Action::Down | Action::NextField => {
            p.selected = (p.selected + 1).min(p.found.len().saturating_sub(1));
            false
        }
        Action::Up | Action::PrevField => {
            p.selected = p.selected.saturating_sub(1);
            false
        }
        Action::Back => return (None, Vec::new()),
        Action::Submit => {
            return match p.found.get(p.selected).map(|i| i.target.clone()) {
                Some(target) => (None, run(state, target)),
                None => (Some(Popup::Palette(p)), Vec::new()),
            };
        }
        _ => false,
    };
    if typed {
        p.found = find(state, &p.input.text);
        p.selected = 0;
    }
    (Some(Popup::Palette(p)), Vec::new())
}

fn run(state: &mut AppState, target: PaletteTarget) -> Vec<Effect> {
    match target {
        PaletteTarget::Jump(t) => jump::jump(state, t),
        PaletteTarget::Run { section, binding } => {
            let Some(action) = state
                .keymap
                .section(section)
                .get(binding)
                .map(|b| b.action.clone())
            else {
                return Vec::new();
            };
            // A pane's action runs in its pane.
            let mut effects = Vec::new();
            if let Some(pane) = pane_of(section) {
                if pane != state.pane {
                    effects.extend(jump::jump(state, Target::Pane(pane)));
                }
            }
            effects.extend(update(state, action));
            effects
        }
    }
}

fn pane_of(section: Section) -> Option<PaneId> {
    PaneId::ALL.into_iter().find(|p| p.section() == section)
}

/// What a first word narrows the search to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Action,
    Connection,
    Source,
    Person,
    Problem,
    Pane,
}

fn kind_of(word: &str) -> Option<Kind> {
    Some(match word {
        "people" | "person" | "user" | "users" => Kind::Person,
        "connection" | "connections" | "conn" => Kind::Connection,
        "source" | "sources" => Kind::Source,
        "doctor" | "problem" | "problems" => Kind::Problem,
        "action" | "actions" | "command" | "commands" => Kind::Action,
        "pane" | "panes" => Kind::Pane,
        _ => return None,
    })
}

/// The pane a kind lives in, offered first when the kind is typed alone.
fn kind_pane(kind: Kind) -> Option<PaneId> {
    match kind {
        Kind::Connection => Some(PaneId::Connections),
        Kind::Source => Some(PaneId::Sources),
        Kind::Person => Some(PaneId::People),
        _ => None,
    }
}

/// Everything the query finds, best first.
fn find(state: &AppState, query: &str) -> Vec<PaletteItem> {
    let query = query.trim();
    let mut words = query.splitn(2, ' ');
    let first = words.next().unwrap_or_default().to_lowercase();
    let (only, rest) = match kind_of(&first) {
        Some(k) => (Some(k), words.next().unwrap_or_default().trim()),
        None => (None, query),
    };
    let wants = |k: Kind| only.is_none_or(|o| o == k);
    let mut found: Vec<(i32, PaletteItem)> = Vec::new();
    if let (Some(k), "") = (only, rest) {
        if let Some(pane) = kind_pane(k) {
            found.push((i32::MAX, pane_item(pane)));
        }
    }
    if wants(Kind::Action) {
        actions(state, rest, only.is_some(), query, &mut found);
    }
    if (only, rest) == (Some(Kind::Problem), "") {
        // `:doctor` alone: the Problems view first, then each finding.
        if let Some(item) = action_item(state, |a| matches!(a, Action::Problems)) {
            found.push((i32::MAX, item));
        }
    }
    if wants(Kind::Pane) {
        for pane in PaneId::ALL {
            if let Some(score) = fuzzy::score(rest, s::PANE_TITLES[pane.index()]) {
                found.push((score, pane_item(pane)));
            }
        }
    }
    // Objects need something typed, unless their kind was asked for.
    let objects = !rest.is_empty() || only.is_some();
    if objects && wants(Kind::Connection) {
        connections(state, rest, &mut found);
    }
    if objects && wants(Kind::Source) {
        sources(state, rest, &mut found);
    }
    if objects && wants(Kind::Problem) {
        problems(state, rest, &mut found);
    }
    if wants(Kind::Person) && (only == Some(Kind::Person) || rest.chars().count() >= 3) {
        for u in state.people.index.find(rest, MAX_PEOPLE) {
            // Found by its words in the name or UPN; ranked by how well they match.
            let score = fuzzy::score(rest, u.name())
                .max(fuzzy::score(rest, &u.user_principal_name))
                .unwrap_or(0)
                .max(floor_for(rest));
            found.push((
                score,
                PaletteItem {
                    kind: s::KIND_PERSON,
                    label: u.name().to_owned(),
                    note: u.user_principal_name.to_string(),
                    target: PaletteTarget::Jump(Target::Person(u.user_principal_name.to_string())),
                },
            ));
        }
    }
    // Letters scattered across a long description say little: keep matches that average two
    // points a letter (a run or word starts), so "wei" finds Wei, not "who is signed in".
    let floor = floor_for(rest);
    found.retain(|(score, _)| *score >= floor);
    // Best first; equal scores keep the order above (actions, panes, then objects).
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.truncate(MAX_FOUND);
    found.into_iter().map(|(_, item)| item).collect()
}

/// The score a match needs to be shown (see `find`).
fn floor_for(rest: &str) -> i32 {
    i32::try_from(rest.chars().filter(|c| !c.is_whitespace()).count() * 2).unwrap_or(i32::MAX)
}

fn pane_item(pane: PaneId) -> PaletteItem {
    PaletteItem {
        kind: s::KIND_PANE,
        label: s::pane_item(s::PANE_TITLES[pane.index()]),
        note: (pane.index() + 1).to_string(),
        target: PaletteTarget::Jump(Target::Pane(pane)),
    }
}

/// The palette's entry for the binding whose action is `wanted`, if the keymap has one.
fn action_item(state: &AppState, wanted: impl Fn(&Action) -> bool) -> Option<PaletteItem> {
    let (section, b) = state
        .keymap
        .commands()
        .into_iter()
        .find(|(_, b)| wanted(&b.action))?;
    let binding = state
        .keymap
        .section(section)
        .iter()
        .position(|x| std::ptr::eq(x, b))?;
    Some(PaletteItem {
        kind: s::KIND_ACTION,
        label: b.desc.clone(),
        note: b.keys_label(),
        target: PaletteTarget::Run { section, binding },
    })
}

/// Keymap bindings by description (the whole query too, so `:doctor` finds a "problems
/// (doctor)" action even though `doctor` also names the problems kind).
fn actions(
    state: &AppState,
    rest: &str,
    narrowed: bool,
    whole: &str,
    found: &mut Vec<(i32, PaletteItem)>,
) {
    for (section, b) in state.keymap.commands() {
        let Some(index) = state
            .keymap
            .section(section)
            .iter()
            .position(|x| std::ptr::eq(x, b))
        else {
            continue;
        };
        let score = fuzzy::score(rest, &b.desc)
            .or_else(|| narrowed.then(|| fuzzy::score(whole, &b.desc)).flatten());
        let Some(score) = score else {
            continue;
        };
        // The pane's own actions first, then global ones, then other panes'.
        let bonus = match pane_of(section) {
            Some(p) if p == state.pane => 3,
            None => 2,
            Some(_) => 0,
        };
        let mut note = b.keys_label();
        if let Some(p) = pane_of(section) {
            note = format!("{note} · {}", s::PANE_TITLES[p.index()]);
        }
        found.push((
            score + bonus,
            PaletteItem {
                kind: s::KIND_ACTION,
                label: b.desc.clone(),
                note,
                target: PaletteTarget::Run {
                    section,
                    binding: index,
                },
            },
        ));
    }
}

fn connections(state: &AppState, q: &str, found: &mut Vec<(i32, PaletteItem)>) {
    for r in &state.connections.rows {
        let score = fuzzy::score(q, &r.id).max(fuzzy::score(q, &r.name));
        if let Some(score) = score {
            found.push((
                score,
                PaletteItem {
                    kind: s::KIND_CONNECTION,
                    label: r.name.clone(),
                    note: format!("{} · {}", r.id, r.state),
                    target: PaletteTarget::Jump(Target::Connection(r.id.clone())),
                },
            ));
        }
    }
}

fn sources(state: &AppState, q: &str, found: &mut Vec<(i32, PaletteItem)>) {
    for r in &state.sources.rows {
        let name = r.display_name.as_deref().unwrap_or(&r.source_id);
        let score = fuzzy::score(q, &r.source_id).max(fuzzy::score(q, name));
        if let Some(score) = score {
            found.push((
                score,
                PaletteItem {
                    kind: s::KIND_SOURCE,
                    label: name.to_owned(),
                    note: r.source_id.clone(),
                    target: PaletteTarget::Jump(Target::Source(r.source_id.clone())),
                },
            ));
        }
    }
}

fn problems(state: &AppState, q: &str, found: &mut Vec<(i32, PaletteItem)>) {
    let snap = state.snap();
    for p in &state.problems {
        let text = format!("{} {} {}", p.code, p.subject, p.message);
        let Some(score) = fuzzy::score(q, &text) else {
            continue;
        };
        // Where the problem's subject lives.
        let target = match snap {
            Some(sn) if sn.connection(&p.subject).is_some() => {
                Target::Connection(p.subject.clone())
            }
            Some(sn) if sn.source(&p.subject).is_some() => Target::Source(p.subject.clone()),
            _ => Target::PrecedenceEntry(p.subject.clone()),
        };
        found.push((
            score,
            PaletteItem {
                kind: s::KIND_PROBLEM,
                label: p.message.clone(),
                note: format!("{} · {}", p.code, p.subject),
                target: PaletteTarget::Jump(target),
            },
        ));
    }
}
