"""Fukuyama Transporting (福山通運) フクツー便.

Source: GET the public 問合せ番号 page (Shift_JIS). The first ``tr.address_content`` holds
[No, 発送日, 更新日, 現在状況, 備考]: the current status only, so a result has one event.
Errors show in ``.errormessage`` / ``.errmsg``. Layout per reference §1.4, documentation-built.
"""

from __future__ import annotations

import re

from ..errors import ParseFailed
from ..model import TrackingEvent, TrackingResult
from ..status import Status
from .base import JapaneseAdapter
from .dates import delivery_window, has_clock, parse_jp_datetime
from .html import Node, cells, nfkc
from .rules import NOT_FOUND_MARKERS, not_registered, raise_not_found

# Only what COMMON_RULES does not cover (it has お届け済み); 店頭保管 maps there (保管) the same.
RULES = (("お届け済", Status.DELIVERED, ""),)
# 「該当データはありません。」 is what another public scraper treats as not registered.
_NOT_FOUND = (*NOT_FOUND_MARKERS, "該当データはありません", "該当するデータがありません")
# Column positions in tr.address_content (No, 発送日, 更新日, 現在状況, 備考).
_SHIPPED, _UPDATED, _STATUS, _NOTE = 1, 2, 3, 4
_HAS_DATE = re.compile(r"\d{1,2}\s*[/月]\s*\d{1,2}")


class FukuyamaAdapter(JapaneseAdapter):
    code = "fukuyama"
    names = {"ja": "福山通運", "en": "Fukuyama Transporting"}
    encoding = "cp932"  # Shift_JIS as browsers read it (see html._ALIASES)
    rules = RULES

    def validate(self, number: str) -> bool:
        # Format only: no published check digit; 11- and 12-digit numbers are seen [?].
        return len(number) in (11, 12) and number.isdigit()

    def tracking_url(self, number: str) -> str:
        return f"https://corp.fukutsu.co.jp/situation/tracking_no_hunt/{number}"

    def _parse_page(self, root: Node, number: str) -> TrackingResult:
        for cls in ("errormessage", "errmsg"):
            error = root.find(cls=cls)
            if error is not None and error.text():
                if not_registered(error.text(), _NOT_FOUND):
                    raise_not_found(self.code, number)
                raise ParseFailed(f"fukuyama: error shown: {error.text()[:80]!r}")
        row = root.find("tr", "address_content")
        if row is None and not_registered(root.text(), _NOT_FOUND):
            raise_not_found(self.code, number)
        if row is None:
            raise ParseFailed("fukuyama: no tr.address_content (layout changed?)")
        values = cells(row)
        if len(values) <= _NOTE:
            raise ParseFailed(f"fukuyama: address_content has {len(values)} cells, expected 5")
        raw = values[_STATUS]
        status, sub = self.classify(raw)
        when_text = (
            values[_UPDATED] if _HAS_DATE.search(nfkc(values[_UPDATED])) else values[_SHIPPED]
        )
        event = TrackingEvent(
            occurred_at=_event_time(values[_UPDATED], values[_SHIPPED]),
            date_only=not has_clock(when_text),
            status=status,
            sub_status=sub,
            description=f"{raw} {values[_NOTE]}".strip(),
            location="",
            raw_code=raw,
        )
        edd = delivery_window(values[_NOTE]) if "予定" in values[_NOTE] else None
        return self.page_result(number, [event], edd, raw)


def _event_time(updated: str, shipped: str):
    """更新日, else 発送日 when 更新日 is empty or a placeholder ("－", "--/--"): a parcel
    not scanned since hand-over. A date without a time is midnight JST (the carrier's home
    zone, as every JP adapter reads times without an offset)."""
    for cell in (updated, shipped):
        if _HAS_DATE.search(nfkc(cell)):
            return parse_jp_datetime(cell)
    raise ParseFailed(f"fukuyama: no date in 更新日 {updated!r} nor 発送日 {shipped!r}")
