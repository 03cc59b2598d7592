"""Every staff CSV is written here, ready for Excel as a Japanese shop opens it.

- UTF-8 with a BOM (Excel otherwise reads Shift_JIS and garbles the Japanese) and CRLF lines.
- Times in the shop's own time with the offset (``2026-12-05 09:30 +09:00``): staff read them
  against their own clock, and the offset keeps them unambiguous when pasted elsewhere.
- Japanese postcodes with their hyphen (``060-0042``); other countries' as given.
- Cells Excel would turn into a number (losing a leading zero, showing ``3.00E+11`` for a
  12-digit tracking number, reading ``090-1234-5678`` or ``060-0042`` as a date or a sum) are
  written as ``="0600042"``: Excel then shows the text exactly, and a plain CSV reader still
  sees the digits inside. Only such cells: everything else stays a plain value.
- Any other cell starting with = + - @ gets a leading ``'`` (a formula is never run).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import make_response

from tracking import normalize
from tracking.timeutil import as_utc

# Digits, optionally with a leading + and inner hyphens or spaces: what Excel reads as a number,
# a sum or a date. Left alone: a short number without a leading zero (a count, a price).
_NUMERIC = re.compile(r"\+?[0-9][0-9 \-]*")
_LONG = 11  # digits from which Excel rounds or shows an exponent


class Text(str):
    """A cell always kept as text in Excel (a code, a phone number), whatever it looks like."""


def mangled_by_excel(value: str) -> bool:
    if not _NUMERIC.fullmatch(value):
        return False
    digits = re.sub(r"\D", "", value)
    return value[0] in "0+" or len(digits) >= _LONG or not value.isdecimal()


def csv_safe(value: str) -> str:
    """A cell starting with = + - @ is a formula in spreadsheets: quote it out."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def local_time(value: datetime | None, tz: ZoneInfo) -> str:
    """``2026-12-05 09:30 +09:00`` in the shop's zone; "" for no time."""
    if value is None:
        return ""
    local = as_utc(value).astimezone(tz)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


def postcode(code: str, country: str = "JP") -> str:
    """``060-0042`` for a seven-digit Japanese postcode (and for no country: the shop is in
    Japan); every other as stored."""
    digits = normalize.postcode(code)
    if country in ("JP", "") and len(digits) == 7 and digits.isdecimal():
        return f"{digits[:3]}-{digits[3:]}"
    return code


def cell(value, tz: ZoneInfo) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return local_time(value, tz)
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return value
    if value and (isinstance(value, Text) or mangled_by_excel(value)):
        return '="' + value.replace('"', '""') + '"'
    return csv_safe(value)


def csv_text(header: list[str], rows, tz: ZoneInfo) -> str:
    """The file's text: BOM, CRLF, every cell through ``cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v, tz) for v in row])
    return "\ufeff" + out.getvalue()


def csv_response(brand, name: str, header: list[str], rows) -> object:
    """The download ``<brand>-<name>.csv``; times in the brand's zone."""
    response = make_response(csv_text(header, rows, brand.tz))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{brand.slug}-{name}.csv"'
    return response
