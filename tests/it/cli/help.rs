//! `--help` as people read it: each command's own options first, two examples, the global
//! options listed once; and the words of the CLI are the console's.

use assert_cmd::Command;

fn help(args: &[&str]) -> String {
    let out = Command::cargo_bin("peoplectl")
        .expect("binary")
        .args(args)
        .env_remove("COLUMNS")
        .output()
        .expect("run");
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn each_command_shows_its_own_options_then_two_examples_and_no_global_ones() {
    for args in [
        ["sync", "--help"].as_slice(),
        &["remove", "--help"],
        &["profile", "show", "--help"],
        &["connections", "list", "--help"],
        &["precedence", "move", "--help"],
    ] {
        let text = help(args);
        // Named in the one line about them, never listed as options here.
        assert!(!text.contains("--authority-url <"), "{args:?}:\n{text}");
        assert!(!text.contains("--graph-url <"), "{args:?}:\n{text}");
        assert!(!text.contains("--timeout <SECS>"), "{args:?}:\n{text}");
        let examples = text.split("Examples:\n").nth(1).unwrap_or_default();
        let lines: Vec<&str> = examples
            .lines()
            .take_while(|l| l.starts_with("  peoplectl") || l.starts_with("  hr-extract"))
            .collect();
        assert_eq!(lines.len(), 2, "{args:?}: two examples:\n{text}");
        let options = text.find("Options:").expect("own options");
        assert!(
            options < text.find("Examples:").expect("examples"),
            "own options first"
        );
        assert!(text.contains("peoplectl --help` lists them once"), "{text}");
    }
    // The global options are still taken after the command, as before.
    let sync = help(&["sync", "--help"]);
    assert!(
        sync.contains("--input <INPUT>") || sync.contains("--input"),
        "{sync}"
    );
}

#[test]
fn the_top_level_help_lists_the_global_options_once() {
    let text = help(&["--help"]);
    for flag in [
        "--timeout <SECS>",
        "--deadline <SECS>",
        "--context <CONTEXT>",
        "--demo",
    ] {
        assert_eq!(text.matches(flag).count(), 1, "{flag}:\n{text}");
    }
    assert!(
        text.contains("--refresh"),
        "the console's own options: {text}"
    );
}

#[test]
fn the_rule_names_in_help_are_the_ones_tables_and_the_console_use() {
    let text = help(&["profile", "show", "--help"]);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for rule in [
        peoplectl::people::compose::Rule::HighestRank,
        peoplectl::people::compose::Rule::EmptyStringWins,
        peoplectl::people::compose::Rule::OrderedUnion,
    ] {
        assert!(
            flat.contains(peoplectl::vocab::rule_name(rule)),
            "{rule:?}: {text}"
        );
    }
}
