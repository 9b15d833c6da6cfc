#!/usr/bin/env python3
"""Runs a dbt project under real dbt-duckdb on a copy of an ecom warehouse's raw data and
compares every relation dbt builds with the one ecom built.

Usage: dbt_compare.py --ecom-db WAREHOUSE --project DIR [--dbt PATH] [--schemas staging,marts]
Prints one JSON document: per relation, row counts on both sides and the rows that differ
(EXCEPT ALL both ways). Exits 1 when any relation differs or is missing, 2 when dbt fails.
"""
import argparse, json, os, subprocess, sys, tempfile, time

import duckdb


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ecom-db", required=True)
    p.add_argument("--project", required=True)
    p.add_argument("--dbt", default=os.path.join(os.path.dirname(sys.executable), "dbt"))
    p.add_argument("--schemas", default="staging,marts")
    a = p.parse_args()
    schemas = a.schemas.split(",")
    work = tempfile.mkdtemp(prefix="ecom-dbt-compare-")
    dbt_db = os.path.join(work, "dbt.duckdb")
    con = duckdb.connect(dbt_db)
    con.execute(f"ATTACH '{a.ecom_db}' AS e (READ_ONLY)")
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.order_lines AS SELECT * FROM e.raw.order_lines")
    con.execute("DETACH e")
    con.close()
    with open(os.path.join(work, "profiles.yml"), "w") as f:
        f.write(f"ecom:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{dbt_db}'\n      schema: main\n      threads: 2\n")
    started = time.time()
    run = subprocess.run(
        [a.dbt, "build", "--project-dir", a.project, "--profiles-dir", work,
         "--target-path", os.path.join(work, "target"), "--log-path", os.path.join(work, "logs")],
        capture_output=True, text=True)
    dbt_seconds = time.time() - started
    if run.returncode != 0:
        print(run.stdout[-4000:], run.stderr[-2000:], file=sys.stderr)
        sys.exit(2)
    con = duckdb.connect()
    con.execute(f"ATTACH '{a.ecom_db}' AS e (READ_ONLY)")
    con.execute(f"ATTACH '{dbt_db}' AS d (READ_ONLY)")
    names = ", ".join(f"'{s}'" for s in schemas)
    relations = con.execute(
        f"SELECT table_schema, table_name FROM information_schema.tables "
        f"WHERE table_catalog = 'd' AND table_schema IN ({names}) ORDER BY 1, 2").fetchall()
    report, ok = [], True
    for schema, table in relations:
        d, e = f'd."{schema}"."{table}"', f'e."{schema}"."{table}"'
        entry = {"relation": f"{schema}.{table}"}
        try:
            d_cols = [r[0] for r in con.execute(f"DESCRIBE {d}").fetchall()]
            e_cols = [r[0] for r in con.execute(f"DESCRIBE {e}").fetchall()]
            entry["columns_match"] = d_cols == e_cols
            entry["dbt_rows"] = con.execute(f"SELECT count(*) FROM {d}").fetchone()[0]
            entry["ecom_rows"] = con.execute(f"SELECT count(*) FROM {e}").fetchone()[0]
            cols = ", ".join(f'"{c}"' for c in d_cols)
            entry["only_in_dbt"] = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {d} EXCEPT ALL SELECT {cols} FROM {e})").fetchone()[0]
            entry["only_in_ecom"] = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {e} EXCEPT ALL SELECT {cols} FROM {d})").fetchone()[0]
            entry["identical"] = entry["columns_match"] and entry["only_in_dbt"] == 0 and entry["only_in_ecom"] == 0 and entry["dbt_rows"] == entry["ecom_rows"]
        except duckdb.Error as err:
            entry["identical"] = False
            entry["error"] = str(err).splitlines()[0]
        ok &= entry["identical"]
        report.append(entry)
    print(json.dumps({"identical": ok and bool(report), "dbt_seconds": round(dbt_seconds, 2), "relations": report}, indent=1))
    sys.exit(0 if ok and report else 1)


if __name__ == "__main__":
    main()
