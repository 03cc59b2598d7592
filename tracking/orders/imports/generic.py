"""Todoku's own CSV (UTF-8 or cp932): one row per line item; the order's cells are read from
its first row; optional tracking columns put the row's item into that parcel. Columns in
docs/import.md and ``TEMPLATE``."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from tracking.orders.imports import (
    CellError,
    ParsedOrder,
    RowError,
    cell,
    day,
    grouped,
    money,
    payment,
    slot,
    when,
)
from tracking.orders.language import country_code

ORDER_COLUMNS = (
    "order_number",
    "email",
    "placed_at",
    "name",
    "phone",
    "postcode",
    "address",
    "locale",
    "currency",
    "payment_method",
    "tags",
    "external_id",
    "requested_date",
    "requested_slot",
)
#: Optional order columns: shipping country (a language hint) and where the order came from
#: (``tracking.brands.sources``; empty: "csv").
OPTIONAL_COLUMNS = ("country", "source")
ITEM_COLUMNS = ("sku", "item_name", "variant", "quantity", "price", "image_url")
SHIPMENT_COLUMNS = ("carrier", "tracking_number", "shipped_at")
HEADER = ORDER_COLUMNS + ITEM_COLUMNS + SHIPMENT_COLUMNS
TEMPLATE = (
    ",".join(HEADER)
    + "\r\n"
    + "ST-2001,hanako@example.com,2026-11-24 10:15,山田 花子,090-1234-5678,150-0001,"
    + "東京都渋谷区神宮前1-2-3,ja,JPY,card,gift,,2026-11-27,14-16,"
    + "TEA-01,煎茶 100g,,2,1200,,yamato,1234-5678-9012,2026-11-25 09:00\r\n"
    + "ST-2001,,,,,,,,,,,,,,TEA-02,ほうじ茶 80g,,1,900,,yamato,1234-5678-9012,\r\n"
)
COLUMNS = {
    "number": "order_number",
    "name@item": "item_name",
    "quantity": "quantity",
    "price": "price",
    "image_url": "image_url",
    "tracking_number": "tracking_number",
    "carrier": "carrier",
    "shipped_at": "shipped_at",
    **{c: c for c in ORDER_COLUMNS + OPTIONAL_COLUMNS if c != "order_number"},
    "sku": "sku",
    "variant": "variant",
}


def detect(columns: list[str]) -> bool:
    return "order_number" in columns and "item_name" in columns


def parse(raw_text: str, tz: ZoneInfo) -> Iterator[ParsedOrder | RowError]:
    for group in grouped(raw_text, ("order_number",)):
        if isinstance(group, RowError):
            yield group
            continue
        number, members = group
        try:
            yield _order(members, tz)
        except CellError as exc:
            yield RowError(
                exc.line or members[0][0], exc.column, exc.reason, number, exc.code, exc.params
            )


def _order(members: list, tz: ZoneInfo) -> ParsedOrder:
    first_line, head = members[0]
    try:
        currency = cell(head, "currency") or "JPY"
        data = {
            "number": cell(head, "order_number"),
            "email": cell(head, "email"),
            "placed_at": when(cell(head, "placed_at"), tz, "placed_at"),
            "name": cell(head, "name"),
            "phone": cell(head, "phone"),
            "postcode": cell(head, "postcode"),
            "address": cell(head, "address"),
            "locale": cell(head, "locale"),
            "currency": currency,
            "payment_method": payment(cell(head, "payment_method")),
            "tags": [t.strip() for t in cell(head, "tags").split(",") if t.strip()],
            "external_id": cell(head, "external_id"),
            "requested_date": day(cell(head, "requested_date"), "requested_date"),
            "requested_slot": slot(cell(head, "requested_slot")),
            "country": country_code(cell(head, "country")) or cell(head, "country"),
            "source": cell(head, "source") or "csv",
            "items": [],
            "shipments": [],
        }
    except CellError as exc:
        exc.line = first_line
        raise
    data = {k: v for k, v in data.items() if v is not None}
    parcels: dict[tuple[str, str], dict] = {}
    lines, shipment_lines = [], []
    for line, row in members:
        lines.append(line)
        try:
            price = money(cell(row, "price"), currency, "price")
            shipped = when(cell(row, "shipped_at"), tz, "shipped_at")
        except CellError as exc:
            exc.line = line
            raise
        sku = cell(row, "sku")
        data["items"].append(
            {
                "sku": sku,
                "name": cell(row, "item_name"),
                "variant": cell(row, "variant"),
                "quantity": cell(row, "quantity") or "1",
                "price": price,
                "image_url": cell(row, "image_url"),
            }
        )
        number = cell(row, "tracking_number")
        if not number:
            continue
        key = (cell(row, "carrier"), number)
        if key not in parcels:
            parcels[key] = {"carrier": key[0], "tracking_number": number, "items": []}
            data["shipments"].append(parcels[key])
            shipment_lines.append(line)
        if shipped is not None:
            parcels[key]["shipped_at"] = shipped
        if sku:
            parcels[key]["items"].append({"sku": sku, "quantity": cell(row, "quantity") or "1"})
    if not data["shipments"]:
        data.pop("shipments")
    return ParsedOrder(data, lines, COLUMNS, item_lines=lines, shipment_lines=shipment_lines)
