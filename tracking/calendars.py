"""Business calendars: on which days a carrier's service delivers, and on which days a shop ships.

Holidays come from libraries, never typed in: ``jpholiday`` (Cabinet Office data, includes
振替休日) for Japan and ``holidays`` for the US and other countries. Carriers deliver on days the
shop is closed, so delivery and shipping calendars are separate objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays as holidays_lib
import jpholiday

# US parcel carriers close on these federal holidays only (they work Columbus and Veterans Day);
# matched against the names the ``holidays`` package gives, so no date is typed here.
US_PARCEL_HOLIDAYS = (
    "New Year's Day",
    "Memorial Day",
    "Independence Day",
    "Labor Day",
    "Thanksgiving Day",
    "Christmas Day",
)


@lru_cache(maxsize=64)
def _holiday_dates(country: str, year: int, only: tuple[str, ...] = ()) -> frozenset[date]:
    if country == "JP":
        return frozenset(d for d, _name in jpholiday.year_holidays(year))
    try:
        table = holidays_lib.country_holidays(country, years=year)
    except NotImplementedError:  # a country the holidays package does not know: none known
        return frozenset()
    return frozenset(
        d for d, name in table.items() if not only or any(name.startswith(n) for n in only)
    )


def is_public_holiday(day: date, country: str = "JP", only: tuple[str, ...] = ()) -> bool:
    return day in _holiday_dates(country, day.year, only)


def _in_closure(day: date, closure: tuple[tuple[int, int], tuple[int, int]] | None) -> bool:
    """``closure`` is ((month, day), (month, day)) and may wrap the year: ((12, 29), (1, 3))."""
    if closure is None:
        return False
    (m1, d1), (m2, d2) = closure
    key, start, end = (day.month, day.day), (m1, d1), (m2, d2)
    if start <= end:
        return start <= key <= end
    return key >= start or key <= end


@dataclass(frozen=True)
class Calendar:
    """Which days count. ``weekdays``: Monday=0 … Sunday=6."""

    name: str
    weekdays: frozenset[int] = frozenset(range(7))
    country: str = "JP"
    skip_holidays: bool = False
    # Only these named holidays close it (empty: all of the country's holidays).
    holiday_names: tuple[str, ...] = ()
    # A yearly closure such as 年末年始, as ((month, day), (month, day)).
    closure: tuple[tuple[int, int], tuple[int, int]] | None = None
    extra_closed: frozenset[date] = field(default_factory=frozenset)

    def is_open(self, day: date) -> bool:
        if day.weekday() not in self.weekdays or day in self.extra_closed:
            return False
        if _in_closure(day, self.closure):
            return False
        return not (self.skip_holidays and is_public_holiday(day, self.country, self.holiday_names))

    def next_open(self, day: date) -> date:
        """``day`` itself when open, else the next open day."""
        for _ in range(400):
            if self.is_open(day):
                return day
            day += timedelta(days=1)
        raise ValueError(f"calendar {self.name!r} has no open day within a year")

    def add(self, day: date, n: int) -> date:
        """The ``n``-th open day after ``day`` (n=0: ``day`` if open, else the next open day)."""
        if n <= 0:
            return self.next_open(day)
        for _ in range(n):
            day = self.next_open(day + timedelta(days=1))
        return day

    def count(self, start: date, end: date) -> int:
        """Open days in (start, end]: the transit days between handing over and delivery."""
        if end <= start:
            return 0
        return sum(
            1 for i in range(1, (end - start).days + 1) if self.is_open(start + timedelta(i))
        )


EVERY_DAY = Calendar("every_day")
# 普通郵便・ゆうメール・クリックポスト: no delivery on Saturdays, Sundays and holidays (since
# 2021-10), nor on 1–3 January apart from 年賀状.
JP_ORDINARY_MAIL = Calendar(
    "jp_ordinary_mail",
    weekdays=frozenset(range(5)),
    skip_holidays=True,
    closure=((1, 1), (1, 3)),
)
US_PARCEL = Calendar(
    "us_parcel",
    weekdays=frozenset(range(6)),
    country="US",
    skip_holidays=True,
    holiday_names=US_PARCEL_HOLIDAYS,
)
US_POSTAL = Calendar("us_postal", weekdays=frozenset(range(6)), country="US", skip_holidays=True)

# Japanese services delivered like letters, whatever the carrier calls them.
_ORDINARY_MAIL_SERVICES = ("定形", "定形外", "ゆうメール", "クリックポスト", "ordinary", "mail")


def delivery_calendar(carrier: str, service: str = "", country: str = "JP") -> Calendar:
    """The days on which ``carrier``'s ``service`` delivers in ``country``.

    Yamato, Sagawa and ゆうパック/ゆうパケット deliver every day, 年末年始 included; Japanese
    ordinary mail skips weekends, holidays and 1–3 January; US carriers skip Sundays and their
    holidays; elsewhere express carriers deliver on the destination's working days.
    """
    if country == "JP":
        if carrier == "japanpost" and any(s in service for s in _ORDINARY_MAIL_SERVICES):
            return JP_ORDINARY_MAIL
        return EVERY_DAY
    if country == "US":
        return US_POSTAL if carrier == "usps" else US_PARCEL
    return _working_days(country)


@lru_cache(maxsize=32)
def _working_days(country: str) -> Calendar:
    return Calendar(f"working_days_{country}", frozenset(range(5)), country, skip_holidays=True)


def shipping_calendar(
    country: str,
    weekdays: frozenset[int],
    closure: tuple[tuple[int, int], tuple[int, int]] | None,
    skip_holidays: bool = True,
) -> Calendar:
    """The shop's dispatch days: its working weekdays, minus public holidays and its closure."""
    return Calendar(
        f"shop_{country}", weekdays, country, skip_holidays=skip_holidays, closure=closure
    )
