"""The disk's fsync tail (not a test): writes one 4 KiB block and fdatasyncs it RATE times a second for SECONDS on the
volume of the given folder, then prints p50, p99, the maximum and every fsync slower than 50 ms.

Every durable commit waits for one fsync and holds SQLite's write lock meanwhile, so a slow one stalls every writer of
the database at once; the pipeline bench prints this next to its latency figures.

    python3 scripts/bench/fsync_tail.py FOLDER [SECONDS] [RATE]
"""
import os
import sys
import time

folder = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 200
if seconds <= 0 or rate <= 0:
    raise SystemExit("SECONDS and RATE must be positive")
os.makedirs(folder, exist_ok=True)
path = os.path.join(folder, f"fsync-probe-{os.getpid()}")
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
try:
    latencies, stalls = [], []
    start = time.monotonic()
    while (now := time.monotonic()) < start + seconds:
        delay = start + len(latencies) / rate - now
        if delay > 0:
            time.sleep(delay)
        os.pwrite(fd, b"x" * 4096, (len(latencies) % 256) * 4096)
        began = time.monotonic()
        os.fdatasync(fd)
        took = (time.monotonic() - began) * 1000
        latencies.append(took)
        if took > 50:
            stalls.append(f"{took:.0f} ms at {began - start:.1f} s")
finally:
    os.close(fd)
    os.remove(path)
latencies.sort()
print(f"disk fsync tail, {len(latencies)} fsyncs at {rate:.0f}/s over {seconds:.0f} s: "
      f"p50 {latencies[len(latencies) // 2]:.2f} ms, p99 {latencies[int(len(latencies) * 0.99)]:.2f} ms, "
      f"max {latencies[-1]:.0f} ms; slower than 50 ms: {len(stalls)}" + (f" ({', '.join(stalls)})" if stalls else ""))
