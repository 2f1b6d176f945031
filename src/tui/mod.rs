//! The terminal console: five panes over the shared `ops` workflows, in the Elm architecture.

// One `action::Action` enum is the vocabulary (keys resolve to it through the keymap; jobs
// report with it); `update::update` is pure and returns `effect::Effect`s; the
// `effect::Runner` performs them as tokio tasks whose results come back as actions; the loop
// here drains everything pending, then draws once if something changed.

pub mod action;
pub mod app;
pub mod clock;
pub mod columns;
pub mod effect;
pub mod focus;
pub mod fuzzy;
pub mod keymap;
pub mod layout;
pub mod logging;
pub mod panes;
pub mod people_index;
pub mod popups;
pub mod profile;
pub mod propagation;
pub mod state;
pub mod strings;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod update;
pub mod widgets;

#[cfg(test)]
mod hostile;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, MouseButton, MouseEventKind};
use futures::StreamExt;

use action::{Action, MouseInput};
use app::App;
use effect::Effect;
use keymap::{KeyChord, Keymap};
use state::{SessionInfo, Status};
use theme::Theme;

use crate::auth::device_code::DeviceCodePrompt;
use crate::graph::GraphClient;

/// How the console is started.
#[derive(Debug, Default)]
pub struct TuiOptions {
    pub info: SessionInfo,
    /// Where `keymap.toml` overrides are looked for.
    pub config_dir: Option<PathBuf>,
    /// Device-code prompts from the credential, shown in a popup.
    pub prompts: Option<tokio::sync::mpsc::UnboundedReceiver<DeviceCodePrompt>>,
    /// How often the tenant is read again by itself (`None`: only when asked).
    pub refresh: Option<Duration>,
    /// Start with mouse support on.
    pub mouse: bool,
}

/// Why the console could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("the terminal console needs a terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// The demo tenant's HR export and mapping (what `peoplectl sync contosohr` reads in the demo).
const DEMO_EXPORT: &str = include_str!("../../assets/demo/hr-export.csv");
const DEMO_MAPPING: &str = include_str!("../../assets/demo/hr-mapping.toml");

/// Writes the demo's HR export and mapping into `dir` and returns them as the configured sync
/// input of `contosohr`, so "sync now" works in `--demo` with nothing to set up.
pub fn demo_sync_inputs(
    dir: &std::path::Path,
) -> std::io::Result<std::collections::BTreeMap<String, crate::config::SyncInput>> {
    let input = dir.join("hr-export.csv");
    let mapping = dir.join("hr-mapping.toml");
    // An HR export, even the demo's: private like any other.
    for (path, text) in [(&input, DEMO_EXPORT), (&mapping, DEMO_MAPPING)] {
        crate::files::write_private(path, text.as_bytes()).map_err(std::io::Error::other)?;
    }
    Ok([(
        "contosohr".to_owned(),
        crate::config::SyncInput {
            input,
            mapping: Some(mapping),
        },
    )]
    .into_iter()
    .collect())
}

/// How often time is looked at: spinners turn, "read N s ago" ages, auto-refresh comes due
/// (a tick that changes nothing draws nothing).
const TICK: Duration = Duration::from_millis(250);

/// Runs the console on this terminal until the admin quits.
pub async fn run(client: GraphClient, options: TuiOptions) -> Result<(), TuiError> {
    let theme = Theme::from_env();
    let (keymap, keymap_error) = Keymap::load(options.config_dir.as_deref());
    let (mut terminal, _guard) = terminal::enter(terminal::ColorDepth::from_env())?;
    let size = terminal.size()?;
    let mut app = App::new(
        client,
        options.info.clone(),
        Arc::new(keymap),
        theme,
        (size.width, size.height),
    );
    app.state.refresh_every = options.refresh;
    if options.mouse {
        app.state.mouse = true;
        terminal::set_mouse(true);
    }
    if let Some(e) = keymap_error {
        tracing::warn!("keymap: {e}");
        app.state.status = Some(Status {
            text: format!("keymap.toml ignored, using the defaults: {e}"),
            error: true,
        });
    }
    app.start();
    // Terminal events are read by their own task and arrive as actions on the app's channel,
    // so one queue holds everything pending and draining it is a plain try_recv.
    let reader = tokio::spawn(read_events(app.sender()));
    if let Some(mut prompts) = options.prompts {
        let tx = app.sender();
        tokio::spawn(async move {
            while let Some(p) = prompts.recv().await {
                if tx.send(Action::SignInPrompt(p)).is_err() {
                    break;
                }
            }
        });
    }
    // Continued after a stop from outside (kill -STOP, then -CONT): the screen is stale.
    #[cfg(unix)]
    {
        let tx = app.sender();
        let cont =
            tokio::signal::unix::SignalKind::from_raw(rustix::process::Signal::CONT.as_raw());
        if let Ok(mut continued) = tokio::signal::unix::signal(cont) {
            tokio::spawn(async move {
                while continued.recv().await.is_some() {
                    if tx.send(Action::Resumed).is_err() {
                        break;
                    }
                }
            });
        }
    }
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let result = loop {
        if app.state.dirty {
            if let Err(e) = terminal.draw(|f| ui::draw(f, &app.state)) {
                break Err(e.into());
            }
            app.state.dirty = false;
        }
        if app.state.quit {
            break Ok(());
        }
        let mut effects = Vec::new();
        tokio::select! {
            action = app.recv() => match action {
                Some(action) => effects.extend(app.dispatch(action)),
                None => break Ok(()),
            },
            _ = tick.tick() => effects.extend(app.dispatch(Action::Tick)),
        }
        // Drain everything already pending before drawing once.
        effects.extend(app.drain());
        if let Err(e) = terminal_effects(&mut terminal, &mut app, effects) {
            break Err(e.into());
        }
    };
    reader.abort();
    terminal::set_mouse(false);
    result
}

/// Performs what only the terminal can do.
fn terminal_effects(
    terminal: &mut terminal::Term,
    app: &mut App,
    effects: Vec<Effect>,
) -> std::io::Result<()> {
    for e in effects {
        match e {
            Effect::SetMouse(on) => terminal::set_mouse(on),
            Effect::Yank(text) => terminal::yank(&text),
            Effect::Suspend => {
                terminal::suspend(terminal, app.state.mouse)?;
                app.state.dirty = true;
            }
            Effect::Redraw => {
                terminal::resume(terminal, app.state.mouse)?;
                app.state.dirty = true;
            }
            Effect::Job { .. } | Effect::CancelSync(_) => {}
        }
    }
    Ok(())
}

/// Forwards terminal input as actions until the console's channel closes.
async fn read_events(tx: tokio::sync::mpsc::UnboundedSender<Action>) {
    let mut events = EventStream::new();
    while let Some(ev) = events.next().await {
        let action = match ev {
            Ok(TermEvent::Key(k)) => KeyChord::from_crossterm(&k).map(Action::Key),
            Ok(TermEvent::Resize(w, h)) => Some(Action::Resize(w, h)),
            Ok(TermEvent::FocusGained) => Some(Action::FocusGained),
            Ok(TermEvent::Mouse(m)) => match m.kind {
                MouseEventKind::ScrollDown => Some(Action::Mouse(MouseInput::Scroll(1))),
                MouseEventKind::ScrollUp => Some(Action::Mouse(MouseInput::Scroll(-1))),
                MouseEventKind::Down(MouseButton::Left) => {
                    Some(Action::Mouse(MouseInput::Click(m.column, m.row)))
                }
                _ => None,
            },
            Ok(_) => None,
            Err(e) => {
                tracing::error!("reading the terminal failed: {e}");
                break;
            }
        };
        if let Some(a) = action {
            if tx.send(a).is_err() {
                break;
            }
        }
    }
}
