#!/usr/bin/python3
"""A scriptable HTTP payment gateway for tests, run as its own process.

    python3 tests/support/payment_gateway_stub.py [--port N]

Listens on 127.0.0.1 (port 0 = any free one) and prints `listening <port>` on stdout once ready.
It speaks the gateway contract the command service's HTTP adapter uses:

    POST /authorizations  Idempotency-Key: <orderId>   {orderId, amountCents, currency, customerId}
        -> 200 {"status":"authorized","paymentId"} | 200 {"status":"declined","reason"}
    POST /refunds         Idempotency-Key: <orderId>:refund   {orderId, paymentId, amountCents}
        -> 200 {"status":"refunded"}

Like a real gateway it is idempotent: once a key got an answer, every later request with that key gets
the same answer (the same paymentId) and moves no more money. Control endpoints script its behaviour:

    POST /_control/script {"mode": M, ...}   M, for every money request from now on:
        approve                        authorize (refunds: refund)
        decline   {"reason"}           decline authorizations
        fail      {"times": N, "status": 500}  answer `status` N times, then approve again
        hang      {"ms": 60000}        accept the request, answer nothing for ms, then close
        slow      {"ms": 1000}         wait ms, then approve
        garbage   {"times": N}         200 with a body that is not JSON, N times (default: always)
        status    {"status": 302, "body": "...", "times": N}  that status and body
        declineAboveCents {"cents": N} decline amounts above N, approve the rest
    GET  /_control/calls   {"requests": {key: n}, "charges": {key: n}, "refunds": {key: n}, "total": n}
        requests counts every request per Idempotency-Key (retries included); charges counts the
        authorizations that actually moved money per key (at most 1 for an idempotent gateway);
        refunds likewise.
    POST /_control/reset   forget calls, answers and script (mode approve)
"""
import argparse
import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {}


def reset():
    STATE.clear()
    STATE.update(script={"mode": "approve"}, requests={}, charges={}, refunds={}, answers={}, total=0)


reset()


def payment_id(key):
    return "pay_" + hashlib.sha256(key.encode()).hexdigest()[:20]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: tests read their own output
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        if self.path == "/_control/calls":
            with LOCK:
                view = {k: STATE[k] for k in ("requests", "charges", "refunds", "total")}
                return self.reply(200, json.dumps(view))
        self.reply(404, '{"error":"not found"}')

    def do_POST(self):
        raw = self.read_body()
        if self.path == "/_control/script":
            with LOCK:
                STATE["script"] = json.loads(raw or b"{}")
            return self.reply(200, '{"ok":true}')
        if self.path == "/_control/reset":
            with LOCK:
                reset()
            return self.reply(200, '{"ok":true}')
        if self.path not in ("/authorizations", "/refunds"):
            return self.reply(404, '{"error":"not found"}')
        key = self.headers.get("Idempotency-Key")
        if not key:
            return self.reply(400, '{"error":"Idempotency-Key is required"}')
        try:
            body = json.loads(raw)
        except ValueError:
            return self.reply(400, '{"error":"body is not JSON"}')
        with LOCK:
            STATE["total"] += 1
            STATE["requests"][key] = STATE["requests"].get(key, 0) + 1
            script = STATE["script"]
            mode = script.get("mode", "approve")
            # Modes that act a limited number of times count down, then behave like approve.
            if "times" in script:
                if script["times"] <= 0:
                    mode = "approve"
                else:
                    script["times"] -= 1
        if mode == "hang":
            time.sleep(script.get("ms", 60000) / 1000)
            self.close_connection = True
            return
        if mode == "slow":
            time.sleep(script.get("ms", 1000) / 1000)
        if mode == "fail":
            return self.reply(script.get("status", 500), '{"error":"scripted failure"}')
        if mode == "garbage":
            return self.reply(200, "<html>certainly not json{", "text/html")
        if mode == "status":
            return self.reply(script.get("status", 302), script.get("body", ""))
        self.answer_money(key, body, mode, script)

    def answer_money(self, key, body, mode, script):
        with LOCK:
            answer = STATE["answers"].get(key)
            if answer is None:
                if self.path == "/refunds":
                    answer = {"status": "refunded"}
                    STATE["refunds"][key] = STATE["refunds"].get(key, 0) + 1
                else:
                    amount = body.get("amountCents", 0)
                    declined = mode == "decline" or (
                        mode == "declineAboveCents" and amount > script.get("cents", 0))
                    if declined:
                        answer = {"status": "declined", "reason": script.get("reason", "insufficient_funds")}
                    else:
                        answer = {"status": "authorized", "paymentId": payment_id(key)}
                        STATE["charges"][key] = STATE["charges"].get(key, 0) + 1
                STATE["answers"][key] = answer
        self.reply(200, json.dumps(answer))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: a burst of retries (a circuit closing on many waiting orders)
    # would see connect timeouts from the stub itself rather than the scripted behaviour.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that gave up (its timeout, or a killed service) before the answer: expected in fault
        # tests, not worth a traceback. Anything else is still reported.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
