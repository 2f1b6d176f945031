//! peoplectl binary: error and logging setup, then dispatch to the CLI.
#![forbid(unsafe_code)]

use std::io::IsTerminal;

fn main() -> std::process::ExitCode {
    // Two TLS stacks in the dependency tree would make rustls panic at first use; pick ours.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    // Colours only for a person at a terminal: a panic in a cron log or a pipe must be plain
    // text, not escape sequences.
    let coloured = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let theme = if coloured {
        color_eyre::config::Theme::dark()
    } else {
        color_eyre::config::Theme::new()
    };
    if let Err(e) = color_eyre::config::HookBuilder::default()
        .theme(theme)
        .install()
    {
        eprintln!("peoplectl: {e}");
    }
    // Tests need a panic to check how one is shown; release builds never honour this, and it
    // is no flag so that it stays out of --help.
    #[cfg(debug_assertions)]
    assert!(
        std::env::var_os("PEOPLECTL_DEBUG_PANIC").is_none(),
        "panic requested by PEOPLECTL_DEBUG_PANIC (debug builds only)"
    );
    let cli = peoplectl::cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("peoplectl: cannot start the async runtime: {e}");
            return peoplectl::cli::Exit::Error.into();
        }
    };
    runtime.block_on(peoplectl::cli::run(cli)).into()
}
