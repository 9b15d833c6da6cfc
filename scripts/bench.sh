#!/usr/bin/env bash
# Measures ecom against its peers in the same run and prints each figure as a ratio.
# Usage: scripts/bench.sh [--runs N] [--write]   (--write updates docs/BENCHMARKS.md)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ECOM_ROOT"
check_data
ensure_venv
cargo build --release
python scripts/bench/bench.py --ecom "$CARGO_TARGET_DIR/release/ecom" --data "$ECOM_TEST_DATA" "$@"
