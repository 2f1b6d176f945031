//! The console's whole vocabulary: what keys ask for and what finished work reports back.

use std::sync::Arc;

use serde::Deserialize;

use super::keymap::{KeyChord, Section};
use super::people_index::UserRow;
use super::profile::ExplainView;
use super::propagation::{CheckView, Provenance, StoredCheck};
use crate::auth::claims::TokenInfo;
use crate::graph::sources::ProfileSource;
use crate::ops::impact::{ChangeRow, ImpactInputs};
use crate::ops::register::RegisterPlan;
use crate::ops::remove::{RemovePlan, RemoveReport};
use crate::ops::snapshot::{PrecedenceSetting, Snapshot};
use crate::ops::{Event, StepReport};
use crate::people::impact::Impact;
use crate::people::precedence::PrecedenceList;

/// The five panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaneId {
    /// External connections.
    Connections,
    /// Profile sources.
    Sources,
    /// The source precedence list.
    Precedence,
    /// People search and composed profiles.
    People,
    /// HR syncs.
    Syncs,
}

impl PaneId {
    /// Every pane in Tab order.
    pub const ALL: [PaneId; 5] = [
        PaneId::Connections,
        PaneId::Sources,
        PaneId::Precedence,
        PaneId::People,
        PaneId::Syncs,
    ];

    /// Position in Tab order.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The keymap section with this pane's own keys.
    pub fn section(self) -> Section {
        match self {
            PaneId::Connections => Section::Connections,
            PaneId::Sources => Section::Sources,
            PaneId::Precedence => Section::Precedence,
            PaneId::People => Section::People,
            PaneId::Syncs => Section::Syncs,
        }
    }
}

/// Everything that can happen: bindable actions (named in the keymap in snake_case) and, marked
/// `serde(skip)`, the results effects report back.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Do nothing (unbinds a key in a keymap override).
    Noop,
    /// Leave the console.
    Quit,
    /// Show the next pane.
    NextPane,
    /// Show the previous pane.
    PrevPane,
    /// Show this pane.
    GoTo(PaneId),
    /// Selection or scroll one row up.
    Up,
    /// Selection or scroll one row down.
    Down,
    /// One screen up.
    PageUp,
    /// One screen down.
    PageDown,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    /// Open the selected row (detail, profile, next wizard step).
    Select,
    /// Close, cancel, leave a detail view or clear a filter.
    Back,
    /// Start typing a filter (or the people search).
    Filter,
    /// Show the keys.
    Help,
    /// Open the command palette.
    Palette,
    /// Read everything from Graph again.
    Refresh,
    /// Turn mouse support on or off.
    ToggleMouse,
    /// Create a connection (wizard).
    NewConnection,
    /// Register a connection as a profile source.
    Register,
    /// Sync the selected connection now.
    SyncNow,
    /// Remove the selected connector or profile source (wizard).
    Remove,
    /// Edit the selected profile source's display name and web URL.
    Edit,
    /// Stage: move the selected precedence entry one rank up.
    MoveUp,
    /// Stage: move the selected precedence entry one rank down.
    MoveDown,
    /// Stage: move the selected precedence entry to a rank (asks which).
    MoveTo,
    /// Apply the staged precedence order (asks to confirm).
    Apply,
    /// Drop the staged precedence order.
    Discard,
    /// Start a sync of the selected connection.
    StartSync,
    /// Start a sync from a chosen file.
    ChooseFile,
    /// Cancel the selected running sync.
    CancelSync,
    /// Answer yes to a question.
    Confirm,
    /// Answer no to a question.
    Deny,
    /// Run a failed step again.
    Retry,
    /// Accept what was typed.
    Submit,
    /// Type a character into the focused field.
    Input(char),
    /// Delete the character before the cursor.
    Backspace,
    /// Empty the focused field.
    ClearInput,
    /// Focus the next field of a form.
    NextField,
    /// Focus the previous field of a form.
    PrevField,
    /// Show doctor's problems, each with the action that fixes it.
    Problems,
    /// Open an impact as a list: who changes, which property, from what to what.
    ImpactList,
    /// Show the selected row (or the open popup) whole, wrapped, in a scrolling view.
    ViewFull,
    /// Copy the selected object's id to the clipboard (OSC 52: works over SSH).
    Yank,
    /// Copy the selected object's URL or full value to the clipboard.
    YankFull,
    /// `g`: the next key says where to go (`g` first row, `c` connection, `s` source, ...).
    GotoPrefix,
    /// Go to the selected row's connection.
    GotoConnection,
    /// Go to the selected row's profile source.
    GotoSource,
    /// Go to the selected row's precedence entry.
    GotoPrecedence,
    /// Go back to where you were before the last jump.
    JumpBack,
    /// Sort the list by the next column.
    SortNext,
    /// Sort the list by the previous column.
    SortPrev,
    /// Reverse the list's sort order.
    SortReverse,
    /// Show the columns further right (the first stays).
    ScrollRight,
    /// Show the columns further left.
    ScrollLeft,
    /// Show every footer message of this session.
    Messages,
    /// Show the session: tenant, Graph endpoint, who is signed in, read-only, files.
    Session,
    /// Suspend the console (Ctrl-Z); `fg` brings it back.
    Suspend,
    /// Check whether a sample of the selected connection's synced people show on Microsoft 365.
    CheckPropagation,
    /// Check whether every synced person of the selected connection shows on Microsoft 365.
    CheckPropagationAll,
    /// List the people the last propagation check found not live, with state and reason.
    PropagationList,

    /// A key was pressed (resolved through the keymap by `update`).
    #[serde(skip)]
    Key(KeyChord),
    /// The mouse scrolled (+1 down, -1 up) or clicked a column of the tab row.
    #[serde(skip)]
    Mouse(MouseInput),
    /// The terminal has a new size.
    #[serde(skip)]
    Resize(u16, u16),
    /// Time passed: spinners turn, "read N s ago" ages, auto-refresh comes due.
    #[serde(skip)]
    Tick,
    /// The terminal window got the focus back (the screen may be stale).
    #[serde(skip)]
    FocusGained,
    /// The console was continued after a stop (`fg`): the screen must be drawn again whole.
    #[serde(skip)]
    Resumed,
    /// A background job ended (its own result comes in a separate action).
    #[serde(skip)]
    JobFinished(u64),
    /// A Graph call failed and will be tried again (shown until a job ends).
    #[serde(skip)]
    GraphRetrying(crate::graph::client::RetryNotice),
    /// The credential needs the admin to sign in with this device code.
    #[serde(skip)]
    SignInPrompt(crate::auth::device_code::DeviceCodePrompt),
    /// Who we are signed in as (`None`: the token is opaque and does not say).
    #[serde(skip)]
    IdentityLoaded(Result<Option<TokenInfo>, String>),
    /// A fresh read of connections, sources and precedence.
    #[serde(skip)]
    SnapshotLoaded(Result<Arc<Snapshot>, String>),
    /// One page of users; `done` on the last.
    #[serde(skip)]
    UsersPage {
        /// The users of this page.
        rows: Vec<UserRow>,
        /// No more pages follow.
        done: bool,
    },
    /// Listing users failed.
    #[serde(skip)]
    UsersFailed(String),
    /// How far reading every user's source values has come.
    #[serde(skip)]
    ImpactInputsProgress {
        /// Users read.
        done: usize,
        /// Users to read.
        total: usize,
    },
    /// Every user's source values, ready for impact previews.
    #[serde(skip)]
    ImpactInputsLoaded(Result<Arc<ImpactInputs>, String>),
    /// An impact preview for the staged order of this generation.
    #[serde(skip)]
    ImpactComputed {
        /// The staged edit it belongs to (older ones are dropped).
        generation: u64,
        /// The result.
        impact: Arc<Impact>,
        /// Its changed values with their before and after values.
        rows: Arc<Vec<ChangeRow>>,
    },
    /// The precedence list as Graph holds it now, read for the apply dialog (`None`: no
    /// setting).
    #[serde(skip)]
    PrecedenceRead(Result<Option<PrecedenceList>, String>),
    /// The precedence write finished.
    #[serde(skip)]
    ReorderApplied(Result<Box<PrecedenceSetting>, Box<ApplyFailure>>),
    /// A removal plan was read.
    #[serde(skip)]
    RemovePlanned(Result<Box<RemovePlan>, String>),
    /// A removal step changed status.
    #[serde(skip)]
    RemoveProgress(Event),
    /// A removal run ended.
    #[serde(skip)]
    RemoveFinished {
        /// What each step did.
        report: Box<RemoveReport>,
        /// Why it stopped, when it did.
        error: Option<String>,
    },
    /// A registration plan was read.
    #[serde(skip)]
    RegisterPlanned(Result<Box<RegisterPlan>, String>),
    /// A registration ended.
    #[serde(skip)]
    RegisterFinished(Result<Vec<StepReport>, String>),
    /// A setup step changed status.
    #[serde(skip)]
    SetupProgress(Event),
    /// A connection setup ended.
    #[serde(skip)]
    SetupFinished(Result<Vec<StepReport>, String>),
    /// A sync reported progress.
    #[serde(skip)]
    SyncEvent {
        connection: String,
        event: Box<crate::sync::SyncEvent>,
    },
    /// A sync ended.
    #[serde(skip)]
    SyncFinished {
        connection: String,
        result: Result<Box<crate::sync::SyncReport>, String>,
    },
    /// A profile source update ended.
    #[serde(skip)]
    SourceUpdated(Result<ProfileSource, String>),
    /// The last propagation checks were read from the state store.
    #[serde(skip)]
    ChecksLoaded(Vec<StoredCheck>),
    /// A propagation check ended.
    #[serde(skip)]
    PropagationChecked {
        connection: String,
        result: Result<Arc<CheckView>, String>,
    },
    /// What the sync ledgers say about a person whose profile is open.
    #[serde(skip)]
    ProvenanceLoaded {
        /// Whose.
        upn: String,
        /// One entry per connection whose ledger names the person.
        result: Vec<Provenance>,
    },
    /// A composed profile was built.
    #[serde(skip)]
    ExplainLoaded {
        /// Whose.
        upn: String,
        /// The view, or why there is none.
        result: Result<Arc<ExplainView>, String>,
    },
}

/// A mouse event the console reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseInput {
    /// Wheel: positive scrolls down.
    Scroll(i8),
    /// A left click at (column, row).
    Click(u16, u16),
}

/// Why a precedence write did not happen.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyFailure {
    /// Someone changed the list since it was read; nothing was written.
    Conflict {
        /// The list the staged order was made from.
        expected: PrecedenceList,
        /// The list Graph holds now.
        actual: PrecedenceList,
    },
    /// Anything else.
    Other(String),
}
