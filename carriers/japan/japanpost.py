"""Japan Post (日本郵便): ゆうパック, ゆうパケット, レターパック, 書留, and international (UPU S10).

Source: GET the public 個別番号検索 page (ja by default). The history table
``table[summary="履歴情報"]`` lists events oldest first, each over two ``<tr>``; columns are found
by their header text because international items use another column order (reference §1.4).
"""

from __future__ import annotations

import re

from ..errors import ParseFailed
from ..model import DeliveryChange, TrackingEvent, TrackingResult
from ..numbers import mod7_valid, s10_valid
from ..parsing import collect
from .base import JapaneseAdapter
from .dates import delivery_window, has_clock, parse_jp_datetime
from .html import Node, cells, column_index, labelled_value, nfkc, rows
from .rules import NOT_FOUND_MARKERS, Rule, not_registered, raise_not_found

# Japan Post-only rows; most specific first, then the shared JP table.
# Every Japan Post text (ご不在のため持ち戻り, お届け先にお届け済み, 窓口でお渡し,
# コンビニエンスストアに引渡, 保管, …) maps through COMMON_RULES as it is; rows here would only
# repeat it. Add one when Japan Post words something differently.
RULES: tuple[Rule, ...] = ()
_COLUMNS = {
    "date": ("状態発生日", "Date"),
    "status": ("配送履歴", "Shipping history"),
    "office": ("取扱局", "Office"),
}
_OPTIONAL = {"detail": ("詳細", "Details"), "region": ("県名", "国名", "Prefecture", "Country")}
# Seen in table[summary="照会結果"]: unknown number, and a malformed one (wrong length).
_NOT_FOUND = (*NOT_FOUND_MARKERS, "お問い合わせ番号が見つかりません", "入力桁数に誤り")
_DATE = re.compile(r"\d{4}/\d{1,2}/\d{1,2}")


class JapanPostAdapter(JapaneseAdapter):
    code = "japanpost"
    names = {"ja": "日本郵便", "en": "Japan Post"}
    rules = RULES

    def validate(self, number: str) -> bool:
        return (
            mod7_valid(number)  # ゆうパック etc.: 12 digits
            or mod7_valid(number, length=11)  # 書留 / 特定記録: 11 digits, mod 7 over 10
            or (s10_valid(number) and number.endswith("JP"))  # international, posted in Japan
        )

    def tracking_url(self, number: str) -> str:
        return (
            "https://trackings.post.japanpost.jp/services/srv/search/direct"
            f"?reqCodeNo1={number}&searchKind=S002&locale=ja"
        )

    def redelivery_url(self, number: str) -> str | None:
        # The 再配達 form; it asks for the number and the notice details itself.
        return "https://trackings.post.japanpost.jp/delivery/deli/"

    def delivery_change(self, number: str) -> DeliveryChange:
        # Reference channels-and-privacy.md §C: day, time and place change from the 配達予告
        # notices and the parcel's page with a ゆうびんID; 指定場所配達 (置き配: 玄関前,
        # 宅配ボックス, 郵便受箱, メーターボックス, 物置, 車庫) for 元払 ゆうパック; はこぽす
        # lockers. The result page is where it starts [?: no deep link to the form].
        return DeliveryChange(
            url=self.tracking_url(number),
            number_filled=True,
            membership={"ja": "ゆうびんID", "en": "Japan Post ID (ゆうびんID)"},
            changes=("day", "time", "place", "okihai"),
        )

    def _parse_page(self, root: Node, number: str) -> TrackingResult:
        table = root.find("table", summary="履歴情報")
        if table is None:
            if not_registered(root.text(), _NOT_FOUND):
                raise_not_found(self.code, number)
            raise ParseFailed('japanpost: no table[summary="履歴情報"] (layout changed?)')
        all_rows = rows(table)
        header_row = next((r for r in all_rows if r.find("th") is not None), None)
        if header_row is None:
            raise ParseFailed("japanpost: history table without a header row")
        header = cells(header_row)
        col = column_index(header, _COLUMNS, self.code)
        col.update(column_index(header, _OPTIONAL, self.code, required=False))

        def build(values: list[str]) -> TrackingEvent:
            raw = values[col["status"]]
            status, sub = self.classify(raw)
            location = ", ".join(
                v for v in (values[col["office"]], _get(values, col.get("region"))) if v
            )
            detail = _get(values, col.get("detail"))
            return TrackingEvent(
                occurred_at=parse_jp_datetime(values[col["date"]]),
                date_only=not has_clock(values[col["date"]]),
                status=status,
                sub_status=sub,
                description=f"{raw} {detail}".strip(),
                location=location,
                raw_code=raw,
            )

        # Each event's first <tr> starts with the date; the second (phone etc.) does not.
        event_rows = [
            values
            for values in (cells(r) for r in all_rows)
            if len(values) > col["status"] and _DATE.search(nfkc(values[col["date"]]))
        ]
        events = collect(self.code, event_rows, build)
        edd_text = labelled_value(root, "お届け予定日時")
        edd = delivery_window(edd_text) if edd_text else None
        return self.page_result(number, events, edd, pickup=self.told_pickup(root))


def _get(values: list[str], index: int | None) -> str:
    return values[index] if index is not None and index < len(values) else ""
