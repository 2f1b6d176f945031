//! The sync engine and `peoplectl sync` against the emulator.

mod demo;
mod flows;
mod lookups;
mod propagation;
