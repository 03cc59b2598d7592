"""CSV downloads for staff (returns queue, orders, watchlist, figures): one way to write them."""

from __future__ import annotations

import csv
import io

from flask import make_response


def csv_safe(value: str) -> str:
    """A cell starting with = + - @ is a formula in spreadsheets: quote it out."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def csv_response(brand, name: str, header: list[str], rows) -> object:
    """``<brand>-<name>.csv`` with a BOM (Excel in Japan then reads it as UTF-8); every text
    cell made formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_safe(v) if isinstance(v, str) else v for v in row])
    response = make_response("\ufeff" + out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{brand.slug}-{name}.csv"'
    return response
