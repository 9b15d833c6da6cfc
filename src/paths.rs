//! Where ecom keeps its files: the XDG data, config and state directories.
//!
//! Everything that depends on the user's platform directories goes through here so the
//! rest of the code receives plain paths and tests can point it anywhere.

use std::path::PathBuf;

use directories::ProjectDirs;

/// The platform directories for ecom, or `None` when the system has no home directory.
fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "ecom")
}

/// The default warehouse file (`$XDG_DATA_HOME/ecom/warehouse.duckdb` on Linux).
pub fn default_warehouse() -> PathBuf {
    project_dirs()
        .map(|d| d.data_dir().join("warehouse.duckdb"))
        .unwrap_or_else(|| PathBuf::from("warehouse.duckdb"))
}

/// The default configuration file (`$XDG_CONFIG_HOME/ecom/config.toml` on Linux).
pub fn default_config_file() -> PathBuf {
    project_dirs()
        .map(|d| d.config_dir().join("config.toml"))
        .unwrap_or_else(|| PathBuf::from("ecom.toml"))
}

/// Files ecom can fetch again (`$XDG_CACHE_HOME/ecom` on Linux): `ecom open` keeps
/// its copies of S3 objects there.
pub fn cache_dir() -> PathBuf {
    project_dirs()
        .map(|d| d.cache_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("ecom-cache"))
}

/// The folder for logs (`$XDG_STATE_HOME/ecom/logs` on Linux, the local data dir elsewhere).
pub fn log_dir() -> PathBuf {
    project_dirs()
        .map(|d| {
            d.state_dir()
                .unwrap_or_else(|| d.data_local_dir())
                .join("logs")
        })
        .unwrap_or_else(|| std::env::temp_dir().join("ecom-logs"))
}

/// The workbench's query history (JSON lines, one query each), beside the logs.
pub fn history_file() -> PathBuf {
    log_dir()
        .parent()
        .map(|state| state.join("history.jsonl"))
        .unwrap_or_else(|| std::env::temp_dir().join("ecom-history.jsonl"))
}

/// The user's editor (`$VISUAL`, else `$EDITOR`, else `vi`) as written, and a command
/// that opens `file` in it. `ecom config edit` and the workbench's Ctrl+E both use it.
pub fn editor_command(file: &std::path::Path) -> (String, std::process::Command) {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    let mut parts = editor.split_whitespace();
    let mut command = std::process::Command::new(parts.next().unwrap_or("vi"));
    command.args(parts).arg(file);
    (editor, command)
}
