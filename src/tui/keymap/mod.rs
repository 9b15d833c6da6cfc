//! Key bindings as data: the event loop looks keys up here and the help overlay and the
//! palette are generated from the same table, so they always show the bindings in
//! force. What decides a key's meaning (mode, focus, screen, overlays) comes in as a
//! [`KeyContext`] the app fills in, so the keymap knows nothing of the app's state.

pub mod binding;
pub mod command;
mod defaults;
mod help;
pub mod keys;
mod sql_keys;

use std::collections::BTreeMap;

use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::action::{Action, HelpScroll};
use super::focus::{Mode, Pane};
use super::screen::Screen;
pub use binding::{Binding, Scope};
pub use command::Command;
pub use defaults::bindings;
pub use help::{
    HelpRow, HelpSection, help_box_width, help_first_line, help_rows, help_sections,
    help_view_height,
};
pub use keys::{KeyError, key_label, key_labels, parse_key};

/// What decides which binding a key means, as the app stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyContext {
    pub mode: Mode,
    pub focus: Pane,
    pub screen: Screen,
    /// The command palette is open: it takes every key.
    pub palette: bool,
    /// The ML screen's lookup box is open: it takes every key.
    pub lookup: bool,
    /// The dashboard's picker or a variable's list is open: it takes every key.
    pub dashboard_menu: bool,
    /// The SQL editor's find, replace or go-to-line prompt is open: it takes every key.
    pub prompt: bool,
    /// The results grid's find or filter prompt is open: it takes every key.
    pub grid_prompt: bool,
    /// The help overlay shows.
    pub help: bool,
    /// Mouse capture is on.
    pub mouse: bool,
    /// The chart of a result shows: only its keys (and those of every mode) apply.
    pub chart: bool,
    /// The Stream screen shows its topic browser.
    pub browser: bool,
    /// The topic browser's prompt is open: it takes every key.
    pub browser_prompt: bool,
}

fn in_scope(scope: Scope, cx: &KeyContext) -> bool {
    match scope {
        Scope::Always => true,
        Scope::Normal => cx.mode == Mode::Normal,
        Scope::Pane(pane) => {
            cx.mode == Mode::Normal && cx.focus == pane && cx.screen == Screen::Sql
        }
        Scope::Screen(screen) => cx.mode == Mode::Normal && cx.screen == screen,
        Scope::Insert => cx.mode == Mode::Insert,
        Scope::Chart => cx.chart,
        Scope::Browser => cx.mode == Mode::Normal && cx.browser,
    }
}

/// The action for a key in the app's current mode, if any.
pub fn action_for(cx: &KeyContext, bindings: &[Binding], key: KeyEvent) -> Option<Action> {
    if cx.palette {
        return Some(Action::PaletteKey(key));
    }
    if cx.lookup {
        return Some(Action::LookupKey(key));
    }
    if cx.browser_prompt && !cx.help {
        return Some(Action::BrowseKey(key));
    }
    if cx.dashboard_menu && !cx.help {
        return Some(Action::DashboardMenuKey(key));
    }
    if cx.prompt {
        return Some(Action::PromptKey(key));
    }
    if cx.grid_prompt {
        return Some(Action::GridPromptKey(key));
    }
    if cx.help {
        return help_key(key);
    }
    let pressed = (key.code, key.modifiers);
    // Editing keys win over the others while editing (Ctrl+Z undoes there, suspends
    // elsewhere), and pane bindings over normal-mode ones for the same key.
    let rank = |b: &&Binding| match b.scope {
        Scope::Insert | Scope::Chart => 0,
        Scope::Pane(_) | Scope::Browser => 1,
        _ => 2,
    };
    let mut candidates: Vec<&Binding> = bindings
        .iter()
        .filter(|b| !cx.chart || matches!(b.scope, Scope::Chart | Scope::Always))
        .filter(|b| in_scope(b.scope, cx) && b.keys.contains(&pressed))
        .collect();
    candidates.sort_by_key(rank);
    let found = candidates.first();
    match found {
        Some(binding) => Some(binding.action()),
        None if cx.mode == Mode::Insert => Some(Action::EditorKey(key)),
        None => None,
    }
}

/// The mouse: the wheel scrolls whatever list or grid the screen shows; a left click
/// selects what it lands on.
pub fn mouse_action(cx: &KeyContext, mouse: MouseEvent) -> Option<Action> {
    if !cx.mouse || cx.palette || cx.help {
        return None;
    }
    match mouse.kind {
        MouseEventKind::ScrollDown => Some(Action::Move(3)),
        MouseEventKind::ScrollUp => Some(Action::Move(-3)),
        // Where it lands is the app's to say (`tui::mouse`): it knows what is drawn.
        MouseEventKind::Down(MouseButton::Left) => Some(Action::Click(mouse.column, mouse.row)),
        MouseEventKind::Drag(MouseButton::Left) => Some(Action::Drag(mouse.column, mouse.row)),
        _ => None,
    }
}

/// The keys of the help overlay: it scrolls, and closes with Esc, `?` or `q`.
fn help_key(key: KeyEvent) -> Option<Action> {
    let scroll = match key.code {
        KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') => return Some(Action::ToggleHelp),
        KeyCode::PageDown | KeyCode::Char(' ') => HelpScroll::Pages(1),
        KeyCode::PageUp => HelpScroll::Pages(-1),
        KeyCode::Down | KeyCode::Char('j') => HelpScroll::Lines(1),
        KeyCode::Up | KeyCode::Char('k') => HelpScroll::Lines(-1),
        KeyCode::Home | KeyCode::Char('g') => HelpScroll::Start,
        KeyCode::End | KeyCode::Char('G') => HelpScroll::End,
        _ => return None,
    };
    Some(Action::ScrollHelp(scroll))
}

/// What is wrong with the `[tui.keys]` of a config file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeysError {
    #[error("tui.keys.{name}: {source}")]
    Key { name: String, source: KeyError },
    #[error("tui.keys.{name}: no such action (known: {known})")]
    NoSuchAction { name: String, known: String },
}

/// The default bindings with the `[tui.keys]` overrides of the config applied: each
/// named action gets exactly the keys listed for it.
pub fn bindings_with(overrides: &BTreeMap<String, Vec<String>>) -> Result<Vec<Binding>, KeysError> {
    let mut bindings = bindings();
    for (name, keys) in overrides {
        let parsed: Vec<(KeyCode, KeyModifiers)> = keys
            .iter()
            .map(|k| parse_key(k))
            .collect::<Result<_, _>>()
            .map_err(|source| KeysError::Key {
                name: name.clone(),
                source,
            })?;
        let command = Command::parse(name);
        let mut found = false;
        for binding in bindings.iter_mut().filter(|b| Some(b.command) == command) {
            binding.keys = parsed.clone();
            found = true;
        }
        if !found {
            let mut known: Vec<String> = bindings.iter().map(|b| b.command.name()).collect();
            known.dedup();
            return Err(KeysError::NoSuchAction {
                name: name.clone(),
                known: known.join(", "),
            });
        }
    }
    Ok(bindings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(mode: Mode, screen: Screen) -> KeyContext {
        KeyContext {
            mode,
            focus: Pane::Editor,
            screen,
            palette: false,
            lookup: false,
            dashboard_menu: false,
            prompt: false,
            grid_prompt: false,
            help: false,
            mouse: true,
            chart: false,
            browser: false,
            browser_prompt: false,
        }
    }

    #[test]
    fn overrides_replace_the_keys_of_a_named_action() {
        let mut overrides = BTreeMap::new();
        overrides.insert("quit".to_string(), vec!["ctrl+q".to_string()]);
        let bindings = bindings_with(&overrides).unwrap();
        let quit = bindings
            .iter()
            .find(|b| b.command == Command::Quit)
            .unwrap();
        assert_eq!(quit.keys, vec![(KeyCode::Char('q'), KeyModifiers::CONTROL)]);
        overrides.insert("fly".to_string(), vec!["f".to_string()]);
        assert!(
            bindings_with(&overrides)
                .unwrap_err()
                .to_string()
                .contains("no such action")
        );
        overrides.remove("fly");
        overrides.insert("quit".to_string(), vec!["hyper+q".to_string()]);
        assert_eq!(
            bindings_with(&overrides).unwrap_err().to_string(),
            "tui.keys.quit: `hyper+q` is not a key (examples: q, ctrl+j, shift+tab, f5, enter)"
        );
    }

    #[test]
    fn screen_keys_apply_on_their_screen_and_digits_are_text_while_editing() {
        let bindings = bindings();
        let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        let models = cx(Mode::Normal, Screen::Models);
        assert_eq!(
            action_for(&models, &bindings, key('c')),
            Some(Action::BuildModels(
                super::super::action::BuildScope::WithChildren
            ))
        );
        let ml = cx(Mode::Normal, Screen::Ml);
        assert_eq!(
            action_for(&ml, &bindings, key('c')),
            Some(Action::RunMl(crate::ml::MlModel::Recommend))
        );
        let editing = cx(Mode::Insert, Screen::Sql);
        assert_eq!(
            action_for(&editing, &bindings, key('3')),
            Some(Action::EditorKey(key('3')))
        );
        // While editing, the editor's Ctrl+Z and Ctrl+C win; elsewhere they keep theirs.
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        let undo = Action::Edit(crate::tui::action::EditCommand::Undo);
        assert_eq!(action_for(&editing, &bindings, ctrl('z')), Some(undo));
        assert_eq!(
            action_for(&editing, &bindings, ctrl('c')),
            Some(Action::Edit(crate::tui::action::EditCommand::Copy))
        );
        let sql = cx(Mode::Normal, Screen::Sql);
        assert_eq!(
            action_for(&sql, &bindings, ctrl('z')),
            Some(Action::Suspend)
        );
        assert_eq!(action_for(&sql, &bindings, ctrl('c')), Some(Action::Quit));
        let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::CONTROL);
        assert_eq!(
            action_for(&editing, &bindings, enter),
            Some(Action::RunStatement)
        );
        let prompt = KeyContext {
            prompt: true,
            ..editing
        };
        assert_eq!(
            action_for(&prompt, &bindings, ctrl('z')),
            Some(Action::PromptKey(ctrl('z')))
        );
        let help = KeyContext {
            help: true,
            ..models
        };
        assert_eq!(action_for(&help, &bindings, key('c')), None);
        assert_eq!(
            action_for(&help, &bindings, key('q')),
            Some(Action::ToggleHelp)
        );
        let page_down = KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE);
        assert_eq!(
            action_for(&help, &bindings, page_down),
            Some(Action::ScrollHelp(HelpScroll::Pages(1)))
        );
        assert_eq!(
            action_for(&help, &bindings, key('G')),
            Some(Action::ScrollHelp(HelpScroll::End))
        );
    }
}
