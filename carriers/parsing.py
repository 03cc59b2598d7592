"""What every adapter's pure ``parse`` shares, JSON API or Japanese page: one builder for the
``TrackingResult``, one logger for unmapped statuses (with one seen-set), one shape guard."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from .errors import ParseFailed
from .model import DeliveryWindow, TrackingEvent, TrackingResult
from .status import Status

log = logging.getLogger("todoku.carriers")
_unknown_seen: set[tuple[str, str]] = set()


def unknown(carrier: str, raw_code: str, raw_text: str = "") -> Status:
    """An unmapped raw status: never guessed, logged once per (carrier, code) with its text.
    The Japanese scrapers log the page's status text as the code (it is their only code)."""
    key = (carrier, raw_code)
    if key not in _unknown_seen:
        _unknown_seen.add(key)
        if raw_text:
            log.warning("%s: unmapped status %r (%s)", carrier, raw_code, raw_text)
        else:
            log.warning("%s: unmapped status %r", carrier, raw_code)
    return Status.UNKNOWN


def newest_first(
    events: Iterable[TrackingEvent], *, listed_oldest_first: bool = False
) -> list[TrackingEvent]:
    """Events newest first. Equal timestamps keep the order they were listed in, or, for
    sources that list oldest first (the Japanese pages), its reverse: the row listed last
    stays on top."""
    listed = list(events)
    if listed_oldest_first:
        listed.reverse()
    return sorted(listed, key=lambda e: e.occurred_at, reverse=True)  # stable


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
    events = newest_first(events)
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
