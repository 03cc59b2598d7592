"""AfterShip Tracking API (``as-api-key`` header, dated API versions).

fetch registers each number (``POST /trackings``; "already exists" is fine) and then reads them
back in one ``GET /trackings?tracking_numbers=…``. The tracking is found wherever AfterShip's
documented envelopes put it: ``data.trackings[]`` (the list), ``data.tracking`` (the single
GET of the legacy and older dated versions), ``data`` itself (the single GET of the newer
versions) or the webhook's ``msg``. Checkpoint times are the checkpoint's local time, usually
with an offset; the webhook docs allow "YYYY-MM-DDTHH:MM:SS" without one. Such a time is read
in the checkpoint country's zone (``country_iso3``, or the country its location names), else
the tracking's destination, else its origin, else the underlying carrier's home zone
(``taqbin-jp``/``sagawa``/``japan-post``: Asia/Tokyo), else UTC; all but the first marked
approximate (``carriers.zones``). A checkpoint with no time at all is skipped and logged.
Several trackings for one number (a reused number, or one per slug): the one with the newest
checkpoint. A ``meta.code`` other than success or "does not exist" is a ProviderError.
EDD: courier EDD, else AfterShip's predicted EDD, else the merchant's custom EDD.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from .aggregator import AggregatorAdapter
from .errors import AuthFailed, NotFound, ParseFailed, ProviderError
from .http import request
from .json_api import iso, iso_date, load_json, place, window
from .model import TrackingEvent, TrackingResult
from .parsing import collect, country_zone, newest, result, shape_guard, unknown
from .status import Status
from .zones import local_time, locality_zone

TAGS: dict[str, Status] = {
    "Pending": Status.PENDING,
    "InfoReceived": Status.INFO_RECEIVED,
    "InTransit": Status.IN_TRANSIT,
    "OutForDelivery": Status.OUT_FOR_DELIVERY,
    "AttemptFail": Status.ATTEMPT_FAILED,
    "Delivered": Status.DELIVERED,
    "AvailableForPickup": Status.AVAILABLE_FOR_PICKUP,
    "Exception": Status.EXCEPTION,
    "Expired": Status.EXPIRED,
}
# Subtags that move a tag to a different normalized status.
SUBTAGS: dict[str, Status] = {
    "Exception_004": Status.DELAYED,  # customs delay
    "Exception_005": Status.DELAYED,  # external delay
    "Exception_016": Status.DELAYED,  # processing delay
    "Exception_017": Status.DELAYED,  # extreme weather
    "Exception_010": Status.RETURNING_TO_SENDER,
    "Exception_011": Status.RETURNED_TO_SENDER,
    # Published sub-statuses (reference §3.1) that name routine customs work, not a problem.
    "InTransit_005": Status.IN_TRANSIT,
    "InTransit_006": Status.IN_TRANSIT,
    "AttemptFail_001": Status.ATTEMPT_FAILED,
    "AttemptFail_002": Status.ATTEMPT_FAILED,
    "AttemptFail_003": Status.ATTEMPT_FAILED,
}
#: Zones of the underlying carriers, for checkpoint times without an offset.
SLUG_ZONES = {"taqbin-jp": "Asia/Tokyo", "sagawa": "Asia/Tokyo", "japan-post": "Asia/Tokyo"}
#: ``meta.code`` values that are not about the parcel. 200/201 = fine, 4004 = unknown number.
_OK_META = {200, 201, 4003}
_AUTH_META = {401, 4010, 4011, 4012, 403}
SUB_STATUS: dict[str, str] = {
    "Exception_004": "customs",
    "Exception_006": "held_for_payment",
    "Exception_007": "address",
    "Exception_012": "damaged",
    "Exception_013": "lost",
    "Exception_018": "missing_documents",
    "AttemptFail_002": "not_home",
    "AttemptFail_003": "business_closed",
    "InTransit_004": "arrived_destination_country",
    "InTransit_008": "problem_resolved",
    "OutForDelivery_003": "customer_contacted",
    "OutForDelivery_004": "appointment",
    "Delivered_002": "picked_up_by_recipient",
    "Delivered_003": "signed",
    "Delivered_005": "neighbor",
    "InTransit_002": "picked_up",
    "InTransit_003": "arrived_hub",
    "InTransit_005": "customs",
    "InTransit_006": "customs",
    "InTransit_007": "departed",
    "InTransit_009": "forwarded",
}


def classify(tag: str, subtag: str = "", text: str = "") -> tuple[Status, str]:
    if subtag in SUBTAGS:
        return SUBTAGS[subtag], SUB_STATUS.get(subtag, subtag)
    if tag in TAGS:
        return TAGS[tag], SUB_STATUS.get(subtag, subtag)
    return unknown("aftership", tag, text), subtag


def _edd(tracking: dict):
    for key in ("courier_estimated_delivery_date", "aftership_estimated_delivery_date"):
        edd = tracking.get(key) or {}
        lo = iso_date(edd.get("estimated_delivery_date_min") or edd.get("estimated_delivery_date"))
        hi = iso_date(edd.get("estimated_delivery_date_max") or edd.get("estimated_delivery_date"))
        if lo or hi:
            return window(lo, hi)
    custom = tracking.get("custom_estimated_delivery_date") or {}
    if custom.get("datetime") or custom.get("datetime_min"):
        return window(
            iso_date(custom.get("datetime_min") or custom.get("datetime")),
            iso_date(custom.get("datetime_max") or custom.get("datetime")),
        )
    return None


class AfterShipAdapter(AggregatorAdapter):
    code = "aftership"
    names = {"en": "AfterShip", "ja": "AfterShip"}
    batch_size = 50  # GET /trackings filters by up to 50 comma-separated numbers [?]
    credential_env = {"api_key": "AFTERSHIP_API_KEY"}
    base_url = "https://api.aftership.com/tracking/2025-07"
    base_url_env = "AFTERSHIP_BASE_URL"
    # [?] slugs from AfterShip's courier list as remembered, not re-verified here.
    SLUGS = {
        "yamato": "taqbin-jp",
        "sagawa": "sagawa",
        "japanpost": "japan-post",
        "seino": None,
        "fukuyama": None,
        "ups": "ups",
        "fedex": "fedex",
        "dhl": "dhl",
        "usps": "usps",
    }

    def tracking_url(self, number: str) -> str:
        return f"https://track.aftership.com/{number}"

    def _request(self, batch: list[str], *, key: str, base: str, slug):
        headers = {"as-api-key": key, "Content-Type": "application/json"}
        for number in batch:
            payload = {"tracking_number": number} | ({"slug": slug} if slug else {})
            # 4003 "already exists" comes back as HTTP 400: expected, not an error.
            request("POST", f"{base}/trackings", data=json.dumps(payload), headers=headers)
        return request(
            "GET",
            f"{base}/trackings",
            params={"tracking_numbers": ",".join(batch)},
            headers=headers,
            retries=1,
        )

    def parse(self, body: bytes, tracking_number: str) -> TrackingResult:
        data = load_json(body, self.code)
        with shape_guard(self.code):
            meta = data.get("meta") or {}
            if meta.get("code") == 4004:
                raise NotFound("aftership: tracking does not exist")
            if isinstance(meta.get("code"), int) and meta["code"] not in _OK_META:
                error = AuthFailed if meta["code"] in _AUTH_META else ProviderError
                raise error(f"aftership: {meta.get('code')} {meta.get('message', '')}".strip())
            mine = [t for t in _trackings(data) if t.get("tracking_number") == tracking_number]
            tracking = newest(mine, _latest_checkpoint)
            if tracking is None:
                raise NotFound(f"aftership: {tracking_number} not in the answer")
            home = _home_zone(tracking)

            def build(cp: dict) -> TrackingEvent | None:
                when = _checkpoint_time(cp, home)
                if when is None:
                    return None
                when, approximate = when
                status, sub = classify(cp.get("tag", ""), cp.get("subtag", ""), cp.get("message"))
                where = cp.get("location") or place(cp.get("city"), cp.get("country_iso3"))
                return TrackingEvent(
                    occurred_at=when,
                    status=status,
                    sub_status=sub,
                    description=cp.get("message") or "",
                    location=where or "",
                    raw_code=cp.get("subtag") or cp.get("tag", ""),
                    approximate_time=approximate,
                )

            events = collect(self.code, tracking.get("checkpoints"), build)
            tag = tracking.get("tag", "")
            if tag == "Pending" and not events:
                raise NotFound("aftership: no information from the carrier yet")
            status, sub = classify(tag, tracking.get("subtag", ""), tracking.get("subtag_message"))
            delivered = tracking.get("shipment_delivery_date")
            edd = _edd(tracking)
        return result(
            self.code,
            tracking_number,
            events,
            status=status,
            sub_status=sub,
            raw_status=tracking.get("subtag_message") or tag,
            edd=edd,
            delivered_at=local_time(delivered, None, *home)[0] if delivered else None,
        )


def _trackings(data: dict) -> list[dict]:
    """The tracking objects of an answer or webhook, from any documented envelope; none of
    them there is a shape we do not know (ParseFailed, captured), not an unknown number."""
    payload = data.get("data") if "data" in data else data.get("msg")
    if isinstance(payload, dict):
        if isinstance(payload.get("trackings"), list):
            return [t for t in payload["trackings"] if isinstance(t, dict)]
        if isinstance(payload.get("tracking"), dict):
            return [payload["tracking"]]
        if "tracking_number" in payload:
            return [payload]
    raise ParseFailed("aftership: no tracking in data.trackings, data.tracking, data or msg")


def _home_zone(tracking: dict) -> tuple:
    """The guesses for a checkpoint time without an offset or a country, in order."""
    slug = tracking.get("slug")
    return (
        country_zone(tracking.get("destination_country_iso3")),
        country_zone(tracking.get("origin_country_iso3")),
        ZoneInfo(SLUG_ZONES[slug]) if slug in SLUG_ZONES else None,
    )


def _checkpoint_time(cp: dict, home: tuple) -> tuple[datetime, bool] | None:
    value = cp.get("checkpoint_time")
    if not value:
        return None
    own = (
        country_zone(cp.get("country_iso3"))
        or country_zone(cp.get("country_region"))
        or country_zone(cp.get("country_name"))
        or locality_zone(cp.get("location"))
    )
    return local_time(value, own, *home)


def _latest_checkpoint(tracking: dict) -> datetime | None:
    home = _home_zone(tracking)
    times = []
    for cp in tracking.get("checkpoints") or []:
        try:
            when = _checkpoint_time(cp, home)
        except (ValueError, TypeError, AttributeError):
            continue
        if when:
            times.append(when[0])
    if not times and tracking.get("updated_at"):
        return iso(tracking["updated_at"], default=UTC)
    return max(times, default=None)
