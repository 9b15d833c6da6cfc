#!/usr/bin/env python3
"""Rebuilds sample_data/ from the full by-day data set.

Takes every 120th invoice (whole invoices, spread over the whole year) plus every line
with a non-ASCII character (so the ISO-8859-1 file shows `£`), and writes the same lines
in both public dialects:
  online-retail-sample.csv         by-day dialect: UTF-8, ISO timestamps, CustomerID 17850.0
  online-retail-sample-latin1.csv  data.csv dialect: ISO-8859-1, m/d/yyyy h:mm, CustomerID 17850
Usage: scripts/dev/make_sample.py ../shared/data/online-retail/by-day sample_data
"""
import csv, glob, os, sys
from datetime import datetime

src, out = sys.argv[1], sys.argv[2]
rows, invoices = [], []
header = None
for path in sorted(glob.glob(os.path.join(src, "*.csv"))):
    with open(path, encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        header = next(r)
        for row in r:
            if not invoices or invoices[-1] != row[0]:
                invoices.append(row[0])
            if (len(invoices) - 1) % 120 == 0 or any(ord(c) > 127 for c in row[2]):
                rows.append(row)

def write(name, encoding, convert):
    with open(os.path.join(out, name), "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(convert(list(row)))

def to_latin1_dialect(row):
    ts = datetime.strptime(row[4], "%Y-%m-%d %H:%M:%S")
    row[4] = f"{ts.month}/{ts.day}/{ts.year} {ts.hour}:{ts.minute:02d}"
    row[6] = row[6].split(".")[0]
    return row

write("online-retail-sample.csv", "utf-8", lambda r: r)
write("online-retail-sample-latin1.csv", "iso-8859-1", to_latin1_dialect)
print(len(rows), "lines,", len(set(r[0] for r in rows)), "invoices")
