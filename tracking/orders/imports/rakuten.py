"""Rakuten RMS order CSV (受注データダウンロード, cp932), both generations: the current 楽天ペイ
全カラム file (注文番号, 注文者姓, 注文者メールアドレス …) and the older one (受注番号, 注文者名字,
メールアドレス …). One row per 商品明細; the file has no tracking numbers (those come from the
発送完了報告 file, ``rakuten_shipping``). Times are Japan time."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from tracking.orders.imports import (
    CellError,
    ParsedOrder,
    RowError,
    cell,
    day,
    first_column,
    grouped,
    money,
    payment,
    slot,
    when,
)

JST = ZoneInfo("Asia/Tokyo")
NUMBER = ("注文番号", "受注番号")
EMAIL = ("注文者メールアドレス", "メールアドレス")


def detect(columns: list[str]) -> bool:
    return (
        ("注文番号" in columns or "受注番号" in columns)
        and "送付先ID" not in columns[:3]
        and ("商品名" in columns)
    )


def _join(row: dict, *names: str, sep: str = "") -> str:
    return sep.join(p for p in (cell(row, n) for n in names) if p)


def parse(raw_text: str, tz: ZoneInfo = JST) -> Iterator[ParsedOrder | RowError]:
    for group in grouped(raw_text, NUMBER):
        if isinstance(group, RowError):
            yield group
            continue
        number, members = group
        try:
            yield _order(members)
        except CellError as exc:
            yield RowError(members[0][0], exc.column, exc.reason, number, exc.code, exc.params)


def _order(members: list) -> ParsedOrder:
    _, head = members[0]
    placed_col = "注文日時" if cell(head, "注文日時") else "注文日"
    placed = cell(head, "注文日時") or _join(head, "注文日", "注文時間", sep=" ")
    postcode = _join(head, "送付先郵便番号1", "送付先郵便番号2") or _join(
        head, "注文者郵便番号1", "注文者郵便番号2"
    )
    address = _join(
        head, "送付先住所都道府県", "送付先住所郡市区", "送付先住所それ以降の住所"
    ) or _join(head, "注文者住所:都道府県", "注文者住所:都市区", "注文者住所:町以降")
    phone = _join(head, "送付先電話番号1", "送付先電話番号2", "送付先電話番号3", sep="-") or _join(
        head, "注文者電話番号1", "注文者電話番号2", "注文者電話番号3", sep="-"
    )
    data = {
        "number": cell(head, *NUMBER),
        "email": cell(head, *EMAIL),
        "placed_at": when(placed, JST, placed_col),
        "name": _join(head, "注文者姓", "注文者名字") + " " + _join(head, "注文者名", "注文者名前"),
        "phone": phone,
        "postcode": postcode,
        "address": address,
        "locale": "ja",
        "country": "JP",  # Rakuten Ichiba ships within Japan
        "source": "rakuten",  # its buyers are mailed through the shop's Rakuten relay
        "currency": "JPY",
        "payment_method": payment(cell(head, "支払方法名", "決済方法")),
        "requested_date": day(cell(head, "お届け日指定"), "お届け日指定"),
        "requested_slot": slot(cell(head, "お届け時間帯")),
        "items": [],
    }
    data["name"] = data["name"].strip()
    if data["placed_at"] is None:
        data.pop("placed_at")
    if cell(head, "合計金額", "請求金額"):
        data["total"] = money(cell(head, "合計金額", "請求金額"), "JPY", "合計金額")
    lines = []
    for line, row in members:
        lines.append(line)
        data["items"].append(
            {
                "sku": cell(row, "商品番号", "商品管理番号"),
                "name": cell(row, "商品名"),
                "variant": cell(row, "項目・選択肢", "SKU情報")[:100],
                "quantity": cell(row, "個数") or "1",
                "price": money(cell(row, "単価"), "JPY", "単価"),
            }
        )
    columns = {
        "number": first_column(head, *NUMBER),
        "email": first_column(head, *EMAIL),
        "name": first_column(head, "注文者姓", "注文者名字"),
        "postcode": "送付先郵便番号1",
        "phone": "送付先電話番号1",
        "address": "送付先住所それ以降の住所",
        "sku": "商品番号",
        "name@item": "商品名",
        "variant": "項目・選択肢",
        "quantity": "個数",
        "price": "単価",
        "requested_slot": "お届け時間帯",
    }
    return ParsedOrder(data, lines, columns, item_lines=lines)
