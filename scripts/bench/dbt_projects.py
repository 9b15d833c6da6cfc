#!/usr/bin/env python3
"""dbt projects end to end: ecom against dbt-duckdb on the same project, same run.

Each project runs `deps` (when it has packages), `seed`, then `build`, on a fresh
warehouse, process start included, as a dbt user runs it: `ecom models …` against
`dbt …`. The conformance projects of tests/fixtures/projects come first; `--project
DIR` adds any other project (a public one checked out locally, e.g. dbt-labs'
jaffle-shop with its dbt_packages/ filled), with `--vars` for it. Prints each total
time and the ratio; `--write` replaces the "dbt projects" section of BENCHMARKS.md.

Usage: scripts/bench.sh --dbt [--runs N] [--project DIR [--vars YAML]] [--write]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

FIXTURES = ["basics", "packages", "unit_tests", "snapshots", "seeds_typed", "incremental"]


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def steps(project, installed=False):
    """`deps` runs for projects whose packages this machine can install (a public
    project's hub packages come already installed: dbt would try the network)."""
    has_packages = any(os.path.exists(os.path.join(project, f)) for f in ("packages.yml", "dependencies.yml"))
    return (["deps"] if has_packages and not installed else []) + ["seed", "build"]


def bench(args, work, label, source, vars_yaml):
    project = os.path.join(work, label)
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(source, project, symlinks=True,
                    ignore=shutil.ignore_patterns("target", "logs", "*.duckdb"))
    db = os.path.join(work, label + ".duckdb")
    with open(os.path.join(work, "profiles.yml"), "w") as f:
        f.write("ecom:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
                f"      path: '{db}'\n      schema: main\n      threads: 2\n")
        # Public projects name their own profile: the same target under that name.
        name = profile_name(project)
        if name and name != "ecom":
            f.write(f"{name}:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
                    f"      path: '{db}'\n      schema: main\n      threads: 2\n")
    env = dict(os.environ, XDG_STATE_HOME=os.path.join(work, "state"), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    extra = ["--vars", vars_yaml] if vars_yaml else []
    dbt = os.path.join(os.path.dirname(sys.executable), "dbt")

    def clean():
        for f in (db, db + ".wal"):
            if os.path.exists(f):
                os.remove(f)

    def run(cmd):
        # Build steps may end in failing tests on purpose (exit 1 or 3): time them all.
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=work)

    installed = vars_yaml is not None or label not in FIXTURES

    def ecom():
        clean()
        for step in steps(project, installed):
            run([args.ecom, "--db", db, "-q", "models", step, "--project", project]
                + (extra if step != "deps" else []))

    def peer():
        clean()
        for step in steps(project, installed):
            run([dbt, step, "--project-dir", project, "--profiles-dir", work, "--no-version-check",
                 "--target-path", os.path.join(work, "dbt-target"), "--log-path", os.path.join(work, "dbt-logs")]
                + (extra if step != "deps" else []))

    ecom(), peer()  # warm both
    e = statistics.median(timed(ecom) for _ in range(args.runs))
    p = statistics.median(timed(peer) for _ in range(args.runs))
    return e, p


def profile_name(project):
    with open(os.path.join(project, "dbt_project.yml")) as f:
        for line in f:
            m = re.match(r"\s*profile:\s*['\"]?([\w-]+)", line)
            if m:
                return m.group(1)
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ecom", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project", action="append", default=[], help="another dbt project folder")
    parser.add_argument("--vars", default=None, help="--vars for the --project ones")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ecom-bench-dbt-")
    rows = []
    try:
        projects = [(name, os.path.join(args.root, "tests", "fixtures", "projects", name), None) for name in FIXTURES]
        projects += [(os.path.basename(os.path.abspath(p)), p, args.vars) for p in args.project]
        for label, source, vars_yaml in projects:
            e, p = bench(args, work, label, source, vars_yaml)
            public = vars_yaml is not None or label not in FIXTURES
            kind = "public project" if public else "fixture"
            print(f"{label:24} ecom {e:7.3f} s   dbt {p:7.3f} s   {e / p:5.2f}×", flush=True)
            rows.append(f"| `{label}` ({kind}) | {' + '.join(steps(source, public))} | {e:.3f} s | {p:.3f} s | {e / p:.2f}× | ≤ 0.33× |")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    section = "\n".join([
        "## dbt projects (issue #18)",
        "",
        f"Produced by `scripts/bench.sh --dbt --runs {args.runs}"
        + "".join(f" --project {os.path.basename(os.path.abspath(p))}" for p in args.project)
        + (f" --vars '{args.vars}'" if args.vars else "") + " --write`: each project's",
        "`deps` (when it has packages), `seed` and `build` on a fresh warehouse, process start",
        "included, `ecom models …` against dbt-duckdb 1.9's `dbt …` (median of the runs). The",
        "public projects are checked out locally with their packages in `dbt_packages/`; none",
        "of their code is in this repository.",
        "",
        "| project | commands | ecom | dbt-duckdb | ratio | target |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ])
    print()
    print(section)
    if args.write:
        doc = os.path.join(args.root, "docs", "BENCHMARKS.md")
        text = open(doc).read()
        text = re.sub(r"## dbt projects \(issue #18\)\n.*?(?=\n## |\Z)", "", text, flags=re.S).rstrip()
        with open(doc, "w") as f:
            f.write(text + "\n\n" + section)


if __name__ == "__main__":
    main()
