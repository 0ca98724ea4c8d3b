"""The SQLite floor of an order create (a benchmark figure, not a test).

Replays the rows that real creates wrote (read from the gateway benchmark's database after its create phases) into
a fresh migrated database, the way the gateway's group-commit writer writes them: per create, the out_order_no
lookup, the idempotency-record upsert and one INSERT per row (order, outbox event, outbox delivery, merchant event,
webhook delivery), BATCH creates per commit, one connection, one thread. No HTTP, no JSON, no signing, no Swift:
what SQLite alone costs for the rows a create must write. Python's own call overhead is measured and printed; it is
included in the figures, so the floor is slightly pessimistic.

    python3 scripts/bench/create_floor.py [--limit N] SOURCE_DB SCRATCH_DB PAYRAILCTL BATCH [BATCH ...]

--limit replays the first N creates only (default 40,000).

Prints one line per batch size and durability mode:
    floor batch=26 synchronous=FULL creates_per_s=9552 us_per_create=105 python_us=6
With synchronous=FULL the figure is the single writer's serial time per create (commits wait for the disk); with
synchronous=OFF it is SQLite's CPU per create.
"""

import argparse
import os
import sqlite3
import subprocess
import sys
import time

TABLES = ["idempotency_record", "orders", "event", "delivery", "merchant_event", "webhook_delivery"]
REFERENCED = ("merchant", "channel_account", "api_key", "webhook_endpoint")


def fresh(path, ctl, synchronous):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    subprocess.run([ctl, "migrate", "--database", path], check=True, capture_output=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("PRAGMA foreign_keys=ON")
    return db


def select(db, table):
    cursor = db.execute(f"SELECT * FROM {table}")
    return [d[0] for d in cursor.description], cursor.fetchall()


def insert_sql(table, columns):
    return f"INSERT INTO {table} ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})"


def load(source):
    """The creates in commit order (their order.created events by seq), each as the rows it wrote."""
    db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    tables = {table: select(db, table) for table in TABLES}
    referenced = {table: select(db, table) for table in REFERENCED}

    def by(table, column, many=False):
        columns, rows = tables[table]
        index, grouped = columns.index(column), {}
        for row in rows:
            grouped.setdefault(row[index], []).append(row)
        return grouped if many else {k: v[0] for k, v in grouped.items()}

    event_columns, events = tables["event"]
    seq, event_id, kind, aggregate = (event_columns.index(c) for c in ("seq", "id", "type", "aggregate"))
    orders, deliveries = by("orders", "id"), by("delivery", "event_seq", many=True)
    merchant_events, webhooks = by("merchant_event", "event_id"), by("webhook_delivery", "event_id", many=True)
    records = by("idempotency_record", "key")  # the benchmark uses each out_order_no as its Idempotency-Key
    order_columns = tables["orders"][0]
    number = order_columns.index("out_order_no")
    creates = []
    for event in sorted(events, key=lambda e: e[seq]):
        if event[kind] != "order.created" or event[aggregate] not in orders:
            continue
        order = orders[event[aggregate]]
        creates.append({
            "idempotency_record": [records[order[number]]] if order[number] in records else [],
            "orders": [order], "event": [event], "delivery": deliveries.get(event[seq], []),
            "merchant_event": [merchant_events[event[event_id]]] if event[event_id] in merchant_events else [],
            "webhook_delivery": webhooks.get(event[event_id], []),
        })
    return creates, {t: cols for t, (cols, _) in tables.items()}, referenced


def replay(db, creates, columns, referenced, batch, limit):
    for table, (names, values) in referenced.items():
        db.executemany(insert_sql(table, names), values)
    creates = creates[:limit]
    merchant, number = columns["orders"].index("merchant_id"), columns["orders"].index("out_order_no")
    upsert = insert_sql("idempotency_record", columns["idempotency_record"]) + (
        " ON CONFLICT (merchant_id, key) DO UPDATE SET fingerprint = excluded.fingerprint,"
        " status_code = excluded.status_code, response = excluded.response, created_at = excluded.created_at,"
        " expires_at = excluded.expires_at WHERE idempotency_record.expires_at <= excluded.created_at")
    inserts = [(t, insert_sql(t, columns[t])) for t in TABLES[1:]]
    lookup = "SELECT rowid FROM orders WHERE merchant_id = ? AND out_order_no = ?"
    calls = 0
    start = time.perf_counter()
    for first in range(0, len(creates), batch):
        db.execute("BEGIN IMMEDIATE")
        for create in creates[first:first + batch]:
            order = create["orders"][0]
            db.execute(lookup, (order[merchant], order[number])).fetchone()
            for record in create["idempotency_record"]:
                db.execute(upsert, record)
            for table, sql in inserts:
                for row in create[table]:
                    db.execute(sql, row)
                    calls += 1
            calls += 1 + len(create["idempotency_record"])
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    # Python's own cost for the same number of calls, on a statement that does nothing.
    start = time.perf_counter()
    for _ in range(calls):
        db.execute("SELECT ?", (1,))
    python = time.perf_counter() - start
    return len(creates), elapsed, python


def main():
    parser = argparse.ArgumentParser(description="The SQLite floor of an order create.")
    parser.add_argument("--limit", type=int, default=40_000)
    parser.add_argument("source")
    parser.add_argument("scratch")
    parser.add_argument("payrailctl")
    parser.add_argument("batches", type=int, nargs="*", default=[26])
    args = parser.parse_args()
    source, scratch, ctl, batches = args.source, args.scratch, args.payrailctl, args.batches
    creates, columns, referenced = load(source)
    if len(creates) < 1000:
        sys.exit("create_floor: the source database holds fewer than 1,000 creates")
    for batch in batches:
        for synchronous in ("FULL", "OFF"):
            db = fresh(scratch, ctl, synchronous)
            count, elapsed, python = replay(db, creates, columns, referenced, max(batch, 1), args.limit)
            db.close()
            print(f"floor batch={batch} synchronous={synchronous} creates={count}"
                  f" creates_per_s={count / elapsed:.0f} us_per_create={1e6 * elapsed / count:.0f}"
                  f" python_us={1e6 * python / count:.0f}")


if __name__ == "__main__":
    main()
