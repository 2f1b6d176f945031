//! The sync state store: one SQLite file per context and connection recording, per item, the
//! content hash Graph last accepted, when, the last error, and when its person last matched a
//! user of the tenant; written as each request lands.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

/// Version of the table layout, kept in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 2;

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

/// One change to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Graph accepted a PUT of this content; `matched`: the person was matched to a user in
    /// this run (so the match is recorded as fresh).
    Put {
        item_id: String,
        hash: String,
        matched: bool,
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
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS items (
                 item_id     TEXT PRIMARY KEY NOT NULL,
                 hash        TEXT,
                 last_synced INTEGER,
                 last_error  TEXT,
                 matched_at  INTEGER
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS meta (
                 key   TEXT PRIMARY KEY NOT NULL,
                 value TEXT NOT NULL
             ) WITHOUT ROWID;
             PRAGMA user_version = 2;",
        )
        .map_err(sql)?;
        let store = Self { conn, path: shown };
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
                    "INSERT INTO items (item_id, hash, last_synced, last_error, matched_at)
                     VALUES (?1, ?2, ?3, NULL, ?4)
                     ON CONFLICT (item_id) DO UPDATE
                     SET hash = excluded.hash, last_synced = excluded.last_synced,
                         last_error = NULL,
                         matched_at = COALESCE(excluded.matched_at, items.matched_at)",
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
                    } => put.execute(params![item_id, hash, now, fresh.then_some(now)]),
                    Record::Matched { item_id } => matched.execute(params![item_id, now]),
                    Record::Deleted { item_id } => delete.execute([item_id]),
                    Record::Failed { item_id, error } => failed.execute(params![item_id, error]),
                }
                .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
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
