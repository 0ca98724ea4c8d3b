#!/usr/bin/env python3
"""Data generator and Python baseline for scripts/bench/reconcile.sh (not a test).

  reconcile_bench.py gen DB BILLS_DIR DATE LINES   # fills a migrated Payrail DB and writes the bills
  reconcile_bench.py baseline DB BILLS_DIR DATE    # a straightforward dict match of the same data

Planted differences (on top of LINES matching payments): 100 amount mismatches, 100 lines Payrail lacks,
100 orders the bill lacks, 50 failed statuses, 50 duplicated lines -> 400 differences.
"""
import csv
import datetime
import json
import random
import sqlite3
import sys
import time

MERCHANT = "mch_01benchbenchbenchbenchbenc"
ACCOUNT = "cha_01benchbenchbenchbenchbenc"
APP = "tt_bench"
PLANTED = {"amount_mismatch": 100, "missing_in_payrail": 100, "missing_at_provider": 100,
           "status_mismatch": 50, "duplicate_line": 50}
HEADERS = {
    "payment": "trade_time,order_id,out_order_no,app_id,merchant_id,way,total_amount,status,channel_no",
    "refund": "refund_time,refund_no,out_refund_no,order_id,out_order_no,app_id,merchant_id,refund_amount,status",
    "settle": "settle_time,settle_no,out_settle_no,order_id,out_order_no,app_id,merchant_id,settle_amount,rake,"
              "commission,status",
}
CST = datetime.timezone(datetime.timedelta(hours=8))


def day_start_ms(date):
    d = datetime.datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=CST)
    return int(d.timestamp() * 1000)


def cst(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, CST).strftime("%Y-%m-%d %H:%M:%S")


def gen(db_path, bills_dir, date, lines):
    import os
    rng = random.Random(42)
    start = day_start_ms(date)
    folder = os.path.join(bills_dir, ACCOUNT, date.replace("-", ""))
    os.makedirs(folder, exist_ok=True)
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    now = int(time.time() * 1000)
    db.execute("INSERT INTO merchant VALUES (?, 'Bench shop', 'k', 'box', ?)", (MERCHANT, now))
    db.execute(
        "INSERT INTO channel_account (id, merchant_id, provider, app_id, provider_merchant_id, salt_key_id, salt_box,"
        " token_key_id, token_box, created_at) VALUES (?, ?, 'douyin', ?, '7000000001', 'k', 'box', 'k', 'box', ?)",
        (ACCOUNT, MERCHANT, APP, now))
    step = 86_400_000 // (lines + 1)
    amount_at = set(rng.sample(range(lines), PLANTED["amount_mismatch"] + PLANTED["status_mismatch"]
                               + PLANTED["duplicate_line"]))
    picks = sorted(amount_at)
    rng.shuffle(picks)
    amount_set = set(picks[:100])
    status_set = set(picks[100:150])
    duplicate_set = set(picks[150:200])
    rows = []
    with open(os.path.join(folder, "payment.csv"), "w", newline="\n") as bill:
        bill.write(HEADERS["payment"] + "\n")
        for i in range(lines):
            t = start + step * (i + 1)
            number = "BENCH-%09d" % i
            provider = "7%018d" % i
            amount = 100 + (i % 50000)
            paid_at = t + rng.randint(0, 2000)
            rows.append(("ord_b%025d" % i, MERCHANT, ACCOUNT, number, amount, paid_at, provider))
            billed = amount + 1 if i in amount_set else amount
            status = "FAIL" if i in status_set else "SUCCESS"
            line = "%s,%s,%s,%s,7000000001,1,%d,%s,TP%d\n" % (cst(t), provider, number, APP, billed, status, i)
            bill.write(line)
            if i in duplicate_set:
                bill.write(line)
            if len(rows) >= 50_000:
                insert_orders(db, rows, now)
                rows = []
        for j in range(PLANTED["missing_in_payrail"]):
            t = start + 3_600_000 + j * 1000
            bill.write("%s,8%018d,BENCH-EXTRA-%05d,%s,7000000001,1,%d,SUCCESS,TPX%d\n"
                       % (cst(t), j, j, APP, 500 + j, j))
    for j in range(PLANTED["missing_at_provider"]):
        t = start + 7_200_000 + j * 1000
        rows.append(("ord_m%025d" % j, MERCHANT, ACCOUNT, "BENCH-ONLY-%05d" % j, 900 + j, t, "9%018d" % j))
    insert_orders(db, rows, now)
    db.commit()
    db.close()
    for kind in ("refund", "settle"):
        with open(os.path.join(folder, kind + ".csv"), "w") as bill:
            bill.write(HEADERS[kind] + "\n")
    print(json.dumps({"account": ACCOUNT, "planted": PLANTED, "planted_total": sum(PLANTED.values())}))


def insert_orders(db, rows, now):
    db.executemany(
        "INSERT INTO orders (id, merchant_id, channel_account_id, out_order_no, amount, currency, status, paid, "
        "subject, expires_at, provider_order_id, paid_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, 'CNY', 'paid', ?, 'bench', ?, ?, ?, ?, ?)",
        [(r[0], r[1], r[2], r[3], r[4], r[4], now + 86_400_000, r[6], r[5], now, now) for r in rows])


def baseline(db_path, bills_dir, date):
    """Load the day's paid orders into a dict, read the bill with csv, classify; the textbook approach."""
    import os
    started = time.time()
    start = day_start_ms(date)
    window = 300_000
    db = sqlite3.connect(db_path)
    payrail = {}
    for number, provider, amount, paid_at in db.execute(
            "SELECT out_order_no, provider_order_id, amount, paid_at FROM orders WHERE channel_account_id = ? "
            "AND status IN ('paid','partially_refunded','refunded') AND paid_at >= ? AND paid_at < ?",
            (ACCOUNT, start - window, start + 86_400_000 + window)):
        payrail[number] = {"provider": provider, "amount": amount, "time": paid_at, "seen": 0}
    counts = {name: 0 for name in PLANTED}
    lines = 0
    path = os.path.join(bills_dir, ACCOUNT, date.replace("-", ""), "payment.csv")
    with open(path, newline="") as bill:
        reader = csv.reader(bill)
        next(reader)
        pending = {}
        for row in reader:
            lines += 1
            number, amount, status = row[2], int(row[6]), row[7]
            record = payrail.get(number)
            if record is None:
                if number in pending:
                    counts["duplicate_line"] += 1
                else:
                    pending[number] = row
                continue
            record["seen"] += 1
            if record["seen"] > 1:
                counts["duplicate_line"] += 1
            elif status != "SUCCESS":
                counts["status_mismatch"] += 1
            elif amount != record["amount"]:
                counts["amount_mismatch"] += 1
    for number, row in pending.items():
        found = db.execute("SELECT status FROM orders WHERE merchant_id = ? AND out_order_no = ?",
                           (MERCHANT, number)).fetchone()
        if found is None and row[7] == "SUCCESS":
            counts["missing_in_payrail"] += 1
    for record in payrail.values():
        if record["seen"] == 0 and start <= record["time"] < start + 86_400_000:
            counts["missing_at_provider"] += 1
    print(json.dumps({"lines": lines, "counts": counts, "differences": sum(counts.values()),
                      "seconds": round(time.time() - started, 3)}))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        baseline(sys.argv[2], sys.argv[3], sys.argv[4])
