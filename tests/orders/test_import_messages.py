"""Import errors in the reader's language (a message id and values, worded by Babel when shown:
the staff page, the CLI's --lang) with no pydantic or parser English inside the Japanese; and
phone numbers typed full-width or with any dash accepted and stored half-width (imports, the
API's schema, brand files). On SQLite and PostgreSQL (the ``app`` fixture)."""

from __future__ import annotations

import io
import re

import pytest
from flask_babel import force_locale
from pydantic import ValidationError
from sqlmodel import select

from tests.support.imports import run_imports
from tracking.brands.brand import Support
from tracking.orders.imports import messages
from tracking.orders.imports.generic import HEADER
from tracking.orders.imports.run import run_import
from tracking.orders.models import Order
from tracking.orders.schema import OrderIn
from tracking.returns.config import ShipBack
from tracking.staff import auth as staff

PASSWORD = "correct horse battery"


def _row(number, *, email="a@example.com", placed="2026-11-24 10:15", phone="", qty="1",
         price="1200", carrier="yamato", tracking="123456789012", item="煎茶"):  # fmt: skip
    cells = dict.fromkeys(HEADER, "")
    cells |= {"order_number": number, "email": email, "placed_at": placed, "phone": phone}
    cells |= {"sku": "TEA-01", "item_name": item, "quantity": qty, "price": price}
    cells |= {"carrier": carrier, "tracking_number": tracking, "currency": "JPY"}
    return ",".join(cells[h] for h in HEADER)


FILE = "\r\n".join(
    [
        ",".join(HEADER),
        _row("OK-1", phone="０９０ー１２３４ー５６７８"),  # line 2: full-width, imported
        _row("BAD-DATE", placed="24/11/2026 10h"),  # line 3
        _row("BAD-PRICE", price="abc"),  # line 4
        _row("BAD-QTY", qty="two"),  # line 5
        _row("BAD-MAIL", email="a@x.com;b@y.com"),  # line 6
        _row("BAD-CARRIER", carrier="pigeon"),  # line 7
        _row("LONG-NAME", item="茶" * 201),  # line 8
        _row("NO-MAIL", email=""),  # line 9
    ]
).encode()

# Words a Japanese message may keep: names and standards, not English sentences.
NAMES = {"Todoku", "Unicode", "Shift_JIS", "UTF-8", "CP932", "SKU", "NUL", "CSV"}


def _english_left(text: str, params: dict) -> list[str]:
    for value in params.values():
        text = text.replace(str(value)[: messages.MAX_SHOWN], "")
    for name in NAMES:
        text = text.replace(name, "")
    return re.findall(r"[A-Za-z]{2,}", text)


@pytest.fixture
def sakura(app):
    with app.app_context():
        yield app.extensions["todoku_brands"]["sakura-tea"]


def test_every_row_error_reads_in_japanese_without_english(app, session, sakura):
    report = run_import(session, sakura, "generic", FILE)
    assert report.created == 1 and report.failed == 7
    assert {e.line for e in report.errors} == set(range(3, 10))
    with app.test_request_context():
        for e in report.errors:
            with force_locale("ja"):
                ja = messages.reason_text(e.code, e.params)
            with force_locale("en"):
                en = messages.reason_text(e.code, e.params)
            assert ja != en, e
            assert _english_left(ja, e.params) == [], (e, ja)
            assert "Value error" not in ja and "Input should" not in ja and "(" not in ja
    by_line = {e.line: e for e in report.errors}
    with app.test_request_context(), force_locale("ja"):
        assert messages.reason_text(by_line[4].code, by_line[4].params) == (
            "金額として読み取れません。（abc）"
        )
        assert "200" in messages.reason_text(by_line[8].code, by_line[8].params)


def test_full_width_and_hyphenated_phones_are_stored_half_width(session, sakura):
    run_import(session, sakura, "generic", FILE)
    order = session.exec(select(Order).where(Order.number == "OK-1")).one()
    assert order.phone == "090-1234-5678"
    body = {"number": "A-1", "email": "a@example.com", "phone": "（０３）１２３４−５６７８"}
    assert OrderIn.model_validate(body).phone == "(03)1234-5678"


def test_brand_file_phones_accept_full_width_and_refuse_words():
    assert Support(email="a@example.com", phone="０３ー１２３４ー５６７８").phone == "03-1234-5678"
    ship_back = {"name": {"ja": "倉庫"}, "postcode": "150-0001", "address": {"ja": "東京"}}
    assert ShipBack(**ship_back, phone="＋８１ ３ １２３４ ５６７８").phone == "+81 3 1234 5678"
    with pytest.raises(ValidationError):
        Support(email="a@example.com", phone="call us")


def test_cli_words_errors_in_lang(app, session, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(FILE)
    args = ["orders", "import", str(path), "--brand", "sakura-tea", "--format", "generic"]
    en = app.test_cli_runner().invoke(args=[*args, "--dry-run"])
    assert en.exit_code == 1 and "line 4: price: Not an amount. (abc)" in en.output
    ja = app.test_cli_runner().invoke(args=[*args, "--dry-run", "--lang", "ja"])
    assert ja.exit_code == 1 and "金額として読み取れません。（abc）" in ja.output
    assert "Not an amount" not in ja.output and "not an amount" not in ja.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x81")
    refused = app.test_cli_runner().invoke(args=[*args[:2], str(bad), *args[3:], "--lang", "ja"])
    assert refused.exit_code == 1 and "UTF-8" in refused.output and "neither" not in refused.output


def test_staff_page_shows_the_errors_in_japanese(app, client, session):
    with app.app_context():
        staff.create_staff(session, "sakura-tea", "a@sakura.example", PASSWORD)
    client.post("/admin/login", data={"email": "a@sakura.example", "password": PASSWORD})
    data = {"format": "generic", "file": (io.BytesIO(FILE), "orders.csv")}
    r = client.post("/admin/sakura-tea/import", data=data, content_type="multipart/form-data")
    assert run_imports(app) == 1
    page = client.get(r.headers["Location"] + "?lang=ja").get_data(as_text=True)
    assert "金額として読み取れません。（abc）" in page
    for english in ("Value error", "Input should", "not an amount", "String should", "(abc)"):
        assert english not in page
