"""Sagawa Express (佐川急便) 飛脚宅配便.

Source: GET the public 送り状 search page. ``span.state`` is the summary; ``dd#detail1`` holds
the shipment table (出荷日 with a year) and the event table (status prefixed by arrows, "MM/dd
HH:mm", office). Layout per reference §1.4, documentation-built.
"""

from __future__ import annotations

from datetime import datetime

from ..errors import ParseFailed
from ..model import DeliveryChange, TrackingEvent, TrackingResult
from ..numbers import mod7_valid
from ..parsing import collect
from .base import JapaneseAdapter
from .dates import JST, delivery_window, has_clock, parse_jp_datetime
from .html import Node, cells, labelled_value, rows
from .rules import NOT_FOUND_MARKERS, Rule, not_registered, raise_not_found

# Sagawa-only rows; most specific first, then the shared JP table.
# Every Sagawa text (営業所へお問い合わせください, 持戻り, 保管中, …) maps through COMMON_RULES
# as it is; rows here would only repeat it. Add one when Sagawa words something differently.
RULES: tuple[Rule, ...] = ()
# 「↓」 marks a completed step, 「⇒」 the current one: decoration, not status text.
_ARROWS = "↓⇒→▼"


class SagawaAdapter(JapaneseAdapter):
    code = "sagawa"
    names = {"ja": "佐川急便", "en": "Sagawa Express"}
    rules = RULES

    def validate(self, number: str) -> bool:
        # 12 digits + mod 7 is verified; 10/11-digit numbers are a single-source claim [?]
        # without a known check digit, so we do not accept them (see docs/carriers-japan.md).
        return mod7_valid(number)

    def tracking_url(self, number: str) -> str:
        return f"https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={number}"

    def redelivery_url(self, number: str) -> str | None:
        # The tracking result page carries the 再配達 button for parcels held after an attempt
        # [?: no stable deep link to the redelivery form found].
        return self.tracking_url(number)

    def delivery_change(self, number: str) -> DeliveryChange:
        # Reference channels-and-privacy.md §C: with スマートクラブ the day and time change before
        # the first attempt; a pickup point or office only after a 不在連絡票 (a redelivery).
        # The parcel's result page is where the change starts [?: no deep link to the form].
        return DeliveryChange(
            url=self.tracking_url(number),
            number_filled=True,
            membership={"ja": "スマートクラブ", "en": "Sagawa Smart Club"},
            changes=("day", "time"),
        )

    def _parse_page(self, root: Node, number: str) -> TrackingResult:
        state = root.find("span", "state")
        if state is None:
            raise ParseFailed("sagawa: no span.state (layout changed?)")
        # The reference describes dd#detail1; another scraper reads #detail-1. Accept both.
        detail = root.find(id_="detail1") or root.find(id_="detail-1")
        detail_text = detail.text() if detail is not None else ""
        if not_registered(state.text() + " " + detail_text, NOT_FOUND_MARKERS):
            raise_not_found(self.code, number)
        if detail is None:
            raise ParseFailed("sagawa: no #detail1 / #detail-1 (layout changed?)")
        tables = detail.find_all("table")
        if len(tables) < 2:
            raise ParseFailed(f"sagawa: dd#detail1 has {len(tables)} table(s), expected 2")
        shipped = labelled_value(tables[0], "出荷日")
        shipped_at = parse_jp_datetime(shipped) if shipped else None

        def build(row: Node) -> TrackingEvent | None:
            values = cells(row)
            raw = values[0].strip(_ARROWS + " ")
            status, sub = self.classify(raw)
            return TrackingEvent(
                occurred_at=_event_time(values[1], shipped_at),
                date_only=not has_clock(values[1]),
                status=status,
                sub_status=sub,
                description=raw,
                location=values[2],
                raw_code=raw,
            )

        event_rows = [
            r for r in rows(tables[1]) if len(cells(r)) >= 3 and r.find("th") is None
        ]  # header rows out; one row with an unreadable date is skipped and logged
        events = collect(self.code, event_rows, build)
        edd_text = labelled_value(tables[0], "お届け予定日")
        edd = delivery_window(edd_text) if edd_text else None
        return self.page_result(number, events, edd, state.text(), self.told_pickup(detail))


def _event_time(text: str, shipped_at: datetime | None) -> datetime:
    """Events show "MM/dd HH:mm": take the year from 出荷日 (next year if the event's month
    is before the shipping month, i.e. the parcel crossed New Year)."""
    if shipped_at is None:
        return parse_jp_datetime(text)
    when = parse_jp_datetime(f"{shipped_at.year}/{text}")
    if when.month < shipped_at.month:
        when = when.replace(year=shipped_at.year + 1)
    return when.astimezone(JST)
