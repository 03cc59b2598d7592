"""Staff CSVs ready for Excel (BOM, CRLF, shop-local times with the offset, postcodes with their
hyphen, codes kept as text) and the tracking links CSV of a date range (web and CLI: range,
brand isolation, login)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_order, make_parcel, make_staff
from tracking.orders import sheets
from tracking.orders.links import links_between, tracking_link
from tracking.security import read_order_token

TOKYO = ZoneInfo("Asia/Tokyo")
PASSWORD = "correct horse battery"


def test_the_text_is_what_excel_in_japan_reads_right():
    text = sheets.csv_text(
        ["order", "at", "postcode", "tracking", "phone", "count", "note"],
        [
            [
                "1001",
                datetime(2026, 12, 5, 0, 30, tzinfo=UTC),
                sheets.postcode("0600042", "JP"),
                "300000000001",
                "090-1234-5678",
                3,
                "=HYPERLINK(1)",
            ]
        ],
        TOKYO,
    )
    assert text.startswith("\ufefforder,") and text.count("\r\n") == 2
    assert "\n" not in text.replace("\r\n", "")
    line = text.split("\r\n")[1]
    q = '"'
    assert line == (
        '1001,2026-12-05 09:30 +09:00,"=""060-0042""","=""300000000001""",'
        + q
        + '=""090-1234-5678"""'
        + ",3,'=HYPERLINK(1)"
    )
    # A plain CSV reader still sees the value inside the ="…" form.
    row = next(csv.reader(io.StringIO(line)))
    assert row[2] == '="060-0042"' and row[3] == '="300000000001"'


@pytest.mark.parametrize(
    ("value", "kept_as_text"),
    [
        ("0600042", True),
        ("300000000001", True),
        ("+81312345678", True),
        ("03-1234-5678", True),
        ("1234", False),
        ("ST-1001", False),
        ("", False),
        ("山田", False),
    ],
)
def test_only_what_excel_would_mangle_becomes_text(value, kept_as_text):
    assert (sheets.cell(value, TOKYO) == f'="{value}"') is kept_as_text


def test_postcodes_and_times():
    assert sheets.postcode("1500001", "JP") == sheets.postcode("1500001", "") == "150-0001"
    assert sheets.postcode("SW1A1AA", "GB") == "SW1A1AA"
    assert sheets.local_time(datetime(2026, 12, 5, 15, 0), ZoneInfo("America/New_York")) == (
        "2026-12-05 10:00 -05:00"
    )
    assert sheets.cell(None, TOKYO) == "" and sheets.cell(True, TOKYO) == 1
    assert sheets.cell(date(2026, 12, 5), TOKYO) == "2026-12-05"
    assert sheets.cell(sheets.Text("abc"), TOKYO) == '="abc"'


def _login(client, session, brand="sakura-tea"):
    staff = make_staff(session, brand)
    session.commit()
    r = client.post("/admin/login", data={"email": staff.email, "password": PASSWORD})
    assert r.status_code == 303


def _shipped(session, brand, day: datetime, number="300000000001"):
    order = make_order(session, brand, ship=False)
    make_parcel(session, order, tracking_number=number, shipped_at=day)
    session.commit()
    return order


def test_orders_csv_is_excel_ready(client, session):
    order = _shipped(session, "sakura-tea", datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    order.placed_at = datetime(2026, 12, 5, 0, 30, tzinfo=UTC)
    order.postcode = "0600042"
    session.add(order)
    session.commit()
    _login(client, session)
    r = client.get(f"/admin/sakura-tea/orders.csv?q={order.number}")
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeff") and text.endswith("\r\n")
    assert (
        f'{order.number},2026-12-05 09:30 +09:00,Test,buyer@example.com,"=""060-0042""",'
        'yamato,"=""300000000001""",pending,0\r\n'
    ) in text


def test_links_csv_covers_the_range_of_the_brand_only(client, session, app):
    inside = _shipped(
        session, "sakura-tea", datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
    )  # 1 Dec JST
    _shipped(session, "sakura-tea", datetime(2026, 11, 30, 14, 30, tzinfo=UTC), "300000000002")
    _shipped(session, "sakura-tea", datetime(2026, 12, 3, 15, 0, tzinfo=UTC), "300000000003")
    other = _shipped(session, "northpeak", datetime(2026, 12, 1, 3, 0, tzinfo=UTC), "300000000004")
    url = "/admin/sakura-tea/links.csv?from=2026-12-01&to=2026-12-03"
    assert client.get(url).status_code in (302, 303)  # staff login required
    _login(client, session)
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["order", "carrier", "tracking_number", "tracking_link", "shipped_at"]
    assert [row[0] for row in rows[1:]] == [inside.number]
    number, carrier, tracking, link, shipped = rows[1]
    assert (carrier, tracking, shipped) == ("yamato", '="300000000001"', "2026-12-01 00:30 +09:00")
    with app.test_request_context():
        assert link == tracking_link(inside)
        token = link.rsplit("/o/", 1)[1]
        assert read_order_token("sakura-tea", token) == inside.public_id
    assert other.number not in r.get_data(as_text=True)
    # Another brand's CSV is not reachable by this staff member; a bad range goes back.
    assert client.get(url.replace("sakura-tea", "northpeak")).status_code == 404
    bad = client.get("/admin/sakura-tea/links.csv?from=2026-12-03&to=2026-12-01")
    assert bad.status_code == 303


def test_orders_page_offers_the_links_form(client, session):
    _login(client, session)
    html = client.get("/admin/sakura-tea/orders?lang=en").get_data(as_text=True)
    assert 'action="/admin/sakura-tea/links.csv"' in html and 'name="from"' in html


def test_links_cli(app, session, tmp_path):
    inside = _shipped(session, "sakura-tea", datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
    _shipped(session, "northpeak", datetime(2026, 12, 2, 1, 0, tzinfo=UTC), "300000000009")
    out = tmp_path / "links.csv"
    result = app.test_cli_runner().invoke(
        args=["orders", "links", "--brand", "sakura-tea", "--from", "2026-12-02"]
        + ["--to", "2026-12-02", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    text = data.decode("utf-8-sig")
    assert inside.number in text and "300000000009" not in text
    with app.app_context():
        brand = app.extensions["todoku_brands"]["sakura-tea"]
        rows = links_between(session, brand, date(2026, 12, 2), date(2026, 12, 2))
        assert [r[0] for r in rows] == [inside.number]
    bad = app.test_cli_runner().invoke(
        args=["orders", "links", "--brand", "nope", "--from", "2026-12-02", "--to", "2026-12-02"]
    )
    assert bad.exit_code != 0
