"""The range of a brand's local days the figures cover, and how they round a rate.

Days are the brand's local days. SQLite knows no time zones, so the day of a timestamp is found
with a CASE over the range's local midnights converted to UTC (correct across DST changes, the
same SQL on SQLite and PostgreSQL); ranges are capped at ``figures.MAX_DAYS`` so the CASE stays
short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import and_, case, literal

from tracking.dashboard.orders import local_midnight_utc


@dataclass(frozen=True)
class Range:
    start: date
    end: date  # inclusive
    tz: tzinfo

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def lo(self) -> datetime:
        return local_midnight_utc(self.start, self.tz)

    @property
    def hi(self) -> datetime:
        return local_midnight_utc(self.end + timedelta(days=1), self.tz)

    def within(self, column):
        return and_(column >= self.lo, column < self.hi)

    def day_of(self, column):
        """SQL: the local day (ISO string) of a timestamp inside the range."""
        bounds = [local_midnight_utc(d + timedelta(days=1), self.tz) for d in self.days]
        return case(
            *[(column < b, literal(d.isoformat())) for d, b in zip(self.days, bounds, strict=True)],
            else_=literal(""),
        )


def ratio(part: int, whole: int) -> float | None:
    """``part / whole`` rounded for the figures' rates; None when there is no whole."""
    return round(part / whole, 4) if whole else None
