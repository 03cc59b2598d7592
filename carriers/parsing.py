"""What every adapter's pure ``parse`` shares, JSON API or Japanese page: one builder for the
``TrackingResult``, one logger for unmapped statuses (with one seen-set), one shape guard."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

from .errors import ParseFailed
from .model import DeliveryWindow, TrackingEvent, TrackingResult
from .status import Status
from .zones import country_zone  # noqa: F401 (the adapters import it from here)

log = logging.getLogger("todoku.carriers")
_unknown_seen: set[tuple[str, str]] = set()


def unknown(carrier: str, raw_code: str, raw_text: str = "") -> Status:
    """An unmapped raw status: never guessed, logged once per (carrier, code) with its text.
    The Japanese scrapers log the page's status text as the code (it is their only code)."""
    key = (carrier, raw_code)
    if key not in _unknown_seen:
        _unknown_seen.add(key)
        if raw_text:
            log.warning("%s: unmapped status %r (%s)", carrier, raw_code, loggable(raw_text))
        else:
            log.warning("%s: unmapped status %r", carrier, raw_code)
    return Status.UNKNOWN


_SIGNED = re.compile(r"(signed(?: for)? by|received by|受取人|サイン)\W*.*", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_DIGITS = re.compile(r"\+?\d[\d -]{6,}\d")


def loggable(text: str) -> str:
    """An event text fit for the log: the words that say what happened, without the people in
    it (who signed, e-mail addresses, phone numbers), cut to 120 characters."""
    text = _SIGNED.sub(r"\1 […]", text or "")
    text = _DIGITS.sub("[…]", _EMAIL.sub("[…]", text))
    return text[:120]


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


def result(carrier: str, number: str, events: list[TrackingEvent], **fields) -> TrackingResult:
    """Sort newest first; the overall status defaults to the newest event's. A value of the
    wrong type found only here (a number where the provider sends text) is ParseFailed too."""
    with shape_guard(carrier):
        return _result(carrier, number, events, **fields)


def _result(
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
    listed = _distinct(carrier, newest_first(events))
    events = [refined(e) for e in listed]
    latest = events[0] if events else None
    # An unmapped event (logged once by ``unknown``) stays in the journey, where its words
    # still tell the customer something, but never becomes the parcel's status.
    known = next((e for e in events if e.status is not Status.UNKNOWN), None)
    if status is not None:
        status, sub_status = refine(status, raw_status, sub_status)
        # The newest event's finer signal beats the same coarse code at shipment level, and a
        # shipment-level "in transit" when the newest scan is out for delivery or at a pickup
        # point (shipment summaries lag behind their own scans).
        finer = (Status.OUT_FOR_DELIVERY, Status.AVAILABLE_FOR_PICKUP)
        if latest and (
            (listed[0].status is status and latest.status is not status)
            or (status is Status.IN_TRANSIT and latest.status in finer)
        ):
            status, sub_status = latest.status, latest.sub_status
    if status is None or status is Status.UNKNOWN:
        if known is None:
            # Nothing in the answer says where the parcel is: the shape moved (fields nested
            # elsewhere, a new envelope), not a parcel whose status is "unknown". A failure to
            # capture, so the page keeps the last status it had and staff get the body.
            raise ParseFailed(
                f"{carrier}: no status and no readable event in the answer"
                f" ({len(events)} event(s), none mapped)"
            )
        status = known.status
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


# ---------------------------------------------------------------------------- robustness
# Real responses break parsers one event at a time: a scan without a timestamp, a field of the
# wrong type, a time without an offset. ``collect`` keeps the rest of the response.

_skipped_seen: set[tuple[str, str]] = set()


def collect(carrier: str, items, build) -> list[TrackingEvent]:
    """``build(item)`` for every raw event; an event that cannot be read (shape error,
    ParseFailed, or ``build`` returning None) is skipped and logged, never fatal. When there
    were events and not one could be read, that is a layout change: ParseFailed."""
    items = list(items or ())
    events: list[TrackingEvent] = []
    for index, item in enumerate(items):
        try:
            event = build(item)
        except (*SHAPE_ERRORS, ParseFailed) as exc:
            _log_skipped(carrier, index, exc)
            continue
        if event is None:
            _log_skipped(carrier, index, "no usable timestamp")
            continue
        events.append(event)
    if items and not events:
        # Not one readable event: the layout changed, not an odd scan. Fail loudly (captured).
        raise ParseFailed(f"{carrier}: none of {len(items)} event(s) could be read")
    return events


def _log_skipped(carrier: str, index: int, reason) -> None:
    reason = reason if isinstance(reason, str) else f"{type(reason).__name__}: {reason}"
    key = (carrier, reason[:80])
    level = logging.WARNING if key not in _skipped_seen else logging.DEBUG
    _skipped_seen.add(key)
    log.log(level, "%s: skipped event #%d (%s)", carrier, index, reason)


def _distinct(carrier: str, events: list[TrackingEvent]) -> list[TrackingEvent]:
    """The events without exact repeats (some providers list a scan twice, once per piece or
    per source): the first copy is kept, each repeat is skipped and logged."""
    seen: set[tuple] = set()
    out = []
    for index, event in enumerate(events):
        key = (event.occurred_at, event.status, event.raw_code, event.description, event.location)
        if key in seen:
            _log_skipped(carrier, index, "repeat of an earlier event")
            continue
        seen.add(key)
        out.append(event)
    return out


# Finer signals in the event text, for coarse or unmapped codes. Lower-case needles (English) or
# the carriers' Japanese words; most specific first.
_OUT_FOR_DELIVERY = (
    "out for delivery",
    "out with courier",
    "with delivery courier",
    "on vehicle for delivery",
    "loaded on delivery vehicle",
    "配達中",
    "持ち出し中",
)
_PICKUP = (
    "ready for pickup",
    "ready for pick up",
    "ready for pick-up",
    "available for pickup",
    "available for pick up",
    "awaiting collection",
    "ready for collection",
    "保管中",
    "ご来店予定",
)
_DELIVERED = ("delivered", "配達完了", "お届け済み", "お届け完了")
_NOT_DELIVERED = ("not delivered", "undeliverable", "could not", "attempt", "be delivered", "未")
_CUSTOMS = ("customs", "clearance", "通関", "税関")
# Words that make a customs scan a real problem (or a delay) rather than routine.
_CUSTOMS_PROBLEM = (
    "held",
    "hold",
    "refused",
    "rejected",
    "required",
    "payment",
    "missing",
    "documents",
    "seized",
    "confiscat",
    "delay",
    "保留",
    "遅延",
)


def text_hint(text: str) -> Status | None:
    """The status the words themselves say, when they say one clearly."""
    lowered = (text or "").lower()
    if any(n in lowered for n in _OUT_FOR_DELIVERY):
        return Status.OUT_FOR_DELIVERY
    if any(n in lowered for n in _PICKUP):
        return Status.AVAILABLE_FOR_PICKUP
    if any(n in lowered for n in _DELIVERED) and not any(n in lowered for n in _NOT_DELIVERED):
        return Status.DELIVERED
    return None


def refine(status: Status, text: str, sub_status: str = "") -> tuple[Status, str]:
    """Let the finer signal win over a coarse or missing code:

    - an unmapped code (UNKNOWN) takes what the text clearly says;
    - a derived "in transit" becomes out-for-delivery or ready-for-pickup when the text says so;
    - a customs scan mapped to "exception" is routine clearance (in transit, sub ``customs``)
      unless its words name a problem (held, refused, documents required …).
    """
    lowered = (text or "").lower()
    if status is Status.UNKNOWN:
        hint = text_hint(text)
        return (hint, sub_status) if hint else (status, sub_status)
    if status is Status.IN_TRANSIT:
        hint = text_hint(text)
        if hint in (Status.OUT_FOR_DELIVERY, Status.AVAILABLE_FOR_PICKUP):
            return hint, sub_status
    routine_customs = any(n in lowered for n in _CUSTOMS) and not any(
        n in lowered for n in _CUSTOMS_PROBLEM
    )
    if status is Status.EXCEPTION and routine_customs:
        return Status.IN_TRANSIT, "customs"
    if status is Status.IN_TRANSIT and routine_customs and not sub_status:
        return status, "customs"
    return status, sub_status


def refined(event: TrackingEvent) -> TrackingEvent:
    status, sub = refine(event.status, event.description, event.sub_status)
    if status is event.status and sub == event.sub_status:
        return event
    return replace(event, status=status, sub_status=sub)


def newest(candidates: list, latest_time):
    """Of several results for one (reused) number, the current one: the one whose
    ``latest_time(candidate)`` (its newest readable event time, or None) is the latest.
    Results without a readable time rank last; ties keep the first listed."""
    if not candidates:
        return None

    def key(candidate) -> datetime:
        try:
            return latest_time(candidate) or _EPOCH
        except (*SHAPE_ERRORS, ParseFailed):
            return _EPOCH

    best = candidates[0]
    for candidate in candidates[1:]:
        if key(candidate) > key(best):
            best = candidate
    return best


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
