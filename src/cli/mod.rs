//! The command line: clap definitions and one module per command group.

mod auth;
mod config;
pub mod connect;
mod connections;
mod doctor;
mod impact;
pub(crate) mod output;
mod precedence;
mod profile;
mod propagation;
mod remove;
mod sources;
mod sync;
pub mod table;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Dirs;
use crate::graph::GraphClient;
use crate::ops::OpsError;
use connect::ConnectionArgs;
pub use output::Printer;

/// Exit codes of the command-line contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Error = 1,
    Usage = 2,
    /// `doctor` found problems.
    Problems = 3,
    /// Refused by a guard: conflict, mass-delete threshold, missing confirmation.
    Refused = 4,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

/// Output format of a command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Human-readable tables that fit 80 columns.
    #[default]
    Table,
    /// One JSON document on stdout, nothing else there.
    Json,
    /// The impact list of a dry run as CSV (who changes, which property, from what to what).
    Csv,
}

/// peoplectl: Copilot connectors for people data, their profile sources and source precedence.
///
/// Without a command it opens the terminal console. Connection settings come from flags, then
/// the environment (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, PEOPLECTL_GRAPH_URL,
/// PEOPLECTL_AUTHORITY_URL, PEOPLECTL_CA_CERT), then the config context.
#[derive(Debug, Parser)]
#[command(name = "peoplectl", version, about, long_about)]
pub struct Cli {
    /// Run against a local Graph emulator seeded with a demo tenant (nothing leaves the machine).
    #[arg(long, global = true)]
    pub demo: bool,
    /// Refuse every write.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Table, global = true)]
    pub output: Output,
    /// More log detail on stderr (-v info, -vv debug).
    #[arg(long, short = 'v', action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Console: seconds between automatic re-reads of connections, sources and precedence
    /// (0: only when asked with r). The console also re-reads when its terminal regains focus.
    #[arg(long, env = "PEOPLECTL_REFRESH", value_name = "SECS", value_parser = parse_refresh, default_value = "30")]
    pub refresh: std::time::Duration,
    /// Console: start with mouse support on (click selects, the wheel scrolls); M toggles it.
    #[arg(long)]
    pub mouse: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `--refresh`: whole or fractional seconds, 0 for never.
fn parse_refresh(text: &str) -> Result<std::time::Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => {
            Ok(std::time::Duration::from_secs_f64(s))
        }
        _ => Err(format!(
            "'{text}' is not a number of seconds from 0 (never) to 86400"
        )),
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the local Microsoft Graph emulator (prints KEY=value lines to eval, then serves).
    Emulator(crate::emulator::EmulatorArgs),
    /// External connections: list, show, create, delete.
    #[command(subcommand)]
    Connections(connections::ConnectionsCmd),
    /// Profile sources: list, register a connection, remove.
    #[command(subcommand)]
    Sources(sources::SourcesCmd),
    /// The source precedence list: show, move, set, remove an entry.
    #[command(subcommand)]
    Precedence(precedence::PrecedenceCmd),
    /// One user's composed profile, and why each value won.
    #[command(subcommand)]
    Profile(profile::ProfileCmd),
    /// Remove a connector cleanly: precedence entry, profile source, connection (resumable).
    Remove(remove::RemoveArgs),
    /// Check that connections, profile sources and precedence agree.
    Doctor,
    /// Push an HR export (CSV or JSON Lines) into a connection: validated, delta-only,
    /// resumable. Exit 1 when items failed or the sync was stopped, 4 when the delete guard
    /// refused.
    Sync(sync::SyncArgs),
    /// Is it live yet? Each synced person's state on Microsoft 365: live, pending, dropped (and
    /// why), stale or not synced. Exit 0 when everyone checked is live, 3 when not.
    Propagation(propagation::PropagationArgs),
    /// Sign in as yourself (device code), see who is signed in and what that allows, sign out.
    #[command(subcommand)]
    Auth(auth::AuthCmd),
    /// Named contexts (tenants): list, add, use, remove.
    #[command(subcommand)]
    Config(config::ConfigCmd),
}

/// Two examples per command, shown at the end of its `--help` (paths are subcommand names).
const EXAMPLES: &[(&[&str], [&str; 2])] = &[
    (
        &["emulator"],
        [
            "peoplectl emulator --bind 127.0.0.1:0 > emulator.env &",
            "peoplectl emulator --users 100000 --ingest-rps 25",
        ],
    ),
    (
        &["connections"],
        [
            "peoplectl connections list",
            "peoplectl connections show contosohr -o json",
        ],
    ),
    (
        &["connections", "list"],
        [
            "peoplectl connections list",
            "peoplectl connections list -o json | jq '.[] | select(.registered | not)'",
        ],
    ),
    (
        &["connections", "show"],
        [
            "peoplectl connections show contosohr",
            "peoplectl connections show contosohr -o json",
        ],
    ),
    (
        &["connections", "create"],
        [
            "peoplectl connections create workdayhr --name 'Workday HR' --wait",
            "peoplectl connections create lms --name 'Learning' --schema preview --dry-run",
        ],
    ),
    (
        &["connections", "delete"],
        [
            "peoplectl connections delete wikiknowledge",
            "peoplectl remove contosohr   # a registered connector: precedence, source, connection",
        ],
    ),
    (
        &["sources"],
        [
            "peoplectl sources list",
            "peoplectl sources register contosohr --web-url https://hr.contoso.com --at 1",
        ],
    ),
    (
        &["sources", "list"],
        ["peoplectl sources list", "peoplectl sources list -o json"],
    ),
    (
        &["sources", "register"],
        [
            "peoplectl sources register contosohr --web-url https://hr.contoso.com",
            "peoplectl sources register lms --web-url https://lms.contoso.com --at bottom --dry-run",
        ],
    ),
    (
        &["sources", "remove"],
        [
            "peoplectl sources remove oldpayroll --dry-run",
            "peoplectl sources remove oldpayroll",
        ],
    ),
    (
        &["precedence"],
        [
            "peoplectl precedence show",
            "peoplectl precedence move contosohr --to 1",
        ],
    ),
    (
        &["precedence", "show"],
        [
            "peoplectl precedence show",
            "peoplectl precedence show -o json",
        ],
    ),
    (
        &["precedence", "move"],
        [
            "peoplectl precedence move contosohr --up",
            "peoplectl precedence move talentlegacy --to 3",
        ],
    ),
    (
        &["precedence", "set"],
        [
            "peoplectl precedence set contosohr,4ce763dd-9214-4eff-af7c-da491cc3782d",
            "peoplectl precedence set contosohr,talentlegacy --yes",
        ],
    ),
    (
        &["precedence", "remove"],
        [
            "peoplectl precedence remove benefitsportal",
            "peoplectl precedence remove --rank 5",
        ],
    ),
    (
        &["profile"],
        [
            "peoplectl profile show alex.wilber@contoso.com",
            "peoplectl profile show tomas.herrera@contoso.com --explain",
        ],
    ),
    (
        &["profile", "show"],
        [
            "peoplectl profile show alex.wilber@contoso.com",
            "peoplectl profile show tomas.herrera@contoso.com --explain -o json",
        ],
    ),
    (
        &["remove"],
        [
            "peoplectl remove talentlegacy --dry-run",
            "peoplectl remove talentlegacy --yes",
        ],
    ),
    (
        &["doctor"],
        [
            "peoplectl doctor",
            "peoplectl doctor -o json || echo \"problems: $?\"",
        ],
    ),
    (
        &["propagation"],
        [
            "peoplectl --auth device-code propagation contosohr --all",
            "peoplectl propagation contosohr --user alex.wilber@contoso.com -o json",
        ],
    ),
    (
        &["sync"],
        [
            "peoplectl sync contosohr --input hr-export.csv --mapping hr-mapping.toml --save",
            "hr-extract | peoplectl sync contosohr --input - --dry-run",
        ],
    ),
    (
        &["auth"],
        ["peoplectl auth login", "peoplectl auth status -o json"],
    ),
    (
        &["auth", "login"],
        [
            "peoplectl auth login",
            "peoplectl --context prod auth login",
        ],
    ),
    (
        &["auth", "status"],
        ["peoplectl auth status", "peoplectl --demo auth status"],
    ),
    (
        &["auth", "logout"],
        [
            "peoplectl auth logout",
            "peoplectl --context prod auth logout",
        ],
    ),
    (
        &["config"],
        ["peoplectl config list", "peoplectl config use prod"],
    ),
    (
        &["config", "list"],
        ["peoplectl config list", "peoplectl config list -o json"],
    ),
    (
        &["config", "add"],
        [
            "peoplectl config add prod --tenant contoso.onmicrosoft.com --client-id <id>",
            "peoplectl config add lab --tenant lab.example --client-id <id> --auth device-code",
        ],
    ),
    (
        &["config", "use"],
        [
            "peoplectl config use prod",
            "peoplectl --context lab doctor",
        ],
    ),
    (
        &["config", "remove"],
        ["peoplectl config remove lab", "peoplectl config list"],
    ),
];

/// The note that stands in for the global options under each subcommand.
const GLOBAL_NOTE: &str =
    "Global options (--demo, --read-only, -o/--output, -v, --context, --tenant,
--client-id, --auth, --graph-url, --authority-url, --ca-cert, --timeout, --deadline,
--connect-timeout) work here too; `peoplectl --help` lists them once.";

/// The command line as clap parses it, with help written for people: each subcommand's help
/// shows its own options, then two examples and one line about the global options, which are
/// listed once, under `peoplectl --help`, rather than repeated under every subcommand.
pub fn command() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    // Listed from a built copy, where each option's action (flag or value) is settled.
    let mut built = cmd.clone();
    built.build();
    let globals: Vec<clap::Arg> = built
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    // Hidden before clap copies them into the subcommands, so every copy is hidden too; the
    // top-level help lists them itself, once.
    for a in &globals {
        cmd = cmd.mut_arg(a.get_id(), |a| a.hide(true));
    }
    cmd = cmd.after_help(format!(
        "Global options (they work with every command):\n{}",
        render_options(&globals)
    ));
    let rules = [
        crate::people::compose::Rule::HighestRank,
        crate::people::compose::Rule::EmptyStringWins,
        crate::people::compose::Rule::NullDoesNotOverride,
        crate::people::compose::Rule::UserSourceNeverOverrides,
        crate::people::compose::Rule::OrderedUnion,
        crate::people::compose::Rule::OnlySource,
    ]
    .map(crate::vocab::rule_name)
    .join(", ");
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        let path = [name.clone()];
        cmd = cmd.mut_subcommand(&name, |s| for_people(s, &path));
    }
    cmd.mut_subcommand("profile", |p| {
        p.mut_subcommand("show", |s| {
            s.mut_arg("explain", |a| {
                let text = format!(
                    "Also show the values each winner hid, each source's contribution, and the \
                     rule that decided: {rules}."
                );
                a.long_help(crate::text::wrap(&text, 88).join("\n"))
            })
        })
    })
}

/// Options as `--help` lists them: names and value, then the help, its environment variable
/// and default.
fn render_options(args: &[clap::Arg]) -> String {
    let names = |a: &clap::Arg| -> String {
        let value = if !a.get_action().takes_values() {
            String::new()
        } else if let Some(v) = a.get_value_names() {
            v.iter().fold(String::new(), |mut out, n| {
                out.push_str(&format!(" <{n}>"));
                out
            })
        } else {
            format!(" <{}>", a.get_id().as_str().to_uppercase())
        };
        match (a.get_short(), a.get_long()) {
            (Some(s), Some(l)) => format!("-{s}, --{l}{value}"),
            (None, Some(l)) => format!("    --{l}{value}"),
            (Some(s), None) => format!("-{s}{value}"),
            (None, None) => a.get_id().to_string(),
        }
    };
    let width = args.iter().map(|a| names(a).len()).max().unwrap_or(0);
    let mut out = String::new();
    for a in args {
        let mut help = a.get_help().map(ToString::to_string).unwrap_or_default();
        let possible: Vec<String> = a
            .get_possible_values()
            .iter()
            .filter(|p| !p.is_hide_set())
            .map(|p| p.get_name().to_owned())
            .collect();
        if !possible.is_empty() {
            help.push_str(&format!(" [{}]", possible.join(", ")));
        }
        if let Some(env) = a.get_env() {
            help.push_str(&format!(" [env: {}]", env.to_string_lossy()));
        }
        let defaults: Vec<String> = a
            .get_default_values()
            .iter()
            .map(|d| d.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() && a.get_action().takes_values() {
            help.push_str(&format!(" [default: {}]", defaults.join(",")));
        }
        let lines = crate::text::wrap(&help, 96usize.saturating_sub(width + 4).max(30));
        for (i, l) in lines.iter().enumerate() {
            if i == 0 {
                out.push_str(&format!("  {:<width$}  {l}\n", names(a)));
            } else {
                out.push_str(&format!("  {:<width$}  {l}\n", ""));
            }
        }
    }
    out
}

/// A subcommand (and its own subcommands) with its examples and the note about the global
/// options at the end of its help.
fn for_people(mut cmd: clap::Command, path: &[String]) -> clap::Command {
    let mut after = String::new();
    if let Some((_, examples)) = EXAMPLES
        .iter()
        .find(|(p, _)| p.iter().copied().eq(path.iter().map(String::as_str)))
    {
        after.push_str("Examples:\n");
        for e in examples {
            after.push_str(&format!("  {e}\n"));
        }
        after.push('\n');
    }
    after.push_str(GLOBAL_NOTE);
    cmd = cmd.after_help(after);
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        let mut sub_path = path.to_vec();
        sub_path.push(name.clone());
        cmd = cmd.mut_subcommand(&name, |s| for_people(s, &sub_path));
    }
    cmd
}

/// Parses the process's arguments with [`command`] (exits with usage or help as clap does).
pub fn parse() -> Cli {
    let matches = command().get_matches();
    match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    }
}

/// What every command runs with.
pub struct Session {
    pub client: GraphClient,
    pub printer: Printer,
    pub read_only: bool,
    pub tenant_id: String,
    /// The config context in use, with its settings.
    pub context: Option<(String, crate::config::Context)>,
    /// Where the config file is (for `sync --save`).
    pub config_file: std::path::PathBuf,
    /// Where sync state lives.
    pub data_dir: std::path::PathBuf,
    /// Keeps the in-process emulator of `--demo` alive for the command's duration.
    emulator: Option<crate::emulator::EmulatorHandle>,
}

impl Session {
    /// Whether this is `--demo`'s in-process emulator (a fresh tenant per command).
    pub fn is_demo(&self) -> bool {
        self.emulator.is_some()
    }

    /// Fails with exit 4 when `--read-only` forbids a write.
    pub fn check_writable(&self, what: &str) -> Result<(), CliError> {
        if self.read_only {
            return Err(CliError::Refused(format!(
                "--read-only is set: not going to {what}"
            )));
        }
        Ok(())
    }
}

/// How a command failed, mapped to its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Failed(String),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Refused(String),
    /// Already reported on stdout/stderr; only the exit code is left to give.
    #[error("")]
    Reported(Exit),
}

impl CliError {
    fn exit(&self) -> Exit {
        match self {
            Self::Failed(_) => Exit::Error,
            Self::Usage(_) => Exit::Usage,
            Self::Refused(_) => Exit::Refused,
            Self::Reported(e) => *e,
        }
    }
}

impl From<OpsError> for CliError {
    fn from(e: OpsError) -> Self {
        match &e {
            OpsError::Conflict { expected, actual } => Self::Refused(format!(
                "{e}.\n  list when read:  {}\n  list now:        {}\nRun the command again to plan against the current list.",
                crate::text::shown(&expected.to_strings().join(", ")),
                crate::text::shown(&actual.to_strings().join(", "))
            )),
            OpsError::Invalid(_) => Self::Usage(e.to_string()),
            _ if e.is_refusal() => Self::Refused(e.to_string()),
            _ => Self::Failed(e.to_string()),
        }
    }
}

impl From<crate::graph::GraphError> for CliError {
    fn from(e: crate::graph::GraphError) -> Self {
        Self::Failed(e.to_string())
    }
}

/// Runs a parsed command line and returns its exit code.
pub async fn run(cli: Cli) -> Exit {
    // The console owns the screen: its logs go to a file instead (see `tui::logging`).
    if cli.command.is_some() {
        init_logging(cli.verbose);
    }
    let printer = Printer::new(cli.output);
    let result = match cli.command {
        None => console(&cli).await,
        Some(Command::Emulator(args)) => crate::emulator::run(args)
            .await
            .map(|()| Exit::Ok)
            .map_err(|e| CliError::Failed(e.to_string())),
        Some(Command::Auth(auth::AuthCmd::Status)) if cli.demo => auth::demo_status(printer).await,
        Some(Command::Auth(cmd)) => match Dirs::from_env() {
            Ok(dirs) => auth::run(&cli.connection, &dirs, printer, cmd).await,
            Err(e) => Err(CliError::Failed(e.to_string())),
        },
        Some(Command::Config(cmd)) => match Dirs::from_env() {
            Ok(dirs) => config::run(&cli.connection, &dirs, printer, cmd),
            Err(e) => Err(CliError::Failed(e.to_string())),
        },
        Some(Command::Sync(args)) if args.print_default_mapping => {
            Ok(sync::print_default_mapping())
        }
        Some(command) => match check_ids(&command).and_then(|()| check_csv(&command, printer)) {
            // Before signing in: a bad id costs no request and no sign-in prompt.
            Ok(()) => match session(&cli.connection, cli.demo, cli.read_only, printer).await {
                Ok(session) => dispatch(&session, command).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(exit) => exit,
        Err(e) => {
            let exit = e.exit();
            let text = e.to_string();
            if !text.is_empty() {
                output::say!("peoplectl: {text}");
            }
            exit
        }
    }
}

/// Refuses ids that cannot be Graph keys (exit 2), by the client's rules in `people::ids`:
/// connection ids by Graph's connection id rules, source ids and users by what a URL can carry.
fn check_ids(command: &Command) -> Result<(), CliError> {
    use crate::people::ids::{ConnectionId, IdError, SourceId, check_user_key};
    let usage = |e: IdError| CliError::Usage(e.to_string());
    let connection = |id: &str| ConnectionId::new(id).map(drop).map_err(usage);
    let source = |id: &str| SourceId::parse_arg(id).map(drop).map_err(usage);
    match command {
        Command::Connections(
            connections::ConnectionsCmd::Show { id } | connections::ConnectionsCmd::Delete { id },
        ) => connection(id),
        Command::Connections(connections::ConnectionsCmd::Create(args)) => connection(&args.id),
        Command::Sources(sources::SourcesCmd::Register(args)) => connection(&args.connection_id),
        Command::Sources(sources::SourcesCmd::Remove { source_id, .. }) => source(source_id),
        Command::Precedence(precedence::PrecedenceCmd::Move(args)) => source(&args.source_id),
        Command::Precedence(precedence::PrecedenceCmd::Set { ids, .. }) => {
            ids.iter().try_for_each(|id| source(id))
        }
        Command::Precedence(precedence::PrecedenceCmd::Remove {
            source_id: Some(id),
            ..
        }) => source(id),
        Command::Profile(profile::ProfileCmd::Show { upn, .. }) => {
            check_user_key(upn).map_err(usage)
        }
        // A connector's removal also clears orphan sources, whose ids need not be connection ids.
        Command::Remove(args) => source(&args.connection_id),
        Command::Sync(args) => args.connection_id.as_deref().map_or(Ok(()), connection),
        Command::Propagation(args) => connection(&args.connection_id).and_then(|()| {
            args.user
                .as_deref()
                .map_or(Ok(()), |u| check_user_key(u).map_err(usage))
        }),
        _ => Ok(()),
    }
}

/// `--output csv` is the impact list of a dry run: refused (exit 2) before anything runs for
/// every other command, so nothing is done whose result could not be printed.
fn check_csv(command: &Command, printer: Printer) -> Result<(), CliError> {
    if !printer.csv() {
        return Ok(());
    }
    let dry_run = match command {
        Command::Precedence(
            precedence::PrecedenceCmd::Set { dry_run, .. }
            | precedence::PrecedenceCmd::Remove { dry_run, .. },
        ) => *dry_run,
        Command::Precedence(precedence::PrecedenceCmd::Move(args)) => args.dry_run,
        Command::Sources(sources::SourcesCmd::Register(args)) => args.dry_run,
        Command::Remove(args) => args.dry_run,
        _ => false,
    };
    if dry_run {
        Ok(())
    } else {
        Err(CliError::Usage(output::CSV_ONLY.into()))
    }
}

async fn dispatch(session: &Session, command: Command) -> Result<Exit, CliError> {
    match command {
        Command::Emulator(_) | Command::Auth(_) | Command::Config(_) => {
            unreachable!("handled before a session is made")
        }
        Command::Connections(cmd) => connections::run(session, cmd).await,
        Command::Sources(cmd) => sources::run(session, cmd).await,
        Command::Precedence(cmd) => precedence::run(session, cmd).await,
        Command::Profile(cmd) => profile::run(session, cmd).await,
        Command::Remove(args) => remove::run(session, args).await,
        Command::Doctor => doctor::run(session).await,
        Command::Sync(args) => sync::run(session, args).await,
        Command::Propagation(args) => propagation::run(session, args).await,
    }
}

/// Bare `peoplectl`: the terminal console on the resolved connection, or on the in-process
/// demo emulator with `--demo`.
async fn console(cli: &Cli) -> Result<Exit, CliError> {
    let dirs = crate::config::Dirs::from_env().ok();
    let log = crate::tui::logging::init(dirs.as_ref().map(|d| d.data.as_path()), cli.verbose);
    let mut prompts = None;
    let config = dirs
        .as_ref()
        .and_then(|d| crate::config::ConfigFile::load(&d.config_file()).ok());
    let (client, emulator, info) = if cli.demo {
        let timeouts = cli
            .connection
            .timeouts(None, None)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let (client, handle) = connect::demo_client(timeouts)
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?;
        // Each demo is a fresh tenant: its sync state and the demo's HR export live in the
        // emulator's temp dir, which goes with it.
        let data_dir = handle
            .ca_cert_path()
            .parent()
            .map(std::path::Path::to_path_buf);
        let sync_inputs = data_dir
            .as_deref()
            .and_then(|d| crate::tui::demo_sync_inputs(d).ok())
            .unwrap_or_default();
        let info = crate::tui::state::SessionInfo {
            tenant: handle.tenant_domain().to_owned(),
            tenant_id: handle.tenant_id().to_owned(),
            context: "demo".into(),
            data_dir,
            sync_inputs,
            ..crate::tui::state::SessionInfo::default()
        };
        (client, Some(handle), info)
    } else {
        let dirs = dirs
            .as_ref()
            .ok_or_else(|| CliError::Failed("no config directory could be found".into()))?;
        let resolved = cli
            .connection
            .resolve(dirs)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        // The console owns the terminal: a device code is shown in a popup, not printed.
        let (prompt_tx, prompt_rx) = tokio::sync::mpsc::unbounded_channel();
        prompts = Some(prompt_rx);
        let sink: crate::auth::device_code::PromptSink =
            std::sync::Arc::new(move |p: &crate::auth::device_code::DeviceCodePrompt| {
                let _ = prompt_tx.send(p.clone());
            });
        let client = resolved
            .client(connect::Interaction::Prompt(sink))
            .map_err(|e| CliError::Usage(e.to_string()))?;
        // Sync inputs saved in the context (`peoplectl sync ID --input F --save`).
        let sync_inputs = match (&config, &resolved.context) {
            (Some(f), Some(name)) => f
                .config()
                .contexts
                .get(name)
                .map(|c| c.sync.clone())
                .unwrap_or_default(),
            _ => std::collections::BTreeMap::new(),
        };
        let info = crate::tui::state::SessionInfo {
            tenant: resolved.tenant_id.clone(),
            tenant_id: resolved.tenant_id.clone(),
            context: resolved
                .context
                .clone()
                .unwrap_or_else(|| "default".to_owned()),
            data_dir: Some(dirs.data.clone()),
            sync_inputs,
            ..crate::tui::state::SessionInfo::default()
        };
        (client, None, info)
    };
    let options = crate::tui::TuiOptions {
        info: crate::tui::state::SessionInfo {
            graph_host: client.host(),
            demo: cli.demo,
            read_only: cli.read_only,
            ..info
        },
        config_dir: dirs.map(|d| d.config),
        prompts,
        refresh: (!cli.refresh.is_zero()).then_some(cli.refresh),
        mouse: cli.mouse,
    };
    tracing::info!(log = ?log, demo = cli.demo, read_only = cli.read_only, "console started");
    let result = crate::tui::run(client, options).await;
    drop(emulator);
    result.map_err(|e| CliError::Failed(e.to_string()))?;
    Ok(Exit::Ok)
}

/// Connects to the tenant the flags, environment or `--demo` name.
async fn session(
    args: &ConnectionArgs,
    demo: bool,
    read_only: bool,
    printer: Printer,
) -> Result<Session, CliError> {
    let dirs = Dirs::from_env().map_err(|e| CliError::Failed(e.to_string()))?;
    if demo {
        let timeouts = args
            .timeouts(None, None)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let (client, handle) = connect::demo_client(timeouts)
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?;
        return Ok(Session {
            client,
            printer,
            read_only,
            tenant_id: handle.tenant_id().to_owned(),
            context: None,
            config_file: dirs.config_file(),
            // Each demo is a fresh tenant: its sync state must not outlive it.
            data_dir: handle
                .ca_cert_path()
                .parent()
                .map_or_else(|| dirs.data.join("demo"), std::path::Path::to_path_buf),
            emulator: Some(handle),
        });
    }
    let resolved = args
        .resolve(&dirs)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    // A device-code prompt goes to stderr, so JSON on stdout stays clean.
    let prompt: crate::auth::device_code::PromptSink =
        std::sync::Arc::new(|p| output::say!("{}", p.message));
    let client = resolved
        .client(connect::Interaction::Prompt(prompt))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let context = match &resolved.context {
        Some(name) => crate::config::ConfigFile::load(&dirs.config_file())
            .ok()
            .and_then(|f| f.config().contexts.get(name).cloned())
            .map(|c| (name.clone(), c)),
        None => None,
    };
    Ok(Session {
        client,
        printer,
        read_only,
        tenant_id: resolved.tenant_id.clone(),
        context,
        config_file: dirs.config_file(),
        data_dir: dirs.data.clone(),
        emulator: None,
    })
}

/// Logs go to stderr so stdout stays the command's output; `PEOPLECTL_LOG` / `RUST_LOG`
/// override the level.
fn init_logging(verbose: u8) {
    // rustls logs each failed handshake at error level; the Graph error already says why,
    // once, so its own lines stay out of the way unless asked for with -v.
    let default = match verbose {
        0 => "warn,rustls=off",
        1 => "info,peoplectl=info",
        _ => "debug,hyper=info,rustls=info",
    };
    let filter = std::env::var("PEOPLECTL_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| default.to_owned());
    // Colour only for a person at a terminal: a cron log or a pipe gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .try_init();
}
