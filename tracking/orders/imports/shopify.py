"""Shopify's order export (Admin → Orders → Export): one row per line item; only an order's
first row carries the order-level cells; columns are found by header name (vintages differ);
zip and phone cells may start with ``'``; times are local with an offset
(``2026-11-24 10:15:30 +0900``). The export has no tracking columns: parcels come from the
fulfillment webhooks or the API, and no language column: the shipping country is the hint
(``tracking.orders.language``)."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from tracking.orders.imports import (
    CellError,
    ParsedOrder,
    RowError,
    cell,
    grouped,
    money,
    payment,
    when,
)
from tracking.orders.language import country_code

COLUMNS = {
    "email": "Email",
    "placed_at": "Created at",
    "name": "Shipping Name",
    "phone": "Shipping Phone",
    "postcode": "Shipping Zip",
    "address": "Shipping Address1",
    "currency": "Currency",
    "total": "Total",
    "payment_method": "Payment Method",
    "tags": "Tags",
    "external_id": "Id",
    "country": "Shipping Country",
    "sku": "Lineitem sku",
    "name@item": "Lineitem name",
    "quantity": "Lineitem quantity",
    "price": "Lineitem price",
}


def detect(columns: list[str]) -> bool:
    return "Name" in columns and "Lineitem name" in columns


def parse(raw_text: str, tz: ZoneInfo) -> Iterator[ParsedOrder | RowError]:
    for group in grouped(raw_text, ("Name",)):
        if isinstance(group, RowError):
            yield group
            continue
        number, members = group
        try:
            yield _order(number, members, tz)
        except CellError as exc:
            yield RowError(
                exc.line or members[0][0], exc.column, exc.reason, number, exc.code, exc.params
            )


def _order(number: str, members: list, tz: ZoneInfo) -> ParsedOrder:
    _, head = members[0]
    currency = cell(head, "Currency") or "JPY"
    address = " ".join(
        p
        for p in (
            cell(head, "Shipping Province Name", "Shipping Province"),
            cell(head, "Shipping City"),
            cell(head, "Shipping Address1", "Shipping Street"),
            cell(head, "Shipping Address2"),
        )
        if p
    )
    data = {
        "number": cell(head, "Name"),
        "email": cell(head, "Email"),
        "placed_at": when(cell(head, "Created at"), tz, "Created at"),
        "name": cell(head, "Shipping Name", "Billing Name"),
        "phone": cell(head, "Shipping Phone", "Phone", "Billing Phone"),
        "postcode": cell(head, "Shipping Zip", "Billing Zip"),
        "address": address,
        "currency": currency,
        "payment_method": payment(cell(head, "Payment Method")),
        "tags": [t.strip() for t in cell(head, "Tags").split(",") if t.strip()],
        "external_id": cell(head, "Id"),
        "country": country_code(cell(head, "Shipping Country", "Billing Country")),
        "source": "shopify",
        "items": [],
    }
    if cell(head, "Total"):
        data["total"] = money(cell(head, "Total"), currency, "Total")
    data = {k: v for k, v in data.items() if v is not None}
    lines = []
    for line, row in members:
        lines.append(line)
        try:
            price = money(cell(row, "Lineitem price"), currency, "Lineitem price")
        except CellError as exc:
            exc.line = line
            raise
        data["items"].append(
            {
                "sku": cell(row, "Lineitem sku"),
                "name": cell(row, "Lineitem name"),
                "quantity": cell(row, "Lineitem quantity") or "1",
                "price": price,
            }
        )
    return ParsedOrder(data, lines, COLUMNS, item_lines=lines)
