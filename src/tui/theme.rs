//! Styles and glyphs: a 16-colour palette, NO_COLOR honoured, an ASCII fallback for glyphs.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

/// What a piece of text is, so its style is chosen in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The header bar.
    Header,
    /// The READ-ONLY badge.
    Badge,
    /// The tab of the shown pane.
    TabActive,
    /// Other tabs.
    Tab,
    /// The selected row.
    Selected,
    /// A staged, not yet applied change.
    Staged,
    /// Errors and failed steps.
    Error,
    /// Warnings and flags.
    Warning,
    /// Done, healthy.
    Ok,
    /// Secondary text: shadowed values, hints.
    Dim,
    /// Key names in hints and help.
    Key,
    /// Titles and table headings.
    Heading,
    /// Plain text.
    Normal,
}

/// Glyphs with an ASCII fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyphs {
    pub ok: &'static str,
    pub fail: &'static str,
    pub warn: &'static str,
    pub staged: &'static str,
    pub arrow: &'static str,
    pub up: &'static str,
    pub down: &'static str,
    /// Columns are hidden to the left.
    pub left: &'static str,
    pub ellipsis: &'static str,
    pub sep: &'static str,
    pub bullet: &'static str,
    pub running: &'static str,
    pub spinner: [&'static str; 4],
}

const UNICODE: Glyphs = Glyphs {
    ok: "✓",
    fail: "✗",
    warn: "!",
    staged: "●",
    arrow: "→",
    up: "↑",
    down: "↓",
    left: "◂",
    ellipsis: "…",
    sep: "│",
    bullet: "•",
    running: "▶",
    spinner: ["◐", "◓", "◑", "◒"],
};

const ASCII: Glyphs = Glyphs {
    ok: "ok",
    fail: "x",
    warn: "!",
    staged: "*",
    arrow: "->",
    up: "^",
    down: "v",
    left: "<",
    ellipsis: "...",
    sep: "|",
    bullet: "-",
    running: ">",
    spinner: ["|", "/", "-", "\\"],
};

const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

/// The console's look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// False under NO_COLOR: only bold, reverse, underline and dim are used.
    pub color: bool,
    /// ASCII glyphs and borders.
    pub ascii: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Self {
            color: true,
            ascii: false,
        }
    }
}

impl Theme {
    /// From the environment: NO_COLOR (set and not empty) or a terminal without colour
    /// (`TERM=dumb`, `vt100`, ...) turns colour off; PEOPLECTL_ASCII=1, a locale that is not
    /// UTF-8, or a terminal whose font has no such glyphs (`TERM=linux`, `vt*`) picks ASCII.
    pub fn from_env() -> Self {
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
        Self::detect(
            set("NO_COLOR"),
            set("PEOPLECTL_ASCII"),
            locale.as_deref(),
            std::env::var("TERM").ok().as_deref(),
        )
    }

    /// [`Theme::from_env`] from what it reads.
    pub fn detect(no_color: bool, ascii: bool, locale: Option<&str>, term: Option<&str>) -> Self {
        let utf8 = locale.is_none_or(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("utf-8") || l.contains("utf8")
        });
        let term = term.unwrap_or_default().to_ascii_lowercase();
        // Hardware terminals and their emulations: no colour, and a character set without
        // check marks, bullets or spinner quarters.
        let hardware = term == "dumb" || (term.starts_with("vt") && !term.contains("color"));
        let console = term == "linux" || term.starts_with("cons") || term == "ansi";
        Self {
            color: !no_color && !hardware,
            ascii: ascii || !utf8 || hardware || console,
        }
    }

    /// The style of a role.
    pub fn style(&self, role: Role) -> Style {
        let s = Style::default();
        if !self.color {
            return match role {
                Role::Header | Role::TabActive | Role::Selected => {
                    s.add_modifier(Modifier::REVERSED)
                }
                Role::Badge => s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
                Role::Staged => s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                Role::Error | Role::Heading | Role::Key => s.add_modifier(Modifier::BOLD),
                Role::Dim => s.add_modifier(Modifier::DIM),
                Role::Warning | Role::Ok | Role::Tab | Role::Normal => s,
            };
        }
        match role {
            Role::Header => s.fg(Color::White).bg(Color::Blue),
            Role::Badge => s
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            Role::TabActive => s
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            Role::Tab | Role::Normal => s,
            Role::Selected => s.add_modifier(Modifier::REVERSED),
            Role::Staged => s.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Role::Error => s.fg(Color::Red),
            Role::Warning => s.fg(Color::Yellow),
            Role::Ok => s.fg(Color::Green),
            Role::Dim => s.fg(Color::DarkGray),
            Role::Key => s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Role::Heading => s.add_modifier(Modifier::BOLD),
        }
    }

    /// The glyph set.
    pub fn glyphs(&self) -> &'static Glyphs {
        if self.ascii { &ASCII } else { &UNICODE }
    }

    /// The border set.
    pub fn border(&self) -> border::Set<'static> {
        if self.ascii {
            ASCII_BORDER
        } else {
            border::PLAIN
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_uses_modifiers_only() {
        let theme = Theme {
            color: false,
            ascii: true,
        };
        for role in [
            Role::Header,
            Role::Badge,
            Role::TabActive,
            Role::Selected,
            Role::Staged,
            Role::Error,
            Role::Warning,
            Role::Ok,
            Role::Dim,
            Role::Key,
            Role::Heading,
        ] {
            let s = theme.style(role);
            assert_eq!(s.fg, None, "{role:?}");
            assert_eq!(s.bg, None, "{role:?}");
        }
        assert!(theme.glyphs().ok.is_ascii());
        assert!(theme.border().top_left.is_ascii());
    }

    #[test]
    fn the_terminal_and_locale_choose_colour_and_glyphs() {
        let utf8 = Some("en_US.UTF-8");
        let xterm = Theme::detect(false, false, utf8, Some("xterm-256color"));
        assert!(xterm.color && !xterm.ascii);
        let vt100 = Theme::detect(false, false, utf8, Some("vt100"));
        assert!(!vt100.color && vt100.ascii, "{vt100:?}");
        let linux = Theme::detect(false, false, utf8, Some("linux"));
        assert!(linux.color && linux.ascii, "{linux:?}");
        assert!(Theme::detect(false, false, Some("C"), Some("xterm")).ascii);
        assert!(
            !Theme::detect(true, false, utf8, Some("xterm")).color,
            "NO_COLOR"
        );
        assert!(
            Theme::detect(false, true, utf8, Some("xterm")).ascii,
            "PEOPLECTL_ASCII"
        );
    }

    #[test]
    fn colour_stays_in_the_16_colour_palette() {
        let theme = Theme::default();
        for role in [
            Role::Header,
            Role::Badge,
            Role::Staged,
            Role::Error,
            Role::Dim,
        ] {
            let s = theme.style(role);
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "{role:?} {c:?}"
                );
            }
        }
    }
}
