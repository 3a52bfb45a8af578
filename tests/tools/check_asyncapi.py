#!/usr/bin/python3
"""Checks schemas/asyncapi.yaml and validates WebSocket messages against it.

Usage: check_asyncapi.py schemas/asyncapi.yaml [< lines.jsonl]

1. Structure: `asyncapi` is 3.x; every `$ref` resolves, including relative file refs (e.g. into
   schemas/json/) and the refs inside those files; every channel message is a Message Object;
   every operation names an existing channel and only messages of that channel (its `reply` too);
   server security refs name security schemes; every channel message is used by an operation.
2. Examples: every message has examples; each example's payload and headers validate against the
   message's schemas; a WebSocket example matches no other message of the same direction; Kafka
   examples agree with their headers (ce_subject = orderId, ce_time = at, ce_type = message name)
   and with the key schema (key = orderId).
3. stdin (skipped when stdin is a terminal): JSON lines
       {"direction": "send" | "receive", "message": <JSON value>}
   seen from the client: "send" is a client -> notifier message, "receive" a notifier -> client
   message. Each message must validate against at least one documented message of that direction.
   The document is written from the notifier's side, so client messages are those of `receive`
   operations on WebSocket channels (and replies to `send` operations), server messages those of
   `send` operations (and replies to `receive` operations).

Prints every problem and a summary; exit 0 when there is none, else 1.
Needs only PyYAML and jsonschema: refs are inlined here rather than resolved by the validator.
"""
import argparse
import copy
import json
import os
import re
import sys

import jsonschema
import yaml

WS_PROTOCOLS = {"ws", "wss"}
# Keywords whose value is instance data, not a schema: never look for $ref inside them.
DATA_KEYWORDS = {"const", "enum", "default", "examples", "example"}
# Keywords whose value maps arbitrary names to schemas.
SCHEMA_MAPS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
JSON_SCHEMA_FORMATS = re.compile(
    r"^application/(schema\+json|schema\+yaml|schema|vnd\.aai\.asyncapi(\+json|\+yaml)?);version=")


class RefError(Exception):
    pass


def shown(path):
    """A path as the user would type it: relative when under the working directory."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


class Documents:
    """Loads the spec and the files it refers to, and resolves `$ref`s."""

    def __init__(self, root_path):
        self.root_path = os.path.abspath(root_path)
        self.cache = {}

    def load(self, path):
        path = os.path.abspath(path)
        if path not in self.cache:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            self.cache[path] = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
        return self.cache[path]

    @property
    def root(self):
        return self.load(self.root_path)

    @staticmethod
    def pointer_get(document, pointer):
        node = document
        if pointer in ("", "/"):
            return node
        if not pointer.startswith("/"):
            raise RefError(f"fragment {pointer!r} is not a JSON pointer")
        for raw in pointer[1:].split("/"):
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise RefError(f"{token!r} not found")
        return node

    def resolve(self, ref, base_path):
        """Returns (target node, the file it is in, a canonical key for the target)."""
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref):
            raise RefError("remote/absolute refs are not followed; use a relative file ref")
        file_part, _, pointer = ref.partition("#")
        path = base_path
        if file_part:
            path = os.path.normpath(os.path.join(os.path.dirname(base_path), file_part))
            if not os.path.isfile(path):
                raise RefError(f"file {shown(path)} does not exist")
            try:
                self.load(path)
            except (OSError, ValueError, yaml.YAMLError) as error:
                raise RefError(f"cannot parse {shown(path)}: {error}") from error
        return self.pointer_get(self.load(path), pointer), path, (path, pointer)

    def follow(self, node, base_path):
        """Follows a chain of Reference Objects to a concrete object."""
        seen = set()
        key = None
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            node, base_path, key = self.resolve(node["$ref"], base_path)
            if key in seen:
                raise RefError("circular reference")
            seen.add(key)
        return node, base_path, key

    def inline(self, node, base_path, stack=frozenset(), schema_map=False):
        """A copy of a schema with every $ref replaced by its (inlined) target."""
        if isinstance(node, list):
            return [self.inline(item, base_path, stack) for item in node]
        if not isinstance(node, dict):
            return node
        if not schema_map and isinstance(node.get("$ref"), str):
            target, target_path, key = self.resolve(node["$ref"], base_path)
            if key in stack:
                raise RefError(f"circular $ref {node['$ref']}")
            resolved = self.inline(target, target_path, stack | {key})
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if not siblings:
                return resolved
            merged = self.inline(siblings, base_path, stack)
            merged["allOf"] = [resolved] + merged.get("allOf", [])
            return merged
        result = {}
        for name, value in node.items():
            if schema_map:
                result[name] = self.inline(value, base_path, stack)
            elif name in ("$schema", "$id", "$comment"):
                # Dropped: the inlined copy is one anonymous schema with no refs left.
                continue
            elif name in DATA_KEYWORDS:
                result[name] = copy.deepcopy(value)
            else:
                result[name] = self.inline(value, base_path, stack, schema_map=name in SCHEMA_MAPS)
        return result


def iter_refs(node, where=""):
    """Yields (ref, location) for every $ref in an object tree, skipping instance data."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"], where or "/"
        for name, value in node.items():
            if name in DATA_KEYWORDS and not where.endswith(("/properties", "/$defs")):
                continue
            yield from iter_refs(value, f"{where}/{name}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_refs(value, f"{where}/{index}")


def error_text(error):
    path = "/".join(str(part) for part in error.absolute_path)
    if error.validator in ("oneOf", "anyOf") and error.context:
        # Say why each alternative failed rather than the generic "is not valid under any".
        branches = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        parts = []
        for index, subs in sorted(branches.items()):
            branch = error.validator_value[index] if isinstance(index, int) else {}
            title = branch.get("title", f"#{index}") if isinstance(branch, dict) else f"#{index}"
            parts.append(f"{title}: " + ", ".join(error_text(sub) for sub in subs[:2]))
        return f"{path or '(root)'}: none of the {error.validator} alternatives fits ({' | '.join(parts)})"
    return f"{path or '(root)'}: {error.message}"


def short(value, limit=160):
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Checker:
    def __init__(self, spec_path):
        self.docs = Documents(spec_path)
        self.problems = []
        self.messages = {}  # canonical key -> info dict
        self.examples_checked = 0

    def problem(self, text):
        self.problems.append(text)

    # ---- structure -------------------------------------------------------------------------

    def check_refs(self):
        pending = [self.docs.root_path]
        walked = set()
        count = 0
        while pending:
            path = pending.pop()
            if path in walked:
                continue
            walked.add(path)
            for ref, where in iter_refs(self.docs.load(path)):
                count += 1
                try:
                    _, target_path, _ = self.docs.resolve(ref, path)
                except RefError as error:
                    self.problem(f"$ref {ref!r} at {shown(path)}#{where} does not resolve: {error}")
                    continue
                if target_path not in walked:
                    pending.append(target_path)
        return count, len(walked)

    def local_target(self, ref, prefix):
        """The name after `prefix` in a local ref like '#/channels/<name>', or None."""
        if not isinstance(ref, str) or not ref.startswith(prefix):
            return None
        rest = ref[len(prefix):]
        return rest if rest and "/" not in rest else None

    def check_document(self):
        root = self.docs.root
        if not isinstance(root, dict):
            self.problem("the document is not a mapping")
            return False
        version = str(root.get("asyncapi", ""))
        if not re.fullmatch(r"3\.\d+\.\d+", version):
            self.problem(f"asyncapi must be 3.x.y, is {version!r}")
        info = root.get("info")
        if not isinstance(info, dict) or not info.get("title") or not info.get("version"):
            self.problem("info.title and info.version are required")
        servers = root.get("servers") or {}
        schemes = (root.get("components") or {}).get("securitySchemes") or {}
        for name, server in servers.items():
            server, _, _ = self.docs.follow(server, self.docs.root_path)
            if not isinstance(server, dict) or not server.get("host") or not server.get("protocol"):
                self.problem(f"server {name}: host and protocol are required")
                continue
            for index, entry in enumerate(server.get("security") or []):
                target = self.local_target((entry or {}).get("$ref"), "#/components/securitySchemes/")
                if isinstance(entry, dict) and "$ref" in entry and target not in schemes:
                    self.problem(f"server {name}: security[{index}] does not name a security scheme")
                elif isinstance(entry, dict) and "$ref" not in entry and "type" not in entry:
                    self.problem(f"server {name}: security[{index}] has no type")
        for name, scheme in schemes.items():
            if not isinstance(scheme, dict) or "type" not in scheme:
                self.problem(f"security scheme {name}: type is required")

        channels = root.get("channels") or {}
        if not channels:
            self.problem("no channels")
        for channel_name, channel in channels.items():
            try:
                channel, channel_base, _ = self.docs.follow(channel, self.docs.root_path)
            except RefError as error:
                self.problem(f"channel {channel_name}: {error}")
                continue
            if not isinstance(channel, dict):
                self.problem(f"channel {channel_name} is not an object")
                continue
            if "address" in channel and channel["address"] is not None and not isinstance(channel["address"], str):
                self.problem(f"channel {channel_name}: address must be a string or null")
            protocols = set()
            listed = channel.get("servers")
            if listed is None:
                protocols = {str((s or {}).get("protocol", "")).lower() for s in servers.values()}
            for index, entry in enumerate(listed or []):
                target = self.local_target((entry or {}).get("$ref"), "#/servers/")
                if target not in servers:
                    self.problem(f"channel {channel_name}: servers[{index}] must be a $ref to #/servers/<name>")
                else:
                    protocols.add(str(servers[target].get("protocol", "")).lower())
            for key, message in (channel.get("messages") or {}).items():
                try:
                    message, message_base, canonical = self.docs.follow(message, channel_base)
                except RefError as error:
                    self.problem(f"channel {channel_name}: message {key}: {error}")
                    continue
                if not isinstance(message, dict) or not ({"payload", "headers"} & message.keys()):
                    self.problem(f"channel {channel_name}: message {key} is not a Message Object (no payload/headers)")
                    continue
                canonical = canonical or (channel_base, f"/channels/{channel_name}/messages/{key}")
                info = self.messages.setdefault(canonical, {
                    "name": key, "message": message, "base": message_base,
                    "channels": set(), "protocols": set(), "directions": set()})
                info["channels"].add(channel_name)
                info["protocols"] |= protocols
                if "kafka" in (channel.get("bindings") or {}):
                    info["protocols"].add("kafka")

        operations = root.get("operations") or {}
        for op_name, operation in operations.items():
            try:
                operation, _, _ = self.docs.follow(operation, self.docs.root_path)
            except RefError as error:
                self.problem(f"operation {op_name}: {error}")
                continue
            action = operation.get("action")
            if action not in ("send", "receive"):
                self.problem(f"operation {op_name}: action must be send or receive, is {action!r}")
                continue
            channel_name = self.local_target((operation.get("channel") or {}).get("$ref"), "#/channels/")
            if channel_name not in channels:
                self.problem(f"operation {op_name}: channel must be a $ref to an existing #/channels/<name>")
                continue
            client_side = "client" if action == "receive" else "server"
            self.operation_messages(op_name, channel_name, operation.get("messages"), client_side, channels)
            reply = operation.get("reply")
            if reply is not None:
                reply, _, _ = self.docs.follow(reply, self.docs.root_path)
                reply_channel = channel_name
                if reply.get("channel") is not None:
                    reply_channel = self.local_target((reply.get("channel") or {}).get("$ref"), "#/channels/")
                    if reply_channel not in channels:
                        self.problem(f"operation {op_name}: reply channel must be a $ref to an existing channel")
                        continue
                other = "server" if client_side == "client" else "client"
                self.operation_messages(f"{op_name} (reply)", reply_channel, reply.get("messages"), other, channels)

        for info in self.messages.values():
            if not info["directions"]:
                self.problem(f"message {info['name']} (channel {', '.join(sorted(info['channels']))}) "
                             "is used by no operation")
            if len(info["directions"]) > 1 and info["protocols"] & WS_PROTOCOLS:
                self.problem(f"message {info['name']} is documented as sent by both client and server")
        self.check_close_codes(channels)
        return True

    def operation_messages(self, op_name, channel_name, refs, side, channels):
        channel, channel_base, _ = self.docs.follow(channels[channel_name], self.docs.root_path)
        channel_messages = channel.get("messages") or {}
        if refs is None:  # all messages of the channel
            refs = [{"$ref": f"#/channels/{channel_name}/messages/{key}"} for key in channel_messages]
        if not refs:
            self.problem(f"operation {op_name}: no messages")
        for index, entry in enumerate(refs):
            key = self.local_target((entry or {}).get("$ref"), f"#/channels/{channel_name}/messages/")
            if key not in channel_messages:
                self.problem(f"operation {op_name}: messages[{index}] must be a $ref to a message of "
                             f"#/channels/{channel_name}, is {(entry or {}).get('$ref')!r}")
                continue
            try:
                _, _, canonical = self.docs.follow(channel_messages[key], channel_base)
            except RefError:
                continue  # reported with the channel
            canonical = canonical or (channel_base, f"/channels/{channel_name}/messages/{key}")
            if canonical in self.messages:
                self.messages[canonical]["directions"].add(side)

    def check_close_codes(self, channels):
        for name, channel in channels.items():
            codes = (channel or {}).get("x-close-codes") or {}
            for code in codes:
                number = int(code) if str(code).isdigit() else -1
                if not (1000 <= number <= 1014 and number not in (1004, 1005, 1006) or 3000 <= number <= 4999):
                    self.problem(f"channel {name}: x-close-codes: {code} is not a close code a server may send")

    # ---- schemas and examples --------------------------------------------------------------

    def compile(self, label, schema, base):
        if isinstance(schema, dict) and "schema" in schema and "schemaFormat" in schema:
            if not JSON_SCHEMA_FORMATS.match(str(schema["schemaFormat"])):
                return None  # Avro, RAML...: not validated here
            schema = schema["schema"]
        try:
            inlined = self.docs.inline(schema, base)
        except RefError as error:
            self.problem(f"{label}: {error}")
            return None
        try:
            jsonschema.Draft202012Validator.check_schema(inlined)
        except jsonschema.SchemaError as error:
            self.problem(f"{label}: not a valid schema: {error.message}")
            return None
        return jsonschema.Draft202012Validator(inlined)

    def compile_messages(self):
        for info in self.messages.values():
            message = info["message"]
            label = f"message {info['name']}"
            info["payload"] = self.compile(f"{label} payload", message["payload"], info["base"]) \
                if "payload" in message else None
            info["headers"] = self.compile(f"{label} headers", message["headers"], info["base"]) \
                if "headers" in message else None
            key = ((message.get("bindings") or {}).get("kafka") or {}).get("key")
            info["key"] = self.compile(f"{label} kafka key", key, info["base"]) if key is not None else None

    def by_direction(self, side):
        return [info for info in self.messages.values()
                if side in info["directions"] and info["protocols"] & WS_PROTOCOLS and info["payload"]]

    def check_examples(self):
        for info in self.messages.values():
            label = f"message {info['name']}"
            examples = info["message"].get("examples")
            if not isinstance(examples, list) or not examples:
                self.problem(f"{label}: no examples")
                continue
            for index, example in enumerate(examples):
                where = f"{label} example {example.get('name', index) if isinstance(example, dict) else index}"
                if not isinstance(example, dict) or not ({"payload", "headers"} & example.keys()):
                    self.problem(f"{where}: needs payload or headers")
                    continue
                self.examples_checked += 1
                for part in ("payload", "headers"):
                    if part not in example:
                        continue
                    validator = info.get(part)
                    if validator is None:
                        if part not in info["message"]:
                            self.problem(f"{where}: has {part} but the message documents none")
                        continue
                    for error in validator.iter_errors(example[part]):
                        self.problem(f"{where}: {part} {error_text(error)}")
                if "payload" in example:
                    self.check_example_consistency(info, where, example)

    def check_example_consistency(self, info, where, example):
        payload = example["payload"]
        if info["protocols"] & WS_PROTOCOLS and info["payload"]:
            for side in info["directions"]:
                for other in self.by_direction(side):
                    if other is not info and other["payload"].is_valid(payload):
                        self.problem(f"{where}: ambiguous, also matches message {other['name']}")
        headers = example.get("headers")
        if "kafka" in info["protocols"] and isinstance(payload, dict):
            if info["key"] is not None and not info["key"].is_valid(payload.get("orderId")):
                self.problem(f"{where}: orderId does not fit the documented Kafka key")
            if isinstance(headers, dict):
                for header, field in (("ce_subject", "orderId"), ("ce_time", "at")):
                    if header in headers and headers[header] != payload.get(field):
                        self.problem(f"{where}: header {header} differs from payload {field}")
                name = info["message"].get("name")
                if name and "ce_type" in headers and headers["ce_type"] != name:
                    self.problem(f"{where}: ce_type {headers['ce_type']} differs from message name {name}")

    # ---- observed messages -----------------------------------------------------------------

    @staticmethod
    def declared_types(schema):
        types = set()
        if isinstance(schema, dict):
            const = ((schema.get("properties") or {}).get("type") or {}).get("const")
            if isinstance(const, str):
                types.add(const)
            for keyword in ("oneOf", "anyOf", "allOf"):
                for branch in schema.get(keyword) or []:
                    types |= Checker.declared_types(branch)
        return types

    def check_line(self, number, line):
        try:
            record = json.loads(line)
        except ValueError as error:
            return f"line {number}: not JSON: {error}"
        if not isinstance(record, dict) or record.get("direction") not in ("send", "receive") or "message" not in record:
            return f"line {number}: expected {{\"direction\": \"send\"|\"receive\", \"message\": ...}}"
        side = "client" if record["direction"] == "send" else "server"
        message = record["message"]
        candidates = self.by_direction(side)
        if any(info["payload"].is_valid(message) for info in candidates):
            return None
        head = f"line {number} ({record['direction']}) {short(message)}"
        if isinstance(message, dict) and isinstance(message.get("type"), str):
            known = set()
            typed = []
            for info in candidates:
                declared = self.declared_types(info["payload"].schema)
                known |= declared
                if message["type"] in declared:
                    typed.append(info)
            if not typed:
                return f"{head}: unknown type {message['type']!r} for a {side} message (documented: {', '.join(sorted(known))})"
            candidates = typed
        if not candidates:
            return f"{head}: no {side} messages are documented"
        def closeness(info):
            # Fewest missing top-level required fields first, then fewest errors.
            schema = info["payload"].schema
            required = schema.get("required", []) if isinstance(schema, dict) else []
            missing = [name for name in required if not (isinstance(message, dict) and name in message)]
            return len(missing), len(list(info["payload"].iter_errors(message)))

        closest = min(candidates, key=closeness)
        errors = sorted(closest["payload"].iter_errors(message), key=lambda error: list(map(str, error.absolute_path)))
        details = "; ".join(error_text(error) for error in errors[:3])
        if len(errors) > 3:
            details += f"; and {len(errors) - 3} more"
        return f"{head}: matches no documented {side} message; closest is {closest['name']}: {details}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", help="path to schemas/asyncapi.yaml")
    parser.add_argument("--no-stdin", action="store_true", help="do not read JSON lines from stdin")
    args = parser.parse_args()

    checker = Checker(args.spec)
    try:
        checker.docs.root
    except (OSError, ValueError, yaml.YAMLError) as error:
        print(f"cannot load {args.spec}: {error}")
        return 1
    ref_count, file_count = checker.check_refs()
    if checker.check_document():
        checker.compile_messages()
        checker.check_examples()

    lines = failed = 0
    if not args.no_stdin and not sys.stdin.isatty():
        for number, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            lines += 1
            failure = checker.check_line(number, line)
            if failure:
                failed += 1
                checker.problem(failure)

    for problem in checker.problems:
        print(problem)
    clients = sorted(info["name"] for info in checker.by_direction("client"))
    servers = sorted(info["name"] for info in checker.by_direction("server"))
    print(f"{args.spec}: {ref_count} $refs in {file_count} files, {len(checker.messages)} messages "
          f"(client: {', '.join(clients)}; server: {', '.join(servers)}), "
          f"{checker.examples_checked} examples; {lines} lines read, {failed} failed; "
          f"{len(checker.problems)} problems")
    return 1 if checker.problems else 0


if __name__ == "__main__":
    sys.exit(main())
