//! The sync state store and ledger: one SQLite file per context and connection recording, per
//! item, the content hash Graph last accepted, when, where it came from (file, line, run), the
//! last error, when its person last matched a user, and the last propagation check; plus one
//! summary row per run. Written as each request lands.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

/// Version of the table layout, kept in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 3;

/// Run summaries kept beyond those an item still names: one row a run, so a nightly sync keeps
/// well over a year of history in a few dozen kilobytes.
const RUNS_KEPT: i64 = 500;

/// How long a recorded match stands: a person whose item landed (or was looked up) within this
/// time is taken to be a user of the tenant without asking Graph again, unless the item is
/// about to be written. A user deleted from the tenant while the export still names them is
/// noticed (and reported as unmatched) within this time; nothing is written for them meanwhile.
pub const MATCH_TTL_SECONDS: i64 = 7 * 24 * 3600;

/// Why the state store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("sync state {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("sync state: {0}")]
    File(#[from] crate::files::FileError),
    #[error("sync state {path} is in use: another sync of this connection is running")]
    Busy { path: String },
    #[error(
        "sync state {path} belongs to {what} '{found}', not '{expected}'; move it away or pick the right context"
    )]
    Mismatch {
        path: String,
        what: &'static str,
        found: String,
        expected: String,
    },
    #[error(
        "sync state {path} was written by a newer peoplectl (layout {found}, this one knows {SCHEMA_VERSION})"
    )]
    TooNew { path: String, found: i64 },
    #[error("sync state: recording failed: {0}")]
    Write(String),
    #[error("sync state writer stopped")]
    WriterGone,
}

/// What the store knows about one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemState {
    pub item_id: String,
    /// Content hash of the item as Graph last accepted it; `None` if it never landed.
    pub hash: Option<String>,
    /// Unix seconds of the last success.
    pub last_synced: Option<i64>,
    pub last_error: Option<String>,
    /// Unix seconds when the person last matched a user of the tenant.
    pub matched_at: Option<i64>,
}

/// Where an item's last accepted content came from: the ledger's view of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub item_id: String,
    /// Content hash Graph last accepted; `None` if it never landed.
    pub hash: Option<String>,
    /// Unix seconds when Graph last accepted it (when it "landed").
    pub landed_at: Option<i64>,
    pub last_error: Option<String>,
    /// The input file of the run that sent it (`None` for items recorded before the ledger).
    pub file: Option<String>,
    /// The input line it came from.
    pub line: Option<u64>,
    /// The run that sent it.
    pub run_id: Option<i64>,
}

/// What a run did, kept as one row once its items are recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub rows: u64,
    pub put: u64,
    pub deleted: u64,
    pub failed: u64,
    pub unchanged: u64,
    pub unmatched: u64,
    pub invalid: u64,
}

/// One run's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub run_id: i64,
    /// Unix seconds.
    pub started: i64,
    /// Unix seconds; `None` while running, or for a run that was killed.
    pub finished: Option<i64>,
    pub file: String,
    pub counts: RunCounts,
}

/// One person's result in the last propagation check (see `ops::propagation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    pub item_id: String,
    pub upn: String,
    /// The content hash that was checked.
    pub hash: Option<String>,
    /// `live`, `pending`, `dropped`, `stale`, `notSynced`.
    pub state: String,
    pub reason: Option<String>,
    /// Unix seconds when that content was first seen live on the profile.
    pub seen_at: Option<i64>,
    /// Unix seconds of the check.
    pub checked_at: i64,
}

/// One change to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Graph accepted a PUT of this content; `matched`: the person was matched to a user in
    /// this run (so the match is recorded as fresh).
    Put {
        item_id: String,
        hash: String,
        matched: bool,
        /// The input line it was built from (the file is the run's).
        line: Option<u64>,
    },
    /// The person of an unchanged item was matched to a user again (nothing was written).
    Matched { item_id: String },
    /// Graph accepted a DELETE (or the item was already gone).
    Deleted { item_id: String },
    /// A request for this item failed for good in this run; the last good hash is kept, so the
    /// item is sent again next time.
    Failed { item_id: String, error: String },
}

/// File name of a connection's state: `<data_dir>/sync/<context>/<connection>.sqlite`.
pub fn state_path(data_dir: &Path, context: &str, connection: &str) -> PathBuf {
    data_dir
        .join("sync")
        .join(file_safe(context))
        .join(format!("{}.sqlite", file_safe(connection)))
}

/// A name safe as one path component (context names are free text).
fn file_safe(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match cleaned.trim_matches('.') {
        "" => "_".to_owned(),
        s => s.to_owned(),
    }
}

/// Unix seconds now.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// An open state store. Holding it holds an exclusive lock on the file, so two syncs of one
/// connection cannot interleave their records.
#[derive(Debug)]
pub struct StateStore {
    conn: Connection,
    path: String,
    /// The run whose puts are being recorded (see [`StateStore::begin_run`]).
    run: Option<i64>,
}

impl StateStore {
    /// Opens (creating if needed) the store for a tenant's connection at `path`.
    pub fn open(path: &Path, tenant_id: &str, connection: &str) -> Result<Self, StateError> {
        let shown = path.display().to_string();
        // Every synced UPN is in here. SQLite creates a database file with the umask's mode, and
        // its -wal and -shm files with the database file's mode: so the file is created (or
        // checked) private first, and leftovers of a killed run are checked too.
        drop(crate::files::create_private(path, true)?);
        for suffix in ["-wal", "-shm", "-journal"] {
            crate::files::ensure_private(&crate::files::sibling(path, suffix))?;
        }
        let sql = |source| StateError::Sqlite {
            path: shown.clone(),
            source,
        };
        let conn = Connection::open(path).map_err(sql)?;
        // A second sync of the same connection should be told at once, not after a wait.
        conn.busy_timeout(std::time::Duration::from_millis(250))
            .map_err(sql)?;
        // WAL with synchronous=NORMAL makes every commit survive the process being killed (the
        // WAL is in the OS's hands once written); only a power cut can lose the last commits,
        // and then the items are merely sent again: PUT and DELETE are idempotent.
        // EXCLUSIVE locking keeps the lock for the life of the connection.
        let busy = |e: rusqlite::Error| {
            if matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ) {
                StateError::Busy {
                    path: shown.clone(),
                }
            } else {
                sql(e)
            }
        };
        conn.execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;",
        )
        .map_err(busy)?;
        // Take the lock now rather than at the first write.
        conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")
            .map_err(busy)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        if version > SCHEMA_VERSION {
            return Err(StateError::TooNew {
                path: shown,
                found: version,
            });
        }
        if version == 1 {
            // Layout 1 had no match times. An item that landed was sent to a user matched in
            // that run, so its last success is when its person last matched.
            conn.execute_batch(
                "BEGIN;
                 ALTER TABLE items ADD COLUMN matched_at INTEGER;
                 UPDATE items SET matched_at = last_synced WHERE hash IS NOT NULL;
                 PRAGMA user_version = 2;
                 COMMIT;",
            )
            .map_err(sql)?;
        }
        if (1..=2).contains(&version) {
            // Layout 2 had no ledger: items it recorded keep no source (shown as unknown).
            conn.execute_batch(
                "BEGIN;
                 ALTER TABLE items ADD COLUMN line INTEGER;
                 ALTER TABLE items ADD COLUMN run_id INTEGER;
                 PRAGMA user_version = 3;
                 COMMIT;",
            )
            .map_err(sql)?;
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS items (
                 item_id     TEXT PRIMARY KEY NOT NULL,
                 hash        TEXT,
                 last_synced INTEGER,
                 last_error  TEXT,
                 matched_at  INTEGER,
                 line        INTEGER,
                 run_id      INTEGER
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS meta (
                 key   TEXT PRIMARY KEY NOT NULL,
                 value TEXT NOT NULL
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS runs (
                 run_id    INTEGER PRIMARY KEY,
                 started   INTEGER NOT NULL,
                 finished  INTEGER,
                 file      TEXT NOT NULL,
                 rows      INTEGER NOT NULL DEFAULT 0,
                 put       INTEGER NOT NULL DEFAULT 0,
                 deleted   INTEGER NOT NULL DEFAULT 0,
                 failed    INTEGER NOT NULL DEFAULT 0,
                 unchanged INTEGER NOT NULL DEFAULT 0,
                 unmatched INTEGER NOT NULL DEFAULT 0,
                 invalid   INTEGER NOT NULL DEFAULT 0
             );
             CREATE TABLE IF NOT EXISTS checks (
                 item_id    TEXT PRIMARY KEY NOT NULL,
                 upn        TEXT NOT NULL,
                 hash       TEXT,
                 state      TEXT NOT NULL,
                 reason     TEXT,
                 seen_at    INTEGER,
                 checked_at INTEGER NOT NULL
             ) WITHOUT ROWID;
             PRAGMA user_version = 3;",
        )
        .map_err(sql)?;
        let store = Self {
            conn,
            path: shown,
            run: None,
        };
        store.check_meta("tenant", tenant_id)?;
        store.check_meta("connection", connection)?;
        Ok(store)
    }

    /// The file this store lives in.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn sql(&self, source: rusqlite::Error) -> StateError {
        StateError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn check_meta(&self, key: &'static str, expected: &str) -> Result<(), StateError> {
        let found: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql(e))?;
        match found {
            Some(found) if !found.eq_ignore_ascii_case(expected) => Err(StateError::Mismatch {
                path: self.path.clone(),
                what: key,
                found,
                expected: expected.to_owned(),
            }),
            Some(_) => Ok(()),
            None => {
                self.conn
                    .execute(
                        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                        params![key, expected],
                    )
                    .map_err(|e| self.sql(e))?;
                Ok(())
            }
        }
    }

    /// A remembered setting (`ingestRate`, ...).
    pub fn setting(&self, key: &str) -> Result<Option<String>, StateError> {
        self.conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [format!("setting.{key}")],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// Remembers a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StateError> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![format!("setting.{key}"), value],
            )
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    /// Items recorded.
    pub fn count(&self) -> Result<u64, StateError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM items", [], |r| r.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| self.sql(e))
    }

    /// One item's state.
    pub fn get(&self, item_id: &str) -> Result<Option<ItemState>, StateError> {
        self.conn
            .query_row(
                "SELECT item_id, hash, last_synced, last_error, matched_at FROM items
                 WHERE item_id = ?1",
                [item_id],
                |r| {
                    Ok(ItemState {
                        item_id: r.get(0)?,
                        hash: r.get(1)?,
                        last_synced: r.get(2)?,
                        last_error: r.get(3)?,
                        matched_at: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// Calls `f(item_id, hash)` for every item, streaming (nothing is collected).
    pub fn for_each(&self, mut f: impl FnMut(&str, Option<&str>)) -> Result<(), StateError> {
        self.for_each_item(|id, hash, _| f(id, hash))
    }

    /// Calls `f(item_id, hash, matched_at)` for every item, streaming (nothing is collected).
    pub fn for_each_item(
        &self,
        mut f: impl FnMut(&str, Option<&str>, Option<i64>),
    ) -> Result<(), StateError> {
        let mut stmt = self
            .conn
            .prepare("SELECT item_id, hash, matched_at FROM items")
            .map_err(|e| self.sql(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sql(e))?;
        while let Some(row) = rows.next().map_err(|e| self.sql(e))? {
            let id = row.get_ref(0).map_err(|e| self.sql(e))?;
            let hash = row.get_ref(1).map_err(|e| self.sql(e))?;
            let matched_at = row.get::<_, Option<i64>>(2).map_err(|e| self.sql(e))?;
            let id = id.as_str().map_err(|e| self.sql(e.into()))?;
            let hash = hash.as_str_or_null().map_err(|e| self.sql(e.into()))?;
            f(id, hash, matched_at);
        }
        Ok(())
    }

    /// Records changes in one transaction: all of them are durable when this returns.
    pub fn apply(&mut self, records: &[Record]) -> Result<(), StateError> {
        let now = now_unix();
        let run = self.run;
        let path = self.path.clone();
        let sql = |source| StateError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        {
            // A put's match time is now when the run matched its person, else kept.
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO items
                         (item_id, hash, last_synced, last_error, matched_at, line, run_id)
                     VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6)
                     ON CONFLICT (item_id) DO UPDATE
                     SET hash = excluded.hash, last_synced = excluded.last_synced,
                         last_error = NULL,
                         matched_at = COALESCE(excluded.matched_at, items.matched_at),
                         line = excluded.line, run_id = excluded.run_id",
                )
                .map_err(sql)?;
            let mut matched = tx
                .prepare_cached("UPDATE items SET matched_at = ?2 WHERE item_id = ?1")
                .map_err(sql)?;
            let mut delete = tx
                .prepare_cached("DELETE FROM items WHERE item_id = ?1")
                .map_err(sql)?;
            let mut failed = tx
                .prepare_cached(
                    "INSERT INTO items (item_id, hash, last_synced, last_error)
                     VALUES (?1, NULL, NULL, ?2)
                     ON CONFLICT (item_id) DO UPDATE SET last_error = excluded.last_error",
                )
                .map_err(sql)?;
            for record in records {
                match record {
                    Record::Put {
                        item_id,
                        hash,
                        matched: fresh,
                        line,
                    } => put.execute(params![
                        item_id,
                        hash,
                        now,
                        fresh.then_some(now),
                        line.and_then(|l| i64::try_from(l).ok()),
                        run
                    ]),
                    Record::Matched { item_id } => matched.execute(params![item_id, now]),
                    Record::Deleted { item_id } => delete.execute([item_id]),
                    Record::Failed { item_id, error } => failed.execute(params![item_id, error]),
                }
                .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// Starts a run reading `file`: puts recorded from now on name it (with their line), and
    /// its summary is kept once [`StateStore::finish_run`] counts it.
    pub fn begin_run(&mut self, file: &str) -> Result<i64, StateError> {
        self.conn
            .execute(
                "INSERT INTO runs (started, file) VALUES (?1, ?2)",
                params![now_unix(), file],
            )
            .map_err(|e| self.sql(e))?;
        let id = self.conn.last_insert_rowid();
        self.run = Some(id);
        Ok(id)
    }

    /// Closes the current run with its counts, and forgets the oldest summaries no item names.
    pub fn finish_run(&mut self, counts: &RunCounts) -> Result<(), StateError> {
        let Some(run) = self.run.take() else {
            return Ok(());
        };
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.conn
            .execute(
                "UPDATE runs SET finished = ?2, rows = ?3, put = ?4, deleted = ?5, failed = ?6,
                     unchanged = ?7, unmatched = ?8, invalid = ?9
                 WHERE run_id = ?1",
                params![
                    run,
                    now_unix(),
                    n(counts.rows),
                    n(counts.put),
                    n(counts.deleted),
                    n(counts.failed),
                    n(counts.unchanged),
                    n(counts.unmatched),
                    n(counts.invalid)
                ],
            )
            .map_err(|e| self.sql(e))?;
        self.conn
            .execute(
                "DELETE FROM runs WHERE run_id <= (SELECT MAX(run_id) FROM runs) - ?1
                   AND run_id NOT IN (SELECT run_id FROM items WHERE run_id IS NOT NULL)",
                [RUNS_KEPT],
            )
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    /// The last `limit` runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunSummary>, StateError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT run_id, started, finished, file, rows, put, deleted, failed, unchanged,
                        unmatched, invalid
                 FROM runs ORDER BY run_id DESC LIMIT ?1",
            )
            .map_err(|e| self.sql(e))?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok(RunSummary {
                    run_id: r.get(0)?,
                    started: r.get(1)?,
                    finished: r.get(2)?,
                    file: r.get(3)?,
                    counts: RunCounts {
                        rows: n(r.get(4)?),
                        put: n(r.get(5)?),
                        deleted: n(r.get(6)?),
                        failed: n(r.get(7)?),
                        unchanged: n(r.get(8)?),
                        unmatched: n(r.get(9)?),
                        invalid: n(r.get(10)?),
                    },
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    const LEDGER_SELECT: &'static str = "SELECT i.item_id, i.hash, i.last_synced, i.last_error,
            r.file, i.line, i.run_id
         FROM items i LEFT JOIN runs r ON r.run_id = i.run_id";

    fn ledger_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LedgerEntry> {
        Ok(LedgerEntry {
            item_id: r.get(0)?,
            hash: r.get(1)?,
            landed_at: r.get(2)?,
            last_error: r.get(3)?,
            file: r.get(4)?,
            line: r
                .get::<_, Option<i64>>(5)?
                .and_then(|l| u64::try_from(l).ok()),
            run_id: r.get(6)?,
        })
    }

    /// The whole ledger, in item id order.
    pub fn ledger(&self) -> Result<Vec<LedgerEntry>, StateError> {
        let mut stmt = self
            .conn
            .prepare(&format!("{} ORDER BY i.item_id", Self::LEDGER_SELECT))
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], Self::ledger_row)
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// One item's ledger entry.
    pub fn ledger_entry(&self, item_id: &str) -> Result<Option<LedgerEntry>, StateError> {
        self.conn
            .query_row(
                &format!("{} WHERE i.item_id = ?1", Self::LEDGER_SELECT),
                [item_id],
                Self::ledger_row,
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// Replaces the last propagation check with `records` (one transaction). A check of a few
    /// people (`--user`, `--sample`) replaces only their rows.
    pub fn save_check(&mut self, records: &[CheckRecord], whole: bool) -> Result<(), StateError> {
        let path = self.path.clone();
        let sql = |source| StateError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        if whole {
            tx.execute("DELETE FROM checks", []).map_err(sql)?;
        }
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO checks (item_id, upn, hash, state, reason, seen_at, checked_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (item_id) DO UPDATE SET upn = excluded.upn,
                         hash = excluded.hash, state = excluded.state,
                         reason = excluded.reason, seen_at = excluded.seen_at,
                         checked_at = excluded.checked_at",
                )
                .map_err(sql)?;
            for c in records {
                upsert
                    .execute(params![
                        c.item_id,
                        c.upn,
                        c.hash,
                        c.state,
                        c.reason,
                        c.seen_at,
                        c.checked_at
                    ])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// The last propagation check, in item id order.
    pub fn checks(&self) -> Result<Vec<CheckRecord>, StateError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT item_id, upn, hash, state, reason, seen_at, checked_at FROM checks
                 ORDER BY item_id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(CheckRecord {
                    item_id: r.get(0)?,
                    upn: r.get(1)?,
                    hash: r.get(2)?,
                    state: r.get(3)?,
                    reason: r.get(4)?,
                    seen_at: r.get(5)?,
                    checked_at: r.get(6)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// Moves the store to a writer thread that groups records into transactions.
    pub fn into_writer(self) -> StateWriter {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = std::thread::Builder::new()
            .name("sync-state".into())
            .spawn(move || writer_loop(self, rx))
            .ok();
        StateWriter { tx, handle }
    }
}

type Ack = oneshot::Sender<Result<(), String>>;

enum Command {
    Record(Record, Ack),
}

/// Most records grouped into one transaction.
const MAX_GROUP: usize = 256;

fn writer_loop(mut store: StateStore, mut rx: mpsc::UnboundedReceiver<Command>) -> StateStore {
    let mut records = Vec::with_capacity(MAX_GROUP);
    let mut acks: Vec<Ack> = Vec::with_capacity(MAX_GROUP);
    while let Some(Command::Record(record, ack)) = rx.blocking_recv() {
        records.push(record);
        acks.push(ack);
        // Whatever arrived while the last transaction committed goes into this one.
        while records.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(Command::Record(record, ack)) => {
                    records.push(record);
                    acks.push(ack);
                }
                Err(_) => break,
            }
        }
        let result = store.apply(&records).map_err(|e| e.to_string());
        for ack in acks.drain(..) {
            // The waiter may have been cancelled; the record stands either way.
            let _ = ack.send(result.clone());
        }
        records.clear();
    }
    store
}

/// Records changes from async code; each `record` returns once its change is committed.
#[derive(Debug)]
pub struct StateWriter {
    tx: mpsc::UnboundedSender<Command>,
    handle: Option<std::thread::JoinHandle<StateStore>>,
}

/// A cheap handle to send records to the writer.
#[derive(Debug, Clone)]
pub struct StateSink {
    tx: mpsc::UnboundedSender<Command>,
}

impl StateSink {
    /// Records one change without waiting: [`StateWriter::finish`] waits for it. For records
    /// that only save work next time (a refreshed match), whose loss costs a lookup, not data.
    pub fn record_later(&self, record: Record) {
        let (ack, _) = oneshot::channel();
        // A writer that stopped has reported why to the records that wait.
        let _ = self.tx.send(Command::Record(record, ack));
    }

    /// Records one change and waits until it is durable.
    pub async fn record(&self, record: Record) -> Result<(), StateError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Command::Record(record, ack))
            .map_err(|_| StateError::WriterGone)?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(StateError::Write(message)),
            Err(_) => Err(StateError::WriterGone),
        }
    }
}

impl StateWriter {
    /// A handle for tasks.
    pub fn sink(&self) -> StateSink {
        StateSink {
            tx: self.tx.clone(),
        }
    }

    /// Waits for every record sent so far to be committed and gives the store back. Every
    /// [`StateSink`] must have been dropped first.
    pub async fn finish(self) -> Result<StateStore, StateError> {
        let Self { tx, handle } = self;
        drop(tx);
        let handle = handle.ok_or(StateError::WriterGone)?;
        tokio::task::spawn_blocking(move || handle.join())
            .await
            .map_err(|_| StateError::WriterGone)?
            .map_err(|_| StateError::WriterGone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(id: &str, hash: &str) -> Record {
        Record::Put {
            item_id: id.into(),
            hash: hash.into(),
            matched: true,
            line: None,
        }
    }

    #[test]
    fn path_is_per_context_and_connection_and_file_safe() {
        let p = state_path(Path::new("/data"), "prod/eu ..", "contosohr");
        assert_eq!(p, Path::new("/data/sync/prod_eu_/contosohr.sqlite"));
        let p = state_path(Path::new("/data"), "..", "c");
        assert_eq!(p, Path::new("/data/sync/_/c.sqlite"));
    }

    #[test]
    fn records_put_failure_and_delete_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s/t.sqlite");
        {
            let mut s = StateStore::open(&path, "tenant", "conn").unwrap();
            s.apply(&[put("a", "h1"), put("b", "h2")]).unwrap();
            s.apply(&[
                put("a", "h3"),
                Record::Failed {
                    item_id: "b".into(),
                    error: "400 bad".into(),
                },
                Record::Failed {
                    item_id: "c".into(),
                    error: "500".into(),
                },
            ])
            .unwrap();
            s.apply(&[Record::Deleted {
                item_id: "zz".into(),
            }])
            .unwrap();
        }
        let mut s = StateStore::open(&path, "tenant", "conn").unwrap();
        assert_eq!(s.count().unwrap(), 3);
        let a = s.get("a").unwrap().unwrap();
        assert_eq!(a.hash.as_deref(), Some("h3"));
        assert!(a.last_synced.is_some());
        let b = s.get("b").unwrap().unwrap();
        assert_eq!(
            b.hash.as_deref(),
            Some("h2"),
            "a failure keeps the last good hash"
        );
        assert_eq!(b.last_error.as_deref(), Some("400 bad"));
        let c = s.get("c").unwrap().unwrap();
        assert_eq!(c.hash, None);
        assert_eq!(s.setting("ingestRate").unwrap(), None);
        s.set_setting("ingestRate", "24.5").unwrap();
        s.set_setting("ingestRate", "25").unwrap();
        assert_eq!(s.setting("ingestRate").unwrap().as_deref(), Some("25"));
        s.apply(&[
            put("b", "h4"),
            Record::Deleted {
                item_id: "c".into(),
            },
        ])
        .unwrap();
        let b = s.get("b").unwrap().unwrap();
        assert_eq!(b.last_error, None, "a success clears the error");
        let mut seen = Vec::new();
        s.for_each(|id, hash| seen.push((id.to_owned(), hash.map(str::to_owned))))
            .unwrap();
        seen.sort();
        assert_eq!(
            seen,
            [
                ("a".to_owned(), Some("h3".to_owned())),
                ("b".to_owned(), Some("h4".to_owned()))
            ]
        );
    }

    #[test]
    fn match_times_are_recorded_by_matched_puts_and_lookups_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = StateStore::open(&dir.path().join("t.sqlite"), "t", "c").unwrap();
        let unmatched_put = |id: &str, hash: &str| Record::Put {
            item_id: id.into(),
            hash: hash.into(),
            matched: false,
            line: None,
        };
        s.apply(&[put("a", "h1"), unmatched_put("b", "h2")])
            .unwrap();
        let a = s
            .get("a")
            .unwrap()
            .unwrap()
            .matched_at
            .expect("matched now");
        assert!((now_unix() - a).abs() < 60);
        assert_eq!(s.get("b").unwrap().unwrap().matched_at, None);
        s.conn
            .execute("UPDATE items SET matched_at = 5 WHERE item_id = 'a'", [])
            .unwrap();
        // A put of a person not matched in this run keeps the recorded time...
        s.apply(&[unmatched_put("a", "h3")]).unwrap();
        assert_eq!(s.get("a").unwrap().unwrap().matched_at, Some(5));
        // ... a lookup refreshes it, and a failure leaves it.
        s.apply(&[
            Record::Matched {
                item_id: "b".into(),
            },
            Record::Failed {
                item_id: "a".into(),
                error: "500".into(),
            },
        ])
        .unwrap();
        assert!(s.get("b").unwrap().unwrap().matched_at.is_some());
        assert_eq!(s.get("a").unwrap().unwrap().matched_at, Some(5));
        let mut seen = Vec::new();
        s.for_each_item(|id, _, at| seen.push((id.to_owned(), at.is_some())))
            .unwrap();
        seen.sort();
        assert_eq!(seen, [("a".to_owned(), true), ("b".to_owned(), true)]);
    }

    #[test]
    fn a_layout_one_file_is_upgraded_with_its_landed_items_matched_when_they_landed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE items (item_id TEXT PRIMARY KEY NOT NULL, hash TEXT,
                     last_synced INTEGER, last_error TEXT) WITHOUT ROWID;
                 CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)
                     WITHOUT ROWID;
                 INSERT INTO meta VALUES ('tenant', 't'), ('connection', 'c');
                 INSERT INTO items VALUES ('landed', 'h', 1700000000, NULL),
                                          ('failed', NULL, NULL, '400');
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        for _ in 0..2 {
            let s = StateStore::open(&path, "t", "c").unwrap();
            let landed = s.get("landed").unwrap().unwrap();
            assert_eq!(
                (landed.hash.as_deref(), landed.matched_at),
                (Some("h"), Some(1_700_000_000))
            );
            assert_eq!(s.get("failed").unwrap().unwrap().matched_at, None);
            let version: i64 = s
                .conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, SCHEMA_VERSION);
        }
    }

    #[test]
    fn a_layout_two_file_gains_the_ledger_and_keeps_its_items() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.sqlite");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE items (item_id TEXT PRIMARY KEY NOT NULL, hash TEXT,
                     last_synced INTEGER, last_error TEXT, matched_at INTEGER) WITHOUT ROWID;
                 CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)
                     WITHOUT ROWID;
                 INSERT INTO meta VALUES ('tenant', 't'), ('connection', 'c');
                 INSERT INTO items VALUES ('old', 'h', 1700000000, NULL, 1700000000);
                 PRAGMA user_version = 2;",
            )
            .unwrap();
        }
        let mut s = StateStore::open(&path, "t", "c").unwrap();
        let old = s.ledger_entry("old").unwrap().unwrap();
        assert_eq!(
            (old.hash.as_deref(), old.landed_at, old.file, old.line),
            (Some("h"), Some(1_700_000_000), None, None),
            "items from before the ledger keep their state, with no source"
        );
        // And it works as a new store does.
        s.begin_run("hr.csv").unwrap();
        s.apply(&[Record::Put {
            item_id: "new".into(),
            hash: "h2".into(),
            matched: true,
            line: Some(7),
        }])
        .unwrap();
        s.finish_run(&RunCounts {
            rows: 1,
            put: 1,
            ..RunCounts::default()
        })
        .unwrap();
        let new = s.ledger_entry("new").unwrap().unwrap();
        assert_eq!((new.file.as_deref(), new.line), (Some("hr.csv"), Some(7)));
        let version: i64 = s
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 3);
    }

    #[test]
    fn each_put_names_its_run_and_line_and_runs_are_kept_as_summaries() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = StateStore::open(&dir.path().join("t.sqlite"), "t", "c").unwrap();
        let put_at = |id: &str, hash: &str, line| Record::Put {
            item_id: id.into(),
            hash: hash.into(),
            matched: true,
            line: Some(line),
        };
        let first = s.begin_run("monday.csv").unwrap();
        s.apply(&[put_at("a", "h1", 2), put_at("b", "h1", 3)])
            .unwrap();
        s.finish_run(&RunCounts {
            rows: 2,
            put: 2,
            ..RunCounts::default()
        })
        .unwrap();
        let second = s.begin_run("tuesday.csv").unwrap();
        s.apply(&[put_at("b", "h2", 9)]).unwrap();
        s.finish_run(&RunCounts {
            rows: 2,
            put: 1,
            unchanged: 1,
            ..RunCounts::default()
        })
        .unwrap();
        let ledger = s.ledger().unwrap();
        let where_from: Vec<_> = ledger
            .iter()
            .map(|e| (e.item_id.as_str(), e.file.as_deref(), e.line, e.run_id))
            .collect();
        assert_eq!(
            where_from,
            [
                ("a", Some("monday.csv"), Some(2), Some(first)),
                ("b", Some("tuesday.csv"), Some(9), Some(second)),
            ]
        );
        let runs = s.runs(10).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].file, "tuesday.csv");
        assert_eq!((runs[0].counts.put, runs[0].counts.unchanged), (1, 1));
        assert!(runs[0].finished.is_some());
        // Old runs go once no item names them, beyond the kept history.
        for _ in 0..RUNS_KEPT + 5 {
            s.begin_run("x.csv").unwrap();
            s.finish_run(&RunCounts::default()).unwrap();
        }
        let kept: i64 = s
            .conn
            .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
            .unwrap();
        assert!(kept <= RUNS_KEPT + 2, "{kept} runs kept");
        let runs = s.runs(usize::MAX).unwrap();
        assert!(runs.iter().any(|r| r.run_id == first), "named by item a");
        assert!(runs.iter().any(|r| r.run_id == second), "named by item b");
        assert_eq!(
            s.ledger_entry("a").unwrap().unwrap().file.as_deref(),
            Some("monday.csv")
        );
    }

    #[test]
    fn a_check_is_replaced_whole_or_per_person() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = StateStore::open(&dir.path().join("t.sqlite"), "t", "c").unwrap();
        let rec = |id: &str, state: &str, at| CheckRecord {
            item_id: id.into(),
            upn: format!("{id}@x"),
            hash: Some("h".into()),
            state: state.into(),
            reason: None,
            seen_at: None,
            checked_at: at,
        };
        s.save_check(&[rec("a", "pending", 1), rec("b", "live", 1)], true)
            .unwrap();
        s.save_check(&[rec("a", "live", 2)], false).unwrap();
        let states: Vec<_> = s
            .checks()
            .unwrap()
            .into_iter()
            .map(|c| (c.item_id, c.state, c.checked_at))
            .collect();
        assert_eq!(
            states,
            [
                ("a".to_owned(), "live".to_owned(), 2),
                ("b".to_owned(), "live".to_owned(), 1)
            ]
        );
        s.save_check(&[rec("b", "stale", 3)], true).unwrap();
        assert_eq!(s.checks().unwrap().len(), 1);
    }

    #[test]
    fn a_corrupt_state_file_is_a_clear_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hr.sqlite");
        std::fs::write(
            &path,
            b"not SQLite at all, but long enough to be read as a header....",
        )
        .unwrap();
        let e = StateStore::open(&path, "t", "hr").unwrap_err().to_string();
        assert_eq!(
            e,
            format!("sync state {}: file is not a database", path.display())
        );
    }

    #[test]
    fn a_second_opener_is_refused_while_the_first_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        let first = StateStore::open(&path, "t", "c").unwrap();
        let second = StateStore::open(&path, "t", "c").unwrap_err();
        assert!(matches!(second, StateError::Busy { .. }), "{second}");
        drop(first);
        StateStore::open(&path, "t", "c").unwrap();
    }

    #[test]
    fn a_store_of_another_tenant_or_connection_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        drop(StateStore::open(&path, "tenant-a", "c").unwrap());
        let e = StateStore::open(&path, "tenant-b", "c").unwrap_err();
        assert!(e.to_string().contains("tenant-a"), "{e}");
        let e = StateStore::open(&path, "tenant-a", "other").unwrap_err();
        assert!(matches!(
            e,
            StateError::Mismatch {
                what: "connection",
                ..
            }
        ));
    }

    #[tokio::test]
    async fn the_writer_acknowledges_only_committed_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        let store = StateStore::open(&path, "t", "c").unwrap();
        let writer = store.into_writer();
        let sink = writer.sink();
        let mut tasks = Vec::new();
        for i in 0..500 {
            let sink = sink.clone();
            tasks.push(tokio::spawn(async move {
                sink.record(put(&format!("i{i}"), "h")).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        // Every sink must be gone for the writer to finish.
        drop(sink);
        let store = writer.finish().await.unwrap();
        assert_eq!(store.count().unwrap(), 500);
    }
}
