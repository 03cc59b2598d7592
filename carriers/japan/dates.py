"""Dates on Japanese tracking pages: the JST clock, year inference, date/time and delivery-slot
parsing.

Pure (standard library only). Pages often omit the year; ``now_jst`` is the one clock the
inference reads, so tests pin it by replacing this module's ``now_jst``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..errors import ParseFailed
from ..model import DeliveryWindow
from .html import nfkc

JST = ZoneInfo("Asia/Tokyo")


def now_jst() -> datetime:
    """The clock used for year inference; tests monkeypatch this one function."""
    return datetime.now(JST)


_MD_TIME = re.compile(r"(\d{1,2})\s*[月/]\s*(\d{1,2})\s*日?(?:\s*(\d{1,2}):(\d{2}))?")
_YMD_TIME = re.compile(
    r"(\d{4})\s*[年/]\s*(\d{1,2})\s*[月/]\s*(\d{1,2})\s*日?(?:\s*(\d{1,2}):(\d{2}))?"
)


_CLOCK = re.compile(r"\d{1,2}:\d{2}")


def has_clock(text: str) -> bool:
    """Does a date cell carry a time of day ("11月20日 09:15"), or only the day ("11月20日")?"""
    return bool(_CLOCK.search(nfkc(text)))


def infer_year(month: int, day: int, now: datetime | None = None) -> int:
    """JP pages omit the year: take the current JST year, minus one when that date would lie
    more than a day in the future (a December event read in January)."""
    now = (now or now_jst()).astimezone(JST)
    year = now.year
    try:
        candidate = date(year, month, day)
    except ValueError:
        # 29 Feb seen in a non-leap year can only be last year's... or invalid.
        return year - 1
    if candidate > now.date() + timedelta(days=1):
        return year - 1
    return year


def infer_future_year(month: int, day: int, now: datetime | None = None) -> int:
    """For promised dates (お届け予定): the year that puts the date nearest to today, so a
    "1月3日" promise read on 30 December lands next year."""
    now = (now or now_jst()).astimezone(JST)
    today = now.date()
    candidates = []
    for year in (now.year - 1, now.year, now.year + 1):
        try:
            candidates.append((abs((date(year, month, day) - today).days), year))
        except ValueError:
            continue
    if not candidates:
        raise ParseFailed(f"impossible date {month}/{day}")
    return min(candidates)[1]


def parse_jp_datetime(text: str, now: datetime | None = None, *, future: bool = False) -> datetime:
    """Parse "2026/11/20 09:15", "11月20日 09:15", "11/20 09:15" or a bare date (aware, JST).
    ``future`` picks the year for a promised date instead of a past event."""
    folded = nfkc(text)
    try:
        m = _YMD_TIME.search(folded)
        if m:
            year, month, day = int(m[1]), int(m[2]), int(m[3])
            hour, minute = (int(m[4]), int(m[5])) if m[4] else (0, 0)
            return datetime(year, month, day, hour, minute, tzinfo=JST)
        m = _MD_TIME.search(folded)
        if m:
            month, day = int(m[1]), int(m[2])
            hour, minute = (int(m[3]), int(m[4])) if m[3] else (0, 0)
            year = (infer_future_year if future else infer_year)(month, day, now)
            return datetime(year, month, day, hour, minute, tzinfo=JST)
    except ValueError as exc:
        raise ParseFailed(f"impossible date {text!r}: {exc}") from exc
    raise ParseFailed(f"no date in {text!r}")


def delivery_window(text: str, now: datetime | None = None) -> DeliveryWindow | None:
    """An お届け予定日時 cell: "11月24日 14:00-16:00", "11月24日 午前中" or just a date."""
    folded = nfkc(text)
    if not _MD_TIME.search(folded):
        return None
    start = parse_jp_datetime(folded.split(" ")[0], now, future=True)
    slot = re.search(r"(\d{1,2})(?::\d{2}|時)?\s*[-~〜]\s*(\d{1,2})", folded)
    if slot:
        lo, hi = int(slot[1]), int(slot[2])
        return DeliveryWindow(start.replace(hour=lo), start.replace(hour=min(hi, 23)))
    if "午前" in folded:
        return DeliveryWindow(start.replace(hour=8), start.replace(hour=12))
    return DeliveryWindow(start.date(), start.date())
