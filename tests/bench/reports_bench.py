#!/usr/bin/env python3
"""The `reports` benchmark's client: each report of the query API over random 31-day ranges, and the
unbounded status counts, timed one request at a time on a kept-alive connection (the token comes from
ORDERS_TOKEN). Writes p50/p99 per report as JSON.

  reports_bench.py --port P --days D --requests N --json OUT [--field key=value ...]
"""
import argparse
import datetime
import http.client
import json
import os
import random
import sys
import time


def percentile(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--days", type=int, required=True, help="the seeded orders span the days before today")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--json", required=True)
    parser.add_argument("--field", action="append", default=[], help="key=value added to the JSON")
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
