#!/usr/bin/env bash
# Installs and starts what the tests need, then runs every test (CI runs exactly this).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ECOM_ROOT"

check_data
ensure_packages tmux

log "format and lints"
cargo fmt --check
cargo clippy --release --all-targets -- -D warnings

log "tests (target dir $CARGO_TARGET_DIR)"
# insta must compare against the committed snapshots, never write new ones.
export INSTA_UPDATE=no
cargo test --release --no-fail-fast
log "all tests passed"
