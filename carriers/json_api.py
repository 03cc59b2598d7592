"""Helpers for the JSON-API adapters: base URLs from the environment (credentials come in an
``Account``, see ``carriers.account``), JSON decoding that fails typed, ISO 8601 timestamps,
delivery windows, batching and place names.

What every parser shares, JSON or HTML (the result builder, unknown-status logging, the shape
guard), lives in ``carriers.parsing``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone, tzinfo

from .errors import ParseFailed
from .model import DeliveryWindow


def env_url(name: str, default: str) -> str:
    """A base URL, overridable per deployment (sandbox vs production; tests use a local server)."""
    return (os.environ.get(name) or default).rstrip("/")


def load_json(body: bytes, carrier: str) -> dict:
    """Bytes → a JSON object, or ParseFailed for empty, HTML, truncated or non-UTF-8 bodies."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseFailed(f"{carrier}: body is not JSON ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise ParseFailed(f"{carrier}: expected a JSON object, got {type(data).__name__}")
    return data


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


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def place(*parts: str | None) -> str:
    """ "Chicago, IL, US" from whichever parts the API filled in."""
    return ", ".join(p for p in parts if p)
