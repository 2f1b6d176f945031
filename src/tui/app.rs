//! The console without a terminal: state, effect runner and action channel (tests drive it too).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::action::Action;
use super::effect::{Effect, Runner};
use super::keymap::Keymap;
use super::state::{AppState, SessionInfo};
use super::theme::Theme;
use super::update::{init, update};
use crate::graph::GraphClient;

/// A running console.
pub struct App {
    pub state: AppState,
    runner: Runner,
    tx: UnboundedSender<Action>,
    rx: UnboundedReceiver<Action>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

impl App {
    /// A console on `client`; nothing is read until [`App::start`].
    pub fn new(
        client: GraphClient,
        info: SessionInfo,
        keymap: Arc<Keymap>,
        theme: Theme,
        size: (u16, u16),
    ) -> Self {
        let (tx, rx) = unbounded_channel();
        let work_log = info
            .data_dir
            .as_deref()
            .map(|dir| crate::ops::stuck::WorkLog::path(dir, &info.context));
        let runner = Runner::new(client, tx.clone(), info.read_only).with_work_log(work_log);
        Self {
            state: AppState::new(info, keymap, theme, size),
            runner,
            tx,
            rx,
        }
    }

    /// Starts the first reads (identity, tenant, users).
    pub fn start(&mut self) {
        let effects = init(&mut self.state);
        self.run_effects(effects);
    }

    /// Applies an action; returns the effects only a terminal can perform (mouse capture,
    /// clipboard, suspend, redraw).
    pub fn dispatch(&mut self, action: Action) -> Vec<Effect> {
        let effects = update(&mut self.state, action);
        self.run_effects(effects)
    }

    fn run_effects(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        let mut rest = Vec::new();
        for e in effects {
            match e {
                Effect::Job { id, work } => self.runner.spawn(id, work),
                Effect::CancelSync(connection) => self.runner.cancel_sync(&connection),
                other => rest.push(other),
            }
        }
        rest
    }

    /// A sender for actions from outside (the terminal loop's event reader).
    pub fn sender(&self) -> UnboundedSender<Action> {
        self.tx.clone()
    }

    /// Waits for the next action a job reports.
    pub async fn recv(&mut self) -> Option<Action> {
        self.rx.recv().await
    }

    /// Applies every action already waiting; returns terminal effects.
    pub fn drain(&mut self) -> Vec<Effect> {
        let mut rest = Vec::new();
        while let Ok(a) = self.rx.try_recv() {
            rest.extend(self.dispatch(a));
        }
        rest
    }

    /// Applies reported actions until `done` holds or `timeout` passes; true when it held.
    /// For tests and benchmarks: waits on the condition, never on a fixed delay.
    pub async fn run_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&AppState) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if done(&self.state) {
                return true;
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(a)) => {
                    self.dispatch(a);
                }
                Ok(None) | Err(_) => return done(&self.state),
            }
        }
    }

    /// True when no job is running.
    pub fn idle(&self) -> bool {
        self.state.jobs.is_empty()
    }
}
