//! Handing the terminal over and taking it back: mouse capture, bracketed paste, Ctrl+Z
//! (suspend to the shell) and Ctrl+E (the SQL in the user's editor).

use ratatui::DefaultTerminal;

/// Mouse capture on or off (on by default; `m` toggles it, e.g. to select text).
pub fn set_mouse(on: bool) -> anyhow::Result<()> {
    use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
    let mut out = std::io::stdout();
    if on {
        ratatui::crossterm::execute!(out, EnableMouseCapture)?;
    } else {
        ratatui::crossterm::execute!(out, DisableMouseCapture)?;
    }
    Ok(())
}

/// Bracketed paste on or off: on, a paste arrives as one piece of text (inserted as one
/// undo step, fast) instead of as keys, so its newlines do not act as Enter.
pub fn set_bracketed_paste(on: bool) -> anyhow::Result<()> {
    use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
    let mut out = std::io::stdout();
    if on {
        ratatui::crossterm::execute!(out, EnableBracketedPaste)?;
    } else {
        ratatui::crossterm::execute!(out, DisableBracketedPaste)?;
    }
    Ok(())
}

/// Ctrl+Z: give the terminal back, stop like any job-controlled program, and take the
/// terminal again when resumed (`fg`).
pub fn suspend(terminal: &mut DefaultTerminal, mouse: bool) -> anyhow::Result<()> {
    released(terminal, mouse, || {
        let status = std::process::Command::new("kill")
            .args(["-TSTP", &std::process::id().to_string()])
            .status();
        if let Err(e) = status {
            tracing::warn!(error = %e, "could not suspend");
        }
    })
}

/// Runs `f` with the terminal given back to the shell (normal mode, no mouse capture),
/// then takes it again and redraws from scratch.
fn released<T>(
    terminal: &mut DefaultTerminal,
    mouse: bool,
    f: impl FnOnce() -> T,
) -> anyhow::Result<T> {
    set_mouse(false)?;
    set_bracketed_paste(false)?;
    ratatui::restore();
    let value = f();
    *terminal = ratatui::init();
    terminal.clear()?;
    set_mouse(mouse)?;
    set_bracketed_paste(true)?;
    Ok(value)
}

/// Ctrl+E: the SQL in `$VISUAL`/`$EDITOR` (vi by default), with the terminal handed over
/// and taken back. `None` when the editor failed or left the text unchanged.
pub fn edit_externally(
    terminal: &mut DefaultTerminal,
    sql: &str,
    mouse: bool,
) -> anyhow::Result<Option<String>> {
    let file = tempfile::Builder::new()
        .prefix("ecom-")
        .suffix(".sql")
        .tempfile()?;
    std::fs::write(file.path(), sql)?;
    let (_, mut command) = crate::paths::editor_command(file.path());
    let status = released(terminal, mouse, || command.status())?;
    let text = std::fs::read_to_string(file.path())?;
    Ok(match status {
        Ok(s) if s.success() && text != sql => Some(text),
        _ => None,
    })
}
