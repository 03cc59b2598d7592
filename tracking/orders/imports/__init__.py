"""CSV importers: one pure parser per format (bytes in, parsed orders or row errors out); the
runner (``run.py``) validates each against the intake models and stores it through the intake.

A parser yields ``ParsedOrder`` (an ``OrderIn``-shaped dict, the file line of each of its rows and
which column each field came from) or ``ParsedShipment`` (a parcel for an existing order), and
``RowError`` for a row it cannot read at all."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from tracking import normalize

ZERO_DECIMAL = {"JPY", "KRW", "TWD", "VND", "CLP", "ISK"}


@dataclass
class RowError:
    line: int
    column: str
    reason: str
    number: str = ""
    code: str = ""  # stable: the staff page shows a localised text for it


@dataclass
class ParsedOrder:
    data: dict
    lines: list[int]  # the file line of each of the order's rows (the first holds the order)
    columns: dict[str, str]  # OrderIn field → column name (items.* / shipments.* by last part)
    item_lines: list[int] = field(default_factory=list)
    shipment_lines: list[int] = field(default_factory=list)


@dataclass
class ParsedShipment:
    number: str
    data: dict
    line: int
    columns: dict[str, str]


class CellError(ValueError):
    def __init__(self, column: str, reason: str, line: int = 0, code: str = "invalid"):
        super().__init__(reason)
        self.column, self.reason, self.line, self.code = column, reason, line, code


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) first, then cp932: Rakuten files and most JP tools write
    Shift_JIS with Microsoft's extensions (①, 髙, ～), which strict Shift_JIS cannot read."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp932", errors="strict")


def rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(file line, {header: cell}) per row, headers trimmed; blank rows skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        yield (
            reader.line_num,
            {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)},
        )


def header(text: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text, newline="")), [])
    return [h.strip() for h in first]


def cell(row: dict[str, str], *names: str) -> str:
    """The first non-empty cell among ``names`` (file vintages name columns differently),
    without Excel's protective leading apostrophe."""
    for name in names:
        value = (row.get(name) or "").strip()
        if value:
            return value.removeprefix("'").strip()
    return ""


def first_column(row: dict[str, str], *names: str) -> str:
    for name in names:
        if name in row:
            return name
    return names[0]


def money(value: str, currency: str, column: str) -> int:
    """``1,234`` / ``¥1,234`` / ``12.50`` → minor units of ``currency``."""
    clean = re.sub(r"[,\s¥$€£円]", "", normalize.clean(value))
    if not clean:
        return 0
    try:
        amount = Decimal(clean)
    except InvalidOperation:
        raise CellError(column, f"not an amount: {value!r}", code="bad_amount") from None
    if not amount.is_finite() or amount < 0 or amount > 10**10:
        raise CellError(column, f"not an amount: {value!r}", code="bad_amount")
    return int(amount if currency in ZERO_DECIMAL else amount * 100)


_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
)


def when(value: str, tz: ZoneInfo, column: str) -> datetime | None:
    """A time as shops write it; without an offset it is the shop's local time."""
    value = normalize.clean(value)
    if not value:
        return None
    for fmt in _TIME_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if not 2000 <= parsed.year <= 2100:
            break
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    raise CellError(
        column, f"not a date and time: {value!r} (use 2026-11-24 10:15:00)", code="bad_time"
    )


def day(value: str, column: str) -> date | None:
    value = normalize.clean(value)
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"):
        try:
            parsed = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if 2000 <= parsed.year <= 2100:
            return parsed
    raise CellError(column, f"not a date: {value!r} (use 2026-11-24)", code="bad_date")


def slot(value: str) -> str:
    """Time slots as shops write them → ``am`` or ``14-16`` (what the tracking page shows)."""
    value = normalize.clean(value).replace("〜", "-").replace("~", "-")
    if not value or value in {"0", "なし", "指定なし"}:
        return ""
    if value in {"1", "am", "AM", "午前", "午前中"}:
        return "am"
    if value in {"2", "午後"}:
        return "12-18"
    m = re.fullmatch(r"(\d{1,2})(?::00)?時?-(\d{1,2})(?::00)?時?", value)
    if m:
        return f"{int(m[1])}-{int(m[2])}"
    m = re.fullmatch(r"(\d{1,2})(\d{2})", value)  # Rakuten shippingTerm: 1416, 708
    if m and 7 <= int(m[1]) <= 24 and 7 <= int(m[2]) <= 24:
        return f"{int(m[1])}-{int(m[2])}"
    return value[:16]


def payment(value: str) -> str:
    clean = normalize.clean(value)
    if "代金引換" in clean or "代引" in clean or "cash on delivery" in clean.lower():
        return "cod"
    return clean[:32]


def grouped(
    text: str, number_columns: tuple[str, ...]
) -> Iterator[tuple[str, list[tuple[int, dict]]] | RowError]:
    """Rows grouped by order number, in file order (an order's rows need not be adjacent)."""
    groups: dict[str, list[tuple[int, dict]]] = {}
    for line, row in rows(text):
        number = cell(row, *number_columns)
        if not number:
            yield RowError(line, number_columns[0], "the order number is empty", code="empty")
            continue
        groups.setdefault(normalize.order_number(number), []).append((line, row))
    for number, members in groups.items():
        yield number, members
