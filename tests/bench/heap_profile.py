#!/usr/bin/env python3
"""Where a notifier's bytes per connection go, from two heaptrack recordings.

    heap_profile.py --idle FILE --loaded FILE --connections N [--top 20] [--rss-kb-idle K --rss-kb-loaded K]

./infra/bench.sh --profile-memory records the notifier twice under heaptrack: once started and left
idle (IDLE), once holding N idle WebSockets (LOADED), each subscribed to its own customer. For each
recording, heaptrack_print writes the heap at its peak as flame-graph stacks (bytes per call stack);
the idle stacks are subtracted from the loaded ones, so what is left is what the N connections
added, and dividing by N gives bytes per connection. The order cache, Kafka client and other fixed
costs are in both recordings and cancel out.

Each stack is charged to two frames, read from the allocation upwards:
  site   the first frame that is not the allocator or the standard library (malloc, operator new,
         std::, __gnu_cxx::): the code that asked for the memory (ours, RESTinio's or asio's);
  owner  the first frame of our own code (orders::), which says on whose behalf.
heaptrack counts the bytes asked for; malloc adds 8 to 16 bytes of its own per block, which is in the
RSS but not here, so the blocks per connection are printed too.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

ALLOCATOR = re.compile(r"^(operator new|operator delete|malloc|calloc|realloc|free|posix_memalign|aligned_alloc|"
                       r"memalign|__libc_|__gnu_cxx::|std::|void std::|__cxa_|_Znwm|_Znam)")
UNKNOWN = re.compile(r"^(0x[0-9a-f]+|\?\?)")


def frame_name(frame):
    """The function name of a flame-graph frame ("name (file)"), without the file."""
    name = re.sub(r" \([^()]*\)$", "", frame.strip())
    return "??" if UNKNOWN.match(name) else name


def short(name, width=90):
    # Argument lists and template arguments make names unreadable in a table; keep the qualified name.
    name = re.sub(r"\(.*\)( const)?$", "", name)
    depth, out = 0, []
    for ch in name:
        if ch == "<":
            if depth == 0:
                out.append("<…>")
            depth += 1
        elif ch == ">":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(ch)
    name = "".join(out)
    return name if len(name) <= width else "…" + name[-(width - 1):]


def peak_stacks(path):
    """{stack tuple (root first): bytes at the heap's peak}, and heaptrack_print's summary lines."""
    with tempfile.NamedTemporaryFile("r", suffix=".stacks") as stacks:
        summary = subprocess.run(
            ["heaptrack_print", "-f", path, "--print-peaks", "0", "--print-allocators", "0", "--print-temporary",
             "0", "--print-leaks", "0", "--flamegraph-cost-type", "peak", "-F", stacks.name],
            check=True, capture_output=True, text=True).stdout
        result = collections.Counter()
        for line in open(stacks.name, encoding="utf-8", errors="replace"):
            line = line.rstrip("\n")
            if not line or " " not in line:
                continue
            frames, cost = line.rsplit(" ", 1)
            try:
                cost = int(cost)
            except ValueError:
                continue
            result[tuple(frame_name(f) for f in frames.split(";") if f.strip())] += cost
    return result, summary


def peak_allocations(path):
    """{stack: allocation calls over the whole run}. heaptrack's flame graph cannot count the blocks live at
    the peak, so this stands in for it, only to tell one block per connection from many (temporary ones
    made during the handshake count too)."""
    with tempfile.NamedTemporaryFile("r", suffix=".stacks") as stacks:
        subprocess.run(
            ["heaptrack_print", "-f", path, "--print-peaks", "0", "--print-allocators", "0", "--print-temporary",
             "0", "--print-leaks", "0", "--flamegraph-cost-type", "allocations", "-F", stacks.name],
            check=True, capture_output=True, text=True)
        result = collections.Counter()
        for line in open(stacks.name, encoding="utf-8", errors="replace"):
            frames, _, cost = line.rstrip("\n").rpartition(" ")
            if frames and cost.isdigit():
                result[tuple(frame_name(f) for f in frames.split(";") if f.strip())] += int(cost)
    return result


def charge(stack):
    """(site, owner) of a root-first stack."""
    site = owner = None
    for name in reversed(stack):
        if site is None and not ALLOCATOR.match(name) and name != "??":
            site = name
        if owner is None and "orders::" in name:
            owner = name
        if site and owner:
            break
    return short(site or "??"), short(owner or "(no orders:: frame)")


def summary_value(summary, label):
    match = re.search(re.escape(label) + r"[^:]*:\s*(\S+)", summary)
    return match.group(1) if match else "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", required=True)
    parser.add_argument("--loaded", required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--rss-kb-idle", type=float)
    parser.add_argument("--rss-kb-loaded", type=float)
    args = parser.parse_args()
    n = args.connections
    if n <= 0:
        sys.exit("heap_profile.py: --connections must be positive")

    idle, idle_summary = peak_stacks(args.idle)
    loaded, loaded_summary = peak_stacks(args.loaded)
    calls_idle, calls_loaded = peak_allocations(args.idle), peak_allocations(args.loaded)

    by_site, by_owner = collections.Counter(), collections.Counter()
    blocks_by_site = collections.Counter()
    for stack in set(idle) | set(loaded):
        delta = loaded.get(stack, 0) - idle.get(stack, 0)
        site, owner = charge(stack)
        by_site[(site, owner)] += delta
        by_owner[owner] += delta
        blocks_by_site[(site, owner)] += calls_loaded.get(stack, 0) - calls_idle.get(stack, 0)
    total = sum(by_site.values())

    print(f"notifier heap at its peak, idle vs holding {n:,} idle WebSockets (heaptrack, peak bytes per call stack)")
    print(f"  idle:   peak heap {summary_value(idle_summary, 'peak heap memory consumption')}, "
          f"peak RSS {summary_value(idle_summary, 'peak RSS')}")
    print(f"  loaded: peak heap {summary_value(loaded_summary, 'peak heap memory consumption')}, "
          f"peak RSS {summary_value(loaded_summary, 'peak RSS')}")
    print(f"  heap added per connection: {total / n:,.0f} B", end="")
    if args.rss_kb_idle is not None and args.rss_kb_loaded is not None:
        print(f"; RSS growth per connection under heaptrack: {(args.rss_kb_loaded - args.rss_kb_idle) * 1024 / n:,.0f} B"
              " (heaptrack's own bookkeeping included)", end="")
    print("\n")
    print(f"{'B/conn':>7} {'allocs/conn':>11}  site (first frame past the allocator)  <-  owner (first orders:: frame)")
    shown = 0
    for (site, owner), delta in sorted(by_site.items(), key=lambda item: -item[1]):
        if shown >= args.top or delta / n < 1:
            break
        calls = blocks_by_site[(site, owner)] / n
        print(f"{delta / n:7.0f} {calls:11.2f}  {site}")
        if owner != site:
            print(f"{'':20}<- {owner}")
        shown += 1
    rest = total - sum(d for (_, d) in sorted(by_site.items(), key=lambda item: -item[1])[:shown])
    print(f"{rest / n:7.0f} {'':11}  everything else")
    print("\nby owner (first orders:: frame):")
    for owner, delta in sorted(by_owner.items(), key=lambda item: -item[1])[:12]:
        if delta / n < 1:
            break
        print(f"{delta / n:7.0f}  {owner}")


if __name__ == "__main__":
    main()
