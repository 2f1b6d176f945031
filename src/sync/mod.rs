//! HR export -> external items: readers, mapping, validation, users, state, planner, executor, report.

pub mod control;
pub mod mapping;
pub mod reader;
pub mod state;
