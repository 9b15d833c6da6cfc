#!/usr/bin/env bash
# Installs and starts what the tests need, then runs every test (CI runs exactly this).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ECOM_ROOT"

check_data
ensure_packages tmux curl git
ensure_venv
log_file="$(mktemp)"
trap 'rm -f "$log_file"; stop_moto; stop_tansu' EXIT
start_moto
start_tansu

log "format and lints"
cargo fmt --check
cargo clippy --release --all-targets -- -D warnings

log "tests (target dir $CARGO_TARGET_DIR)"
# insta must compare against the committed snapshots, never write new ones.
export INSTA_UPDATE=no
status=0
cargo test --release --no-fail-fast 2>&1 | tee "$log_file" || status=$?
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1); if ($(i) ~ /^ignored;?$/) s += $(i-1) } }
     END { printf "total: %d passed, %d failed, %d skipped\n", p, f, s }' "$log_file"
exit "$status"
