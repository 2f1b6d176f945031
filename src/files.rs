//! Files we write are private and files we read are regular: the one place that makes, checks
//! and opens them.
//!
//! Policy for private files (config, token cache, secret and certificate files, sync state, the
//! log) and their directories: what peoplectl creates is 0600 (directories 0700) whatever the
//! umask. An existing one that group or others can reach is tightened to 0600 / 0700 with a
//! warning when the user running peoplectl owns it, and refused, naming the command its owner
//! must run, when not (so a root run never changes a shared directory such as `/tmp`).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Mode of every file peoplectl writes.
pub const FILE_MODE: u32 = 0o600;
/// Mode of every directory peoplectl makes.
pub const DIR_MODE: u32 = 0o700;
/// The permission bits of everyone but the owner.
const GROUP_OTHER: u32 = 0o077;

/// A file or directory problem, naming the path and what to do.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    /// Group or others can reach it, and it is not ours to change.
    #[error(
        "{path} can be read by other users (mode {mode:03o}) and belongs to another user, so \
         peoplectl will not use it; its owner can fix it with `chmod {want:o} {quoted}`"
    )]
    Exposed {
        path: String,
        mode: u32,
        want: u32,
        quoted: String,
    },
    /// A directory, FIFO, socket or device where a file is expected.
    #[error("{path} is {kind}, not a regular file")]
    NotRegular { path: String, kind: &'static str },
    #[error("{path} is larger than {limit} bytes; is it the right file?")]
    TooLarge { path: String, limit: u64 },
}

impl FileError {
    fn io(path: &Path, source: io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Makes `dir` exist as a private directory. Directories created here (missing parents too)
/// are 0700 whatever the umask; an existing `dir` that others can reach is tightened or
/// refused. Existing parents are left alone: they are not ours.
pub fn private_dir(dir: &Path) -> Result<(), FileError> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(p) = at {
        if p.as_os_str().is_empty() || p.exists() {
            break;
        }
        missing.push(p);
        at = p.parent();
    }
    for p in missing.iter().rev() {
        match std::fs::create_dir(p) {
            Ok(()) => set_mode(p, DIR_MODE).map_err(|e| FileError::io(p, e))?,
            // Another process made it meanwhile: checked below like any existing directory.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(FileError::io(p, e)),
        }
    }
    ensure_private(dir)
}

/// Opens `path` for reading and writing as a private file (its directory made private first): a new file
/// is 0600 whatever the umask; an existing one is checked like [`ensure_private`].
pub fn create_private(path: &Path, append: bool) -> Result<File, FileError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir(dir)?;
    }
    let mut options = OpenOptions::new();
    // Readable too: a spool file is written, then read back.
    options.read(true).write(true).create(true);
    if append {
        options.append(true);
    } else {
        options.truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let file = options.open(path).map_err(|e| FileError::io(path, e))?;
    secure_handle(path, &file)?;
    Ok(file)
}

/// Writes `bytes` to a private file, replacing what it held.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let mut file = create_private(path, false)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| FileError::io(path, e))
}

/// Writes `bytes` to a file handed to the admin (an impact list for a change ticket): the file
/// is private like every file we write, but its directory is the admin's choice and is left
/// as it is. Anything but a regular file at `path` is refused.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    if let Ok(meta) = std::fs::metadata(path) {
        if let Some(kind) = kind_of(&meta) {
            return Err(FileError::NotRegular {
                path: path.display().to_string(),
                kind,
            });
        }
    }
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let mut file = options.open(path).map_err(|e| FileError::io(path, e))?;
    secure_handle(path, &file)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| FileError::io(path, e))
}

/// Checks an existing file or directory that holds private data before it is used: one that
/// group or others can reach is tightened (and a warning logged) when ours, refused when not.
/// A missing path is fine: whoever creates it makes it private.
pub fn ensure_private(path: &Path) -> Result<(), FileError> {
    match std::fs::metadata(path) {
        Ok(meta) => secure(path, &meta, |mode| set_mode(path, mode)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FileError::io(path, e)),
    }
}

/// [`ensure_private`] for a file already open (no window for the path to change under us).
fn secure_handle(path: &Path, file: &File) -> Result<(), FileError> {
    let meta = file.metadata().map_err(|e| FileError::io(path, e))?;
    secure(path, &meta, |mode| set_file_mode(file, mode))
}

#[cfg(unix)]
fn secure(
    path: &Path,
    meta: &std::fs::Metadata,
    chmod: impl FnOnce(u32) -> io::Result<()>,
) -> Result<(), FileError> {
    use std::os::unix::fs::MetadataExt;
    let mode = meta.mode() & 0o777;
    let want = if meta.is_dir() { DIR_MODE } else { FILE_MODE };
    // Only group and other bits matter: an owner who made a secret file 0400 keeps it so.
    if mode & GROUP_OTHER == 0 {
        return Ok(());
    }
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(FileError::Exposed {
            path: path.display().to_string(),
            mode,
            want,
            quoted: crate::text::shell_quote(&path.display().to_string()).into_owned(),
        });
    }
    chmod(want).map_err(|e| FileError::io(path, e))?;
    tracing::warn!(
        "{} could be read by other users (mode {mode:03o}); peoplectl made it private (mode {want:03o})",
        path.display()
    );
    Ok(())
}

#[cfg(not(unix))]
fn secure(
    _path: &Path,
    _meta: &std::fs::Metadata,
    _chmod: impl FnOnce(u32) -> io::Result<()>,
) -> Result<(), FileError> {
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(unix)]
fn set_file_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn set_file_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// What kind of thing a path is, in words, when it is not a regular file.
fn kind_of(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
    }
    Some("not a plain file")
}

/// The file type of an open handle, in words, when it is not a regular file.
pub fn handle_kind(file: &File) -> io::Result<Option<&'static str>> {
    Ok(kind_of(&file.metadata()?))
}

/// Opens a file for reading only if it is a regular file: a directory, FIFO, socket or device
/// is refused at once instead of blocking (a FIFO with no writer) or never ending (`/dev/zero`).
pub fn open_regular(path: &Path) -> Result<File, FileError> {
    let not_regular = |kind| FileError::NotRegular {
        path: path.display().to_string(),
        kind,
    };
    let meta = std::fs::metadata(path).map_err(|e| FileError::io(path, e))?;
    if let Some(kind) = kind_of(&meta) {
        return Err(not_regular(kind));
    }
    let mut options = OpenOptions::new();
    options.read(true);
    // Non-blocking, so a FIFO swapped in after the check above cannot hang the open; it makes
    // no difference to reading a regular file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .custom_flags(i32::try_from(rustix::fs::OFlags::NONBLOCK.bits()).unwrap_or_default());
    }
    let file = options.open(path).map_err(|e| FileError::io(path, e))?;
    if let Some(kind) = handle_kind(&file).map_err(|e| FileError::io(path, e))? {
        return Err(not_regular(kind));
    }
    Ok(file)
}

/// Reads a regular file of at most `limit` bytes (a certificate, a secret, a config file).
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    // One byte past the limit tells "at the limit" from "over it".
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: path.display().to_string(),
            limit,
        });
    }
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_text(path: &Path, limit: u64) -> Result<String, FileError> {
    String::from_utf8(read_regular(path, limit)?).map_err(|_| {
        FileError::io(
            path,
            io::Error::new(io::ErrorKind::InvalidData, "the file is not UTF-8 text"),
        )
    })
}

/// A path for a file next to `path` (a temp file before a rename).
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_directories_and_files_are_private_whatever_was_asked_before() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("a").join("b").join("state.db");
        write_private(&file, b"x").unwrap();
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&root.path().join("a").join("b")), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"x");
    }

    #[test]
    fn a_handed_over_file_is_private_and_its_directory_untouched() {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = root.path().join("impact.csv");
        std::fs::write(&file, "old, longer than the new text\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private_file(&file, b"new\n").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"new\n");
        assert_eq!(
            mode(root.path()),
            0o755,
            "the admin's directory stays as it was"
        );
        assert!(matches!(
            write_private_file(root.path(), b"x"),
            Err(FileError::NotRegular { .. })
        ));
    }

    #[test]
    fn loose_files_and_directories_we_own_are_tightened() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.join("peoplectl.log");
        std::fs::write(&file, "old\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut f = create_private(&file, true).unwrap();
        f.write_all(b"new\n").unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "old\nnew\n");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        ensure_private(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        // Missing is fine: nothing to protect yet.
        ensure_private(&dir.join("none")).unwrap();
    }

    #[test]
    fn loose_files_of_another_user_are_refused_untouched() {
        let root = tempfile::tempdir().unwrap();
        // Someone else's readable file: /etc/passwd, or (running as root) one given away.
        let theirs = if rustix::process::geteuid().is_root() {
            let path = root.path().join("shared.key");
            std::fs::write(&path, "x").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
            path
        } else {
            PathBuf::from("/etc/passwd")
        };
        let before = mode(&theirs);
        assert_ne!(before & 0o044, 0, "the fixture must be readable by others");
        let e = ensure_private(&theirs).unwrap_err();
        assert!(matches!(e, FileError::Exposed { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "{} can be read by other users (mode {before:03o}) and belongs to another user, \
                 so peoplectl will not use it; its owner can fix it with `chmod 600 {}`",
                theirs.display(),
                theirs.display()
            )
        );
        assert_eq!(mode(&theirs), before);
    }

    #[test]
    fn only_regular_files_are_opened() {
        let root = tempfile::tempdir().unwrap();
        let e = open_regular(root.path()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{} is a directory, not a regular file",
                root.path().display()
            )
        );
        let e = open_regular(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "/dev/zero is a character device, not a regular file");
        let file = root.path().join("f");
        std::fs::write(&file, "12345").unwrap();
        assert_eq!(read_regular(&file, 5).unwrap(), b"12345");
        let e = read_regular(&file, 4).unwrap_err().to_string();
        assert!(
            e.ends_with("is larger than 4 bytes; is it the right file?"),
            "{e}"
        );
    }

    #[test]
    fn refusals_quote_the_path_for_the_shell() {
        let shell_quote = crate::text::shell_quote;
        assert_eq!(shell_quote("/srv/hr.csv"), "/srv/hr.csv");
        assert_eq!(shell_quote("/srv/it's here"), r"'/srv/it'\''s here'");
        assert_eq!(
            sibling(Path::new("/a/config.toml"), ".tmp"),
            Path::new("/a/config.toml.tmp")
        );
    }
}
