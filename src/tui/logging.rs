//! Logs go to a file in the data directory while the console owns the screen.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The log file's name in the data directory.
pub const LOG_FILE: &str = "peoplectl.log";

/// Sends tracing output to `<data dir>/peoplectl.log` (appending). Without a usable data
/// directory logs are dropped: never written to the screen. Returns the file used.
pub fn init(data_dir: Option<&Path>, verbose: u8) -> Option<PathBuf> {
    let path = data_dir?.join(LOG_FILE);
    // Logs name users and tenants: private like the rest of the data directory.
    let file = match crate::files::create_private(&path, true) {
        Ok(file) => file,
        Err(e) => {
            // The console has not taken the screen yet: say once why there is no log.
            eprintln!("peoplectl: no log file: {e}");
            return None;
        }
    };
    let default = match verbose {
        0 => "info,hyper=warn,rustls=warn,reqwest=warn",
        _ => "debug,hyper=info,rustls=info",
    };
    let filter = std::env::var("PEOPLECTL_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| default.to_owned());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_target(false)
        .try_init()
        .ok()?;
    Some(path)
}
