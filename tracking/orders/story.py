"""One story per parcel: which headline, which estimate line and which notices a parcel shows,
from its status and the state of its estimate. The tracking page (``estimates.display`` and
``templates/portal/_status.html``) and the order mail (``mail.content``) both read this table,
so neither contradicts itself or the other: no 「配達中」 beside a date already past, no
"Problem with delivery" above "Arriving Thu 3 Dec – Sun 6 Dec".

It lives here, below both readers: the mail and the estimates sit side by side in the layers
(``pyproject.toml``) and import none of each other. Pure: no database, no clock, no wording
(the readers word each line in their own medium; ``tests/orders/test_story.py`` runs every
status × estimate source × estimate state through it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from carriers import Status

# The state of a parcel's estimate on a given shop-local day.
NONE = "none"  # no estimate at all
AHEAD = "ahead"  # the window starts after today
BEGUN = "begun"  # today falls inside the window
PAST = "past"  # the window has ended (or the estimates flagged the parcel late)
STATES = (NONE, AHEAD, BEGUN, PAST)

#: Where an estimate comes from (``Shipment.edd_source``; "" for none or older rows).
SOURCES = ("customer_slot", "carrier", "learned", "lane_table", "default", "")

# The estimate line a parcel shows.
DELIVERED = "delivered"  # "Delivered on Tue 24 Nov at 14:05"
WINDOW = "window"  # the dates (and slot): "Arriving Tue 24 Nov, 2–4 pm"
TODAY = "today"  # "Arriving today": out for delivery, whatever an earlier estimate said
LATE = "late"  # "Later than estimated": never a date already past
AWAITING = "awaiting"  # "We will show the delivery date as soon as the carrier has one."
NO_LINE = ""  # no date: it would contradict the status or its notice

# The notice under a status (the page words each; ``LATE_NOTICE`` goes with the ``LATE`` line).
NOTICES = {
    Status.PENDING: "pending",
    Status.ATTEMPT_FAILED: "attempt_failed",
    Status.AVAILABLE_FOR_PICKUP: "pickup",
    Status.DELAYED: "delayed",
    Status.EXCEPTION: "exception",
    Status.RETURNING_TO_SENDER: "returning",
    Status.RETURNED_TO_SENDER: "returning",
}
LATE_NOTICE = "late"

# The state of a held parcel's last day to collect it (``Shipment.pickup_until``), on a
# shop-local day, and the notice that says it beside the "pickup" one: the date while it holds,
# "today is the last day", or "the holding period has ended" (the carrier may still have it;
# never a date already past as if it still held). Only while the parcel waits: a collected,
# delivered or returning parcel shows no deadline.
NO_DEADLINE = "open"  # none known: the page points to the carrier's page
HOLDING = "holding"  # the last day is ahead
LAST_DAY = "last_day"  # today is the last day
ENDED = "ended"  # the last day has passed
PICKUP_STATES = (NO_DEADLINE, HOLDING, LAST_DAY, ENDED)
PICKUP_NOTICES = {HOLDING: "pickup_until", LAST_DAY: "pickup_last_day", ENDED: "pickup_ended"}

# Statuses beside which any date contradicts: the parcel waits for the customer (redelivery,
# pickup), has a problem the shop must sort out, is going back, or will not arrive.
NO_DATE = frozenset(
    {
        Status.ATTEMPT_FAILED,
        Status.AVAILABLE_FOR_PICKUP,
        Status.EXCEPTION,
        Status.RETURNING_TO_SENDER,
        Status.RETURNED_TO_SENDER,
        Status.CANCELLED,
        Status.EXPIRED,
    }
)
# Moving normally: the estimate is the news (its window, "late" once past, or "soon").
MOVING = frozenset({Status.PENDING, Status.INFO_RECEIVED, Status.IN_TRANSIT})


@dataclass(frozen=True)
class Story:
    headline: Status  # whose label heads the parcel (``i18n.status_label``)
    estimate: str  # one of the estimate lines above
    notices: tuple[str, ...]

    @property
    def note(self) -> bool:
        """Whether the estimate's source note ("Estimate from the carrier.") goes under it."""
        return self.estimate == WINDOW


def as_status(value: str | Status) -> Status:
    try:
        return Status(value)
    except ValueError:
        return Status.UNKNOWN


def estimate_state(start: date | None, end: date | None, late: bool, today: date) -> str:
    """The state of a window ``start``–``end`` on ``today``. ``late`` (the estimates' flag) makes
    it past even before the shop's day has turned for the page (the flag and the page's day are
    computed at different times; either saying "past" is enough)."""
    if start is None:
        return NONE
    if late or (end or start) < today:
        return PAST
    return BEGUN if start <= today else AHEAD


def pickup_state(until: date | None, today: date) -> str:
    """The state of a last day to collect ``until`` on ``today``."""
    if until is None:
        return NO_DEADLINE
    if until < today:
        return ENDED
    return LAST_DAY if until == today else HOLDING


def story(status: str | Status, source: str, state: str, pickup: str = NO_DEADLINE) -> Story:
    """The rule table: what a parcel in ``status`` with an estimate from ``source`` in
    ``state`` shows; ``pickup``: the state of its last day to collect it, if held."""
    status = as_status(status)
    notices = [NOTICES[status]] if status in NOTICES else []
    if status is Status.AVAILABLE_FOR_PICKUP and pickup in PICKUP_NOTICES:
        notices.append(PICKUP_NOTICES[pickup])
    if status is Status.DELIVERED:
        estimate = DELIVERED
    elif status is Status.OUT_FOR_DELIVERY:
        estimate = TODAY
    elif status in NO_DATE:
        estimate = NO_LINE
    elif status is Status.DELAYED:
        # Only the carrier's own new date can know of the delay; ours predate it. The delay
        # notice already says the parcel is late, so no second "late" line either.
        estimate = WINDOW if source == "carrier" and state in (AHEAD, BEGUN) else NO_LINE
    elif state == PAST:
        estimate = LATE
        notices.append(LATE_NOTICE)
    elif state in (AHEAD, BEGUN):
        estimate = WINDOW
    elif status in MOVING:
        estimate = AWAITING
    else:  # unknown: an unmapped carrier text promises nothing
        estimate = NO_LINE
    return Story(headline=status, estimate=estimate, notices=tuple(notices))


def of_shipment(shipment, today: date) -> Story:
    """The story of a ``Shipment`` row on the shop-local ``today``."""
    state = estimate_state(shipment.edd_start, shipment.edd_end, shipment.late, today)
    held = pickup_state(getattr(shipment, "pickup_until", None), today)
    return story(shipment.status, shipment.edd_source or "", state, held)
