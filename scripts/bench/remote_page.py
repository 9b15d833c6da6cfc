#!/usr/bin/env python3
"""A page of 500 rows read through a running `ecom serve` against the same page read
locally: `ecom query --remote` against `ecom query --db` (both whole processes), and
the API's Arrow answer against Python duckdb reading the warehouse file (the bare
reads). Prints one line per figure: name, ecom, peer, ratio."""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
import urllib.request

import duckdb

SQL = "SELECT * FROM raw.order_lines ORDER BY invoice_no, source_line LIMIT 500"
RUN = iter(range(1_000_000))


def fresh(sql):
    """`sql` made new for the server's answer cache (a comment that differs each run)."""
    return f"{sql} -- run {next(RUN)}"


def timed(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ecom", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ecom-bench-remote-")
    db = os.path.join(work, "w.duckdb")
    env = dict(os.environ, XDG_STATE_HOME=work, XDG_CONFIG_HOME=work)
    ecom = lambda *a, **kw: subprocess.run(  # noqa: E731
        [args.ecom, "--db", db, *a], check=True, capture_output=True, env=env, **kw
    )
    ecom("ingest", args.data)
    token = ecom("serve", "token", "create", "--name", "bench", "--scope", "query").stdout.decode().strip()
    # Local reads first: the server holds the file once it runs.
    local_cli = timed(lambda: ecom("query", "--format", "csv", SQL), args.runs)
    def bare():
        con = duckdb.connect(db, read_only=True)
        con.execute(SQL).fetchall()
        con.close()
    local_bare = timed(bare, args.runs)
    server = subprocess.Popen(
        [args.ecom, "--db", db, "serve", "--addr", "127.0.0.1:0"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True,
    )
    try:
        while True:
            line = server.stderr.readline()
            if not line:
                raise SystemExit("serve exited before listening")
            if " on http://" in line:
                base = "http://" + line.split(" on http://")[1].split()[0]
                break
        remote_cli = timed(
            lambda: subprocess.run(
                [args.ecom, "--remote", base, "--token", token, "query", "--format", "csv", "--limit", "500", fresh(SQL)],
                check=True, capture_output=True, env=env,
            ),
            args.runs,
        )
        def api():
            request = urllib.request.Request(
                base + "/api/v1/query",
                data=json.dumps({"sql": fresh(SQL), "limit": 500}).encode(),
                headers={
                    "Authorization": "Bearer " + token,
                    "Content-Type": "application/json",
                    "Accept": "application/vnd.apache.arrow.stream",
                },
            )
            with urllib.request.urlopen(request) as answer:
                answer.read()
        remote_api = timed(api, args.runs)
    finally:
        server.terminate()
        server.wait()
    for name, ecom_time, peer_time in [
        ("remote page of 500 rows: `ecom query --remote` vs `ecom query --db` (whole processes)", remote_cli, local_cli),
        ("remote page of 500 rows: POST /api/v1/query (Arrow) vs Python duckdb on the file", remote_api, local_bare),
    ]:
        print(f"{name}\t{ecom_time:.3f} s\t{peer_time:.3f} s\t{ecom_time / peer_time:.2f}x")


if __name__ == "__main__":
    main()
