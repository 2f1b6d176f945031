//! peoplectl binary: error and logging setup, then dispatch to the CLI.
#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> std::process::ExitCode {
    // Two TLS stacks in the dependency tree would make rustls panic at first use; pick ours.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    if let Err(e) = color_eyre::install() {
        eprintln!("peoplectl: {e}");
    }
    let cli = peoplectl::cli::Cli::parse();
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
