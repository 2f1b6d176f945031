//! Cross-checks of the three lists, and stuck work (`stuck.rs`): every way they can disagree or
//! hang, with a severity and the exact command that fixes it.

use serde::Serialize;

use super::snapshot::Snapshot;
use super::stuck;
use crate::graph::connections::ConnectionState;
use crate::people::ids::SourceId;
use crate::people::precedence::Problem as ListProblem;
use crate::people::schema::Contract;
use crate::people::source_url::{ENTRA_SOURCE_ID, builtin_source};
use crate::text::CommandLine;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// Profiles are wrong or a connector's data is ignored.
    Error,
    /// Likely unintended, not yet harmful.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// The word shown in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// Stable machine-readable code.
    pub code: &'static str,
    pub severity: Severity,
    /// The connection, source or entry concerned.
    pub subject: String,
    pub message: String,
    /// The command that fixes it.
    pub fix: String,
    /// What the console does to fix it (through the same ops code as the CLI's fix).
    #[serde(skip)]
    pub action: FixAction,
}

/// The console's fix for a problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixAction {
    /// Remove every precedence entry naming this source (read-compare-write).
    RemovePrecedenceEntry(SourceId),
    /// Remove the precedence entry at this 1-based rank.
    RemovePrecedenceRank(usize),
    /// Put Microsoft Entra ID back in the list, last.
    AddEntra,
    /// Register this connection as a profile source and rank it.
    Register(String),
    /// Remove this profile source (and its precedence entry).
    RemoveSource(String),
    /// Open this connection's detail (schema, the failed operation's error).
    ShowConnection(String),
    /// Nothing the console can do: the `fix` command is the way (e.g. recreate a connection).
    Command,
}

impl FixAction {
    /// The console's words for it.
    pub fn label(&self) -> String {
        match self {
            Self::RemovePrecedenceEntry(id) => format!("remove '{id}' from the precedence list"),
            Self::RemovePrecedenceRank(rank) => {
                format!("remove precedence entry {rank}")
            }
            Self::AddEntra => "add Microsoft Entra ID to the precedence list".into(),
            Self::Register(id) => format!("register '{id}' as a profile source and rank it"),
            Self::RemoveSource(id) => format!("remove profile source '{id}'"),
            Self::ShowConnection(id) => format!("open connection '{id}' (schema, errors)"),
            Self::Command => "run the command below in a shell".into(),
        }
    }
}

/// The console's fix for a problem, from its code and subject.
fn action_for(p: &Problem, snapshot: &Snapshot) -> FixAction {
    let list = snapshot.list();
    match p.code {
        "schemaNotReady"
        | "schemaUnreadable"
        | "schemaProvisioning"
        | "schemaOperationStuck"
        | "draftStuck" => FixAction::ShowConnection(p.subject.clone()),
        "notRegistered" | "notRanked" => FixAction::Register(p.subject.clone()),
        "orphanSource" => FixAction::RemoveSource(p.subject.clone()),
        "entraMissing" => FixAction::AddEntra,
        "danglingEntry" => SourceId::new(p.subject.clone())
            .map_or(FixAction::Command, FixAction::RemovePrecedenceEntry),
        "duplicateEntry" => SourceId::new(p.subject.clone())
            .ok()
            .and_then(|id| {
                // The later duplicates never count; remove the second one.
                list.entries()
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.source_id() == Some(&id))
                    .nth(1)
                    .map(|(i, _)| FixAction::RemovePrecedenceRank(i + 1))
            })
            .unwrap_or(FixAction::Command),
        "unrecognisedEntry" => list
            .entries()
            .iter()
            .position(|e| e.as_str() == p.subject)
            .map_or(FixAction::Command, |i| {
                FixAction::RemovePrecedenceRank(i + 1)
            }),
        _ => FixAction::Command,
    }
}

/// Every problem in a snapshot, errors first.
pub fn diagnose(snapshot: &Snapshot) -> Vec<Problem> {
    let mut problems = Vec::new();
    check_connections(snapshot, &mut problems);
    stuck::check(snapshot, &mut problems);
    check_sources(snapshot, &mut problems);
    check_precedence(snapshot, &mut problems);
    problems.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.subject.cmp(&b.subject)));
    for p in &mut problems {
        p.action = action_for(p, snapshot);
    }
    problems
}

fn check_connections(snapshot: &Snapshot, out: &mut Vec<Problem>) {
    for view in &snapshot.connections {
        let c = &view.connection;
        let id = c.id.as_str();
        if deleted_by_us(snapshot, id) {
            // Being deleted: `stuck::check` says so, and nothing else about it matters now.
            continue;
        }
        let registered = snapshot.source(id).is_some();
        let people = view.is_people() || registered;
        if !people {
            continue;
        }
        if c.state == ConnectionState::Draft && view.schema.is_none() {
            out.push(stuck::check_draft(view, snapshot.work.as_ref()));
        }
        if let Some(err) = &view.schema_error {
            out.push(Problem {
                action: FixAction::Command,
                code: "schemaUnreadable",
                severity: Severity::Warning,
                subject: id.to_owned(),
                message: format!("the schema of '{id}' could not be read: {err}"),
                fix: CommandLine::peoplectl(["connections", "show"])
                    .operand(id)
                    .to_string(),
            });
        }
        if !c.is_people() {
            out.push(Problem {
                action: FixAction::Command,
                code: "notPeopleCategory",
                severity: Severity::Error,
                subject: id.to_owned(),
                message: format!(
                    "connection '{id}' feeds profiles but its contentCategory is {}, not people; the current people-connector contract needs people, and contentCategory cannot be changed after creation",
                    c.content_category.as_deref().unwrap_or("unset")
                ),
                fix: recreate(&format!("{id}v2"), &c.name, Some(id)),
            });
        }
        if view.schema.is_some() && view.contract != Contract::Labels {
            let (message, code) = match view.contract {
                Contract::Preview => (
                    format!(
                        "connection '{id}' uses the 2025 preview contract (fixed property names, no personAccount label); the service now expects labelled properties"
                    ),
                    "previewContract",
                ),
                Contract::Draft2025 => (
                    format!(
                        "connection '{id}' uses the June 2025 draft contract (connectionId/oid/accounts), which the service no longer reads"
                    ),
                    "draftContract",
                ),
                _ => (
                    format!(
                        "the schema of '{id}' has no property labelled personAccount, so the service cannot tie its items to people"
                    ),
                    "noPersonAccount",
                ),
            };
            out.push(Problem {
                action: FixAction::Command,
                code,
                severity: Severity::Error,
                subject: id.to_owned(),
                message,
                fix: recreate(&format!("{id}v2"), &c.name, Some(id)),
            });
        }
        for problem in &view.schema_problems {
            out.push(Problem {
                action: FixAction::Command,
                code: "schemaProblem",
                severity: Severity::Error,
                subject: id.to_owned(),
                message: format!("the schema of '{id}': {problem}"),
                fix: recreate(&format!("{id}v2"), &c.name, Some(id)),
            });
        }
        if !registered {
            out.push(Problem {
                action: FixAction::Command,
                code: "notRegistered",
                severity: Severity::Warning,
                subject: id.to_owned(),
                message: format!(
                    "people connection '{id}' is not registered as a profile source, so its data never reaches profiles"
                ),
                fix: CommandLine::peoplectl(["sources", "register"])
                    .operand(id)
                    .option("--web-url", "https://<your HR system>")
                    .to_string(),
            });
        } else if snapshot.rank_of(id).is_none() {
            let url = snapshot
                .source(id)
                .and_then(|s| s.web_url.clone())
                .unwrap_or_else(|| "https://<your HR system>".into());
            out.push(Problem {
                action: FixAction::Command,
                code: "notRanked",
                severity: Severity::Warning,
                subject: id.to_owned(),
                message: format!(
                    "profile source '{id}' is registered but not in the precedence list, so it ranks below every listed source"
                ),
                fix: CommandLine::peoplectl(["sources", "register"])
                    .operand(id)
                    .option("--web-url", url)
                    .option("--at", "top")
                    .to_string(),
            });
        }
    }
}

/// True when peoplectl deleted this connection (Graph may list it for a while).
fn deleted_by_us(snapshot: &Snapshot, id: &str) -> bool {
    snapshot
        .work
        .as_ref()
        .is_some_and(|w| w.log.deleted_at(id).is_some())
}

fn check_sources(snapshot: &Snapshot, out: &mut Vec<Problem>) {
    for s in &snapshot.sources {
        let id = s.source_id.as_str();
        let builtin = SourceId::new(id)
            .ok()
            .and_then(|i| builtin_source(&i))
            .is_some();
        if builtin || snapshot.connection(id).is_some() {
            continue;
        }
        let ranked = snapshot.rank_of(id).map_or(String::new(), |r| {
            format!(" It is still ranked {r} in the precedence list.")
        });
        out.push(Problem {
            action: FixAction::Command,
            code: "orphanSource",
            severity: Severity::Warning,
            subject: id.to_owned(),
            message: format!(
                "profile source '{id}' names no existing connection (its connector was removed only in part).{ranked}"
            ),
            fix: CommandLine::peoplectl(["remove"]).operand(id).to_string(),
        });
    }
}

fn check_precedence(snapshot: &Snapshot, out: &mut Vec<Problem>) {
    let Some(setting) = &snapshot.precedence else {
        out.push(Problem {
            action: FixAction::Command,
            code: "noPrecedenceSetting",
            severity: Severity::Info,
            subject: "precedence".into(),
            message: "the tenant has no source precedence setting; Microsoft's default order applies (connectors, Entra ID, Organizational data)".into(),
            fix: CommandLine::peoplectl(["sources", "register"])
                .operand("<connection>")
                .option("--web-url", "https://<your HR system>")
                .comment("creates it")
                .to_string(),
        });
        return;
    };
    let registered = snapshot.registered_ids();
    for problem in setting.list.validate(&registered) {
        let p = match problem {
            ListProblem::EntraMissing => Problem {
                action: FixAction::Command,
                code: "entraMissing",
                severity: Severity::Error,
                subject: "precedence".into(),
                message: "Microsoft Entra ID is not in the precedence list".into(),
                fix: CommandLine::peoplectl(["precedence", "set"])
                    .operand(ids_with_entra(snapshot))
                    .to_string(),
            },
            ListProblem::Duplicate { source_id, indices } => Problem {
                action: FixAction::Command,
                code: "duplicateEntry",
                severity: Severity::Warning,
                subject: source_id.to_string(),
                message: format!(
                    "source '{source_id}' is listed {} times (ranks {}); only the first counts",
                    indices.len(),
                    ranks(&indices)
                ),
                fix: CommandLine::peoplectl(["precedence", "move"])
                    .operand(source_id.as_str())
                    .option("--to", (indices[0] + 1).to_string())
                    .to_string(),
            },
            ListProblem::Unregistered { index, source_id } => Problem {
                action: FixAction::Command,
                code: "danglingEntry",
                severity: Severity::Error,
                subject: source_id.to_string(),
                message: format!(
                    "precedence entry {} names source '{source_id}', which is not a registered profile source",
                    index + 1
                ),
                fix: CommandLine::peoplectl(["precedence", "remove"])
                    .operand(source_id.as_str())
                    .to_string(),
            },
            ListProblem::Unrecognised { index, url } => Problem {
                action: FixAction::Command,
                code: "unrecognisedEntry",
                severity: Severity::Info,
                subject: url.clone(),
                message: format!(
                    "precedence entry {} ({url}) names no profile source peoplectl recognises; it is kept as it is",
                    index + 1
                ),
                fix: CommandLine::peoplectl(["precedence", "remove"])
                    .option("--rank", (index + 1).to_string())
                    .to_string(),
            },
        };
        out.push(p);
    }
}

fn ranks(indices: &[usize]) -> String {
    indices
        .iter()
        .map(|i| (i + 1).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The current list's source ids with Entra ID appended, for the fix of a missing Entra entry.
fn ids_with_entra(snapshot: &Snapshot) -> String {
    let mut ids: Vec<String> = snapshot
        .list()
        .entries()
        .iter()
        .filter_map(|e| e.source_id().map(|s| s.as_str().to_owned()))
        .collect();
    ids.push(ENTRA_SOURCE_ID.to_owned());
    ids.join(",")
}

/// The command that creates connection `id` anew with a labelled schema; with `then_remove`,
/// a note to move the data and remove that old connection.
pub(super) fn recreate(id: &str, name: &str, then_remove: Option<&str>) -> String {
    let mut c = CommandLine::peoplectl(["connections", "create"])
        .operand(id)
        .option("--name", name)
        .option("--schema", "labels")
        .flag("--wait");
    if let Some(old) = then_remove {
        c = c.comment(format!(
            "then sync into it and: {}",
            CommandLine::peoplectl(["remove"]).operand(old)
        ));
    }
    c.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recreate_quotes_every_argument() {
        assert_eq!(
            recreate("hrv2", "Contoso HR (Workday)", Some("hr")),
            "peoplectl connections create hrv2 --name 'Contoso HR (Workday)' --schema labels --wait   # then sync into it and: peoplectl remove hr"
        );
    }
}
