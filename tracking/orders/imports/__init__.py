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
    code: str = ""  # stable: the message id (``messages.REASONS``) shown in the reader's language
    # The message's values (the cell as typed, a limit), worded by Babel when shown; ``reason``
    # is the English of the log only.
    params: dict = field(default_factory=dict)


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
    def __init__(self, column: str, reason: str, line: int = 0, code: str = "invalid", **params):
        super().__init__(reason)
        self.column, self.reason, self.line, self.code = column, reason, line, code
        self.params = params


# Caps that keep one bad row from failing the job (and a file from filling the memory):
# a cell no column needs (the models cap each field again, more tightly), a physical line,
# a column name and the number of columns (Rakuten's widest file has about 160).
MAX_CELL = 2_000
MAX_LINE = 64 * 1024
MAX_HEADER_CELL = 200
MAX_COLUMNS = 1_000
TRIED = "UTF-8, Shift_JIS (CP932)"


class ImportFileError(ValueError):
    """The whole file is unreadable (encoding, header, wrong format): ``code`` is stable (the
    staff page words it), ``params`` fill the words, the text is for the command line."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code, self.params = code, params


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) first, then cp932: Rakuten files and most JP tools write
    Shift_JIS with Microsoft's extensions (①, 髙, ～), which strict Shift_JIS cannot read.
    Neither → ``ImportFileError("undecodable")`` with the line of the first bad bytes."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp932", errors="strict")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            "undecodable",
            f"the file is neither UTF-8 nor Shift_JIS (cp932) text: line {line} (tried {TRIED})",
            line=line,
            tried=TRIED,
        ) from None


class _Lines:
    """The text's physical lines for ``csv.reader``; a line over ``MAX_LINE`` is handed on empty
    and its number kept, so it fails alone instead of the csv module's field limit failing
    the file."""

    def __init__(self, text: str):
        self._lines = iter(io.StringIO(text, newline=""))
        self.number = 0
        self.too_long: list[tuple[int, str]] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.number += 1
        if len(line) > MAX_LINE:
            self.too_long.append((self.number, line))
            return "\n"
        return line


_CELL = re.compile(r'"(?:[^"]*"")*[^"]*"?|[^,\r\n]*')


def _widest_cell(line: str) -> tuple[int, int]:
    """(index, length) of the longest cell of one over-long line, read without the csv module."""
    best, index, pos = (0, 0), 0, 0
    while True:
        found = _CELL.match(line, pos)
        width = found.end() - found.start()
        if width > best[1]:
            best = (index, width)
        pos = found.end()
        if line[pos : pos + 1] != ",":
            return best
        pos, index = pos + 1, index + 1


def _name(columns: list[str], index: int) -> str:
    return columns[index] if index < len(columns) else f"#{index + 1}"


def _checked_header(cells: list[str]) -> list[str]:
    if len(cells) > MAX_COLUMNS:
        raise ImportFileError(
            "too_many_columns", f"more than {MAX_COLUMNS} columns", limit=MAX_COLUMNS
        )
    for index, value in enumerate(cells):
        problem = normalize.text_problem(value, max_length=MAX_HEADER_CELL)
        if problem:
            raise ImportFileError(
                "bad_header",
                f"column {index + 1} of the header: {problem}",
                column=index + 1,
                problem=problem,
            )
    return [h.strip() for h in cells]


def _reader(text: str) -> tuple[_Lines, Iterator[list[str]], list[str]]:
    lines = _Lines(text)
    reader = csv.reader(lines)
    try:
        first = next(reader)
    except StopIteration:
        return lines, reader, []
    except csv.Error:
        first = None
    if first is None or lines.too_long:
        raise ImportFileError(
            "header_too_long", f"the header line is over {MAX_LINE} characters", limit=MAX_LINE
        )
    return lines, reader, _checked_header(first)


def _cell_error(line: int, columns: list[str], cells: list[str]) -> RowError | None:
    """The row's first cell no column may hold: NUL and other control characters (tab and
    line breaks are allowed: a quoted address may span lines), lone surrogates, over-long."""
    for index, value in enumerate(cells):
        problem = normalize.text_problem(value, multiline=True, max_length=MAX_CELL)
        if problem:
            detail = f"{len(value)} > {MAX_CELL}" if problem == "too_long" else _where(value)
            limit = {"limit": MAX_CELL} if problem == "too_long" else {}
            return RowError(
                line, _name(columns, index), detail, code=f"cell_{problem}", params=limit
            )
    return None


_UNTYPABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _where(value: str) -> str:
    """The first character no cell may hold and its position, in words of no language."""
    found = _UNTYPABLE.search(value)
    return f"U+{ord(found[0]):04X} @ {found.start() + 1}" if found else ""


def rows(text: str) -> Iterator[tuple[int, dict[str, str]] | RowError]:
    """(file line, {header: cell}) per row, headers trimmed; blank rows skipped. A row the
    caps or the input rules refuse is a ``RowError`` (line, column, reason); the rows after it
    are read as usual. A header past the caps is an ``ImportFileError``."""
    lines, reader, columns = _reader(text)
    if not columns:
        return
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            cells = None
        except csv.Error as exc:  # a quoted cell over the csv module's own limit
            yield RowError(
                lines.number, "", str(exc), code="cell_too_long", params={"limit": MAX_CELL}
            )
            continue
        for number, line in lines.too_long:
            index, width = _widest_cell(line)
            yield RowError(
                number,
                _name(columns, index),
                f"{len(line)} > {MAX_LINE}",
                code="line_too_long",
                params={"limit": MAX_LINE},
            )
        lines.too_long.clear()
        if cells is None:
            return
        if not any(c.strip() for c in cells):
            continue
        error = _cell_error(reader.line_num, columns, cells)
        if error is not None:
            yield error
            continue
        yield (
            reader.line_num,
            {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(columns)},
        )


def header(text: str) -> list[str]:
    return _reader(text)[2]


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
        raise CellError(
            column, f"not an amount: {value!r}", code="bad_amount", value=value
        ) from None
    if not amount.is_finite() or amount < 0 or amount > 10**10:
        raise CellError(column, f"not an amount: {value!r}", code="bad_amount", value=value)
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
        column,
        f"not a date and time: {value!r} (use 2026-11-24 10:15:00)",
        code="bad_time",
        value=value,
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
    raise CellError(column, f"not a date: {value!r} (use 2026-11-24)", code="bad_date", value=value)


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
    for read in rows(text):
        if isinstance(read, RowError):
            yield read
            continue
        line, row = read
        number = cell(row, *number_columns)
        if not number:
            yield RowError(line, number_columns[0], "the order number is empty", code="empty")
            continue
        groups.setdefault(normalize.order_number(number), []).append((line, row))
    for number, members in groups.items():
        yield number, members
