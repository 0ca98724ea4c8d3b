"""A small HTTP load generator for Payrail's benchmarks (loopback only, bounded by time and count).

    loadgen.py --url URL --bodies FILE [--header 'Name: value'] [--numbered-header 'Name: prefix'] --seconds S
               (--max --connections C --processes P  |  --rate R --connections C)

Bodies come one per line from FILE; each request takes the next line (requests never repeat a body unless the
file runs out, then it wraps). `--max`: closed loop, C keep-alive connections spread over P processes, as fast as
the server answers. `--rate`: open loop at R requests/s; latency is measured from each request's *scheduled* time,
so a stalled server is not hidden (no coordinated omission). `--numbered-header` gives every request its own value,
the prefix followed by the request's index (an `Idempotency-Key` per request). Prints one JSON object: requests, per_second, p50_ms,
p99_ms, max_ms, statuses.
"""
import argparse
import http.client
import json
import multiprocessing
import threading
import time
import urllib.parse


def _connection(url):
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30), parts.path or "/"


def _numbered(args, headers, i):
    if args.numbered_header:
        name, prefix = args.numbered_header
        headers[name] = f"{prefix}{i}"
    return headers


def _send(conn, path, body, headers):
    conn.request("POST" if body is not None else "GET", path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def _closed_loop(args, bodies, index, stride, deadline, results):
    conn, path = _connection(args.url)
    headers = dict(args.headers)
    i, latencies, statuses = index, [], {}
    while time.time() < deadline:
        body = bodies[i % len(bodies)] if bodies else None
        started = time.perf_counter()
        try:
            status = _send(conn, path, body, _numbered(args, headers, i))
        except (OSError, http.client.HTTPException):
            status = "error"
            conn, path = _connection(args.url)
        latencies.append(time.perf_counter() - started)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        i += stride
    results.append((latencies, statuses))


def _process_main(args, bodies, process_index, deadline, queue):
    results, threads = [], []
    per_process = args.connections // args.processes
    stride = per_process * args.processes
    for t in range(per_process):
        thread = threading.Thread(target=_closed_loop, args=(
            args, bodies, process_index * per_process + t, stride, deadline, results))
        threads.append(thread)
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)


def run_max(args, bodies):
    deadline = time.time() + args.seconds
    queue = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=_process_main, args=(args, bodies, p, deadline, queue))
                 for p in range(args.processes)]
    started = time.time()
    for process in processes:
        process.start()
    collected = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.time() - started
    latencies, statuses = [], {}
    for results in collected:
        for lat, st in results:
            latencies.extend(lat)
            for key, value in st.items():
                statuses[key] = statuses.get(key, 0) + value
    return latencies, statuses, elapsed


def run_rate(args, bodies):
    total = int(args.rate * args.seconds)
    start = time.perf_counter() + 0.2
    lock, state = threading.Lock(), {"next": 0}
    latencies, statuses = [], {}

    def worker():
        conn, path = _connection(args.url)
        headers = dict(args.headers)
        while True:
            with lock:
                i = state["next"]
                state["next"] += 1
            if i >= total:
                return
            scheduled = start + i / args.rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body = bodies[i % len(bodies)] if bodies else None
            try:
                status = _send(conn, path, body, _numbered(args, headers, i))
            except (OSError, http.client.HTTPException):
                status = "error"
                conn, path = _connection(args.url)
            finished = time.perf_counter()
            with lock:
                latencies.append(finished - scheduled)
                statuses[str(status)] = statuses.get(str(status), 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--bodies")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--numbered-header")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--max", action="store_true")
    parser.add_argument("--rate", type=float)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    assert urllib.parse.urlsplit(args.url).hostname in ("127.0.0.1", "localhost"), "loopback only"
    args.headers = [tuple(h.split(": ", 1)) for h in args.header]
    args.numbered_header = tuple(args.numbered_header.split(": ", 1)) if args.numbered_header else None
    bodies = []
    if args.bodies:
        with open(args.bodies, "rb") as f:
            bodies = [line.rstrip(b"\n") for line in f if line.strip()]
    latencies, statuses, elapsed = run_max(args, bodies) if args.max else run_rate(args, bodies)
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else None

    print(json.dumps({"requests": len(latencies), "per_second": round(len(latencies) / elapsed),
                      "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": pct(1.0), "statuses": statuses}))


if __name__ == "__main__":
    main()
