//! Loading a project from its folder: `dbt_project.yml`, then the macros of the
//! project and its installed packages, models, seeds, singular tests, snapshots and
//! property files, each read into nodes with the project file's configs applied.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::project_file::{dispatch_orders, merge_vars, render_configs};
use super::types::{LoadOptions, Project};
use super::yaml::{files_under, list, read_yaml, string_list, text_of};
use crate::models::config::{NodeConfig, project_layers};
use crate::models::error::ModelError;
use crate::models::jinja::macros::MacroFile;
use crate::models::jinja::tags::{macro_names, preprocess_macros, snapshot_blocks};
use crate::models::node::{Node, ResourceType};
use crate::models::packages;

impl Project {
    /// Loads the project in `root`.
    pub fn load(root: &Path, options: &LoadOptions) -> Result<Self, ModelError> {
        let project_file = root.join("dbt_project.yml");
        if !project_file.is_file() {
            return Err(ModelError::project(
                &project_file,
                "no dbt_project.yml here: pass --project DIR with a dbt project, or `ecom models init DIR` to start one",
            ));
        }
        let file = read_yaml(&project_file)?;
        let name = text_of(&file, "name")
            .ok_or_else(|| ModelError::project(&project_file, "the project has no `name`"))?
            .to_string();
        let installed = packages::installed(&packages::install_dir(root, &file))?;
        let vars = merge_vars(&name, &file, &options.vars);
        let hooks = |key: &str| -> Vec<String> {
            match file.get(key) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                Some(Value::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            }
        };
        let target_dir = root.join(text_of(&file, "target-path").unwrap_or("target"));
        let mut project = Project {
            root: root.to_path_buf(),
            name,
            vars,
            on_run_start: hooks("on-run-start"),
            on_run_end: hooks("on-run-end"),
            macros: Vec::new(),
            dispatch: dispatch_orders(&file),
            nodes: BTreeMap::new(),
            sources: Vec::new(),
            semantic: Vec::new(),
            target_schema: options
                .target_schema
                .clone()
                .unwrap_or_else(|| "main".into()),
            target_dir,
            fixture_dirs: Vec::new(),
        };
        let model_paths = string_list(
            file.get("model-paths").or(file.get("source-paths")),
            "models",
        );
        let seed_paths = string_list(file.get("seed-paths").or(file.get("data-paths")), "seeds");
        let test_paths = string_list(file.get("test-paths"), "tests");
        project.fixture_dirs = test_paths
            .iter()
            .map(|t| root.join(t).join("fixtures"))
            .collect();
        let macro_paths = string_list(file.get("macro-paths"), "macros");
        let snapshot_paths = string_list(file.get("snapshot-paths"), "snapshots");
        let configs = render_configs(&file, &project.vars, &project.target_schema)?;
        let empty = Value::Null;
        let model_tree = configs.get("models").unwrap_or(&empty);
        let seed_tree = configs.get("seeds").unwrap_or(&empty);
        let test_tree = configs
            .get("data_tests")
            .or(configs.get("tests"))
            .unwrap_or(&empty);
        let snapshot_tree = configs.get("snapshots").unwrap_or(&empty);

        project.read_macros(root, &project.name.clone(), &macro_paths)?;
        for package in &installed {
            let paths = string_list(package.project_file.get("macro-paths"), "macros");
            project.read_macros(&package.root, &package.name, &paths)?;
        }
        for dir in &model_paths {
            for path in files_under(root, dir, &["sql"]) {
                let node =
                    project.file_node(&path, dir, ResourceType::Model, "view", model_tree)?;
                project.insert(node)?;
            }
        }
        for dir in &seed_paths {
            for path in files_under(root, dir, &["csv"]) {
                let node = project.file_node(&path, dir, ResourceType::Seed, "seed", seed_tree)?;
                project.insert(node)?;
            }
        }
        for dir in &test_paths {
            // `<test-path>/fixtures/` holds unit-test fixtures, not singular tests.
            let fixtures = Path::new(dir).join("fixtures");
            for path in files_under(root, dir, &["sql"])
                .into_iter()
                .filter(|p| !p.starts_with(&fixtures))
            {
                let node = project.file_node(&path, dir, ResourceType::Test, "test", test_tree)?;
                project.insert(node)?;
            }
        }
        for dir in &snapshot_paths {
            for path in files_under(root, dir, &["sql"]) {
                let source = std::fs::read_to_string(root.join(&path))?;
                for (name, body) in snapshot_blocks(&source) {
                    let mut fqn = vec![project.name.clone()];
                    fqn.extend(
                        path.strip_prefix(dir)
                            .unwrap_or(&path)
                            .with_extension("")
                            .iter()
                            .map(|s| s.to_string_lossy().to_string()),
                    );
                    fqn.push(name.clone());
                    let node = project.snapshot_node(&path, name, fqn, body, snapshot_tree);
                    project.insert(node)?;
                }
            }
        }
        for dir in model_paths.iter().chain(&seed_paths).chain(&snapshot_paths) {
            for path in files_under(root, dir, &["yml", "yaml"]) {
                let doc = read_yaml(&root.join(&path))?;
                project.apply_properties(&path, &doc, test_tree)?;
                for entry in list(&doc, "snapshots") {
                    let (Some(name), Some(relation)) =
                        (text_of(entry, "name"), text_of(entry, "relation"))
                    else {
                        continue;
                    };
                    let mut fqn = vec![project.name.clone()];
                    fqn.extend(
                        path.strip_prefix(dir)
                            .unwrap_or(&path)
                            .parent()
                            .into_iter()
                            .flat_map(|p| p.iter().map(|s| s.to_string_lossy().to_string())),
                    );
                    fqn.push(name.to_string());
                    let body = format!("select * from {{{{ {relation} }}}}");
                    let mut node =
                        project.snapshot_node(&path, name.to_string(), fqn, body, snapshot_tree);
                    if let Some(config) = entry.get("config").and_then(Value::as_object) {
                        node.config.apply(config);
                    }
                    project.insert(node)?;
                }
            }
        }
        Ok(project)
    }

    /// The macro files under `dirs` of the package `package` rooted at `root`.
    fn read_macros(
        &mut self,
        root: &Path,
        package: &str,
        dirs: &[String],
    ) -> Result<(), ModelError> {
        for dir in dirs {
            for path in files_under(root, dir, &["sql"]) {
                let full = root.join(&path);
                let text = std::fs::read_to_string(&full)
                    .map_err(|e| ModelError::project(&full, format!("cannot read it: {e}")))?;
                let source = preprocess_macros(&text);
                let names = macro_names(&source);
                self.macros.push(MacroFile {
                    package: package.to_string(),
                    path: if package == self.name { path } else { full },
                    source,
                    names,
                });
            }
        }
        Ok(())
    }

    /// A model, seed or singular test read from its file.
    fn file_node(
        &self,
        path: &Path,
        base: &str,
        resource_type: ResourceType,
        default_materialized: &str,
        tree: &Value,
    ) -> Result<Node, ModelError> {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let folders: Vec<String> = path
            .strip_prefix(base)
            .unwrap_or(path)
            .parent()
            .map(|p| p.iter().map(|s| s.to_string_lossy().to_string()).collect())
            .unwrap_or_default();
        let mut fqn = vec![self.name.clone()];
        fqn.extend(folders);
        fqn.push(name.clone());
        let mut config = NodeConfig::new(default_materialized);
        for layer in project_layers(tree, &fqn) {
            config.apply(&layer);
        }
        let raw_sql = if resource_type == ResourceType::Seed {
            String::new()
        } else {
            std::fs::read_to_string(self.root.join(path))?
        };
        let unique_id = format!("{}.{}.{}", resource_type.name(), self.name, name);
        Ok(Node::new(
            unique_id,
            name,
            resource_type,
            path,
            fqn,
            raw_sql,
            config,
        ))
    }

    /// A snapshot node (its query is `body`).
    fn snapshot_node(
        &self,
        path: &Path,
        name: String,
        fqn: Vec<String>,
        body: String,
        tree: &Value,
    ) -> Node {
        let mut config = NodeConfig::new("snapshot");
        for layer in project_layers(tree, &fqn) {
            config.apply(&layer);
        }
        let unique_id = format!("snapshot.{}.{name}", self.name);
        Node::new(
            unique_id,
            name,
            ResourceType::Snapshot,
            path,
            fqn,
            body,
            config,
        )
    }
}
