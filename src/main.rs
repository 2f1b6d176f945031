//! peoplectl binary: error and logging setup, then dispatch to the CLI.
#![forbid(unsafe_code)]

fn main() {
    println!("peoplectl {}", env!("CARGO_PKG_VERSION"));
}
