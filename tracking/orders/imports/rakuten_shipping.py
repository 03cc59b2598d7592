"""Rakuten 発送完了報告 rows (注文番号, 送付先ID, 発送明細ID, お荷物伝票番号, 配送会社, 発送日;
cp932): each row attaches a parcel to an order already imported. 配送会社 is Rakuten's numeric
code (1001 ヤマト運輸, 1002 佐川急便, 1003 日本郵便 …); 発送日 is a Japan date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from zoneinfo import ZoneInfo

from tracking import normalize
from tracking.orders.imports import CellError, ParsedShipment, RowError, cell, day, rows

JST = ZoneInfo("Asia/Tokyo")
COLUMNS = {"carrier": "配送会社", "tracking_number": "お荷物伝票番号", "shipped_at": "発送日"}


def detect(columns: list[str]) -> bool:
    return "お荷物伝票番号" in columns and "配送会社" in columns


def parse(raw_text: str, tz: ZoneInfo = JST) -> Iterator[ParsedShipment | RowError]:
    for read in rows(raw_text):
        if isinstance(read, RowError):
            yield read
            continue
        line, row = read
        number = cell(row, "注文番号", "受注番号")
        if not number:
            yield RowError(line, "注文番号", "the order number is empty", code="empty")
            continue
        tracking = cell(row, "お荷物伝票番号")
        if not tracking:
            yield RowError(line, "お荷物伝票番号", "the tracking number is empty", number, "empty")
            continue
        try:
            shipped = day(cell(row, "発送日"), "発送日")
        except CellError as exc:
            yield RowError(line, exc.column, exc.reason, number, exc.code, exc.params)
            continue
        data = {"carrier": cell(row, "配送会社"), "tracking_number": tracking}
        if not data["carrier"]:
            yield RowError(line, "配送会社", "the carrier code is empty", number, "empty")
            continue
        if shipped is not None:
            data["shipped_at"] = datetime.combine(shipped, time(0), JST)
        yield ParsedShipment(normalize.order_number(number), data, line, COLUMNS)
