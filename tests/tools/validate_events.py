#!/usr/bin/python3
"""Validates Kafka event records against the JSON Schemas in schemas/json.

Reads JSON lines from stdin, one record each: {"key": str, "headers": {name: value}, "value": str}.
Checks the headers against cloudevents-headers.schema.json, the payload against the schema of
its ce_type, and that key == ce_subject == the payload's stream id (orderId for order.* events,
productId for inventory.* events). Prints one line per problem and
exits 1 if there was any, 0 otherwise (also when all records are valid: it prints the count).
"""
import json
import pathlib
import sys

import jsonschema

SCHEMAS = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2] / "schemas" / "json")


def load(name):
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def main():
    headers_validator = load("cloudevents-headers.schema.json")
    payload_validators = {
        "order.placed.v1": load("order.placed.v1.schema.json"),
        "order.status_changed.v1": load("order.status_changed.v1.schema.json"),
        "order.courier_assigned.v1": load("order.courier_assigned.v1.schema.json"),
        "order.courier_unassigned.v1": load("order.courier_unassigned.v1.schema.json"),
        "order.delivery_declined.v1": load("order.delivery_declined.v1.schema.json"),
        "order.payment_authorized.v1": load("order.payment_authorized.v1.schema.json"),
        "order.payment_declined.v1": load("order.payment_declined.v1.schema.json"),
        "order.payment_refunded.v1": load("order.payment_refunded.v1.schema.json"),
        "inventory.stock_set.v1": load("inventory.stock_set.v1.schema.json"),
        "inventory.stock_reserved.v1": load("inventory.stock_reserved.v1.schema.json"),
        "inventory.reservation_refused.v1": load("inventory.reservation_refused.v1.schema.json"),
        "inventory.stock_released.v1": load("inventory.stock_released.v1.schema.json"),
        "inventory.stock_committed.v1": load("inventory.stock_committed.v1.schema.json"),
    }
    problems = []
    count = 0
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        count += 1
        record = json.loads(line)
        headers = record["headers"]
        for error in headers_validator.iter_errors(headers):
            problems.append(f"record {number}: headers: {error.message}")
        validator = payload_validators.get(headers.get("ce_type"))
        if validator is None:
            problems.append(f"record {number}: unknown ce_type {headers.get('ce_type')!r}")
            continue
        payload = json.loads(record["value"])
        for error in validator.iter_errors(payload):
            problems.append(f"record {number}: payload: {error.message}")
        id_field = "productId" if headers["ce_type"].startswith("inventory.") else "orderId"
        if not (record["key"] == headers.get("ce_subject") == payload.get(id_field)):
            problems.append(f"record {number}: key, ce_subject and {id_field} differ")
        if headers.get("ce_time") != payload.get("at"):
            problems.append(f"record {number}: ce_time differs from at")
    for problem in problems:
        print(problem)
    print(f"{count} records checked, {len(problems)} problems")
    return 1 if problems or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
