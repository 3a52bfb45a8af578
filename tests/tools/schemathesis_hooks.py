"""Schemathesis hooks for tests/tools/run_schemathesis.py: they play the part of a client that knows
what only the server's state can tell, and touch valid (positive) requests only.

- Operations on one order get an order that exists (from $ORDERS_CONTRACT_FIXTURES) for half of the
  generated ids, so 200, 409 and 412 answers are checked too, not only 404.
- `minVersion` names a version the read model has (a version it never reaches is a documented 503
  after a 5 s wait, which would only slow the run down).
- `cursor` is one the query API could have made for that list (an opaque token: the document cannot
  say which strings the server made; each list's cursors carry their own tag).
- `/reports/daily` and `/reports/couriers` get `from` ≤ `to` within 366 days (a rule across two
  parameters).
- `POST /orders` names a customer when the generated body leaves it out: only customers may (it is
  then their token's `sub`), and the runner's token is a service's.
- `POST /webhooks` registers a local receiver's URL: the document can say "http(s) URL", not which
  hosts resolve and which addresses the target policy allows.
- Operations on one webhook endpoint get one that exists for half of the generated ids; DELETE gets a
  disposable one (each once), so the others stay for the operations after it.
"""
import base64
import calendar
import datetime
import hashlib
import json
import os

import schemathesis

_FIXTURES = json.load(open(os.environ["ORDERS_CONTRACT_FIXTURES"]))
_ORDERS = _FIXTURES.get("orders", [])
_WEBHOOKS = _FIXTURES.get("webhooks", [])
_DISPOSABLE_WEBHOOKS = list(_FIXTURES.get("disposableWebhooks", []))


def _digest(value):
    return int.from_bytes(hashlib.sha256(repr(value).encode()).digest()[:8], "big")


def _is_positive(case):
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    mode = getattr(generation, "mode", None)
    return mode is not None and mode.is_positive


def _operation_id(ctx):
    operation = ctx.operation
    definition = getattr(operation, "definition", None)
    raw = getattr(definition, "raw", None) or {}
    return raw.get("operationId", "")


def _existing_order(case, always=False):
    """An existing order for half of the generated ids (all of them when `always`)."""
    if not _ORDERS:
        return None
    generated = (case.path_parameters or {}).get("orderId", "")
    pick = _digest(generated)
    if not always and pick % 2:
        return None
    return _ORDERS[pick % len(_ORDERS)]


def _cursor_for(text, tag="c1"):
    pick = _digest(text)
    millis = pick % 253402300799999
    order_id = hashlib.md5(str(pick).encode()).hexdigest()
    uuid = f"{order_id[:8]}-{order_id[8:12]}-4{order_id[13:16]}-8{order_id[17:20]}-{order_id[20:32]}"
    raw = f"{tag}|{millis}|{uuid}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _product_cursor_for(text):
    """A GET /inventory cursor: the tag and a product id (the last one of a page)."""
    raw = f"p1|sku-{_digest(text) % 100000}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _delivery_cursor_for(text):
    """A deliveries cursor: the event time in microseconds and the event id of a page's last delivery."""
    pick = _digest(text)
    raw = f"{pick % 4102444800000000}:evt-{pick % 1000}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _calendar_dates(query):
    # The schema's pattern allows a 31st of any month (a regular expression cannot know the calendar);
    # the API refuses 1987-11-31 (400). Such a day becomes its month's last.
    for key in ("from", "to"):
        text = query.get(key)
        if not isinstance(text, str) or len(text) < 10:
            continue
        try:
            year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
            last = calendar.monthrange(year, month)[1]
        except ValueError:
            continue
        if day > last:
            query[key] = f"{text[:8]}{last:02d}{text[10:]}"


def _day(text):
    return datetime.date.fromisoformat(text)


def _daily_range(query):
    today = datetime.datetime.now(datetime.timezone.utc).date()
    to = _day(query["to"]) if "to" in query else today
    if "from" not in query:
        return
    start = _day(query["from"])
    if start > to:
        start, to = to, start
    if (to - start).days >= 366:
        start = to - datetime.timedelta(days=_digest(query["from"]) % 366)
    query["from"] = start.isoformat()
    if "to" in query or to != today:
        query["to"] = to.isoformat()


def _ordered_bounds(query):
    # `from` after `to` is a 400 (a rule across two parameters the schema cannot state): swapped.
    if "from" in query and "to" in query and query["from"][:10] > query["to"][:10]:
        query["from"], query["to"] = query["to"], query["from"]


@schemathesis.hook
def map_case(ctx, case):
    if not _is_positive(case):
        return case
    operation = _operation_id(ctx)
    if operation == "placeOrder" and isinstance(case.body, dict) and case.body.get("customerId") is None:
        case.body["customerId"] = "contract-customer"
    elif operation in ("getOrder", "changeStatus", "assignCourier", "unassignCourier", "declineDelivery"):
        order = _existing_order(case)
        if order:
            case.path_parameters["orderId"] = order["orderId"]
    elif operation == "getReadModelOrder":
        query = case.query or {}
        order = _existing_order(case, always="minVersion" in query)
        if order:
            case.path_parameters["orderId"] = order["orderId"]
            if "minVersion" in query:
                query["minVersion"] = min(int(query["minVersion"]), order["version"])
    elif operation == "listOrders" and case.query:
        if "cursor" in case.query:
            case.query["cursor"] = _cursor_for(case.query["cursor"])
        _calendar_dates(case.query)
        _ordered_bounds(case.query)
    elif operation == "listOpenDeliveries" and case.query and "cursor" in case.query:
        case.query["cursor"] = _cursor_for(case.query["cursor"], tag="d1")
    elif operation == "listInventory" and case.query and "cursor" in case.query:
        case.query["cursor"] = _product_cursor_for(case.query["cursor"])
    elif operation in ("dailyReport", "courierReport", "productReport", "funnelReport") and case.query:
        _calendar_dates(case.query)
        _daily_range(case.query)
    elif operation == "createWebhook" and isinstance(case.body, dict) and "url" in case.body:
        case.body["url"] = f"http://127.0.0.1:9/contract-{_digest(case.body['url']) % 100000}"
    elif operation == "deleteWebhook" and _DISPOSABLE_WEBHOOKS and _digest(case.path_parameters) % 2 == 0:
        case.path_parameters["webhookId"] = _DISPOSABLE_WEBHOOKS.pop()
    elif operation in ("getWebhook", "listWebhookDeliveries", "replayWebhookDeliveries") and _WEBHOOKS:
        pick = _digest(case.path_parameters.get("webhookId", ""))
        if pick % 2 == 0:
            case.path_parameters["webhookId"] = _WEBHOOKS[pick % len(_WEBHOOKS)]
        if operation == "listWebhookDeliveries" and case.query and "cursor" in case.query:
            case.query["cursor"] = _delivery_cursor_for(case.query["cursor"])
    return case
