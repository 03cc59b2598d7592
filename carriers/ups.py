"""UPS Track API v1 (``GET /api/track/v1/details/{inquiryNumber}``), OAuth client credentials.

Times: activities carry the local ``date``/``time`` plus ``gmtOffset``; we combine those into an
aware datetime. Without an offset we use ``gmtDate``/``gmtTime`` (UTC by definition); without
those, the local time is read in the activity location's zone (single-zone countries), else in
UPS's home zone (America/New_York); an activity without any date is skipped and logged.
Several packages answering for one number (a reused number): the one with the newest activity.
EDD: ``deliveryDate`` (RDD beats SDD) with ``deliveryTime`` start/end. UPS gives the window in the
destination's local time without an offset, so the window is kept as dates.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from .account import Account
from .base import Adapter
from .errors import NotFound
from .json_api import env_url, load_json, place, utc_offset, window
from .model import TrackingEvent, TrackingResult
from .numbers import ups_valid
from .oauth import OAuthMixin
from .parsing import collect, country_zone, newest, result, shape_guard, unknown
from .status import Status

# status.type -> status. "D" and "X" are refined from the text below; "D" alone is NOT
# "delivered" (UPS: "delivery information: loaded on vehicle, out for delivery, delivered").
TYPES: dict[str, Status] = {
    "M": Status.INFO_RECEIVED,
    "MV": Status.CANCELLED,
    "I": Status.IN_TRANSIT,
    "P": Status.IN_TRANSIT,  # pickup, older XML API
    "U": Status.DELAYED,  # updated (rescheduled) delivery date
    "X": Status.EXCEPTION,
}

# Substring rules on the upper-cased description, most specific first: (needle, type, status, sub).
TEXT_RULES: tuple[tuple[str, str, Status, str], ...] = (
    ("OUT FOR DELIVERY", "D", Status.OUT_FOR_DELIVERY, ""),
    ("LOADED ON DELIVERY VEHICLE", "D", Status.OUT_FOR_DELIVERY, "loaded"),
    ("DELIVERED", "D", Status.DELIVERED, ""),
    ("RETURNED TO THE SENDER", "X", Status.RETURNING_TO_SENDER, ""),
    ("RETURNING TO SENDER", "X", Status.RETURNING_TO_SENDER, ""),
    ("DELIVERY ATTEMPT", "X", Status.ATTEMPT_FAILED, ""),
    ("ATTEMPTED", "X", Status.ATTEMPT_FAILED, ""),
    ("UPS ACCESS POINT", "X", Status.AVAILABLE_FOR_PICKUP, "access_point"),
)


def classify(type_: str, description: str) -> tuple[Status, str]:
    text = description.upper()
    for needle, rule_type, status, sub in TEXT_RULES:
        if rule_type == type_ and needle in text:
            return status, sub
    if type_ == "D":
        # A D event whose text we cannot place: refuse to guess between out-for-delivery and
        # delivered.
        return unknown("ups", f"D:{description}", description), ""
    if type_ in TYPES:
        return TYPES[type_], ""
    return unknown("ups", type_, description), ""


def _ymd(value: str) -> date:
    return datetime.strptime(value, "%Y%m%d").date()


HOME_ZONE = ZoneInfo("America/New_York")


def _stamp(day: str, time: str) -> datetime:
    return datetime.strptime(day + (time or "000000").replace(":", ""), "%Y%m%d%H%M%S")


def _when(activity: dict) -> datetime | None:
    if activity.get("date") and activity.get("gmtOffset"):
        return _stamp(activity["date"], activity.get("time")).replace(
            tzinfo=utc_offset(activity["gmtOffset"])
        )
    if activity.get("gmtDate"):
        return _stamp(activity["gmtDate"], activity.get("gmtTime")).replace(tzinfo=UTC)
    if activity.get("date"):
        address = (activity.get("location") or {}).get("address") or {}
        zone = country_zone(address.get("countryCode")) or HOME_ZONE
        return _stamp(activity["date"], activity.get("time")).replace(tzinfo=zone)
    return None


def _latest(package: dict):
    times = []
    for activity in package.get("activity") or []:
        try:
            when = _when(activity)
        except (ValueError, TypeError, AttributeError):
            continue
        if when:
            times.append(when)
    return max(times, default=None)


def _location(activity: dict) -> str:
    address = (activity.get("location") or {}).get("address") or {}
    return place(address.get("city"), address.get("stateProvince"), address.get("countryCode"))


class UPSAdapter(OAuthMixin, Adapter):
    code = "ups"
    names = {"en": "UPS", "ja": "UPS"}
    batch_size = 1  # one inquiry number per GET
    credential_env = {"client_id": "UPS_CLIENT_ID", "client_secret": "UPS_CLIENT_SECRET"}
    token_basic_auth = True

    def validate(self, number: str) -> bool:
        return ups_valid(number)

    def tracking_url(self, number: str) -> str:
        return f"https://www.ups.com/track?tracknum={number}"

    def base_url(self) -> str:
        return env_url("UPS_BASE_URL", "https://onlinetools.ups.com")

    def token_url(self) -> str:
        return f"{self.base_url()}/security/v1/oauth/token"

    def fetch(
        self, numbers: Iterable[str], *, account: Account | None = None, **context
    ) -> dict[str, bytes]:
        account = self.account(account)
        out = {}
        for number in numbers:
            response = self.authorized(
                "GET",
                f"{self.base_url()}/api/track/v1/details/{number}",
                account,
                params={"locale": "en_US", "returnMilestones": "false"},
                # transId: unique per request (UPS requires it for support tracing).
                headers={"transId": uuid.uuid4().hex, "transactionSrc": "todoku"},
                retries=1,
                not_found_ok=True,  # the 404 body names the reason; parse turns it into NotFound
            )
            out[number] = response.content
        return out

    def parse(self, body: bytes, tracking_number: str) -> TrackingResult:
        data = load_json(body, self.code)
        with shape_guard(self.code):
            errors = (data.get("response") or {}).get("errors")
            if errors:
                raise NotFound(f"ups: {errors[0].get('code')} {errors[0].get('message')}")
            package = self._package(data["trackResponse"]["shipment"], tracking_number)

            def build(activity: dict) -> TrackingEvent | None:
                when = _when(activity)
                if when is None:
                    return None
                st = activity["status"]
                status, sub = classify(st.get("type", ""), st.get("description", ""))
                return TrackingEvent(
                    occurred_at=when,
                    status=status,
                    sub_status=sub,
                    description=st.get("description", "").strip(),
                    location=_location(activity),
                    raw_code=f"{st.get('type', '')}/{st.get('code', '')}",
                )

            events = collect(self.code, package.get("activity"), build)
            dates = {d["type"]: _ymd(d["date"]) for d in package.get("deliveryDate") or []}
            current = package.get("currentStatus") or {}
        status = None
        if "DEL" in dates:
            status = Status.DELIVERED
        edd_day = dates.get("RDD") or dates.get("SDD")
        return result(
            self.code,
            tracking_number,
            events,
            status=status,
            raw_status=current.get("description", ""),
            edd=window(edd_day),
        )

    @staticmethod
    def _package(shipments: list, number: str) -> dict:
        packages = [p for s in shipments for p in s.get("package") or []]
        mine = [p for p in packages if p.get("trackingNumber", "").upper() == number.upper()]
        if mine:
            return newest(mine, _latest)
        if len(packages) == 1:  # inquiry by a shipment number answers with its only package
            return packages[0]
        warnings = [w for s in shipments for w in s.get("warnings") or []]
        raise NotFound(f"ups: {warnings[0].get('message') if warnings else 'no package'}")
