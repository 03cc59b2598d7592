"""A fake carrier over real local HTTP, speaking DHL's tracking API, and a worker process loop.

Used by the scale test (tests/sync/test_scale.py) and ``bench/poller.py``. Each number gets three
scans derived from the number, so replays are recognisable; the server counts calls per number,
and can add latency per request.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def dhl_body(number: str) -> bytes:
    day = 17 + int(number[-1]) % 3
    events = [
        {
            "timestamp": f"2026-11-{day:02d}T{h:02d}:00:00+09:00",
            "location": {"address": {"addressLocality": "TOKYO", "countryCode": "JP"}},
            "description": text,
            "statusCode": code,
        }
        for h, text, code in (
            (18, "Shipment has departed from a DHL facility TOKYO - JAPAN", "transit"),
            (12, "Shipment picked up", "transit"),
            (9, "Shipment information received", "pre-transit"),
        )
    ]
    return json.dumps(
        {"shipments": [{"id": number, "service": "express", "events": events}]}
    ).encode()


class FakeCarrier:
    def __init__(self, latency: float = 0.0):
        self.latency = latency
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        carrier = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes; with Nagle's algorithm on, the body
            # waited for the client's delayed ACK: ~40 ms more per request than the latency
            # asked for (46 ms instead of 4 at latency 0). Real servers send at once.
            disable_nagle_algorithm = True

            def do_GET(self):  # noqa: N802 (http.server's name)
                query = parse_qs(urlparse(self.path).query)
                number = (query.get("trackingNumber") or [""])[0]
                if carrier.latency:
                    time.sleep(carrier.latency)
                with carrier.lock:
                    carrier.calls[number] += 1
                body = dhl_body(number)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def worker_main(config: dict, env: dict, out, ready=None) -> None:
    """One worker process: rounds until nothing is due; reports (checked, new events, errors).
    ``ready``: a barrier waited on once the app is built, so a bench can start its clock when
    every worker is up (importing and building the app takes seconds on a loaded box)."""
    import os

    os.environ.update(env)
    from app import create_app
    from tracking.db import get_engine
    from tracking.sync.rounds import run_round

    app = create_app(config)
    if ready is not None:
        ready.wait()
    try:
        _loop(app, run_round, get_engine, out)
    except BaseException as exc:  # report, so the parent never waits forever
        out.put((0, 0, {"crash": repr(exc)}))
        raise


def _loop(app, run_round, get_engine, out) -> None:
    checked = new = 0
    errors: Counter[str] = Counter()
    with app.app_context():
        from sqlmodel import Session

        idle = 0
        while idle < 2:
            with Session(get_engine(), expire_on_commit=False) as session:
                report = run_round(session, app.extensions["todoku_brands"])  # production claim
            checked += report.checked
            new += report.new_events
            errors.update(report.errors)
            idle = idle + 1 if report.checked == 0 and report.skipped == 0 else 0
    out.put((checked, new, dict(errors)))
