"""DHL Shipment Tracking – Unified (``GET /track/shipments``), static ``DHL-API-Key`` header.

``statusCode`` has only five values, so out-for-delivery, pickup, attempts and returns come from
description rules. Timestamps normally carry an offset, but the usual shape of real answers is
``"timestamp": "2026-12-03T10:15:00"`` with a location that has no ``countryCode``: such a time
is read in the event's own country (its code, or the country its locality names, "LEIPZIG -
GERMANY"), else the shipment's destination, else its origin, else DHL's home zone
(Europe/Berlin), the last three marked approximate (``carriers.zones``); the event is kept. An
event without a timestamp is skipped and logged. Several shipments for one number (reused ids,
or one per service): the one with the newest event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from .account import Account
from .base import Adapter
from .errors import NotFound
from .http import request
from .json_api import env_url, iso_date, load_json, place, window
from .model import TrackingEvent, TrackingResult
from .numbers import dhl_express_valid
from .parsing import collect, country_zone, newest, result, shape_guard, unknown
from .status import Status
from .zones import local_time, locality_zone

CODES: dict[str, Status] = {
    "pre-transit": Status.INFO_RECEIVED,
    "transit": Status.IN_TRANSIT,
    "delivered": Status.DELIVERED,
    "failure": Status.EXCEPTION,
}

# (statusCode the rule refines, lower-case needle, status, sub). Most specific first.
TEXT_RULES: tuple[tuple[str, str, Status, str], ...] = (
    ("transit", "out with courier for delivery", Status.OUT_FOR_DELIVERY, ""),
    ("transit", "out for delivery", Status.OUT_FOR_DELIVERY, ""),
    ("transit", "ready for pick", Status.AVAILABLE_FOR_PICKUP, ""),
    ("transit", "available for pick", Status.AVAILABLE_FOR_PICKUP, ""),
    ("transit", "awaiting collection", Status.AVAILABLE_FOR_PICKUP, ""),
    ("transit", "returned to shipper", Status.RETURNING_TO_SENDER, ""),
    ("transit", "being returned", Status.RETURNING_TO_SENDER, ""),
    ("failure", "returned to shipper", Status.RETURNING_TO_SENDER, ""),
    ("failure", "being returned", Status.RETURNING_TO_SENDER, ""),
    ("failure", "delivery attempt", Status.ATTEMPT_FAILED, ""),
    ("failure", "not at home", Status.ATTEMPT_FAILED, ""),
    ("failure", "recipient not available", Status.ATTEMPT_FAILED, ""),
    ("failure", "could not be delivered", Status.ATTEMPT_FAILED, ""),
    # Routine clearance reported under "failure" by some services: not a problem.
    ("failure", "clearance processing complete", Status.IN_TRANSIT, "customs"),
    ("failure", "customs clearance status updated", Status.IN_TRANSIT, "customs"),
    ("transit", "customs", Status.IN_TRANSIT, "customs"),
    ("transit", "clearance", Status.IN_TRANSIT, "customs"),
)


def classify(code: str, description: str) -> tuple[Status, str]:
    text = description.lower()
    for rule_code, needle, status, sub in TEXT_RULES:
        if rule_code == code and needle in text:
            return status, sub
    if code in CODES:
        return CODES[code], ""
    if not code:
        # Some Express events carry only a description.
        for _, needle, status, sub in TEXT_RULES:
            if needle in text:
                return status, sub
        if "delivered" in text:
            return Status.DELIVERED, ""
    return unknown("dhl", code or description, description), ""


HOME_ZONE = ZoneInfo("Europe/Berlin")


def _country(place: dict | None) -> str | None:
    return ((place or {}).get("address") or {}).get("countryCode")


def _when(shipment: dict, event: dict) -> tuple[datetime, bool] | None:
    """(time, approximate), or None when the event has no timestamp at all."""
    value = event.get("timestamp")
    if not value:
        return None
    address = (event.get("location") or {}).get("address") or {}
    own = country_zone(address.get("countryCode")) or locality_zone(address.get("addressLocality"))
    return local_time(
        value,
        own,
        country_zone(_country(shipment.get("destination"))),
        country_zone(_country(shipment.get("origin"))),
        HOME_ZONE,
    )


def _latest(shipment: dict):
    times = []
    for event in shipment.get("events") or []:
        try:
            when = _when(shipment, event)
        except (ValueError, TypeError, AttributeError):
            continue
        if when:
            times.append(when[0])
    return max(times, default=None)


def _location(event: dict) -> str:
    address = (event.get("location") or {}).get("address") or {}
    return place(address.get("addressLocality"), address.get("countryCode"))


class DHLAdapter(Adapter):
    code = "dhl"
    names = {"en": "DHL", "ja": "DHL"}
    batch_size = 1  # one trackingNumber per GET
    credential_env = {"api_key": "DHL_API_KEY"}

    def validate(self, number: str) -> bool:
        return dhl_express_valid(number)

    def tracking_url(self, number: str) -> str:
        return f"https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}"

    def fetch(
        self, numbers: Iterable[str], *, account: Account | None = None, **context
    ) -> dict[str, bytes]:
        key = self.account(account).get("api_key")
        base = env_url("DHL_BASE_URL", "https://api-eu.dhl.com")
        out = {}
        for number in numbers:
            response = request(
                "GET",
                f"{base}/track/shipments",
                params={"trackingNumber": number, "language": "en"},
                headers={"DHL-API-Key": key, "Accept": "application/json"},
                retries=1,
                not_found_ok=True,  # 404 = "no shipment found", a parseable problem+json body
            )
            out[number] = response.content
        return out

    def parse(self, body: bytes, tracking_number: str) -> TrackingResult:
        data = load_json(body, self.code)
        with shape_guard(self.code):
            if "shipments" not in data and data.get("status") == 404:
                raise NotFound(f"dhl: {data.get('detail') or data.get('title')}")
            shipments = data["shipments"]
            mine = [s for s in shipments if s.get("id") == tracking_number]
            if not mine and len(shipments) == 1:
                mine = shipments
            shipment = newest(mine, _latest)
            if shipment is None:
                raise NotFound(f"dhl: {tracking_number} not in the answer")

            def build(event: dict) -> TrackingEvent | None:
                when = _when(shipment, event)
                if when is None:
                    return None
                when, approximate = when
                description = event.get("description") or event.get("status") or ""
                status, sub = classify(event.get("statusCode", ""), description)
                return TrackingEvent(
                    occurred_at=when,
                    status=status,
                    sub_status=sub,
                    description=description,
                    location=_location(event),
                    raw_code=event.get("statusCode", ""),
                    approximate_time=approximate,
                )

            events = collect(self.code, shipment.get("events"), build)
            current = shipment.get("status") or {}
            status = None
            if current.get("statusCode"):
                status, _ = classify(
                    current["statusCode"], current.get("description") or current.get("status", "")
                )
            frame = shipment.get("estimatedDeliveryTimeFrame") or {}
            if frame:
                edd = window(
                    iso_date(frame.get("estimatedFrom")), iso_date(frame.get("estimatedThrough"))
                )
            else:
                edd = window(iso_date(shipment.get("estimatedTimeOfDelivery")))
        return result(
            self.code,
            tracking_number,
            events,
            status=status,
            raw_status=current.get("description") or current.get("status", ""),
            edd=edd,
        )
