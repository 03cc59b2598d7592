"""A 50,000-row order import, timed against a baseline measured in the same run.

Builds a generic-format file (one row per line item: 25,000 orders of two items, every other
order with a parcel), then on a temporary SQLite database measures:

- baseline: reading and validating every row without a database (the parsers and the pydantic
  models: the part of an import that no storage can speed up);
- import: the same file stored through the intake (orders, items, parcels);
- re-import: the same file again (every order unchanged, nothing written).

Reported: seconds and rows per second of each, and each as a multiple of the baseline.

    .venv/bin/python bench/import_bench.py [--rows 50000]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_file(rows: int) -> bytes:
    from carriers.numbers import mod7_complete
    from tracking.orders.imports.generic import HEADER

    lines = [",".join(HEADER)]
    for n in range(rows // 2):
        number = f"BENCH-{n:06d}"
        parcel = mod7_complete(f"{30_000_000_000 + n:011d}") if n % 2 == 0 else ""
        carrier = "yamato" if parcel else ""
        shipped = "2026-11-25 09:00" if parcel else ""
        head = (
            f"{number},c{n}@example.com,2026-11-24 10:15,山田 花子,090-1234-5678,150-0001,"
            f"東京都渋谷区神宮前1-2-3,ja,JPY,card,gift,,,"
        )
        lines.append(f"{head},TEA-01,煎茶 100g,,2,1200,,{carrier},{parcel},{shipped}")
        lines.append(f"{number},,,,,,,,,,,,,,TEA-02,ほうじ茶 80g,,1,900,,{carrier},{parcel},")
    return ("\r\n".join(lines) + "\r\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--no-reimport", action="store_true", help="skip the third timing")
    parser.add_argument("--json", default="", help="write the figures here (bench/all.py)")
    args = parser.parse_args()
    logging.disable(logging.INFO)

    from pydantic import ValidationError
    from sqlmodel import Session

    from app import create_app
    from tracking import migrate
    from tracking.db import get_engine
    from tracking.orders.imports import ParsedOrder, decode, generic
    from tracking.orders.imports.run import run_import
    from tracking.orders.schema import OrderIn

    raw = build_file(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
        brand = app.extensions["todoku_brands"]["sakura-tea"]
        with app.app_context(), Session(get_engine(app), expire_on_commit=False) as session:
            start = time.perf_counter()
            valid = 0
            for parsed in generic.parse(decode(raw), brand.tz):
                if isinstance(parsed, ParsedOrder):
                    try:
                        OrderIn.model_validate(parsed.data)
                        valid += 1
                    except ValidationError:
                        pass
            baseline = time.perf_counter() - start

            start = time.perf_counter()
            first = run_import(session, brand, "generic", raw)
            imported = time.perf_counter() - start

            second, again = None, None
            if not args.no_reimport:
                start = time.perf_counter()
                second = run_import(session, brand, "generic", raw)
                again = time.perf_counter() - start
    assert first.created == valid and first.failed == 0, first.summary()
    assert second is None or second.unchanged == valid, second.summary()
    print(f"{args.rows} rows, {valid} orders, {valid // 2} parcels (SQLite)")
    timings = [("parse + validate", baseline), ("import", imported)]
    if again is not None:
        timings.append(("re-import", again))
    for name, seconds in timings:
        ratio = seconds / baseline
        print(
            f"  {name:<17} {seconds:7.1f} s  {args.rows / seconds:8.0f} rows/s  {ratio:5.1f}× baseline"
        )
    print(f"  import: {first.summary()}" + (f"; re-import: {second.summary()}" if second else ""))
    if args.json:
        figures = {"rows": args.rows, "orders": valid, "baseline_s": baseline}
        figures |= {"import_s": imported, "ratio": imported / baseline}
        if again is not None:
            figures |= {"reimport_s": again, "reimport_ratio": again / baseline}
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
