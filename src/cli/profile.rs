//! `peoplectl profile show UPN [--explain]`: one user's composed profile and why each value won.

use clap::Subcommand;

use super::table::{Table, terminal_width};
use super::{CliError, Exit, Printer, Session};
use crate::ops::explain::{Explanation, explain_user, summarize};
use crate::text::{fit, shown, wrap_indented};
use crate::vocab::{property_label, property_order, rule_name};

#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// Show a user's composed profile: every property, its value and winning source.
    Show {
        /// The user's UPN (or object id).
        upn: String,
        /// Also show the values each winner shadowed, the rule that decided, and each source's
        /// contribution.
        #[arg(long)]
        explain: bool,
    },
}

pub(super) async fn run(session: &Session, cmd: ProfileCmd) -> Result<Exit, CliError> {
    let ProfileCmd::Show { upn, explain } = cmd;
    let explanation = explain_user(&session.client, &upn).await?;
    session
        .printer
        .result(&explanation, || render(&explanation, explain))?;
    Ok(Exit::Ok)
}

fn text(value: &serde_json::Value) -> String {
    summarize(value)
}

fn render(e: &Explanation, explain: bool) -> String {
    let width = terminal_width();
    let mut out = format!(
        "{}{}\n",
        shown(&e.upn),
        e.display_name
            .as_ref()
            .map_or(String::new(), |n| format!("  ({})", shown(n)))
    );
    let mut t = if explain {
        Table::new(["PROPERTY", "VALUE", "SOURCE", "RULE"])
    } else {
        Table::new(["PROPERTY", "VALUE", "SOURCE"])
    };
    let mut lines: Vec<_> = e.properties.iter().collect();
    lines.sort_by_key(|p| property_order(&p.property));
    for p in lines {
        let mut row = vec![
            property_label(&p.property).to_owned(),
            text(&p.value),
            p.source.clone().unwrap_or_else(|| "-".into()),
        ];
        if explain {
            // Short in the column; the reasons are written out whole below the table.
            row.push(rule_name(p.rule).to_owned());
        }
        t.row(row);
        if explain {
            for i in &p.ignored {
                let value = if i.value.is_null() {
                    "(its value)".to_owned()
                } else {
                    text(&i.value)
                };
                t.row([
                    String::new(),
                    format!("  ignored {value}"),
                    i.source.clone(),
                    "ignored".to_owned(),
                ]);
            }
            // A lower source that agrees hides nothing worth showing.
            for s in p.shadowed.iter().filter(|s| s.value != p.value) {
                let mut row = vec![
                    String::new(),
                    format!("  hides {}", text(&s.value)),
                    s.source.clone(),
                ];
                row.push(String::new());
                t.row(row);
            }
        }
    }
    out.push_str(&Printer::table(&t));
    if explain {
        // Why each ignored source's values do not reach this profile, once per source.
        let mut why: Vec<(Option<usize>, &str, &str)> = Vec::new();
        for i in e.properties.iter().flat_map(|p| &p.ignored) {
            if !why.iter().any(|(_, s, r)| *s == i.source && *r == i.reason) {
                why.push((i.rank, &i.source, &i.reason));
            }
        }
        why.sort_by_key(|(rank, _, _)| rank.unwrap_or(usize::MAX));
        if !why.is_empty() {
            out.push_str("\nNot counted (what Microsoft 365 shows leaves these values out):\n");
            for (rank, source, reason) in why {
                let rank = rank.map_or("unranked".into(), |r| format!("rank {r}"));
                out.push_str("  ");
                out.push_str(&wrap_indented(
                    &format!("{source} ({rank}) ignored: {reason}"),
                    width.saturating_sub(2),
                    4,
                ));
                out.push('\n');
            }
        }
        out.push_str("\nSources:\n");
        for s in &e.sources {
            let rank = s.rank.map_or("unranked".into(), |r| format!("rank {r}"));
            out.push_str(&fit(
                &format!("  {} ({rank}): {} — {}", s.source, s.status, s.detail),
                width,
                "…",
            ));
            out.push('\n');
        }
    }
    out.push_str(&format!("\nProfile API: {}\n", shown(&e.profile_api)));
    for m in &e.mismatches {
        out.push_str(&format!(
            "  MISMATCH {}: expected {}, Microsoft 365 shows {}\n",
            shown(&m.property),
            shown(&text(&m.expected)),
            shown(&text(&m.actual))
        ));
    }
    out
}
