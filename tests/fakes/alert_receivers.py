"""Local receivers for the operator's alerts: a webhook (HTTP, JSON body) and a mailbox (SMTP).

Both listen on 127.0.0.1 in a thread of the test process. The webhook can fail its next requests
(HTTP 503) or hold every request until the test calls `release()`.
"""

from __future__ import annotations

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# How often a receiver's loop looks for `close`: `shutdown` waits for it (0.5 s by default).
POLL = 0.02


class Webhook:
    """Records each JSON body it answered 200 to; `attempts` counts every request."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.attempts = 0
        self.fail_next = 0
        self.arrived = threading.Event()  # a request has reached the receiver
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.arrived.set()
                receiver._open.wait()
                with receiver._lock:
                    receiver.attempts += 1
                    failing = receiver.fail_next > 0
                    receiver.fail_next -= 1 if failing else 0
                    if not failing:
                        receiver.bodies.append(body)
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/alerts"
        threading.Thread(target=self.server.serve_forever, args=(POLL,), daemon=True).start()

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def texts(self) -> list[str]:
        with self._lock:
            return [body["text"] for body in self.bodies]

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """A minimal SMTP server (RFC 5321's happy path, no TLS): keeps each message's data."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        mailbox = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                self.reply("220 mailbox.test ESMTP")
                while line := self.rfile.readline():
                    command = line.decode().strip().upper()
                    if command.startswith(("EHLO", "HELO")):
                        self.reply("250 mailbox.test")
                    elif command == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        data = []
                        while (row := self.rfile.readline()) not in (b".\r\n", b""):
                            data.append(row.decode())
                        mailbox.messages.append("".join(data))
                        self.reply("250 queued")
                    elif command == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # MAIL FROM, RCPT TO, RSET, NOOP
                        self.reply("250 ok")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(POLL,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
