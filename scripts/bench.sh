#!/usr/bin/env bash
# Measures ecom against its peers in the same run and prints each figure as a ratio.
# Usage: scripts/bench.sh [--runs N] [--write]   (--write updates docs/BENCHMARKS.md)
#        scripts/bench.sh --formats [--runs N] [--write]   (ingest speed per input format)
#        scripts/bench.sh --dbt [--runs N] [--project DIR --vars YAML] [--write]
#                         (dbt projects: ecom against dbt-duckdb, deps + seed + build)
#        scripts/bench.sh --remote [--runs N]   (a page of 500 rows through `ecom serve`
#                         against the same page read locally)
#        scripts/bench.sh --grid   (only the slowest frame while the grid's search, sort
#                         and profile run over a 5,000,000-row result)
#        scripts/bench.sh --open   (only the first frame of `ecom open` on the full lake)
#        scripts/bench.sh --stream [--runs N]   (only `ecom tail` against the bare consumer,
#                         with the tail's CPU seconds by stage)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ECOM_ROOT"
check_data
ensure_venv
if [[ "${1:-}" == "--formats" ]]; then
    shift
    cargo build --release --bin ecom
    exec python scripts/bench/formats.py --ecom "$CARGO_TARGET_DIR/release/ecom" --data "$ECOM_TEST_DATA" "$@"
fi
if [[ "${1:-}" == "--dbt" ]]; then
    shift
    cargo build --release --bin ecom
    exec python scripts/bench/dbt_projects.py --ecom "$CARGO_TARGET_DIR/release/ecom" "$@"
fi
if [[ "${1:-}" == "--remote" ]]; then
    shift
    cargo build --release --bin ecom
    exec python scripts/bench/remote_page.py --ecom "$CARGO_TARGET_DIR/release/ecom" --data "$ECOM_TEST_DATA" "$@"
fi
ensure_packages tmux curl
if [[ "${1:-}" == "--grid" || "${1:-}" == "--open" ]]; then
    cargo build --release --bin ecom
    exec python scripts/bench/bench.py --ecom "$CARGO_TARGET_DIR/release/ecom" --data "$ECOM_TEST_DATA" "$@"
fi
trap stop_tansu EXIT
start_tansu
cargo build --release --bin ecom --example bare_consumer
python scripts/bench/bench.py --ecom "$CARGO_TARGET_DIR/release/ecom" \
    --bare-consumer "$CARGO_TARGET_DIR/release/examples/bare_consumer" --data "$ECOM_TEST_DATA" "$@"
