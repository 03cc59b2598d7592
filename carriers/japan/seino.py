"""Seino Transportation (西濃運輸) カンガルー便.

Source: GET the public お問合せ番号 query (Shift_JIS). The result table under ``#alpha-inner``
has one row per number with the current status (現在状況) only, so a result has one event.
Layout per reference §1.4 [?], documentation-built.
"""

from __future__ import annotations

import re

from ..errors import ParseFailed
from ..model import TrackingEvent, TrackingResult
from ..status import Status
from .base import JapaneseAdapter
from .dates import delivery_window, has_clock, parse_jp_datetime
from .html import Node, cells, column_index, nfkc, rows
from .rules import NOT_FOUND_MARKERS, not_registered, raise_not_found

# Only what COMMON_RULES does not cover (it has お届け済み and 配達完了); 営業所保管 and ご不在 map
# there (保管, ご不在) to the same status.
RULES = (
    ("お届け済", Status.DELIVERED, ""),
    ("配達済", Status.DELIVERED, ""),
)
_COLUMNS = {
    "number": ("お問合せ番号", "お問い合わせ番号"),
    "status": ("現在状況",),
    "updated": ("更新日時", "最新日時"),
    "office": ("担当店", "取扱店"),
}
_NOT_FOUND = (*NOT_FOUND_MARKERS, "入力されたお問合せ番号が見当りません", "未登録", "番号誤り")


class SeinoAdapter(JapaneseAdapter):
    code = "seino"
    names = {"ja": "西濃運輸", "en": "Seino Transportation"}
    encoding = "cp932"  # Shift_JIS as browsers read it (see html._ALIASES)
    rules = RULES

    def validate(self, number: str) -> bool:
        # Format only: Seino publishes no check digit; numbers seen are 10 digits [?].
        return len(number) == 10 and number.isdigit()

    def tracking_url(self, number: str) -> str:
        return f"https://track.seino.co.jp/cgi-bin/gnpquery.pgm?GNPNO1={number}"

    def _parse_page(self, root: Node, number: str) -> TrackingResult:
        # Two layouts are described by public scrapers: read-only <input> fields (one set per
        # number, suffixed 0..n) and an older result table under #alpha-inner.
        status_field = root.find("input", id_="haitatsuJokyo0")
        if status_field is not None:
            return self._parse_inputs(root, number, status_field.attrs.get("value", ""))
        container = root.find(id_="alpha-inner")
        if container is None:
            raise ParseFailed(
                "seino: neither input#haitatsuJokyo0 nor #alpha-inner (layout changed?)"
            )
        if not_registered(container.text(), _NOT_FOUND):
            raise_not_found(self.code, number)
        table = container.find("table")
        if table is None:
            raise ParseFailed("seino: #alpha-inner has no table")
        table_rows = rows(table)
        if not table_rows:
            raise ParseFailed("seino: empty result table")
        col = column_index(cells(table_rows[0]), _COLUMNS, self.code)
        # A reused number can be answered with several rows: the current shipment is the one
        # updated last, wherever the page lists it.
        found: list[tuple[TrackingEvent, list[str]]] = []
        for row in table_rows[1:]:
            values = cells(row)
            if len(values) <= max(col.values()):
                continue
            if re.sub(r"\D", "", nfkc(values[col["number"]])) != number:
                continue
            raw = values[col["status"]]
            status, sub = self.classify(raw)
            # The status-only table has one event per row; a row whose time cell holds no date
            # raises ParseFailed here (captured for staff) rather than guessing a time.
            event = TrackingEvent(
                occurred_at=parse_jp_datetime(values[col["updated"]]),
                date_only=not has_clock(values[col["updated"]]),
                status=status,
                sub_status=sub,
                description=raw,
                location=values[col["office"]],
                raw_code=raw,
            )
            found.append((event, values))
        if not found:
            raise ParseFailed(f"seino: no result row for {number}")
        event, values = max(found, key=lambda item: item[0].occurred_at)
        edd_cell = next((v for v in values if "予定" in v), "")
        edd = delivery_window(edd_cell) if edd_cell else None
        return self.page_result(number, [event], edd, event.raw_code)

    def _parse_inputs(self, root: Node, number: str, raw: str) -> TrackingResult:
        raw = " ".join(raw.split())
        if not raw or not_registered(raw, _NOT_FOUND):
            raise_not_found(self.code, number)
        shown = root.find("input", id_="gnpNo0")
        if shown is not None and re.sub(r"\D", "", nfkc(shown.attrs.get("value", ""))) != number:
            raise ParseFailed(f"seino: page shows another number than {number}")
        when = root.find("input", id_="haitatsuTenshoDate0")
        office = root.find("input", id_="haitatsuTensho0")
        status, sub = self.classify(raw)
        event = TrackingEvent(
            occurred_at=parse_jp_datetime(when.attrs.get("value", "") if when else ""),
            date_only=not has_clock(when.attrs.get("value", "") if when else ""),
            status=status,
            sub_status=sub,
            description=raw,
            location=office.attrs.get("value", "") if office is not None else "",
            raw_code=raw,
        )
        return self.page_result(number, [event], None, raw)
