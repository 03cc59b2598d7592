"""Log lines: JSON objects in production, plain readable lines in development, and never a
customer's personal data or a secret (docs/operations.md, "Logs").

``configure(app)`` puts one handler on the root logger (standard error, read at each write),
gives every request an id (a well-formed incoming ``X-Request-ID`` or a new one, sent back in
the response) and writes one line when a request ends: method, endpoint name, status and
duration — never the raw path or query string, which carry signed order, return and
unsubscribe links. Flask's own "Exception on <path>" line is replaced by one naming the
endpoint, werkzeug's development-server request lines are dropped, and SQLAlchemy's loggers
(SQL parameters and result rows) stay at WARNING whatever ``LOG_LEVEL`` says.

What keeps personal data out is what each call logs (ids, codes, counts: the audit, tested by
tests/monitoring/test_logs.py with redaction off). ``redact`` is a second line behind it: the
formatters blank email addresses, phone-like numbers, signed tokens, API keys and bearer
credentials in the message and exception text.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime

from flask import Flask, current_app, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only when it looks like one (a UUID, a hex or ULID id): never text a
# client chose freely, such as an email address.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{7,63}")
# What a record may carry besides its message, in this order (JSON keys, plain context).
CONTEXT = ("request_id", "brand", "method", "endpoint", "status", "duration_ms")

log = logging.getLogger("todoku.request")

_REDACTIONS = (
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+|=)[^\s,;\"'<>]+"), r"\1\2[redacted]"),
    (re.compile(r"\btdk_[A-Za-z0-9_-]{6,}"), "[api-key]"),
    # itsdangerous links (payload.signature) and JWTs (header.payload.signature).
    (re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?:\.[A-Za-z0-9_-]{16,})?"), "[token]"),
    (
        re.compile(r"[^\s@<>\"'(),;:\[\]{}]+@[^\s@<>\"'(),;:\[\]{}]+\.[^\s@<>\"'(),;:\[\]{}]+"),
        "[email]",
    ),
    # 03-1234-5678, 090 1234 5678, +81 90-1234-5678, (503) 555-0100, +15035550100, 0312345678;
    # not dates (2026-12-05), times, addresses of machines or postcodes (150-0001).
    (
        re.compile(
            r"(?<![\w.+:/-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?|\d{1,4}[\s.-])"
            r"\d{2,4}[\s.-]\d{3,4}(?![\w.-])"
            r"|(?<![\w.+-])(?:\+\d{9,14}|0\d{9,10})(?![\w.-])"
        ),
        "[phone]",
    ),
)


def redact(text: str) -> str:
    """Blank what looks like an email, a phone number, a signed token or a credential."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def fields(**values) -> dict:
    """``log.info(…, extra=fields(checked=3, failed=0))``: figures a JSON line carries as keys
    of their own (ids, counts and codes only)."""
    return {"fields": values}


def _utc(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def _known_brand(slug) -> str | None:
    # A URL's first part is whatever the client typed (an email, a token): only a configured
    # shop's slug is written down.
    brands = current_app.extensions.get("todoku_brands")
    if isinstance(slug, str) and brands is not None and slug in brands:
        return slug
    return None


def _endpoint() -> str | None:
    """The Flask endpoint name (or the URL rule, placeholders and all), never the path."""
    if request.endpoint:
        return request.endpoint
    rule = request.url_rule
    return rule.rule if rule is not None else None


class Context(logging.Filter):
    """Stamps a record made during a request with its request id, brand and endpoint."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            values = {
                "request_id": g.get("request_id"),
                "brand": _known_brand((request.view_args or {}).get("brand_slug")),
                "endpoint": _endpoint(),
            }
            for key, value in values.items():
                if value is not None and getattr(record, key, None) is None:
                    setattr(record, key, value)
        return True


def exception_shape(exc: BaseException) -> str:
    """A traceback with every frame and each exception's type (and ``code``), without the
    messages: an unexpected exception's message is data (a value a driver quotes back, a
    cell, a form field), so production logs where it happened, not what it said."""
    chain, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts = []
    for n, item in enumerate(reversed(chain)):
        if n:
            parts.append("\nwhile handling it, or because of it:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(item.__traceback__))
        kind = type(item)
        code = getattr(item, "code", None)
        code = f"; code {code}" if isinstance(code, str | int) and len(str(code)) <= 32 else ""
        parts.append(f"{kind.__module__}.{kind.__qualname__} (message not logged{code})\n")
    return "".join(parts).rstrip("\n")


class _Formatter(logging.Formatter):
    def __init__(self, redacted: bool = True, messages: bool = True):
        super().__init__()
        self.redacted, self.messages = redacted, messages

    def _clean(self, text: str) -> str:
        return redact(text) if self.redacted else text

    def _exception(self, record: logging.LogRecord) -> str:
        parts = []
        if record.exc_info and record.exc_info[1] is not None and not self.messages:
            parts.append(exception_shape(record.exc_info[1]))
        elif record.exc_info:
            parts.append(self.formatException(record.exc_info))
        elif record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(self.formatStack(record.stack_info))
        return "\n".join(parts)


class PlainFormatter(_Formatter):
    """``2026-12-05T21:03:36.123+00:00 INFO todoku.request [id brand]: message``"""

    def format(self, record: logging.LogRecord) -> str:
        tags = " ".join(
            str(v)
            for v in (getattr(record, "request_id", None), getattr(record, "brand", None))
            if v
        )
        line = f"{_utc(record)} {record.levelname} {record.name}"
        line += f" [{tags}]: " if tags else ": "
        line += record.getMessage()
        exception = self._exception(record)
        if exception:
            line += "\n" + exception
        return self._clean(line)


class JsonFormatter(_Formatter):
    """One JSON object per line: time (UTC ISO), level, logger, message, the request context
    where known, a record's ``fields`` and the exception text."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "message": self._clean(record.getMessage()),
        }
        for key in CONTEXT:
            value = getattr(record, key, None)
            if value is not None:
                out[key] = value
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            for key, value in extra.items():
                out.setdefault(key, self._clean(value) if isinstance(value, str) else value)
        exception = self._exception(record)
        if exception:
            out["exception"] = self._clean(exception)
        return json.dumps(out, ensure_ascii=False, default=str)


def formatter(kind: str, redacted: bool = True, messages: bool = True) -> logging.Formatter:
    """``kind`` "json" or "plain"; ``messages``: exception messages too (development)."""
    cls = JsonFormatter if kind == "json" else PlainFormatter
    return cls(redacted, messages)


class _Stderr(logging.StreamHandler):
    """Standard error as it is at each write (a test's capture, a reopened stream)."""

    todoku = True

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class _NoRequestLines(logging.Filter):
    """Drops werkzeug's development-server request lines ("GET /path?query"): the path carries
    signed links; ``todoku.request`` writes the request instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return " - - [" not in str(record.msg)


_WERKZEUG_FILTER = _NoRequestLines()
PATH_NOT_LOGGED = "(path not logged)"


class _GunicornLines(logging.Filter):
    """gunicorn's error log, which the root handler writes: its "Error handling request"
    line names the raw URI and its "Invalid request" line quotes the request line; both keep
    what they say without the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if message.startswith("Error handling request %s") and record.args:
            args = tuple(record.args)
            record.args = (*args[:-1], PATH_NOT_LOGGED)
        elif message.startswith("Invalid request from ip=") and ": " in message:
            record.msg, record.args = message.split(": ", 1)[0] + ": (request line not logged)", ()
        return True


_GUNICORN_FILTER = _GunicornLines()


def production(config) -> bool:
    """``config``: the app's config, or the environment (the same names)."""
    return config.get("TODOKU_ENV") == "production"


def log_format(config) -> str:
    return config.get("LOG_FORMAT") or ("json" if production(config) else "plain")


def install(kind: str, level: str | int, production: bool) -> None:
    """The root handler (``kind`` "json" or "plain"; exception messages only outside
    production), its level, and the loggers kept quiet or mended. ``configure`` calls it for
    every app; gunicorn's master calls it at start (``tracking.operations.gunicorn_conf``)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "todoku", False)]:
        root.removeHandler(old)
    handler = _Stderr()
    handler.addFilter(Context())
    handler.setFormatter(formatter(kind, messages=not production))
    root.addHandler(handler)
    root.setLevel(level)
    # SQL statements with their parameters and result rows: never, whatever LOG_LEVEL says.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin
    werkzeug = logging.getLogger("werkzeug")
    if _WERKZEUG_FILTER not in werkzeug.filters:
        werkzeug.addFilter(_WERKZEUG_FILTER)
    # gunicorn's error log through the same handler (JSON in production), without paths.
    gunicorn = logging.getLogger("gunicorn.error")
    for own in [h for h in gunicorn.handlers if getattr(h, "_gunicorn", False)]:
        gunicorn.removeHandler(own)
    gunicorn.propagate = True
    if _GUNICORN_FILTER not in gunicorn.filters:
        gunicorn.addFilter(_GUNICORN_FILTER)


def configure(app: Flask) -> None:
    """The root handler and level, the quiet loggers, and the request id and line hooks."""
    install(log_format(app.config), app.config["LOG_LEVEL"], production(app.config))
    app.before_request(_start)
    app.after_request(_finish)
    app.log_exception = lambda exc_info: _log_exception(app, exc_info)


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _finish(response):
    request_id = g.get("request_id")
    if request_id is None:  # a before_request ahead of ours answered
        _start()
        request_id = g.request_id
    response.headers[REQUEST_ID_HEADER] = request_id
    duration = round((time.perf_counter() - g.request_started) * 1000, 1)
    endpoint = _endpoint()
    log.info(
        "%s %s %s %.1fms",
        request.method,
        endpoint or "-",
        response.status_code,
        duration,
        extra={
            "method": request.method,
            "status": response.status_code,
            "duration_ms": duration,
            "endpoint": endpoint,
        },
    )
    return response


def _log_exception(app: Flask, exc_info) -> None:
    """Flask's ``log_exception`` without ``request.path`` (it holds the signed link)."""
    app.logger.error("Exception on %s [%s]", _endpoint() or "-", request.method, exc_info=exc_info)
