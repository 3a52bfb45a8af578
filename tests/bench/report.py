#!/usr/bin/python3
"""Turns the per-run JSON files of ./infra/bench.sh into figures, ratios, a table and a plot.

  report.py sustained-rate RUN_DIR SERVER   highest offered events/s SERVER sustained (prints it)
  report.py e2e-ok RUN_DIR PERCENT          exit 0 when the end-to-end p99 at PERCENT was < 100 ms
  report.py workflow-max RUN_DIR            the median maximum of the workflow runs, orders confirmed/s
  report.py lag RUN_DIR LABEL RATE CPU PG_CPU
                                            the projection's apply lag between LABEL-before.prom and
                                            LABEL-after.prom (its /metrics pages) -> LABEL.json
  report.py summarize RUN_DIR RESULTS_DIR --quick 0|1 --pairs N
                                            bench-results.json, bench-results.txt and e2e-latency.svg
                                            in RESULTS_DIR
  report.py merge RESULTS_DIR DOCS_DIR      the phases of RESULTS_DIR/bench-results.json replace theirs in
                                            DOCS_DIR/bench-results.json (a run of some phases only); each
                                            replaced section keeps its own run's date, mode and machine
  report.py failover-acks ANSWERS OUT       the acknowledged commands among the failover load's answers
                                            (orders_http_load --record) in the invariant checker's format
  report.py markdown RESULTS_DIR OUT_MD     OUT_MD (docs/benchmarks.md) from benchmarks.md.in beside
                                            this script and RESULTS_DIR/bench-results.json; links to
                                            the files in RESULTS_DIR are relative to OUT_MD
"""
import glob
import json
import math
import os
import re
import statistics
import sys
import time

FANOUT_P99_LIMIT_MS = 250
E2E_P99_LIMIT_MS = 100
DISPATCH_P99_TARGET_MS = 50
WORKFLOW_RATIO_TARGET = 0.5  # workflow maximum / plain placement maximum (WORKFLOW=off)
WORKFLOW_P99_TARGET_MS = 50  # placed -> confirmed at 50% of the workflow maximum
WEBHOOK_HANGING_TARGET = 0.9  # drain rate beside a hanging endpoint / alone
WEBHOOK_BASELINE_TARGET = 0.5  # drain rate alone / plain signed POSTs to the same receiver
FORWARDING_P99_OVERHEAD_TARGET_MS = 2  # scaleout: p99 of forwarded commands - p99 of local ones, at 50%
COMMAND_VS_RAW_TARGET = 0.8  # append: accepted POST /orders per second / raw librdkafka produce
PROJECTION_VS_COPY_TARGET = 1.0  # projection: replay rate / COPY + upsert of the final rows
E2E_P99_TARGET_MS = 50  # e2e: p99 at E2E_TARGET_PERCENT of the closed-loop maximum
E2E_TARGET_PERCENT = 80
STARTUP_READY_TARGET_S = 3  # startup: ready after the largest history (with snapshots)
STARTUP_RSS_TARGET_MB = 150


def load(path):
    with open(path) as f:
        return json.load(f)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fanout_runs(run_dir, server):
    """{rate: [run, ...]} for the ladder runs of one server."""
    runs = {}
    for path in glob.glob(os.path.join(run_dir, f"fanout-{server}-*-*.json")):
        run = load(path)
        runs.setdefault(int(run["offered_events_per_s"]), []).append(run)
    return runs


def fanout_sustained(run):
    """Every subscriber got every update, none was cut off, and p99 stayed low."""
    if run["closed_by_server"] or run["per_client_min"] != run["per_client_max"] or run["deliveries"] == 0:
        return False
    if run.get("published") and run["deliveries"] != run["published"] * run["clients"]:
        return False
    return run["latency"]["p99_ms"] < FANOUT_P99_LIMIT_MS


def sustained_rate(run_dir, server):
    best = 0
    for rate, runs in sorted(fanout_runs(run_dir, server).items()):
        if all(fanout_sustained(run) for run in runs):
            best = rate
    return best


def fanout_summary(run_dir, server):
    ladder = []
    for rate, runs in sorted(fanout_runs(run_dir, server).items()):
        ladder.append({
            "offered_events_per_s": rate,
            "offered_deliveries_per_s": rate * runs[0]["clients"],
            "deliveries_per_s": median([r["deliveries_per_s"] for r in runs]),
            "p50_ms": median([r["latency"]["p50_ms"] for r in runs]),
            "p99_ms": median([r["latency"]["p99_ms"] for r in runs]),
            "cpu_us_per_delivery": median([1e6 * r["cpu_seconds"] / r["deliveries"] for r in runs if r["deliveries"]]),
            "kernel_us_per_delivery": median([1e6 * r["cpu_kernel_seconds"] / r["deliveries"] for r in runs
                                              if r["deliveries"] and "cpu_kernel_seconds" in r]),
            "sustained": all(fanout_sustained(r) for r in runs),
            "runs": len(runs),
        })
    sustained = [step for step in ladder if step["sustained"]]
    capacity = sustained[-1]["deliveries_per_s"] if sustained else None
    return {"ladder": ladder, "sustained_deliveries_per_s": capacity,
            "best_deliveries_per_s": max((s["deliveries_per_s"] or 0) for s in ladder) if ladder else None}


def histogram_buckets(page, name):
    """{upper bound: cumulative count} of one Prometheus histogram in a text page."""
    buckets = {}
    pattern = re.compile(r'^' + re.escape(name) + r'_bucket\{le="([^"]+)"\} (\S+)$')
    for line in page.splitlines():
        match = pattern.match(line)
        if match:
            buckets[math.inf if match[1] == "+Inf" else float(match[1])] = float(match[2])
    return buckets


def histogram_quantile(buckets, q):
    """Like PromQL's histogram_quantile: linear within the bucket that holds rank q * count."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0
    if total <= 0:
        return None
    rank, lower, below = q * total, 0.0, 0.0
    for bound in bounds:
        if buckets[bound] >= rank:
            if math.isinf(bound):
                return lower
            inside = buckets[bound] - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1)
        lower, below = bound, buckets[bound]
    return lower


def lag_run(run_dir, label, rate, cpu_seconds, pg_cpu_seconds):
    """Apply-lag figures of one live-lag run from the difference of two /metrics pages."""
    name = "projection_apply_lag_seconds"
    pages = [open(os.path.join(run_dir, f"{label}-{when}.prom")).read() for when in ("before", "after")]
    before, after = (histogram_buckets(page, name) for page in pages)
    delta = {bound: after[bound] - before.get(bound, 0) for bound in after}
    count = delta.get(math.inf, 0)
    feed = load(os.path.join(run_dir, f"{label}-feed.json"))
    result = {"offered_events_per_s": rate, "events_observed": count, "events_produced": feed["produced"],
              "cpu_us_per_event": 1e6 * cpu_seconds / count if count else None,
              "postgres_cpu_us_per_event": 1e6 * pg_cpu_seconds / count if count else None}
    for key, q in (("p50_ms", 0.5), ("p99_ms", 0.99), ("p999_ms", 0.999)):
        value = histogram_quantile(delta, q)
        result[key] = value * 1000 if value is not None else None
    with open(os.path.join(run_dir, f"{label}.json"), "w") as f:
        json.dump(result, f, indent=2)
    return result


def e2e_runs(run_dir):
    runs = []
    for path in sorted(glob.glob(os.path.join(run_dir, "e2e-*-http.json"))):
        http = load(path)
        percent = int(http["percent"])
        ws_path = path.replace("-http.json", "-ws.json")
        ws = load(ws_path) if os.path.exists(ws_path) else None
        runs.append({"percent": percent, "rate": http["target_rate"], "achieved_per_s": http["throughput_per_s"],
                     "errors": http["errors"], "http_latency": http["latency"],
                     "e2e_latency": ws["latency"] if ws else None,
                     "cpu_seconds_by_process": http.get("cpu_seconds_by_process"),
                     "commands": http["completed"]})
    return sorted(runs, key=lambda r: r["percent"])


def e2e_ok(run):
    return run["e2e_latency"] and run["errors"] == 0 and run["e2e_latency"]["p99_ms"] < E2E_P99_LIMIT_MS


def svg_plot(runs, path):
    """Latency percentiles (p50, p99, p99.9) of command -> update against offered load."""
    points = [r for r in runs if r["e2e_latency"]]
    if not points:
        return
    width, height, left, bottom, top, right = 720, 420, 70, 50, 30, 150
    xs = [r["rate"] for r in points]
    series = [("p50", "p50_ms", "#2457d6"), ("p99", "p99_ms", "#c0392b"), ("p99.9", "p999_ms", "#7d3c98")]
    y_max = max(r["e2e_latency"]["p999_ms"] for r in points) * 1.1 or 1
    x_min, x_max = 0, max(xs) * 1.05

    def x(v):
        return left + (v - x_min) / (x_max - x_min) * (width - left - right)

    def y(v):
        return height - bottom - v / y_max * (height - bottom - top)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="14">Command accepted → WebSocket update latency vs load</text>',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="black"/>',
           f'<text x="{(left + width - right) / 2}" y="{height - 12}" text-anchor="middle">offered status changes per second</text>',
           f'<text x="16" y="{(top + height - bottom) / 2}" transform="rotate(-90 16 {(top + height - bottom) / 2})" text-anchor="middle">latency (ms)</text>']
    for i in range(6):
        value = y_max * i / 5
        out.append(f'<line x1="{left - 4}" y1="{y(value):.1f}" x2="{width - right}" y2="{y(value):.1f}" stroke="#e3e6ea"/>')
        out.append(f'<text x="{left - 8}" y="{y(value) + 4:.1f}" text-anchor="end">{value:.0f}</text>')
    for r in points:
        out.append(f'<text x="{x(r["rate"]):.1f}" y="{height - bottom + 16}" text-anchor="middle">{r["rate"]:.0f}</text>')
    if E2E_P99_LIMIT_MS < y_max:
        out.append(f'<line x1="{left}" y1="{y(E2E_P99_LIMIT_MS):.1f}" x2="{width - right}" y2="{y(E2E_P99_LIMIT_MS):.1f}" '
                   'stroke="#b7791f" stroke-dasharray="6 4"/>')
        out.append(f'<text x="{width - right + 6}" y="{y(E2E_P99_LIMIT_MS) + 4:.1f}" fill="#b7791f">100 ms</text>')
    for index, (name, key, colour) in enumerate(series):
        path_points = " ".join(f'{x(r["rate"]):.1f},{y(r["e2e_latency"][key]):.1f}' for r in points)
        out.append(f'<polyline points="{path_points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for r in points:
            out.append(f'<circle cx="{x(r["rate"]):.1f}" cy="{y(r["e2e_latency"][key]):.1f}" r="3" fill="{colour}"/>')
        out.append(f'<text x="{width - right + 10}" y="{top + 20 + index * 18}" fill="{colour}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def dispatch_summary(run_dir):
    """The dispatch phase: the maximum run and the run at 50% of it (orders_dispatch_load results)."""
    runs = []
    for name, label in (("max", "dispatch-max"), ("50%", "dispatch-50")):
        path = os.path.join(run_dir, f"{label}.json")
        if not os.path.exists(path):
            continue
        r = load(path)
        if "error" in r:
            runs.append({"name": name, "error": r["error"]})
            continue
        runs.append({"name": name, "offered_open_per_s": r["offered_open_per_s"], "open_per_s": r["open_per_s"],
                     "accepted_per_s": r["accepted_per_s"],
                     "accept_p50_ms": r["accept_latency"]["p50_ms"], "accept_p99_ms": r["accept_latency"]["p99_ms"],
                     "winning_accept_p99_ms": r["winning_accept_latency"]["p99_ms"],
                     "feed_p50_ms": r["feed_latency"]["p50_ms"], "feed_p99_ms": r["feed_latency"]["p99_ms"],
                     "feed_every_courier_p99_ms": r["feed_latency_every_courier"]["p99_ms"],
                     "confirmed_feed_p50_ms": r["feed_after_confirmed_latency"]["p50_ms"],
                     "confirmed_feed_p99_ms": r["feed_after_confirmed_latency"]["p99_ms"],
                     "confirmed_feed_every_courier_p99_ms": r["feed_after_confirmed_every_courier"]["p99_ms"],
                     "confirm_p99_ms": r["confirm_latency"]["p99_ms"],
                     "accepts_answered": r["accepts_answered"], "conflicts": r["conflicts"],
                     "errors": r["accept_errors"] + r["confirm_errors"], "timed_out": r["timed_out"],
                     "winners": r["winners"],
                     "exactly_one_winner_per_order": r["winners"]["exactly_one_winner_per_order"],
                     "couriers": r["couriers"], "orders": r["orders"], "accept_via": r["accept_via"]})
    good = [run for run in runs if "error" not in run]
    if not good:
        return {"runs": runs, "couriers": 0, "orders": 0, "accept_via": "?", "target_met": False} if runs else None
    half = [run for run in good if run["name"] == "50%"]
    # The feed figure: order confirmed -> it is in every courier's feed.
    target_met = bool(half) and half[0]["accept_p99_ms"] < DISPATCH_P99_TARGET_MS and \
        half[0]["confirmed_feed_every_courier_p99_ms"] < DISPATCH_P99_TARGET_MS and half[0]["exactly_one_winner_per_order"]
    return {"couriers": good[0]["couriers"], "orders": good[0]["orders"], "accept_via": good[0]["accept_via"],
            "runs": good, "target_met": target_met}


def workflow_runs(run_dir, kind):
    """The orders_workflow_load results of one kind of run (off-max, on-max, on-50), pair by pair."""
    return [load(p) for p in sorted(glob.glob(os.path.join(run_dir, f"workflow-{kind}-*.json")))]


def workflow_cpu_us_per_order(run):
    """CPU microseconds per order done, per process, from the snapshots bench.sh took around the run."""
    before, after, done = run.get("cpu_seconds_before"), run.get("cpu_seconds_after"), run.get("orders_done")
    if not before or not after or not done:
        return None
    def used(name):
        if isinstance(after[name], dict):  # by pid: only processes alive before and after the run
            return sum(seconds - before[name][pid] for pid, seconds in after[name].items() if pid in before[name])
        return after[name] - before.get(name, 0)
    return {name: 1e6 * used(name) / done for name in after}


def workflow_figures(runs):
    """Medians over the runs of one kind; None when none produced figures."""
    good = [run for run in runs if "error" not in run]
    if not good:
        return None
    cpu = [c for c in (workflow_cpu_us_per_order(run) for run in good) if c]
    names = list(dict.fromkeys(name for c in cpu for name in c))
    services = list(dict.fromkeys(name for run in good for name in run.get("rss_kb_after", {})))
    stock = [run["stock_check"] for run in good if run.get("stock_check")]
    return {"runs": len(good),
            "failed_runs": [run["error"] for run in runs if "error" in run],
            "mode": good[0]["mode"], "until": good[0]["until"],
            "offered_per_s": median([run["offered_per_s"] for run in good]) if good[0]["mode"] == "open" else None,
            "in_flight_limit": good[0].get("in_flight_limit"),
            "done_per_s": median([run["done_per_s"] for run in good]),
            "placed_per_s": median([run["placed_per_s"] for run in good]),
            "p50_ms": median([run["latency"]["p50_ms"] for run in good]),
            "p99_ms": median([run["latency"]["p99_ms"] for run in good]),
            "p999_ms": median([run["latency"]["p999_ms"] for run in good]),
            "after_answer_p99_ms": median([run["latency_after_answer"]["p99_ms"] for run in good]),
            "post_p99_ms": median([run["post_latency"]["p99_ms"] for run in good]),
            "orders_placed": sum(run["orders_placed"] for run in good),
            "orders_done": sum(run["orders_done"] for run in good),
            "orders_cancelled": sum(run["orders_cancelled"] for run in good),
            "orders_never_done": sum(run["orders_never_done"] for run in good),
            "post_errors": sum(run["post_errors"] for run in good),
            "failure_samples": [sample for run in good for sample in run.get("failure_samples", [])][:5],
            "cpu_us_per_order": {name: median([c.get(name) for c in cpu]) for name in names},
            "rss_mb_after": {name: max(run["rss_kb_after"].get(name, 0) for run in good) / 1024 for name in services},
            "stock_reservations_match": all(check["ok"] for check in stock) if stock else None,
            "every_order_done": all(run["ok"] for run in good) and len(good) == len(runs)}


def workflow_summary(run_dir):
    """The workflow phase: baseline and workflow maxima, the paced runs at 50%, the ratio and the targets."""
    baseline, ours, half = (workflow_figures(workflow_runs(run_dir, kind)) for kind in ("off-max", "on-max", "on-50"))
    if not baseline and not ours:
        return None
    sample = next((load(p) for p in sorted(glob.glob(os.path.join(run_dir, "workflow-on-*.json")))), {})
    result = {"baseline_max": baseline, "workflow_max": ours, "workflow_50pct": half,
              "products": sample.get("products"), "tracked_products": sample.get("tracked_products")}
    if baseline and ours and baseline["done_per_s"]:
        result["workflow_vs_plain_placement"] = ours["done_per_s"] / baseline["done_per_s"]
    ratio_met = result.get("workflow_vs_plain_placement", 0) >= WORKFLOW_RATIO_TARGET
    p99_met = bool(half) and half["p99_ms"] is not None and half["p99_ms"] <= WORKFLOW_P99_TARGET_MS
    checks = [f for f in (baseline, ours, half) if f]
    result["every_order_done"] = all(f["every_order_done"] for f in checks)
    result["target_ratio_met"], result["target_p99_met"] = ratio_met, p99_met
    result["target_met"] = ratio_met and p99_met and result["every_order_done"]
    return result


def webhook_runs(run_dir, kind):
    """The orders_webhook_load results of one kind of run (alone, hanging, baseline, paced), pair by pair."""
    paths = sorted(p for p in glob.glob(os.path.join(run_dir, f"webhooks-{kind}-*.json")) if not p.endswith("-feed.json"))
    return [load(p) for p in paths]


def webhook_figures(runs):
    good = [r for r in runs if "error" not in r]
    if not good:
        return None
    latency = [r.get("latency_ms", {}) for r in good]
    feeds = [r.get("placed") for r in good if r.get("placed") is not None]
    return {"deliveries_per_s": median([r["deliveries_per_second"] for r in good]),
            "delivered": sum(r.get("delivered", 0) for r in good),
            "placed": sum(feeds) if feeds else None,
            "missing": sum(r.get("missing", 0) for r in good),
            "duplicates": sum(r.get("duplicates", 0) for r in good),
            "bad_signatures": sum(r.get("bad_signatures", 0) for r in good),
            "p50_ms": median([l.get("p50_ms") for l in latency if l.get("p50_ms") is not None]),
            "p99_ms": median([l.get("p99_ms") for l in latency if l.get("p99_ms") is not None]),
            "p999_ms": median([l.get("p999_ms") for l in latency if l.get("p999_ms") is not None]),
            "runs": len(good), "failed_runs": len(runs) - len(good)}


def webhooks_summary(run_dir):
    """The webhooks phase: burst drain alone and beside a hanging endpoint, the baseline, the paced latency."""
    alone, hanging, baseline, paced = (webhook_figures(webhook_runs(run_dir, kind))
                                       for kind in ("alone", "hanging", "baseline", "paced"))
    if not (alone or hanging or baseline or paced):
        return None
    result = {"alone": alone, "hanging": hanging, "baseline": baseline, "paced": paced}
    if alone and hanging and alone["deliveries_per_s"]:
        result["hanging_vs_alone"] = hanging["deliveries_per_s"] / alone["deliveries_per_s"]
    if alone and baseline and baseline["deliveries_per_s"]:
        result["webhooks_vs_plain_post"] = alone["deliveries_per_s"] / baseline["deliveries_per_s"]
    result["target_hanging_met"] = result.get("hanging_vs_alone", 0) >= WEBHOOK_HANGING_TARGET
    result["target_baseline_met"] = result.get("webhooks_vs_plain_post", 0) >= WEBHOOK_BASELINE_TARGET
    ours = [f for f in (alone, hanging, paced) if f]
    result["signatures_and_ids_ok"] = all(f["bad_signatures"] == 0 and f["duplicates"] == 0 for f in ours) and \
        (baseline is None or baseline["bad_signatures"] == 0)
    result["nothing_missing"] = not paced or paced["missing"] == 0
    result["target_met"] = (result["target_hanging_met"] and result["target_baseline_met"] and
                            result["signatures_and_ids_ok"] and result["nothing_missing"])
    return result


CONNECTIONS_KB_TARGET = 6.0
CONNECTIONS_NODE_RATIO_TARGET = 0.5
CONNECTIONS_STORM_P99_TARGET_S = 5.0


def merged_quantiles(bucket_lists):
    """p50/p99/max (ms) of histograms given as [[upper edge us, count], ...] lists, merged by edge."""
    counts = {}
    for buckets in bucket_lists:
        for edge, count in buckets or []:
            counts[edge] = counts.get(edge, 0) + count
    total = sum(counts.values())
    if not total:
        return {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    edges = sorted(counts)

    def quantile(q):
        rank, seen = int(q * (total - 1)) + 1, 0
        for edge in edges:
            seen += counts[edge]
            if seen >= rank:
                return edge / 1000.0
        return edges[-1] / 1000.0
    return {"count": total, "p50_ms": quantile(0.5), "p99_ms": quantile(0.99), "max_ms": edges[-1] / 1000.0}


def connections_summary(run_dir):
    """The connections phase: memory per connection against Node.js ws, the ramp, fan-out, the storm."""
    path = os.path.join(run_dir, "connections.json")
    if not os.path.exists(path):
        return None
    bench = load(path)
    ours = [load(p) for p in sorted(glob.glob(os.path.join(run_dir, "connections-notifier-*.json")))]
    node = [load(p) for p in sorted(glob.glob(os.path.join(run_dir, "connections-node-*.json")))]
    held = sum(r["held"] for r in ours)
    node_held = sum(r["held"] for r in node)

    def per_conn(before, after, count):
        return (after - before) * 1024 / count if count else None
    result = {
        "max_websockets": bench.get("max_websockets"), "clients": bench.get("clients"), "held": held,
        "refused_at_limit": sum(r["refused"] for r in ours), "refusals": sum(r["refusals"] for r in ours),
        "fd_limits": bench.get("fd_limits"),
        "bytes_per_connection": per_conn(bench["rss_kb_before"], bench["rss_kb_after"], held),
        "node_held": node_held,
        "node_bytes_per_connection": per_conn(bench.get("node_rss_kb_before", 0), bench.get("node_rss_kb_after", 0),
                                              node_held),
        "rss_mb": bench["rss_kb_after"] / 1024, "node_rss_mb": bench.get("node_rss_kb_after", 0) / 1024,
        "ramp_seconds": max((r["ramp_seconds"] for r in ours), default=None),
        "cpu_share_while_refusing": bench["cpu_seconds_refusing"] / bench["refusing_seconds"],
        "metrics": {"connections": bench.get("metric_connections"), "queued_bytes": bench.get("metric_queued_bytes"),
                    "buffer_bytes": bench.get("metric_buffer_bytes")},
        "fanout": merged_quantiles([r["fanout_buckets"] for r in ours]),
        "storm": {
            "dropped": sum(r["storm_dropped"] for r in ours), "resumed": sum(r["storm_resumed"] for r in ours),
            "failed_attempts": sum(r["storm_failed_attempts"] for r in ours),
            "seconds_to_all_resumed": max((r["storm_seconds_to_all_resumed"] for r in ours), default=None),
            "from_reconnect": merged_quantiles([r["resume_from_reconnect_buckets"] for r in ours]),
            "from_drop": merged_quantiles([r["resume_from_drop_buckets"] for r in ours]),
            "sample_clients": sum(r["sample_clients"] for r in ours),
            "sample_events_after_resume": sum(r["sample_events_after_resume"] for r in ours),
            "sample_gaps": sum(r["sample_gaps"] for r in ours),
            "sample_duplicates": sum(r["sample_duplicates"] for r in ours),
            "sample_not_recovered": sum(r["sample_not_recovered"] for r in ours),
            # The invariant checker's subscriber check on the sample's recordings (None: a run from
            # before it existed).
            "checker": None if "checker_exit" not in bench else {
                "exit": bench["checker_exit"], "subscribers": bench.get("checker_subscribers"),
                "updates": bench.get("checker_updates"), "violations": bench.get("checker_violations")}},
    }
    ours_b, node_b = result["bytes_per_connection"], result["node_bytes_per_connection"]
    if ours_b and node_b:
        result["vs_node"] = ours_b / node_b
    storm = result["storm"]
    result["target_kb_met"] = ours_b is not None and ours_b / 1024 <= CONNECTIONS_KB_TARGET
    result["target_node_met"] = result.get("vs_node", 99) <= CONNECTIONS_NODE_RATIO_TARGET
    result["target_storm_met"] = (storm["dropped"] > 0 and storm["resumed"] == storm["dropped"] and
                                  (storm["from_reconnect"]["p99_ms"] or 1e9) <= CONNECTIONS_STORM_P99_TARGET_S * 1000)
    result["no_gap"] = (storm["sample_gaps"] == 0 and storm["sample_not_recovered"] == 0 and
                        storm["sample_duplicates"] == 0 and (storm["checker"] is None or storm["checker"]["exit"] == 0))
    result["target_met"] = (result["target_kb_met"] and result["target_node_met"] and result["target_storm_met"] and
                            result["no_gap"])
    return result


def http_figures(runs):
    """Medians of orders_http_load runs; CPU per request of the instances and of the balancer."""
    if not runs:
        return None
    return {"throughput_per_s": median([r["throughput_per_s"] for r in runs]),
            "p50_ms": median([r["latency"]["p50_ms"] for r in runs]),
            "p99_ms": median([r["latency"]["p99_ms"] for r in runs]),
            "p999_ms": median([r["latency"]["p999_ms"] for r in runs]),
            "errors": sum(r["errors"] for r in runs),
            "cpu_us_per_request": median([1e6 * r["cpu_seconds"] / r["completed"] for r in runs
                                          if r.get("completed") and "cpu_seconds" in r]),
            "proxy_cpu_us_per_request": median([1e6 * r.get("proxy_cpu_seconds", 0) / r["completed"] for r in runs
                                                if r.get("completed")]),
            "runs": len(runs)}


def scaleout_summary(run_dir):
    """The scaleout phase: one instance direct and through the balancer, three through it; forwarding."""
    def runs(kind):
        return [load(p) for p in sorted(glob.glob(os.path.join(run_dir, f"scaleout-{kind}-[0-9]*.json")))]
    one, one_proxied, three = http_figures(runs("one-direct")), http_figures(runs("one-proxied")), http_figures(runs("three"))
    if not one and not three:
        return None
    result = {"one_direct": one, "one_proxied": one_proxied, "three": three}
    if one and three and one["throughput_per_s"]:
        result["three_vs_one"] = three["throughput_per_s"] / one["throughput_per_s"]
    if one_proxied and three and one_proxied["throughput_per_s"]:
        result["three_vs_one_proxied"] = three["throughput_per_s"] / one_proxied["throughput_per_s"]
    walk_max_path = os.path.join(run_dir, "scaleout-walk-max.json")
    if os.path.exists(walk_max_path):
        result["walk_max"] = http_figures([load(walk_max_path)])
    walks = [r for r in runs("walk-50") if "routes" in r]
    if walks:
        def route(name):
            return {"answers": sum(r["routes"][name]["answers"] for r in walks),
                    "p50_ms": median([r["routes"][name]["latency"]["p50_ms"] for r in walks]),
                    "p99_ms": median([r["routes"][name]["latency"]["p99_ms"] for r in walks]),
                    "p999_ms": median([r["routes"][name]["latency"]["p999_ms"] for r in walks])}
        local, forwarded = route("local"), route("forwarded")
        overhead = median([r["routes"]["forwarded"]["latency"]["p99_ms"] - r["routes"]["local"]["latency"]["p99_ms"]
                           for r in walks if r["routes"]["local"]["latency"]["count"] and
                           r["routes"]["forwarded"]["latency"]["count"]])
        result["walk_50"] = dict(http_figures(walks), rate=walks[0]["target_rate"], local=local, forwarded=forwarded,
                                 unknown=sum(r["routes"]["unknown"]["answers"] for r in walks),
                                 relayed_by_services=sum(r.get("relayed_by_services", 0) for r in walks),
                                 forwarding_p99_overhead_ms=overhead)
        result["target_met"] = overhead is not None and overhead <= FORWARDING_P99_OVERHEAD_TARGET_MS
    return result


def partition_of(order_id, partitions):
    """The partition the command service puts an order in: FNV-1a (64-bit) of its id (partitioning.hpp)."""
    value = 14695981039346656037
    for byte in order_id.encode():
        value = ((value ^ byte) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return value % partitions


def failover_answers(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def acknowledged(answers):
    return [a for a in answers if 200 <= a["status"] < 300 and a.get("orderId")]


def failover_acks(answers_path, out_path):
    with open(out_path, "w") as f:
        for a in acknowledged(failover_answers(answers_path)):
            f.write(json.dumps({"orderId": a["orderId"], "version": a["version"], "status": a["orderStatus"]}) + "\n")


def startup_summary(run_dir):
    """The startup phase: per history size asked for, what was written and each start's figures, by label."""
    def size_of(path):  # startup-<label>-<size asked for>.json
        return int(os.path.basename(path)[:-len(".json")].rsplit("-", 1)[1])
    sizes = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "startup-history-*.json"))):
        sizes[size_of(path)] = {"history": load(path), "starts": {}}
    for path in sorted(glob.glob(os.path.join(run_dir, "startup-*-*.json"))):
        start = load(path)
        if "ready_seconds" in start and size_of(path) in sizes:
            sizes[size_of(path)]["starts"][start["label"]] = start
    if not sizes:
        return None
    result = {"sizes": [sizes[size] for size in sorted(sizes)]}
    largest = result["sizes"][-1]["starts"].get("snapshot")
    if largest:
        result["target_met"] = (largest["ready_seconds"] <= STARTUP_READY_TARGET_S and
                                largest["rss_mb"] <= STARTUP_RSS_TARGET_MB)
    return result


# No store; the same keeping every settled reservation; an empty store the replay fills; resumed from it.
STARTUP_LABELS = ("replay", "replay-keep-settled", "filling", "snapshot", "filling-keep-settled",
                  "snapshot-keep-settled")


def startup_starts(size):
    return [(label, size["starts"][label]) for label in STARTUP_LABELS if label in size["starts"]]


def checker_summary(output):
    """The invariant checker's first line of its own: librdkafka's log lines (`%<level>|...`) go to the same file."""
    own = [line for line in output.splitlines() if not line.startswith("%")]
    return own[0] if own else ""


def failover_summary(run_dir, partitions=6):
    """The failover phase: from the kill to the first acknowledged command on a partition the killed node
    led (among commands due after the kill, so that an acknowledgement the old leader sent just before it
    died does not count), the 503s meanwhile, and acknowledged against lost (the invariant checker)."""
    meta_path, answers_path = (os.path.join(run_dir, name) for name in ("failover.json", "failover-answers.jsonl"))
    if not os.path.exists(meta_path) or not os.path.exists(answers_path):
        return None
    meta, answers = load(meta_path), failover_answers(answers_path)
    kill, led = meta["killed_ns"], set(meta["led_partitions"])
    acks = acknowledged(answers)
    for a in acks:
        a["partition"] = partition_of(a["orderId"], partitions)
    after = [a for a in acks if a["dueNs"] > kill]
    first_by_partition = {}
    for a in after:
        p = a["partition"]
        first_by_partition[p] = min(first_by_partition.get(p, a["doneNs"]), a["doneNs"])
    led_firsts = [first_by_partition[p] for p in led if p in first_by_partition]
    first_led = min(led_firsts) if led_firsts else None
    others = [first_by_partition[p] for p in first_by_partition if p not in led]

    def ms(ns):
        return (ns - kill) / 1e6 if ns is not None else None
    refused = [a for a in answers if a["status"] == 503]
    until = first_led if first_led is not None else max((a["doneNs"] for a in answers), default=kill)
    before = [a for a in acks if a["doneNs"] < kill]
    # Acknowledged ones only: an unsolicited 408 (Pistache closing an idle connection) has no request behind it.
    first_due = min((a["dueNs"] for a in acks), default=kill)
    latencies = sorted((a["doneNs"] - a["dueNs"]) / 1e6 for a in before)

    def quantile(values, q):
        return values[min(len(values) - 1, int(q * (len(values) - 1)))] if values else None
    output = meta.get("checker_output", "")
    violations = [line for line in output.splitlines() if line.startswith("  - ")]
    statuses = {}
    for a in answers:
        statuses[str(a["status"])] = statuses.get(str(a["status"]), 0) + 1
    load_path = os.path.join(run_dir, "failover-load.json")
    tool = load(load_path) if os.path.exists(load_path) else {}
    result = {
        "rate": meta["rate"], "seconds": meta["seconds"], "kill_after_seconds": meta["kill_after_seconds"],
        "killed_node": meta["killed_node"], "busiest_partition": meta["busiest_partition"],
        "records_before_kill": meta["records_before_kill"], "led_partitions": sorted(led),
        "kill_to_first_ack_on_led_partition_ms": ms(first_led),
        "kill_to_first_ack_by_led_partition_ms": {str(p): ms(first_by_partition.get(p)) for p in sorted(led)},
        "kill_to_every_led_partition_acked_ms": ms(max(led_firsts)) if len(led_firsts) == len(led) else None,
        "kill_to_first_ack_elsewhere_ms": ms(min(others)) if others else None,
        "refused_503_until_first_led_ack": sum(1 for a in refused if kill <= a["doneNs"] <= until),
        "refused_503_total": len(refused),
        "answers": len(answers), "statuses": statuses,
        "unanswered": tool.get("closed_by_server", 0), "unsent_at_end": tool.get("unsent_at_end", 0),
        "acknowledged": len(acks),
        "acknowledged_per_s_before_kill": len(before) / ((kill - first_due) / 1e9) if kill > first_due else None,
        "p50_ms_before_kill": quantile(latencies, 0.5), "p99_ms_before_kill": quantile(latencies, 0.99),
        "lost": sum(1 for line in violations if line.endswith(" is not in the log")),
        "checker_exit": meta["checker_exit"], "checker_summary": checker_summary(output),
        "checker_violations": len(violations), "checker_violation_samples": violations[:5],
        "checker_timed_out": meta["checker_exit"] == 124,
        "command_service_alive_at_end": meta.get("command_service_alive_at_end", True),
        "command_service_exit": meta.get("command_service_exit"),
        # A log line that is JSON came back parsed from bench::record: shown as the line it was.
        "command_service_last_log": (lambda line: line if isinstance(line, str) else json.dumps(line))(
            meta.get("command_service_last_log", "")),
    }
    result["nothing_lost"] = meta["checker_exit"] == 0 and result["lost"] == 0
    return result


def workflow_max(run_dir):
    figures = workflow_figures(workflow_runs(run_dir, "on-max"))
    return int(figures["done_per_s"]) if figures and figures["done_per_s"] else 0


def summarize(run_dir, results_dir, quick, pairs):
    result = {"machine": {"cores": os.cpu_count(), "kernel": os.uname().release}, "quick": quick, "pairs": pairs,
              "run_dir": run_dir, "date": time.strftime("%Y-%m-%d", time.gmtime())}
    lines = []
    # A results directory is reused by later runs: no plot from an earlier run may stay beside new figures.
    stale_plot = os.path.join(results_dir, "e2e-latency.svg")
    if os.path.exists(stale_plot):
        os.remove(stale_plot)
    topics_path = os.path.join(run_dir, "kafka-topics-at-start.txt")
    if os.path.exists(topics_path):
        result["machine"]["kafka_topics_at_start"] = int(open(topics_path).read().strip() or 0)
        lines.append(f"{os.cpu_count()} cores; the broker held {result['machine']['kafka_topics_at_start']} topics at the start")

    # 1. append
    raw = [load(p) for p in sorted(glob.glob(os.path.join(run_dir, "append-raw-*.json")))]
    command = [load(p) for p in sorted(glob.glob(os.path.join(run_dir, "append-command-*.json")))]
    hello = [load(p) for p in sorted(glob.glob(os.path.join(run_dir, "append-hello-*.json")))]
    if command:
        def figures(runs):
            return {"throughput_per_s": median([r["throughput_per_s"] for r in runs]),
                    "p50_ms": median([r["latency"]["p50_ms"] for r in runs]),
                    "p99_ms": median([r["latency"]["p99_ms"] for r in runs]),
                    "p999_ms": median([r["latency"]["p999_ms"] for r in runs])}
        append = {"command": figures(command), "raw_produce": figures(raw), "hello_http": figures(hello)}
        append["command"]["cpu_seconds_per_1000"] = median(
            [1000 * r["cpu_seconds"] / r["completed"] for r in command if r.get("completed")])
        append["command_vs_raw_produce"] = append["command"]["throughput_per_s"] / append["raw_produce"]["throughput_per_s"]
        append["command_vs_hello_http"] = append["command"]["throughput_per_s"] / append["hello_http"]["throughput_per_s"]
        result["append"] = append
        lines.append("append (64 connections / 64 records in flight, closed loop; medians)")
        for name in ("command", "raw_produce", "hello_http"):
            f = append[name]
            lines.append(f"  {name:<12} {f['throughput_per_s']:>9.0f}/s  p50 {f['p50_ms']:.2f} ms  p99 {f['p99_ms']:.2f} ms"
                         f"  p99.9 {f['p999_ms']:.2f} ms")
        lines.append(f"  command_vs_raw_produce = {append['command_vs_raw_produce']:.2f}  (target >= {COMMAND_VS_RAW_TARGET})")
        lines.append(f"  command_vs_hello_http  = {append['command_vs_hello_http']:.2f}")

    # 2. projection
    projection_path = os.path.join(run_dir, "projection.json")
    if os.path.exists(projection_path):
        projection = load(projection_path)
        result["projection"] = projection
        ratio = projection.get("projection_vs_copy_upsert")
        lines.append("projection replay into PostgreSQL (medians)")
        lines.append(f"  ours {projection.get('ours_events_per_s', 0):.0f} events/s, COPY+upsert "
                     f"{projection.get('baseline_events_per_s', 0):.0f} events/s")
        if ratio is not None:
            lines.append(f"  projection_vs_copy_upsert = {ratio:.2f}  (target >= {PROJECTION_VS_COPY_TARGET})")
    lag = sorted((load(p) for p in glob.glob(os.path.join(run_dir, "lag-*[0-9].json"))),
                 key=lambda run: run["offered_events_per_s"])
    if lag:
        result.setdefault("projection", {})["live_lag"] = lag
        lines.append("projection live lag, record appended -> batch committed (from projection_apply_lag_seconds)")
        for run in lag:
            lines.append(f"  {run['offered_events_per_s']:>6}/s  p50 {run['p50_ms'] or 0:.1f} ms  p99 {run['p99_ms'] or 0:.1f} ms"
                         f"  p99.9 {run['p999_ms'] or 0:.1f} ms  ({run['events_observed']:.0f} of {run['events_produced']} "
                         f"events; CPU per event: service {run['cpu_us_per_event'] or 0:.0f} us, PostgreSQL "
                         f"{run['postgres_cpu_us_per_event'] or 0:.0f} us)")
        lines.append("  target: p99 < 50 ms at 2,000 events/s")

    # 3. fan-out
    if glob.glob(os.path.join(run_dir, "fanout-notifier-*.json")):
        notifier, node = fanout_summary(run_dir, "notifier"), fanout_summary(run_dir, "node")
        fanout = {"subscribers": 2000, "notifier": notifier, "node_ws": node,
                  "sustained_criteria": f"every subscriber got every update, none cut off, p99 < {FANOUT_P99_LIMIT_MS} ms"}
        ours = notifier["sustained_deliveries_per_s"]
        theirs = node["sustained_deliveries_per_s"] or node["best_deliveries_per_s"]
        if ours and theirs:
            fanout["notifier_vs_node_ws"] = ours / theirs
        common = [s for s in notifier["ladder"] if s["offered_events_per_s"] == 25]
        common_node = [s for s in node["ladder"] if s["offered_events_per_s"] == 25]
        if common and common_node and common_node[0]["cpu_us_per_delivery"]:
            fanout["cpu_per_delivery_vs_node_ws_at_50k"] = (common[0]["cpu_us_per_delivery"] /
                                                            common_node[0]["cpu_us_per_delivery"])
            # At 50k/s every delivery is a write of its own for both servers: the notifier's kernel time
            # alone, over Node's whole cost, is the lowest ratio its user-space work could reach.
            if common[0].get("kernel_us_per_delivery") is not None:
                fanout["kernel_per_delivery_vs_node_ws_at_50k"] = (common[0]["kernel_us_per_delivery"] /
                                                                   common_node[0]["cpu_us_per_delivery"])
        # Each at the highest offered rate it sustained (node: its best step when it sustained none).
        def at_capacity(summary):
            steps = [s for s in summary["ladder"] if s["sustained"]] or summary["ladder"]
            return max(steps, key=lambda s: s["deliveries_per_s"] or 0) if steps else None
        ours_top, theirs_top = at_capacity(notifier), at_capacity(node)
        if ours_top and theirs_top and theirs_top["cpu_us_per_delivery"]:
            fanout["cpu_per_delivery_vs_node_ws_at_capacity"] = (ours_top["cpu_us_per_delivery"] /
                                                                 theirs_top["cpu_us_per_delivery"])
        stalled_path = os.path.join(run_dir, "fanout-stalled.json")
        baseline = [s for s in notifier["ladder"] if s["offered_events_per_s"] == 25]
        if os.path.exists(stalled_path) and baseline:
            stalled = load(stalled_path)
            fanout["with_50_stalled_subscribers"] = {
                "p50_ms": stalled["latency"]["p50_ms"], "p99_ms": stalled["latency"]["p99_ms"],
                "p99_without_ms": baseline[0]["p99_ms"],
                "p99_ratio": stalled["latency"]["p99_ms"] / baseline[0]["p99_ms"] if baseline[0]["p99_ms"] else None,
                "every_reader_got_every_update": stalled["per_client_min"] == stalled["per_client_max"],
                "slow_closed_total": stalled.get("slow_closed_total")}
        overload_path = os.path.join(run_dir, "fanout-overload.json")
        if os.path.exists(overload_path):
            overload = load(overload_path)
            samples = []
            rss_path = os.path.join(run_dir, "overload-rss.txt")
            if os.path.exists(rss_path):
                samples = [int(line.split()[1]) for line in open(rss_path) if len(line.split()) == 2]
            fanout["overload_150pct"] = {
                "offered_events_per_s": overload["offered_events_per_s"],
                "deliveries_per_s": overload["deliveries_per_s"], "p99_ms": overload["latency"]["p99_ms"],
                "rss_mb_before": overload["rss_kb_before"] / 1024, "rss_mb_after": overload["rss_kb_after"] / 1024,
                "rss_mb_peak": max(samples) / 1024 if samples else None,
                "subscribers_closed_as_slow": overload.get("closed_by_server")}
        result["fanout"] = fanout
        lines.append("fan-out to 2,000 subscribers (medians per offered rate)")
        for name, summary in (("notifier", notifier), ("node ws", node)):
            for step in summary["ladder"]:
                lines.append(f"  {name:<9} offered {step['offered_deliveries_per_s']:>7}/s  got {step['deliveries_per_s'] or 0:>9.0f}/s"
                             f"  p99 {step['p99_ms'] or 0:>8.1f} ms  cpu {step['cpu_us_per_delivery'] or 0:.2f} us/delivery"
                             f" ({step.get('kernel_us_per_delivery') or 0:.2f} in the kernel)"
                             f"  {'sustained' if step['sustained'] else 'NOT sustained'}")
        if "notifier_vs_node_ws" in fanout:
            lines.append(f"  notifier_vs_node_ws = {fanout['notifier_vs_node_ws']:.2f}  (target >= 2)")
        for key, what in (("cpu_per_delivery_vs_node_ws_at_50k", "at 50k deliveries/s"),
                          ("cpu_per_delivery_vs_node_ws_at_capacity", "each at its capacity")):
            if key in fanout:
                lines.append(f"  CPU per delivery vs node {what} = {fanout[key]:.2f}  (target <= 0.5)")
        if "kernel_per_delivery_vs_node_ws_at_50k" in fanout:
            lines.append(f"  the notifier's kernel time alone vs node's whole cost at 50k deliveries/s = "
                         f"{fanout['kernel_per_delivery_vs_node_ws_at_50k']:.2f}")
        if "with_50_stalled_subscribers" in fanout:
            w = fanout["with_50_stalled_subscribers"]
            lines.append(f"  with 50 stalled subscribers at 50k/s: p99 {w['p99_ms']:.1f} ms vs {w['p99_without_ms']:.1f} ms "
                         f"without; readers complete: {w['every_reader_got_every_update']}; closed as slow so far: "
                         f"{w['slow_closed_total']}")
        if "overload_150pct" in fanout:
            o = fanout["overload_150pct"]
            lines.append(f"  150% overload ({o['offered_events_per_s']} events/s): RSS {o['rss_mb_before']:.0f} -> peak "
                         f"{o['rss_mb_peak'] or 0:.0f} -> {o['rss_mb_after']:.0f} MB, {o['subscribers_closed_as_slow']} subscribers closed as slow")

    # 4. end to end
    runs = e2e_runs(run_dir)
    if runs:
        max_path = os.path.join(run_dir, "e2e-max.json")
        e2e = {"max_closed_loop_per_s": load(max_path)["throughput_per_s"] if os.path.exists(max_path) else None,
               "runs": runs}
        ok = [r for r in runs if e2e_ok(r)]
        e2e["max_sustainable_per_s_p99_under_100ms"] = max((r["achieved_per_s"] for r in ok), default=None)
        at50 = [r for r in runs if r["percent"] == 50]
        if at50 and at50[0]["cpu_seconds_by_process"]:
            e2e["cpu_seconds_per_1000_commands_at_50pct"] = {
                name: 1000 * seconds / at50[0]["commands"] for name, seconds in at50[0]["cpu_seconds_by_process"].items()}
        result["e2e"] = e2e
        lines.append(f"end to end, status change accepted -> update on a WebSocket (max closed loop "
                     f"{e2e['max_closed_loop_per_s'] or 0:.0f}/s)")
        for r in runs:
            l = r["e2e_latency"] or {}
            lines.append(f"  {r['percent']:>3}% {r['rate']:>6.0f}/s  p50 {l.get('p50_ms', 0):.1f}  p99 {l.get('p99_ms', 0):.1f}"
                         f"  p99.9 {l.get('p999_ms', 0):.1f} ms  (HTTP p99 {r['http_latency']['p99_ms']:.1f} ms, errors {r['errors']})")
        lines.append(f"  max sustainable with p99 < 100 ms: {e2e['max_sustainable_per_s_p99_under_100ms'] or 0:.0f} commands/s")
        if "cpu_seconds_per_1000_commands_at_50pct" in e2e:
            lines.append("  CPU seconds per 1,000 commands at 50%: " + ", ".join(
                f"{k} {v:.3f}" for k, v in e2e["cpu_seconds_per_1000_commands_at_50pct"].items()))
        svg_plot(runs, os.path.join(results_dir, "e2e-latency.svg"))

    # the HTTP edge: the command API with its rate limiter on (never refusing) and off
    limits = {}
    for request in ("post-order", "get-order"):
        on = [load(p) for p in sorted(glob.glob(os.path.join(run_dir, f"limits-on-{request}-*.json")))]
        off = [load(p) for p in sorted(glob.glob(os.path.join(run_dir, f"limits-off-{request}-*.json")))]
        if on and off:
            def edge_figures(runs):
                return {"throughput_per_s": median([r["throughput_per_s"] for r in runs]),
                        "p50_ms": median([r["latency"]["p50_ms"] for r in runs]),
                        "p99_ms": median([r["latency"]["p99_ms"] for r in runs]),
                        "errors": sum(r.get("errors", 0) for r in runs)}
            limits[request] = {"on": edge_figures(on), "off": edge_figures(off)}
            limits[request]["on_vs_off"] = limits[request]["on"]["throughput_per_s"] / limits[request]["off"]["throughput_per_s"]
    if limits:
        result["rate_limits"] = limits
        lines.append("command API with rate limits on vs off (staff token, limit never reached; medians)")
        for request, figures in limits.items():
            for state in ("on", "off"):
                f = figures[state]
                lines.append(f"  {request:<10} {state:<3} {f['throughput_per_s']:>9.0f}/s  p50 {f['p50_ms']:.2f} ms  "
                             f"p99 {f['p99_ms']:.2f} ms  errors {f['errors']}")
            lines.append(f"  {request} on_vs_off = {figures['on_vs_off']:.3f}")

    # 6. dispatch: couriers racing for open deliveries, at the maximum and at half of it
    dispatch = dispatch_summary(run_dir)
    if dispatch:
        result["dispatch"] = dispatch
        lines.append(f"dispatch: {dispatch['couriers']} couriers racing for {dispatch['orders']} orders "
                     f"(accepts over {dispatch['accept_via']})")
        for run in dispatch["runs"]:
            lines.append(f"  {run['name']:<4} opened {run['open_per_s']:>6.0f}/s  accepted {run['accepted_per_s']:>6.0f}/s  "
                         f"accept p50 {run['accept_p50_ms']:.1f} p99 {run['accept_p99_ms']:.1f} ms  "
                         f"feed p99 confirmed -> every courier {run['confirmed_feed_every_courier_p99_ms']:.1f} ms "
                         f"(from due {run['feed_every_courier_p99_ms']:.1f} ms)  "
                         f"one winner per order: {'yes' if run['exactly_one_winner_per_order'] else 'NO'}")
        lines.append(f"  target p99 < {DISPATCH_P99_TARGET_MS} ms for accept and feed (confirmed -> every courier) at 50%: "
                     f"{'met' if dispatch['target_met'] else 'NOT met'}")

    # 7. workflow: placed -> confirmed with the fulfilment workflow, against plain placement
    workflow = workflow_summary(run_dir)
    if workflow:
        result["workflow"] = workflow
        lines.append(f"workflow: orders placed -> confirmed on a WebSocket (payment simulator at 0 ms, "
                     f"{workflow['tracked_products']} of {workflow['products']} products tracked; medians)")
        for name, key in (("plain max", "baseline_max"), ("wf max", "workflow_max"), ("wf 50%", "workflow_50pct")):
            f = workflow[key]
            if not f:
                lines.append(f"  {name:<9} no result")
                continue
            cpu = ", ".join(f"{k} {v:.0f}" for k, v in f["cpu_us_per_order"].items() if v is not None)
            rss = ", ".join(f"{k} {v:.0f}" for k, v in f["rss_mb_after"].items())
            lines.append(f"  {name:<9} {f['done_per_s'] or 0:>7.0f}/s  p50 {f['p50_ms'] or 0:.1f}  p99 {f['p99_ms'] or 0:.1f}"
                         f"  p99.9 {f['p999_ms'] or 0:.1f} ms  (POST p99 {f['post_p99_ms'] or 0:.1f} ms; "
                         f"failures {f['orders_cancelled'] + f['orders_never_done'] + f['post_errors']})")
            lines.append(f"            CPU us per order: {cpu}; RSS MB after: {rss}")
        if "workflow_vs_plain_placement" in workflow:
            lines.append(f"  workflow_vs_plain_placement = {workflow['workflow_vs_plain_placement']:.2f}  "
                         f"(target >= {WORKFLOW_RATIO_TARGET}: {'met' if workflow['target_ratio_met'] else 'NOT met'})")
        lines.append(f"  placed -> confirmed p99 at 50% <= {WORKFLOW_P99_TARGET_MS} ms: "
                     f"{'met' if workflow['target_p99_met'] else 'NOT met'}; every order done (none cancelled, "
                     f"stock reservations match): {'yes' if workflow['every_order_done'] else 'NO'}")

    # 8. webhooks: signed deliveries to a local receiver, against plain signed POSTs
    webhooks = webhooks_summary(run_dir)
    if webhooks:
        result["webhooks"] = webhooks
        lines.append("webhooks: signed deliveries to a local receiver (medians)")
        for name, key in (("burst, alone", "alone"), ("burst, +hanging", "hanging"), ("plain POSTs", "baseline"),
                          ("paced", "paced")):
            f = webhooks[key]
            if not f:
                lines.append(f"  {name:<15} no result")
                continue
            lines.append(f"  {name:<15} {f['deliveries_per_s'] or 0:>8.0f}/s  append -> receipt p50 {f['p50_ms'] or 0:.1f}"
                         f"  p99 {f['p99_ms'] or 0:.1f}  p99.9 {f['p999_ms'] or 0:.1f} ms  (delivered {f['delivered']}, "
                         f"missing {f['missing']}, duplicates {f['duplicates']}, bad signatures {f['bad_signatures']})")
        if "hanging_vs_alone" in webhooks:
            lines.append(f"  hanging_vs_alone = {webhooks['hanging_vs_alone']:.2f}  (target >= {WEBHOOK_HANGING_TARGET}: "
                         f"{'met' if webhooks['target_hanging_met'] else 'NOT met'})")
        if "webhooks_vs_plain_post" in webhooks:
            lines.append(f"  webhooks_vs_plain_post = {webhooks['webhooks_vs_plain_post']:.2f}  (target >= "
                         f"{WEBHOOK_BASELINE_TARGET}: {'met' if webhooks['target_baseline_met'] else 'NOT met'})")

    # scaleout (opt-in): one command service against three behind a round-robin balancer; forwarding
    scaleout = scaleout_summary(run_dir)
    if scaleout:
        result["scaleout"] = scaleout
        lines.append("scaleout: POST /orders, 64 connections, closed loop (medians)")
        for name, key in (("one, direct", "one_direct"), ("one, proxied", "one_proxied"), ("three, proxied", "three")):
            f = scaleout.get(key)
            if not f:
                continue
            lines.append(f"  {name:<15} {f['throughput_per_s']:>8.0f}/s  p50 {f['p50_ms']:.2f}  p99 {f['p99_ms']:.2f}  "
                         f"p99.9 {f['p999_ms']:.2f} ms  (errors {f['errors']}; CPU per request: instances "
                         f"{f['cpu_us_per_request'] or 0:.0f} us, balancer {f['proxy_cpu_us_per_request'] or 0:.0f} us)")
        if "three_vs_one" in scaleout:
            lines.append(f"  three_vs_one = {scaleout['three_vs_one']:.2f}" +
                         (f"  (three_vs_one_proxied = {scaleout['three_vs_one_proxied']:.2f})"
                          if "three_vs_one_proxied" in scaleout else ""))
        walk = scaleout.get("walk_50")
        if walk:
            lines.append(f"  status changes through the balancer at {walk['rate']:.0f}/s (50% of "
                         f"{scaleout['walk_max']['throughput_per_s']:.0f}/s): local {walk['local']['answers']} answers, "
                         f"p50 {walk['local']['p50_ms']:.2f} p99 {walk['local']['p99_ms']:.2f} ms; forwarded "
                         f"{walk['forwarded']['answers']} (services counted {walk['relayed_by_services']} relayed), "
                         f"p50 {walk['forwarded']['p50_ms']:.2f} p99 {walk['forwarded']['p99_ms']:.2f} ms")
            overhead = walk["forwarding_p99_overhead_ms"]
            lines.append(f"  forwarding p99 overhead = {overhead if overhead is not None else float('nan'):.2f} ms  "
                         f"(target <= {FORWARDING_P99_OVERHEAD_TARGET_MS} ms: {'met' if scaleout['target_met'] else 'NOT met'})")

    # failover (opt-in): SIGKILL of a partition leader of a three-node cluster under a steady load
    failover = failover_summary(run_dir)
    if failover:
        result["failover"] = f = failover

        def fms(value):
            return f"{value:,.0f} ms" if value is not None else "never"
        lines.append(f"failover: node {f['killed_node']} SIGKILLed (leader of partitions "
                     f"{','.join(map(str, f['led_partitions']))}; busiest: {f['busiest_partition']}) under "
                     f"{f['rate']} POST/s")
        lines.append(f"  kill -> first acknowledged command on a partition it led: "
                     f"{fms(f['kill_to_first_ack_on_led_partition_ms'])}; on every one of them: "
                     f"{fms(f['kill_to_every_led_partition_acked_ms'])}; elsewhere: {fms(f['kill_to_first_ack_elsewhere_ms'])}")
        lines.append(f"  503s meanwhile: {f['refused_503_until_first_led_ack']} ({f['refused_503_total']} in the run); "
                     f"acknowledged {f['acknowledged']}, lost {f['lost']} (invariant checker exit {f['checker_exit']}: "
                     f"{f['checker_summary']})")
        if not f["command_service_alive_at_end"]:
            lines.append(f"  THE COMMAND SERVICE EXITED during the run (status {f['command_service_exit']}): "
                         f"{f['command_service_last_log'][:300]}")

    # startup (opt-in): the command service's start -> ready and memory after histories of growing length
    startup = startup_summary(run_dir)
    if startup:
        result["startup"] = startup
        for size in startup["sizes"]:
            h = size["history"]
            lines.append(f"startup: {h['events']:,} events of history ({h['finished_orders']:,} finished orders, "
                         f"{h['live_orders']:,} live) and {h.get('inventory_events') or 0:,} inventory events, "
                         f"written in {h['seconds']:.1f} s")
            for label, start in startup_starts(size):
                lines.append(f"  {label:19s} ready in {start['ready_seconds']:.2f} s, RSS {start['rss_mb']:.0f} MB, "
                             f"CPU {start['cpu_seconds']:.1f} s; {start.get('replayed_events') or 0:,} events replayed, "
                             f"{start.get('orders_held') or 0:,} orders held, "
                             f"{start.get('settled_reservations_forgotten') or 0:,} settled reservations forgotten")
        if "target_met" in startup:
            lines.append(f"  snapshot start after the largest history: ready <= {STARTUP_READY_TARGET_S} s and RSS <= "
                         f"{STARTUP_RSS_TARGET_MB} MB: {'met' if startup['target_met'] else 'NOT met'}")

    # reports (opt-in): each report's latency over random 31-day ranges on a seeded read model
    reports_path = os.path.join(run_dir, "reports.json")
    if os.path.exists(reports_path):
        reports = load(reports_path)
        reports["target_met"] = all(r["p99_ms"] <= REPORT_P99_TARGET_MS for r in reports["reports"].values())
        result["reports"] = reports
        lines.append(f"reports: {reports.get('orders', 0):,} orders (seeded in {reports.get('seed_seconds')} s, "
                     f"summarised in {reports.get('summarise_seconds')} s), random 31-day ranges")
        for name, figures in reports["reports"].items():
            lines.append(f"  {name:14s} p50 {figures['p50_ms']:8.2f} ms  p99 {figures['p99_ms']:8.2f} ms")
        lines.append(f"  every p99 <= {REPORT_P99_TARGET_MS} ms: {'met' if reports['target_met'] else 'NOT met'}")
        export = reports.get("csv_export")
        if export:
            lines.append(f"  csv export: {export['rows']:,} rows ({export['bytes'] / 1e6:.0f} MB) streamed in "
                         f"{export['seconds']} s, {export['rows_per_second']:,} rows/s; projection RSS "
                         f"{export['rss_kb_before'] / 1024:.0f} MB before, at most {export['rss_kb_peak'] / 1024:.0f} MB "
                         f"while streaming")

    # 9. connections: one notifier at its connection limit, against Node.js ws holding as many
    connections = connections_summary(run_dir)
    if connections:
        result["connections"] = c = connections
        storm = c["storm"]

        def kb(value):
            return f"{value / 1024:.2f} kB" if value is not None else "n/a"
        lines.append(f"connections: {c['held']} WebSockets held (limit {c['max_websockets']}; "
                     f"{c['refused_at_limit']} clients past it refused with 503, notifier CPU while they retried "
                     f"{c['cpu_share_while_refusing'] * 100:.1f}% of a core); ramp accepted in {c['ramp_seconds']:.1f} s")
        lines.append(f"  memory per connection: notifier {kb(c['bytes_per_connection'])} (RSS {c['rss_mb']:.0f} MB), "
                     f"Node.js ws {kb(c['node_bytes_per_connection'])} (RSS {c['node_rss_mb']:.0f} MB, "
                     f"{c['node_held']} held)" + (f"; ratio {c['vs_node']:.2f}" if "vs_node" in c else ""))
        f = c["fanout"]
        lines.append(f"  fan-out at 10 events/s to all: {f['count']} deliveries, p50 {f['p50_ms'] or 0:.1f} ms, "
                     f"p99 {f['p99_ms'] or 0:.1f} ms")
        lines.append(f"  reconnect storm: {storm['resumed']}/{storm['dropped']} resumed, all within "
                     f"{storm['seconds_to_all_resumed'] or 0:.1f} s of the drop; reconnect -> resumed p50 "
                     f"{storm['from_reconnect']['p50_ms'] or 0:.0f} ms, p99 {storm['from_reconnect']['p99_ms'] or 0:.0f} ms; "
                     f"drop -> resumed p99 {storm['from_drop']['p99_ms'] or 0:.0f} ms; sample of "
                     f"{storm['sample_clients']}: {storm['sample_events_after_resume']} versions after resuming, "
                     f"{storm['sample_gaps']} gaps, {storm['sample_duplicates']} twice, "
                     f"{storm['sample_not_recovered']} not recovered")
        if storm["checker"] is not None:
            k = storm["checker"]
            lines.append(f"  invariant checker on the sample's recordings: {k['subscribers']} subscribers, "
                         f"{k['updates']} updates checked against the topic, {k['violations']} violations "
                         f"(exit {k['exit']})")
        lines.append(f"  targets: <= {CONNECTIONS_KB_TARGET} kB {'met' if c['target_kb_met'] else 'NOT met'}; "
                     f"<= {CONNECTIONS_NODE_RATIO_TARGET} x Node {'met' if c['target_node_met'] else 'NOT met'}; "
                     f"storm p99 <= {CONNECTIONS_STORM_P99_TARGET_S:.0f} s {'met' if c['target_storm_met'] else 'NOT met'}; "
                     f"no gap {'yes' if c['no_gap'] else 'NO'}")

    with open(os.path.join(results_dir, "bench-results.json"), "w") as f:
        json.dump(result, f, indent=2)
    with open(os.path.join(results_dir, "bench-results.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


REPORT_P99_TARGET_MS = 100

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "benchmarks.md.in")


def run_date(result):
    """The run's UTC date: recorded since the field exists, else read from the run directory's name."""
    if result.get("date"):
        return result["date"]
    match = re.search(r"(\d{4})(\d{2})(\d{2})-\d{6}", result.get("run_dir", ""))
    return f"{match[1]}-{match[2]}-{match[3]}" if match else "date not recorded"


def n(value, digits=0):
    """A figure for a table: thousands separated, '—' when missing."""
    return "—" if value is None else f"{value:,.{digits}f}"


def verdict(ok):
    return "✔" if ok else "✘"


def results_markdown(result, links):
    """The generated part of docs/benchmarks.md: one table per phase, from bench-results.json."""
    out = []
    machine = result.get("machine", {})
    mode = ("quick: 1 pair, 3 s runs, 100,000 replayed events" if result.get("quick")
            else f"full: {result.get('pairs', '?')} alternating pairs, 10 s runs, "
                 f"{n(result.get('projection', {}).get('events'))} replayed events")
    out.append(f"Run of {run_date(result)} ({mode}); {machine.get('cores', '?')} cores, kernel "
               f"{machine.get('kernel', '?')}, topics on the broker at the start: "
               f"{machine.get('kafka_topics_at_start', '?')}. Every figure is a median over the pairs. Files: [JSON]({links['json']}), "
               f"[text table]({links['txt']}).")
    out.append("")

    append = result.get("append")
    if append:
        c, r, h = append["command"], append["raw_produce"], append["hello_http"]
        out += ["### Append", ""] + ([run_note(append), ""] if run_note(append) else []) + [
                "| | Throughput | p50 | p99 | p99.9 |", "|---|---|---|---|---|"]
        for name, f in (("command service `POST /orders`", c), ("raw librdkafka producer", r),
                        ("hello-world Pistache", h)):
            out.append(f"| {name} | {n(f['throughput_per_s'])}/s | {n(f['p50_ms'], 2)} ms | {n(f['p99_ms'], 2)} ms "
                       f"| {n(f['p999_ms'], 2)} ms |")
        out += ["", f"`command_vs_raw_produce` = **{append['command_vs_raw_produce']:.2f}** (target ≥ {COMMAND_VS_RAW_TARGET} "
                    f"{verdict(append['command_vs_raw_produce'] >= COMMAND_VS_RAW_TARGET)}); `command_vs_hello_http` = "
                    f"{append['command_vs_hello_http']:.2f}. CPU of the command service: "
                    f"{n(c.get('cpu_seconds_per_1000'), 3)} s per 1,000 commands.", ""]

    projection = result.get("projection")
    if projection and projection.get("runs"):
        out += ["### Projection replay", "",
                with_run_note(
                    f"{n(projection.get('events'))} events ({n(projection.get('orders'))} orders, "
                    f"{n(projection.get('open_orders'))} open at any time).", projection), "",
                "| Pair | Baseline (COPY + upsert) events/s | Ours events/s | Ours: service CPU s | Ours: backend CPU s "
                "| Ours: peak RSS |", "|---|---|---|---|---|---|"]
        pairs = sorted({run["pair"] for run in projection["runs"]})
        for pair in pairs:
            base = [r for r in projection["runs"] if r["pair"] == pair and r["kind"] == "baseline"]
            ours = [r for r in projection["runs"] if r["pair"] == pair and r["kind"] == "ours"]
            b, o = (base[0] if base else {}), (ours[0] if ours else {})
            out.append(f"| {pair} | {n(b.get('events_per_s'))} | {n(o.get('events_per_s'))} | "
                       f"{n(o.get('cpu_seconds'), 1)} | {n(o.get('backend_cpu_seconds'), 1)} | "
                       f"{n(o['peak_rss_kb'] / 1024 if o.get('peak_rss_kb') else None)} MB |")
        ratio = projection.get("projection_vs_copy_upsert")
        out.append(f"| median | {n(projection.get('baseline_events_per_s'))} | {n(projection.get('ours_events_per_s'))} "
                   f"| | | |")
        if ratio is not None:
            out += ["", f"`projection_vs_copy_upsert` = **{ratio:.2f}** (target ≥ {PROJECTION_VS_COPY_TARGET} {verdict(ratio >= PROJECTION_VS_COPY_TARGET)})."]
        out.append("")
    if projection and projection.get("live_lag"):
        out += ["### Projection live lag", "",
                with_run_note(
                    "Record appended → its batch committed (`projection_apply_lag_seconds`).", projection), "",
                "| Offered | p50 | p99 | p99.9 | Events seen | CPU per event: service | CPU per event: PostgreSQL |",
                "|---|---|---|---|---|---|---|"]
        for run in projection["live_lag"]:
            out.append(f"| {n(run['offered_events_per_s'])}/s | {n(run['p50_ms'], 1)} ms | {n(run['p99_ms'], 1)} ms | "
                       f"{n(run['p999_ms'], 1)} ms | {n(run['events_observed'])} of {n(run['events_produced'])} | "
                       f"{n(run['cpu_us_per_event'])} µs | {n(run['postgres_cpu_us_per_event'])} µs |")
        at2000 = [run for run in projection["live_lag"] if run["offered_events_per_s"] == 2000]
        if at2000 and at2000[0]["p99_ms"] is not None:
            out += ["", f"Target: p99 < 50 ms at 2,000 events/s {verdict(at2000[0]['p99_ms'] < 50)}."]
        out.append("")

    fanout = result.get("fanout")
    if fanout:
        out += ["### Fan-out", "",
                with_run_note(
                    f"{n(fanout.get('subscribers'))} subscribers; a step is *sustained* when "
                    f"{fanout.get('sustained_criteria', 'every subscriber got every update')}.", fanout), "",
                "| Server | Offered deliveries/s | Delivered/s | p50 | p99 | CPU per delivery | of it in the kernel | Sustained |",
                "|---|---|---|---|---|---|---|---|"]
        for name, key in (("notifier", "notifier"), ("Node.js `ws`", "node_ws")):
            for step in fanout[key]["ladder"]:
                out.append(f"| {name} | {n(step['offered_deliveries_per_s'])} | {n(step['deliveries_per_s'])} | "
                           f"{n(step['p50_ms'], 1)} ms | {n(step['p99_ms'], 1)} ms | "
                           f"{n(step['cpu_us_per_delivery'], 2)} µs | {n(step.get('kernel_us_per_delivery'), 2)} µs | "
                           f"{'yes' if step['sustained'] else 'no'} |")
        out.append("")
        if "notifier_vs_node_ws" in fanout:
            ratio = fanout["notifier_vs_node_ws"]
            out.append(f"- `notifier_vs_node_ws` = **{ratio:.2f}** (highest sustained deliveries/s; target ≥ 2 "
                       f"{verdict(ratio >= 2)}).")
        for key, what in (("cpu_per_delivery_vs_node_ws_at_capacity", "each at its capacity"),
                          ("cpu_per_delivery_vs_node_ws_at_50k", "at an equal 50,000 deliveries/s")):
            if key in fanout:
                out.append(f"- CPU per delivery against Node, {what}: {fanout[key]:.2f} (target ≤ 0.5 "
                           f"{verdict(fanout[key] <= 0.5)}).")
        if "kernel_per_delivery_vs_node_ws_at_50k" in fanout:
            out.append(f"- At 50,000 deliveries/s each delivery is a write of its own for both servers; the "
                       f"notifier's kernel time alone is {fanout['kernel_per_delivery_vs_node_ws_at_50k']:.2f} of "
                       f"Node's whole cost per delivery (see [capacity](capacity.md), *Fan-out CPU*).")
        stalled = fanout.get("with_50_stalled_subscribers")
        if stalled:
            out.append(f"- With 50 subscribers that never read, beside the others at 50,000 deliveries/s: p99 "
                       f"{n(stalled['p99_ms'], 1)} ms against {n(stalled['p99_without_ms'], 1)} ms without; every "
                       f"reader got every update: {'yes' if stalled['every_reader_got_every_update'] else 'no'}.")
        overload = fanout.get("overload_150pct")
        if overload:
            out.append(f"- At 150% of the highest sustained rate ({n(overload['offered_events_per_s'])} events/s, "
                       f"{n(overload['deliveries_per_s'])} deliveries/s delivered, p99 {n(overload['p99_ms'], 1)} ms): "
                       f"notifier RSS {n(overload['rss_mb_before'])} MB before, {n(overload['rss_mb_peak'])} MB at "
                       f"peak, {n(overload['rss_mb_after'])} MB after; "
                       f"{n(overload['subscribers_closed_as_slow'])} subscribers closed as slow.")
        out.append("")

    e2e = result.get("e2e")
    if e2e:
        out += ["### End to end", "",
                with_run_note(
                    f"Status change accepted → update on a WebSocket. Closed-loop maximum: "
                    f"{n(e2e.get('max_closed_loop_per_s'))} status changes/s.", e2e), "",
                "| Load | Rate | p50 | p99 | p99.9 | HTTP p99 | Errors |", "|---|---|---|---|---|---|---|"]
        for run in e2e["runs"]:
            lat = run["e2e_latency"] or {}
            out.append(f"| {run['percent']}% | {n(run['rate'])}/s | {n(lat.get('p50_ms'), 1)} ms | "
                       f"{n(lat.get('p99_ms'), 1)} ms | {n(lat.get('p999_ms'), 1)} ms | "
                       f"{n(run['http_latency']['p99_ms'], 1)} ms | {run['errors']} |")
        at_target = [run for run in e2e["runs"] if run["percent"] == E2E_TARGET_PERCENT and run["e2e_latency"]]
        out.append("")
        if at_target:
            p99 = at_target[0]["e2e_latency"]["p99_ms"]
            out.append(f"- Target p99 ≤ {E2E_P99_TARGET_MS} ms at {E2E_TARGET_PERCENT}%: {n(p99, 1)} ms "
                       f"{verdict(p99 <= E2E_P99_TARGET_MS)}.")
        out.append(f"- Highest rate measured with p99 < 100 ms: "
                   f"{n(e2e.get('max_sustainable_per_s_p99_under_100ms'))} status changes/s.")
        cpu = e2e.get("cpu_seconds_per_1000_commands_at_50pct")
        if cpu:
            out.append("- CPU seconds per 1,000 commands at 50%: " +
                       ", ".join(f"{name} {seconds:.3f}" for name, seconds in cpu.items()) + ".")
        out.append("")
        if links.get("svg"):
            out += [f"![End-to-end latency against load]({links['svg']})", ""]
    limits = result.get("rate_limits")
    if limits:
        out += ["### Rate limits on the command API", "",
                with_run_note(
                    "The same command service build with its per-caller rate limiter on (a staff token whose "
                    "limit is never reached, so every request takes the limiter's whole path) and off, "
                    "alternating.", limits), "",
                "| Request | Limits | Throughput | p50 | p99 | Errors |", "|---|---|---|---|---|---|"]
        requests = {name: figures for name, figures in limits.items() if name != "run"}
        for request, figures in requests.items():
            for state in ("on", "off"):
                f = figures[state]
                out.append(f"| `{request}` | {state} | {n(f['throughput_per_s'])}/s | {n(f['p50_ms'], 2)} ms | "
                           f"{n(f['p99_ms'], 2)} ms | {f['errors']} |")
        out.append("")
        out.append("- Throughput with limits on / off: " +
                   ", ".join(f"`{request}` {figures['on_vs_off']:.3f}" for request, figures in requests.items()) + ".")
        out.append("")
    dispatch = result.get("dispatch")
    if dispatch and dispatch.get("runs"):
        out += ["### Dispatch: couriers racing for open deliveries", "",
                with_run_note(
                    f"{dispatch['couriers']} couriers, each with its own token and a WebSocket subscribed to "
                    f"`openDeliveries`, race to accept {n(dispatch['orders'])} orders as staff confirms them; every "
                    f"courier accepts every order the moment its feed shows it (over {dispatch['accept_via']}), one "
                    "wins, the others get 409. First as fast as staff can confirm (the maximum), then with orders "
                    "opened at 50% of the accepted rate found. Feed latency: the order is confirmed (its confirmation "
                    "answered) → "
                    "it is in every courier's feed (per order, the last courier to see it; p99 over orders); and the "
                    "stricter figure from when the confirmation was *due* (open loop: it includes the confirmation's "
                    "own latency and any wait for a staff connection).", dispatch), "",
                "| Run | Opened | Accepted | Accept p50 | Accept p99 | Feed p50 | Feed p99, every courier | "
                "Feed p99 from due, every courier | Confirm p99 from due | 409s | Errors | One winner per order |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for run in dispatch["runs"]:
            out.append(f"| {run['name']} | {n(run['open_per_s'])}/s | {n(run['accepted_per_s'])}/s | "
                       f"{n(run['accept_p50_ms'], 1)} ms | {n(run['accept_p99_ms'], 1)} ms | "
                       f"{n(run['confirmed_feed_p50_ms'], 1)} ms | {n(run['confirmed_feed_every_courier_p99_ms'], 1)} ms | "
                       f"{n(run['feed_every_courier_p99_ms'], 1)} ms | {n(run['confirm_p99_ms'], 1)} ms | "
                       f"{n(run['conflicts'])} | {run['errors']} | {verdict(run['exactly_one_winner_per_order'])} |")
        out += ["", f"- Target p99 < {DISPATCH_P99_TARGET_MS} ms for both accept and feed (confirmed → every courier) at 50%: "
                    f"{verdict(dispatch['target_met'])}.", ""]
    workflow = result.get("workflow")
    if workflow:
        out += ["### Fulfilment workflow: placed → confirmed", "",
                with_run_note(
                    "Orders placed (`POST /orders`, two lines each: one product tracked, one not; "
                    f"{n(workflow.get('tracked_products'))} of {n(workflow.get('products'))} products tracked) until a "
                    "WebSocket subscribed to the run's customer shows them `confirmed`: the workflow reserved the "
                    "tracked line, the embedded payment simulator (0 ms) authorized the amount and the order was "
                    "confirmed. The baseline, in the same run against its own stack, is plain placement with "
                    "`WORKFLOW=off`: placed → the order's first update. Maxima are closed loop (a fixed number of "
                    "orders on their way); the 50% runs are open loop, latency counted from when each order was due. "
                    "CPU per order includes every process of the stack (the command service, projection, notifier, "
                    "Kafka and PostgreSQL).", workflow), "",
                "| Run | Orders done/s | p50 | p99 | p99.9 | `POST` p99 | CPU per order | RSS after | Failures |",
                "|---|---|---|---|---|---|---|---|---|"]
        for name, key in (("plain placement, max (`WORKFLOW=off`)", "baseline_max"),
                          ("workflow, max", "workflow_max"), ("workflow, 50% of max", "workflow_50pct")):
            f = workflow.get(key)
            if not f:
                continue
            cpu = ", ".join(f"{k} {v:,.0f} µs" for k, v in f["cpu_us_per_order"].items() if v is not None)
            rss = ", ".join(f"{k} {v:,.0f} MB" for k, v in f["rss_mb_after"].items())
            failures = f["orders_cancelled"] + f["orders_never_done"] + f["post_errors"]
            out.append(f"| {name} | {n(f['done_per_s'])}/s | {n(f['p50_ms'], 1)} ms | {n(f['p99_ms'], 1)} ms | "
                       f"{n(f['p999_ms'], 1)} ms | {n(f['post_p99_ms'], 1)} ms | {cpu} | {rss} | {failures} |")
        out.append("")
        if "workflow_vs_plain_placement" in workflow:
            out.append(f"- `workflow_vs_plain_placement` = **{workflow['workflow_vs_plain_placement']:.2f}** (target ≥ "
                       f"{WORKFLOW_RATIO_TARGET} {verdict(workflow['target_ratio_met'])}).")
        half = workflow.get("workflow_50pct")
        if half:
            out.append(f"- Placed → confirmed p99 at 50% ({n(half['offered_per_s'])} orders/s): {n(half['p99_ms'], 1)} ms "
                       f"(target ≤ {WORKFLOW_P99_TARGET_MS} ms {verdict(workflow['target_p99_met'])}).")
        out.append(f"- Every order placed was confirmed (none cancelled, none lost) and each tracked product's "
                   f"reservations grew by exactly its orders: {verdict(workflow['every_order_done'])}.")
        out.append("")
    webhooks = result.get("webhooks")
    if webhooks:
        out += ["### Webhooks: signed deliveries", "",
                with_run_note(
                    "One endpoint registered for `order.placed` at a receiver on loopback that checks every "
                    "Standard Webhooks signature and answers 204. *Burst*: order events appended straight to the topic "
                    "while the notifier is paused, then drained; the rate is deliveries from the first to the last. *+hanging*: the "
                    "same beside a second endpoint whose receiver accepts and never answers (attempts time out after "
                    "2 s). *Plain POSTs* (the baseline): 16 keep-alive clients posting CloudEvents of the same shape, "
                    "signed per request the same way, to the same kind of receiver. *Paced*: orders placed through the "
                    "command API at a fixed rate; latency from the event's time to its receipt.", webhooks), "",
                "| Run | Deliveries/s | p50 | p99 | p99.9 | Delivered | Missing | Duplicates | Bad signatures |",
                "|---|---|---|---|---|---|---|---|---|"]
        for name, key in (("burst, alone", "alone"), ("burst, beside a hanging endpoint", "hanging"),
                          ("plain signed POSTs (baseline)", "baseline"), ("paced", "paced")):
            f = webhooks.get(key)
            if not f:
                continue
            out.append(f"| {name} | {n(f['deliveries_per_s'])}/s | {n(f['p50_ms'], 1)} ms | {n(f['p99_ms'], 1)} ms | "
                       f"{n(f['p999_ms'], 1)} ms | {n(f['delivered'])} | {n(f['missing'])} | {n(f['duplicates'])} | "
                       f"{n(f['bad_signatures'])} |")
        out.append("")
        if "hanging_vs_alone" in webhooks:
            out.append(f"- `hanging_vs_alone` = **{webhooks['hanging_vs_alone']:.2f}** (target ≥ {WEBHOOK_HANGING_TARGET} "
                       f"{verdict(webhooks['target_hanging_met'])}).")
        if "webhooks_vs_plain_post" in webhooks:
            out.append(f"- `webhooks_vs_plain_post` = **{webhooks['webhooks_vs_plain_post']:.2f}** (target ≥ "
                       f"{WEBHOOK_BASELINE_TARGET} {verdict(webhooks['target_baseline_met'])}).")
        out.append(f"- Every signature valid, no webhook-id twice, every paced order delivered: "
                   f"{verdict(webhooks['signatures_and_ids_ok'] and webhooks['nothing_missing'])}.")
        out.append("")
    scaleout = result.get("scaleout")
    if scaleout:
        out += ["### Scale-out: one command service against three behind a balancer", "",
                with_run_note(
                    "`POST /orders`, 64 keep-alive connections, closed loop: to one instance directly, then through "
                    "a round-robin TCP balancer (`orders_tcp_proxy`, one thread) with that instance alone behind it "
                    "(what the balancer itself costs), then with three instances of one writer group behind it. "
                    "New orders land in a partition of the instance that received them, so none of these is "
                    "forwarded. Then status changes of existing orders through the balancer, about two in three of "
                    "which reach an instance that does not write the order and are forwarded to its writer: the "
                    "maximum, then open loop at 50% of it, latency from when each command was due. Which were "
                    "forwarded is told by the connection (the balancer keeps a connection on one instance, whose "
                    "partitions show in the ids of the orders created over it) and checked against the instances' "
                    "own count. All on the same cores: three instances do not get three times the CPU.", scaleout), "",
                "| Run | Throughput | p50 | p99 | p99.9 | Errors | CPU per request (instances; balancer) |",
                "|---|---|---|---|---|---|---|"]
        for name, key in (("one instance, direct", "one_direct"), ("one instance, through the balancer", "one_proxied"),
                          ("three instances, through the balancer", "three"),
                          ("status changes, three, max", "walk_max"), ("status changes, three, 50%", "walk_50")):
            f = scaleout.get(key)
            if not f:
                continue
            out.append(f"| {name} | {n(f['throughput_per_s'])}/s | {n(f['p50_ms'], 2)} ms | {n(f['p99_ms'], 2)} ms | "
                       f"{n(f['p999_ms'], 2)} ms | {f['errors']} | {n(f['cpu_us_per_request'])} µs; "
                       f"{n(f['proxy_cpu_us_per_request'])} µs |")
        out.append("")
        if "three_vs_one" in scaleout:
            out.append(f"- Three instances / one: **{scaleout['three_vs_one']:.2f}** against one instance direct"
                       + (f", {scaleout['three_vs_one_proxied']:.2f} against one through the balancer"
                          if "three_vs_one_proxied" in scaleout else "") + ".")
        walk = scaleout.get("walk_50")
        if walk:
            out.append(f"- At {n(walk['rate'])} status changes/s: local p50 {n(walk['local']['p50_ms'], 2)} ms, p99 "
                       f"{n(walk['local']['p99_ms'], 2)} ms ({n(walk['local']['answers'])} answers); forwarded p50 "
                       f"{n(walk['forwarded']['p50_ms'], 2)} ms, p99 {n(walk['forwarded']['p99_ms'], 2)} ms "
                       f"({n(walk['forwarded']['answers'])} answers; the instances counted "
                       f"{n(walk['relayed_by_services'])} relayed).")
            out.append(f"- Forwarding p99 overhead (forwarded p99 − local p99): "
                       f"**{n(walk['forwarding_p99_overhead_ms'], 2)} ms** (target ≤ {FORWARDING_P99_OVERHEAD_TARGET_MS} ms "
                       f"{verdict(scaleout.get('target_met'))}).")
        out.append("")
    failover = result.get("failover")
    if failover:
        f = failover

        def fms(value):
            return f"{value:,.0f} ms" if value is not None else "never"
        out += ["### Failover: a partition leader killed under load", "",
                with_run_note(
                    f"A command service on a three-node Kafka cluster (replication factor 3, `min.insync.replicas` 2), "
                    f"{n(f['rate'])} `POST /orders` per second, open loop, over 256 connections, for {f['seconds']} s; "
                    f"after {f['kill_after_seconds']} s the node leading the partition that took the most records "
                    "in the seconds before is SIGKILLed. Every answer is recorded; the time to the first acknowledged "
                    "command on a partition that node led counts only commands due after the kill. Afterwards the "
                    "invariant checker compares every acknowledged command with the log.", f), "",
                "| Figure | Value |", "|---|---|",
                f"| Killed node (partitions it led; busiest) | {f['killed_node']} ({', '.join(map(str, f['led_partitions']))}; "
                f"{f['busiest_partition']}) |",
                f"| Acknowledged/s before the kill; p50, p99 | {n(f['acknowledged_per_s_before_kill'])}/s; "
                f"{n(f['p50_ms_before_kill'], 1)} ms, {n(f['p99_ms_before_kill'], 1)} ms |",
                f"| Kill → first acknowledged command on a partition it led | **{fms(f['kill_to_first_ack_on_led_partition_ms'])}** |",
                f"| Kill → every partition it led acknowledged again | {fms(f['kill_to_every_led_partition_acked_ms'])} |",
                f"| Kill → first acknowledged command on another partition | {fms(f['kill_to_first_ack_elsewhere_ms'])} |",
                f"| 503s from the kill to that first acknowledgement (in the whole run) | "
                f"{n(f['refused_503_until_first_led_ack'])} ({n(f['refused_503_total'])}) |",
                f"| Answers by status; connections the server closed | "
                f"{', '.join(f'{k}: {n(v)}' for k, v in sorted(f['statuses'].items())) or 'none'}; {n(f['unanswered'])} |",
                f"| Acknowledged / lost | {n(f['acknowledged'])} / **{n(f['lost'])}** |", ""]
        out.append(f"- Invariant checker: {f['checker_summary'] or 'no output'} "
                   f"{verdict(f['nothing_lost'])}.")
        if not f["command_service_alive_at_end"]:
            out.append(f"- The command service exited during the run (status {f['command_service_exit']}): "
                       f"`{f['command_service_last_log'][:300]}`.")
        out.append("")
    startup = result.get("startup")
    if startup:
        out += ["### Start-up: the command service after a long history", "",
                with_run_note(
                    "Each history is written straight to fresh topics (`orders_kafka_load --mode history`): finished "
                    "orders of six events each (placed from 30 to 2 days before, walked to `delivered`), then the live "
                    "orders (placed, `pending`); and beside them the stock of 100 products, where each finished order "
                    "reserved and committed a unit and each live order holds one. The command service (workflow off) "
                    "is started on it and timed from the start of the process to its first `/readyz` 200; its RSS and "
                    "CPU seconds are read then.", startup), "",
                "| History (events; finished + live orders; inventory events) | Start | Ready | RSS | CPU | "
                "Events replayed (orders + inventory) | Orders held | Settled reservations forgotten |",
                "|---|---|---|---|---|---|---|---|"]
        for size in startup["sizes"]:
            h = size["history"]
            for label, start in startup_starts(size):
                out.append(f"| {n(h['events'])}; {n(h['finished_orders'])} + {n(h['live_orders'])}; "
                           f"{n(h.get('inventory_events') or 0)} | {label} | "
                           f"**{n(start['ready_seconds'], 2)} s** | {n(start['rss_mb'])} MB | {n(start['cpu_seconds'], 1)} s | "
                           f"{n(start.get('replayed_events') or 0)} + {n(start.get('replayed_inventory_events') or 0)} | "
                           f"{n(start.get('orders_held') or 0)} | {n(start.get('settled_reservations_forgotten') or 0)} |")
        out += ["", "`replay`: no state store, the whole log is read; a product forgets its settled reservations "
                "after `RESERVATION_RETENTION` (7 days) of event time. `filling`: an empty store "
                "(`COMMAND_STATE_DIR`), which that replay fills. `snapshot`: the next start, from the store's "
                "checkpoint: it reads the store's resident index (the live orders, not every order it holds), loads "
                "those orders and every product, and replays only the records after the checkpoint. `…-keep-settled`: "
                "the same keeping every settled reservation (`RESERVATION_RETENTION=365d`), as before products "
                "forgot them.", "",
                f"Target for the largest history, `snapshot`: ready ≤ {STARTUP_READY_TARGET_S} s, RSS ≤ "
                f"{STARTUP_RSS_TARGET_MB} MB" + (f" {verdict(startup['target_met'])}." if "target_met" in startup else "."),
                ""]
    connections = result.get("connections")
    if connections:
        c, storm = connections, connections["storm"]

        def kb(value):
            return f"{value / 1024:.2f} kB" if value is not None else "n/a"
        out += ["### Connections: one notifier at its limit", "",
                with_run_note(
                    "One notifier holding as many WebSockets as its descriptor limit allows (`--quick`: "
                    "`MAX_CONNECTIONS=4000`), each subscribed to its own customer, from four client processes on eight "
                    "loopback source addresses; memory per connection is the RSS growth over the connections held. "
                    "The baseline is the Node.js `ws` server of the fan-out phase holding as many. See "
                    "[capacity](capacity.md) for what the figures mean.", connections), "",
                "| | Notifier | Node.js `ws` |", "|---|---|---|",
                f"| Connections held | {n(c['held'])} (limit {n(c['max_websockets'])}; {n(c['refused_at_limit'])} "
                f"more refused with 503) | {n(c['node_held'])} |",
                f"| Memory per connection | {kb(c['bytes_per_connection'])} | {kb(c['node_bytes_per_connection'])} |",
                f"| Ramp accepted in | {c['ramp_seconds']:.1f} s | |",
                f"| CPU while refused clients retry | {c['cpu_share_while_refusing'] * 100:.1f}% of a core | |",
                f"| Fan-out to all, 10 events/s | p50 {n(c['fanout']['p50_ms'], 1)} ms, p99 "
                f"{n(c['fanout']['p99_ms'], 1)} ms | |",
                f"| Reconnect storm (all dropped, back within 5 s) | {n(storm['resumed'])}/{n(storm['dropped'])} "
                f"resumed, all within {storm['seconds_to_all_resumed'] or 0:.1f} s; reconnect → resumed p99 "
                f"{n(storm['from_reconnect']['p99_ms'])} ms | |", ""]
        out.append(f"- Memory per connection ≤ {CONNECTIONS_KB_TARGET} kB {verdict(c['target_kb_met'])}; "
                   f"≤ {CONNECTIONS_NODE_RATIO_TARGET} × Node.js ({c.get('vs_node', 0):.2f}) "
                   f"{verdict(c['target_node_met'])}; storm p99 ≤ {CONNECTIONS_STORM_P99_TARGET_S:.0f} s "
                   f"{verdict(c['target_storm_met'])}.")
        out.append(f"- A sample of {n(storm['sample_clients'])} clients resuming their order with `sinceVersion`: "
                   f"{n(storm['sample_gaps'])} gaps, {n(storm['sample_duplicates'])} versions twice, "
                   f"{n(storm['sample_not_recovered'])} not recovered {verdict(c['no_gap'])}.")
        if storm.get("checker") is not None:
            k = storm["checker"]
            out.append(f"- The invariant checker's subscriber check (`orders_check_invariants`) on what "
                       f"{n(k['subscribers'])} sample clients received from their first subscribe to the end, "
                       f"across the storm, against the topic: {n(k['updates'])} updates, "
                       f"{n(k['violations'])} violations {verdict(k['exit'] == 0)}.")
        out.append("")
    reports = result.get("reports")
    if reports:
        out += ["### Reports (opt-in: `--phases reports`)", "",
                with_run_note(
                    f"A read model of {n(reports.get('orders'))} orders over 730 days, seeded straight into PostgreSQL "
                    f"in {reports.get('seed_seconds')} s, its report summaries filled by migration 006 at startup in "
                    f"{reports.get('summarise_seconds')} s; each report over random 31-day ranges and the unbounded "
                    "status counts, one request at a time on a kept-alive connection.", reports), "",
                "| Report | Requests | p50 | p99 | max |", "|---|---|---|---|---|"]
        for name, f in reports["reports"].items():
            out.append(f"| `{name}` | {n(f['requests'])} | {n(f['p50_ms'], 2)} ms | {n(f['p99_ms'], 2)} ms "
                       f"| {n(f['max_ms'], 2)} ms |")
        out += ["", f"- Every p99 ≤ {REPORT_P99_TARGET_MS} ms {verdict(reports.get('target_met'))}."]
        export = reports.get("csv_export")
        if export:
            out.append(f"- Streamed CSV export (`{export['path']}`, `Accept: text/csv`, no `limit`): "
                       f"{n(export['rows'])} rows, {export['bytes'] / 1e6:.0f} MB in {export['seconds']} s, "
                       f"**{n(export['rows_per_second'])} rows/s**; the projection's RSS {export['rss_kb_before'] / 1024:.0f} MB "
                       f"before, at most {export['rss_kb_peak'] / 1024:.0f} MB while streaming.")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


RUN_FIELDS = ("machine", "quick", "pairs", "run_dir", "date")


def merge(results_dir, docs_dir):
    new = load(os.path.join(results_dir, "bench-results.json"))
    path = os.path.join(docs_dir, "bench-results.json")
    old = load(path) if os.path.exists(path) else {key: new[key] for key in RUN_FIELDS if key in new}
    run = {key: new[key] for key in RUN_FIELDS if key in new}
    for key, section in new.items():
        if key in RUN_FIELDS:
            continue
        if isinstance(section, dict):
            section = dict(section, run=run)
        old[key] = section
    with open(path, "w") as f:
        json.dump(old, f, indent=2)


def with_run_note(text, section):
    """A section's description, then the run it was recorded from when that is not the page's."""
    note = run_note(section)
    return f"{text.rstrip()} {note}" if note else text.rstrip()


def run_note(section):
    """For a section recorded from another run than the page's: that run's date and mode."""
    run = section.get("run")
    if not run:
        return ""
    # The mode only: a phase run on its own (dispatch, limits) has no pairs to count.
    mode = "quick" if run.get("quick") else "full"
    return (f"Recorded from a separate run of {run_date(run)} ({mode}; {run.get('machine', {}).get('cores', '?')} "
            "cores).")


def markdown(results_dir, out_path):
    result = load(os.path.join(results_dir, "bench-results.json"))
    base = os.path.dirname(os.path.abspath(out_path))

    def link(name):
        path = os.path.join(results_dir, name)
        return os.path.relpath(os.path.abspath(path), base) if os.path.exists(path) else None

    links = {"json": link("bench-results.json"), "txt": link("bench-results.txt"), "svg": link("e2e-latency.svg")}
    header = (f"<!-- Generated by tests/bench/report.py from {links['json']}; edit tests/bench/benchmarks.md.in "
              "instead. -->\n")
    text = open(TEMPLATE).read()
    marker = "@RESULTS@"
    if marker not in text:
        sys.exit(f"{TEMPLATE} has no {marker} line")
    regenerate = ("*This page is generated: `./infra/bench.sh --record` runs the benchmarks and rewrites it "
                  "from their results; `./infra/bench.sh --record-from DIR` rewrites it from the results of an "
                  "earlier run (`build-release/bench-results/` by default) without running anything. Edit "
                  "[`tests/bench/benchmarks.md.in`](" + os.path.relpath(TEMPLATE, base) + ") for the fixed text.*")
    text = text.replace("@REGENERATE@", regenerate).replace(marker, results_markdown(result, links).rstrip())
    with open(out_path, "w") as f:
        f.write(header + text)


def main():
    command = sys.argv[1]
    if command == "sustained-rate":
        print(sustained_rate(sys.argv[2], sys.argv[3]) or 25)
    elif command == "e2e-ok":
        runs = [r for r in e2e_runs(sys.argv[2]) if r["percent"] == int(sys.argv[3])]
        sys.exit(0 if runs and e2e_ok(runs[0]) else 1)
    elif command == "workflow-max":
        print(workflow_max(sys.argv[2]))
    elif command == "lag":
        print(json.dumps(lag_run(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]))))
    elif command == "summarize":
        args = sys.argv[4:]
        quick = int(args[args.index("--quick") + 1]) if "--quick" in args else 0
        pairs = int(args[args.index("--pairs") + 1]) if "--pairs" in args else 1
        summarize(sys.argv[2], sys.argv[3], bool(quick), pairs)
    elif command == "failover-acks":
        failover_acks(sys.argv[2], sys.argv[3])
    elif command == "merge":
        merge(sys.argv[2], sys.argv[3])
    elif command == "markdown":
        markdown(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
