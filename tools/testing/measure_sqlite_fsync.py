#!/usr/bin/env python3
"""Commit cost of SQLite in WAL mode with synchronous=NORMAL and FULL on this disk (docs/SECURITY.md §10).

    TMPDIR=/path/on/the/disk python3 tools/testing/measure_sqlite_fsync.py
"""
import sqlite3, time, os, tempfile
for mode in ["NORMAL", "FULL"]:
    d = tempfile.mkdtemp()  # on the disk under test: pass TMPDIR=…
    db = sqlite3.connect(os.path.join(d, "t.sqlite"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL"); db.execute(f"PRAGMA synchronous={mode}")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, doc TEXT)")
    n = 2000
    start = time.perf_counter()
    for i in range(n):
        db.execute("BEGIN"); db.execute("INSERT INTO t (doc) VALUES (?)", ("x" * 400,)); db.execute("COMMIT")
    el = time.perf_counter() - start
    print(f"synchronous={mode}: {n} commits in {el:.3f} s = {el/n*1e6:.0f} µs per commit, {n/el:.0f} commits/s")
