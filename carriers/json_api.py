"""Helpers for the JSON-API adapters: credentials from the environment, JSON decoding that fails
typed, unknown-code logging, and assembling a ``TrackingResult`` from parsed events."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone, tzinfo

from .errors import AuthFailed, ParseFailed
from .model import DeliveryWindow, TrackingEvent, TrackingResult
from .status import Status

log = logging.getLogger("todoku.carriers")
_unknown_seen: set[tuple[str, str]] = set()


def env(name: str) -> str:
    """A required credential; missing → AuthFailed naming the variable (never a KeyError)."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise AuthFailed(f"{name} is not set")
    return value


def env_url(name: str, default: str) -> str:
    """A base URL, overridable per deployment (sandbox vs production; tests use a local server)."""
    return (os.environ.get(name) or default).rstrip("/")


def configured(*names: str) -> bool:
    return all(os.environ.get(n, "").strip() for n in names)


def load_json(body: bytes, carrier: str) -> dict:
    """Bytes → a JSON object, or ParseFailed for empty, HTML, truncated or non-UTF-8 bodies."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseFailed(f"{carrier}: body is not JSON ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise ParseFailed(f"{carrier}: expected a JSON object, got {type(data).__name__}")
    return data


def unknown(carrier: str, raw_code: str, raw_text: str = "") -> Status:
    """An unmapped raw status: never guessed, logged once per (carrier, code) with its text."""
    key = (carrier, raw_code)
    if key not in _unknown_seen:
        _unknown_seen.add(key)
        log.warning("%s: unmapped status %r (%s)", carrier, raw_code, raw_text)
    return Status.UNKNOWN


def iso(value: str, default: tzinfo | None = None) -> datetime:
    """ISO 8601 (``Z`` accepted) → aware datetime. A timestamp without an offset gets
    ``default`` when the caller knows which zone the API means, else it is a ValueError
    (→ ParseFailed): we never silently invent a zone."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        if default is None:
            raise ValueError(f"timestamp without offset: {value!r}")
        parsed = parsed.replace(tzinfo=default)
    return parsed


def utc_offset(value: str) -> timezone:
    """ "+09:00", "-05:00", "-5" → a fixed-offset timezone."""
    sign = -1 if value.strip().startswith("-") else 1
    hours, _, minutes = value.strip().lstrip("+-").partition(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))


def iso_date(value: str | None) -> date | datetime | None:
    """An EDD value: a plain date stays a date, a timestamp with offset stays aware."""
    if not value:
        return None
    if len(value) == 10:
        return date.fromisoformat(value)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.date()


def window(start, end=None) -> DeliveryWindow | None:
    if start is None and end is None:
        return None
    return DeliveryWindow(start or end, end or start)


def result(
    carrier: str,
    number: str,
    events: list[TrackingEvent],
    *,
    status: Status | None = None,
    raw_status: str = "",
    sub_status: str = "",
    edd: DeliveryWindow | None = None,
    delivered_at: datetime | None = None,
) -> TrackingResult:
    """Sort newest first; the overall status defaults to the newest event's."""
    events = sorted(events, key=lambda e: e.occurred_at, reverse=True)
    latest = events[0] if events else None
    if status is None or (status is Status.UNKNOWN and latest):
        status = latest.status if latest else Status.PENDING
    if status is Status.DELIVERED and delivered_at is None:
        delivered_at = next((e.occurred_at for e in events if e.status is Status.DELIVERED), None)
        if delivered_at is None and latest:
            delivered_at = latest.occurred_at
    return TrackingResult(
        carrier=carrier,
        tracking_number=number,
        status=status,
        events=events,
        estimated_delivery=None if status is Status.DELIVERED else edd,
        delivered_at=delivered_at if status is Status.DELIVERED else None,
        raw_status=raw_status or (latest.description if latest else ""),
        sub_status=sub_status or (latest.sub_status if latest else ""),
    )


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# The exceptions a parser may meet while walking a body whose shape is not what it expects.
SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


@contextmanager
def shape_guard(carrier: str) -> Iterator[None]:
    """Around a parser's walk over the body: shape surprises become ParseFailed; the typed
    errors the parser raises on purpose (NotFound, ParseFailed) pass through unchanged."""
    try:
        yield
    except SHAPE_ERRORS as exc:
        raise ParseFailed(f"{carrier}: unexpected body ({exc!r})") from exc


def place(*parts: str | None) -> str:
    """ "Chicago, IL, US" from whichever parts the API filled in."""
    return ", ".join(p for p in parts if p)
