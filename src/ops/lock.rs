//! The precedence lock: one read-compare-write of the precedence list at a time, across the
//! tasks of this process and across peoplectl processes on this machine.
//!
//! Graph offers no ETag or If-Match on `profilePropertySettings`, so two writers that both read
//! the same list would each overwrite the other's change. Under this lock the second writer
//! reads the first one's list, sees it differs from what its plan was made from and is refused
//! with both lists shown. Admins on different machines are not covered: the window there is
//! the few milliseconds between the read and the write.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, MutexGuard};

use super::OpsError;
use crate::graph::GraphClient;

/// How long to wait for another peoplectl to finish its write before giving up.
const WAIT: Duration = Duration::from_secs(30);

static IN_PROCESS: Mutex<()> = Mutex::const_new(());

/// Held while reading, comparing and writing the precedence list.
#[derive(Debug)]
pub(crate) struct PrecedenceLock {
    _task: MutexGuard<'static, ()>,
    /// Released (closed) on drop; `None` when the lock file could not be opened.
    _file: Option<File>,
}

/// The lock file for one Graph endpoint: one per machine, shared by every user.
fn lock_path(client: &GraphClient) -> PathBuf {
    // FNV-1a: stable across runs and builds, unlike the std hasher.
    let hash = client
        .root()
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    std::env::temp_dir().join(format!("peoplectl-precedence-{hash:016x}.lock"))
}

fn open_lock_file(path: &PathBuf) -> Option<File> {
    match OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
    {
        Ok(file) => Some(file),
        // Another user's file: flock needs no write access, only an open descriptor.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            OpenOptions::new().read(true).open(path).ok()
        }
        Err(e) => {
            // A read-only or missing temp dir: the in-process lock still holds.
            tracing::warn!(path = %path.display(), error = %e, "precedence lock file unavailable");
            None
        }
    }
}

/// Takes the lock, waiting up to 30 s for another peoplectl process to finish its write.
pub(crate) async fn precedence_lock(client: &GraphClient) -> Result<PrecedenceLock, OpsError> {
    let task = IN_PROCESS.lock().await;
    let path = lock_path(client);
    let Some(file) = open_lock_file(&path) else {
        return Ok(PrecedenceLock {
            _task: task,
            _file: None,
        });
    };
    let deadline = Instant::now() + WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => {
                return Ok(PrecedenceLock {
                    _task: task,
                    _file: Some(file),
                });
            }
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(OpsError::Refused(format!(
                    "another peoplectl has been writing the precedence list for {} s (lock file {}); try again",
                    WAIT.as_secs(),
                    path.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot lock the precedence lock file");
                return Ok(PrecedenceLock {
                    _task: task,
                    _file: None,
                });
            }
        }
    }
}
