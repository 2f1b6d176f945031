//! Taking the terminal over and always giving it back (on return, on error, on panic and on
//! Ctrl-Z), speaking only the colours it announces, and the clipboard over OSC 52.

use std::io::{Stdout, Write, stdout};

use base64::Engine;
use crossterm::event::{
    DisableFocusChange, DisableMouseCapture, EnableFocusChange, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::Color;

/// The console's terminal.
pub type Term = Terminal<Palette<Stdout>>;

/// Restores the terminal when dropped.
#[derive(Debug)]
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back: cooked mode, main screen, no mouse capture or focus reports,
/// cursor shown.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        DisableFocusChange,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Enters raw mode and the alternate screen, and installs a panic hook that restores the
/// terminal before the panic message is printed.
pub fn enter(depth: ColorDepth) -> std::io::Result<(Term, Guard)> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    enable_raw_mode()?;
    let guard = Guard;
    // Focus reports let the console re-read the tenant when the admin comes back to it.
    execute!(stdout(), EnterAlternateScreen, EnableFocusChange)?;
    let terminal = Terminal::new(Palette {
        inner: CrosstermBackend::new(stdout()),
        depth,
    })?;
    Ok((terminal, guard))
}

/// Turns mouse capture on or off.
pub fn set_mouse(on: bool) {
    let _ = if on {
        execute!(stdout(), EnableMouseCapture)
    } else {
        execute!(stdout(), DisableMouseCapture)
    };
}

/// Ctrl-Z: gives the terminal back, stops the process group as the terminal's own Ctrl-Z
/// would (SIGTSTP), and once continued (`fg`) takes the terminal again and redraws it whole.
pub fn suspend(terminal: &mut Term, mouse: bool) -> std::io::Result<()> {
    restore();
    #[cfg(unix)]
    {
        use rustix::process::{Signal, kill_current_process_group};
        // Returns once the shell continues us; ignored (returns at once) where no shell does
        // job control.
        kill_current_process_group(Signal::TSTP).map_err(std::io::Error::from)?;
    }
    resume(terminal, mouse)
}

/// Takes the terminal again after a stop, and clears it so the next draw is whole.
pub fn resume(terminal: &mut Term, mouse: bool) -> std::io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableFocusChange)?;
    if mouse {
        set_mouse(true);
    }
    terminal.clear()
}

/// The OSC 52 "set clipboard" sequence for `text`: the only escape sequence the console
/// writes with text in it. The text is sanitised here (controls, escapes, bidi and invisible
/// characters shown inertly, line feeds kept) and only its base64 goes out, so nothing the
/// text holds can end the sequence or reach the terminal as a command.
pub fn osc52(text: &str) -> String {
    let clean = crate::text::shown_lines(text);
    let b64 = base64::engine::general_purpose::STANDARD.encode(clean.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

/// Puts `text` on the clipboard of the terminal the admin sits at (over SSH too).
pub fn yank(text: &str) {
    let mut out = stdout();
    let _ = out.write_all(osc52(text).as_bytes());
    let _ = out.flush();
}

/// How many colours the terminal announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    /// The 16 ANSI colours (SGR 30-37, 90-97): all `TERM=linux`, `xterm`, `screen` promise.
    Sixteen,
    /// 256 colours or more (`*-256color`, `COLORTERM=truecolor`).
    Full,
}

impl ColorDepth {
    /// From `COLORTERM` and `TERM`: 256 colours only when announced.
    pub fn from_env() -> Self {
        Self::detect(
            std::env::var("COLORTERM").ok().as_deref(),
            std::env::var("TERM").ok().as_deref(),
        )
    }

    /// [`ColorDepth::from_env`] from the two values.
    pub fn detect(colorterm: Option<&str>, term: Option<&str>) -> Self {
        let colorterm = colorterm.unwrap_or_default().to_ascii_lowercase();
        let term = term.unwrap_or_default().to_ascii_lowercase();
        if matches!(colorterm.as_str(), "truecolor" | "24bit")
            || term.contains("256color")
            || term.contains("direct")
        {
            Self::Full
        } else {
            Self::Sixteen
        }
    }
}

/// The SGR parameter of a colour in the 16-colour palette (foreground; background adds 10).
/// Colours beyond the 16 are not used by the theme and fall back to the default.
fn sgr16(color: Color) -> u8 {
    match color {
        Color::Black => 30,
        Color::Red => 31,
        Color::Green => 32,
        Color::Yellow => 33,
        Color::Blue => 34,
        Color::Magenta => 35,
        Color::Cyan => 36,
        Color::Gray => 37,
        Color::DarkGray => 90,
        Color::LightRed => 91,
        Color::LightGreen => 92,
        Color::LightYellow => 93,
        Color::LightBlue => 94,
        Color::LightMagenta => 95,
        Color::LightCyan => 96,
        Color::White => 97,
        Color::Indexed(n) if n < 8 => 30 + n,
        Color::Indexed(n) if n < 16 => 90 + n - 8,
        _ => 39,
    }
}

/// The SGR sequence that sets a cell's colours from the 16-colour palette. Only numbers from
/// the table above go in it.
fn sgr16_sequence(fg: Color, bg: Color) -> String {
    format!("\x1b[{};{}m", sgr16(fg), sgr16(bg) + 10)
}

/// crossterm's backend, except that on a terminal that announces only 16 colours the colours
/// are written as the 16 ANSI ones: crossterm writes even the named colours in the 256-colour
/// form (`38;5;n`), which `TERM=vt100` or `linux` consoles print as garbage or ignore.
#[derive(Debug)]
pub struct Palette<W: Write> {
    inner: CrosstermBackend<W>,
    depth: ColorDepth,
}

impl<W: Write> Palette<W> {
    /// A backend writing to `writer` for a terminal of `depth`.
    pub fn new(writer: W, depth: ColorDepth) -> Self {
        Self {
            inner: CrosstermBackend::new(writer),
            depth,
        }
    }
}

impl<W: Write> Backend for Palette<W> {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        if self.depth == ColorDepth::Full {
            return self.inner.draw(content);
        }
        // Runs of cells with the same colours: our SGR first, then crossterm draws the run
        // without colours (positions and modifiers are its job; it resets at the end).
        let cells: Vec<(u16, u16, &Cell)> = content.collect();
        let mut start = 0;
        while start < cells.len() {
            let (fg, bg) = (cells[start].2.fg, cells[start].2.bg);
            let end = cells[start..]
                .iter()
                .position(|(_, _, c)| c.fg != fg || c.bg != bg)
                .map_or(cells.len(), |n| start + n);
            let plain: Vec<(u16, u16, Cell)> = cells[start..end]
                .iter()
                .map(|(x, y, c)| {
                    let mut c = (*c).clone();
                    c.fg = Color::Reset;
                    c.bg = Color::Reset;
                    (*x, *y, c)
                })
                .collect();
            if (fg, bg) != (Color::Reset, Color::Reset) {
                self.inner.write_all(sgr16_sequence(fg, bg).as_bytes())?;
            }
            // crossterm assumes default colours at the start of each draw and never sets them
            // for these cells, so the SGR above stays in force for the run.
            self.inner.draw(plain.iter().map(|(x, y, c)| (*x, *y, c)))?;
            start = end;
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> std::io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> std::io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> std::io::Result<Position> {
        // ratatui asks only to put the cursor back after a clear; the console draws full screen
        // with the cursor hidden, and asking the terminal would race the event reader for the
        // answer (and time out after a Ctrl-Z).
        Ok(Position::ORIGIN)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> std::io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> std::io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> std::io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> std::io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn osc52_carries_only_the_base64_of_the_sanitised_text() {
        let seq = osc52("contosohr");
        assert_eq!(seq, "\x1b]52;c;Y29udG9zb2hy\x07");
        // A hostile id cannot end the sequence early or smuggle one in: it is sanitised,
        // then base64 (which has no control character) is all that goes out.
        let hostile = "hr\x07\x1b]0;pwned\x07\u{202e}";
        let seq = osc52(hostile);
        let body = seq
            .strip_prefix("\x1b]52;c;")
            .and_then(|s| s.strip_suffix('\x07'))
            .expect("one OSC 52 sequence");
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        );
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("base64");
        let decoded = String::from_utf8(decoded).expect("utf-8");
        assert_eq!(decoded, crate::text::shown(hostile));
        assert!(!decoded.chars().any(crate::text::is_unsafe), "{decoded:?}");
    }

    #[test]
    fn colours_follow_what_the_terminal_announces() {
        use ColorDepth::{Full, Sixteen};
        assert_eq!(ColorDepth::detect(None, Some("vt100")), Sixteen);
        assert_eq!(ColorDepth::detect(None, Some("linux")), Sixteen);
        assert_eq!(ColorDepth::detect(None, Some("xterm")), Sixteen);
        assert_eq!(ColorDepth::detect(None, Some("xterm-256color")), Full);
        assert_eq!(ColorDepth::detect(Some("truecolor"), Some("xterm")), Full);
        assert_eq!(ColorDepth::detect(None, None), Sixteen);
    }

    /// What a backend writes for a frame with a red cell on blue, at a depth.
    fn drawn(depth: ColorDepth) -> String {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        buf.set_string(0, 0, "ab", Style::default().fg(Color::Red).bg(Color::Blue));
        buf.set_string(2, 0, "cd", Style::default().fg(Color::DarkGray));
        let mut out = Vec::<u8>::new();
        let mut backend = Palette::new(&mut out, depth);
        let content = buf
            .content
            .iter()
            .enumerate()
            .map(|(i, c)| (u16::try_from(i).unwrap_or(0), 0, c));
        backend.draw(content).expect("draw");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn sixteen_colours_are_written_without_256_colour_sequences() {
        let out = drawn(ColorDepth::Sixteen);
        assert!(!out.contains("38;5;") && !out.contains("48;5;"), "{out:?}");
        assert!(out.contains("\x1b[31;44m"), "red on blue: {out:?}");
        assert!(out.contains("\x1b[90;49m"), "dark grey: {out:?}");
        assert!(out.contains("ab") && out.contains("cd"), "{out:?}");
        // The same frame on a 256-colour terminal is crossterm's, unchanged.
        assert!(drawn(ColorDepth::Full).contains("38;5;"));
    }
}
