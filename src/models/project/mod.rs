//! Reading a dbt project from disk: `dbt_project.yml`, models, property files, seeds,
//! macros and singular tests. Configs from the project file and the property files are
//! applied here; the models' own `config()` calls are applied when they are parsed.
//!
//! `types` is what a project holds, `load` reads it, `project_file` and `properties`
//! read `dbt_project.yml` and the property files, `yaml` the files themselves.

mod load;
mod project_file;
mod properties;
mod types;
mod yaml;

pub use types::{LoadOptions, Project, SemanticEntry, SourceTable};
