#!/usr/bin/python3
"""Runs Schemathesis against one running service and its OpenAPI document.

    run_schemathesis.py SPEC --url http://127.0.0.1:PORT [--max-examples N] [--seed N]

stdin: JSON {"jwtSecret": "...", "orders": [{"orderId": "...", "version": N}, ...], "webhooks": [id, ...],
"disposableWebhooks": [id, ...]}: the secret the service verifies tokens with (a `service` token is
minted from it, which the rate limits exempt), and orders and webhook endpoints that exist, which
schemathesis_hooks.py swaps into generated requests so that the operations on one order or endpoint see
real ones, not only 404s (DELETE gets the disposable endpoints only).

The Schemathesis executable comes from $ORDERS_SCHEMATHESIS (./infra/test.sh installs it in a virtual
environment and sets it), else from .local/python-tools/ of this tree. Exit status: Schemathesis's, or 77 when it is not installed.

The token reaches Schemathesis through its environment and a config file (mode 0600), never through
a command line, where any local user could read it (/proc/*/cmdline).
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# What each run checks: no 5xx; the status, content type, headers and body of each answer are the
# documented ones; a request the document calls valid is not refused, and (negative mode) one it
# calls invalid is refused; without the token the API answers 401.
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "ignored_auth",
])

# A valid request may still meet the state of the server: an order that does not exist (404), a move
# the lifecycle does not allow or an orderId taken (409), an If-Match of another version (412), an
# Idempotency-Key used before with another body (422). Anything else is a refusal of valid data.
ACCEPTED_WHEN_VALID = ["2xx", "404", "409", "412", "422"]

CONFIG = """\
headers = {{ Authorization = "Bearer ${{ORDERS_CONTRACT_TOKEN}}" }}

[checks.positive_data_acceptance]
expected-statuses = {accepted}

# Methods a path does not have, sent by the coverage phase. Not QUERY: the HTTP parser under the query
# service (http_parser 2.9, RESTinio 0.6) does not know that method and closes the connection without
# an answer.
[phases.coverage]
unexpected-methods = ["get", "put", "post", "delete", "options", "patch", "trace"]

# DELETE /orders/{{orderId}} is documented only to say that it is always 405.
[[operations]]
include-operation-id = "deleteOrder"
checks.positive_data_acceptance.expected-statuses = ["405"]

# Declining is for couriers; the runner's token is a service's, which may only assign or unassign
# (tests/integration/command/courier_commands_test.cpp declines as couriers).
[[operations]]
include-operation-id = "declineDelivery"
checks.positive_data_acceptance.expected-statuses = ["403"]
"""


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_token(secret, role="service", subject="contract-test", ttl=3600):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({"sub": subject, "role": role, "exp": int(time.time()) + ttl}).encode())
    signature = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64url(signature)}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("spec")
    parser.add_argument("--url", required=True)
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()

    # ./infra/test.sh sets it; by hand, the tools of the default data folder serve.
    executable = os.environ.get("ORDERS_SCHEMATHESIS") or os.path.join(
        HERE, "..", "..", ".local", "python-tools", "bin", "schemathesis")
    if not executable or not os.access(executable, os.X_OK):
        print("schemathesis is not installed: ./infra/test.sh installs it and sets ORDERS_SCHEMATHESIS")
        return 77
    given = json.load(sys.stdin)

    with tempfile.TemporaryDirectory(prefix="orders-schemathesis-") as work:
        config = os.path.join(work, "schemathesis.toml")
        with open(os.open(config, os.O_WRONLY | os.O_CREAT, 0o600), "w") as out:
            out.write(CONFIG.format(accepted=json.dumps(ACCEPTED_WHEN_VALID)))
        fixtures = os.path.join(work, "fixtures.json")
        with open(fixtures, "w") as out:
            json.dump({key: given.get(key, []) for key in ("orders", "webhooks", "disposableWebhooks")}, out)
        env = dict(os.environ)
        env.update({
            "ORDERS_CONTRACT_TOKEN": mint_token(given["jwtSecret"]),
            "ORDERS_CONTRACT_FIXTURES": fixtures,
            "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
            "PYTHONPATH": HERE + os.pathsep + env.get("PYTHONPATH", ""),
            "SCHEMATHESIS_TELEMETRY": "false",
        })
        # Valid and invalid requests in two runs: in one `--mode all` run, Schemathesis 4.32 took a
        # case with an invalid If-Match header for a valid one (a false "valid data rejected").
        status = 0
        for mode in ("positive", "negative"):
            command = [
                executable, "--config-file", config, "run", os.path.abspath(args.spec), "--url", args.url,
                "--checks", CHECKS, "--phases", "examples,coverage,fuzzing", "--mode", mode,
                "--max-examples", str(args.max_examples), "--seed", str(args.seed), "--workers", "1",
                "--request-timeout", "10", "--no-color", "--warnings", "off", "--output-truncate", "true",
            ]
            started = time.monotonic()
            result = subprocess.run(command, env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
            print(result.stdout)
            print(f"schemathesis ({mode}) on {os.path.basename(args.spec)}: exit {result.returncode} "
                  f"in {time.monotonic() - started:.1f} s")
            status = status or result.returncode
        return status


if __name__ == "__main__":
    sys.exit(main())
