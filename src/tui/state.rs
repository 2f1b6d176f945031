//! Everything the console shows, as plain data: panes, popups, wizards, jobs.

use std::collections::BTreeMap;
use std::sync::Arc;

use std::time::Duration;

use super::action::PaneId;
use super::clock::Clock;
use super::keymap::Keymap;
use super::people_index::PeopleIndex;
use super::profile::ExplainView;
use super::propagation::{CheckView, Provenance};
use super::theme::{Role, Theme};
use crate::auth::claims::TokenInfo;
use crate::config::SyncInput;
use crate::ops::StepReport;
use crate::ops::doctor::Problem;
use crate::ops::impact::{ChangeRow, ImpactInputs};
use crate::ops::register::RegisterPlan;
use crate::ops::remove::{RemovePlan, Scope};
use crate::ops::snapshot::Snapshot;
use crate::ops::views::{ConnectionRow, SourceRow};
use crate::people::impact::Impact;
use crate::people::precedence::PrecedenceList;
use crate::text;

/// Data that is read from Graph.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum LoadState<T> {
    /// Not asked for yet.
    #[default]
    Idle,
    /// Being read.
    Loading,
    /// Read.
    Loaded(T),
    /// Reading failed; the message says why.
    Failed(String),
}

impl<T> LoadState<T> {
    /// The data, when loaded.
    pub fn loaded(&self) -> Option<&T> {
        match self {
            Self::Loaded(t) => Some(t),
            _ => None,
        }
    }

    /// True while loading.
    pub fn is_loading(&self) -> bool {
        matches!(self, Self::Loading)
    }
}

/// What the header says about the session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionInfo {
    /// Tenant id or domain.
    pub tenant: String,
    /// The Graph host.
    pub graph_host: String,
    /// Running against the in-process demo emulator.
    pub demo: bool,
    /// Every write refused.
    pub read_only: bool,
    /// Configured sync inputs per connection id (from the current context).
    pub sync_inputs: BTreeMap<String, SyncInput>,
    /// The tenant id items are written for (their ACL, the sync state file).
    pub tenant_id: String,
    /// The context name (one sync state file per context and connection).
    pub context: String,
    /// Where sync state lives.
    pub data_dir: Option<std::path::PathBuf>,
}

/// A one-line text field (the cursor is always at the end).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    pub text: String,
}

impl TextInput {
    /// The most characters a search field (a filter, the palette) takes: more says nothing a
    /// list row can match, and every keystroke re-runs the search over the whole query.
    pub const MAX_QUERY: usize = 256;

    /// A field holding `text`.
    pub fn with(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }

    /// Appends `c` unless the field already holds `max` characters; whether it did.
    pub fn push_within(&mut self, c: char, max: usize) -> bool {
        // Bytes first: most fields are short and then no counting is needed.
        if self.text.len() >= max && self.text.chars().count() >= max {
            return false;
        }
        self.text.push(c);
        true
    }
}

/// Selection and scroll of a list (named apart from ratatui's `ListState`, which it is not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    /// First row shown.
    pub offset: usize,
}

impl Cursor {
    /// Moves the selection by `delta` rows within `len` rows, keeping it inside a window of
    /// `height` rows.
    pub fn move_by(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            *self = Self::default();
            return;
        }
        let target = self.selected.saturating_add_signed(delta).min(len - 1);
        self.select(target, len, height);
    }

    /// Selects row `i` (clamped) and scrolls it into view.
    pub fn select(&mut self, i: usize, len: usize, height: usize) {
        self.selected = i.min(len.saturating_sub(1));
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        // After a shrink, do not leave empty space below the last row.
        self.offset = self.offset.min(len.saturating_sub(height));
    }
}

/// A list filter being typed or applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub input: TextInput,
    /// Keys go to the field.
    pub editing: bool,
}

/// The Connections pane.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionsState {
    pub rows: Vec<ConnectionRow>,
    /// Indices into `rows` that pass the filter.
    pub visible: Vec<usize>,
    pub list: Cursor,
    pub filter: Filter,
    /// The connection whose schema detail is open.
    pub detail: Option<String>,
    pub detail_scroll: usize,
}

/// The Profile sources pane.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourcesState {
    pub rows: Vec<SourceRow>,
    pub visible: Vec<usize>,
    pub list: Cursor,
    pub filter: Filter,
}

/// The impact preview of the staged order.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum ImpactState {
    /// Nothing staged.
    #[default]
    None,
    /// Staged, but the users' source values are still being read.
    WaitingForInputs,
    /// Being recomputed off the UI thread.
    Computing,
    /// For the current staged order.
    Ready(Arc<Impact>),
}

/// A precedence order edited locally and not applied yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Staged {
    /// The setting it will be written to.
    pub setting_id: String,
    /// The list the edit started from: apply refuses if Graph no longer holds it.
    pub base: PrecedenceList,
    /// The edited order.
    pub list: PrecedenceList,
}

impl Staged {
    /// True when the edit changes something.
    pub fn changed(&self) -> bool {
        self.base != self.list
    }

    /// The 0-based index entry `i` of the edited list had in the base list, when it moved.
    pub fn moved_from(&self, i: usize) -> Option<usize> {
        let entry = self.list.entries().get(i)?;
        let from = self.base.entries().iter().position(|e| e == entry)?;
        (from != i).then_some(from)
    }
}

/// The Precedence pane.
#[derive(Debug, Clone, Default)]
pub struct PrecedenceState {
    pub list: Cursor,
    /// The edited copy; `None` when nothing is staged.
    pub staged: Option<Staged>,
    /// Bumped on every staged edit, so late impact results are dropped.
    pub generation: u64,
    pub impact: ImpactState,
    /// The staged order's impact as a list (who changes, from what to what), beside `impact`.
    pub impact_rows: Arc<Vec<ChangeRow>>,
    pub inputs: LoadState<Arc<ImpactInputs>>,
    /// Users read so far and in all, while the inputs load.
    pub inputs_progress: (usize, usize),
}

/// The composed profile of one person.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileState {
    pub upn: String,
    pub name: String,
    pub view: LoadState<Arc<ExplainView>>,
    /// The property (or item of a multi-valued one) under the cursor, and the first shown.
    pub cursor: Cursor,
    /// When the view was read (the console's clock).
    pub read_at: Option<Duration>,
    /// What each connection's sync ledger says about this person (read when it opens).
    pub provenance: LoadState<Vec<Provenance>>,
}

/// The People pane.
#[derive(Debug, Clone, Default)]
pub struct PeopleState {
    pub users: LoadState<()>,
    pub index: PeopleIndex,
    pub search: Filter,
    pub list: Cursor,
    /// The person whose profile is open.
    pub profile: Option<ProfileState>,
    /// The delegated-sign-in notice was shown once this session.
    pub auth_notice_shown: bool,
    /// The user to select again once a reload of the list has finished (by object id).
    pub reselect: Option<Box<str>>,
}

/// One sync started from the console.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRun {
    pub connection: String,
    pub input: std::path::PathBuf,
    pub phase: crate::sync::Phase,
    /// The latest counters, rate and ETA.
    pub progress: Option<crate::sync::Progress>,
    /// Row errors and failed items as they are found (the first few hundred).
    pub issues: Vec<crate::sync::Issue>,
    pub throttled: u64,
    /// Cancel was asked for; the run stops once requests in flight land.
    pub cancelling: bool,
    /// The end: the report, or why there is none.
    pub report: Option<Result<crate::sync::SyncReport, String>>,
    /// When it started and ended (the console's clock).
    pub started: Duration,
    pub ended: Option<Duration>,
}

/// Row errors kept per run (the report lists them all).
pub const SYNC_ISSUES_KEPT: usize = 500;

/// Is it live yet, for one connection: its last propagation check and the one running.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropagationState {
    /// The last check stored (or just run).
    pub last: Option<Arc<CheckView>>,
    /// When `last` was read (the console's clock): its age moves on from there.
    pub read_clock: Duration,
    /// A check is running: of everyone (`Some(true)`) or a sample.
    pub running: Option<bool>,
    /// Why the last check (or reading it) failed.
    pub error: Option<String>,
    /// Where the list of people not live was left, to open it there again.
    pub list: Cursor,
}

/// The Syncs pane.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncsState {
    pub list: Cursor,
    /// The latest run per connection.
    pub runs: BTreeMap<String, SyncRun>,
    /// The propagation check per connection.
    pub checks: BTreeMap<String, PropagationState>,
    /// The next read of the tenant reads the last checks too (at start, on `r`, after a sync).
    /// Not on every automatic re-read: reading a ledger locks its store, and a sync started
    /// meanwhile would be refused.
    pub checks_due: bool,
}

/// An information or error box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    pub lines: Vec<String>,
    pub error: bool,
}

/// The command palette: what is typed, and what it found (actions and objects), best first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaletteState {
    pub input: TextInput,
    pub selected: usize,
    pub found: Vec<PaletteItem>,
}

/// One thing the palette offers.
#[derive(Debug, Clone, PartialEq)]
pub struct PaletteItem {
    /// What it is: "action", "connection", "source", "person", "problem", "pane".
    pub kind: &'static str,
    /// What the admin reads (untrusted text for objects: drawn through the sanitiser).
    pub label: String,
    /// A second, dimmer part: an action's keys, an object's id or note.
    pub note: String,
    pub target: PaletteTarget,
}

/// What choosing a palette item does.
#[derive(Debug, Clone, PartialEq)]
pub enum PaletteTarget {
    /// Runs the keymap binding `binding` of `section`, in that section's pane.
    Run {
        section: super::keymap::Section,
        binding: usize,
    },
    /// Goes to an object.
    Jump(Target),
}

/// An object the console can show: where a jump goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Pane(PaneId),
    Connection(String),
    Source(String),
    /// A precedence entry, by its source id (else its URL).
    PrecedenceEntry(String),
    /// A person, by UPN; their profile opens.
    Person(String),
}

/// A list's column choices: how far it is scrolled sideways and what it is sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListView {
    /// Columns hidden after the pinned ones (see `columns::window`).
    pub hscroll: usize,
    /// The column sorted by, and whether descending; `None`: the order Graph gave.
    pub sort: Option<(usize, bool)>,
}

/// Where the admin was, enough to go back there.
#[derive(Debug, Clone)]
pub struct Place {
    pub pane: PaneId,
    /// The id of the object selected in that pane's list.
    pub selected: Option<String>,
    /// The connection whose schema detail was open.
    pub detail: Option<String>,
    /// The profile that was open, as it was.
    pub profile: Option<ProfileState>,
    /// A list popup the admin went from (reopened on the way back).
    pub popup: Option<Box<Popup>>,
}

/// Places kept for going back.
pub const HISTORY_KEPT: usize = 50;

/// A full-text view: a row, cell or message whole, wrapped and scrolled.
#[derive(Debug, Clone, PartialEq)]
pub struct TextView {
    pub title: String,
    /// Lines as they are (untrusted text is sanitised when drawn).
    pub lines: Vec<TextLine>,
    /// First wrapped line shown.
    pub scroll: usize,
    /// What `y` copies here (the subject's id); `Y` copies the whole text.
    pub yank: Option<String>,
}

/// A line of the full-text view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLine {
    pub text: String,
    pub role: Role,
    /// Columns that lines wrapped from this one start at (the value column of "label  value").
    pub hang: usize,
}

impl TextLine {
    /// A line wrapped to `width`, later lines starting at its hanging indent.
    pub fn wrapped(&self, width: usize) -> Vec<String> {
        let line = self;
        let hang = if line.hang * 2 < width { line.hang } else { 0 };
        let first = text::wrap(&line.text, width);
        if hang == 0 || first.len() <= 1 {
            return first;
        }
        // The value part wraps in its column, under where it started.
        let (head, value) = line.text.split_at(
            line.text.len().min(
                line.text
                    .char_indices()
                    .nth(hang)
                    .map_or(line.text.len(), |(i, _)| i),
            ),
        );
        let mut out = Vec::new();
        for (i, l) in text::wrap(value, width - hang).into_iter().enumerate() {
            if i == 0 {
                out.push(format!("{}{l}", text::shown(head)));
            } else {
                out.push(format!("{}{l}", " ".repeat(hang)));
            }
        }
        out
    }

    /// A line with no hanging indent.
    pub fn new(text: impl Into<String>, role: Role) -> Self {
        Self {
            text: text.into(),
            role,
            hang: 0,
        }
    }
}

/// A footer message kept for the message log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// When it was said (the console's clock).
    pub at: Duration,
    pub text: String,
    pub error: bool,
}

/// Footer messages kept for the log.
pub const LOG_KEPT: usize = 200;

/// When the data on screen was read (the console's clock).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadTimes {
    /// Connections, sources and precedence.
    pub snapshot: Option<Duration>,
    /// The people list.
    pub users: Option<Duration>,
}

/// How often the console reads the tenant again by itself, unless configured otherwise.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(30);

/// A precedence write waiting for "yes".
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyConfirm {
    pub plan: crate::ops::reorder::ReorderPlan,
    /// The list as Graph holds it now, read again when the dialog opened (`None` inside:
    /// the tenant has no setting).
    pub now: LoadState<Option<PrecedenceList>>,
}

/// An impact opened as a list: who changes, which property, from what to what.
#[derive(Debug, Clone, PartialEq)]
pub struct ImpactList {
    /// What changes ("Staged order", "Removing contosohr").
    pub title: String,
    pub rows: Arc<Vec<ChangeRow>>,
    /// Changed values in all (more than `rows` when the list was cut).
    pub total: usize,
    /// Users with at least one changed value.
    pub users: usize,
    pub list: Cursor,
}

/// The people a propagation check found not live, each with state and reason; Enter opens
/// that person's profile.
#[derive(Debug, Clone, PartialEq)]
pub struct PropagationList {
    pub connection: String,
    pub view: Arc<CheckView>,
    pub list: Cursor,
}

/// Doctor's findings, each with its fix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProblemsView {
    pub list: Cursor,
}

/// A precedence write refused because the list changed remotely.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictState {
    pub expected: PrecedenceList,
    pub actual: PrecedenceList,
}

/// Where a removal wizard is.
#[derive(Debug, Clone)]
pub enum RemovalStep {
    /// Reading what exists now.
    Planning,
    /// Reading what exists failed.
    PlanFailed(String),
    /// The plan, for review.
    Review(RemovePlan),
    /// Type the id to confirm.
    TypeId { plan: RemovePlan, typed: TextInput },
    /// The steps are running.
    Running { steps: Vec<StepReport> },
    /// Finished, or stopped on a failed step (retry finishes the job).
    Report {
        steps: Vec<StepReport>,
        error: Option<String>,
    },
}

/// The guided removal of a connector (or of a profile source only).
#[derive(Debug, Clone)]
pub struct RemovalWizard {
    pub id: String,
    pub scope: Scope,
    pub step: RemovalStep,
}

/// One field of a form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field {
    pub label: &'static str,
    pub input: TextInput,
    /// What is wrong with the value (checked as it is typed).
    pub error: Option<String>,
    /// What is right or expected.
    pub note: Option<String>,
}

impl Field {
    /// An empty field.
    pub fn new(label: &'static str) -> Self {
        Self {
            label,
            ..Self::default()
        }
    }
}

/// A form of text fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pub fields: Vec<Field>,
    pub focus: usize,
    /// A problem with the whole form (shown under it).
    pub error: Option<String>,
}

impl Form {
    /// The value of field `i`, trimmed.
    pub fn value(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", |f| f.input.text.trim())
    }
}

/// Where the new-connection wizard is.
#[derive(Debug, Clone)]
pub enum SetupStage {
    /// The form.
    Editing,
    /// `ops::setup` is creating the connection and waiting for its schema.
    Running { steps: Vec<StepReport> },
    /// Finished, or stopped with the reason.
    Done {
        steps: Vec<StepReport>,
        error: Option<String>,
    },
}

/// Creating a connection with its schema.
#[derive(Debug, Clone)]
pub struct NewConnectionWizard {
    pub form: Form,
    pub stage: SetupStage,
}

/// Where the register wizard is.
#[derive(Debug, Clone)]
pub enum RegisterStage {
    Editing,
    Planning,
    Review(Box<RegisterPlan>),
    Running,
    Done(Result<Vec<StepReport>, String>),
}

/// Registering a connection as a profile source.
#[derive(Debug, Clone)]
pub struct RegisterWizard {
    pub form: Form,
    pub stage: RegisterStage,
}

/// Editing a profile source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditSourceForm {
    pub source_id: String,
    pub form: Form,
    pub saving: bool,
}

/// A box over the panes; the top of the stack gets the keys.
#[derive(Debug, Clone)]
pub enum Popup {
    Help {
        scroll: usize,
    },
    /// Something shown whole: a row, a property with every source, a message log.
    Text(TextView),
    Palette(PaletteState),
    Message(Message),
    ConfirmApply(ApplyConfirm),
    Conflict(ConflictState),
    MoveTo(TextInput),
    Removal(Box<RemovalWizard>),
    NewConnection(Box<NewConnectionWizard>),
    Register(Box<RegisterWizard>),
    EditSource(EditSourceForm),
    /// The profile API needs a delegated sign-in.
    SignInNeeded,
    /// Sync a connection from a file typed in.
    SyncFile {
        connection: String,
        form: Form,
    },
    /// A sync's report and row errors.
    SyncReport {
        connection: String,
        scroll: usize,
    },
    /// Sign in with this code in a browser; closes once signed in.
    DeviceCode(crate::auth::device_code::DeviceCodePrompt),
    /// Doctor's findings, each with the action that fixes it.
    Problems(ProblemsView),
    /// An impact as a list of changed values; Enter opens that user's profile.
    ImpactList(ImpactList),
    /// The people a propagation check found not live; Enter opens that person's profile.
    Propagation(PropagationList),
    /// Quitting would lose a staged order or leave a write running: asks first.
    ConfirmQuit {
        /// A staged precedence order would be lost.
        staged: bool,
        /// Writes still running (their job labels).
        writes: Vec<String>,
    },
}

/// Background work shown in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: u64,
    pub label: String,
    /// The job changes the tenant (quitting asks first while it runs).
    pub writes: bool,
}

/// A transient line in the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// The whole console.
#[derive(Debug, Clone)]
pub struct AppState {
    pub info: SessionInfo,
    /// Who is signed in, from the token's claims (`None`: the token does not say).
    pub identity: LoadState<Option<TokenInfo>>,
    pub keymap: Arc<Keymap>,
    pub theme: Theme,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub pane: PaneId,
    pub snapshot: LoadState<Arc<Snapshot>>,
    /// A reload is running while the previous snapshot stays on screen.
    pub refreshing: bool,
    pub problems: Vec<Problem>,
    pub connections: ConnectionsState,
    pub sources: SourcesState,
    pub precedence: PrecedenceState,
    pub people: PeopleState,
    pub syncs: SyncsState,
    pub popups: Vec<Popup>,
    pub jobs: Vec<Job>,
    pub next_job: u64,
    pub status: Option<Status>,
    /// The last retry of a Graph call, while jobs run: Graph is slow or failing, not us.
    pub retrying: Option<crate::graph::client::RetryNotice>,
    pub mouse: bool,
    /// Spinner frame.
    pub frame: usize,
    pub quit: bool,
    /// Something changed since the last draw.
    pub dirty: bool,
    /// Where time comes from (a test moves it).
    pub clock: Clock,
    /// When what is on screen was read.
    pub read: ReadTimes,
    /// How often the tenant is read again by itself (`None`: never).
    pub refresh_every: Option<Duration>,
    /// Per pane (in Tab order): sideways scroll and sort.
    pub views: [ListView; 5],
    /// Where the admin was before each jump, newest last.
    pub history: Vec<Place>,
    /// `g` was pressed: the next key says where to go.
    pub goto_pending: bool,
    /// Footer messages said so far, oldest first.
    pub log: Vec<Logged>,
    /// The "read N s ago" text last drawn, so a tick redraws only when it changes.
    pub age_shown: String,
}

impl AppState {
    /// A console that has loaded nothing yet.
    pub fn new(info: SessionInfo, keymap: Arc<Keymap>, theme: Theme, size: (u16, u16)) -> Self {
        Self {
            info,
            identity: LoadState::Idle,
            keymap,
            theme,
            size,
            pane: PaneId::Connections,
            snapshot: LoadState::Idle,
            refreshing: false,
            problems: Vec::new(),
            connections: ConnectionsState::default(),
            sources: SourcesState::default(),
            precedence: PrecedenceState::default(),
            people: PeopleState::default(),
            syncs: SyncsState {
                checks_due: true,
                ..SyncsState::default()
            },
            popups: Vec::new(),
            jobs: Vec::new(),
            next_job: 1,
            status: None,
            retrying: None,
            mouse: false,
            frame: 0,
            quit: false,
            dirty: true,
            clock: Clock::default(),
            read: ReadTimes::default(),
            refresh_every: Some(DEFAULT_REFRESH),
            views: [ListView::default(); 5],
            history: Vec::new(),
            goto_pending: false,
            log: Vec::new(),
            age_shown: String::new(),
        }
    }

    /// The sideways scroll and sort of a pane's list.
    pub fn view(&self, pane: PaneId) -> ListView {
        self.views[pane.index()]
    }

    /// "read 12 s ago" for what the shown pane shows (empty before the first read).
    pub fn age(&self) -> String {
        let at = match self.pane {
            PaneId::People => match &self.people.profile {
                Some(p) => p.read_at,
                None => self.read.users,
            },
            _ => self.read.snapshot,
        };
        at.map_or_else(String::new, |at| {
            format!(
                "read {}",
                super::clock::ago(self.clock.now().saturating_sub(at))
            )
        })
    }

    /// The snapshot, when loaded.
    pub fn snap(&self) -> Option<&Arc<Snapshot>> {
        self.snapshot.loaded()
    }

    /// True while something animates (a spinner needs ticks).
    pub fn busy(&self) -> bool {
        !self.jobs.is_empty()
    }

    /// The precedence list shown: the staged copy, else the tenant's.
    pub fn shown_list(&self) -> PrecedenceList {
        self.precedence
            .staged
            .as_ref()
            .map(|s| s.list.clone())
            .or_else(|| self.snap().map(|s| s.list()))
            .unwrap_or_default()
    }

    /// Rows the shown pane's list gets at the current size.
    pub fn list_height(&self) -> usize {
        super::layout::list_height(self.pane, self.size)
    }

    /// How many rows a pane's list has now.
    pub fn list_len(&self, pane: PaneId) -> usize {
        match pane {
            PaneId::Connections => self.connections.visible.len(),
            PaneId::Sources => self.sources.visible.len(),
            PaneId::Precedence => self.shown_list().len(),
            PaneId::People => self.people.index.match_count(),
            PaneId::Syncs => self.snap().map_or(0, |s| {
                s.connections.iter().filter(|c| c.is_people()).count()
            }),
        }
    }

    /// The selection and scroll of a pane's list.
    pub fn list_mut(&mut self, pane: PaneId) -> &mut Cursor {
        match pane {
            PaneId::Connections => &mut self.connections.list,
            PaneId::Sources => &mut self.sources.list,
            PaneId::Precedence => &mut self.precedence.list,
            PaneId::People => &mut self.people.list,
            PaneId::Syncs => &mut self.syncs.list,
        }
    }

    /// The selected connection row.
    pub fn selected_connection(&self) -> Option<&ConnectionRow> {
        let c = &self.connections;
        c.visible.get(c.list.selected).and_then(|&i| c.rows.get(i))
    }

    /// The selected profile source row.
    pub fn selected_source(&self) -> Option<&SourceRow> {
        let c = &self.sources;
        c.visible.get(c.list.selected).and_then(|&i| c.rows.get(i))
    }

    /// The people connections the Syncs pane lists, in order: the ones that can take items now
    /// (a draft, say, is not offered; see `sync::not_ready`).
    pub fn sync_connections(&self) -> Vec<String> {
        self.snap().map_or_else(Vec::new, |s| {
            s.connections
                .iter()
                .filter(|c| c.is_people())
                .filter(|c| crate::sync::not_ready(&c.connection.id, c.connection.state).is_none())
                .map(|c| c.connection.id.clone())
                .collect()
        })
    }

    /// The connection a sync action is about: the selected row of Syncs or Connections.
    pub fn selected_sync_connection(&self) -> Option<String> {
        match self.pane {
            PaneId::Syncs => self
                .sync_connections()
                .get(self.syncs.list.selected)
                .cloned(),
            PaneId::Connections => self.selected_connection().map(|r| r.id.clone()),
            _ => None,
        }
    }
}
