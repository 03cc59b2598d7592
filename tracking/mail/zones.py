"""Whose clock a mail keeps: quiet hours and the end of the delivery day are read in the
*customer's* time zone, not the server's or (for a customer abroad) the shop's.

The zone: Japan's for an order shipped to Japan (country ``JP``, or no country and a Japanese
postcode, seven digits); the zone of the order's country when the country has one (or one zone
where most of its people live, for the few countries that span several); otherwise the brand's
``timezone``. An order's country is ISO 3166-1 alpha-2, "" when unknown."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tracking.brands.brand import Brand
from tracking.orders.models import Order
from tracking.timeutil import as_utc

JAPAN = "Asia/Tokyo"
#: Country → zone. Countries spanning zones get the one most of their people live in (the US:
#: New York, so a west-coast customer is mailed at 05:00 at the earliest, never at night).
COUNTRY_ZONES = {
    "JP": JAPAN,
    "KR": "Asia/Seoul",
    "CN": "Asia/Shanghai",
    "TW": "Asia/Taipei",
    "HK": "Asia/Hong_Kong",
    "MO": "Asia/Macau",
    "SG": "Asia/Singapore",
    "MY": "Asia/Kuala_Lumpur",
    "TH": "Asia/Bangkok",
    "VN": "Asia/Ho_Chi_Minh",
    "PH": "Asia/Manila",
    "ID": "Asia/Jakarta",
    "IN": "Asia/Kolkata",
    "AU": "Australia/Sydney",
    "NZ": "Pacific/Auckland",
    "US": "America/New_York",
    "CA": "America/Toronto",
    "MX": "America/Mexico_City",
    "BR": "America/Sao_Paulo",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "FR": "Europe/Paris",
    "DE": "Europe/Berlin",
    "IT": "Europe/Rome",
    "ES": "Europe/Madrid",
    "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels",
    "CH": "Europe/Zurich",
    "AT": "Europe/Vienna",
    "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo",
    "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
}
_JAPANESE_POSTCODE = re.compile(r"\d{3}-?\d{4}")


def zone_for(brand: Brand, order: Order | None = None) -> ZoneInfo:
    """The customer's time zone for ``order`` (the brand's without one)."""
    if order is not None:
        country = (order.country or "").upper()
        if country in COUNTRY_ZONES:
            return ZoneInfo(COUNTRY_ZONES[country])
        if not country and _JAPANESE_POSTCODE.fullmatch(order.postcode or ""):
            return ZoneInfo(JAPAN)
    return brand.tz


def inside(start: time, end: time, t: time) -> bool:
    """Is clock time ``t`` in the window ``start``–``end`` (which may cross midnight)?"""
    if start < end:
        return start <= t < end
    return t >= start or t < end  # across midnight, e.g. 21:00–08:00


def after_quiet(start: time, end: time, tz: ZoneInfo, when: datetime) -> datetime:
    """``when``, or the next ``end`` in ``tz`` if ``when`` falls in ``start``–``end`` there."""
    local = as_utc(when).astimezone(tz)
    if not inside(start, end, local.time().replace(tzinfo=None)):
        return when
    out = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if out <= local:
        out += timedelta(days=1)
    return out.astimezone(as_utc(when).tzinfo)


def day_end(end: time, tz: ZoneInfo, when: datetime) -> datetime:
    """``end`` o'clock in ``tz`` on the local day of ``when`` (may be before ``when``)."""
    local = as_utc(when).astimezone(tz)
    out = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return out.astimezone(as_utc(when).tzinfo)
