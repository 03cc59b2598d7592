"""Helpers shared by the Japanese scrapers: status tables, year inference, result building.

Everything here is pure (standard library only) so every JP ``parse`` stays pure too. Page
decoding and the tiny DOM live in ``carriers.japan.html``.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..errors import NotFound, ParseFailed
from ..model import DeliveryWindow, TrackingEvent, TrackingResult
from ..status import Status
from .html import nfkc

JST = ZoneInfo("Asia/Tokyo")
log = logging.getLogger("carriers.jp")


def now_jst() -> datetime:
    """The clock used for year inference; tests monkeypatch this one function."""
    return datetime.now(JST)


# --------------------------------------------------------------------------- status tables

#: (substring after NFKC, status, sub_status). Checked in order: most specific first.
Rule = tuple[str, Status, str]

_unknown_seen: set[str] = set()


class NotRegistered(Exception):
    """Marker status: the raw text says "no such number (yet)"."""


def classify(raw: str, rules: tuple[Rule, ...], carrier: str) -> tuple[Status, str]:
    """Map one raw status text by substring; unknown texts are logged once and never guessed."""
    text = nfkc(raw)
    for needle, status, sub in rules:
        if nfkc(needle) in text:
            return status, sub
    key = f"{carrier}:{text}"
    if key not in _unknown_seen:
        _unknown_seen.add(key)
        log.warning("unmapped %s status text %r", carrier, text)
    return Status.UNKNOWN, ""


def not_registered(text: str, markers: tuple[str, ...]) -> bool:
    folded = nfkc(text)
    return any(nfkc(m) in folded for m in markers)


# Statuses shared by every JP carrier; each adapter puts its own specific rows first.
COMMON_RULES: tuple[Rule, ...] = (
    ("配達完了(宅配ボックス)", Status.DELIVERED, "delivery_box"),
    ("宅配ボックス", Status.DELIVERED, "delivery_box"),
    ("差出人に返送済み", Status.RETURNED_TO_SENDER, ""),
    ("返送済", Status.RETURNED_TO_SENDER, ""),
    ("差出人に返送中", Status.RETURNING_TO_SENDER, ""),
    ("返送中", Status.RETURNING_TO_SENDER, ""),
    ("返品", Status.RETURNING_TO_SENDER, ""),
    ("持戻(転居)", Status.EXCEPTION, "moved"),
    ("持戻(ポスト投函不可)", Status.EXCEPTION, "mailbox_unusable"),
    ("宛所不明", Status.EXCEPTION, "address_unknown"),
    ("調査中", Status.EXCEPTION, "investigating"),
    ("営業所へお問い合わせください", Status.EXCEPTION, "contact_office"),
    ("ご来店予定", Status.AVAILABLE_FOR_PICKUP, "held_at_office"),
    ("依頼受付(店頭受取)", Status.AVAILABLE_FOR_PICKUP, "held_at_office"),
    ("依頼受付(日、時間帯変更)", Status.IN_TRANSIT, "delivery_rescheduled"),
    ("持戻", Status.ATTEMPT_FAILED, "recipient_absent"),
    ("持ち戻り", Status.ATTEMPT_FAILED, "recipient_absent"),
    ("ご不在", Status.ATTEMPT_FAILED, "recipient_absent"),
    ("保管", Status.AVAILABLE_FOR_PICKUP, "held_at_office"),
    ("Retention", Status.AVAILABLE_FOR_PICKUP, "held_at_office"),
    ("投函完了", Status.DELIVERED, "mailbox"),
    ("お客様引渡完了", Status.DELIVERED, ""),
    ("引渡完了", Status.DELIVERED, ""),
    ("コンビニエンスストアに引渡", Status.DELIVERED, "picked_up_by_recipient"),
    ("窓口でお渡し", Status.DELIVERED, "picked_up_by_recipient"),
    ("お届け済み", Status.DELIVERED, ""),
    ("配達完了", Status.DELIVERED, ""),
    ("配達は終了", Status.DELIVERED, ""),
    ("Final delivery", Status.DELIVERED, ""),
    ("配達中", Status.OUT_FOR_DELIVERY, ""),
    ("持ち出し中", Status.OUT_FOR_DELIVERY, ""),
    ("Item out for physical delivery", Status.OUT_FOR_DELIVERY, ""),
    ("配達店到着", Status.IN_TRANSIT, "arrived_delivery_office"),
    ("配達局から出発", Status.IN_TRANSIT, "departed"),
    ("発送済み", Status.IN_TRANSIT, "departed"),
    ("輸送中", Status.IN_TRANSIT, ""),
    ("作業店通過", Status.IN_TRANSIT, "arrived_hub"),
    ("配達希望受付", Status.IN_TRANSIT, "delivery_rescheduled"),
    ("通関", Status.IN_TRANSIT, "customs"),
    ("税関", Status.IN_TRANSIT, "customs"),
    ("国際交換局", Status.IN_TRANSIT, "customs"),
    ("Customs", Status.IN_TRANSIT, "customs"),
    ("office of exchange", Status.IN_TRANSIT, "arrived_hub"),
    ("Processing at delivery Post Office", Status.IN_TRANSIT, "arrived_delivery_office"),
    ("中継", Status.IN_TRANSIT, "arrived_hub"),
    ("通過", Status.IN_TRANSIT, "arrived_hub"),
    ("到着", Status.IN_TRANSIT, "arrived_delivery_office"),
    ("転送", Status.IN_TRANSIT, "forwarded"),
    ("荷物受付", Status.IN_TRANSIT, "picked_up"),
    ("集荷", Status.IN_TRANSIT, "picked_up"),
    ("引受", Status.IN_TRANSIT, "picked_up"),
    ("Posting/Collection", Status.IN_TRANSIT, "picked_up"),
    ("発送", Status.IN_TRANSIT, "picked_up"),
    ("出荷指示", Status.INFO_RECEIVED, ""),
    ("伝票発行", Status.INFO_RECEIVED, ""),
    ("依頼受付", Status.INFO_RECEIVED, ""),
)

#: Texts meaning "no such number (yet)": raise NotFound, the sync layer shows ``pending``.
NOT_FOUND_MARKERS = (
    "伝票番号未登録",
    "伝票番号誤り",
    "該当なし",
    "データは登録されておりません",  # Sagawa: お問い合わせのデータは登録されておりません。
    "お荷物データが登録されておりません",
    "お確かめ下さい",  # Sagawa: お問い合わせNo.をお確かめ下さい。 (malformed number)
    "見当りません",
    "見当たりません",
)


# --------------------------------------------------------------------------- dates

_MD_TIME = re.compile(r"(\d{1,2})\s*[月/]\s*(\d{1,2})\s*日?(?:\s*(\d{1,2}):(\d{2}))?")
_YMD_TIME = re.compile(
    r"(\d{4})\s*[年/]\s*(\d{1,2})\s*[月/]\s*(\d{1,2})\s*日?(?:\s*(\d{1,2}):(\d{2}))?"
)


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


# --------------------------------------------------------------------------- result


def build_result(
    carrier: str,
    number: str,
    events: list[TrackingEvent],
    estimated: DeliveryWindow | None = None,
    summary: str = "",
) -> TrackingResult:
    """Sort newest first and derive the summary fields from the latest event."""
    if not events:
        raise ParseFailed(f"{carrier}: page for {number} has no events")
    # Stable sort: pages list oldest first, so equal timestamps keep page order reversed.
    ordered = sorted(enumerate(events), key=lambda p: (p[1].occurred_at, p[0]), reverse=True)
    events = [e for _, e in ordered]
    latest = events[0]
    delivered = latest.status is Status.DELIVERED
    return TrackingResult(
        carrier=carrier,
        tracking_number=number,
        status=latest.status,
        sub_status=latest.sub_status,
        events=events,
        estimated_delivery=None if delivered else estimated,
        delivered_at=latest.occurred_at if delivered else None,
        raw_status=summary or latest.raw_code,
    )


def raise_not_found(carrier: str, number: str) -> None:
    raise NotFound(f"{carrier}: {number} not registered (yet)")
