//! Key bindings as data: the event loop looks keys up here and the help overlay is
//! generated from the same table, so the help always shows the bindings in force.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::state::{App, BuildScope, Mode, Pane, Screen};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// In every mode.
    Always,
    /// In normal mode, whatever has focus.
    Normal,
    /// In normal mode with this pane focused.
    Pane(Pane),
    /// While editing SQL.
    Insert,
    /// In normal mode on this screen.
    Screen(Screen),
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: Vec<(KeyCode, KeyModifiers)>,
    pub scope: Scope,
    pub action: Action,
    pub help: &'static str,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;

/// The default bindings, in the order the help shows them.
pub fn bindings() -> Vec<Binding> {
    use KeyCode::*;
    let b = |keys: &[(KeyCode, KeyModifiers)], scope, action, help| Binding {
        keys: keys.to_vec(),
        scope,
        action,
        help,
    };
    vec![
        b(
            &[(F(5), NONE), (Char('j'), CTRL), (Enter, CTRL)],
            Scope::Always,
            Action::RunQuery,
            "run the SQL in the editor",
        ),
        b(
            &[(Esc, NONE)],
            Scope::Always,
            Action::Escape,
            "cancel the running query / leave the editor / close",
        ),
        b(&[(Char('c'), CTRL)], Scope::Always, Action::Quit, "quit"),
        b(
            &[(Char('z'), CTRL)],
            Scope::Always,
            Action::Suspend,
            "suspend to the shell (fg resumes)",
        ),
        b(
            &[(Char('o'), NONE)],
            Scope::Pane(Pane::Grid),
            Action::SortResults,
            "sort by the first visible column (asc, desc, off)",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Pane(Pane::Grid),
            Action::ToggleRowDetail,
            "show every column of the selected row",
        ),
        b(
            &[(Char('y'), NONE)],
            Scope::Pane(Pane::Grid),
            Action::CopyRow,
            "copy the selected row (OSC 52 clipboard)",
        ),
        b(
            &[(Char('Y'), SHIFT), (Char('Y'), NONE)],
            Scope::Pane(Pane::Grid),
            Action::CopyCell,
            "copy one cell: the selected row's first visible column (OSC 52)",
        ),
        b(
            &[(Char('s'), NONE)],
            Scope::Pane(Pane::Grid),
            Action::ExportResult("csv"),
            "save the whole result as CSV",
        ),
        b(
            &[(Char('S'), SHIFT), (Char('S'), NONE)],
            Scope::Pane(Pane::Grid),
            Action::ExportResult("parquet"),
            "save the whole result as Parquet",
        ),
        b(
            &[(Char('p'), NONE)],
            Scope::Screen(Screen::Dashboard),
            Action::DashboardPeriod,
            "dashboard period: all, 12 months, 3 months, last month",
        ),
        b(
            &[(Char('f'), NONE)],
            Scope::Screen(Screen::Dashboard),
            Action::DashboardCountry,
            "dashboard country filter: all, then each top country",
        ),
        b(
            &[(Char('['), NONE)],
            Scope::Pane(Pane::Editor),
            Action::History(-1),
            "older query from the history",
        ),
        b(
            &[(Char(']'), NONE)],
            Scope::Pane(Pane::Editor),
            Action::History(1),
            "newer query from the history",
        ),
        b(
            &[(Char('t'), CTRL)],
            Scope::Screen(Screen::Sql),
            Action::NewSqlTab,
            "new SQL tab (its own editor and result)",
        ),
        b(
            &[(Char('}'), NONE), (Char('}'), SHIFT)],
            Scope::Screen(Screen::Sql),
            Action::SwitchSqlTab(1),
            "next SQL tab",
        ),
        b(
            &[(Char('{'), NONE), (Char('{'), SHIFT)],
            Scope::Screen(Screen::Sql),
            Action::SwitchSqlTab(-1),
            "previous SQL tab",
        ),
        b(
            &[(Char('w'), CTRL)],
            Scope::Screen(Screen::Sql),
            Action::CloseSqlTab,
            "close the SQL tab (cancels its query, drops its result)",
        ),
        b(
            &[(Char('e'), CTRL)],
            Scope::Always,
            Action::ExternalEditor,
            "edit the SQL in $VISUAL / $EDITOR",
        ),
        b(
            &[(Char('T'), SHIFT), (Char('T'), NONE)],
            Scope::Normal,
            Action::ToggleTheme,
            "dark or light theme (tui.theme in the config sets the start)",
        ),
        b(
            &[(Char('m'), NONE)],
            Scope::Normal,
            Action::ToggleMouse,
            "mouse capture on/off (off lets the terminal select text)",
        ),
        b(
            &[(Char(':'), NONE), (Char(':'), SHIFT), (Char('p'), CTRL)],
            Scope::Normal,
            Action::OpenPalette,
            "command palette: search every action",
        ),
        b(
            &[(Char('1'), NONE)],
            Scope::Normal,
            Action::ShowScreen(Screen::Dashboard),
            "dashboard: KPIs and charts",
        ),
        b(
            &[(Char('2'), NONE)],
            Scope::Normal,
            Action::ShowScreen(Screen::Sql),
            "SQL: catalog, editor, results",
        ),
        b(
            &[(Char('3'), NONE)],
            Scope::Normal,
            Action::ShowScreen(Screen::Models),
            "models: the DAG, build nodes",
        ),
        b(
            &[(Char('4'), NONE)],
            Scope::Normal,
            Action::ShowScreen(Screen::Jobs),
            "jobs: progress, cancel",
        ),
        b(
            &[(Char('5'), NONE)],
            Scope::Normal,
            Action::ShowScreen(Screen::Stream),
            "Stream: the live tail, its windows, dead letters and late events",
        ),
        b(
            &[(Char('t'), NONE)],
            Scope::Screen(Screen::Stream),
            Action::ToggleTail,
            "start the tail of [tui.stream], or stop it",
        ),
        b(
            &[(Char('6'), NONE)],
            Scope::Normal,
            Action::ShowScreen(Screen::Ml),
            "ML: segments, anomalies, model runs",
        ),
        b(
            &[(Char('s'), NONE)],
            Scope::Screen(Screen::Ml),
            Action::RunMl(crate::ml::MlModel::Segment),
            "run the customer segmentation",
        ),
        b(
            &[(Char('c'), NONE)],
            Scope::Screen(Screen::Ml),
            Action::RunMl(crate::ml::MlModel::Recommend),
            "run the recommendations (collaborative filtering)",
        ),
        b(
            &[(Char('a'), NONE)],
            Scope::Screen(Screen::Ml),
            Action::RunMl(crate::ml::MlModel::Anomalies),
            "run the anomaly detection",
        ),
        b(
            &[(Char('/'), NONE)],
            Scope::Screen(Screen::Ml),
            Action::StartLookup,
            "look up the suggestions for a customer id or a stock code",
        ),
        b(
            &[(Char('7'), NONE)],
            Scope::Normal,
            Action::ShowScreen(Screen::Quality),
            "data quality: quarantine and rejected files",
        ),
        b(
            &[(Char('b'), NONE)],
            Scope::Screen(Screen::Models),
            Action::BuildModels(BuildScope::All),
            "build every model and test",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Screen(Screen::Models),
            Action::BuildModels(BuildScope::Node),
            "build the selected node",
        ),
        b(
            &[(Char('+'), NONE), (Char('+'), SHIFT)],
            Scope::Screen(Screen::Models),
            Action::BuildModels(BuildScope::WithParents),
            "build the node with its parents (+node)",
        ),
        b(
            &[(Char('c'), NONE)],
            Scope::Screen(Screen::Models),
            Action::BuildModels(BuildScope::WithChildren),
            "build the node and its children (node+)",
        ),
        b(
            &[(Char('x'), NONE)],
            Scope::Screen(Screen::Jobs),
            Action::CancelJob,
            "cancel the selected job",
        ),
        b(&[(Char('q'), NONE)], Scope::Normal, Action::Quit, "quit"),
        b(
            &[(Char('?'), NONE), (Char('?'), SHIFT)],
            Scope::Normal,
            Action::ToggleHelp,
            "show or hide this help",
        ),
        b(
            &[(Tab, NONE)],
            Scope::Normal,
            Action::FocusNext,
            "focus the next pane",
        ),
        b(
            &[(BackTab, SHIFT), (BackTab, NONE)],
            Scope::Normal,
            Action::FocusPrev,
            "focus the previous pane",
        ),
        b(
            &[(Char('i'), NONE), (Char('e'), NONE)],
            Scope::Normal,
            Action::EnterInsert,
            "edit the SQL",
        ),
        b(
            &[(Char('r'), NONE)],
            Scope::Normal,
            Action::RunQuery,
            "run the SQL in the editor",
        ),
        b(
            &[(Char('L'), SHIFT), (Char('L'), NONE)],
            Scope::Normal,
            Action::LoadSample,
            "load the bundled sample data",
        ),
        b(
            &[(Char('R'), SHIFT), (Char('R'), NONE)],
            Scope::Normal,
            Action::RefreshCatalog,
            "reload the catalog",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Pane(Pane::Editor),
            Action::EnterInsert,
            "edit the SQL",
        ),
        b(
            &[(Enter, NONE)],
            Scope::Pane(Pane::Catalog),
            Action::OpenRelation,
            "query the selected table",
        ),
        b(
            &[(Char('j'), NONE), (Down, NONE)],
            Scope::Normal,
            Action::Move(1),
            "down",
        ),
        b(
            &[(Char('k'), NONE), (Up, NONE)],
            Scope::Normal,
            Action::Move(-1),
            "up",
        ),
        b(
            &[(PageDown, NONE), (Char('d'), CTRL)],
            Scope::Normal,
            Action::MovePage(1),
            "page down",
        ),
        b(
            &[(PageUp, NONE), (Char('u'), CTRL)],
            Scope::Normal,
            Action::MovePage(-1),
            "page up",
        ),
        b(
            &[(Char('g'), NONE), (Home, NONE)],
            Scope::Normal,
            Action::MoveToStart,
            "first row",
        ),
        b(
            &[(Char('G'), SHIFT), (Char('G'), NONE), (End, NONE)],
            Scope::Normal,
            Action::MoveToEnd,
            "last row",
        ),
        b(
            &[(Char('l'), NONE), (Right, NONE)],
            Scope::Pane(Pane::Grid),
            Action::ScrollColumns(1),
            "columns right",
        ),
        b(
            &[(Char('h'), NONE), (Left, NONE)],
            Scope::Pane(Pane::Grid),
            Action::ScrollColumns(-1),
            "columns left",
        ),
        b(
            &[(Char('>'), NONE), (Char('>'), SHIFT)],
            Scope::Pane(Pane::Grid),
            Action::ResizeColumn(4),
            "widen the first visible column",
        ),
        b(
            &[(Char('<'), NONE), (Char('<'), SHIFT)],
            Scope::Pane(Pane::Grid),
            Action::ResizeColumn(-4),
            "narrow the first visible column",
        ),
    ]
}

fn in_scope(scope: Scope, app: &App) -> bool {
    match scope {
        Scope::Always => true,
        Scope::Normal => app.mode == Mode::Normal,
        Scope::Pane(pane) => {
            app.mode == Mode::Normal && app.focus == pane && app.screen == Screen::Sql
        }
        Scope::Screen(screen) => app.mode == Mode::Normal && app.screen == screen,
        Scope::Insert => app.mode == Mode::Insert,
    }
}

/// The action for a key in the app's current mode, if any.
pub fn action_for(app: &App, bindings: &[Binding], key: KeyEvent) -> Option<Action> {
    if app.palette.is_some() {
        return Some(Action::PaletteKey(key));
    }
    if app.ml_lookup.is_some() {
        return Some(Action::LookupKey(key));
    }
    if app.show_help {
        return matches!(
            key.code,
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q')
        )
        .then_some(Action::ToggleHelp);
    }
    let pressed = (key.code, key.modifiers);
    // Pane bindings win over normal-mode ones for the same key.
    let found = bindings
        .iter()
        .filter(|b| matches!(b.scope, Scope::Pane(_)))
        .chain(
            bindings
                .iter()
                .filter(|b| !matches!(b.scope, Scope::Pane(_))),
        )
        .find(|b| in_scope(b.scope, app) && b.keys.contains(&pressed));
    match found {
        Some(binding) => Some(binding.action.clone()),
        None if app.mode == Mode::Insert => Some(Action::EditorKey(key)),
        None => None,
    }
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

/// The help lines: keys and what they do, one binding per line, duplicates of the same
/// key label removed (e.g. `?` with and without Shift).
pub fn help_lines(bindings: &[Binding]) -> Vec<(String, String)> {
    bindings
        .iter()
        .map(|b| {
            let scope = match b.scope {
                Scope::Pane(Pane::Grid) => " (results)",
                Scope::Pane(Pane::Catalog) => " (catalog)",
                Scope::Pane(Pane::Editor) => " (editor)",
                Scope::Screen(Screen::Models) => " (models)",
                Scope::Screen(Screen::Jobs) => " (jobs)",
                Scope::Screen(Screen::Ml) => " (ml)",
                Scope::Screen(Screen::Stream) => " (stream)",
                Scope::Screen(Screen::Dashboard) => " (dashboard)",
                _ => "",
            };
            let help = format!("{}  [{}]", b.help, action_name(&b.action));
            (format!("{}{scope}", key_labels(&b.keys)), help)
        })
        .collect()
}

/// The keys of a binding as the help shows them, `F5 / Ctrl+J`, each label once.
fn key_labels(keys: &[(KeyCode, KeyModifiers)]) -> String {
    let mut labels: Vec<String> = Vec::new();
    for &key in keys {
        let label = key_label(key);
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    labels.join(" / ")
}

/// The mouse: the wheel scrolls whatever list or grid the screen shows.
pub fn mouse_action(app: &App, mouse: ratatui::crossterm::event::MouseEvent) -> Option<Action> {
    use ratatui::crossterm::event::MouseEventKind;
    if !app.mouse || app.palette.is_some() || app.show_help {
        return None;
    }
    match mouse.kind {
        MouseEventKind::ScrollDown => Some(Action::Move(3)),
        MouseEventKind::ScrollUp => Some(Action::Move(-3)),
        _ => None,
    }
}

/// One entry of the command palette.
#[derive(Debug, Clone, PartialEq)]
pub struct PaletteItem {
    pub label: String,
    pub keys: String,
    pub action: Action,
}

/// Whether every character of `query` appears in `text` in order (case-insensitive).
fn fuzzy(query: &str, text: &str) -> bool {
    let mut chars = text.chars().flat_map(char::to_lowercase);
    query
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace())
        .all(|q| chars.any(|c| c == q))
}

/// Every action of the bindings in force as a palette entry (movement keys, Esc and the
/// palette itself left out), in keymap order.
pub fn palette_items(bindings: &[Binding]) -> Vec<PaletteItem> {
    let mut items: Vec<PaletteItem> = Vec::new();
    for b in bindings {
        let skip = matches!(
            b.action,
            Action::OpenPalette | Action::Move(_) | Action::MovePage(_) | Action::Escape
        );
        if skip || items.iter().any(|i| i.action == b.action) {
            continue;
        }
        items.push(PaletteItem {
            label: b.help.to_string(),
            keys: key_labels(&b.keys),
            action: b.action.clone(),
        });
    }
    items
}

/// The palette entries whose description matches `query`.
/// Entries containing the query as written come first, then the looser matches.
pub fn palette_matches<'a>(items: &'a [PaletteItem], query: &str) -> Vec<&'a PaletteItem> {
    let needle = query.trim().to_lowercase();
    let mut found: Vec<&PaletteItem> = items.iter().filter(|i| fuzzy(query, &i.label)).collect();
    found.sort_by_key(|i| !i.label.to_lowercase().contains(&needle));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_matching() {
        assert!(fuzzy("dq", "data quality: quarantine"));
        assert!(fuzzy("Run SQL", "run the SQL in the editor"));
        assert!(!fuzzy("zz", "quit"));
        let items = palette_items(&bindings());
        let matches = palette_matches(&items, "quality");
        assert_eq!(matches[0].action, Action::ShowScreen(Screen::Quality));
        assert!(palette_matches(&items, "").len() > 10);
    }
}

/// The name of a bindable action in `[tui.keys]` of the config file (and in the help).
pub fn action_name(action: &Action) -> String {
    match action {
        Action::ShowScreen(screen) => format!("screen_{}", format!("{screen:?}").to_lowercase()),
        Action::BuildModels(scope) => format!("build_{}", format!("{scope:?}").to_lowercase()),
        Action::RunMl(model) => format!("run_ml_{}", model.name()),
        Action::Move(1) => "down".into(),
        Action::Move(-1) => "up".into(),
        Action::MovePage(1) => "page_down".into(),
        Action::MovePage(-1) => "page_up".into(),
        Action::ScrollColumns(1) => "columns_right".into(),
        Action::ScrollColumns(-1) => "columns_left".into(),
        Action::ResizeColumn(4) => "widen_column".into(),
        Action::ResizeColumn(-4) => "narrow_column".into(),
        Action::History(-1) => "history_older".into(),
        Action::ExportResult(format) => format!("save_{format}"),
        Action::History(1) => "history_newer".into(),
        Action::SwitchSqlTab(1) => "next_sql_tab".into(),
        Action::SwitchSqlTab(-1) => "previous_sql_tab".into(),
        other => {
            let debug = format!("{other:?}");
            let mut name = String::new();
            for (i, c) in debug
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .enumerate()
            {
                if c.is_uppercase() && i > 0 {
                    name.push('_');
                }
                name.extend(c.to_lowercase());
            }
            name
        }
    }
}

/// `ctrl+j`, `shift+tab`, `f5`, `enter`, `q` → a key.
pub fn parse_key(text: &str) -> Result<(KeyCode, KeyModifiers), String> {
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
        f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => KeyCode::F(
            f[1..]
                .parse()
                .map_err(|_| format!("`{text}` is not a key"))?,
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
            return Err(format!(
                "`{text}` is not a key (examples: q, ctrl+j, shift+tab, f5, enter)"
            ));
        }
    };
    Ok((code, modifiers))
}

/// The default bindings with the `[tui.keys]` overrides of the config applied: each
/// named action gets exactly the keys listed for it.
pub fn bindings_with(
    overrides: &std::collections::BTreeMap<String, Vec<String>>,
) -> Result<Vec<Binding>, String> {
    let mut bindings = bindings();
    for (name, keys) in overrides {
        let parsed: Vec<(KeyCode, KeyModifiers)> = keys
            .iter()
            .map(|k| parse_key(k))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("tui.keys.{name}: {e}"))?;
        let mut found = false;
        for binding in bindings
            .iter_mut()
            .filter(|b| action_name(&b.action) == *name)
        {
            binding.keys = parsed.clone();
            found = true;
        }
        if !found {
            let mut known: Vec<String> = bindings.iter().map(|b| action_name(&b.action)).collect();
            known.dedup();
            return Err(format!(
                "tui.keys.{name}: no such action (known: {})",
                known.join(", ")
            ));
        }
    }
    Ok(bindings)
}

#[cfg(test)]
mod override_tests {
    use super::*;

    #[test]
    fn names_keys_and_overrides() {
        assert_eq!(action_name(&Action::RunQuery), "run_query");
        assert_eq!(
            action_name(&Action::ShowScreen(Screen::Quality)),
            "screen_quality"
        );
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
        let mut overrides = std::collections::BTreeMap::new();
        overrides.insert("quit".to_string(), vec!["ctrl+q".to_string()]);
        let bindings = bindings_with(&overrides).unwrap();
        let quit = bindings.iter().find(|b| b.action == Action::Quit).unwrap();
        assert_eq!(quit.keys, vec![(KeyCode::Char('q'), KeyModifiers::CONTROL)]);
        overrides.insert("fly".to_string(), vec!["f".to_string()]);
        assert!(
            bindings_with(&overrides)
                .unwrap_err()
                .contains("no such action")
        );
    }
}
