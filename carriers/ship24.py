"""Ship24 (``POST /public/v1/trackers/track``: create a tracker and get its results at once;
Bearer API key).

The trackings sit in ``data.trackings`` (API) or ``trackings`` (webhook); both are read.
Event time: ``datetime`` when it has an offset, else ``occurrenceDatetime`` + ``utcOffset``;
a time with neither is read in the country its location names, else the shipment's
destination, else its origin, else the courier's home zone when the courier is a Japanese one
(``courierCode`` starting ``jp-``/known JP codes: Asia/Tokyo), else UTC; all but the first
marked approximate (``carriers.zones``), never dropped. Status: the ``statusMilestone``
(always present). Several trackings for one number: the one with the newest event. A body
with ``errors`` is a ProviderError (e.g. a plan or a test key), not a parcel status.
"""

from __future__ import annotations

import json
from datetime import datetime

from .aggregator import AggregatorAdapter
from .errors import AuthFailed, NotFound, ParseFailed, ProviderError
from .http import request
from .json_api import iso_date, load_json, utc_offset, window
from .model import TrackingEvent, TrackingResult
from .parsing import collect, country_zone, newest, result, shape_guard, unknown
from .status import Status
from .zones import local_time, locality_zone

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


#: ``statusCode`` values finer than their milestone (Ship24 folds returns into "exception").
#: [?] codes as seen in Ship24's docs examples; an unlisted code keeps its milestone.
STATUS_CODES: dict[str, Status] = {
    "exception_return_to_sender": Status.RETURNING_TO_SENDER,
    "exception_returned_to_sender": Status.RETURNED_TO_SENDER,
    "exception_cancelled": Status.CANCELLED,
    "exception_delayed": Status.DELAYED,
    "delivery_out_for_delivery": Status.OUT_FOR_DELIVERY,
    "delivery_ready_for_pickup": Status.AVAILABLE_FOR_PICKUP,
}


def classify(milestone: str, text: str = "", code: str = "") -> Status:
    if code in STATUS_CODES:
        return STATUS_CODES[code]
    if milestone in MILESTONES:
        return MILESTONES[milestone]
    return unknown("ship24", milestone, text)


#: Ship24 courier codes of Japanese carriers [?: codes not verified live] → home zone Japan.
JP_COURIERS = ("jp-", "yamato", "sagawa", "japan-post", "seino", "fukuyama")


def _when(event: dict, shipment: dict) -> tuple[datetime, bool] | None:
    value = event.get("datetime") or event.get("occurrenceDatetime")
    if not value:
        return None
    offset = event.get("utcOffset")
    courier = (event.get("courierCode") or "").lower()
    own = utc_offset(offset) if offset else locality_zone(event.get("location"))
    return local_time(
        value,
        own,
        country_zone(shipment.get("destinationCountryCode")),
        country_zone(shipment.get("originCountryCode")),
        country_zone("JP") if courier.startswith(JP_COURIERS) else None,
    )


def _latest(tracking: dict):
    times = []
    shipment = tracking.get("shipment") or {}
    for ev in tracking.get("events") or []:
        try:
            when = _when(ev, shipment)
        except (ValueError, TypeError, AttributeError):
            continue
        if when:
            times.append(when[0])
    return max(times, default=None)


def _trackings(data: dict) -> list:
    """``data.trackings`` (the API) or ``trackings`` (the webhook); neither is a shape we do not
    know: ParseFailed, captured."""
    for holder in (data.get("data"), data):
        if isinstance(holder, dict) and isinstance(holder.get("trackings"), list):
            return holder["trackings"]
    raise ParseFailed("ship24: no trackings in data.trackings or trackings")


class Ship24Adapter(AggregatorAdapter):
    code = "ship24"
    names = {"en": "Ship24", "ja": "Ship24"}
    batch_size = 1  # trackers/track takes one number
    credential_env = {"api_key": "SHIP24_API_KEY"}
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
            errors = data.get("errors") or []
            if errors:
                first = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
                message = f"ship24: {first.get('code')} {first.get('message') or ''}".strip()
                code = str(first.get("code") or "").lower()
                if "not_found" in code:
                    raise NotFound(message)
                raise (AuthFailed if "auth" in code else ProviderError)(message)
            mine = [
                t
                for t in _trackings(data)
                if (t.get("tracker") or {}).get("trackingNumber") == tracking_number
            ]
            tracking = newest(mine, _latest)
            if tracking is None:
                raise NotFound(f"ship24: {tracking_number} not in the answer")

            shipment = tracking.get("shipment") or {}

            def build(ev: dict) -> TrackingEvent | None:
                when = _when(ev, shipment)
                if when is None:
                    return None
                when, approximate = when
                return TrackingEvent(
                    occurred_at=when,
                    status=classify(
                        ev.get("statusMilestone", ""), ev.get("status", ""), ev.get("statusCode")
                    ),
                    sub_status=ev.get("statusCode") or "",
                    description=ev.get("status") or "",
                    location=ev.get("location") or "",
                    raw_code=ev.get("statusCode") or ev.get("statusMilestone", ""),
                    approximate_time=approximate,
                )

            events = collect(self.code, tracking.get("events"), build)
            milestone = shipment.get("statusMilestone", "")
            if milestone == "pending" and not events:
                raise NotFound("ship24: no information from the courier yet")
            status = classify(milestone, code=shipment.get("statusCode")) if milestone else None
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
