"""A shop's webhook receiver on 127.0.0.1 (a thread): it records every request (headers and
raw body) and answers with the statuses it is told, in order (the last one repeats)."""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tracking.outbound.config import WebhookEndpoint

#: 32 bytes, shown the way Standard Webhooks shows a secret.
SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
VARIABLE = "SAKURA_HOOK_SECRET"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=lambda: [200])
    extra_headers: dict[str, str] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append(Received(self.path, headers, body))
                index = min(len(receiver.requests), len(receiver.statuses)) - 1
                self.send_response(receiver.statuses[index])
                for name, value in receiver.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/hooks/todoku") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


def with_webhooks(app, slug: str = "sakura-tea", *endpoints: dict):
    """Give the served brand ``slug`` these ``[[webhooks]]`` (as the brand file would) and the
    test secret in the webhook environment. Returns the brand."""
    registry = app.extensions["todoku_brands"]
    hooks = [WebhookEndpoint(**({"secret_env": VARIABLE} | e)) for e in endpoints]
    brand = registry[slug].model_copy(update={"webhooks": hooks})
    registry[slug] = brand
    env = dict(app.config.get("WEBHOOK_ENVIRON") or {})
    app.config["WEBHOOK_ENVIRON"] = env | {VARIABLE: SECRET}
    return brand
