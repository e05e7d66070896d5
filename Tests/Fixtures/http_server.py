#!/usr/bin/env python3
"""A scriptable HTTP server standing in for the connector's HTTP providers in tests.

Usage: http_server.py --log FILE [--script ACTIONS] [--control FILE] [--cert C --key K]

Listens on 127.0.0.1, port 0 (HTTPS with --cert/--key), and prints "ready PORT". Each request is
appended to FILE as one JSON line {"method","path","headers","body","connection"} before it is
answered; "connection" is the client's port, the same for requests on one kept-alive connection.
ACTIONS is a comma-separated list consumed one per request, the last one repeating: a status (`200`,
`202`, `400`, `503`), `429:N` (429 with Retry-After: N), `429date:N` (the same as an HTTP-date N s ahead), `hang` (never answer), `sleep:S` (answer 200
after S seconds), `chunked` (200 with a chunked body, chunk extensions and a trailer), `close` (close
the connection without answering), `garbage` (a line that is not HTTP, then close), `partial`
(headers and part of the body, then hang), `oversize` (a 2 MiB body), or `manyheaders` (1000 header
fields). Successful answers carry a JSON body with a `sid` and an `X-Message-Id` header, like Twilio
and SendGrid.
With --control, a non-empty first line of that file (re-read on every request) overrides the script,
so a test can switch the provider between healthy, failing and hanging while it runs.
"""
import argparse
import email.utils
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--script", default="200")
    parser.add_argument("--control")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    actions = args.script.split(",")
    lock = threading.Lock()
    state = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            with lock:
                index = state["n"]
                state["n"] += 1
                with open(args.log, "a") as f:
                    f.write(json.dumps({
                        "method": self.command, "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                        "connection": self.client_address[1],
                    }) + "\n")
            action = actions[min(index, len(actions) - 1)]
            if args.control:
                try:
                    with open(args.control) as f:
                        override = f.readline().strip()
                except OSError:
                    override = ""
                if override:
                    action = override
            if action == "hang":
                time.sleep(120)
                return
            if action == "close":
                self.close_connection = True
                return
            if action == "garbage":
                self.wfile.write(b"SMTP? 220 hello there\r\n\r\n")
                self.close_connection = True
                return
            if action == "partial":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"sid\":")
                self.wfile.flush()
                time.sleep(120)
                return
            if action == "chunked":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 b"7;note=first\r\n{\"sid\":\r\n"
                                 b"D\r\n \"SMchunked1\"\r\n"
                                 b"1\r\n}\r\n"
                                 b"0\r\nX-Trailer: yes\r\n\r\n")
                return
            if action == "oversize":
                size = 2 * 1024 * 1024
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                try:
                    self.wfile.write(b"x" * size)
                except OSError:
                    pass
                self.close_connection = True
                return
            if action == "manyheaders":
                self.send_response(200)
                for i in range(1000):
                    self.send_header("X-Filler-%d" % i, "y")
                self.send_header("Content-Length", "0")
                try:
                    self.end_headers()
                except OSError:
                    pass
                self.close_connection = True
                return
            headers = {}
            if action.startswith("sleep:"):
                time.sleep(float(action.split(":", 1)[1]))
                action = "200"
            if action.startswith("429date:"):
                status = 429
                headers["Retry-After"] = email.utils.formatdate(time.time() + float(action.split(":", 1)[1]), usegmt=True)
            elif action.startswith("429:"):
                status = 429
                headers["Retry-After"] = action.split(":", 1)[1]
            else:
                status = int(action)
            if 200 <= status < 300:
                payload = json.dumps({"sid": "SMfixture%d" % (index + 1)}).encode()
                headers["X-Message-Id"] = "fixture-%d" % (index + 1)
            else:
                payload = json.dumps({"error": "scripted %d" % status}).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    class Server(ThreadingHTTPServer):
        # socketserver listens with a backlog of 5: a burst of concurrent connects overflowed it and
        # the dropped SYNs were retried a second later, which looked like the client queueing. Real
        # providers accept far more at once.
        request_queue_size = 128

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print("ready %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
