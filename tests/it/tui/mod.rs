//! The console: rendered panes, headless flows, and the real binary in tmux.

mod e2e;
mod flows;
mod snapshots;
