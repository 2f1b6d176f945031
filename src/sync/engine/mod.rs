//! The sync run, as a list of phases, each a file of this module:
//!
//! 1. connect: the connection must be ready and follow a people contract; the mapping must fit
//!    its schema;
//! 2. scan: every row is read and validated, and (labels contract, UPN keys) its item priced;
//! 3. resolve: people are matched to users, but only those who need it (new, changed, or
//!    whose recorded match is unknown or stale); the rest are taken from the state store;
//! 4. plan: deltas, and the delete guard;
//! 5. send: a second pass builds what changed and feeds the executor, then the deletes; while
//!    sending, the lookups it needs run beside it, so matching does not sit in front of the
//!    ingest ceiling;
//! 6. finish: the report.
//!
//! Who is deleted: people the state store holds whom no row of the input names. A row that
//! fails validation, or names someone not in the tenant, still names its person, so a bad
//! night in the export never deletes anyone (rows keyed by object id name a person only
//! once matched, since the item id comes from the UPN). A row that cannot be read at all
//! (ragged, not UTF-8, too long) names nobody we can tell, so while any such row exists no one
//! is deleted; the report says how many deletes were held. The guard is checked before any
//! request is sent: above it, nothing at all is written.

mod connect;
mod finish;
mod item;
mod plan;
mod resolve;
mod scan;
mod send;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::exec::{ExecConfig, ExecError};
use super::index::{KeyIndex, digest, short_hash};
use super::input::Input;
use super::mapping::{KeyKind, Mapping, MappingError};
use super::reader::{InputFormat, ReadError, RowError, RowReader};
use super::report::{
    EventSink, Issue, IssueKind, IssueLog, LookupMode, Phase, Progress, SyncEvent, SyncReport,
    Tally,
};
use super::state::{MATCH_TTL_SECONDS, StateError, StateStore, now_unix, state_path};
use crate::graph::{GraphClient, GraphError};
use crate::people::ids::ConnectionId;
use crate::people::item::ItemLayout;

pub use connect::not_ready;

/// How users are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LookupChoice {
    /// Batched lookups or the listing, whichever takes fewer calls (see `sync::users`).
    #[default]
    Auto,
    /// Always `$batch`ed lookups.
    Batched,
    /// Always the paged listing.
    Listing,
}

/// Everything a sync needs besides the Graph client.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The connection to fill.
    pub connection: String,
    /// The tenant (the items' ACL grants everyone in it; the state file is checked against it).
    pub tenant_id: String,
    /// The context name (one state file per context and connection).
    pub context: String,
    /// Where state files live (the CLI passes the XDG data directory).
    pub data_dir: PathBuf,
    /// The HR export.
    pub input: PathBuf,
    /// Input format; by default the mapping's `[input] format`, else the file extension.
    pub format: Option<InputFormat>,
    /// The mapping file; the default mapping when `None`.
    pub mapping: Option<PathBuf>,
    /// Validate and plan only: nothing is written to Graph or to the state.
    pub dry_run: bool,
    /// Send every valid person, changed or not.
    pub full: bool,
    /// Most deletes allowed; default 5% of the items in the state, at least 10.
    pub max_deletes: Option<u64>,
    /// How users are matched.
    pub lookup: LookupChoice,
    /// Sending: concurrency control and retries.
    pub exec: ExecConfig,
    /// Issues listed in the report (all of them go out as events).
    pub max_listed_issues: usize,
}

impl SyncOptions {
    /// Options with the defaults for everything but the essentials.
    pub fn new(
        connection: impl Into<String>,
        tenant_id: impl Into<String>,
        context: impl Into<String>,
        data_dir: impl Into<PathBuf>,
        input: impl Into<PathBuf>,
    ) -> Self {
        Self {
            connection: connection.into(),
            tenant_id: tenant_id.into(),
            context: context.into(),
            data_dir: data_dir.into(),
            input: input.into(),
            format: None,
            mapping: None,
            dry_run: false,
            full: false,
            max_deletes: None,
            lookup: LookupChoice::Auto,
            exec: ExecConfig::default(),
            max_listed_issues: 1000,
        }
    }

    /// Where this sync keeps its state.
    pub fn state_path(&self) -> PathBuf {
        state_path(&self.data_dir, &self.context, &self.connection)
    }
}

/// The state setting holding the ingest rate the executor learned.
const INGEST_RATE: &str = "ingestRate";

/// The default delete guard: 5% of the connection's items, at least 10.
pub fn default_max_deletes(items: u64) -> u64 {
    (items / 20).max(10)
}

/// Why a sync stopped without a report.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    State(#[from] StateError),
    /// The connection cannot take these items.
    #[error("connection '{connection}': {reason}")]
    Connection { connection: String, reason: String },
    /// The connection is not ready for items (a draft, obsolete, over its quota); nothing was
    /// read or written.
    #[error("refusing to sync into connection '{connection}': {reason}")]
    NotReady { connection: String, reason: String },
    /// A Graph failure that stops the whole sync (sign-in, permissions, connection gone,
    /// user lookups).
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// More people left the input than the guard allows; nothing was written.
    #[error(
        "refusing to delete {planned} items from connection '{connection}': the limit is {max} \
         (by default 5% of its {items} recorded items, at least 10); nothing was written. Check \
         the input is complete, or pass --max-deletes {planned} to allow it"
    )]
    DeleteGuard {
        connection: String,
        planned: u64,
        max: u64,
        items: u64,
    },
    /// A worker thread failed (a bug).
    #[error("sync stopped: {0}")]
    Internal(String),
}

impl SyncError {
    /// A refusal by a guard (the CLI's exit code 4).
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::DeleteGuard { .. } | Self::NotReady { .. })
    }
}

impl From<ExecError> for SyncError {
    fn from(e: ExecError) -> Self {
        match e {
            ExecError::Fatal(g) => Self::Graph(g),
            ExecError::State(s) => Self::State(s),
        }
    }
}

/// What every phase shares.
struct Shared {
    input: Input,
    file: String,
    format: InputFormat,
    mapping: Mapping,
    layout: ItemLayout,
    tenant_id: String,
    connection: ConnectionId,
    key_kind: KeyKind,
    full: bool,
    tally: Arc<Tally>,
    issues: Arc<IssueLog>,
    events: EventSink,
    started: Instant,
}

impl Shared {
    fn issue(&self, kind: IssueKind, e: RowError) {
        let issue = Issue {
            file: self.file.clone(),
            line: Some(e.line),
            column: e.column,
            reason: e.reason,
            kind,
            item_id: None,
        };
        self.issues.add(issue.clone());
        self.events.blocking_send(SyncEvent::Issue(issue));
    }

    fn progress(&self, phase: Phase) {
        self.events.blocking_send(SyncEvent::Progress(Progress {
            phase,
            counts: self.tally.snapshot(),
            rate: 0.0,
            eta_seconds: None,
            concurrency: 0,
            rate_cap: None,
            elapsed_seconds: self.started.elapsed().as_secs_f64(),
        }));
    }

    fn reader(&self) -> Result<(RowReader, Mapping), SyncError> {
        let reader = RowReader::from_reader(self.file.clone(), self.input.read()?, self.format)?;
        let mapping = self.mapping.bind(reader.header())?;
        Ok((reader, mapping))
    }

    /// Whether the scan prices items: under the labels contract with UPN keys an item needs
    /// nothing from Graph, so its change is known before any lookup.
    fn prices_early(&self) -> bool {
        self.key_kind == KeyKind::UserPrincipalName && !scan::needs_object_id(self.layout.contract)
    }
}

/// Runs a sync. Events go to `events` as it goes; the report comes back at the end. A
/// cancelled sync returns its report with `cancelled: true` once every request already sent
/// has landed and been recorded.
pub async fn run(
    client: &GraphClient,
    options: &SyncOptions,
    events: EventSink,
    cancel: CancellationToken,
) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    // The caller's client may have been throttled before (the TUI keeps one): count ours.
    let throttled_before = client.stats().throttled();
    // The input is checked first (a FIFO, a device or a missing file fail before any
    // request), and read only once the connection is known to take items.
    let input = {
        let (path, spool_dir) = (options.input.clone(), options.state_path());
        blocking(move || Input::open(&path, spool_dir.parent().unwrap_or(Path::new(".")))).await??
    };
    events.phase(Phase::Connecting).await;
    let cx = Arc::new(connect::connect(client, options, input, &events, started).await?);
    // A second sync of the connection is refused here, before any work.
    let (store, index) = load_state(options).await?;
    let finish = finish::Finish::new(&cx, client, options, throttled_before);

    events.phase(Phase::Validating).await;
    let scanned = {
        let (cx, cancel) = (cx.clone(), cancel.clone());
        blocking(move || scan::scan(&cx, index, &cancel)).await??
    };
    // Stopped while reading: the input was not seen whole, so nothing may be planned from it
    // (a half-read file would look like people leaving).
    if cancel.is_cancelled() {
        return Ok(finish.report(LookupMode::Skipped, true, None).await);
    }
    let Some((plan, mode)) = plan::plan(client, options, &cx, scanned, &cancel).await? else {
        return Ok(finish.report(LookupMode::Skipped, true, None).await);
    };
    let sent = send::send(client, options, &cx, store, plan, mode, &cancel).await?;
    Ok(finish
        .report(sent.mode, cancel.is_cancelled(), sent.sending)
        .await)
}

/// Opens the connection's state store (refused while another sync holds it) and indexes the
/// items it holds, with whether each person matched a user recently.
async fn load_state(options: &SyncOptions) -> Result<(StateStore, KeyIndex), SyncError> {
    let path = options.state_path();
    let tenant = options.tenant_id.clone();
    let connection = options.connection.clone();
    blocking(move || -> Result<_, SyncError> {
        let store = StateStore::open(&path, &tenant, &connection)?;
        let items = usize::try_from(store.count()?).unwrap_or(0);
        let mut index = KeyIndex::with_capacity(items);
        let fresh_since = now_unix().saturating_sub(MATCH_TTL_SECONDS);
        store.for_each_item(|id, hash, matched_at| {
            let known = hash.is_some() && matched_at.is_some_and(|t| t >= fresh_since);
            index.insert_stored(digest(id), hash.map(short_hash), known);
        })?;
        index.seal_stored();
        Ok((store, index))
    })
    .await?
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_future_can_be_spawned() {
        // The TUI and the CLI spawn the sync on the runtime: its future must be `Send`.
        fn spawnable<T: Send + 'static>(_: impl FnOnce() -> T) {}
        spawnable(|| {
            let client: &'static GraphClient = Box::leak(Box::new(
                GraphClient::new(
                    reqwest::Client::new(),
                    "https://graph.example",
                    std::sync::Arc::new(NoCredential),
                )
                .expect("client"),
            ));
            let options: &'static SyncOptions = Box::leak(Box::new(SyncOptions::new(
                "c",
                "t",
                "ctx",
                "/tmp",
                "/tmp/x.csv",
            )));
            run(client, options, EventSink::none(), CancellationToken::new())
        });
    }

    #[derive(Debug)]
    struct NoCredential;

    #[async_trait::async_trait]
    impl azure_core::credentials::TokenCredential for NoCredential {
        async fn get_token(
            &self,
            _scopes: &[&str],
            _options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
        ) -> azure_core::Result<azure_core::credentials::AccessToken> {
            Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "no credential in this test",
            ))
        }
    }

    #[test]
    fn the_delete_guard_is_five_percent_and_at_least_ten() {
        assert_eq!(default_max_deletes(0), 10);
        assert_eq!(default_max_deletes(199), 10);
        assert_eq!(default_max_deletes(300), 15);
        assert_eq!(default_max_deletes(100_000), 5_000);
    }
}
