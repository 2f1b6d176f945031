//! The emulator's Graph contract, over raw HTTP (graph-api.md section by section).

mod admin;
mod auth;
mod conformance;
mod connections;
mod differential;
mod items;
mod paging;
mod precedence_rules;
mod profile;
mod profile_api;
mod propagation;
mod runtime;
mod users;
mod walkthrough;
