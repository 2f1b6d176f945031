//! Hostile names created through Graph reach neither the admin's terminal nor their shell: the
//! CLI's tables and JSON, doctor's pasted fix line, and the real console under tmux. The
//! scenarios are in `support::hostile`, which `examples/reliability.rs` reruns for the README.
#![cfg(unix)]

use crate::support::hostile::{self, HOSTILE, PANES, TABLE_WIDTH, raw_controls};

use std::path::Path;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_peoplectl");

/// Fails when `stream` holds anything a terminal would act on (line feeds are ours).
fn assert_inert(what: &str, stream: &[u8]) {
    if let Some(c) = raw_controls(stream).first() {
        panic!(
            "{what} printed U+{:04X} raw:\n{}",
            u32::from(*c),
            String::from_utf8_lossy(stream)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn read_commands_show_hostile_names_inertly_in_tables_and_exactly_in_json() {
    let reads = hostile::read_commands(Path::new(BIN)).await;
    assert_eq!(reads.len(), hostile::READ_COMMANDS.len());
    for r in &reads {
        let what = r.args.join(" ");
        let code = r.table.status.code().unwrap();
        assert!(
            code == 0 || code == 3,
            "{what} exited {code}: {:?}",
            r.table
        );
        assert_inert(&what, &r.table.stdout);
        assert_inert(&what, &r.table.stderr);
        // Into a pipe a table is never cut (a cut would lose data for good): the name is
        // there whole, in its inert form. Cutting to a terminal's width is the table's own
        // unit tests' job, hostile cells included.
        if r.is_table() {
            let whole = peoplectl::text::shown(HOSTILE);
            let table = String::from_utf8_lossy(&r.table.stdout);
            assert!(!table.contains('…'), "{what}: {table}");
            // The precedence list does not hold the hostile objects; the other lists name them.
            if r.args[0] != "precedence" {
                assert!(table.contains(whole.as_ref()), "{what}: {table}");
                assert!(
                    r.widest_line() > TABLE_WIDTH,
                    "{what}: wider than a terminal"
                );
            }
        }

        assert_inert(&format!("{what} -o json"), &r.json.stdout);
        r.doc()
            .unwrap_or_else(|e| panic!("{what} -o json is not JSON ({e}): {:?}", r.json));
        if matches!(r.args[0], "connections" | "sources") {
            assert_eq!(
                r.keeps_the_name(),
                Some(true),
                "{what}: the name is kept exactly"
            );
        }
        assert_eq!(r.raw_controls(), 0, "{what}: {:?} {:?}", r.table, r.json);
    }

    let show = reads
        .iter()
        .find(|r| r.args == ["connections", "show", "evilconn"])
        .unwrap();
    let table = String::from_utf8(show.table.stdout.clone()).unwrap();
    assert!(table.contains("Contoso ␛]52;c;Y3Vy"), "{table}");
    assert!(table.contains("\\u{202e}RH\\u{9b}31m"), "{table}");

    let doc: Value = show.doc().unwrap();
    assert_eq!(doc["name"], HOSTILE, "JSON round-trips the exact name");
    let raw = String::from_utf8(show.json.stdout.clone()).unwrap();
    assert!(raw.contains("\\u202e") && raw.contains("\\u009b"), "{raw}");
}

/// The doctor case of issue 14: the printed fix line, pasted into `sh` with `peoplectl` being
/// a recorder, hands over exactly the id and runs nothing else.
#[tokio::test(flavor = "multi_thread")]
async fn doctors_fix_line_pasted_into_sh_runs_exactly_the_intended_command() {
    let o = hostile::doctor_fix_pasted(Path::new(BIN)).await;
    assert_eq!(o.pastes.len(), 2);
    for p in &o.pastes {
        let fix = &p.fix;
        assert!(
            p.in_table,
            "the table prints the same line as JSON's fix: {fix}\n{}",
            o.table
        );
        assert!(p.sh.status.success(), "{fix}: {:?}", p.sh);
        assert_eq!(p.argv, p.want, "{fix}");
        assert_eq!(
            shell_words::split(fix).unwrap(),
            std::iter::once("peoplectl".to_owned())
                .chain(p.want.iter().cloned())
                .collect::<Vec<_>>()
        );
    }
    assert!(!o.planted_ran, "pasting the fix ran the id's command");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_under_tmux_neither_sets_the_clipboard_nor_the_title() {
    let o = hostile::console_under_tmux(Path::new(BIN)).await;
    // The check can fail: the same tmux takes a raw OSC 52 and title into a buffer and the title.
    assert!(!o.control_buffers.is_empty(), "tmux took no OSC 52 at all");
    assert_eq!(o.control_title, "pwned");

    assert_eq!(o.runs.len(), 2);
    for run in &o.runs {
        assert!(run.first.contains("evilconn") && run.first.contains("Contoso ␛]"));
        assert!(run.first.lines().count() <= usize::from(run.size.1));
        assert_eq!(run.panes.len(), PANES.len());
        for ((_, shows), screen) in PANES.iter().zip(&run.panes) {
            assert!(screen.contains(shows), "{screen}");
            assert!(!screen.contains("pwned\n"), "{screen}");
        }
        assert_eq!(
            run.buffers, "",
            "the console put something in the clipboard"
        );
        assert_eq!(
            run.title_after, run.title_before,
            "the console retitled the window"
        );
        assert!(!run.title_after.contains("pwned"));
        assert!(run.last.contains("Contoso ␛]"), "{}", run.last);
    }
}
