"""USPS Tracking API v3 (``GET /tracking/v3/tracking/{n}?expand=DETAIL``), OAuth client credentials.

The overall status comes from ``statusCategory``; events have no category, so each event is
classified by its ``eventCode`` where we know it (Pub. 199 Appendix G) and else by ``eventType``
text rules. Times: ``eventTimestamp`` is local without an offset, so it is combined with
``GMTOffset``; with no offset we use ``GMTTimestamp`` (UTC); with neither, the local time is read
in the event country's zone (single-zone countries), else USPS's home zone (America/New_York).
An event without any time is skipped and logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from .account import Account
from .base import Adapter
from .errors import NotFound
from .json_api import env_url, iso, iso_date, load_json, place, utc_offset, window
from .model import TrackingEvent, TrackingResult
from .numbers import s10_valid, usps_impb_valid
from .oauth import OAuthMixin
from .parsing import collect, country_zone, result, shape_guard, unknown
from .status import Status

# statusCategory -> status. Values marked [?] in reference §4.1 are kept: they are the documented
# category names as far as we know, and an unseen one still falls to UNKNOWN (logged).
CATEGORIES: dict[str, Status] = {
    "Pre-Shipment": Status.INFO_RECEIVED,  # [?]
    "Accepted": Status.IN_TRANSIT,
    "In Transit": Status.IN_TRANSIT,
    "Out for Delivery": Status.OUT_FOR_DELIVERY,
    "Delivery Attempt": Status.ATTEMPT_FAILED,  # [?]
    "Available for Pickup": Status.AVAILABLE_FOR_PICKUP,  # [?]
    "Delivered": Status.DELIVERED,
    "Alert": Status.EXCEPTION,  # [?]
    "Return to Sender": Status.RETURNING_TO_SENDER,  # [?]
}

# eventCode -> status for the codes whose meaning is unambiguous [?: Pub. 199 App. G, unverified].
EVENT_CODES: dict[str, Status] = {
    "MA": Status.INFO_RECEIVED,
    "01": Status.DELIVERED,
    "02": Status.ATTEMPT_FAILED,
    "OF": Status.OUT_FOR_DELIVERY,
}

# Lower-case substring of eventType -> status, most specific first.
TEXT_RULES: tuple[tuple[str, Status], ...] = (
    ("label created", Status.INFO_RECEIVED),
    # International mail: routine clearance is movement; a hold is a problem.
    ("held in customs", Status.EXCEPTION),
    ("customs", Status.IN_TRANSIT),
    ("pre-shipment", Status.INFO_RECEIVED),
    ("out for delivery", Status.OUT_FOR_DELIVERY),
    ("notice left", Status.ATTEMPT_FAILED),
    ("delivery attempted", Status.ATTEMPT_FAILED),
    ("available for pickup", Status.AVAILABLE_FOR_PICKUP),
    ("return to sender", Status.RETURNING_TO_SENDER),
    ("delivered", Status.DELIVERED),
    ("delayed", Status.DELAYED),
    ("accepted", Status.IN_TRANSIT),
    ("picked up", Status.IN_TRANSIT),
    ("arrived", Status.IN_TRANSIT),
    ("departed", Status.IN_TRANSIT),
    ("processed", Status.IN_TRANSIT),
    ("in transit", Status.IN_TRANSIT),
)


def classify_event(code: str, text: str) -> Status:
    if code in EVENT_CODES:
        return EVENT_CODES[code]
    lowered = text.lower()
    for needle, status in TEXT_RULES:
        if needle in lowered:
            return status
    return unknown("usps", code or text, text)


HOME_ZONE = ZoneInfo("America/New_York")


def _when(event: dict) -> datetime | None:
    """Local time + ``GMTOffset``; else ``GMTTimestamp`` (UTC); else the local time in the
    event country's zone (single-zone countries), else USPS's home zone (America/New_York)."""
    if event.get("eventTimestamp") and event.get("GMTOffset"):
        return iso(event["eventTimestamp"], default=utc_offset(event["GMTOffset"]))
    if event.get("GMTTimestamp"):
        return iso(event["GMTTimestamp"], default=UTC)
    if event.get("eventTimestamp"):
        zone = country_zone(event.get("eventCountry")) or HOME_ZONE
        return iso(event["eventTimestamp"], default=zone)
    return None


def _location(event: dict) -> str:
    return place(event.get("eventCity"), event.get("eventState"), event.get("eventCountry"))


def _edd(data: dict):
    start = iso_date(data.get("predictedDeliveryWindowStartTime"))
    end = iso_date(data.get("predictedDeliveryWindowEndTime"))
    if start or end:
        return window(start, end)
    for key in (
        "expectedDeliveryTimeStamp",
        "predictedDeliveryTimeStamp",
        "guaranteedDeliveryTimeStamp",
        "expectedDeliveryDate",
    ):
        if data.get(key):
            return window(iso_date(data[key]))
    return None


class USPSAdapter(OAuthMixin, Adapter):
    code = "usps"
    names = {"en": "USPS", "ja": "USPS（米国郵便）"}
    batch_size = 1
    credential_env = {"client_id": "USPS_CLIENT_ID", "client_secret": "USPS_CLIENT_SECRET"}

    def validate(self, number: str) -> bool:
        return usps_impb_valid(number) or s10_valid(number)

    def tracking_url(self, number: str) -> str:
        return f"https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"

    def base_url(self) -> str:
        return env_url("USPS_BASE_URL", "https://apis.usps.com")

    def token_url(self) -> str:
        return f"{self.base_url()}/oauth2/v3/token"

    def fetch(
        self, numbers: Iterable[str], *, account: Account | None = None, **context
    ) -> dict[str, bytes]:
        account = self.account(account)
        out = {}
        for number in numbers:
            response = self.authorized(
                "GET",
                f"{self.base_url()}/tracking/v3/tracking/{number}",
                account,
                params={"expand": "DETAIL"},
                headers={"Accept": "application/json"},
                retries=1,
                not_found_ok=True,
            )
            out[number] = response.content
        return out

    def parse(self, body: bytes, tracking_number: str) -> TrackingResult:
        data = load_json(body, self.code)
        with shape_guard(self.code):
            if "error" in data:
                error = data["error"] or {}
                raise NotFound(f"usps: {error.get('code')} {error.get('message')}")

            def build(ev: dict) -> TrackingEvent | None:
                when = _when(ev)
                if when is None:
                    return None
                return TrackingEvent(
                    occurred_at=when,
                    status=classify_event(ev.get("eventCode", ""), ev.get("eventType", "")),
                    description=ev.get("eventType", ""),
                    location=_location(ev),
                    raw_code=ev.get("eventCode", ""),
                )

            events = collect(self.code, data["trackingEvents"], build)
            category = data.get("statusCategory", "")
            status = None
            if category:
                status = CATEGORIES.get(category) or unknown("usps", category, data.get("status"))
            edd = _edd(data)
        return result(
            self.code,
            tracking_number,
            events,
            status=status,
            raw_status=data.get("statusSummary") or data.get("status", ""),
            edd=edd,
        )
