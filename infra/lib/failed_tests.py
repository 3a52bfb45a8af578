#!/usr/bin/env python3
"""Prints each failed test of a ctest JUnit file with the last lines of its output.

CI shows only the end of a long log, and ctest prints a failed test's output where it failed, far
above the end; this digest is printed last so the reason for a red run is always on screen.

    infra/lib/failed_tests.py RESULTS.xml [LINES]
"""
import os
import sys
import xml.etree.ElementTree as ElementTree


def failed_cases(root):
    for case in root.iter("testcase"):
        if case.get("status") == "fail" or case.find("failure") is not None or case.find("error") is not None:
            yield case


def main():
    path = sys.argv[1]
    lines = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as error:
        print(f"no test results to summarise ({path}: {error})")
        return
    cases = list(failed_cases(root))
    if not cases:
        return
    step = os.environ.get("ORDERS_STEP_NAME")
    print(f"{step + ': ' if step else ''}{len(cases)} failed test(s): {', '.join(case.get('name', '?') for case in cases)}")
    for case in cases:
        output = (case.findtext("system-out") or "").rstrip("\n").splitlines()
        print(f"==== {case.get('name', '?')} ({float(case.get('time', 0)):.1f} s), last {min(lines, len(output))} "
              f"of {len(output)} lines of output")
        for line in output[-lines:]:
            print(f"  {line}")


if __name__ == "__main__":
    main()
