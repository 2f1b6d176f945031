//! `peoplectl sync`: push an HR export into a connection, delta-only and resumable, with a
//! progress bar on a terminal, plain lines otherwise, and the JSON report with `-o json`.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::output::say;
use super::table::Table;
use super::{CliError, Exit, Printer, Session};
use crate::config::{ConfigFile, SyncInput};
use crate::sync::{
    CancellationToken, EventSink, InputFormat, SyncEvent, SyncOptions, SyncReport,
    default_mapping_toml,
};
use crate::text::shown;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The connection to fill (omit with --print-default-mapping).
    #[arg(required_unless_present = "print_default_mapping")]
    pub connection_id: Option<String>,
    /// The HR export: CSV (header row) or JSON Lines; `-` reads standard input (named <stdin>
    /// in errors; CSV unless --format or the mapping says otherwise). Only a regular file or
    /// standard input is read. Defaults to the input saved in the context.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The mapping file (TOML); the default mapping when omitted.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Input format, when the file extension does not say.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Validate and plan only: nothing is sent and nothing is recorded.
    #[arg(long)]
    pub dry_run: bool,
    /// Send every valid person, changed or not.
    #[arg(long)]
    pub full: bool,
    /// Most deletes allowed (default: 5% of the connection's items, at least 10).
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<u64>,
    /// Save --input and --mapping in the context, so `peoplectl sync ID` and the console's
    /// "sync now" need no arguments.
    #[arg(long)]
    pub save: bool,
    /// Print the default mapping and exit.
    #[arg(long)]
    pub print_default_mapping: bool,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Csv,
    Jsonl,
}

/// Prints the default mapping (needs no tenant).
pub(super) fn print_default_mapping() -> Exit {
    print!("{}", default_mapping_toml());
    Exit::Ok
}

pub(super) async fn run(session: &Session, args: SyncArgs) -> Result<Exit, CliError> {
    let Some(connection) = args.connection_id.clone() else {
        return Ok(print_default_mapping());
    };
    let saved = session
        .context
        .as_ref()
        .and_then(|(_, ctx)| ctx.sync.get(&connection).cloned());
    let input = args
        .input
        .clone()
        .or_else(|| saved.as_ref().map(|s| s.input.clone()))
        .ok_or_else(|| {
            CliError::Usage(format!(
                "no input for '{connection}': pass --input FILE (and --save to remember it)"
            ))
        })?;
    let mapping = args
        .mapping
        .clone()
        .or_else(|| saved.as_ref().and_then(|s| s.mapping.clone()));
    if args.save {
        save_input(session, &connection, &input, mapping.as_ref())?;
    }
    if !args.dry_run {
        session.check_writable(&format!("sync into '{connection}'"))?;
    }
    let mut options = SyncOptions::new(
        connection.clone(),
        session.tenant_id.clone(),
        session.context_name().to_owned(),
        session.data_dir.clone(),
        input,
    );
    options.mapping = mapping;
    options.format = args.format.map(|f| match f {
        FormatArg::Csv => InputFormat::Csv,
        FormatArg::Jsonl => InputFormat::JsonLines,
    });
    options.dry_run = args.dry_run;
    options.full = args.full;
    options.max_deletes = args.max_deletes;

    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            say!("\nStopping: waiting for requests in flight to land…");
            on_ctrl_c.cancel();
        }
    });
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let show = ShowProgress::choose(session.printer);
    let viewer = tokio::spawn(show.run(rx));
    let result = crate::sync::run(&session.client, &options, EventSink::new(tx), cancel).await;
    let _ = viewer.await;
    ctrl_c.abort();
    let report = result.map_err(|e| {
        if e.is_refusal() {
            CliError::Refused(e.to_string())
        } else {
            CliError::Failed(e.to_string())
        }
    })?;
    session.printer.result(&report, || render(&report))?;
    Ok(if report.failed > 0 || report.cancelled {
        Exit::Error
    } else {
        Exit::Ok
    })
}

fn save_input(
    session: &Session,
    connection: &str,
    input: &std::path::Path,
    mapping: Option<&PathBuf>,
) -> Result<(), CliError> {
    if crate::sync::input::is_stdin(input) {
        return Err(CliError::Usage(
            "--save keeps a file's path; standard input (--input -) cannot be saved".into(),
        ));
    }
    let Some((name, _)) = &session.context else {
        return Err(CliError::Usage(
            "--save needs a context to save into (`peoplectl config add NAME`)".into(),
        ));
    };
    let absolute = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    let mut file =
        ConfigFile::load(&session.config_file).map_err(|e| CliError::Failed(e.to_string()))?;
    file.set_sync_input(
        name,
        connection,
        &SyncInput {
            input: absolute(input),
            mapping: mapping.map(|m| absolute(m)),
        },
    )
    .map_err(|e| CliError::Failed(e.to_string()))?;
    file.save().map_err(|e| CliError::Failed(e.to_string()))?;
    say!("Saved the input of '{connection}' in context '{name}'.");
    Ok(())
}

/// How progress is shown on stderr.
enum ShowProgress {
    /// A live bar (stderr is a terminal and the output is for people).
    Bar,
    /// One line per phase and per issue (logs, cron).
    Lines,
    /// Nothing (JSON output: the report says it all).
    Quiet,
}

impl ShowProgress {
    fn choose(printer: Printer) -> Self {
        if printer.json() {
            Self::Quiet
        } else if std::io::stderr().is_terminal() {
            Self::Bar
        } else {
            Self::Lines
        }
    }

    async fn run(self, mut rx: tokio::sync::mpsc::Receiver<SyncEvent>) {
        let bar = matches!(self, Self::Bar).then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {msg:<12} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        while let Some(event) = rx.recv().await {
            match (&self, &event) {
                (Self::Quiet, _) => {}
                (_, SyncEvent::Phase { phase }) => {
                    if let Some(bar) = &bar {
                        bar.set_message(phase.label());
                    } else {
                        say!("{}", phase.label());
                    }
                }
                (_, SyncEvent::Issue(issue)) => {
                    let line = format!(
                        "  {}:{}{} {}",
                        shown(&issue.file),
                        issue.line.map_or(String::new(), |l| l.to_string()),
                        issue
                            .column
                            .as_ref()
                            .map_or(String::new(), |c| format!(" [{}]", shown(c))),
                        shown(&issue.reason)
                    );
                    match &bar {
                        Some(bar) => bar.println(crate::text::shown_lines(&line)),
                        None => say!("{line}"),
                    }
                }
                (_, SyncEvent::Planned(c)) => {
                    let text = format!(
                        "plan: {} to send, {} unchanged, {} to delete",
                        c.to_put, c.unchanged, c.to_delete
                    );
                    match &bar {
                        Some(bar) => {
                            bar.set_length(c.to_put + c.to_delete);
                            bar.println(crate::text::shown_lines(&text));
                        }
                        None => say!("{text}"),
                    }
                }
                (
                    _,
                    SyncEvent::Throttled {
                        retry_after_ms,
                        concurrency,
                    },
                ) => {
                    if bar.is_none() {
                        say!("throttled: pausing {retry_after_ms} ms, {concurrency} in flight");
                    }
                }
                (_, SyncEvent::Progress(p)) => {
                    if let Some(bar) = &bar {
                        bar.set_position(p.counts.put + p.counts.deleted + p.counts.failed);
                    }
                }
                (
                    _,
                    SyncEvent::UsersResolved {
                        matched, unmatched, ..
                    },
                ) => {
                    let text = format!("users: {matched} matched, {unmatched} not in the tenant");
                    match &bar {
                        Some(bar) => bar.println(crate::text::shown_lines(&text)),
                        None => say!("{text}"),
                    }
                }
            }
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
    }
}

fn render(r: &SyncReport) -> String {
    let mut t = Table::new([
        "ROWS",
        "VALID",
        "INVALID",
        "UNMATCHED",
        "UNCHANGED",
        "PUT",
        "DELETED",
        "FAILED",
        "429s",
    ]);
    t.row(
        [
            r.rows,
            r.valid,
            r.invalid,
            r.unmatched,
            r.unchanged,
            r.put,
            r.deleted,
            r.failed,
            r.throttled,
        ]
        .map(|n| n.to_string()),
    );
    let mut out = format!(
        "{} '{}' in {:.1}s{}\n",
        if r.dry_run { "Dry run of" } else { "Synced" },
        shown(&r.connection),
        r.seconds,
        if r.cancelled {
            " (stopped early: run it again to finish)"
        } else {
            ""
        }
    );
    out.push_str(&Printer::table(&t));
    if r.dry_run {
        out.push_str(&format!(
            "Would send {} and delete {}; nothing was written.\n",
            r.to_put, r.to_delete
        ));
    }
    if r.deletes_held > 0 {
        out.push_str(&format!(
            "Kept {} items no readable row names: some rows could not be read and might name them. \
             Fix those rows and sync again to delete them.\n",
            r.deletes_held
        ));
    }
    if !r.errors.is_empty() {
        out.push_str("\nRows and items that need attention:\n");
        for e in &r.errors {
            out.push_str(&format!(
                "  {}:{}{}  {}\n",
                shown(&e.file),
                e.line.map_or(String::new(), |l| l.to_string()),
                e.column
                    .as_ref()
                    .map_or(String::new(), |c| format!(" [{}]", shown(c))),
                shown(&e.reason)
            ));
        }
        if r.errors_omitted > 0 {
            out.push_str(&format!("  … and {} more\n", r.errors_omitted));
        }
    }
    out
}
