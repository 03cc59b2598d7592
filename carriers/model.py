"""Plain value objects returned by every adapter's pure ``parse``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .status import Status


@dataclass(frozen=True, slots=True)
class DeliveryWindow:
    """An estimated delivery window; ``start``/``end`` are dates or aware datetimes."""

    start: date | datetime
    end: date | datetime

    def __post_init__(self):
        if _as_date(self.end) < _as_date(self.start):
            raise ValueError("delivery window ends before it starts")


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    occurred_at: datetime
    status: Status
    description: str
    location: str = ""
    raw_code: str = ""
    sub_status: str = ""
    #: The carrier gave a local time without an offset and the zone it was read in is a
    #: guess (the shipment's destination, origin or the carrier's home), not the zone of the
    #: event's own location: right to within a few hours, good enough for the journey.
    approximate_time: bool = False
    #: The carrier gave a day without a time of day (Japanese pages that show only 月日): the
    #: time is midnight at the carrier, not a real clock time, and is never shown.
    date_only: bool = False

    def __post_init__(self):
        if self.occurred_at.tzinfo is None:
            raise ValueError("TrackingEvent.occurred_at must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Pickup:
    """A parcel waiting to be collected. Any field may be empty: an adapter fills what its
    answer says, ``carriers.pickup.pickup_of`` the rest."""

    kind: str = ""
    #: The place as the carrier names it ("ファミリーマート 渋谷公園通り店", "銀座センター").
    place: str = ""
    #: When it arrived at the pickup point (the holding period counts from here).
    since: datetime | None = None
    #: The last day to collect it, as the carrier states it (its own date, at the place).
    until: date | None = None


@dataclass(frozen=True, slots=True)
class TrackingResult:
    carrier: str
    tracking_number: str
    status: Status
    events: list[TrackingEvent] = field(default_factory=list)  # newest first
    estimated_delivery: DeliveryWindow | None = None
    delivered_at: datetime | None = None
    raw_status: str = ""
    sub_status: str = ""
    #: Where and until when it waits, as far as the answer says (``carriers.pickup``).
    pickup: Pickup | None = None


@dataclass(frozen=True, slots=True)
class DeliveryChange:
    """Where a customer changes the day, time or place of a parcel before its first delivery
    attempt: the carrier's own page (no carrier lets a third party make the change).

    ``changes`` says what the carrier lets its members change there before the first attempt:
    ``day``, ``time``, ``place`` (its office, a convenience store, a locker), ``okihai`` (置き配:
    left at the door or in a delivery box)."""

    url: str
    #: The link carries the tracking number (else the customer types it in).
    number_filled: bool
    #: The carrier's member service the change needs, per locale ("ja", "en").
    membership: dict[str, str]
    changes: tuple[str, ...]

    def membership_name(self, locale: str) -> str:
        return self.membership.get(locale) or self.membership.get("en", "")
