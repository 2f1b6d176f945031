//! `peoplectl profile show UPN [--explain]`: one user's composed profile and why each value won.

use clap::Subcommand;

use super::table::{Table, terminal_width};
use super::{CliError, Exit, Printer, Session};
use crate::ops::explain::{Explanation, explain_user, summarize};
use crate::text::{fit, shown};
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
            row.push(rule_name(p.rule).into());
        }
        t.row(row);
        if explain {
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
