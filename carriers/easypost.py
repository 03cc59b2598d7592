"""EasyPost Trackers (``POST /v2/trackers``; API key as the HTTP Basic user).

Creating a tracker for a code+carrier seen in the last 3 months returns the existing tracker,
so fetch is safe to repeat. Times are ISO 8601 UTC (``Z``); EasyPost documents every
``datetime`` as UTC, so one without the ``Z`` is read as UTC (the provider's stated zone, not a
guess). A detail without a datetime is skipped and logged. ``error`` bodies: a not-found code is
NotFound; anything else (test-mode-only numbers, plan, account) is a ProviderError.
The tracker is the answer itself (``POST /trackers``), the ``result`` of a webhook Event, or one
of ``trackers[]`` (the list). EDD: ``est_delivery_date``.
"""

from __future__ import annotations

import json
from datetime import UTC

from .aggregator import AggregatorAdapter
from .errors import AuthFailed, NotFound, ParseFailed, ProviderError
from .http import request
from .json_api import iso, iso_date, load_json, place, window
from .model import TrackingEvent, TrackingResult
from .parsing import collect, result, shape_guard, unknown
from .status import Status

STATUSES: dict[str, Status] = {
    "unknown": Status.PENDING,  # EasyPost's "nothing yet", not our UNKNOWN; parse → NotFound
    "pre_transit": Status.INFO_RECEIVED,
    "in_transit": Status.IN_TRANSIT,
    "out_for_delivery": Status.OUT_FOR_DELIVERY,
    "delivered": Status.DELIVERED,
    "available_for_pickup": Status.AVAILABLE_FOR_PICKUP,
    "return_to_sender": Status.RETURNING_TO_SENDER,
    "failure": Status.EXCEPTION,
    "cancelled": Status.CANCELLED,
    "error": Status.EXCEPTION,
}


NOT_FOUND_CODES = ("NOT_FOUND", "TRACKING_CODE.INVALID", "INVALID_TRACKING_CODE")


def classify(status: str, detail: str = "", text: str = "") -> tuple[Status, str]:
    if status == "failure" and "attempt" in (detail or "").lower():
        # failure spans attempts and problems (reference §4.1); the detail tells them apart.
        return Status.ATTEMPT_FAILED, detail
    if status in STATUSES:
        return STATUSES[status], detail or ""
    return unknown("easypost", status, text), detail or ""


def _location(detail: dict) -> str:
    loc = detail.get("tracking_location") or {}
    return place(loc.get("city"), loc.get("state"), loc.get("country"))


class EasyPostAdapter(AggregatorAdapter):
    code = "easypost"
    names = {"en": "EasyPost", "ja": "EasyPost"}
    batch_size = 1  # one tracker per create call
    credential_env = {"api_key": "EASYPOST_API_KEY"}
    base_url = "https://api.easypost.com/v2"
    base_url_env = "EASYPOST_BASE_URL"
    # EasyPost carrier names. [?] JP carriers not verified: EasyPost then detects the carrier.
    SLUGS = {
        "yamato": None,
        "sagawa": None,
        "japanpost": None,
        "seino": None,
        "fukuyama": None,
        "ups": "UPS",
        "fedex": "FedEx",
        "dhl": "DHLExpress",
        "usps": "USPS",
    }

    def tracking_url(self, number: str) -> str:
        # EasyPost has no public page per number (each tracker has its own public_url).
        return f"https://www.easypost.com/tracking?code={number}"

    def _request(self, batch: list[str], *, key: str, base: str, slug):
        (number,) = batch
        tracker = {"tracking_code": number} | ({"carrier": slug} if slug else {})
        return request(
            "POST",
            f"{base}/trackers",
            data=json.dumps({"tracker": tracker}),
            headers={"Content-Type": "application/json"},
            auth=(key, ""),
            retries=1,  # idempotent: the same code+carrier returns the same tracker
            not_found_ok=True,
        )

    def parse(self, body: bytes, tracking_number: str) -> TrackingResult:
        data = load_json(body, self.code)
        with shape_guard(self.code):
            if "error" in data:
                error = data["error"] or {}
                code = str(error.get("code") or "")
                message = f"easypost: {code} {error.get('message') or ''}".strip()
                if any(code.upper().endswith(c) for c in NOT_FOUND_CODES):
                    raise NotFound(message)
                if "UNAUTHORIZED" in code.upper() or "API_KEY" in code.upper():
                    raise AuthFailed(message)
                raise ProviderError(message)
            data = _tracker(data, tracking_number)
            details = data.get("tracking_details") or []
            if data.get("status") == "unknown" and not details:
                raise NotFound("easypost: carrier has no information yet")

            def build(d: dict) -> TrackingEvent | None:
                if not d.get("datetime"):
                    return None
                status, sub = classify(
                    d.get("status", ""), d.get("status_detail"), d.get("message")
                )
                return TrackingEvent(
                    occurred_at=iso(d["datetime"], default=UTC),
                    status=status,
                    sub_status=sub or "",
                    description=d.get("message") or "",
                    location=_location(d),
                    raw_code=d.get("status", ""),
                )

            events = collect(self.code, details, build)
            status, sub = classify(data["status"], data.get("status_detail"))
            edd = window(iso_date(data.get("est_delivery_date")))
        return result(
            self.code,
            tracking_number,
            events,
            status=status,
            sub_status=sub,
            raw_status=data.get("status", ""),
            edd=edd,
        )


def _tracker(data: dict, number: str) -> dict:
    """The tracker for ``number`` from any documented envelope (ParseFailed when none holds it)."""
    candidates = [data]
    if isinstance(data.get("result"), dict):
        candidates.append(data["result"])  # a webhook Event
    if isinstance(data.get("trackers"), list):
        candidates += [t for t in data["trackers"] if isinstance(t, dict)]
    for candidate in candidates:
        if candidate.get("object", "Tracker") == "Tracker" and (
            candidate.get("tracking_code") == number
        ):
            return candidate
    raise ParseFailed("easypost: no tracker for this number (answer, Event result or trackers[])")
