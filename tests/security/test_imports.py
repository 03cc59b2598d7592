"""Imports probed as an attacker would (issue 20): bytes no encoding reads, a 200 KB header
cell, one huge cell, a 3 MB line and a NUL in one row. A file nobody can read is a localized 422
naming the encodings tried, and nothing is stored; a bad row fails alone with its line, column
and reason while the other rows import. On SQLite and PostgreSQL (the ``app`` fixture)."""

from __future__ import annotations

import io
import re

import pytest
from sqlmodel import select

from tests.factories import make_staff
from tests.support.imports import run_imports
from tracking.orders.imports import MAX_CELL, MAX_LINE
from tracking.orders.imports.generic import HEADER
from tracking.orders.imports.run import ImportFileError, run_import
from tracking.orders.models import ImportJob, Order

PASSWORD = "correct horse battery"
URL = "/admin/sakura-tea/import"


@pytest.fixture
def staff_client(app, client, session):
    with app.app_context():
        make_staff(session, "sakura-tea", email="a@sakura.example", password=PASSWORD)
    client.post("/admin/login", data={"email": "a@sakura.example", "password": PASSWORD})
    return client


@pytest.fixture
def sakura(app):
    with app.app_context():
        yield app.extensions["todoku_brands"]["sakura-tea"]


def _row(number: str, *, email: str = "", item: str = "煎茶") -> str:
    cells = dict.fromkeys(HEADER, "")
    cells.update(order_number=number, email=email or f"{number.lower()}@example.com")
    cells.update(item_name=item, quantity="1", price="1200", sku="TEA-01")
    return ",".join(cells[c] for c in HEADER)


def _file(*rows: str) -> bytes:
    return ("\r\n".join((",".join(HEADER), *rows)) + "\r\n").encode()


def _upload(client, raw: bytes, fmt: str = "auto", lang: str = "en"):
    data = {"format": fmt, "file": (io.BytesIO(raw), "orders.csv")}
    return client.post(f"{URL}?lang={lang}", data=data, content_type="multipart/form-data")


def _stored_files(session) -> list:
    return session.exec(select(ImportJob.id)).all()


# Whole files nobody can read: a 422 before anything is stored ---------------------------------

# Valid Shift_JIS on the first lines, then a lead byte without its trail byte on line 3.
UNDECODABLE = "order_number,item_name\r\nA-1,煎茶\r\n".encode("cp932") + b"A-2,\x81\x20\r\n"
HUGE_HEADER = ("order_number,item_name," + "x" * 200_000 + "\r\n" + "A-1,煎茶,\r\n").encode()
LONG_HEADER_CELL = ("order_number,item_name," + "x" * 5_000 + "\r\nA-1,煎茶,\r\n").encode()


@pytest.mark.parametrize("fmt", ["auto", "generic", "rakuten"])
def test_bytes_no_encoding_reads_are_a_422_naming_the_encodings(staff_client, app, session, fmt):
    r = _upload(staff_client, UNDECODABLE, fmt)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "not valid Shift_JIS or UTF-8" in page and "Shift_JIS (CP932)" in page
    assert "line 3" in page  # where the unreadable bytes are
    ja = _upload(staff_client, UNDECODABLE, fmt, lang="ja").get_data(as_text=True)
    assert "Shift_JIS" in ja and "3行目" in ja and "not valid" not in ja
    assert _stored_files(session) == [] and session.exec(select(Order)).all() == []


@pytest.mark.parametrize("raw", [HUGE_HEADER, LONG_HEADER_CELL], ids=["200KB-line", "5000-cell"])
@pytest.mark.parametrize("fmt", ["auto", "generic"])
def test_an_over_long_header_is_a_422_and_stores_nothing(staff_client, app, session, raw, fmt):
    r = _upload(staff_client, raw, fmt)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "first line" in page and "Internal" not in page
    assert _stored_files(session) == [] and session.exec(select(Order)).all() == []


def test_the_service_names_the_encodings_and_the_line(session, sakura):
    with pytest.raises(ImportFileError) as caught:
        run_import(session, sakura, "generic", UNDECODABLE)
    assert caught.value.code == "undecodable"
    assert caught.value.params == {"line": 3, "tried": "UTF-8, Shift_JIS (CP932)"}


# One bad row fails alone -------------------------------------------------------------------------


def _mixed_file() -> bytes:
    return _file(
        _row("OK-1"),  # line 2
        _row("BIG-CELL", item="茶" * (MAX_CELL + 1)),  # line 3: one huge cell
        _row("BIG-LINE", item="x" * 3_000_000),  # line 4: a 3 MB line
        _row("NUL-1", item="煎\x00茶"),  # line 5: a NUL
        _row("CTRL-1", item="煎\x1b茶"),  # line 6: an escape character
        _row("OK-2"),  # line 7
    )


def test_bad_rows_fail_alone_with_line_column_and_reason(session, sakura):
    report = run_import(session, sakura, "generic", _mixed_file())
    assert (report.created, report.failed) == (2, 4)
    errors = {(e.line, e.column, e.code) for e in report.errors}
    assert errors == {
        (3, "item_name", "cell_too_long"),
        (4, "item_name", "line_too_long"),
        (5, "item_name", "cell_control_character"),
        (6, "item_name", "cell_control_character"),
    }
    reasons = {e.line: e.reason for e in report.errors}
    assert reasons[3] == f"{MAX_CELL + 1} > {MAX_CELL}"
    assert reasons[4].endswith(f"> {MAX_LINE}") and reasons[5] == "U+0000 @ 2"
    numbers = sorted(session.exec(select(Order.number)).all())
    assert numbers == ["OK-1", "OK-2"]


def test_a_nul_in_the_order_number_of_a_shipping_report_fails_that_row(session, sakura):
    orders = _file(_row("ST-9001"))
    assert run_import(session, sakura, "generic", orders).created == 1
    shipping = "注文番号,送付先ID,発送明細ID,お荷物伝票番号,配送会社,発送日\r\n"
    shipping += "ST-\x009001,,,300000000016,1001,2026-11-25\r\n"
    shipping += "ST-9001,,,300000000016,1001,2026-11-25\r\n"
    report = run_import(session, sakura, "rakuten-shipping", shipping.encode("cp932"))
    assert report.created == 1 and report.failed == 1
    assert (report.errors[0].line, report.errors[0].column) == (2, "注文番号")


def test_the_staff_page_lists_each_failed_row_in_words(staff_client, app, session):
    r = _upload(staff_client, _mixed_file(), "generic")
    assert r.status_code == 303
    assert run_imports(app) == 1
    page = staff_client.get(r.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "New: 2" in page and "Failed: 4" in page and "internal error" not in page
    assert "The line is too long" in page and "The cell is too long" in page
    assert "a character that cannot be typed" in page
    confirm = re.search(r'action="([^"]+/confirm)"', page)[1]
    location = staff_client.post(confirm).headers["Location"]
    assert run_imports(app) == 1
    done = staff_client.get(location + "?lang=ja")
    ja = done.get_data(as_text=True)
    assert "長すぎ" in ja and "The line is too long" not in ja
    assert sorted(session.exec(select(Order.number)).all()) == ["OK-1", "OK-2"]
