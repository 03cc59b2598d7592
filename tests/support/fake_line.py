"""A local stand-in for LINE's Messaging API: records every request (path, headers, JSON body)
and answers from a script of status codes (200 once the script is used up)."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLine:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[int] = []
        self.accepted_keys: set[str] = set()
        self.lock = threading.Lock()
        self.url = ""

    def pushes(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/v2/bot/message/push"]

    def replies(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/v2/bot/message/reply"]

    def answer(self, headers: dict) -> tuple[int, dict]:
        with self.lock:
            status = self.script.pop(0) if self.script else 200
            key = headers.get("X-Line-Retry-Key")
            if status == 200 and key:
                if key in self.accepted_keys:  # LINE: the retry key was accepted before
                    return 409, {"message": "The retry key is already accepted"}
                self.accepted_keys.add(key)
        bodies = {
            200: {"sentMessages": [{"id": "1", "quoteToken": "q"}]},
            400: {
                "message": "The request body has 1 error(s)",
                "details": [{"message": "May not be empty", "property": "messages[0].text"}],
            },
            429: {"message": "You have reached your monthly limit."},
        }
        return status, bodies.get(status, {"message": "error"})


@contextmanager
def fake_line():
    fake = FakeLine()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            headers = dict(self.headers.items())
            with fake.lock:
                fake.requests.append(
                    {"path": self.path, "headers": headers, "json": json.loads(raw or b"{}")}
                )
            status, body = fake.answer(headers)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
