"""FedEx Track API (``POST /track/v1/trackingnumbers``), OAuth client credentials.

Scan times are ISO 8601 with the scan location's offset; one without is read in the scan
location's zone (single-zone countries), else FedEx's home zone (America/Chicago, Memphis); a
scan without a date is skipped and logged. A reused number answered with several
``trackResults``: the one with the newest scan. EDD: ``estimatedDeliveryTimeWindow``,
else ``standardTransitTimeWindow``, else ``dateAndTimes[ESTIMATED_DELIVERY]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from .account import Account
from .base import Adapter
from .errors import NotFound, ProviderError
from .json_api import chunks, env_url, iso, iso_date, load_json, place, window
from .model import TrackingEvent, TrackingResult
from .numbers import fedex_valid
from .oauth import OAuthMixin
from .parsing import collect, country_zone, newest, result, shape_guard, unknown
from .status import Status

_T, _I, _O = Status.IN_TRANSIT, Status.INFO_RECEIVED, Status.OUT_FOR_DELIVERY

# derivedStatusCode / eventType -> status (FedEx "Tracking Status Codes" table, reference §2.2).
CODES: dict[str, Status] = {
    **dict.fromkeys(("OC", "OX", "EP"), _I),
    **dict.fromkeys(
        [
            "PU",
            "PX",
            "AP",
            "IT",
            "IX",
            "AR",
            "AF",
            "DP",
            "LO",
            "SF",
            "FD",
            "OF",
            "AA",
            "EA",
            "EO",
            "PL",
            "PF",
            "TR",
            "CC",
            "CP",
            "AO",
            "OW",
            "AC",
            "AX",
            "PM",
        ],
        _T,
    ),
    **dict.fromkeys(("OD", "ED", "AD"), _O),
    **dict.fromkeys(("HL", "HP"), Status.AVAILABLE_FOR_PICKUP),
    "DL": Status.DELIVERED,
    **dict.fromkeys(("DY", "DD", "PD", "CD"), Status.DELAYED),
    # SE and DE are not here: classify splits them by the exception code (ATTEMPT_EXCEPTIONS).
    "RS": Status.RETURNING_TO_SENDER,
    "CA": Status.CANCELLED,
}
SUB: dict[str, str] = {"PU": "picked_up", "PX": "picked_up", "DP": "departed", "LO": "departed"}
SUB |= dict.fromkeys(("AR", "AF", "SF", "FD", "OF"), "arrived_hub")
SUB |= dict.fromkeys(("CC", "CP"), "customs")

# DE/SE exception codes that mean "tried, nobody there" rather than a problem with the parcel.
# "08" = recipient not available / business closed [?: one secondary source, verify live].
ATTEMPT_EXCEPTIONS = frozenset({"08"})
ATTEMPT_WORDS = ("NOT AVAILABLE", "BUSINESS CLOSED", "NO ONE AVAILABLE", "DELIVERY ATTEMPT")
NOT_FOUND_CODES = ("TRACKING.TRACKINGNUMBER.NOTFOUND", "TRACKING.TRACKINGNUMBER.INVALID")


def classify(code: str, exception_code: str = "", exception_text: str = "") -> tuple[Status, str]:
    code = code.upper()
    if code in ("DE", "SE"):
        text = exception_text.upper()
        if exception_code in ATTEMPT_EXCEPTIONS or any(w in text for w in ATTEMPT_WORDS):
            return Status.ATTEMPT_FAILED, exception_code
        return Status.EXCEPTION, exception_code
    if code in CODES:
        return CODES[code], SUB.get(code, "")
    return unknown("fedex", code, exception_text), ""


HOME_ZONE = ZoneInfo("America/Chicago")


def _when(scan: dict) -> datetime | None:
    if not scan.get("date"):
        return None
    zone = country_zone((scan.get("scanLocation") or {}).get("countryCode")) or HOME_ZONE
    return iso(scan["date"], default=zone)


def _latest(track: dict):
    times = []
    for scan in track.get("scanEvents") or []:
        try:
            when = _when(scan)
        except (ValueError, TypeError, AttributeError):
            continue
        if when:
            times.append(when)
    return max(times, default=None)


def _location(scan: dict) -> str:
    loc = scan.get("scanLocation") or {}
    return place(loc.get("city"), loc.get("stateOrProvinceCode"), loc.get("countryCode"))


def _edd(track: dict):
    for key in ("estimatedDeliveryTimeWindow", "standardTransitTimeWindow"):
        span = (track.get(key) or {}).get("window") or {}
        if span.get("begins") or span.get("ends"):
            return window(iso_date(span.get("begins")), iso_date(span.get("ends")))
    for item in track.get("dateAndTimes") or []:
        if item.get("type") == "ESTIMATED_DELIVERY":
            return window(iso_date(item.get("dateTime")))
    return None


class FedExAdapter(OAuthMixin, Adapter):
    code = "fedex"
    names = {"en": "FedEx", "ja": "FedEx（フェデックス）"}
    batch_size = 30  # the Track API's documented maximum per request
    credential_env = {"client_id": "FEDEX_CLIENT_ID", "client_secret": "FEDEX_CLIENT_SECRET"}

    def validate(self, number: str) -> bool:
        return fedex_valid(number)

    def tracking_url(self, number: str) -> str:
        return f"https://www.fedex.com/fedextrack/?trknbr={number}"

    def base_url(self) -> str:
        return env_url("FEDEX_BASE_URL", "https://apis.fedex.com")

    def token_url(self) -> str:
        return f"{self.base_url()}/oauth/token"

    def fetch(
        self, numbers: Iterable[str], *, account: Account | None = None, **context
    ) -> dict[str, bytes]:
        account = self.account(account)
        out: dict[str, bytes] = {}
        for batch in chunks(list(numbers), self.batch_size):
            payload = {
                "includeDetailedScans": True,
                "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": n}} for n in batch],
            }
            # A POST, but a read: FedEx documents it as safe to repeat, so one retry is fine.
            response = self.authorized(
                "POST",
                f"{self.base_url()}/track/v1/trackingnumbers",
                account,
                data=json.dumps(payload),
                headers={"Content-Type": "application/json", "X-locale": "en_US"},
                retries=1,
            )
            # One body answers the whole batch; parse picks each number out of it.
            out.update(dict.fromkeys(batch, response.content))
        return out

    def parse(self, body: bytes, tracking_number: str) -> TrackingResult:
        data = load_json(body, self.code)
        with shape_guard(self.code):
            track = self._track(data["output"]["completeTrackResults"], tracking_number)
            error = track.get("error") or {}
            if error.get("code") in NOT_FOUND_CODES:
                raise NotFound(f"fedex: {error['code']}")
            if error:
                raise ProviderError(f"fedex: error {error.get('code')} {error.get('message', '')}")

            def build(scan: dict) -> TrackingEvent | None:
                when = _when(scan)
                if when is None:
                    return None
                code = scan.get("derivedStatusCode") or scan.get("eventType", "")
                text = scan.get("exceptionDescription") or scan.get("eventDescription", "")
                status, sub = classify(code, scan.get("exceptionCode", ""), text)
                return TrackingEvent(
                    occurred_at=when,
                    status=status,
                    sub_status=sub,
                    description=scan.get("eventDescription", ""),
                    location=_location(scan),
                    raw_code=scan.get("eventType", code),
                )

            events = collect(self.code, track.get("scanEvents"), build)
            latest = track.get("latestStatusDetail") or {}
            ancillary = (latest.get("ancillaryDetails") or [{}])[0]
            status = None
            if latest.get("derivedCode") or latest.get("code"):
                status, _ = classify(
                    latest.get("derivedCode") or latest["code"],
                    ancillary.get("reason", ""),
                    ancillary.get("reasonDescription", ""),
                )
            delivered = next(
                (
                    iso(d["dateTime"])
                    for d in track.get("dateAndTimes") or []
                    if d.get("type") == "ACTUAL_DELIVERY"
                ),
                None,
            )
            edd = _edd(track)
        return result(
            self.code,
            tracking_number,
            events,
            status=status,
            raw_status=latest.get("description", ""),
            edd=edd,
            delivered_at=delivered,
        )

    @staticmethod
    def _track(complete: list, number: str) -> dict:
        for entry in complete:
            if entry.get("trackingNumber") == number:
                results = entry.get("trackResults") or []
                if not results:
                    raise NotFound(f"fedex: no results for {number}")
                return newest(results, _latest)
        raise NotFound(f"fedex: {number} not in the answer")
