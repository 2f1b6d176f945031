//! Key bindings as data: the embedded default keymap, overrides, key lookup per section.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

use super::action::Action;

/// The default keymap, embedded so the binary needs no files.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// The override file's name in the config directory.
pub const KEYMAP_FILE: &str = "keymap.toml";

/// A group of bindings: one pane's keys, the keys of every pane, of popups, or of text fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    Global,
    Connections,
    Sources,
    Precedence,
    People,
    Syncs,
    /// After `g`: where to go.
    Goto,
    /// The full-text view (then the popup keys).
    View,
    Popup,
    Input,
}

impl Section {
    /// Every section, in the order help lists them.
    pub const ALL: [Section; 10] = [
        Section::Global,
        Section::Connections,
        Section::Sources,
        Section::Precedence,
        Section::People,
        Section::Syncs,
        Section::Goto,
        Section::View,
        Section::Popup,
        Section::Input,
    ];

    /// The section's name in `keymap.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Section::Global => "global",
            Section::Connections => "connections",
            Section::Sources => "sources",
            Section::Precedence => "precedence",
            Section::People => "people",
            Section::Syncs => "syncs",
            Section::Goto => "goto",
            Section::View => "view",
            Section::Popup => "popup",
            Section::Input => "input",
        }
    }

    /// The section a `keymap.toml` table names; no others are accepted.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

/// A key with modifiers. Shift is never set for characters: `J` already says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub key: Key,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

impl KeyChord {
    /// A key with no modifiers.
    pub const fn plain(key: Key) -> Self {
        Self {
            key,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    /// A character key.
    pub const fn char(c: char) -> Self {
        Self::plain(Key::Char(c))
    }

    /// The same key with Ctrl.
    #[must_use]
    pub const fn with_ctrl(mut self) -> Self {
        self.ctrl = true;
        self
    }

    /// The same key with Shift.
    #[must_use]
    pub const fn with_shift(mut self) -> Self {
        self.shift = true;
        self
    }

    /// A crossterm key press; `None` for releases and keys we do not bind.
    pub fn from_crossterm(event: &crossterm::event::KeyEvent) -> Option<Self> {
        use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
        if event.kind == KeyEventKind::Release {
            return None;
        }
        let key = match event.code {
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab if event.modifiers.contains(KeyModifiers::SHIFT) => Key::BackTab,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Delete => Key::Delete,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            KeyCode::F(n) => Key::F(n),
            _ => return None,
        };
        let m = event.modifiers;
        Some(Self {
            key,
            ctrl: m.contains(KeyModifiers::CONTROL),
            alt: m.contains(KeyModifiers::ALT),
            shift: m.contains(KeyModifiers::SHIFT) && !matches!(key, Key::Char(_) | Key::BackTab),
        })
    }

    /// Parses the keymap syntax: `q`, `J`, `ctrl-c`, `shift-up`, `enter`, `space`, `f5`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut chord = Self::plain(Key::Esc);
        let mut rest = text;
        loop {
            // A lone "-" is the minus key, not a separator.
            if rest.len() > 1 {
                if let Some(r) = rest.strip_prefix("ctrl-") {
                    chord.ctrl = true;
                    rest = r;
                    continue;
                }
                if let Some(r) = rest.strip_prefix("alt-") {
                    chord.alt = true;
                    rest = r;
                    continue;
                }
                if let Some(r) = rest.strip_prefix("shift-") {
                    chord.shift = true;
                    rest = r;
                    continue;
                }
            }
            break;
        }
        let mut chars = rest.chars();
        chord.key = match (chars.next(), chars.next()) {
            (Some(c), None) => Key::Char(c),
            _ => match rest {
                "enter" => Key::Enter,
                "esc" => Key::Esc,
                "tab" => Key::Tab,
                "backtab" => Key::BackTab,
                "backspace" => Key::Backspace,
                "delete" => Key::Delete,
                "up" => Key::Up,
                "down" => Key::Down,
                "left" => Key::Left,
                "right" => Key::Right,
                "pgup" => Key::PageUp,
                "pgdn" => Key::PageDown,
                "home" => Key::Home,
                "end" => Key::End,
                "space" => Key::Char(' '),
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=12).contains(&n) => Key::F(n),
                    _ => return Err(format!("unknown key '{text}'")),
                },
                _ => return Err(format!("unknown key '{text}'")),
            },
        };
        if let Key::Char(c) = chord.key {
            if chord.shift {
                // "shift-j" means "J".
                chord.key = Key::Char(c.to_ascii_uppercase());
                chord.shift = false;
            }
        }
        if chord.key == Key::BackTab {
            chord.shift = false;
        }
        Ok(chord)
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        match self.key {
            Key::Char(' ') => f.write_str("space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::Enter => f.write_str("enter"),
            Key::Esc => f.write_str("esc"),
            Key::Tab => f.write_str("tab"),
            Key::BackTab => f.write_str("shift-tab"),
            Key::Backspace => f.write_str("backspace"),
            Key::Delete => f.write_str("delete"),
            Key::Up => f.write_str("up"),
            Key::Down => f.write_str("down"),
            Key::Left => f.write_str("left"),
            Key::Right => f.write_str("right"),
            Key::PageUp => f.write_str("pgup"),
            Key::PageDown => f.write_str("pgdn"),
            Key::Home => f.write_str("home"),
            Key::End => f.write_str("end"),
            Key::F(n) => write!(f, "f{n}"),
        }
    }
}

/// One binding: keys, what they do, and what help says about it.
#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: Vec<KeyChord>,
    pub action: Action,
    pub desc: String,
    /// The footer's short label, for bindings shown there.
    pub hint: Option<String>,
}

impl Binding {
    /// The keys as help shows them: `j/down`.
    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// Every section's bindings.
#[derive(Debug, Clone)]
pub struct Keymap {
    sections: BTreeMap<Section, Vec<Binding>>,
}

/// A keymap file that could not be used, naming the file and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {reason}")]
pub struct KeymapError {
    pub origin: String,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    bindings: Vec<RawBinding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    keys: Vec<String>,
    action: Action,
    desc: String,
    #[serde(default)]
    hint: Option<String>,
}

fn parse_sections(
    text: &str,
    origin: &str,
) -> Result<BTreeMap<Section, Vec<Binding>>, KeymapError> {
    let error = |reason: String| KeymapError {
        origin: origin.to_owned(),
        reason,
    };
    let raw: BTreeMap<String, RawSection> =
        toml::from_str(text).map_err(|e| error(e.to_string()))?;
    let mut out = BTreeMap::new();
    for (name, section) in raw {
        let Some(id) = Section::from_name(&name) else {
            return Err(error(format!(
                "unknown section [{name}] (known: {})",
                Section::ALL.map(Section::name).join(", ")
            )));
        };
        let mut bindings = Vec::new();
        for b in section.bindings {
            let keys = b
                .keys
                .iter()
                .map(|k| KeyChord::parse(k))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| error(format!("[{name}] {e}")))?;
            if keys.is_empty() {
                return Err(error(format!(
                    "[{name}] a binding for '{}' has no keys",
                    b.desc
                )));
            }
            bindings.push(Binding {
                keys,
                action: b.action,
                desc: b.desc,
                hint: b.hint,
            });
        }
        out.insert(id, bindings);
    }
    Ok(out)
}

impl Default for Keymap {
    fn default() -> Self {
        match parse_sections(DEFAULT_KEYMAP, "assets/keymap.toml") {
            Ok(sections) => Self { sections },
            // Invariant: the embedded file is checked by a unit test; an empty keymap still
            // leaves ctrl-c (handled before lookup) to quit.
            Err(_) => Self {
                sections: BTreeMap::new(),
            },
        }
    }
}

impl Keymap {
    /// The default keymap with the overrides of `text` applied.
    pub fn with_overrides(text: &str, origin: &str) -> Result<Self, KeymapError> {
        let mut map = Self::default();
        for (name, overrides) in parse_sections(text, origin)? {
            let section = map.sections.entry(name).or_default();
            for o in &overrides {
                for b in section.iter_mut() {
                    b.keys.retain(|k| !o.keys.contains(k));
                }
            }
            section.retain(|b| !b.keys.is_empty());
            let mut merged: Vec<Binding> = overrides
                .into_iter()
                .filter(|b| !matches!(b.action, Action::Noop))
                .collect();
            merged.append(section);
            *section = merged;
        }
        Ok(map)
    }

    /// The default keymap plus `<config dir>/keymap.toml` when it exists. A broken file is
    /// reported and the defaults are used, so a typo never locks the admin out.
    pub fn load(config_dir: Option<&Path>) -> (Self, Option<KeymapError>) {
        let Some(dir) = config_dir else {
            return (Self::default(), None);
        };
        let path = dir.join(KEYMAP_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => match Self::with_overrides(&text, &path.display().to_string()) {
                Ok(map) => (map, None),
                Err(e) => (Self::default(), Some(e)),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Self::default(), None),
            Err(e) => (
                Self::default(),
                Some(KeymapError {
                    origin: path.display().to_string(),
                    reason: e.to_string(),
                }),
            ),
        }
    }

    /// The bindings of a section (empty when it has none).
    pub fn section(&self, section: Section) -> &[Binding] {
        self.sections.get(&section).map_or(&[], Vec::as_slice)
    }

    /// The action bound to `chord` in `section`.
    pub fn lookup(&self, section: Section, chord: &KeyChord) -> Option<&Action> {
        self.section(section)
            .iter()
            .find(|b| b.keys.contains(chord))
            .map(|b| &b.action)
    }

    /// Every command the palette can run: the pane sections' and the global ones (moving,
    /// popup and field keys left out), each with the section that binds it, once per
    /// description.
    pub fn commands(&self) -> Vec<(Section, &Binding)> {
        let mut out: Vec<(Section, &Binding)> = Vec::new();
        let sections = [
            Section::Global,
            Section::Connections,
            Section::Sources,
            Section::Precedence,
            Section::People,
            Section::Syncs,
        ];
        for section in sections {
            for b in self.section(section) {
                let navigation = matches!(
                    b.action,
                    Action::Noop
                        | Action::Up
                        | Action::Down
                        | Action::PageUp
                        | Action::PageDown
                        | Action::Top
                        | Action::Bottom
                        | Action::Palette
                        | Action::Back
                        | Action::Select
                        | Action::GotoPrefix
                        | Action::Filter
                );
                let duplicate = out
                    .iter()
                    .any(|(s, o)| o.desc == b.desc && (*s == section || *s == Section::Global));
                if !navigation && !duplicate {
                    out.push((section, b));
                }
            }
        }
        out
    }

    /// The first key bound to an action with this name in `section`, for hints in text.
    pub fn key_for(&self, section: Section, pred: impl Fn(&Action) -> bool) -> Option<KeyChord> {
        self.section(section)
            .iter()
            .find(|b| pred(&b.action))
            .and_then(|b| b.keys.first().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_keymap_parses_with_every_section() {
        let map = parse_sections(DEFAULT_KEYMAP, "default").unwrap();
        for s in Section::ALL {
            assert!(map.contains_key(&s), "section {s}");
            assert!(!map[&s].is_empty(), "section {s} has bindings");
        }
        let km = Keymap::default();
        assert!(matches!(
            km.lookup(Section::Global, &KeyChord::char('q')),
            Some(Action::Quit)
        ));
        assert!(matches!(
            km.lookup(Section::Precedence, &KeyChord::plain(Key::Up).with_shift()),
            Some(Action::MoveUp)
        ));
        assert!(matches!(
            km.lookup(Section::Global, &KeyChord::char('3')),
            Some(Action::GoTo(crate::tui::action::PaneId::Precedence))
        ));
    }

    #[test]
    fn every_default_binding_has_a_description() {
        let km = Keymap::default();
        for s in Section::ALL {
            for b in km.section(s) {
                assert!(!b.desc.trim().is_empty(), "{s}: {:?}", b.keys);
            }
        }
    }

    #[test]
    fn keys_parse_and_print_back() {
        for (text, shown) in [
            ("q", "q"),
            ("J", "J"),
            ("shift-j", "J"),
            ("ctrl-c", "ctrl-c"),
            ("shift-up", "shift-up"),
            ("space", "space"),
            ("f5", "f5"),
            ("-", "-"),
            ("backtab", "shift-tab"),
        ] {
            assert_eq!(KeyChord::parse(text).unwrap().to_string(), shown, "{text}");
        }
        assert!(KeyChord::parse("hyper-x").is_err());
        assert!(KeyChord::parse("f13").is_err());
    }

    #[test]
    fn overrides_replace_keys_and_noop_unbinds() {
        let text = r#"
            [global]
            bindings = [
              { keys = ["x"], action = "quit", desc = "leave" },
              { keys = ["q"], action = "noop", desc = "unbound" },
            ]
        "#;
        let km = Keymap::with_overrides(text, "test").unwrap();
        assert!(matches!(
            km.lookup(Section::Global, &KeyChord::char('x')),
            Some(Action::Quit)
        ));
        assert!(km.lookup(Section::Global, &KeyChord::char('q')).is_none());
        // ctrl-c still quits: only the overridden key moved.
        assert!(matches!(
            km.lookup(Section::Global, &KeyChord::char('c').with_ctrl()),
            Some(Action::Quit)
        ));
    }

    #[test]
    fn a_broken_override_names_its_problem() {
        let err = Keymap::with_overrides("[nope]\nbindings = []", "k.toml").unwrap_err();
        assert!(err.to_string().contains("unknown section [nope]"), "{err}");
        let err = Keymap::with_overrides(
            "[global]\nbindings = [{ keys = [\"q\"], action = \"fly\", desc = \"x\" }]",
            "k.toml",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("k.toml:"), "{err}");
    }

    #[test]
    fn crossterm_keys_normalise_shift_on_characters() {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let ev = KeyEvent::new(KeyCode::Char('J'), KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_crossterm(&ev), Some(KeyChord::char('J')));
        let ev = KeyEvent::new(KeyCode::Up, KeyModifiers::SHIFT);
        assert_eq!(
            KeyChord::from_crossterm(&ev),
            Some(KeyChord::plain(Key::Up).with_shift())
        );
        let ev = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(
            KeyChord::from_crossterm(&ev),
            Some(KeyChord::plain(Key::BackTab))
        );
    }
}
