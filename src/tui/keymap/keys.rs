//! Keys as users write them in the config (`ctrl+j`, `shift+tab`, `f5`) and as the help
//! and the palette show them (`Ctrl+J`, `Shift+Tab`, `F5`).

use ratatui::crossterm::event::{KeyCode, KeyModifiers};

/// A key the config names that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("`{0}` is not a key")]
    NoSuchFunctionKey(String),
    #[error("`{0}` is not a key (examples: q, ctrl+j, shift+tab, f5, enter)")]
    NotAKey(String),
}

/// `ctrl+j`, `shift+tab`, `f5`, `enter`, `q` → a key.
pub fn parse_key(text: &str) -> Result<(KeyCode, KeyModifiers), KeyError> {
    let mut modifiers = KeyModifiers::NONE;
    let mut rest = text.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        if let Some(r) = lower.strip_prefix("ctrl+") {
            modifiers |= KeyModifiers::CONTROL;
            rest = &rest[rest.len() - r.len()..];
        } else if let Some(r) = lower.strip_prefix("alt+") {
            modifiers |= KeyModifiers::ALT;
            rest = &rest[rest.len() - r.len()..];
        } else if lower.starts_with("shift+") && lower.len() > 6 {
            modifiers |= KeyModifiers::SHIFT;
            rest = &rest[6..];
        } else {
            break;
        }
    }
    let code = match rest.to_ascii_lowercase().as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" if modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        "pgup" | "pageup" => KeyCode::PageUp,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => KeyCode::F(
            f[1..]
                .parse()
                .map_err(|_| KeyError::NoSuchFunctionKey(text.to_string()))?,
        ),
        _ if rest.chars().count() == 1 => {
            let c = rest.chars().next().expect("one char");
            if modifiers.contains(KeyModifiers::CONTROL) {
                KeyCode::Char(c.to_ascii_lowercase())
            } else {
                KeyCode::Char(c)
            }
        }
        _ => {
            return Err(KeyError::NotAKey(text.to_string()));
        }
    };
    Ok((code, modifiers))
}

/// A key as the help shows it (`Ctrl+J`, `F5`, `q`).
pub fn key_label((code, modifiers): (KeyCode, KeyModifiers)) -> String {
    let name = match code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::BackTab => "Shift+Tab".to_string(),
        KeyCode::PageDown => "PgDn".to_string(),
        KeyCode::PageUp => "PgUp".to_string(),
        other => format!("{other:?}"),
    };
    // Shift is shown for keys it does not already change (`Shift+F3`, not `Shift+?`).
    let shift = modifiers.contains(KeyModifiers::SHIFT)
        && !matches!(code, KeyCode::Char(_) | KeyCode::BackTab);
    let name = if shift { format!("Shift+{name}") } else { name };
    let name = if modifiers.contains(KeyModifiers::ALT) {
        format!("Alt+{name}")
    } else {
        name
    };
    if modifiers.contains(KeyModifiers::CONTROL) {
        let name = if name.chars().count() == 1 {
            name.to_uppercase()
        } else {
            name
        };
        format!("Ctrl+{name}")
    } else {
        name
    }
}

/// The keys of a binding as the help shows them, `F5 / Ctrl+J`, each label once.
pub fn key_labels(keys: &[(KeyCode, KeyModifiers)]) -> String {
    let mut labels: Vec<String> = Vec::new();
    for &key in keys {
        let label = key_label(key);
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    labels.join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_as_written_and_as_shown() {
        assert_eq!(
            parse_key("ctrl+j").unwrap(),
            (KeyCode::Char('j'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            parse_key("shift+tab").unwrap(),
            (KeyCode::BackTab, KeyModifiers::SHIFT)
        );
        assert_eq!(
            parse_key("F5").unwrap(),
            (KeyCode::F(5), KeyModifiers::NONE)
        );
        assert!(parse_key("hyper+x").is_err());
        assert_eq!(
            key_label((KeyCode::Char('j'), KeyModifiers::CONTROL)),
            "Ctrl+J"
        );
        assert_eq!(key_label(parse_key("shift+f3").unwrap()), "Shift+F3");
        assert_eq!(key_label(parse_key("alt+enter").unwrap()), "Alt+Enter");
        assert_eq!(
            key_label(parse_key("shift+insert").unwrap()),
            "Shift+Insert"
        );
        assert_eq!(key_label(parse_key("shift+tab").unwrap()), "Shift+Tab");
        assert_eq!(
            key_labels(&[
                (KeyCode::F(5), KeyModifiers::NONE),
                (KeyCode::PageDown, KeyModifiers::NONE)
            ]),
            "F5 / PgDn"
        );
    }
}
