"""tracking/monitoring/logs.py: the request id, the one line per request (endpoint, never the
path), the JSON and plain formats, exception text without messages, the quiet loggers and the
redaction kept as a second line of defence."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from tracking.config import ConfigError, load_config
from tracking.monitoring import logs


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.addFilter(logs.Context())

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def records(app):
    handler = Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.records
    root.removeHandler(handler)


def request_lines(records) -> list[logging.LogRecord]:
    return [r for r in records if r.name == "todoku.request"]


def test_a_request_id_is_kept_when_well_formed_and_made_otherwise(client, records):
    given = "3f2b9c1e-8a4d-4e1f-9b7a-2c6d5e4f3a21"
    r = client.get("/healthz", headers={"X-Request-ID": given})
    assert r.headers["X-Request-ID"] == given
    for odd in ("hanako@example.com", "short", "x" * 65, "a b c d e f g h"):
        r = client.get("/healthz", headers={"X-Request-ID": odd})
        assert r.headers["X-Request-ID"] != odd and len(r.headers["X-Request-ID"]) == 32
    first, *others = request_lines(records)
    assert first.request_id == given
    assert len({line.request_id for line in others}) == 4


def test_the_request_line_names_the_endpoint_never_the_path(client, records, token_for, session):
    from tests.factories import make_order

    token = token_for(make_order(session))
    client.get(f"/sakura-tea/o/{token}?lang=en&email=hanako@example.com")
    client.get("/hanako@example.com/o/abc?x=1")  # no such shop: a 404 on the same rule
    client.get("/no/such/page/hanako@example.com/at/all")  # no rule at all
    page, unknown, nothing = request_lines(records)
    assert (page.method, page.endpoint, page.status, page.brand) == (
        "GET",
        "portal.order_page",
        200,
        "sakura-tea",
    )
    assert page.getMessage().startswith("GET portal.order_page 200 ")
    assert page.duration_ms >= 0
    # The first part of a URL is what the client typed: only a configured shop is named.
    assert unknown.endpoint == "portal.order_page" and getattr(unknown, "brand", None) is None
    assert nothing.endpoint is None and nothing.status == 404
    for kind in ("plain", "json"):
        formatter = logs.formatter(kind, redacted=False)
        text = "\n".join(formatter.format(r) for r in records)
        assert token not in text and "hanako" not in text and "lang=" not in text


def test_json_lines_carry_the_context_fields_and_the_exception(client, records):
    client.get("/healthz")
    line = json.loads(logs.formatter("json").format(request_lines(records)[0]))
    assert line["logger"] == "todoku.request" and line["level"] == "INFO"
    assert line["time"].endswith("+00:00") and line["status"] in (200, 503)
    assert {"request_id", "endpoint", "duration_ms", "method"} <= set(line)
    record = logging.LogRecord("todoku.worker", logging.INFO, __file__, 1, "round", (), None)
    record.__dict__.update(logs.fields(checked=3, failed=1))
    assert json.loads(logs.formatter("json").format(record))["checked"] == 3


def _failing_record(message: str) -> logging.LogRecord:
    try:
        try:
            raise KeyError(message)
        except KeyError as exc:
            raise ValueError(f"while storing {message}") from exc
    except ValueError:
        exc_info = sys.exc_info()
    return logging.LogRecord("app", logging.ERROR, __file__, 1, "failed", (), exc_info)


def test_production_keeps_the_traceback_but_not_the_exception_messages():
    record = _failing_record("hanako@example.com")
    for kind in ("plain", "json"):
        text = logs.formatter(kind, redacted=False, messages=False).format(record)
        assert "hanako" not in text
        assert "builtins.KeyError (message not logged)" in text
        assert "builtins.ValueError (message not logged)" in text
        assert "_failing_record" in text  # where it happened
    # Development shows them (its data is the demo's); redaction still blanks the address.
    assert "hanako@example.com" in logs.formatter("plain", redacted=False).format(record)
    assert "hanako" not in logs.formatter("plain").format(record)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail to Hanako.Y+tea@Example.co.jp failed", "mail to [email] failed"),
        ("call 03-1234-5678 or 090 1234 5678", "call [phone] or [phone]"),
        ("+81 90-1234-5678, (503) 555-0100, +15035550100", "[phone], [phone], [phone]"),
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer [redacted]"),
        ("key tdk_1a2b3c4d_Zx9-Qw8_er7Ty6Ui5Op4As3Df2Gh1Jk", "key [api-key]"),
        (
            "/sakura-tea/o/WyJzYWt1cmEtdGVhIiwiYWJjIl0.5Tq2m7oYxqv3wUmP2cBdL0hZ9aY",
            "/sakura-tea/o/[token]",
        ),
        # Kept: dates, times, postcodes, machine addresses, counts, module paths.
        (
            "2026-12-05 21:03:36 150-0001 127.0.0.1:5432",
            "2026-12-05 21:03:36 150-0001 127.0.0.1:5432",
        ),
        (
            "sync: 12 checked in 13.5 ms (tracking.sync.rounds)",
            "sync: 12 checked in 13.5 ms (tracking.sync.rounds)",
        ),
    ],
)
def test_redaction_blanks_what_looks_personal_or_secret(text, expected):
    assert logs.redact(text) == expected


def test_configure_quiets_sql_and_werkzeug_request_lines(app_config, records):
    from app import create_app

    create_app({**app_config, "LOG_LEVEL": "DEBUG"})
    assert logging.getLogger("sqlalchemy").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger().level == logging.DEBUG
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.info('127.0.0.1 - - [05/Dec/2026 21:00:00] "GET /sakura-tea/o/tok HTTP/1.1" 200 -')
    werkzeug.info("Running on http://127.0.0.1:5000")
    assert [r.getMessage() for r in records if r.name == "werkzeug"] == [
        "Running on http://127.0.0.1:5000"
    ]
    # Rebuilding an app replaces Todoku's handler instead of adding a second one.
    ours = [h for h in logging.getLogger().handlers if getattr(h, "todoku", False)]
    assert len(ours) == 1


def test_the_format_follows_the_environment(tmp_path):
    assert logs.log_format({"TODOKU_ENV": "production"}) == "json"
    assert logs.log_format({"TODOKU_ENV": "development"}) == "plain"
    assert logs.log_format({"TODOKU_ENV": "production", "LOG_FORMAT": "plain"}) == "plain"
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_config(str(tmp_path), {"LOG_FORMAT": "xml"})


def test_gunicorns_error_log_goes_through_the_handler_without_paths(app, records):
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    gunicorn = Logger(Config())  # its own handler on gunicorn.error, not propagating
    logs.install("json", "INFO", production=True)  # what the master's on_starting does
    token = "WyJzYWt1cmEtdGVhIiwiYWJjIl0.5Tq2m7oYxqv3wUmP2cBdL0hZ9aY"
    reason = "connection reset by peer"
    try:
        raise OSError(reason)
    except OSError:
        gunicorn.exception("Error handling request %s %s", "GET", f"/sakura-tea/o/{token}?a=1")
        gunicorn.exception("Error handling request %s", f"/sakura-tea/o/{token}")
    gunicorn.warning(
        f"Invalid request from ip=192.0.2.1: Invalid HTTP request line: 'GET /{token}'"
    )
    gunicorn.info("Booting worker with pid: %s", 1234)
    lines = [r for r in records if r.name == "gunicorn.error"]
    assert [r.getMessage() for r in lines] == [
        "Error handling request GET (path not logged)",
        "Error handling request (path not logged)",
        "Invalid request from ip=192.0.2.1: (request line not logged)",
        "Booting worker with pid: 1234",
    ]
    assert logging.getLogger("gunicorn.error").handlers == []  # gunicorn's own removed
    text = "\n".join(
        logs.formatter("json", redacted=False, messages=False).format(r) for r in lines
    )
    assert token not in text and reason not in text
