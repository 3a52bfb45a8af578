#!/usr/bin/python3
"""Verifies webhook deliveries with the Standard Webhooks reference library (PyPI `standardwebhooks`),
so that our signatures are judged by code we did not write.

Usage: verify_webhook_signatures.py < deliveries.json

    {"secret": "whsec_...", "requests": [{"headers": {...}, "body": "..."}, ...]}

`requests` are what tests/support/webhook_receiver.py recorded (header names in lower case, the body
as received). Each one goes through Webhook(secret).verify(body, headers), which checks the
webhook-signature over webhook-id, webhook-timestamp and the body, and that the timestamp is recent.
Prints one line per request and a summary; exits 0 when there was at least one request and every one
verified, 1 otherwise, 77 when the library is not installed (./infra/test.sh installs it into the
Python tools' environment, tests/tools/requirements.txt).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def tools_python():
    """The Python of the test tools' environment, where standardwebhooks is installed."""
    venv = os.environ.get("ORDERS_PYTHON_TOOLS") or os.path.join(HERE, "..", "..", ".local", "python-tools")
    return os.path.join(venv, "bin", "python3")


try:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError
except ImportError:
    python = tools_python()
    if os.access(python, os.X_OK) and os.path.realpath(sys.prefix) != os.path.realpath(
            os.path.join(os.path.dirname(python), "..")):
        os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])
    print("standardwebhooks is not installed: ./infra/test.sh installs it and sets ORDERS_PYTHON_TOOLS")
    sys.exit(77)


def main():
    given = json.load(sys.stdin)
    webhook = Webhook(given["secret"])
    requests = given.get("requests", [])
    failures = 0
    for request in requests:
        headers = request.get("headers", {})
        name = headers.get("webhook-id", "(no webhook-id)")
        try:
            webhook.verify(request.get("body", ""), headers, json_parse=False)
            print(f"ok {name}")
        except WebhookVerificationError as error:
            failures += 1
            print(f"FAILED {name}: {error}")
    print(f"{len(requests) - failures} verified, {failures} failed")
    return 0 if requests and failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
