//! Layered configuration: defaults < `config.toml` < `ECOM_*` environment < flags.
//!
//! The file is optional. Unknown keys are errors (a typo must not be silently ignored),
//! and every error names the file, the line and the key so the user can fix it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod bad_rows;
mod error;
mod pipeline;
mod template;

pub use bad_rows::{BadRowLimit, BadRowLimitError};
pub use error::{ConfigError, ConfigProblem};
pub use pipeline::{PipelineConfig, PipelineJob};
pub use template::TEMPLATE;

/// The effective settings of one run, after all layers are applied.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub warehouse: WarehouseConfig,
    pub ingest: IngestConfig,
    pub log: LogConfig,
    pub tui: TuiConfig,
    pub pipeline: PipelineConfig,
    /// `[remote]`: the `ecom serve` the workbench and `query`/`status` read through.
    pub remote: RemoteConfig,
    /// `[keys]`: the workbench's key overrides, the same as `[tui.keys]` (either works;
    /// after parsing they all live in `tui.keys`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub keys: std::collections::BTreeMap<String, Vec<String>>,
}

/// `[remote]`: a running `ecom serve` to read instead of a warehouse file (`--remote`
/// and `--token` override it; `ECOM_REMOTE` / `ECOM_TOKEN` too).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WarehouseConfig {
    /// The DuckDB file; the XDG data dir when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// DuckDB's memory limit (e.g. `1GB`); DuckDB's default (80% of RAM) when unset.
    /// DuckDB keeps what it wrote cached up to this, so it bounds the process's size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
}

/// The workbench's colours at start (`tui.theme`): a closed set of words, so a typo is a
/// parse error naming the line and the words allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Quarantined rows above this (`N` rows or `N%` of the lines read) exit with code 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_bad_rows: Option<String>,
    /// Rows per warehouse transaction: files are committed together up to this size.
    pub batch_rows: usize,
    /// The most one file may hold once inflated (bytes); a larger file, or a gzip that
    /// inflates past it, is rejected with the reason.
    pub max_inflated_bytes: u64,
    /// The shop's time zone (IANA name): times with a UTC offset are stored as its clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// A column mapping used for every file (`--mapping` overrides it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<crate::ingest::mapping::Mapping>,
}

impl IngestConfig {
    /// The ingest options `[ingest]` gives (a bad zone is an error naming the key). Here
    /// rather than in `ingest`, so ingest never reads the configuration's types.
    pub fn options(&self) -> Result<crate::ingest::IngestOptions, crate::ingest::IngestError> {
        use crate::ingest::mapping::ShapeChoice;
        use crate::ingest::{IngestError, IngestOptions};
        Ok(IngestOptions {
            batch_rows: self.batch_rows.max(1),
            max_inflated_bytes: self.max_inflated_bytes,
            shape: ShapeChoice {
                preset: None,
                mapping: self.mapping.clone(),
            },
            timezone: match &self.timezone {
                Some(zone) => crate::ingest::values::zone(zone).map_err(IngestError::Timezone)?,
                None => chrono_tz::UTC,
            },
            ..IngestOptions::default()
        })
    }
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_bad_rows: None,
            batch_rows: 300_000,
            max_inflated_bytes: crate::ingest::DEFAULT_MAX_INFLATED_BYTES,
            timezone: None,
            mapping: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `error`, `warn`, `info`, `debug` or `trace`, or a tracing filter directive.
    pub level: String,
    /// How many daily log files to keep.
    pub keep_files: usize,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            keep_files: 7,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TuiConfig {
    /// Rows fetched per page by the results grid (the grid keeps a few pages at most).
    pub page_rows: usize,
    /// Key overrides: action name (as the help shows it) → keys (`q`, `ctrl+j`, `f5`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub keys: std::collections::BTreeMap<String, Vec<String>>,
    /// The tail the Stream screen starts and stops (`t`).
    pub stream: TuiStreamConfig,
    /// `dark` (for dark terminal backgrounds) or `light`; `T` switches while running.
    pub theme: ThemeName,
}

impl Default for TuiConfig {
    fn default() -> Self {
        Self {
            page_rows: 500,
            keys: Default::default(),
            stream: TuiStreamConfig::default(),
            theme: ThemeName::Dark,
        }
    }
}

/// `[tui.stream]`: what the workbench's tail consumes (`ECOM_BROKERS` overrides the brokers).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TuiStreamConfig {
    pub brokers: String,
    pub topic: String,
    pub group: String,
    /// Event-time window sizes (`1m`, `1h`).
    pub windows: Vec<String>,
}

impl Default for TuiStreamConfig {
    fn default() -> Self {
        Self {
            brokers: "127.0.0.1:9092".into(),
            topic: "uk-retail-raw".into(),
            group: "ecom-workbench".into(),
            windows: vec!["1m".into()],
        }
    }
}

impl Config {
    /// Reads `path` when it exists; a missing file gives the defaults unless `required`.
    pub fn load(path: &Path, required: bool) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Parses and validates the TOML text of a config file.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let invalid = |problem| ConfigError::Invalid {
            path: path.to_owned(),
            problem: Box::new(problem),
        };
        let mut config: Config = toml::from_str(text)
            .map_err(|e| invalid(ConfigProblem::Toml(describe_toml_error(text, &e))))?;
        for (action, keys) in std::mem::take(&mut config.keys) {
            if config.tui.keys.contains_key(&action) {
                return Err(invalid(ConfigProblem::KeysTwice(action)));
            }
            config.tui.keys.insert(action, keys);
        }
        config.validate().map_err(invalid)?;
        Ok(config)
    }

    /// Applies the `ECOM_*` environment layer (`ECOM_DB` is handled by the `--db` flag).
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(level) = env("ECOM_LOG") {
            self.log.level = level;
        }
        if let Some(brokers) = env("ECOM_BROKERS").filter(|b| !b.is_empty()) {
            self.tui.stream.brokers = brokers;
        }
        if let Some(limit) = env("ECOM_MAX_BAD_ROWS") {
            BadRowLimit::parse(&limit).map_err(|problem| ConfigError::Env {
                name: "ECOM_MAX_BAD_ROWS".into(),
                problem,
            })?;
            self.ingest.max_bad_rows = Some(limit);
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigProblem> {
        if let Some(limit) = &self.ingest.max_bad_rows {
            BadRowLimit::parse(limit).map_err(ConfigProblem::MaxBadRows)?;
        }
        if let Some(zone) = &self.ingest.timezone {
            crate::ingest::values::zone(zone).map_err(ConfigProblem::Timezone)?;
        }
        if let Some(mapping) = &self.ingest.mapping {
            mapping.validate().map_err(ConfigProblem::Mapping)?;
        }
        if self.ingest.batch_rows == 0 {
            return Err(ConfigProblem::BatchRows);
        }
        if self.tui.page_rows < 10 {
            return Err(ConfigProblem::PageRows);
        }
        for window in &self.tui.stream.windows {
            humantime::parse_duration(window).map_err(|source| ConfigProblem::Window {
                window: window.clone(),
                source,
            })?;
        }
        for job in &self.pipeline.jobs {
            job.validate()?;
        }
        Ok(())
    }

    /// The effective configuration as TOML, for `ecom config show`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// A toml error with its line number spelled out (toml gives a byte span).
fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().to_string();
    match error.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {message}")
        }
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_is_a_valid_config_equal_to_defaults() {
        let parsed = Config::parse(TEMPLATE, Path::new("template")).unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn keys_are_read_from_keys_or_tui_keys() {
        let path = Path::new("ecom.toml");
        let config = Config::parse("[keys]\nquit = [\"ctrl+q\"]\n", path).unwrap();
        assert_eq!(config.tui.keys["quit"], vec!["ctrl+q".to_string()]);
        let config = Config::parse("[tui.keys]\nquit = [\"ctrl+q\"]\n", path).unwrap();
        assert_eq!(config.tui.keys["quit"], vec!["ctrl+q".to_string()]);
        let both = "[keys]\nquit = [\"q\"]\n[tui.keys]\nquit = [\"ctrl+q\"]\n";
        let err = Config::parse(both, path).unwrap_err().to_string();
        assert!(err.contains("keys.quit and tui.keys.quit"), "{err}");
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let err = Config::parse(
            "[ingest]\nbatch_rows = 5\nbatchrows = 3\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("c.toml"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("batchrows"), "{err}");
    }

    #[test]
    fn an_ingest_mapping_and_zone_are_read_and_checked() {
        let path = Path::new("c.toml");
        let text = "[ingest]\ntimezone = \"Europe/Paris\"\n[ingest.mapping]\nname = \"shop\"\n\
                    [ingest.mapping.columns]\ninvoice_no = \"A\"\nstock_code = \"B\"\nquantity = \"C\"\n\
                    invoice_date = \"D\"\nunit_price = \"E\"\n";
        let config = Config::parse(text, path).unwrap();
        let options = config.ingest.options().unwrap();
        assert_eq!(options.timezone, chrono_tz::Europe::Paris);
        assert_eq!(options.shape.mapping.unwrap().name(), "shop");
        let err = Config::parse(&text.replace("Europe/Paris", "Paris"), path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ingest.timezone"), "{err}");
        let err = Config::parse(&text.replace("quantity = \"C\"\n", ""), path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ingest.mapping") && err.contains("quantity"),
            "{err}"
        );
    }

    #[test]
    fn closed_words_are_refused_with_the_words_allowed() {
        let path = Path::new("c.toml");
        let job =
            |kind: &str| format!("[[pipeline.jobs]]\nname = \"j\"\n{kind}sql = \"SELECT 1\"\n");
        let err = |text: &str| Config::parse(text, path).unwrap_err().to_string();
        // A kind of job that exists but is no pipeline job's, and a missing kind.
        for text in [job("kind = \"tail\"\n"), job("")] {
            assert!(
                err(&text)
                    .contains("pipeline job `j`: kind must be ingest, models, sql, export or ml"),
                "{}",
                err(&text)
            );
        }
        let typo = err(&job("kind = \"sqll\"\n"));
        assert!(typo.contains("line 3") && typo.contains("`sqll`"), "{typo}");
        assert!(
            typo.contains("ingest") && typo.contains("pipeline"),
            "{typo}"
        );
        let theme = err("[tui]\ntheme = \"blue\"\n");
        assert!(
            theme.contains("line 2") && theme.contains("`dark` or `light`"),
            "{theme}"
        );
        let sql = Config::parse(&job("kind = \"sql\"\n"), path).unwrap();
        assert_eq!(sql.pipeline.jobs[0].kind, Some(crate::jobs::JobKind::Sql));
    }

    #[test]
    fn a_config_error_says_its_problem_once_however_shown() {
        let err = Config::parse("[tui]\npage_rows = 1\n", Path::new("c.toml")).unwrap_err();
        let shown = format!("{:#}", anyhow::Error::from(err));
        assert_eq!(shown.matches("page_rows").count(), 1, "{shown}");
    }

    #[test]
    fn env_layer_overrides_file() {
        let mut c = Config::default();
        c.apply_env(|k| (k == "ECOM_LOG").then(|| "debug".to_string()))
            .unwrap();
        assert_eq!(c.log.level, "debug");
        let err = c
            .apply_env(|k| (k == "ECOM_MAX_BAD_ROWS").then(|| "lots".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("ECOM_MAX_BAD_ROWS"));
    }
}
