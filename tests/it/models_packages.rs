//! `ecom models deps` against real git: a package in a repository of its own, pinned
//! in `package-lock.yml` and reinstalled at the pinned commit after the branch moves;
//! a dbt Hub package, which ecom never downloads, names how to vendor it.

use std::path::Path;
use std::process::Command;

use crate::common::*;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A package repository whose `greet()` says `word`.
fn commit_package(repo: &Path, word: &str) -> String {
    std::fs::create_dir_all(repo.join("macros")).unwrap();
    std::fs::write(
        repo.join("dbt_project.yml"),
        "name: greeter\nversion: '1.0'\nconfig-version: 2\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("macros/greet.sql"),
        format!("{{% macro greet() %}}'{word}'{{% endmacro %}}\n"),
    )
    .unwrap();
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", word]);
    git(repo, &["rev-parse", "HEAD"])
}

/// `deps` then `build`, and the word the model greets with.
fn deps_build_and_read(db: &Path, project: &Path) -> String {
    for step in ["deps", "build"] {
        run_ok(ecom(db).args(["models", step, "--project"]).arg(project));
    }
    run_ok(ecom(db).args(["--json", "query", "select word from main.greeting"]))
}

#[test]
fn git_packages_install_at_the_locked_commit() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("greeter");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    let first = commit_package(&repo, "hello");
    let project = dir.path().join("shop");
    std::fs::create_dir_all(project.join("models")).unwrap();
    std::fs::write(
        project.join("dbt_project.yml"),
        "name: shop\nversion: '1.0'\nconfig-version: 2\n",
    )
    .unwrap();
    std::fs::write(
        project.join("packages.yml"),
        format!(
            "packages:\n  - git: \"{}\"\n    revision: main\n",
            repo.display()
        ),
    )
    .unwrap();
    std::fs::write(
        project.join("models/greeting.sql"),
        "select {{ greeter.greet() }} as word\n",
    )
    .unwrap();
    let db = dir.path().join("w.duckdb");

    let said = run_ok(
        ecom(&db)
            .args(["models", "deps", "--project"])
            .arg(&project),
    );
    let lock = std::fs::read_to_string(project.join("package-lock.yml")).unwrap();
    assert!(lock.contains(&format!("revision: {first}")), "{lock}");
    assert!(lock.contains("sha1_hash: "), "{lock}");
    assert!(said.is_empty(), "deps reports on stderr: {said}");

    // The branch moves on; the lock still says the first commit.
    commit_package(&repo, "bonjour");
    std::fs::remove_dir_all(project.join("dbt_packages")).unwrap();
    let word = deps_build_and_read(&db, &project);
    assert!(word.contains("hello"), "{word}");

    // A changed packages.yml no longer matches the lock: the branch's head is taken.
    std::fs::write(
        project.join("packages.yml"),
        format!(
            "packages:\n  - git: \"{}\"\n    revision: main\n    warn-unpinned: false\n",
            repo.display()
        ),
    )
    .unwrap();
    let word = deps_build_and_read(&db, &project);
    assert!(word.contains("bonjour"), "{word}");

    // A revision is never an option of git's.
    std::fs::write(
        project.join("packages.yml"),
        format!(
            "packages:\n  - git: \"{}\"\n    revision: \"--orphan=x\"\n",
            repo.display()
        ),
    )
    .unwrap();
    let out = ecom(&db)
        .args(["models", "deps", "--project"])
        .arg(&project)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("has no revision --orphan=x"), "{stderr}");
}

#[test]
fn a_hub_package_is_never_downloaded() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("shop");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("dbt_project.yml"),
        "name: shop\nversion: '1.0'\nconfig-version: 2\n",
    )
    .unwrap();
    std::fs::write(
        project.join("packages.yml"),
        "packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n",
    )
    .unwrap();
    let out = ecom(&dir.path().join("w.duckdb"))
        .args(["models", "deps", "--project"])
        .arg(&project)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("dbt-labs/dbt_utils is a dbt Hub package"),
        "{stderr}"
    );
    assert!(stderr.contains("git: <url>"), "{stderr}");
    assert!(!project.join("package-lock.yml").exists());
}
