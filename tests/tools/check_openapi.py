#!/usr/bin/python3
"""Checks observed HTTP exchanges against schemas/openapi.yaml, both ways.

stdin: JSON lines {"method": "post", "path": "/orders/{orderId}", "status": 201, "contentType": "..."}.
Every observed (path, method, status) must be documented with the observed content type, and every
documented one must have been observed, except the statuses named in --may-be-unobserved.
Exit 0 when both hold.
"""
import argparse
import json
import sys

import yaml


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("spec")
    parser.add_argument("--may-be-unobserved", default="503")
    parser.add_argument("--observed-only", action="store_true",
                        help="only check that what was observed is documented")
    args = parser.parse_args()
    spec = yaml.safe_load(open(args.spec))
    responses = spec["components"].get("responses", {})
    documented = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    response = responses[response["$ref"].split("/")[-1]]
                documented[(path, method, int(status))] = set(response.get("content", {}).keys())
    observed = set()
    problems = []
    for line in sys.stdin:
        if not line.strip():
            continue
        exchange = json.loads(line)
        key = (exchange["path"], exchange["method"].lower(), int(exchange["status"]))
        observed.add(key)
        if key not in documented:
            problems.append(f"undocumented: {key}")
            continue
        content_type = exchange.get("contentType", "").split(";")[0].strip()
        if documented[key] and content_type not in documented[key]:
            problems.append(f"{key}: content type {content_type!r} not in {sorted(documented[key])}")
    optional = {int(s) for s in args.may_be_unobserved.split(",") if s}
    for key in sorted(documented):
        if not args.observed_only and key not in observed and key[2] not in optional:
            problems.append(f"documented but never observed: {key}")
    for problem in problems:
        print(problem)
    print(f"{len(observed)} exchanges observed, {len(documented)} documented, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
