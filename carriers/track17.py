"""17TRACK API v2.2 (``17token`` header): ``/register`` then ``/gettrackinfo``, ≤40 per call.

Event times: ``time_iso`` carries the local offset; without one we use ``time_utc``; an event
with neither is skipped and logged. Several accepted entries for one number: the one with the
newest event. The entries sit in ``data.accepted[]`` (``/gettrackinfo``) or are ``data`` itself
(the ``TRACKING_UPDATED`` webhook); both are read. A non-zero top-level ``code``, or a rejection naming the account (quota, plan,
test-only key, permission) rather than the number, is a ProviderError. EDD:
``track_info.time_metrics.estimated_delivery_date{from,to}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from .aggregator import AggregatorAdapter
from .errors import AuthFailed, NotFound, ParseFailed, ProviderError
from .http import request
from .json_api import iso, iso_date, load_json, window
from .model import TrackingEvent, TrackingResult
from .parsing import collect, newest, result, shape_guard, unknown
from .status import Status

STATUSES: dict[str, Status] = {
    "NotFound": Status.PENDING,  # parse raises NotFound for it (nothing known yet)
    "InfoReceived": Status.INFO_RECEIVED,
    "InTransit": Status.IN_TRANSIT,
    "Expired": Status.EXPIRED,
    "AvailableForPickup": Status.AVAILABLE_FOR_PICKUP,
    "OutForDelivery": Status.OUT_FOR_DELIVERY,
    "DeliveryFailure": Status.ATTEMPT_FAILED,
    "Delivered": Status.DELIVERED,
    "Exception": Status.EXCEPTION,
}
SUB_STATUSES: dict[str, Status] = {
    "Exception_Delayed": Status.DELAYED,
    # Published Exception_* sub-statuses that are not a problem with the parcel itself.
    "InTransit_CustomsProcessing": Status.IN_TRANSIT,
    "InTransit_CustomsReleased": Status.IN_TRANSIT,
    "DeliveryFailure_NoBody": Status.ATTEMPT_FAILED,
    "DeliveryFailure_Security": Status.ATTEMPT_FAILED,
    "DeliveryFailure_Rejected": Status.ATTEMPT_FAILED,
    "DeliveryFailure_InvalidAddress": Status.EXCEPTION,
    "Exception_Returning": Status.RETURNING_TO_SENDER,
    "Exception_Returned": Status.RETURNED_TO_SENDER,
    "Exception_Cancel": Status.CANCELLED,
}
SUB_NAMES: dict[str, str] = {
    "InTransit_PickedUp": "picked_up",
    "InTransit_Departure": "departed",
    "InTransit_Arrival": "arrived_hub",
    "InTransit_CustomsProcessing": "customs",
    "InTransit_CustomsReleased": "customs",
    "InTransit_CustomsRequiringInformation": "customs",
    "DeliveryFailure_NoBody": "not_home",
    "DeliveryFailure_InvalidAddress": "address",
    "Exception_Damage": "damaged",
    "Exception_Lost": "lost",
    "Exception_Rejected": "refused",
    "Exception_Security": "security",
}


def classify(status: str, sub_status: str = "", text: str = "") -> tuple[Status, str]:
    if sub_status in SUB_STATUSES:
        return SUB_STATUSES[sub_status], sub_status
    # Events carry only a sub-status such as "InTransit_Arrival": its prefix is the status.
    status = status or sub_status.partition("_")[0]
    if status in STATUSES:
        return STATUSES[status], SUB_NAMES.get(sub_status, sub_status)
    return unknown("track17", status or sub_status, text), sub_status


#: Words in a rejection's message that are about our account, not about the number.
_ACCOUNT_WORDS = ("quota", "plan", "permission", "test", "token", "key", "limit", "balance")


def _rejection(error: dict) -> Exception:
    message = f"track17: {error.get('code')} {error.get('message') or ''}".strip()
    text = (error.get("message") or "").lower()
    if "token" in text or "unauthor" in text:
        return AuthFailed(message)
    if any(w in text for w in _ACCOUNT_WORDS):
        return ProviderError(message)
    return NotFound(message)


def _events(entry: dict) -> list[dict]:
    providers = ((entry.get("track_info") or {}).get("tracking") or {}).get("providers") or []
    return [ev for p in providers for ev in p.get("events") or []]


def _latest(entry: dict):
    times = []
    for ev in _events(entry):
        try:
            times.append(_when(ev))
        except (KeyError, ValueError, TypeError):
            continue
    return max(times, default=None)


def _when(event: dict) -> datetime:
    """``time_iso`` is local with an offset; when it lacks the offset, ``time_utc`` is exact."""
    local = event.get("time_iso")
    if local:
        try:
            return iso(local)
        except ValueError:
            pass  # naive local time: fall back to the UTC field below
    return iso(event["time_utc"], default=UTC)


class Track17Adapter(AggregatorAdapter):
    code = "track17"
    names = {"en": "17TRACK", "ja": "17TRACK"}
    batch_size = 40
    credential_env = {"api_key": "TRACK17_API_KEY"}
    base_url = "https://api.17track.net/track/v2.2"
    base_url_env = "TRACK17_BASE_URL"
    # 17TRACK's numeric carrier keys: UPS/FedEx/DHL/USPS agree across three independent client
    # codebases (not the official list). The Japanese carriers are left to 17TRACK's
    # auto-detection until verified.
    SLUGS = {
        "yamato": None,
        "sagawa": None,
        "japanpost": None,
        "seino": None,
        "fukuyama": None,
        "ups": 100002,
        "fedex": 100003,
        "dhl": 100001,
        "usps": 21051,
    }

    def tracking_url(self, number: str) -> str:
        return f"https://t.17track.net/en#nums={number}"

    def _request(self, batch: list[str], *, key: str, base: str, slug):
        headers = {"17token": key, "Content-Type": "application/json"}
        items = json.dumps([{"number": n} | ({"carrier": slug} if slug else {}) for n in batch])
        # Registering twice is answered as "already registered" in the body: harmless.
        request("POST", f"{base}/register", data=items, headers=headers)
        return request("POST", f"{base}/gettrackinfo", data=items, headers=headers, retries=1)

    def parse(self, body: bytes, tracking_number: str) -> TrackingResult:
        data = load_json(body, self.code)
        with shape_guard(self.code):
            if data.get("code") not in (None, 0):
                raise ProviderError(f"track17: code {data.get('code')} {data.get('message') or ''}")
            payload = data["data"]
            for rejected in payload.get("rejected") or []:
                if rejected.get("number") == tracking_number:
                    raise _rejection(rejected.get("error") or {})
            if "accepted" not in payload and "number" not in payload:
                raise ParseFailed("track17: neither data.accepted nor a webhook entry in data")
            accepted = payload.get("accepted", [payload])
            mine = [a for a in accepted if a.get("number") == tracking_number]
            entry = newest(mine, _latest)
            if entry is None:
                raise NotFound(f"track17: {tracking_number} not in the answer")
            info = entry["track_info"]
            latest = info.get("latest_status") or {}
            if latest.get("status") == "NotFound":
                raise NotFound("track17: carrier has no information yet")

            def build(ev: dict) -> TrackingEvent:
                status, sub = classify("", ev.get("sub_status", ""), ev.get("description"))
                return TrackingEvent(
                    occurred_at=_when(ev),
                    status=status,
                    sub_status=sub,
                    description=ev.get("description") or "",
                    location=ev.get("location") or "",
                    raw_code=ev.get("sub_status") or ev.get("stage") or "",
                )

            events = collect(self.code, _events(entry), build)
            status, sub = classify(latest.get("status", ""), latest.get("sub_status", ""))
            edd_raw = (info.get("time_metrics") or {}).get("estimated_delivery_date") or {}
            edd = window(iso_date(edd_raw.get("from")), iso_date(edd_raw.get("to")))
        return result(
            self.code,
            tracking_number,
            events,
            status=status,
            sub_status=sub,
            raw_status=latest.get("sub_status") or latest.get("status", ""),
            edd=edd,
        )
