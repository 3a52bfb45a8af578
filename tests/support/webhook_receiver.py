#!/usr/bin/python3
"""A webhook receiver for tests, run as its own process (standard library only).

    python3 tests/support/webhook_receiver.py --mode MODE [--port N] [--record FILE] [options]

Listens on 127.0.0.1 (port 0 = any free one) and prints `listening <port>` on stdout once ready.
Every request other than /_control/* and GET /received is a delivery: it is recorded (method,
path, headers with lower-case names, body) before it is answered, as one JSON line in FILE when
--record is given, and in memory for GET /received.

Modes (how deliveries are answered; POST /_control/mode {"mode": M, ...options} changes it live):
    healthy             200 {"ok":true}
    fail-then-recover   500 for the first --failures N deliveries (all ids together), then 200
    hang                read the request, answer nothing for --delay-ms (default 60000), then close
    redirect            302 with Location: /redirected on this receiver (never to be followed)
    close-mid-response  send the start of a 200 status line, then close the connection
    reset               read the request, then reset the connection (RST) without answering
    garbage             answer bytes that are not HTTP, then close
    slow                wait --delay-ms (default 1000), then 200
    trickle             send a 200 answer head one byte every --delay-ms (default 50): the head
                        is about 200 bytes, so it completes after about 200 x delay
    oversized-head      200 followed by about 1 MiB of headers
    big-body            200 with a Content-Length of 64 MiB, streamed over about 10 s or until the
                        client goes away
    status              answer --status (e.g. 404, 503, 301) with an empty body

    GET /received   {"requests": [...], "counts": {webhook-id: n}, "total": n}
    POST /_control/reset   forget what was received; the mode stays

--keep-alive keeps connections open after answers (no `Connection: close`), as most servers do;
--idle-close-ms N then closes a kept connection idle for N ms. Each record carries "clientPort"
(the sender's source port: one port for several requests means a reused connection) and, over
https, "tlsSessionReused".

--tls-cert/--tls-key serve https instead (the control endpoints then need https too; --record
serves tests that cannot speak TLS).
"""
import argparse
import json
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"requests": [], "counts": {}, "total": 0, "answered": 0}
SETTINGS = {}
RECORD = {"file": None}

TRICKLE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Padding: " + b"p" * 145 + b"\r\nConnection: close\r\n\r\n"


def record(entry):
    with LOCK:
        STATE["requests"].append(entry)
        webhook_id = entry["headers"].get("webhook-id", "")
        STATE["counts"][webhook_id] = STATE["counts"].get(webhook_id, 0) + 1
        STATE["total"] += 1
        if RECORD["file"]:
            RECORD["file"].write(json.dumps(entry) + "\n")
            RECORD["file"].flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: tests read their own output
        pass

    def reply(self, status, body=b"", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        if not SETTINGS.get("keep_alive"):
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = not SETTINGS.get("keep_alive")

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        if self.path == "/received":
            with LOCK:
                return self.reply(200, json.dumps(
                    {"requests": STATE["requests"], "counts": STATE["counts"], "total": STATE["total"]}))
        self.deliver(b"")

    def do_POST(self):
        body = self.read_body()
        if self.path == "/_control/mode":
            with LOCK:
                SETTINGS.update(json.loads(body or b"{}"))
                STATE["answered"] = 0
            return self.reply(200, '{"ok":true}')
        if self.path == "/_control/reset":
            with LOCK:
                STATE.update(requests=[], counts={}, total=0, answered=0)
            return self.reply(200, '{"ok":true}')
        self.deliver(body)

    def do_PUT(self):
        self.deliver(self.read_body())

    def deliver(self, body):
        record({
            "method": self.command,
            "path": self.path,
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": body.decode("utf-8", errors="replace"),
            "receivedAt": time.time(),
            "clientPort": self.client_address[1],
            "tlsSessionReused": bool(getattr(self.connection, "session_reused", False)),
        })
        with LOCK:
            mode = SETTINGS["mode"]
            delay = SETTINGS.get("delay_ms")
            STATE["answered"] += 1
            attempt = STATE["answered"]
        if mode == "healthy":
            return self.reply(200, '{"ok":true}')
        if mode == "fail-then-recover":
            if attempt <= SETTINGS.get("failures", 3):
                return self.reply(500, '{"error":"scripted failure"}')
            return self.reply(200, '{"ok":true}')
        if mode == "hang":
            time.sleep((delay if delay is not None else 60000) / 1000)
            self.close_connection = True
            return
        if mode == "redirect":
            return self.reply(302, "", [("Location", "/redirected")])
        if mode == "close-mid-response":
            self.wfile.write(b"HTTP/1.1 200 O")
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "reset":
            # Linger 0: close() sends RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if mode == "garbage":
            self.wfile.write(b"<html>certainly not an HTTP answer</html>\r\n\r\n")
            self.close_connection = True
            return
        if mode == "slow":
            time.sleep((delay if delay is not None else 1000) / 1000)
            return self.reply(200, '{"ok":true}')
        if mode == "trickle":
            pause = (delay if delay is not None else 50) / 1000
            for byte in TRICKLE_HEAD:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(pause)
            self.close_connection = True
            return
        if mode == "oversized-head":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            line = b"X-Padding: " + b"x" * 1000 + b"\r\n"
            for _ in range(1024):
                self.wfile.write(line)
            self.wfile.write(b"Content-Length: 0\r\n\r\n")
            self.close_connection = True
            return
        if mode == "big-body":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                             b"Content-Length: 67108864\r\nConnection: close\r\n\r\n")
            chunk = b"\0" * 65536
            for _ in range(1024):  # about 10 s: a client that waits for the whole body times out
                self.wfile.write(chunk)
                time.sleep(0.01)
            self.close_connection = True
            return
        if mode == "status":
            status = SETTINGS.get("status", 404)
            headers = [("Location", "/elsewhere")] if 300 <= status < 400 else []
            return self.reply(status, "", headers)
        self.reply(500, '{"error":"unknown mode"}')


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A sender that gave up (its deadline, its answer limit, a refused certificate) before the
        # answer was written: that is what many modes are for, not worth a traceback.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout)):
            return
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", default="healthy")
    parser.add_argument("--failures", type=int, default=3)
    parser.add_argument("--delay-ms", type=int)
    parser.add_argument("--status", type=int, default=404)
    parser.add_argument("--record")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--keep-alive", action="store_true")
    parser.add_argument("--idle-close-ms", type=int)
    args = parser.parse_args()
    SETTINGS["keep_alive"] = args.keep_alive
    if args.idle_close_ms is not None:
        Handler.timeout = args.idle_close_ms / 1000  # a kept connection idle this long is closed
    SETTINGS.update(mode=args.mode, failures=args.failures, status=args.status)
    if args.delay_ms is not None:
        SETTINGS["delay_ms"] = args.delay_ms
    if args.record:
        RECORD["file"] = open(args.record, "a", encoding="utf-8")
    server = Server(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        # The handshake runs in the request's thread, not in the accepting loop.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    print(f"listening {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
