//! The full-text view: any row, property, popup or message shown whole, wrapped and scrolled,
//! plus the message log and the session details.

use super::{PopupOutcome, status, yank};
use crate::ops::doctor::Severity;
use crate::people::source_url::SourceUrl;
use crate::tui::action::{Action, PaneId};
use crate::tui::clock::{ago, took};
use crate::tui::effect::Effect;
use crate::tui::layout;
use crate::tui::state::{AppState, Popup, TextLine, TextView};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::vocab;

/// A view under construction.
struct Builder {
    lines: Vec<TextLine>,
}

impl Builder {
    fn new() -> Self {
        Self { lines: Vec::new() }
    }

    fn heading(&mut self, text: impl Into<String>) -> &mut Self {
        if !self.lines.is_empty() {
            self.lines.push(TextLine::new("", Role::Normal));
        }
        self.lines.push(TextLine::new(text, Role::Heading));
        self
    }

    fn line(&mut self, text: impl Into<String>, role: Role) -> &mut Self {
        self.lines.push(TextLine::new(text, role));
        self
    }

    /// "label: value" with the labels of one block aligned.
    fn field(&mut self, label: &str, value: impl Into<String>) -> &mut Self {
        self.lines.push(TextLine {
            text: format!("{label:<16} {}", value.into()),
            role: Role::Normal,
            hang: 17,
        });
        self
    }

    fn done(self, title: impl Into<String>, yank: Option<String>) -> TextView {
        TextView {
            title: title.into(),
            lines: self.lines,
            scroll: 0,
            yank,
        }
    }
}

fn or_none(v: Option<&str>) -> String {
    v.filter(|v| !v.is_empty()).unwrap_or("none").to_owned()
}

fn rank_text(rank: Option<usize>) -> String {
    rank.map_or_else(
        || "not in the precedence list".to_owned(),
        |r| format!("{r} (1 = highest)"),
    )
}

/// Every problem doctor found about `subject`, with its fix.
fn problems(b: &mut Builder, state: &AppState, subject: &str) {
    let mine: Vec<_> = state
        .problems
        .iter()
        .filter(|p| p.subject.eq_ignore_ascii_case(subject))
        .collect();
    if mine.is_empty() {
        b.heading("Problems")
            .line("doctor found no problem here.", Role::Ok);
        return;
    }
    b.heading(format!("Problems ({})", mine.len()));
    for p in mine {
        let role = match p.severity {
            Severity::Error => Role::Error,
            Severity::Warning => Role::Warning,
            Severity::Info => Role::Dim,
        };
        b.line(
            format!("{} [{}] {}", p.severity.as_str(), p.code, p.message),
            role,
        );
        b.line(format!("  fix: {}", p.fix), Role::Dim);
    }
}

/// Opens the selected row (or profile property) whole.
pub(super) fn open_selected(state: &mut AppState) -> Vec<Effect> {
    match selected(state) {
        Some(v) => state.popups.push(Popup::Text(v)),
        None => status(state, s::NOTHING_SELECTED),
    }
    Vec::new()
}

/// The full text of what is selected where the focus is.
pub(super) fn selected(state: &AppState) -> Option<TextView> {
    match state.pane {
        PaneId::Connections => {
            let id = state
                .connections
                .detail
                .clone()
                .or_else(|| state.selected_connection().map(|r| r.id.clone()))?;
            connection(state, &id)
        }
        PaneId::Sources => state
            .selected_source()
            .map(|r| r.source_id.clone())
            .and_then(|id| source(state, &id)),
        PaneId::Precedence => precedence_entry(state),
        PaneId::People if state.people.profile.is_some() => property(state),
        PaneId::People => person(state),
        PaneId::Syncs => state
            .sync_connections()
            .get(state.syncs.list.selected)
            .and_then(|id| sync_run(state, id)),
    }
}

fn connection(state: &AppState, id: &str) -> Option<TextView> {
    let snap = state.snap()?;
    let view = snap.connection(id)?;
    let c = &view.connection;
    let row = state.connections.rows.iter().find(|r| r.id == id);
    let mut b = Builder::new();
    b.field("id", c.id.clone())
        .field("name", c.name.clone())
        .field("description", or_none(c.description.as_deref()))
        .field("state", c.state.as_str())
        .field("category", or_none(c.content_category.as_deref()))
        .field("contract", vocab::contract_name(view.contract))
        .field(
            "profile source",
            vocab::yes_no(row.is_some_and(|r| r.registered)),
        )
        .field("rank", rank_text(row.and_then(|r| r.rank)))
        .field(
            "items",
            c.ingested_items_count
                .map_or_else(|| "unknown".to_owned(), |n| n.to_string()),
        );
    match (&view.schema, &view.schema_error) {
        (Some(schema), _) => {
            b.heading(format!("Schema ({} properties)", schema.properties.len()));
            for p in &schema.properties {
                let labels = if p.labels.is_empty() {
                    "(custom)".to_owned()
                } else {
                    p.labels.join(", ")
                };
                b.line(format!("{}  {}  {labels}", p.name, p.kind), Role::Normal);
            }
            for problem in &view.schema_problems {
                b.line(problem.clone(), Role::Error);
            }
        }
        (None, Some(e)) => {
            b.heading("Schema")
                .line(format!("could not be read: {e}"), Role::Warning);
        }
        (None, None) => {
            b.heading("Schema").line(
                "none registered: the connection cannot take items",
                Role::Warning,
            );
        }
    }
    problems(&mut b, state, id);
    Some(b.done(format!("Connection {id}"), Some(id.to_owned())))
}

fn source(state: &AppState, id: &str) -> Option<TextView> {
    let r = state
        .sources
        .rows
        .iter()
        .find(|r| r.source_id.eq_ignore_ascii_case(id))?;
    let mut b = Builder::new();
    b.field("source id", r.source_id.clone())
        .field("name", or_none(r.display_name.as_deref()))
        .field("kind", or_none(r.kind.as_deref()))
        .field("web URL", or_none(r.web_url.as_deref()))
        .field("rank", rank_text(r.rank))
        .field("built-in", vocab::yes_no(r.built_in));
    if let Ok(sid) = crate::people::ids::SourceId::new(r.source_id.clone()) {
        b.field("precedence URL", SourceUrl::for_source(&sid).as_str());
    }
    if r.orphan {
        b.line(
            format!(
                "orphan: no connection '{}' exists, so the source feeds nothing",
                r.source_id
            ),
            Role::Error,
        );
    }
    problems(&mut b, state, &r.source_id);
    Some(b.done(
        format!("Profile source {}", r.source_id),
        Some(r.source_id.clone()),
    ))
}

fn precedence_entry(state: &AppState) -> Option<TextView> {
    let list = state.shown_list();
    let i = state.precedence.list.selected;
    let entry = list.entries().get(i)?;
    let snap = state.snap();
    let mut b = Builder::new();
    b.field("rank", format!("{} of {}", i + 1, list.len()))
        .field("URL", entry.as_str());
    match entry.source_id() {
        Some(id) => {
            let source = snap.and_then(|s| s.source(id.as_str()));
            b.field("source id", id.as_str())
                .field(
                    "name",
                    source
                        .and_then(|s| s.display_name.clone())
                        .or_else(|| entry.builtin().map(|b| b.name.to_owned()))
                        .unwrap_or_else(|| "unknown".to_owned()),
                )
                .field(
                    "registered",
                    vocab::yes_no(source.is_some() || entry.builtin().is_some()),
                )
                .field(
                    "connection",
                    if snap.and_then(|s| s.connection(id.as_str())).is_some() {
                        id.as_str()
                    } else {
                        "none"
                    },
                );
        }
        None => {
            b.line(
                "This URL names no profile source peoplectl recognises; it is kept as it is.",
                Role::Warning,
            );
        }
    }
    if let Some(from) = state
        .precedence
        .staged
        .as_ref()
        .and_then(|st| st.moved_from(i))
    {
        b.line(
            format!("staged: was rank {}, not applied yet", from + 1),
            Role::Staged,
        );
    }
    if let Some(id) = entry.source_id() {
        problems(&mut b, state, id.as_str());
    }
    let yank = entry
        .source_id()
        .map_or_else(|| entry.as_str().to_owned(), |id| id.as_str().to_owned());
    Some(b.done(format!("Precedence rank {}", i + 1), Some(yank)))
}

fn person(state: &AppState) -> Option<TextView> {
    let u = state.people.index.matched(state.people.list.selected)?;
    let mut b = Builder::new();
    b.field("name", u.name())
        .field("UPN", &*u.user_principal_name)
        .field("object id", &*u.id)
        .field("Entra title", or_none(u.job_title.as_deref()))
        .field("Entra department", or_none(u.department.as_deref()))
        .line("", Role::Normal)
        .line(
            "Title and department are Entra ID's; enter shows the composed profile.",
            Role::Dim,
        );
    Some(b.done(u.name().to_owned(), Some(u.user_principal_name.to_string())))
}

/// A profile property with every source's value in rank order and the rule in words.
fn property(state: &AppState) -> Option<TextView> {
    let profile = state.people.profile.as_ref()?;
    let view = profile.view.loaded()?;
    let r = view.rows.get(profile.cursor.selected)?;
    let mut b = Builder::new();
    b.field("property", r.label.clone())
        .field("path", r.path.clone());
    match r.item {
        Some((index, count)) => {
            b.field("item", format!("{} of {count}", index + 1))
                .field("value", r.value.clone())
                .field("from", source_with_rank(&r.source, r.rank));
        }
        None => {
            b.field("value", r.value.clone())
                .field("from", source_with_rank(&r.source, r.rank));
        }
    }
    b.field("rule", vocab::rule_name(r.rule))
        .line(vocab::rule_sentence(r.rule), Role::Dim);
    b.heading(if r.item.is_some() {
        "Every item, in rank order"
    } else {
        "Every source's value, in rank order"
    });
    if r.candidates.is_empty() {
        b.line("No source has a value.", Role::Dim);
    }
    let g = state.theme.glyphs();
    for (n, c) in r.candidates.iter().enumerate() {
        let mark = if r.item.is_some_and(|(i, _)| i == n) || (r.item.is_none() && c.won) {
            g.arrow
        } else {
            g.bullet
        };
        let state_word = match (r.item, c.won, &c.ignored) {
            (_, _, Some(why)) => format!(" (ignored: {why})"),
            (None, true, _) => " (shown)".to_owned(),
            (None, false, _) if c.value == r.value => " (same value, hidden)".to_owned(),
            (None, false, _) => " (hidden)".to_owned(),
            _ => String::new(),
        };
        b.line(
            format!(
                "{mark} {}: {}{state_word}",
                source_with_rank(&c.source, c.rank),
                c.value
            ),
            if c.won { Role::Normal } else { Role::Dim },
        );
    }
    if let (true, Some(actual)) = (r.mismatch(), &r.actual) {
        b.heading("Microsoft 365")
            .line(format!("shows: {actual}"), Role::Error)
            .line(
                "Data may not be ingested yet (allow up to 6 hours), or the account has no mailbox.",
                Role::Dim,
            );
    }
    b.line("", Role::Normal).line(
        "g s: the source   g c: its connection   g p: its precedence rank",
        Role::Dim,
    );
    Some(b.done(
        format!("{} · {}", view.display_name, r.label),
        Some(r.value.clone()),
    ))
}

fn source_with_rank(source: &str, rank: Option<usize>) -> String {
    match rank {
        Some(r) => format!("{source} (rank {r})"),
        None => source.to_owned(),
    }
}

/// A sync run whole: counters, timing, the error and every row error.
fn sync_run(state: &AppState, id: &str) -> Option<TextView> {
    let run = state.syncs.runs.get(id)?;
    let now = state.clock.now();
    let mut b = Builder::new();
    b.field("connection", id)
        .field("input", run.input.display().to_string())
        .field("started", ago(now.saturating_sub(run.started)));
    match (&run.report, run.ended) {
        (Some(Ok(r)), _) => {
            b.field(
                "took",
                took(std::time::Duration::from_secs_f64(r.seconds.max(0.0))),
            );
            b.field(
                "result",
                if r.cancelled {
                    "stopped (a rerun picks up where it stopped)".to_owned()
                } else {
                    format!(
                        "{} sent, {} rejected, {} failed",
                        r.put,
                        r.invalid + r.unmatched,
                        r.failed
                    )
                },
            );
            b.field(
                "counts",
                format!(
                    "rows {} · valid {} · invalid {} · unmatched {} · unchanged {} · deleted {} · throttled {}",
                    r.rows, r.valid, r.invalid, r.unmatched, r.unchanged, r.deleted, r.throttled
                ),
            );
            if r.deletes_held > 0 {
                b.line(
                    format!(
                        "kept {} people no readable row names: fix the unreadable rows, then sync again",
                        r.deletes_held
                    ),
                    Role::Warning,
                );
            }
            b.field("state file", r.state_file.clone());
        }
        (Some(Err(e)), ended) => {
            if let Some(end) = ended {
                b.field("took", took(end.saturating_sub(run.started)));
            }
            b.field("result", "failed").line(e.clone(), Role::Error);
        }
        (None, _) => {
            b.field("running", run.phase.label())
                .field("for", took(now.saturating_sub(run.started)));
        }
    }
    let issues: Vec<&crate::sync::Issue> = match &run.report {
        Some(Ok(r)) => r.errors.iter().collect(),
        _ => run.issues.iter().collect(),
    };
    b.heading(format!("Row errors and failed items ({})", issues.len()));
    for i in issues {
        b.line(format!("{}: {}", s::issue_at(i), i.reason), Role::Warning);
    }
    Some(b.done(format!("Sync of {id}"), Some(id.to_owned())))
}

/// The text of a popup, whole (for `v` inside it).
pub(super) fn of_popup(state: &AppState, popup: &Popup) -> Option<TextView> {
    match popup {
        Popup::Message(m) => {
            let mut b = Builder::new();
            for (i, l) in m.lines.iter().enumerate() {
                if i > 0 {
                    b.line("", Role::Normal);
                }
                b.line(
                    l.clone(),
                    if m.error && i == 0 {
                        Role::Error
                    } else {
                        Role::Normal
                    },
                );
            }
            Some(b.done(m.title.clone(), None))
        }
        Popup::SyncReport { connection, .. } => sync_run(state, connection),
        Popup::Help { .. } => {
            let mut b = Builder::new();
            for section in crate::tui::keymap::Section::ALL {
                b.heading(section.name());
                for binding in state.keymap.section(section) {
                    b.line(
                        format!("{:<18} {}", binding.keys_label(), binding.desc),
                        Role::Normal,
                    );
                }
            }
            Some(b.done(s::HELP_TITLE, None))
        }
        Popup::Removal(w) => {
            let steps = match &w.step {
                crate::tui::state::RemovalStep::Review(plan)
                | crate::tui::state::RemovalStep::TypeId { plan, .. } => plan.steps.clone(),
                crate::tui::state::RemovalStep::Running { steps }
                | crate::tui::state::RemovalStep::Report { steps, .. } => steps.clone(),
                _ => Vec::new(),
            };
            let mut b = Builder::new();
            for st in steps {
                b.line(
                    format!(
                        "{}: {} — {}",
                        vocab::step_name(&st.step),
                        st.status,
                        st.detail
                    ),
                    Role::Normal,
                );
            }
            if let crate::tui::state::RemovalStep::Report { error: Some(e), .. }
            | crate::tui::state::RemovalStep::PlanFailed(e) = &w.step
            {
                b.line(e.clone(), Role::Error);
            }
            Some(b.done(format!("Remove {}", w.id), Some(w.id.clone())))
        }
        Popup::Propagation(l) => Some(propagation_list(l)),
        _ => None,
    }
}

/// The people a check found not live, whole: each reason with its detail and the input file as
/// the ledger names it (the list cuts both).
fn propagation_list(l: &crate::tui::state::PropagationList) -> TextView {
    use crate::tui::propagation::{counts, minute, reason_text, source_full};
    let v = &l.view;
    let mut b = Builder::new();
    b.field("connection", v.connection.clone())
        .field("checked", format!("{} UTC", minute(v.checked_at)))
        .field(
            "people",
            format!("{} checked of {} synced", v.checked, v.ledger),
        )
        .field("states", counts(v));
    b.heading(format!("Not live ({})", v.people.len()));
    for p in &v.people {
        let source = source_full(&p.source);
        let mut text = format!(
            "{}  {}: {}",
            p.upn,
            crate::vocab::propagation_state(p.state.code()),
            reason_text(p, v.read_at)
        );
        if !source.is_empty() {
            text.push_str(&format!(" (from {source})"));
        }
        b.line(text, crate::tui::popups::propagation::state_role(p.state));
    }
    b.done(
        crate::tui::strings::propagation_list_title(&v.connection),
        Some(v.connection.clone()),
    )
}

/// Every footer message of the session, newest last.
pub(super) fn messages(state: &mut AppState) -> Vec<Effect> {
    let now = state.clock.now();
    let mut b = Builder::new();
    if state.log.is_empty() {
        b.line("No messages yet.", Role::Dim);
    }
    for m in &state.log {
        b.line(
            format!("{:>10}  {}", ago(now.saturating_sub(m.at)), m.text),
            if m.error { Role::Error } else { Role::Normal },
        );
    }
    let mut v = b.done(s::MESSAGES_TITLE, None);
    // Newest last, so open at the bottom.
    v.scroll = usize::MAX;
    clamp(state, &mut v);
    state.popups.push(Popup::Text(v));
    Vec::new()
}

/// The session: tenant, Graph endpoint, who, read-only, files, refresh.
pub(super) fn session(state: &mut AppState) -> Vec<Effect> {
    let info = &state.info;
    let mut b = Builder::new();
    b.field(
        "tenant",
        if info.demo {
            format!("{} ({})", info.tenant, s::DEMO)
        } else {
            info.tenant.clone()
        },
    )
    .field("tenant id", info.tenant_id.clone())
    .field("context", info.context.clone())
    .field("Graph", info.graph_host.clone());
    match &state.identity {
        crate::tui::state::LoadState::Loaded(i) => {
            let (who, kind) = crate::auth::claims::who_and_how(i.as_ref());
            b.field("signed in as", format!("{who} ({kind})"));
            if let Some(i) = i {
                if !i.permissions.is_empty() {
                    b.field("permissions", i.permissions.join(", "));
                }
            }
        }
        crate::tui::state::LoadState::Failed(e) => {
            b.field("signed in as", format!("nobody: {e}"));
        }
        _ => {
            b.field("signed in as", s::SIGNING_IN);
        }
    }
    b.field(
        "writes",
        if info.read_only {
            "refused (--read-only)"
        } else {
            "allowed"
        },
    )
    .field(
        "data dir",
        info.data_dir
            .as_ref()
            .map_or_else(|| "none".to_owned(), |d| d.display().to_string()),
    )
    .field(
        "refresh",
        state.refresh_every.map_or_else(
            || "by hand only (r)".to_owned(),
            |d| {
                format!(
                    "every {} s, and when the terminal regains focus",
                    d.as_secs()
                )
            },
        ),
    )
    .field("read", state.age());
    for (id, input) in &info.sync_inputs {
        b.field(&format!("sync {id}"), input.input.display().to_string());
    }
    let v = b.done(s::SESSION_TITLE, Some(info.tenant.clone()));
    state.popups.push(Popup::Text(v));
    Vec::new()
}

/// Wrapped lines of a view at the width it is drawn.
pub fn wrapped_len(v: &TextView, width: usize) -> usize {
    v.lines.iter().map(|l| l.wrapped(width).len()).sum()
}

fn clamp(state: &AppState, v: &mut TextView) {
    let (rows, width) = layout::text_view_room(state.size);
    let max = wrapped_len(v, width).saturating_sub(rows);
    v.scroll = v.scroll.min(max);
}

/// A key in the full-text view: scroll, copy, close.
pub(super) fn key(state: &mut AppState, mut v: TextView, action: &Action) -> PopupOutcome {
    let (rows, _) = layout::text_view_room(state.size);
    let page = rows.saturating_sub(1).max(1);
    match action {
        Action::Back | Action::Select | Action::ViewFull => return (None, Vec::new()),
        Action::Down => v.scroll += 1,
        Action::Up => v.scroll = v.scroll.saturating_sub(1),
        Action::PageDown => v.scroll += page,
        Action::PageUp => v.scroll = v.scroll.saturating_sub(page),
        Action::Top => v.scroll = 0,
        Action::GotoPrefix => state.goto_pending = true,
        Action::Bottom => v.scroll = usize::MAX,
        Action::Yank => {
            let effects = if let Some(id) = v.yank.clone() {
                yank::copy(state, &id, s::WHAT_ID)
            } else {
                status(state, s::NOTHING_TO_COPY);
                Vec::new()
            };
            return (Some(Popup::Text(v)), effects);
        }
        Action::YankFull => {
            let all: Vec<&str> = v.lines.iter().map(|l| l.text.as_str()).collect();
            let effects = yank::copy(state, &all.join("\n"), s::WHAT_TEXT);
            return (Some(Popup::Text(v)), effects);
        }
        _ => {}
    }
    clamp(state, &mut v);
    (Some(Popup::Text(v)), Vec::new())
}
