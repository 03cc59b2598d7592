"""How often a parcel is looked at, by status: the sync rounds schedule the next look by it, and
the tracking page tells a carrier outage from a quiet parcel by it (data older than its cadence)."""

from __future__ import annotations

from datetime import timedelta

from carriers import Status

# How long until the next look, by status. Terminal statuses are never polled again.
CADENCE: dict[Status, timedelta] = {
    Status.PENDING: timedelta(hours=2),
    Status.INFO_RECEIVED: timedelta(hours=4),
    Status.IN_TRANSIT: timedelta(hours=3),
    Status.OUT_FOR_DELIVERY: timedelta(minutes=30),
    Status.ATTEMPT_FAILED: timedelta(hours=2),
    Status.AVAILABLE_FOR_PICKUP: timedelta(hours=6),
    Status.DELAYED: timedelta(hours=3),
    Status.EXCEPTION: timedelta(hours=3),
    Status.RETURNING_TO_SENDER: timedelta(hours=12),
    Status.UNKNOWN: timedelta(hours=6),
}
