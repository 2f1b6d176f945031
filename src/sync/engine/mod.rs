//! The sync run, as a list of phases: connect (the connection and its schema), scan (read and
//! validate every row, price what changed), resolve (match people to users), plan (deltas and
//! the delete guard), send (build and send what changed, then the deletes) and finish (the
//! report). Each phase is a file of this module.
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
mod plan;
mod resolve;
mod scan;
mod send;

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::exec::{ExecConfig, ExecError, Executor, Job};
use super::index::{Digest, DigestHasher, KeyIndex, digest, short_hash};
use super::input::Input;
use super::mapping::{KeyKind, Mapping, MappingError};
use super::reader::{InputFormat, ReadError, RowError, RowReader};
use super::report::{
    EventSink, Issue, IssueKind, IssueLog, LookupMode, Phase, Progress, SyncEvent, SyncReport,
    Tally,
};
use super::state::{StateError, StateStore, state_path};
use crate::graph::retry::RetryPolicy;
use crate::graph::{GraphClient, GraphError};
use crate::people::ids::ConnectionId;
use crate::people::item::{ItemLayout, item_id_for_upn};
use connect::connect;
use finish::Finish;
use resolve::resolve;
use scan::{Scan, needs_object_id, scan};
use send::{Plan, produce};

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
        matches!(self, Self::DeleteGuard { .. })
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

type Extras = HashMap<Digest, Box<str>, BuildHasherDefault<DigestHasher>>;

/// What every pass shares.
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
    // The input first: a FIFO, a device or a missing file is reported before any request.
    let input = {
        let (path, spool_dir) = (options.input.clone(), options.state_path());
        blocking(move || Input::open(&path, spool_dir.parent().unwrap_or(Path::new(".")))).await??
    };
    events
        .send(SyncEvent::Phase {
            phase: Phase::Connecting,
        })
        .await;
    let mapping = match &options.mapping {
        Some(path) => Mapping::load(path)?,
        None => Mapping::default_mapping(),
    };
    let (connection, layout, mapping) = connect(client, options, mapping).await?;
    let contract = layout.contract;
    let format = options
        .format
        .or(mapping.format())
        .unwrap_or_else(|| InputFormat::from_path(&options.input));
    let cx = Arc::new(Shared {
        file: input.name().to_owned(),
        input,
        format,
        key_kind: mapping.key_kind(),
        mapping,
        layout,
        tenant_id: options.tenant_id.clone(),
        connection,
        full: options.full,
        tally: Arc::new(Tally::default()),
        issues: Arc::new(IssueLog::new(options.max_listed_issues)),
        events: events.clone(),
        started,
    });

    // The state first: a second sync of the connection is refused before any work.
    let path = options.state_path();
    let state_file = path.display().to_string();
    let (store, index) = {
        let tenant = options.tenant_id.clone();
        let conn = options.connection.clone();
        blocking(move || -> Result<_, SyncError> {
            let store = StateStore::open(&path, &tenant, &conn)?;
            let mut index = KeyIndex::new();
            store.for_each(|id, hash| index.insert_stored(digest(id), hash.map(short_hash)))?;
            Ok((store, index))
        })
        .await??
    };
    let stored_items = index.len() as u64;

    events
        .send(SyncEvent::Phase {
            phase: Phase::Validating,
        })
        .await;
    let mut scan = {
        let cx = cx.clone();
        let cancel = cancel.clone();
        blocking(move || scan(&cx, index, &cancel)).await??
    };
    // Stopped while reading: the input was not seen whole, so nothing may be planned from it
    // (a half-read file would look like people leaving).
    if cancel.is_cancelled() {
        return Ok(Finish {
            cx: &cx,
            client,
            options,
            throttled_before,
            mode: LookupMode::Skipped,
            contract,
            state_file,
            cancelled: true,
        }
        .report()
        .await);
    }

    events
        .send(SyncEvent::Phase {
            phase: Phase::ResolvingUsers,
        })
        .await;
    let keep_extras = needs_object_id(contract) || cx.key_kind == KeyKind::ObjectId;
    let mut extras = Extras::default();
    let resolved = tokio::select! {
        r = resolve(
            client,
            options.lookup,
            cx.key_kind,
            &mut scan,
            keep_extras.then_some(&mut extras),
        ) => Some(r?),
        () = cancel.cancelled() => None,
    };
    let mode = resolved.unwrap_or(LookupMode::Skipped);
    if cancel.is_cancelled() {
        return Ok(Finish {
            cx: &cx,
            client,
            options,
            throttled_before,
            mode,
            contract,
            state_file,
            cancelled: true,
        }
        .report()
        .await);
    }
    let Scan {
        mut index,
        oid_index,
        ..
    } = scan;
    if cx.key_kind == KeyKind::ObjectId {
        // People keyed by object id have item ids now that their UPNs are known.
        for (oid, entry) in oid_index.entries() {
            if let (true, Some(upn)) = (entry.is_matched(), extras.get(oid)) {
                let d = digest(&item_id_for_upn(upn));
                index.insert_row(d, u64::from(entry.line), entry.is_valid());
                index.set_matched(&d, true);
            }
        }
    }

    // The plan.
    events
        .send(SyncEvent::Phase {
            phase: Phase::Planning,
        })
        .await;
    let key_index = match cx.key_kind {
        KeyKind::UserPrincipalName => &index,
        KeyKind::ObjectId => &oid_index,
    };
    let planned = plan::count(
        &index,
        key_index,
        scan.keyless_invalid,
        options.full,
        &cx.tally,
    );
    let plan::Counts {
        unmatched,
        to_put,
        unpriced,
        vanished,
        ..
    } = planned;
    let tally = &cx.tally;
    events
        .send(SyncEvent::UsersResolved {
            mode,
            matched: planned.valid,
            unmatched,
        })
        .await;
    plan::guard_deletes(options, vanished, stored_items)?;
    let (store, index, deletes) = blocking(move || -> Result<_, SyncError> {
        let deletes = if vanished > 0 {
            plan::vanished_ids(&store, &index)?
        } else {
            Vec::new()
        };
        Ok((store, index, deletes))
    })
    .await??;
    if !options.dry_run || unpriced == 0 {
        events.send(SyncEvent::Planned(tally.snapshot())).await;
    }

    // The second pass prices what the first could not, names unmatched rows and, for real,
    // builds what must be sent.
    let second_pass =
        unmatched > 0 || unpriced > 0 || (!options.dry_run && (to_put > 0 || options.full));
    let plan = Arc::new(Plan {
        index,
        oid_index,
        extras,
        second_pass,
    });
    let spawn_producer = |tx: Option<mpsc::Sender<Job>>, deletes: Vec<String>| {
        let (cx, plan, cancel) = (cx.clone(), plan.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || produce(&cx, &plan, deletes, tx.as_ref(), &cancel))
    };

    if options.dry_run {
        drop(store);
        if second_pass {
            spawn_producer(None, Vec::new())
                .await
                .map_err(|e| SyncError::Internal(e.to_string()))??;
            if unpriced > 0 {
                events.send(SyncEvent::Planned(tally.snapshot())).await;
            }
        }
    } else if second_pass || !deletes.is_empty() {
        events
            .send(SyncEvent::Phase {
                phase: Phase::Sending,
            })
            .await;
        // Start from the rate the last sync of this connection learned: no burst of 429s
        // to find the limit again.
        let mut exec_config = options.exec.clone();
        if exec_config.control.initial_rate.is_none() {
            exec_config.control.initial_rate = store
                .setting(INGEST_RATE)?
                .and_then(|v| v.parse::<f64>().ok());
        }
        let writer = store.into_writer();
        let (tx, rx) = mpsc::channel::<Job>(256);
        let producer = spawn_producer(Some(tx), deletes);
        let write_client = client.with_retry(RetryPolicy {
            // The executor retries itself, so that the controller sees every 429.
            max_retries: 0,
            ..RetryPolicy::default()
        });
        let outcome = {
            let executor = Executor {
                client: &write_client,
                connection: &options.connection,
                file: &cx.file,
                state: writer.sink(),
                events: &events,
                tally: &cx.tally,
                issues: &cx.issues,
                config: exec_config,
            };
            executor.run(rx, &cancel, started).await
        };
        // The executor has dropped the receiver: a producer still sending stops now.
        let produced = producer
            .await
            .map_err(|e| SyncError::Internal(e.to_string()))?;
        let store = writer.finish().await?;
        let outcome = outcome?;
        produced?;
        if let Some(rate) = outcome.learned_rate {
            store.set_setting(INGEST_RATE, &format!("{rate:.3}"))?;
        }
    } else {
        drop(store);
    }

    Ok(Finish {
        cx: &cx,
        client,
        options,
        throttled_before,
        mode,
        contract,
        state_file,
        cancelled: cancel.is_cancelled(),
    }
    .report()
    .await)
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
