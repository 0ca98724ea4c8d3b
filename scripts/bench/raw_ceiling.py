"""The disk ceiling every Payrail benchmark compares against: single-row INSERT transactions per second into a WAL
SQLite file with synchronous=FULL, from one connection. Prints one integer (commits/s).

    python3 scripts/bench/raw_ceiling.py PATH SECONDS
"""
import os
import sqlite3
import sys
import time

path, seconds = sys.argv[1], float(sys.argv[2])
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
n, start = 0, time.time()
while time.time() - start < seconds:
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO t (v) VALUES ('x')")
    db.execute("COMMIT")
    n += 1
print(round(n / (time.time() - start)))
