#!/usr/bin/env python3
"""ecom's benchmarks: each figure is ecom against a peer, run alternately in the same
invocation (the machines are noisy, so only ratios mean anything), median of N runs."""
import argparse, datetime, os, shutil, statistics, subprocess, sys, tempfile, time

import duckdb


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_ingest(args, work):
    """Full data set into a fresh warehouse file: `ecom ingest DIR` (process start,
    migrations, parsing, quarantine checks, commit) against DuckDB's own `read_csv` of
    the same files into a table of a fresh database file, from Python."""
    def ecom():
        db = os.path.join(work, "ecom.duckdb")
        for f in (db, db + ".wal"):
            if os.path.exists(f):
                os.remove(f)
        env = dict(os.environ, XDG_STATE_HOME=os.path.join(work, "state"))
        subprocess.run([args.ecom, "--db", db, "-q", "ingest", args.data], check=True,
                       stdout=subprocess.DEVNULL, env=env)

    def peer():
        db = os.path.join(work, "peer.duckdb")
        for f in (db, db + ".wal"):
            if os.path.exists(f):
                os.remove(f)
        con = duckdb.connect(db)
        con.execute(f"CREATE TABLE order_lines AS SELECT * FROM read_csv('{args.data}/*.csv')")
        con.close()

    return run_pair(args.runs, ecom, peer)


def run_pair(runs, ecom, peer):
    ecom(), peer()  # warm the page cache for both
    e, p = [], []
    for _ in range(runs):
        e.append(timed(ecom))
        p.append(timed(peer))
    return statistics.median(e), statistics.median(p)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ecom", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ecom-bench-")
    rows = []
    try:
        e, p = bench_ingest(args, work)
        rows.append(("ingest, full data (305 files, 541,909 lines)",
                     "DuckDB read_csv into a table (Python duckdb " + duckdb.__version__ + ")",
                     e, p, "≤ 1.2×"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = ["| figure | peer | ecom | peer time | ratio | target |",
             "|---|---|---|---|---|---|"]
    for name, peer, e, p, target in rows:
        table.append(f"| {name} | {peer} | {e:.3f} s | {p:.3f} s | {e / p:.2f}× | {target} |")
    print("\n".join(table))
    if args.write:
        write_doc(table, args)


def write_doc(table, args):
    path = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "BENCHMARKS.md")
    cpu = subprocess.run(["sh", "-c", "nproc"], capture_output=True, text=True).stdout.strip()
    text = f"""# Benchmarks

Each figure is ecom against a peer doing the same work, run alternately in one
invocation; times are medians of {args.runs} runs after one warm-up run each. Only the
ratio is meaningful: the machines are shared and noisy.

Produced by `scripts/bench.sh --runs {args.runs} --write` on {datetime.date.today()}
({cpu} cores).

{chr(10).join(table)}
"""
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
