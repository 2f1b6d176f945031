//! Nothing lost, nothing half-done, nothing leaked: faults, kills, races and secrets.

mod emulator;
mod faults;
mod secrets;
