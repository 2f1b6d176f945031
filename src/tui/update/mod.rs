//! The pure heart of the console: `update(state, action) -> effects`. No I/O happens here.

// Each feature's file owns its keys, its popup's steps and the results of its background
// work; this file only says where an action goes, plus the few helpers every feature uses.

mod columns;
mod filter;
mod forms;
mod impact;
mod jump;
mod nav;
mod palette;
mod precedence;
mod problems;
mod profile;
mod propagation;
mod refresh;
mod register;
mod removal;
mod setup;
mod sources;
mod sync;
/// Moves a list popup's cursor for a motion key (a line, a page, to either end) over `len`
/// rows at the console's size; whether `action` was one.
pub(super) fn list_motion(
    state: &AppState,
    list: &mut crate::tui::state::Cursor,
    action: &Action,
    len: usize,
) -> bool {
    let page = crate::tui::layout::list_popup_rows(state.size);
    let step = isize::try_from(page).unwrap_or(1);
    match action {
        Action::Up => list.move_by(-1, len, page),
        Action::Down => list.move_by(1, len, page),
        Action::PageUp => list.move_by(-step, len, page),
        Action::PageDown => list.move_by(step, len, page),
        Action::Top => list.select(0, len, page),
        Action::Bottom => list.select(len.saturating_sub(1), len, page),
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests;
mod view;
mod yank;

pub use nav::init;

use super::action::{Action, PaneId};
use super::effect::{Effect, Work};
use super::focus;
use super::keymap::{Key, KeyChord, Section};
use super::state::{AppState, Job, LOG_KEPT, Logged, Message, Popup, Status};
use super::strings as s;

/// What a popup's key handler leaves: the popup (kept, changed, or `None` when it closes) and
/// the effects it asks for.
type PopupOutcome = (Option<Popup>, Vec<Effect>);

/// Applies one action and returns the effects it asks for.
pub fn update(state: &mut AppState, action: Action) -> Vec<Effect> {
    state.dirty = true;
    match action {
        Action::Key(chord) => key(state, chord),
        Action::Noop => unchanged(state),
        Action::Quit => nav::quit(state),
        Action::Suspend => vec![Effect::Suspend],
        Action::Resumed => vec![Effect::Redraw],
        Action::Tick => refresh::tick(state),
        Action::FocusGained => refresh::focus_gained(state),
        Action::Resize(w, h) => nav::resize(state, w, h),
        Action::Mouse(m) => nav::mouse(state, m),
        Action::JobFinished(id) => nav::job_finished(state, id),
        Action::GraphRetrying(notice) => nav::graph_retrying(state, notice),
        Action::SignInPrompt(prompt) => nav::sign_in_prompt(state, prompt),
        Action::IdentityLoaded(r) => nav::identity_loaded(state, r),
        Action::SnapshotLoaded(r) => nav::snapshot_loaded(state, r),
        Action::UsersPage { rows, done } => profile::users_page(state, rows, done),
        Action::UsersFailed(e) => profile::users_failed(state, e),
        Action::ExplainLoaded { upn, result } => profile::explained(state, &upn, result),
        Action::ImpactInputsProgress { done, total } => {
            precedence::inputs_progress(state, done, total)
        }
        Action::ImpactInputsLoaded(r) => precedence::inputs_loaded(state, r),
        Action::ImpactComputed {
            generation,
            impact,
            rows,
        } => precedence::impact_computed(state, generation, impact, rows),
        Action::PrecedenceRead(r) => precedence::precedence_read(state, r),
        Action::ReorderApplied(r) => precedence::applied(state, r),
        Action::RemovePlanned(r) => removal::planned(state, r),
        Action::RemoveProgress(event) => removal::progress(state, event),
        Action::RemoveFinished { report, error } => removal::finished(state, *report, error),
        Action::RegisterPlanned(r) => register::planned(state, r),
        Action::RegisterFinished(r) => register::finished(state, r),
        Action::SetupProgress(event) => setup::progress(state, event),
        Action::SetupFinished(r) => setup::finished(state, r),
        Action::SyncEvent { connection, event } => sync::event(state, &connection, *event),
        Action::SyncFinished { connection, result } => sync::finished(state, &connection, result),
        Action::SourceUpdated(r) => sources::updated(state, r),
        Action::ChecksLoaded(r) => propagation::checks_loaded(state, r),
        Action::PropagationChecked { connection, result } => {
            propagation::checked(state, &connection, result)
        }
        Action::ProvenanceLoaded { upn, result } => {
            propagation::provenance_loaded(state, &upn, result)
        }
        a if !state.popups.is_empty() => popup(state, a),
        a => pane(state, &a),
    }
}

/// A key: after `g`, the [goto] section decides; an alt- chord nothing binds is Esc and then the
/// key (a quick "esc j" over a slow link arrives as one burst that reads as alt-j).
fn key(state: &mut AppState, chord: KeyChord) -> Vec<Effect> {
    if state.goto_pending {
        state.goto_pending = false;
        if let Some(a) = state.keymap.lookup(Section::Goto, &chord).cloned() {
            // From the full-text view of a row: `g g` scrolls it to the top; a jump closes it
            // and goes from the row it showed.
            if matches!(a, Action::Back) {
                return Vec::new();
            }
            if let Some(Popup::Text(_)) = state.popups.last() {
                if matches!(a, Action::Top) || state.popups.len() > 1 {
                    return update(state, a);
                }
                state.popups.pop();
            }
            return jump::goto_key(state, &a);
        }
        // Any other key cancels the prefix and does what it always does.
    }
    if let Some(a) = focus::resolve_key(state, &chord) {
        return update(state, a);
    }
    if chord.alt {
        let mut effects = update(state, Action::Key(KeyChord::plain(Key::Esc)));
        effects.extend(update(
            state,
            Action::Key(KeyChord {
                alt: false,
                ..chord
            }),
        ));
        return effects;
    }
    unchanged(state)
}

/// An action for the shown pane (no popup is open).
fn pane(state: &mut AppState, action: &Action) -> Vec<Effect> {
    if focus::editing_filter(state) {
        return filter::edit(state, action);
    }
    match action {
        Action::NextPane => nav::next_pane(state),
        Action::PrevPane => nav::prev_pane(state),
        Action::GoTo(p) => nav::go_to(state, *p),
        Action::Up => nav::navigate(state, -1),
        Action::Down => nav::navigate(state, 1),
        Action::PageUp => nav::page(state, -1),
        Action::PageDown => nav::page(state, 1),
        Action::Top => nav::navigate(state, isize::MIN / 2),
        Action::Bottom => nav::navigate(state, isize::MAX / 2),
        Action::Help => nav::help(state),
        Action::Refresh => nav::refresh(state),
        Action::ToggleMouse => nav::toggle_mouse(state),
        Action::Back => nav::back(state),
        Action::Select => match state.pane {
            PaneId::Connections => nav::open_detail(state),
            PaneId::People if state.people.profile.is_some() => view::open_selected(state),
            PaneId::People => profile::open(state),
            PaneId::Syncs => sync::open_report(state),
            PaneId::Precedence | PaneId::Sources => view::open_selected(state),
        },
        Action::ViewFull => view::open_selected(state),
        Action::Messages => view::messages(state),
        Action::Session => view::session(state),
        Action::Yank => yank::selected(state, false),
        Action::YankFull => yank::selected(state, true),
        Action::GotoPrefix => {
            state.goto_pending = true;
            Vec::new()
        }
        Action::GotoConnection | Action::GotoSource | Action::GotoPrecedence => {
            jump::goto_key(state, action)
        }
        Action::JumpBack => jump::back(state),
        Action::SortNext => columns::sort(state, 1),
        Action::SortPrev => columns::sort(state, -1),
        Action::SortReverse => columns::reverse(state),
        Action::ScrollRight => columns::scroll(state, 1),
        Action::ScrollLeft => columns::scroll(state, -1),
        Action::Palette => palette::open(state),
        Action::Filter => filter::start(state),
        Action::NewConnection => setup::open(state),
        Action::Register => register::open(state),
        Action::Edit => sources::edit(state),
        Action::Remove if state.pane == PaneId::Precedence => precedence::remove_entry(state),
        Action::Remove => removal::open(state),
        Action::Problems => problems::open(state),
        Action::ImpactList => impact::open_staged(state),
        Action::SyncNow | Action::StartSync => sync::start_selected(state),
        Action::ChooseFile => sync::choose_file(state),
        Action::CancelSync => sync::cancel(state),
        Action::CheckPropagation => propagation::check(state, false),
        Action::CheckPropagationAll => propagation::check(state, true),
        Action::PropagationList => propagation::open_list(state),
        Action::MoveUp => precedence::move_up(state),
        Action::MoveDown => precedence::move_down(state),
        Action::MoveTo => precedence::ask_rank(state),
        Action::Apply => precedence::apply(state),
        Action::Discard => precedence::discard(state),
        _ => unchanged(state),
    }
}

/// An action for the topmost popup.
fn popup(state: &mut AppState, action: Action) -> Vec<Effect> {
    let Some(popup) = state.popups.pop() else {
        return Vec::new();
    };
    // Popups the handler opens (a read-only refusal, a result) go above this one.
    let at = state.popups.len();
    // Any popup's text can be opened whole, above it.
    if matches!(action, Action::ViewFull) && !matches!(popup, Popup::Text(_)) {
        let text = view::of_popup(state, &popup);
        state.popups.push(popup);
        if let Some(t) = text {
            state.popups.push(Popup::Text(t));
        }
        return Vec::new();
    }
    let (keep, effects) = match popup {
        Popup::Help { scroll } => nav::help_key(scroll, &action),
        Popup::Text(v) => view::key(state, v, &action),
        Popup::Message(m) => nav::message_key(m, &action),
        Popup::DeviceCode(p) => nav::device_code_key(p, &action),
        Popup::SignInNeeded => profile::sign_in_notice_key(&action),
        Popup::Palette(p) => palette::key(state, p, &action),
        Popup::ConfirmApply(c) => precedence::confirm_key(state, c, &action),
        Popup::Conflict(c) => precedence::conflict_key(state, c, &action),
        Popup::MoveTo(input) => precedence::rank_key(state, input, &action),
        Popup::Removal(w) => removal::key(state, w, action),
        Popup::SyncReport { connection, scroll } => sync::report_key(connection, scroll, &action),
        Popup::SyncFile { connection, form } => sync::file_key(state, connection, form, &action),
        Popup::NewConnection(w) => setup::key(state, w, &action),
        Popup::Register(w) => register::key(state, w, &action),
        Popup::EditSource(f) => sources::key(state, f, &action),
        Popup::Problems(v) => problems::key(state, v, &action),
        Popup::ImpactList(l) => impact::key(state, l, &action),
        Popup::Propagation(l) => propagation::list_key(state, l, &action),
        Popup::ConfirmQuit { staged, writes } => {
            nav::confirm_quit_key(state, staged, writes, &action)
        }
    };
    if let Some(p) = keep {
        state.popups.insert(at.min(state.popups.len()), p);
    }
    effects
}

/// Nothing changed: no effects, and no redraw.
fn unchanged(state: &mut AppState) -> Vec<Effect> {
    state.dirty = false;
    Vec::new()
}

/// Starts background work, shown in the header until its `JobFinished`.
fn job(state: &mut AppState, label: &str, work: Work) -> Effect {
    let id = state.next_job;
    state.next_job += 1;
    state.jobs.push(Job {
        id,
        label: label.to_owned(),
        writes: work.writes(),
    });
    Effect::Job { id, work }
}

/// Says something in the footer (and keeps it in the message log).
fn status(state: &mut AppState, text: impl Into<String>) {
    say(state, text.into(), false);
}

/// Says what went wrong in the footer (and keeps it in the message log).
fn status_error(state: &mut AppState, text: impl Into<String>) {
    say(state, text.into(), true);
}

fn say(state: &mut AppState, text: String, error: bool) {
    if state.log.len() >= LOG_KEPT {
        state.log.remove(0);
    }
    state.log.push(Logged {
        at: state.clock.now(),
        text: text.clone(),
        error,
    });
    state.status = Some(Status { text, error });
}

/// Opens a message box (its text is kept in the message log too).
fn message(state: &mut AppState, title: &str, lines: Vec<String>, error: bool) {
    if state.log.len() >= LOG_KEPT {
        state.log.remove(0);
    }
    state.log.push(Logged {
        at: state.clock.now(),
        text: format!("{title}: {}", lines.join(" ")),
        error,
    });
    state.popups.push(Popup::Message(Message {
        title: title.to_owned(),
        lines,
        error,
    }));
}

/// Refuses a write in read-only mode (says so in a popup); true when the write may go on.
fn writable(state: &mut AppState, what: &str) -> bool {
    if state.info.read_only {
        message(
            state,
            s::READ_ONLY_TITLE,
            vec![s::read_only_refusal(what)],
            true,
        );
        return false;
    }
    true
}

/// The topmost popup `pick` recognises: a wizard's results find it even under a message.
fn topmost<'a, T: ?Sized>(
    state: &'a mut AppState,
    pick: impl FnMut(&'a mut Popup) -> Option<&'a mut T>,
) -> Option<&'a mut T> {
    state.popups.iter_mut().rev().find_map(pick)
}
