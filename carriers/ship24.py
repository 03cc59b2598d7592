"""Ship24 (``POST /public/v1/trackers/track``: create a tracker and get its results at once;
Bearer API key).

Event time: ``datetime`` when it has an offset, else ``occurrenceDatetime`` + ``utcOffset``,
else UTC. Status: the ``statusMilestone`` (always present).
"""

from __future__ import annotations

import json
from datetime import UTC

from .aggregator import AggregatorAdapter
from .errors import NotFound
from .http import request
from .json_api import iso, iso_date, load_json, utc_offset, window
from .model import TrackingEvent, TrackingResult
from .parsing import result, shape_guard, unknown
from .status import Status

MILESTONES: dict[str, Status] = {
    "pending": Status.PENDING,  # parse → NotFound when nothing else is known
    "info_received": Status.INFO_RECEIVED,
    "in_transit": Status.IN_TRANSIT,
    "out_for_delivery": Status.OUT_FOR_DELIVERY,
    "failed_attempt": Status.ATTEMPT_FAILED,
    "available_for_pickup": Status.AVAILABLE_FOR_PICKUP,
    "delivered": Status.DELIVERED,
    # Ship24 folds returns and cancellations into "exception" (reference §4.1).
    "exception": Status.EXCEPTION,
    # In Ship24's shipment-level enum (secondary schema copy), not in reference §4.1 [?].
    "expired": Status.EXPIRED,
}


def classify(milestone: str, text: str = "") -> Status:
    if milestone in MILESTONES:
        return MILESTONES[milestone]
    return unknown("ship24", milestone, text)


def _when(event: dict):
    value = event.get("datetime") or event["occurrenceDatetime"]
    offset = event.get("utcOffset")
    return iso(value, default=utc_offset(offset) if offset else UTC)


class Ship24Adapter(AggregatorAdapter):
    code = "ship24"
    names = {"en": "Ship24", "ja": "Ship24"}
    batch_size = 1  # trackers/track takes one number
    api_key_env = "SHIP24_API_KEY"
    base_url = "https://api.ship24.com/public/v1"
    base_url_env = "SHIP24_BASE_URL"
    # [?] Ship24 courier codes not verified: Ship24 detects the courier when none is given.
    SLUGS = dict.fromkeys(
        ("yamato", "sagawa", "japanpost", "seino", "fukuyama", "ups", "fedex", "dhl", "usps")
    )

    def tracking_url(self, number: str) -> str:
        return f"https://www.ship24.com/tracking?p={number}"

    def _request(self, batch: list[str], *, key: str, base: str, slug):
        (number,) = batch
        payload = {"trackingNumber": number} | ({"courierCode": [slug]} if slug else {})
        return request(
            "POST",
            f"{base}/trackers/track",
            data=json.dumps(payload),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            retries=1,  # documented idempotent for identical parameters
        )

    def parse(self, body: bytes, tracking_number: str) -> TrackingResult:
        data = load_json(body, self.code)
        with shape_guard(self.code):
            trackings = data["data"]["trackings"]
            tracking = next(
                (
                    t
                    for t in trackings
                    if (t.get("tracker") or {}).get("trackingNumber") == tracking_number
                ),
                None,
            )
            if tracking is None:
                raise NotFound(f"ship24: {tracking_number} not in the answer")
            events = []
            for ev in tracking.get("events") or []:
                events.append(
                    TrackingEvent(
                        occurred_at=_when(ev),
                        status=classify(ev.get("statusMilestone", ""), ev.get("status", "")),
                        sub_status=ev.get("statusCode") or "",
                        description=ev.get("status") or "",
                        location=ev.get("location") or "",
                        raw_code=ev.get("statusCode") or ev.get("statusMilestone", ""),
                    )
                )
            shipment = tracking.get("shipment") or {}
            milestone = shipment.get("statusMilestone", "")
            if milestone == "pending" and not events:
                raise NotFound("ship24: no information from the courier yet")
            status = classify(milestone) if milestone else None
            edd = window(iso_date((shipment.get("delivery") or {}).get("estimatedDeliveryDate")))
        return result(
            self.code,
            tracking_number,
            events,
            status=status,
            sub_status=shipment.get("statusCode") or "",
            raw_status=milestone,
            edd=edd,
        )
