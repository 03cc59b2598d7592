"""Which zone a carrier's local time is in, when the carrier does not say.

Most answers carry an offset (``2026-12-03T10:15:00+01:00``). Some do not: DHL's unified API
often sends ``"timestamp": "2026-12-03T10:15:00"`` with a location that has no
``countryCode``, AfterShip documents ``checkpoint_time`` as "YYYY-MM-DDTHH:MM:SS" with or
without the offset. Such a time is the local time where the scan happened, so it is read, in
this order, in the zone of:

1. the event's own country (its country code, or the country named in the locality text,
   DHL's "LEIPZIG - GERMANY"), when that country has a single zone: exact;
2. the shipment's destination country, then its origin country (the scans a customer reads
   first, out for delivery and delivered, happen at the destination);
3. the carrier's home zone (DHL Europe/Berlin, Yamato Asia/Tokyo …), given by the adapter;
4. UTC, as a last resort.

Steps 2–4 are guesses: the event is kept and marked ``approximate_time`` (right to within a
few hours), never dropped, so a whole answer is never lost because its times lack an offset.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

# Single-zone countries: ISO 3166 alpha-2, alpha-3 and the English names carriers print in
# locality texts ("TOKYO - JAPAN"), upper case.
_ZONES = {
    ("JP", "JPN", "JAPAN"): "Asia/Tokyo",
    ("KR", "KOR", "KOREA", "SOUTH KOREA", "KOREA, REPUBLIC OF"): "Asia/Seoul",
    ("CN", "CHN", "CHINA", "CHINA MAINLAND", "CHINA, PEOPLES REPUBLIC"): "Asia/Shanghai",
    ("TW", "TWN", "TAIWAN"): "Asia/Taipei",
    ("HK", "HKG", "HONG KONG", "HONG KONG SAR, CHINA"): "Asia/Hong_Kong",
    ("SG", "SGP", "SINGAPORE"): "Asia/Singapore",
    ("TH", "THA", "THAILAND"): "Asia/Bangkok",
    ("VN", "VNM", "VIETNAM", "VIET NAM"): "Asia/Ho_Chi_Minh",
    ("PH", "PHL", "PHILIPPINES", "PHILIPPINES, THE"): "Asia/Manila",
    ("IN", "IND", "INDIA"): "Asia/Kolkata",
    ("GB", "GBR", "UNITED KINGDOM", "GREAT BRITAIN", "UK"): "Europe/London",
    ("IE", "IRL", "IRELAND", "IRELAND, REPUBLIC OF"): "Europe/Dublin",
    ("DE", "DEU", "GERMANY"): "Europe/Berlin",
    ("FR", "FRA", "FRANCE"): "Europe/Paris",
    ("NL", "NLD", "NETHERLANDS", "NETHERLANDS, THE"): "Europe/Amsterdam",
    ("BE", "BEL", "BELGIUM"): "Europe/Brussels",
    ("IT", "ITA", "ITALY"): "Europe/Rome",
    ("CH", "CHE", "SWITZERLAND"): "Europe/Zurich",
    ("AT", "AUT", "AUSTRIA"): "Europe/Vienna",
    ("PL", "POL", "POLAND"): "Europe/Warsaw",
    ("SE", "SWE", "SWEDEN"): "Europe/Stockholm",
    ("DK", "DNK", "DENMARK"): "Europe/Copenhagen",
    ("CZ", "CZE", "CZECH REPUBLIC", "CZECHIA", "CZECH REPUBLIC, THE"): "Europe/Prague",
}
COUNTRY_ZONES: dict[str, ZoneInfo] = {}
for _codes, _zone in _ZONES.items():
    for _code in _codes:
        COUNTRY_ZONES[_code] = ZoneInfo(_zone)


def country_zone(code: str | None) -> tzinfo | None:
    """The zone of a single-zone country (``JP``/``JPN``/``JAPAN``), else None."""
    if not isinstance(code, str):
        return None
    return COUNTRY_ZONES.get(" ".join(code.split()).upper())


# "LEIPZIG - GERMANY", "HONG KONG - HONG KONG", "Tokyo, Japan": the country is the last part.
_LAST_PART = re.compile(r"(?:\s-\s|,\s*)([^,]+?)\s*$")


def locality_zone(text: str | None) -> tzinfo | None:
    """The zone of the country a locality text ends with, when it names one we know."""
    if not isinstance(text, str):
        return None
    m = _LAST_PART.search(text)
    # Names only: a two-letter tail is more often a state ("Indianapolis, IN") than a country.
    return country_zone(m[1]) if m and len(m[1]) > 3 else None


def local_time(value: str, own: tzinfo | None, *guesses: tzinfo | None) -> tuple[datetime, bool]:
    """ISO 8601 (``Z`` accepted) → (aware datetime, approximate). A time with an offset is
    exact; one without is read in ``own`` (the event's own place: exact too), else in the
    first of ``guesses`` given (destination, origin, carrier home), else UTC; those are
    approximate. A value that is not ISO 8601 at all is a ValueError (the caller's event is
    skipped and logged)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        return parsed, False
    if own is not None:
        return parsed.replace(tzinfo=own), False
    zone = next((z for z in guesses if z is not None), UTC)
    return parsed.replace(tzinfo=zone), True
