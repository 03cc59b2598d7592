"""orders.story: the rule table every parcel's headline, estimate and notices come from, run for
every status × estimate source × estimate state."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from carriers import Status
from tracking.orders import story
from tracking.orders.models import Shipment

TODAY = date(2026, 12, 5)
CASES = [(st, src, state) for st in Status for src in story.SOURCES for state in story.STATES]

# What each status must say, whatever its estimate: the notice under it (or none).
NOTICE = {
    Status.PENDING: "pending",
    Status.ATTEMPT_FAILED: "attempt_failed",
    Status.AVAILABLE_FOR_PICKUP: "pickup",
    Status.DELAYED: "delayed",
    Status.EXCEPTION: "exception",
    Status.RETURNING_TO_SENDER: "returning",
    Status.RETURNED_TO_SENDER: "returning",
}


@pytest.mark.parametrize(("status", "source", "state"), CASES, ids=lambda v: str(v) or "none")
def test_one_story_per_parcel(status, source, state):
    told = story.story(status, source, state)
    assert told.headline is status
    # No date already past, ever: a past window is "late", with the notice that explains it.
    if state == story.PAST:
        assert told.estimate != story.WINDOW
    assert (told.estimate == story.LATE) == (story.LATE_NOTICE in told.notices)
    # A date only where it can hold: never beside a problem, a missed delivery, a pickup, a
    # parcel going back or one that will not come.
    if status in story.NO_DATE:
        assert told.estimate == story.NO_LINE
    # A delayed parcel shows a date only when the carrier gave a new one still ahead.
    if status is Status.DELAYED:
        wanted = story.WINDOW if source == "carrier" and state != story.PAST else story.NO_LINE
        assert told.estimate == (wanted if state != story.NONE else story.NO_LINE)
    if status is Status.OUT_FOR_DELIVERY:
        assert told.estimate == story.TODAY and not told.notices
    if status is Status.DELIVERED:
        assert told.estimate == story.DELIVERED and not told.notices
    if status in story.MOVING:
        wanted = {
            story.NONE: story.AWAITING,
            story.AHEAD: story.WINDOW,
            story.BEGUN: story.WINDOW,
            story.PAST: story.LATE,
        }[state]
        assert told.estimate == wanted
    # The status' own notice is always there; nothing else but "late".
    own = [NOTICE[status]] if status in NOTICE else []
    assert [n for n in told.notices if n != story.LATE_NOTICE] == own
    assert told.note == (told.estimate == story.WINDOW)


@pytest.mark.parametrize(
    ("start", "end", "late", "state"),
    [
        (None, None, False, story.NONE),
        (None, None, True, story.NONE),
        (TODAY + timedelta(days=1), TODAY + timedelta(days=2), False, story.AHEAD),
        (TODAY, TODAY, False, story.BEGUN),
        (TODAY - timedelta(days=1), TODAY + timedelta(days=1), False, story.BEGUN),
        # 「配達中」 beside 「12月2日(水)までにお届け予定」: the day turned, the flag did not yet.
        (TODAY - timedelta(days=3), TODAY - timedelta(days=1), False, story.PAST),
        (TODAY - timedelta(days=1), None, False, story.PAST),
        (TODAY + timedelta(days=1), TODAY + timedelta(days=1), True, story.PAST),
    ],
)
def test_estimate_state(start, end, late, state):
    assert story.estimate_state(start, end, late, TODAY) == state


def test_an_unknown_status_reads_as_unknown():
    assert story.story("teleported", "carrier", story.AHEAD).headline is Status.UNKNOWN


def test_of_shipment_reads_the_row():
    past = Shipment(order_id=1, carrier="yamato", tracking_number="1", status="in_transit")
    past.edd_start, past.edd_end, past.edd_source = date(2026, 12, 1), date(2026, 12, 2), "carrier"
    assert story.of_shipment(past, TODAY).estimate == story.LATE
    problem = Shipment(order_id=1, carrier="ups", tracking_number="1", status="exception")
    problem.edd_start, problem.edd_end = TODAY + timedelta(days=1), TODAY + timedelta(days=3)
    assert story.of_shipment(problem, TODAY) == story.Story(Status.EXCEPTION, "", ("exception",))


# ------------------------------------------------------------------ pickup deadlines (issue 25)


@pytest.mark.parametrize(
    ("status", "state", "pickup"),
    [(st, state, p) for st in Status for state in story.STATES for p in story.PICKUP_STATES],
    ids=str,
)
def test_a_deadline_shows_only_while_the_parcel_waits_and_never_beside_a_date(
    status, state, pickup
):
    told = story.story(status, "carrier", state, pickup)
    deadline = [n for n in told.notices if n in story.PICKUP_NOTICES.values()]
    if status is Status.AVAILABLE_FOR_PICKUP:
        # where to collect, then at most one line about the last day (none when unknown)
        assert told.notices[0] == "pickup"
        assert deadline == ([story.PICKUP_NOTICES[pickup]] if pickup != story.NO_DEADLINE else [])
        # no delivery date and no "late" beside a parcel the customer must collect
        assert told.estimate == story.NO_LINE and story.LATE_NOTICE not in told.notices
        assert told.headline is Status.AVAILABLE_FOR_PICKUP
    else:
        # collected, delivered, going back or still moving: no "collect by" anywhere
        assert deadline == [] and "pickup" not in told.notices


@pytest.mark.parametrize(
    ("until", "state"),
    [
        (None, story.NO_DEADLINE),
        (TODAY + timedelta(days=1), story.HOLDING),
        (TODAY, story.LAST_DAY),
        (TODAY - timedelta(days=1), story.ENDED),
    ],
)
def test_pickup_state(until, state):
    assert story.pickup_state(until, TODAY) == state


def test_of_shipment_reads_the_last_day_and_forgets_it_once_collected():
    held = Shipment(
        order_id=1, carrier="yamato", tracking_number="1", status="available_for_pickup"
    )
    held.pickup_until = TODAY
    assert story.of_shipment(held, TODAY).notices == ("pickup", "pickup_last_day")
    assert story.of_shipment(held, TODAY + timedelta(days=1)).notices == ("pickup", "pickup_ended")
    held.status = "delivered"  # collected: the stored last day stays for staff, unsaid
    assert story.of_shipment(held, TODAY).notices == ()
