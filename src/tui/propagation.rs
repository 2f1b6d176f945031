//! Is it live yet, as the console shows it: a connection's last propagation check (counts and
//! the people not live) built from the state store, and one person's ledger line for a profile.

use std::collections::HashMap;

use super::theme::Role;
use crate::ops::propagation::{
    DOCUMENTED_DELAY_SECONDS, Ledger, Overdue, PersonState, ProfileAccess, PropagationReport,
    Reason, SourceLine, State, describe, is_overdue, rfc3339, span,
};
use crate::sync::state::{CheckRecord, LedgerEntry};

/// The last check of one connection, with the people who are not live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckView {
    pub connection: String,
    /// Unix seconds of the newest check stored.
    pub checked_at: i64,
    /// Unix seconds when this was read: the ages in `people` are counted to it.
    pub read_at: i64,
    /// People the ledger holds (a sample checks fewer).
    pub ledger: usize,
    pub checked: usize,
    pub live: usize,
    pub pending: usize,
    pub dropped: usize,
    pub stale: usize,
    pub not_synced: usize,
    /// People sent again after their check: for them the check is out of date.
    pub resent: usize,
    /// The profile API refused the sign-in: live and stale could not be told.
    pub needs_delegated: bool,
    /// Everyone not live: dropped first, then pending, stale, not synced; by UPN within.
    pub people: Vec<PersonState>,
}

impl CheckView {
    /// Whether every checked person is live.
    pub fn all_live(&self) -> bool {
        self.live == self.checked
    }

    /// The people this check found still not shown long after their data landed (doctor's
    /// `landedNotVisible`).
    pub fn overdue(&self) -> Vec<Overdue> {
        self.people
            .iter()
            .filter(|p| {
                is_overdue(
                    p.state,
                    p.landed_unix,
                    self.checked_at,
                    DOCUMENTED_DELAY_SECONDS,
                )
            })
            .map(|p| Overdue {
                upn: p.upn.clone(),
                state: p.state,
                landed_at: p.landed_unix,
                checked_at: self.checked_at,
            })
            .collect()
    }
}

/// One connection's last check as read from its state store (`None`: never checked).
pub type StoredCheck = (String, Result<Option<std::sync::Arc<CheckView>>, String>);

/// The order the list shows states in: what needs a fix first.
fn rank(state: State) -> u8 {
    match state {
        State::Dropped => 0,
        State::Pending => 1,
        State::Stale => 2,
        State::NotSynced => 3,
        State::Live => 4,
    }
}

/// The last check stored in `ledger` (`None`: never checked). `fresh`, the check just run,
/// adds what the store does not keep (each reason's detail, whether the profile API refused);
/// a check whose ledger does not exist yet is `fresh` alone.
pub fn check_view(
    connection: &str,
    ledger: &Ledger,
    fresh: Option<&PropagationReport>,
    now: i64,
) -> Option<CheckView> {
    if ledger.previous.is_empty() {
        let report = fresh?;
        return Some(build(
            connection,
            report.users.clone(),
            ledger.entries.len(),
            report.checked_at,
            report.profile == ProfileAccess::NeedsDelegatedSignIn,
            0,
            now,
        ));
    }
    let entries: HashMap<&str, &LedgerEntry> = ledger
        .entries
        .iter()
        .map(|e| (e.item_id.as_str(), e))
        .collect();
    let details: HashMap<&str, &str> = fresh
        .map(|r| {
            r.users
                .iter()
                .filter_map(|u| Some((u.item_id.as_str(), u.detail.as_deref()?)))
                .collect()
        })
        .unwrap_or_default();
    let mut resent = 0;
    let people: Vec<PersonState> = ledger
        .previous
        .iter()
        .filter_map(|c| {
            let entry = entries.get(c.item_id.as_str()).copied();
            if entry.is_some_and(|e| e.hash.is_some() && e.hash != c.hash) {
                resent += 1;
            }
            person(c, entry, details.get(c.item_id.as_str()).copied())
        })
        .collect();
    let checked_at = ledger
        .previous
        .iter()
        .map(|c| c.checked_at)
        .max()
        .unwrap_or_default();
    let needs_delegated = fresh.map_or_else(
        || {
            people
                .iter()
                .any(|p| p.reason == Some(Reason::ProfileNotRead))
        },
        |r| r.profile == ProfileAccess::NeedsDelegatedSignIn,
    );
    Some(build(
        connection,
        people,
        ledger.entries.len(),
        checked_at,
        needs_delegated,
        resent,
        now,
    ))
}

/// One stored result as a person's state (`None`: a state this build does not know).
fn person(
    c: &CheckRecord,
    entry: Option<&LedgerEntry>,
    detail: Option<&str>,
) -> Option<PersonState> {
    let state = State::from_code(&c.state)?;
    let landed = entry.filter(|e| e.hash.is_some()).and_then(|e| e.landed_at);
    Some(PersonState {
        upn: c.upn.clone(),
        state,
        reason: c.reason.as_deref().and_then(Reason::from_code),
        landed_at: landed.map(rfc3339),
        seen_at: c.seen_at.map(rfc3339),
        source: SourceLine {
            file: entry.and_then(|e| e.file.clone()),
            line: entry.and_then(|e| e.line),
        },
        item_id: c.item_id.clone(),
        landed_unix: landed,
        seen_unix: c.seen_at,
        detail: detail.map(str::to_owned),
        hash: c.hash.clone(),
    })
}

fn build(
    connection: &str,
    mut people: Vec<PersonState>,
    ledger: usize,
    checked_at: i64,
    needs_delegated: bool,
    resent: usize,
    now: i64,
) -> CheckView {
    let n = |s: State| people.iter().filter(|p| p.state == s).count();
    let mut view = CheckView {
        connection: connection.to_owned(),
        checked_at,
        read_at: now,
        ledger,
        checked: people.len(),
        live: n(State::Live),
        pending: n(State::Pending),
        dropped: n(State::Dropped),
        stale: n(State::Stale),
        not_synced: n(State::NotSynced),
        resent,
        needs_delegated,
        people: Vec::new(),
    };
    // Live people are counted, not listed: the list is what needs looking at.
    people.retain(|p| p.state != State::Live);
    people.sort_by(|a, b| rank(a.state).cmp(&rank(b.state)).then(a.upn.cmp(&b.upn)));
    view.people = people;
    view
}

/// "12 live · 3 pending · 1 dropped", leaving out the states nobody is in (but not live).
pub fn counts(v: &CheckView) -> String {
    let mut parts = vec![format!("{} live", v.live)];
    for (n, word) in [
        (v.pending, "pending"),
        (v.dropped, "dropped"),
        (v.stale, "stale"),
        (v.not_synced, "not synced"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    parts.join(" · ")
}

/// The reason and age of a person, as the CLI's table says it.
pub fn reason_text(p: &PersonState, now: i64) -> String {
    describe(p, now)
}

/// "hr-export.csv:52", "hr-export.csv", or "" (synced before the ledger): the file's name,
/// as the Syncs pane shows inputs (temp and home paths would only add noise).
pub fn source_text(source: &SourceLine) -> String {
    let name = source.file.as_deref().map(|f| {
        std::path::Path::new(f)
            .file_name()
            .map_or_else(|| f.to_owned(), |n| n.to_string_lossy().into_owned())
    });
    source_full(&SourceLine {
        file: name,
        line: source.line,
    })
}

/// "/data/hr/hr-export.csv:52": the file as the ledger has it.
pub fn source_full(source: &SourceLine) -> String {
    match (&source.file, source.line) {
        (Some(f), Some(l)) => format!("{f}:{l}"),
        (Some(f), None) => f.clone(),
        _ => String::new(),
    }
}

/// "2026-12-06 02:15" (UTC).
pub fn minute(unix: i64) -> String {
    let t = rfc3339(unix);
    t.get(..16).map_or(t.clone(), |m| m.replacen('T', " ", 1))
}

/// What one connection's ledger says about one person, for their profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub connection: String,
    /// The ledger's entry, or why it could not be read.
    pub entry: Result<LedgerEntry, String>,
    /// The person's result in the last check.
    pub check: Option<CheckRecord>,
    /// Unix seconds when this was read.
    pub read_at: i64,
}

/// "synced 2026-12-06 02:15 UTC from hr-export.csv:52, live since 02:31", with the role to
/// draw it in. The text holds file names from the ledger: draw it through `crate::text`.
pub fn provenance_text(p: &Provenance) -> (String, Role) {
    let entry = match &p.entry {
        Ok(e) => e,
        Err(e) => return (format!("sync ledger unreadable: {e}"), Role::Warning),
    };
    let Some(landed) = entry.landed_at.filter(|_| entry.hash.is_some()) else {
        return match &entry.last_error {
            Some(e) => (
                format!("not synced: the last attempt failed: {e}"),
                Role::Error,
            ),
            None => ("not synced".to_owned(), Role::Warning),
        };
    };
    let source = source_text(&SourceLine {
        file: entry.file.clone(),
        line: entry.line,
    });
    let mut text = format!("synced {} UTC", minute(landed));
    if !source.is_empty() {
        text.push_str(&format!(" from {source}"));
    }
    let (then, role) = match &p.check {
        None => ("not checked yet (p in Syncs checks)".to_owned(), Role::Dim),
        Some(c) if c.hash != entry.hash => (
            "sent again since the last check (p in Syncs checks)".to_owned(),
            Role::Dim,
        ),
        Some(c) => {
            let checked = format!("checked {} ago", span(p.read_at - c.checked_at));
            let reason = c
                .reason
                .as_deref()
                .map(crate::vocab::propagation_reason)
                .unwrap_or_default();
            match State::from_code(&c.state) {
                Some(State::Live) => match c.seen_at {
                    // The same day reads best as a time only.
                    Some(seen) if minute(seen).get(..10) == minute(landed).get(..10) => (
                        format!("live since {}", minute(seen).get(11..).unwrap_or_default()),
                        Role::Ok,
                    ),
                    Some(seen) => (format!("live since {}", minute(seen)), Role::Ok),
                    None => ("live".to_owned(), Role::Ok),
                },
                Some(State::Pending) if c.reason.as_deref() == Some("profileNotRead") => (
                    format!("live or not cannot be told without a delegated sign-in ({checked})"),
                    Role::Warning,
                ),
                Some(State::Pending) => (
                    format!(
                        "pending for {} ({checked})",
                        span(c.checked_at.max(p.read_at) - landed)
                    ),
                    Role::Warning,
                ),
                Some(State::Stale) => (
                    format!("the profile still showed an older value ({checked})"),
                    Role::Warning,
                ),
                Some(State::Dropped) => (format!("dropped: {reason}"), Role::Error),
                Some(State::NotSynced) | None => (format!("not synced: {reason}"), Role::Warning),
            }
        }
    };
    (format!("{text}, {then}"), role)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, hash: Option<&str>, landed: Option<i64>) -> LedgerEntry {
        LedgerEntry {
            item_id: id.into(),
            hash: hash.map(Into::into),
            landed_at: landed,
            last_error: None,
            file: Some("hr-export.csv".into()),
            line: Some(52),
            run_id: Some(1),
        }
    }

    fn record(id: &str, hash: &str, state: &str, reason: Option<&str>) -> CheckRecord {
        CheckRecord {
            item_id: id.into(),
            upn: format!("{id}@contoso.com"),
            hash: Some(hash.into()),
            state: state.into(),
            reason: reason.map(Into::into),
            seen_at: (state == "live").then_some(T0 + 960),
            checked_at: T0 + 1000,
        }
    }

    /// 2026-12-06 02:15:00 UTC.
    const T0: i64 = 1_796_523_300;

    #[test]
    fn a_stored_check_counts_everyone_and_lists_who_is_not_live_worst_first() {
        let ledger = Ledger {
            entries: vec![
                entry("a", Some("h1"), Some(T0)),
                entry("b", Some("h2"), Some(T0)),
                entry("c", Some("h3-new"), Some(T0 + 500)),
                entry("d", Some("h4"), Some(T0)),
            ],
            previous: vec![
                record("a", "h1", "live", None),
                record("b", "h2", "pending", None),
                record("c", "h3", "stale", None),
                record("d", "h4", "dropped", Some("noMailbox")),
            ],
        };
        let v = check_view("contosohr", &ledger, None, T0 + 2000).expect("checked");
        assert_eq!(
            (v.checked, v.live, v.pending, v.stale, v.dropped),
            (4, 1, 1, 1, 1)
        );
        assert_eq!(v.resent, 1, "c was sent again after its check");
        assert!(!v.needs_delegated);
        let order: Vec<&str> = v.people.iter().map(|p| p.item_id.as_str()).collect();
        assert_eq!(order, ["d", "b", "c"]);
        assert_eq!(v.people[0].reason, Some(Reason::NoMailbox));
        assert_eq!(v.people[1].source.line, Some(52));
        assert_eq!(counts(&v), "1 live · 1 pending · 1 dropped · 1 stale");
        assert_eq!(v.checked_at, T0 + 1000);
    }

    #[test]
    fn nothing_stored_and_nothing_run_is_no_check() {
        let ledger = Ledger {
            entries: vec![entry("a", Some("h"), Some(T0))],
            previous: Vec::new(),
        };
        assert!(check_view("contosohr", &ledger, None, T0).is_none());
    }

    #[test]
    fn profile_not_read_means_a_delegated_sign_in_is_needed() {
        let ledger = Ledger {
            entries: vec![entry("a", Some("h1"), Some(T0))],
            previous: vec![record("a", "h1", "pending", Some("profileNotRead"))],
        };
        let v = check_view("contosohr", &ledger, None, T0).expect("checked");
        assert!(v.needs_delegated);
    }

    #[test]
    fn a_profile_line_says_where_it_came_from_and_whether_it_shows() {
        let mut p = Provenance {
            connection: "contosohr".into(),
            entry: Ok(entry("a", Some("h1"), Some(T0))),
            check: Some(record("a", "h1", "live", None)),
            read_at: T0 + 3000,
        };
        assert_eq!(
            provenance_text(&p),
            (
                "synced 2026-12-06 02:15 UTC from hr-export.csv:52, live since 02:31".to_owned(),
                Role::Ok
            )
        );
        p.check = Some(record("a", "h1", "pending", None));
        p.read_at = T0 + 3 * 3600;
        let (text, role) = provenance_text(&p);
        assert!(
            text.ends_with("pending for 3 h (checked 2 h 43 min ago)"),
            "{text}"
        );
        assert_eq!(role, Role::Warning);
        p.check = Some(record("a", "h1", "dropped", Some("noMailbox")));
        assert!(provenance_text(&p).0.contains(&format!(
            "dropped: {}",
            crate::vocab::propagation_reason("noMailbox")
        )));
        p.check = Some(record("a", "h0", "live", None));
        assert!(
            provenance_text(&p)
                .0
                .contains("sent again since the last check")
        );
        p.check = None;
        assert!(
            provenance_text(&p)
                .0
                .ends_with("not checked yet (p in Syncs checks)")
        );
        p.entry = Ok(entry("a", None, None));
        assert_eq!(provenance_text(&p).0, "not synced");
    }
}
