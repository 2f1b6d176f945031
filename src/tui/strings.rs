//! Every user-facing text of the console, in one place.

/// Pane titles, in Tab order.
pub const PANE_TITLES: [&str; 5] = [
    "Connections",
    "Profile sources",
    "Precedence",
    "People",
    "Syncs",
];

pub const APP: &str = "peoplectl";
pub const READ_ONLY_BADGE: &str = " READ-ONLY ";
pub const DEMO: &str = "demo";
pub const SIGNING_IN: &str = "signing in…";
/// In the header while a Graph call is retried: "retry 2".
pub const RETRY: &str = "retry";
pub const LOADING: &str = "Loading…";
pub const LOADING_TENANT: &str = "Reading connections, profile sources and precedence from Graph…";

// Jobs shown in the header.
pub const JOB_SIGN_IN: &str = "signing in";
pub const JOB_TENANT: &str = "reading tenant";
pub const JOB_USERS: &str = "loading users";
pub const JOB_INPUTS: &str = "reading source values";
pub const JOB_IMPACT: &str = "computing impact";
pub const JOB_APPLY: &str = "applying precedence";

pub fn job_explain(upn: &str) -> String {
    format!("explaining {upn}")
}
pub fn job_plan_remove(id: &str) -> String {
    format!("planning removal of {id}")
}
pub fn job_remove(id: &str) -> String {
    format!("removing {id}")
}
pub fn job_plan_register(id: &str) -> String {
    format!("checking {id}")
}
pub fn job_register(id: &str) -> String {
    format!("registering {id}")
}
pub fn job_setup(id: &str) -> String {
    format!("creating {id}")
}
pub fn job_save_source(id: &str) -> String {
    format!("saving {id}")
}

// Status lines.
pub const MOUSE_ON: &str = "Mouse on: wheel scrolls, click a tab to switch.";
pub const MOUSE_OFF: &str = "Mouse off.";
pub const NO_FILTER_HERE: &str = "This pane has no filter.";
pub const REFRESHING: &str = "Reading everything from Graph again…";
pub const DISCARDED: &str = "Staged order discarded; nothing was written.";
pub const NOTHING_STAGED: &str = "Nothing staged: move an entry with K/J first.";
pub const APPLYING: &str = "Applying the precedence order…";
pub const NOT_APPLIED: &str = "Not applied; the staged order is kept.";
pub const CONFLICT_RELOADED: &str =
    "Staged order dropped; showing the list Graph holds now. Stage your change again.";
pub const WAITING_FOR_TENANT: &str = "Still reading the tenant; try again in a moment.";
pub const NO_PRECEDENCE_SETTING: &str =
    "The tenant has no precedence setting yet: registering a source creates it.";
pub const REMOVAL_CANCELLED: &str = "Removal cancelled; nothing was changed.";
pub const REMOVAL_RUNNING: &str =
    "The removal is running; it stops at the first failed step, which you can retry.";
pub const NOTHING_CHANGED: &str = "Nothing changed.";
pub const NOTHING_WRITTEN: &str = "Nothing was written.";

pub fn applied(entries: usize) -> String {
    format!("Precedence applied ({entries} entries).")
}
pub fn removed(id: &str) -> String {
    format!("'{id}' removed.")
}
pub fn saved(id: &str) -> String {
    format!("Profile source '{id}' saved.")
}
pub fn refresh_failed(e: &str) -> String {
    format!("Refresh failed, showing the last read: {e}")
}
pub fn rank_out_of_range(len: usize) -> String {
    format!("Type a rank from 1 to {len}.")
}
pub fn type_exactly(id: &str) -> String {
    format!("Type exactly '{id}' to confirm.")
}

// Read-only.
pub const READ_ONLY_TITLE: &str = "Read-only session";
pub fn read_only_refusal(what: &str) -> String {
    format!("peoplectl was started with --read-only: {what} is not allowed. Nothing was written.")
}
pub const WHAT_CREATE: &str = "creating a connection";
pub const WHAT_REGISTER: &str = "registering a profile source";
pub const WHAT_EDIT: &str = "editing a profile source";
pub const WHAT_APPLY: &str = "changing the precedence list";
pub fn what_remove(id: &str) -> String {
    format!("removing '{id}'")
}

// Features not in this build.
pub const SYNC_TITLE: &str = "Sync";
pub const FIELD_INPUT: &str = "HR export";
pub const FIELD_MAPPING: &str = "Mapping";
pub const INPUT_NOTE: &str = "path of a CSV (header row) or JSON Lines file";
pub const MAPPING_NOTE: &str = "mapping TOML; empty for the default mapping";
pub const NO_SYNC_RUNNING: &str = "No sync of this connection is running.";
pub const NO_SYNC_YET: &str = "No sync of this connection yet: s starts one.";
pub const NO_DATA_DIR: &str =
    "No data directory for the sync state: set PEOPLECTL_DATA_DIR. Nothing was started.";
pub fn what_sync(id: &str) -> String {
    format!("syncing into '{id}'")
}
pub fn job_sync(id: &str) -> String {
    format!("syncing {id}")
}
pub fn sync_refused(id: &str, reason: &str) -> String {
    format!("Cannot sync into '{id}': {reason}.")
}
pub fn sync_started(id: &str) -> String {
    format!("Sync of '{id}' started; it runs in the background (5: Syncs).")
}
pub fn sync_running_already(id: &str) -> String {
    format!("A sync of '{id}' is already running.")
}
pub fn sync_cancelling(id: &str) -> String {
    format!("Stopping the sync of '{id}': requests in flight land first.")
}
pub fn sync_cancelled(id: &str) -> String {
    format!("Sync of '{id}' stopped; a rerun picks up where it stopped.")
}
pub fn sync_finished(id: &str, put: u64, rejected: u64, failed: u64) -> String {
    format!("Sync of '{id}' done: {put} sent, {rejected} rows rejected, {failed} failed.")
}
pub fn sync_failed(id: &str, e: &str) -> String {
    format!("Sync of '{id}' failed: {e}")
}
pub const NEW_CONNECTION_TITLE: &str = "New connection";
pub const FIELD_SCHEMA: &str = "Schema";
pub const SCHEMA_NOTE: &str = "labels (current contract), preview (2025) or none";
pub const SETUP_RUNNING: &str =
    "Creating the connection and waiting for Microsoft 365 to provision its schema…";
pub const SETUP_DONE: &str =
    "Done. Register it as a profile source (R) so its data reaches profiles.";

// Forms.
pub const FIELD_CONNECTION_ID: &str = "Connection id";
pub const FIELD_NAME: &str = "Name";
pub const FIELD_DESCRIPTION: &str = "Description";
pub const FIELD_WEB_URL: &str = "Web URL";
pub const FIELD_DISPLAY_NAME: &str = "Display name";
pub const FIELD_POSITION: &str = "Rank";
pub const CONNECTION_ID_RULES: &str = "3-32 letters or digits, not starting with 'Microsoft'";
pub const ID_OK: &str = "valid id";
pub const WEB_URL_NOTE: &str = "https:// link to the source system";
pub const POSITION_NOTE: &str = "top, bottom or a rank (1 = highest)";
pub const FIX_ID_FIRST: &str = "Fix the connection id first.";
pub const NAME_REQUIRED: &str = "A name is required.";
pub const EDIT_TITLE: &str = "Edit profile source";
pub const REMOVE_TITLE: &str = "Remove";
pub const REGISTER_TITLE: &str = "Register as a profile source";
pub const MOVE_TO_TITLE: &str = "Move to rank";
pub fn built_in_not_editable(id: &str) -> String {
    format!("'{id}' is a built-in source; Microsoft 365 manages its name and link.")
}
pub fn built_in_not_removable(id: &str) -> String {
    format!("'{id}' is a built-in source and cannot be removed.")
}

// Popups.
pub const HELP_TITLE: &str = "Keys";
pub const PALETTE_TITLE: &str = "Commands";
pub const APPLY_TITLE: &str = "Apply precedence order?";
pub const APPLY_FAILED_TITLE: &str = "Precedence not applied";
pub const CONFLICT_TITLE: &str = "The precedence list changed in Graph";
pub const CONFLICT_BODY: &str = "Someone changed the list since it was read. Nothing was written; your order is not applied over theirs.";
pub const CONFLICT_HINT: &str = "enter: drop my staged order and reload   esc: keep it for now";
pub const SIGN_IN_TITLE: &str = "Profile API needs delegated sign-in";
pub const DEVICE_CODE_TITLE: &str = "Sign in";
pub fn sign_in_body() -> Vec<String> {
    vec![
        "Microsoft 365's own view of a profile (GET /users/{id}/profile) is served only to a signed-in admin; this session is signed in app-only.".into(),
        "To compare with it, sign in as yourself: `peoplectl auth login`, then start the console with `--auth device-code` (the code is shown here if needed).".into(),
        "The composed view shown is computed by peoplectl from the sources themselves: Entra ID and each connector's item, under the current precedence list.".into(),
    ]
}
pub const REMOVAL_TITLE: &str = "Remove";
pub fn removal_title(id: &str, source_only: bool) -> String {
    if source_only {
        format!("Remove profile source '{id}' (the connection stays)")
    } else {
        format!("Remove connector '{id}'")
    }
}
pub const REMOVAL_PLANNING: &str = "Reading what exists now…";
pub const REMOVAL_REVIEW_HINT: &str = "enter: continue   esc: cancel (nothing is written)";
pub const REMOVAL_REVIEW_HINT_IMPACT: &str =
    "enter: continue   i: impact list   esc: cancel (nothing is written)";
pub const REMOVAL_READ_ONLY_HINT: &str = "read-only session: review only   esc: close";
pub fn removal_type_id(id: &str) -> String {
    format!(
        "Type the id ({id}) and press enter to remove. esc cancels; nothing is written until then."
    )
}
pub const REMOVAL_NOTHING: &str = "Nothing to do: every step is already done.";
pub const REMOVAL_DONE: &str = "Done. Every step finished.";
pub const REMOVAL_FAILED_HINT: &str =
    "A step failed. The steps done stay done. r/enter: retry (finishes the job)   esc: close";
pub const PROFILE_NOTE_COMPUTED: &str =
    "computed from sources (actual profile needs delegated sign-in)";
pub const PROFILE_NOTE_COMPARED: &str = "compared with Microsoft 365's profile";

// Jumps.
pub const NOTHING_TO_GO_BACK_TO: &str = "Nothing to go back to.";
pub fn not_found(what: &str, id: &str) -> String {
    format!("No {what} '{id}' in the tenant as read.")
}
pub fn not_in_precedence(id: &str) -> String {
    format!("'{id}' is not in the precedence list.")
}
pub fn no_related(what: &str) -> String {
    format!("The selected row names no {what}.")
}

// The full-text view and yank.
pub const NOTHING_SELECTED: &str = "Nothing is selected.";
pub const MESSAGES_TITLE: &str = "Messages";
pub const SESSION_TITLE: &str = "Session";
pub const NOTHING_TO_COPY: &str = "Nothing to copy here.";
pub const WHAT_ID: &str = "the id";
pub const WHAT_URL: &str = "the URL";
pub const WHAT_TEXT: &str = "the whole text";
pub const WHAT_UPN: &str = "the UPN";
pub const WHAT_OBJECT_ID: &str = "the object id";
pub fn what_value(property: &str) -> String {
    format!("the {property} value")
}
pub fn what_values(property: &str) -> String {
    format!("every {property} value")
}
/// "Copied the id (contosohr) to the clipboard." The copied text is shown cut to a few words.
pub fn copied(what: &str, text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    let preview = crate::text::fit(first, 40, "…");
    let more = if text.lines().nth(1).is_some() {
        " …"
    } else {
        ""
    };
    format!("Copied {what} ({preview}{more}) to the clipboard (OSC 52).")
}

/// Where a sync issue is: "line 59 (Email)", or the item it is about.
pub fn issue_at(i: &crate::sync::Issue) -> String {
    match (i.line, &i.column) {
        (Some(l), Some(c)) => format!("line {l} ({c})"),
        (Some(l), None) => format!("line {l}"),
        (None, _) => i.item_id.clone().unwrap_or_else(|| "item".to_owned()),
    }
}

// Sorting.
pub const NOT_SORTABLE: &str = "This list keeps its own order.";
pub const GRAPH_ORDER: &str = "In the order Graph gave.";
pub fn sorted_by(column: &str, descending: bool) -> String {
    format!(
        "Sorted by {column}, {}.",
        if descending {
            "descending"
        } else {
            "ascending"
        }
    )
}

// The palette's kinds of results.
pub const KIND_ACTION: &str = "action";
pub const KIND_PANE: &str = "pane";
pub const KIND_CONNECTION: &str = "connection";
pub const KIND_SOURCE: &str = "source";
pub const KIND_PERSON: &str = "person";
pub const KIND_PROBLEM: &str = "problem";
pub const PALETTE_HINT: &str =
    "type to find; 'people alex', 'connection talent', 'source entra', 'doctor' narrow it";
pub const NOTHING_FOUND: &str = "Nothing matches.";
pub fn pane_item(title: &str) -> String {
    format!("{title} pane")
}

// Pane details.
pub const CONNECTION_SUMMARY_HINT: &str =
    "enter: schema and fixes   v: all of it   g s / g p: its source / rank";
pub const MORE_WITH_V: &str = "v shows all";
pub fn more_issues(n: usize) -> String {
    format!("… {n} more: enter lists them all, v shows everything")
}
pub const PROFILE_STACKED_HEADING: &str = "PROPERTY       VALUE, then its SOURCE · RULE";
/// The help key's footer word when some hints did not fit.
pub const MORE: &str = "more";
/// Where the full-text view is: "lines 1-14 of 20".
pub fn text_position(first: usize, last: usize, total: usize) -> String {
    format!("lines {first}-{last} of {total}")
}

// The Problems view, impact lists, the apply dialog's fresh read, and quitting.
pub const PROBLEMS_TITLE: &str = "Problems (doctor)";
pub const NO_PROBLEMS: &str = "No problems: connections, profile sources and precedence agree.";
pub const NO_CONSOLE_FIX: &str =
    "The console cannot fix this one: it needs a new connection. Run this in a shell:";
pub const PROBLEMS_HINT_FIX: &str = "fix";
pub const STAGED_FIRST: &str =
    "A reorder is staged: apply (a) or discard (u) it first, so the two do not mix.";
pub const JOB_READ_PRECEDENCE: &str = "reading precedence";
pub const IMPACT_NOT_READY: &str = "No impact to list yet: stage a change and wait for its impact.";
pub const IMPACT_OF_STAGED: &str = "Impact of the staged order";
pub const IMPACT_EMPTY: &str = "No user sees a different value.";
pub fn impact_of_register(id: &str) -> String {
    format!("Impact of registering {id}")
}
pub fn impact_of_removal(id: &str) -> String {
    format!("Impact of removing {id}")
}
pub fn impact_cut(shown: usize, total: usize) -> String {
    format!("the first {shown} of {total} changed values; the CLI's --impact-file has them all")
}
pub const GRAPH_NOW: &str = "Graph holds now";
pub const GRAPH_NOW_READING: &str = "Graph now (reading…)";
pub const GRAPH_CHANGED: &str = "Graph's list changed since this order was staged: applying would be refused. y/enter shows both lists.";
pub fn graph_unreadable(e: &str) -> String {
    format!(
        "Could not read Graph's list now ({e}); applying reads it again and refuses if it changed."
    )
}
pub const QUIT_TITLE: &str = "Quit?";
pub const QUIT_STAGED: &str =
    "A precedence order is staged and not applied: quitting drops it (nothing was written).";
pub fn quit_writes(labels: &str) -> String {
    format!(
        "Still running: {labels}. Quitting stops watching it; a step cut off midway is finished by running the same action again."
    )
}
pub const REGISTER_IMPACT_UNKNOWN: &str = "Impact: not measured (reading the users' source values failed); registering changes profiles where this source has a value.";

// Is it live yet (propagation checks in the Syncs pane).
pub const PROPAGATION_TITLE: &str = "Is it live yet";
pub const JOB_CHECKS: &str = "reading propagation checks";
pub const JOB_LEDGER: &str = "reading the sync ledger";
/// The list popup's title.
pub fn propagation_list_title(id: &str) -> String {
    format!("Not live yet: {id}")
}
pub fn job_check(id: &str) -> String {
    format!("checking propagation of {id}")
}
pub fn check_started(id: &str, all: bool) -> String {
    let who = if all {
        "every synced person".to_owned()
    } else {
        format!("a sample of {}", crate::ops::propagation::DEFAULT_SAMPLE)
    };
    format!("Checking whether {who} of '{id}' shows on Microsoft 365…")
}
pub fn check_running_already(id: &str) -> String {
    format!("A propagation check of '{id}' is already running.")
}
pub fn sync_waits_for_check(id: &str) -> String {
    format!("A propagation check of '{id}' is running: sync once it has ended.")
}
pub fn check_waits_for_sync(id: &str) -> String {
    format!("A sync of '{id}' is running: check once it has ended.")
}
pub fn check_finished(id: &str, counts: &str, needs_delegated: bool) -> String {
    if needs_delegated {
        format!("Checked '{id}': {counts} (profile not read: needs a delegated sign-in).")
    } else {
        format!("Checked '{id}': {counts}.")
    }
}
pub fn nothing_to_check(id: &str) -> String {
    format!("Nothing to check in '{id}': no sync has sent anyone yet. s syncs its input.")
}
pub fn check_failed(id: &str, e: &str) -> String {
    format!("The propagation check of '{id}' failed: {e}")
}
pub fn no_check_yet(id: &str) -> String {
    format!("No propagation check of '{id}' yet: p checks a sample, P everyone.")
}
pub fn checks_unreadable(e: &str) -> String {
    format!("the last check could not be read: {e}")
}
/// What to do when the profile API refused the sign-in (the CLI says the same).
pub const CHECK_NEEDS_DELEGATED: &str = "The profile API needs a delegated sign-in: live cannot \
    be told, so people whose data should show are pending (profile not read). Quit, run \
    `peoplectl auth login`, then start the console with `--auth device-code`.";
pub const PROPAGATION_EMPTY: &str = "Everyone checked is live.";
pub const CHECK_HINT: &str =
    "p: check a sample   P: check everyone   w: who is not live (pending, dropped)";
