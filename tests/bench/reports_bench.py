#!/usr/bin/env python3
"""The `reports` benchmark's client: each report of the query API over random 31-day ranges, and the
unbounded status counts, timed one request at a time on a kept-alive connection (the token comes from
ORDERS_TOKEN). Writes p50/p99 per report as JSON. With --csv-rows, also a streamed CSV export of about
that many orders (GET /orders?from=&to= with Accept: text/csv, no limit): rows/s, and the projection's
RSS (process --pid) sampled every 20 ms while it streams, against its RSS before.

  reports_bench.py --port P --days D --requests N --json OUT [--orders N --csv-rows R --pid P] [--field key=value ...]
"""
import argparse
import datetime
import http.client
import json
import os
import random
import sys
import threading
import time


def percentile(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def resident_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def csv_export(port, headers, path, pid):
    """Streams one CSV export, reading as fast as it can; rows (without the header), seconds and RSS."""
    samples = []
    done = threading.Event()

    def sample():
        while not done.is_set():
            samples.append(resident_kb(pid))
            time.sleep(0.02)

    before = resident_kb(pid)
    sampler = threading.Thread(target=sample)
    sampler.start()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    connection.request("GET", path, headers=dict(headers, Accept="text/csv"))
    response = connection.getresponse()
    if response.status != 200:
        done.set()
        sys.exit(f"{path}: {response.status} {response.read()[:300]!r}")
    lines = 0
    size = 0
    while True:
        block = response.read(1 << 20)
        if not block:
            break
        lines += block.count(b"\n")
        size += len(block)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    connection.close()
    return {
        "rows": lines - 1,
        "bytes": size,
        "seconds": round(seconds, 2),
        "rows_per_second": int((lines - 1) / seconds),
        "rss_kb_before": before,
        "rss_kb_peak": max(samples + [before]),
        "chunked": response.getheader("Transfer-Encoding") == "chunked",
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--days", type=int, required=True, help="the seeded orders span the days before today")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--json", required=True)
    parser.add_argument("--field", action="append", default=[], help="key=value added to the JSON")
    parser.add_argument("--orders", type=int, default=0, help="orders seeded, evenly over --days")
    parser.add_argument("--csv-rows", type=int, default=0, help="rows of the CSV export (0: none)")
    parser.add_argument("--pid", type=int, default=0, help="the projection's pid, for its RSS")
    args = parser.parse_args()

    token = os.environ.get("ORDERS_TOKEN", "")
    headers = {"Authorization": "Bearer " + token} if token else {}
    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
    random.seed(18)
    today = datetime.datetime.now(datetime.timezone.utc).date()

    def timed(path):
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            sys.exit(f"{path}: {response.status} {body[:300]!r}")
        return elapsed, body

    def random_range():
        start = today - datetime.timedelta(days=random.randint(31, args.days))
        return f"from={start.isoformat()}&to={(start + datetime.timedelta(days=30)).isoformat()}"

    reports = {
        "daily": lambda: "/reports/daily?" + random_range(),
        "products": lambda: "/reports/products?limit=10&" + random_range(),
        "couriers": lambda: "/reports/couriers?" + random_range(),
        "funnel": lambda: "/reports/funnel?" + random_range(),
        "status_counts": lambda: "/reports/status-counts",
    }
    results = {}
    for name, path_of in reports.items():
        for _ in range(5):  # warm-up: connections, plans, caches
            timed(path_of())
        samples = []
        sizes = []
        for _ in range(args.requests):
            elapsed, body = timed(path_of())
            samples.append(elapsed)
            sizes.append(len(body))
        results[name] = {
            "requests": len(samples),
            "p50_ms": round(percentile(samples, 0.5), 2),
            "p99_ms": round(percentile(samples, 0.99), 2),
            "max_ms": round(max(samples), 2),
            "mean_body_bytes": int(sum(sizes) / len(sizes)),
        }
        print(f"{name:14s} p50 {results[name]['p50_ms']:8.2f} ms  p99 {results[name]['p99_ms']:8.2f} ms"
              f"  ({len(samples)} requests)")
    output = {"reports": results}
    if args.csv_rows and args.orders:
        # The seeded orders are spread evenly over the days before today: a range of whole days holding
        # about --csv-rows of them, ending yesterday.
        days = max(1, min(args.days, -(-args.csv_rows * args.days // args.orders)))
        start = today - datetime.timedelta(days=days)
        path = f"/orders?from={start.isoformat()}&to={(today - datetime.timedelta(days=1)).isoformat()}"
        csv_export(args.port, headers, path, args.pid)  # warm-up: plans, caches, the allocator's arenas
        export = csv_export(args.port, headers, path, args.pid)
        export["path"] = path
        output["csv_export"] = export
        print(f"csv export     {export['rows']:,} rows, {export['bytes'] / 1e6:.0f} MB in {export['seconds']} s:"
              f" {export['rows_per_second']:,} rows/s; projection RSS {export['rss_kb_before'] / 1024:.0f} MB before,"
              f" {export['rss_kb_peak'] / 1024:.0f} MB at most while streaming")
    for pair in args.field:
        key, value = pair.split("=", 1)
        try:
            output[key] = json.loads(value)
        except ValueError:
            output[key] = value
    with open(args.json, "w") as out:
        json.dump(output, out, indent=2)


if __name__ == "__main__":
    main()
