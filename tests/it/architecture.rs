//! The house's dependency rules, checked on the source: `people/` stays pure, the emulator shares
//! no code with the client it stands in for, and the console's panes draw without updating.

use std::path::Path;

/// Every `.rs` file below `src/<dir>`, with its path relative to `src/`.
fn sources(dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    // A single file is a directory of one.
    let mut stack = vec![root.join(dir)];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = relative(&root, &path);
            out.push((name, expand_groups(&code_only(&text))));
        }
    }
    assert!(!out.is_empty(), "no sources under src/{dir}");
    out
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

/// The code of a Rust file without comments and string literals, so a word in a doc comment or
/// a message is not mistaken for a path.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |end| end + 2);
        } else if rest.starts_with("r#\"") {
            i += rest.find("\"#").map_or(rest.len(), |end| end + 2).max(3);
        } else if bytes[i] == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if bytes[i] == b'\'' && rest.len() >= 3 && rest.as_bytes()[2] == b'\'' {
            // A char literal such as '"' would otherwise open a string.
            i += 3;
        } else {
            let ch = rest.chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The code with each `crate::{a::b, c}` group also written out as `crate::a::b crate::c`, so a
/// grouped import is seen as the paths it names.
fn expand_groups(code: &str) -> String {
    let mut out = code.to_owned();
    let mut rest = code;
    while let Some(at) = rest.find("crate::{") {
        let inner = &rest[at + "crate::{".len()..];
        let mut depth = 1;
        let mut item = String::new();
        let mut items = Vec::new();
        for ch in inner.chars() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                break;
            }
            if ch == ',' && depth == 1 {
                items.push(std::mem::take(&mut item));
            } else if !ch.is_whitespace() {
                item.push(ch);
            }
        }
        items.push(item);
        for item in items.iter().filter(|i| !i.is_empty()) {
            out.push_str(&format!("\ncrate::{item}"));
        }
        rest = inner;
    }
    out
}

/// Files under `src/<dir>` whose code names any of `forbidden`, with the name found.
fn offenders(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, code) in sources(dir) {
        for word in forbidden {
            if code.contains(word) {
                found.push(format!("{name} uses {word}"));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn people_is_pure_rules_without_io_async_or_ui() {
    let found = offenders(
        "people",
        &[
            "tokio::",
            "reqwest::",
            "axum::",
            "ratatui::",
            "crossterm::",
            "std::fs",
            "std::net",
            "std::process",
            "crate::graph",
            "crate::ops",
            "crate::sync",
            "crate::tui",
            "crate::cli",
            "crate::emulator",
        ],
    );
    assert!(found.is_empty(), "people/ must stay pure: {found:#?}");
}

#[test]
fn the_emulator_shares_no_code_with_the_client_it_stands_in_for() {
    let found = offenders(
        "emulator",
        &[
            "crate::graph",
            "crate::ops",
            "crate::sync",
            "crate::tui",
            "crate::cli",
            "crate::auth",
            "crate::config",
        ],
    );
    assert!(
        found.is_empty(),
        "the emulator must not use the client's code (a shared rule passes every test): {found:#?}"
    );
}

#[test]
fn the_library_below_the_console_and_cli_knows_neither() {
    for dir in ["people", "graph", "auth", "ops", "sync"] {
        let found = offenders(
            dir,
            &["crate::tui", "crate::cli", "ratatui::", "crossterm::"],
        );
        assert!(
            found.is_empty(),
            "{dir}/ must not depend on a front end: {found:#?}"
        );
    }
}

#[test]
fn the_console_draws_without_updating_and_updates_without_io() {
    // Panes and popups draw from the state; deciding is `update`'s job.
    for dir in ["tui/panes", "tui/popups"] {
        let found = offenders(dir, &["update::", "crate::tui::update", "GraphClient"]);
        assert!(found.is_empty(), "{dir}/ must only draw: {found:#?}");
    }
    // Geometry is pure: shared by `update` (mouse hits) and the view without either.
    let layout = offenders(
        "tui/layout.rs",
        &[
            "ratatui::widgets",
            "ratatui::Frame",
            "Frame<",
            "super::ui",
            "super::update",
        ],
    );
    assert!(
        layout.is_empty(),
        "tui/layout.rs must stay geometry: {layout:#?}"
    );
    // `update` is pure: no client, no tasks, no files, no terminal.
    let update = offenders(
        "tui/update",
        &[
            "GraphClient",
            "tokio::",
            "std::fs",
            "crossterm::",
            "super::ui",
        ],
    );
    assert!(update.is_empty(), "tui/update must stay pure: {update:#?}");
    // Only the app, the effect runner and the entry point that builds them hold the client.
    let holders: Vec<String> = sources("tui")
        .into_iter()
        .filter(|(_, code)| code.contains("GraphClient"))
        .map(|(name, _)| name)
        .filter(|name| !["tui/app.rs", "tui/effect.rs", "tui/mod.rs"].contains(&name.as_str()))
        .collect();
    assert!(
        holders.is_empty(),
        "the Graph client leaked into {holders:?}"
    );
}

#[test]
fn the_scanner_sees_code_not_comments_or_strings() {
    let code = code_only(
        "// tokio::spawn\n/* reqwest::get */ let s = \"axum::Router\"; let c = '\"'; use std::fs;\n",
    );
    assert!(!code.contains("tokio::") && !code.contains("reqwest::") && !code.contains("axum::"));
    assert!(code.contains("use std::fs;"), "{code}");
    let grouped = expand_groups("use crate::{graph::GraphClient, people::{ids, item}};");
    assert!(grouped.contains("crate::graph::GraphClient"), "{grouped}");
    assert!(grouped.contains("crate::people::{ids,item}"), "{grouped}");
}
