//! Where an HR export is read from: a regular file, checked before it is opened, or standard
//! input (`--input -`), copied to a private spool file while the first pass reads it.
//!
//! A sync reads its input twice (validate and plan, then send), so a stream is kept for the
//! second pass. FIFOs and devices given as a path are refused at once: a FIFO without a writer
//! would block forever and `/dev/zero` would never end; standard input is the way to pipe.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::reader::ReadError;
use crate::files::FileError;

/// The `--input` value that means standard input.
pub const STDIN_ARG: &str = "-";
/// How standard input is named in errors and reports (`<stdin>:12 [Email] ...`).
pub const STDIN_NAME: &str = "<stdin>";

/// An HR export, ready to be read from its start once per pass.
pub struct Input {
    name: String,
    source: Source,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

enum Source {
    File(PathBuf),
    Stream(Mutex<Stream>),
}

enum Stream {
    /// Not read yet; the first pass reads it through a copy into `spool`.
    Unread {
        from: Box<dyn Read + Send>,
        spool: File,
    },
    /// Handed to the first pass; `done` says whether it was read to its end.
    Spooling { spool: File, done: Arc<AtomicBool> },
}

/// True when an `--input` value means standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN_ARG
}

impl Input {
    /// The export at `path` (`-`: standard input, spooled in `spool_dir`). A path must be a
    /// regular file; standard input must not be a terminal or a device.
    pub fn open(path: &Path, spool_dir: &Path) -> Result<Self, ReadError> {
        if !is_stdin(path) {
            // Checked now, before any request, so a wrong path fails in a blink.
            drop(open_file(path)?);
            return Ok(Self {
                name: path.display().to_string(),
                source: Source::File(path.to_owned()),
            });
        }
        let stdin = io::stdin();
        if stdin.is_terminal() {
            return Err(ReadError::Input(format!(
                "{STDIN_NAME} is a terminal: send the export to standard input, as in \
                 `peoplectl sync ID --input - < export.csv`"
            )));
        }
        if let Some(kind) = stdin_kind()? {
            return Err(ReadError::Input(format!(
                "{STDIN_NAME} is {kind}, not an export: send a file or a pipe to standard input"
            )));
        }
        Self::from_stream(Box::new(stdin), spool_dir)
    }

    /// A stream read once, kept in a private spool file in `spool_dir` for later passes.
    pub fn from_stream(from: Box<dyn Read + Send>, spool_dir: &Path) -> Result<Self, ReadError> {
        let path = spool_dir.join(format!(".stdin-{}.spool", uuid::Uuid::new_v4()));
        let spool = crate::files::create_private(&path, false)
            .map_err(|e| ReadError::Input(format!("{STDIN_NAME}: cannot keep a copy: {e}")))?;
        // Only the open handle is needed: nothing is left behind, even by a killed run. (Where
        // an open file cannot be removed, the next run's directory keeps it until removed.)
        let _ = std::fs::remove_file(&path);
        Ok(Self {
            name: STDIN_NAME.to_owned(),
            source: Source::Stream(Mutex::new(Stream::Unread { from, spool })),
        })
    }

    /// How errors and the report name this input.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The export from its start. A stream's first call reads the stream itself; later calls
    /// read the copy, which the first pass must have read to its end.
    pub fn read(&self) -> Result<Box<dyn Read + Send>, ReadError> {
        let stream = match &self.source {
            Source::File(path) => return Ok(Box::new(open_file(path)?)),
            Source::Stream(stream) => stream,
        };
        let mut stream = stream.lock().unwrap_or_else(PoisonError::into_inner);
        let io_error = |source| ReadError::Io {
            file: STDIN_NAME.to_owned(),
            source,
        };
        match &mut *stream {
            Stream::Spooling { spool, done } => {
                if !done.load(Ordering::Acquire) {
                    return Err(ReadError::Input(format!(
                        "{STDIN_NAME} can be read only once, and the first pass stopped before \
                         its end"
                    )));
                }
                let mut copy = spool.try_clone().map_err(io_error)?;
                copy.seek(SeekFrom::Start(0)).map_err(io_error)?;
                Ok(Box::new(copy))
            }
            Stream::Unread { spool, .. } => {
                let done = Arc::new(AtomicBool::new(false));
                let writer = spool.try_clone().map_err(io_error)?;
                let next = Stream::Spooling {
                    spool: spool.try_clone().map_err(io_error)?,
                    done: done.clone(),
                };
                let Stream::Unread { from, .. } = std::mem::replace(&mut *stream, next) else {
                    unreachable!("matched as unread above")
                };
                Ok(Box::new(Tee {
                    from,
                    copy: writer,
                    done,
                }))
            }
        }
    }
}

/// Opens a path input, refusing what is not a regular file with what to do instead.
fn open_file(path: &Path) -> Result<File, ReadError> {
    crate::files::open_regular(path).map_err(|e| match e {
        FileError::Io { path, source } => ReadError::Io { file: path, source },
        FileError::NotRegular { path, kind } if kind != "a directory" => ReadError::Input(format!(
            "{path} is {kind}, not a regular file; to read from a pipe, use `--input -` and \
                 send the export to standard input"
        )),
        other => ReadError::Input(other.to_string()),
    })
}

/// What standard input is, when it is a device rather than a file, pipe or socket.
fn stdin_kind() -> Result<Option<&'static str>, ReadError> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::FileTypeExt;
        let io_error = |source| ReadError::Io {
            file: STDIN_NAME.to_owned(),
            source,
        };
        let fd = io::stdin().as_fd().try_clone_to_owned().map_err(io_error)?;
        let kind = File::from(fd).metadata().map_err(io_error)?.file_type();
        if kind.is_char_device() {
            return Ok(Some("a character device"));
        }
        if kind.is_block_device() {
            return Ok(Some("a block device"));
        }
        if kind.is_dir() {
            return Ok(Some("a directory"));
        }
    }
    Ok(None)
}

/// Reads a stream and keeps a copy of every byte read.
struct Tee {
    from: Box<dyn Read + Send>,
    copy: File,
    done: Arc<AtomicBool>,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.from.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.copy.flush()?;
            self.done.store(true, Ordering::Release);
            return Ok(0);
        }
        self.copy.write_all(&buf[..n]).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("keeping a copy for the second pass failed: {e}"),
            )
        })?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(mut r: Box<dyn Read + Send>) -> String {
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn a_stream_is_read_once_and_replayed_from_the_copy() {
        let dir = tempfile::tempdir().unwrap();
        let text = "upn,title\na@x.com,Dev\n".repeat(10_000);
        let input =
            Input::from_stream(Box::new(io::Cursor::new(text.clone())), dir.path()).unwrap();
        assert_eq!(input.name(), "<stdin>");
        assert_eq!(read_all(input.read().unwrap()), text);
        assert_eq!(read_all(input.read().unwrap()), text);
        assert_eq!(read_all(input.read().unwrap()), text);
        // The copy has no name on disk.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_stream_the_first_pass_left_half_read_is_not_replayed_as_if_whole() {
        let dir = tempfile::tempdir().unwrap();
        let input =
            Input::from_stream(Box::new(io::Cursor::new(vec![b'x'; 100])), dir.path()).unwrap();
        let mut first = input.read().unwrap();
        let mut some = [0u8; 10];
        first.read_exact(&mut some).unwrap();
        drop(first);
        let e = input.read().err().unwrap().to_string();
        assert!(e.contains("can be read only once"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn paths_that_are_not_files_are_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let e = Input::open(Path::new("/dev/zero"), dir.path())
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "/dev/zero is a character device, not a regular file; to read from a pipe, use \
             `--input -` and send the export to standard input"
        );
        let e = Input::open(dir.path(), dir.path()).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{} is a directory, not a regular file",
                dir.path().display()
            )
        );
        let e = Input::open(&dir.path().join("none.csv"), dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("{}", dir.path().join("none.csv").display())),
            "{e}"
        );
    }
}
