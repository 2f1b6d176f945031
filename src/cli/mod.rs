//! The command line: clap definitions and one module per command group.
