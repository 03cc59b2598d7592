"""The merchant's dashboard over HTTP, on the demo: search, filters, pages, detail, watchlist,
inquiries and the reply, CSV, roles, and brand isolation of every page, CSV and action."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from tracking.dashboard.models import AlertSettings
from tracking.mail.models import Notification
from tracking.orders.models import Order, Shipment
from tracking.page.models import Inquiry, PageEvent
from tracking.staff.models import ApiKey, StaffUser

PASSWORD = "todoku-demo-staff"


@pytest.fixture(autouse=True)
def history(dashboard_history):
    """The dashboard's demo history on top of the demo shops (tests/conftest.py loads it once
    per session and copies it back for each test)."""


SAKURA = "/admin/sakura-tea"


def login(client, email="staff@sakura-tea.example"):
    r = client.post("/admin/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 303, r.data
    return r


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def numbers(html: bytes) -> list[str]:
    import re

    return re.findall(r'href="/admin/[a-z-]+/orders/([A-Z0-9-]+)"', html.decode())


def test_login_lands_on_the_dashboard_with_counts(client, demo):
    r = login(client)
    assert r.headers["Location"] == f"{SAKURA}/"
    html = client.get(f"{SAKURA}/?lang=en").data.decode()
    # The demo has one failed attempt (ST-1004), one late and stalled parcel (ST-1103), two
    # parcels at a pickup point (ST-1006, ST-1009), and two open questions of which one is overdue.
    assert '<span class="n">1</span>Delivery attempted' in html
    assert '<span class="n">1</span>Past the estimate' in html
    assert '<span class="n">2</span>Waiting at a pickup point' in html
    assert '<span class="n">2</span>Open questions' in html
    assert '<span class="n">1</span>Past the promised reply day' in html


@pytest.mark.parametrize(
    "query",
    [
        "ST-1001",
        "st－１００１",  # full-width, lower case: as the lookup normalises it
        "hanako@EXAMPLE.com",
        "〒１５０ー０００１",
        "1500001",
        "山田 花子",
    ],
)
def test_search_finds_the_order_however_it_is_typed(client, demo, query):
    login(client)
    r = client.get(f"{SAKURA}/orders", query_string={"q": query})
    assert r.status_code == 200
    assert numbers(r.data) == ["ST-1001"]


def test_search_by_tracking_number_with_spaces_and_dashes(client, demo, session):
    login(client)
    shipment = session.exec(select(Shipment).where(Shipment.order_id == demo["ST-1004"].id)).first()
    n = shipment.tracking_number
    typed = f"{n[:4]}-{n[4:8]} {n[8:]}"
    assert numbers(client.get(f"{SAKURA}/orders", query_string={"q": typed}).data) == ["ST-1004"]


def test_filters_status_carrier_late_and_dates(client, demo, session):
    login(client)
    got = numbers(client.get(f"{SAKURA}/orders?status=attempt_failed").data)
    assert got == ["ST-1004"]
    got = numbers(client.get(f"{SAKURA}/orders?late=1").data)
    assert got == ["ST-1103"]
    japanpost = set(numbers(client.get(f"{SAKURA}/orders?carrier=japanpost").data))
    assert {"ST-1002", "ST-1006", "ST-1008"} <= japanpost and "ST-1001" not in japanpost
    # A date range far in the past matches nothing; a broken date is ignored, not a 500.
    assert numbers(client.get(f"{SAKURA}/orders?until=2001-01-01").data) == []
    assert client.get(f"{SAKURA}/orders?since=2026-13-45&status=bogus").status_code == 200
    # Nothing leaks from the other brand.
    assert not [n for n in numbers(client.get(f"{SAKURA}/orders").data) if n.startswith("NP")]


def test_keyset_pages_cover_every_order_once(client, demo, session):
    for i in range(120):
        session.add(Order(brand="sakura-tea", number=f"BULK-{i:04d}", email=f"b{i}@x.example"))
    session.commit()
    login(client)
    total = session.exec(select(Order).where(Order.brand == "sakura-tea")).all()
    seen, url, pages = [], f"{SAKURA}/orders", 0
    import re

    while url:
        html = client.get(url).data.decode()
        seen += numbers(html.encode())
        pages += 1
        nxt = re.search(r'rel="next" href="([^"]+)"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert len(seen) == len(set(seen)) == len(total)
    assert pages == -(-len(total) // 50)
    assert seen[0] == "BULK-0119"  # newest first


def test_order_detail_shows_parcels_history_mails_and_a_copyable_link(client, demo):
    login(client)
    r = client.get(f"{SAKURA}/orders/st-1001?lang=en")
    html = r.data.decode()
    assert r.status_code == 200
    assert "山田 花子" in html and "hanako@example.com" in html
    assert "静岡 深蒸し煎茶 100g" in html
    assert "Carrier history" in html and "Delivered" in html
    assert 'id="track-link"' in html and "/sakura-tea/o/" in html
    assert client.get(f"{SAKURA}/orders/NP-2001").status_code == 404


def test_check_now_from_the_order_detail_asks_the_carrier(client, demo, session):
    login(client)
    shipment = session.exec(select(Shipment).where(Shipment.order_id == demo["ST-1003"].id)).first()
    before = shipment.last_checked_at
    html = client.get(f"{SAKURA}/orders/ST-1003?lang=en").data.decode()
    assert f'name="number" value="{shipment.tracking_number}"' in html
    assert 'action="/admin/sakura-tea/carriers/check"' in html
    r = client.post(
        f"{SAKURA}/carriers/check?lang=en",
        data={"number": shipment.tracking_number},
        follow_redirects=True,
    )
    assert "Checked with the carrier just now" in r.data.decode()
    session.refresh(shipment)
    assert shipment.last_checked_at != before


def test_reply_reaches_the_customer_page_and_mail_in_their_language(client, demo, session):
    inquiry = session.exec(
        select(Inquiry).where(Inquiry.brand == "sakura-tea", Inquiry.status == "open")
    ).first()
    order = session.get(Order, inquiry.order_id)
    login(client)
    r = client.post(f"{SAKURA}/inquiries/{inquiry.id}/reply", data={"reply": "明日お届けします。"})
    assert r.status_code == 303
    session.refresh(inquiry)
    assert inquiry.status == "answered" and inquiry.replied_by == "staff@sakura-tea.example"
    mail = session.exec(
        select(Notification).where(Notification.dedupe_key == f"inquiry-reply:{inquiry.id}")
    ).one()
    assert mail.to_address == order.email and mail.locale == "ja"
    assert order.number in mail.subject and "ご質問" in mail.subject
    assert "明日お届けします。" in mail.body_text and inquiry.message in mail.body_text
    assert "/sakura-tea/o/" in mail.body_text
    # The mail preview shows it, and the customer's page shows the answer.
    assert "明日お届けします。" in client.get(f"{SAKURA}/mail").data.decode()
    from tracking.security import order_token

    with client.application.app_context():
        token = order_token("sakura-tea", order.public_id)
    page = client.get(f"/sakura-tea/o/{token}").data.decode().replace("<wbr>", "")  # phrase marks
    assert "明日お届けします。" in page and "ショップからの回答" in page
    # Once answered, a second reply is refused and nothing more is mailed.
    again = client.post(f"{SAKURA}/inquiries/{inquiry.id}/reply", data={"reply": "再送"})
    assert again.status_code == 422
    assert (
        len(session.exec(select(Notification).where(Notification.kind == "inquiry_reply")).all())
        == 1
    )


def test_an_empty_or_bad_reply_keeps_the_form(client, demo, session):
    inquiry = session.exec(
        select(Inquiry).where(Inquiry.brand == "sakura-tea", Inquiry.status == "open")
    ).first()
    login(client)
    r = client.post(f"{SAKURA}/inquiries/{inquiry.id}/reply?lang=en", data={"reply": "   "})
    assert r.status_code == 422 and "Please write a reply." in r.data.decode()
    long = "x" * 4001
    r = client.post(f"{SAKURA}/inquiries/{inquiry.id}/reply", data={"reply": long})
    assert r.status_code == 422 and long in r.data.decode()
    session.refresh(inquiry)
    assert inquiry.status == "open"


def test_inbox_highlights_overdue_and_exports_csv(client, demo):
    login(client)
    html = client.get(f"{SAKURA}/inquiries").data.decode()
    assert html.count('class="overdue"') == 1
    rows = rows_of(client.get(f"{SAKURA}/inquiries.csv?state=all"))
    assert rows[0][:5] == ["id", "order", "asked_at", "reply_by", "status"]
    assert sorted(r[4] for r in rows[1:]) == ["answered", "open", "open"]
    assert sorted(r[5] for r in rows[1:]) == ["0", "0", "1"]


def test_every_table_exports_csv(client, demo):
    login(client)
    orders = rows_of(client.get(f"{SAKURA}/orders.csv?q=ST-1001"))
    assert (
        orders[0][0] == "order"
        and orders[1][0] == "ST-1001"
        and orders[1][3] == ("hanako@example.com")
    )
    watch = rows_of(client.get(f"{SAKURA}/watchlist.csv"))
    assert {(r[0], r[1]) for r in watch[1:]} >= {("attempt_failed", "ST-1004"), ("late", "ST-1103")}
    from tracking.web.staff.dashboard.figures import TABLES

    for table in TABLES:
        r = client.get(f"{SAKURA}/figures/{table}.csv")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
        assert len(rows_of(r)) >= 2, table
    assert client.get(f"{SAKURA}/figures/nope.csv").status_code == 404


def test_figures_page_draws_every_chart_from_the_demo(client, demo):
    login(client)
    html = client.get(f"{SAKURA}/figures?lang=en").data.decode()
    assert html.count('<svg class="chart"') == 2  # views per day, ratings
    assert html.count('<svg class="hbar"') >= 3  # a bar per parcel status in its table
    assert "Not recorded (before this was counted)" not in html  # the demo records both
    bars = [line for line in html.splitlines() if '<rect class="bar"' in line]
    assert any('height="0' not in b and 'height="0.0"' not in b for b in bars)
    assert "teaware" in html and "No deliveries in this period." not in html


def test_figures_name_carriers_placements_and_reasons_in_words(client, demo):
    login(client)
    en = client.get(f"{SAKURA}/figures?lang=en").data.decode()
    ja = client.get(f"{SAKURA}/figures?lang=ja").data.decode()
    assert "Yamato Transport" in en and "ヤマト運輸" in ja
    assert "below the status" in en and "配送状況の下" in ja
    assert "Not what I expected" in en and "イメージと違った" in ja  # the brand's own label
    for raw in (">yamato<", ">after_status<", ">changed_mind<"):
        assert raw not in en and raw not in ja, raw


# Roles -----------------------------------------------------------------------------------------

OWNER_POSTS = [
    ("/settings/staff", {"email": "new@sakura.example", "password": "x" * 12, "role": "staff"}),
    ("/settings/keys", {"name": "warehouse"}),
    ("/settings/alerts", {"digest": "on", "recipients": "a@sakura.example"}),
]


def test_staff_cannot_manage_accounts_keys_or_alerts(client, demo, session):
    login(client)
    assert client.get(f"{SAKURA}/settings").status_code == 403
    for path, data in OWNER_POSTS:
        assert client.post(SAKURA + path, data=data).status_code == 403, path
    owner = session.exec(select(StaffUser).where(StaffUser.role == "owner")).first()
    assert client.post(f"{SAKURA}/settings/staff/{owner.id}/active").status_code == 403
    assert session.exec(select(ApiKey)).all() == []
    assert session.exec(select(AlertSettings)).all() == []
    assert "Settings" not in client.get(f"{SAKURA}/?lang=en").data.decode()


def test_owner_manages_accounts_keys_and_alerts(client, demo, session):
    login(client, "owner@sakura-tea.example")
    assert client.get(f"{SAKURA}/settings").status_code == 200
    r = client.post(f"{SAKURA}/settings/keys", data={"name": "warehouse"})
    assert r.status_code == 200 and "tdk_" in r.data.decode()
    key = session.exec(select(ApiKey).where(ApiKey.brand == "sakura-tea")).one()
    assert client.post(f"{SAKURA}/settings/keys/{key.id}/revoke").status_code == 303
    session.refresh(key)
    assert key.revoked_at is not None
    r = client.post(
        f"{SAKURA}/settings/staff",
        data={"email": "New@Sakura.example", "password": "long enough pw", "role": "owner"},
    )
    assert r.status_code == 303
    new = session.exec(select(StaffUser).where(StaffUser.email == "new@sakura.example")).one()
    assert new.brand == "sakura-tea" and new.role == "owner"
    bad = client.post(
        f"{SAKURA}/settings/staff", data={"email": "x@y.example", "password": "s", "role": "owner"}
    )
    assert bad.status_code == 422
    kept = bad.get_data(as_text=True)  # the refused form comes back as typed (never the password)
    assert 'value="x@y.example"' in kept and 'value="owner" selected' in kept
    assert 'value="s"' not in kept
    assert client.post(f"{SAKURA}/settings/staff/{new.id}/active").status_code == 303
    session.refresh(new)
    assert new.active is False
    r = client.post(
        f"{SAKURA}/settings/alerts",
        data={
            "immediate_exceptions": "on",
            "recipients": "Ops@Sakura.example\nboss@sakura.example",
        },
    )
    assert r.status_code == 303
    row = session.exec(select(AlertSettings).where(AlertSettings.brand == "sakura-tea")).one()
    assert row.digest is False and row.immediate_exceptions is True
    assert row.recipients == ["ops@sakura.example", "boss@sakura.example"]
    bad = client.post(f"{SAKURA}/settings/alerts", data={"recipients": "not an address"})
    assert bad.status_code == 422
    assert ">not an address</textarea>" in bad.get_data(as_text=True)


# Brand isolation ---------------------------------------------------------------------------------

GET_PAGES = [
    "/",
    "/orders",
    "/orders.csv",
    "/orders/ST-1001",
    "/watchlist",
    "/watchlist.csv",
    "/inquiries",
    "/inquiries.csv",
    "/figures",
    "/figures/views.csv",
    "/figures/banners.csv",
    "/figures/views-by-status.csv",
    "/figures/sources.csv",
    "/figures/on-time-lanes.csv",
    "/settings",
]


def test_another_brands_staff_gets_404_on_every_page_csv_and_action(client, demo, session):
    login(client, "owner@northpeak.example")
    for path in GET_PAGES:
        assert client.get(SAKURA + path).status_code == 404, path
    inquiry = session.exec(select(Inquiry).where(Inquiry.brand == "sakura-tea")).first()
    account = session.exec(select(StaffUser).where(StaffUser.brand == "sakura-tea")).first()
    posts = [
        (f"/inquiries/{inquiry.id}/reply", {"reply": "x"}),
        (f"/settings/staff/{account.id}/active", {}),
        ("/settings/keys/1/revoke", {}),
        *OWNER_POSTS,
    ]
    for path, data in posts:
        assert client.post(SAKURA + path, data=data).status_code == 404, path


def test_objects_of_another_brand_are_404_under_ones_own_brand(client, demo, session):
    """The URL's brand is right, the object's is not: still 404 (not someone else's data)."""
    from tracking.staff.api_keys import create_api_key

    create_api_key(session, "sakura-tea", "theirs")
    key = session.exec(select(ApiKey).where(ApiKey.brand == "sakura-tea")).one()
    inquiry = session.exec(select(Inquiry).where(Inquiry.brand == "sakura-tea")).first()
    account = session.exec(select(StaffUser).where(StaffUser.brand == "sakura-tea")).first()
    login(client, "owner@northpeak.example")
    np = "/admin/northpeak"
    assert client.get(f"{np}/orders/ST-1001").status_code == 404
    assert client.post(f"{np}/inquiries/{inquiry.id}/reply", data={"reply": "x"}).status_code == 404
    assert client.post(f"{np}/settings/keys/{key.id}/revoke").status_code == 404
    assert client.post(f"{np}/settings/staff/{account.id}/active").status_code == 404
    session.refresh(key)
    session.refresh(inquiry)
    assert key.revoked_at is None and inquiry.reply == ""


def test_pages_need_a_login(client, demo):
    for path in GET_PAGES:
        r = client.get(SAKURA + path)
        assert r.status_code == 302 and "/admin/login" in r.headers["Location"], path


def test_the_demo_history_loads_once(app, session):
    from tracking.dashboard import demo as dashboard_demo
    from tracking.page.models import Feedback, PageEvent
    from tracking.timeutil import utcnow

    def counts():
        return [len(session.exec(select(m)).all()) for m in (PageEvent, Feedback, Inquiry)]

    before = counts()
    assert all(before), before  # every chart and list has something
    with app.app_context():
        dashboard_demo.load_demo(session, app.extensions["todoku_brands"], utcnow())
        session.commit()
    assert counts() == before


def test_bad_input_is_never_a_500(client, demo):
    login(client, "owner@sakura-tea.example")
    huge = "9" * 30
    assert client.post(f"{SAKURA}/inquiries/{huge}/reply", data={"reply": "x"}).status_code == 404
    assert client.post(f"{SAKURA}/settings/keys/{huge}/revoke").status_code == 404
    assert client.post(f"{SAKURA}/settings/staff/{huge}/active").status_code == 404
    # Refused at the door (tracking.normalize): a NUL, a value longer than any search.
    for query in ({"q": "a\x00b"}, {"q": "x" * 5000}):
        assert client.get(f"{SAKURA}/orders", query_string=query).status_code == 400, query
    for query in (
        {"after": huge},
        {"after": "-1"},
        {"since": "%ED%A0%80"},  # a lone surrogate, percent-encoded
        {"carrier": "'; drop"},
    ):
        assert client.get(f"{SAKURA}/orders", query_string=query).status_code == 200, query
    assert client.get(f"{SAKURA}/orders/{'X' * 300}").status_code == 404
    assert client.get(f"{SAKURA}/figures?since=0000-00-00&until={huge}").status_code == 200
    r = client.post(f"{SAKURA}/settings/keys", data={"name": "\x00"})
    assert r.status_code == 400


def test_the_pixel_records_the_status_shown_and_how_the_page_was_reached(client, demo, session):
    """Through the customer's path: the lookup form, then the page and its pixel; then the
    same page again from the link (a mail, a bookmark)."""
    import re

    def pixel(html: str) -> str:
        return re.search(r'<img class="px" src="([^"]+)"', html).group(1).replace("&amp;", "&")

    order_ = demo["ST-1001"]
    r = client.post("/sakura-tea/lookup", data={"number": order_.number, "contact": order_.email})
    assert r.status_code == 303
    page_url = r.headers["Location"]
    client.get(pixel(client.get(page_url).get_data(as_text=True)))
    client.get(pixel(client.get(page_url).get_data(as_text=True)))
    rows = session.exec(
        select(PageEvent.status, PageEvent.source)
        .where(PageEvent.order_id == order_.id, PageEvent.kind == "view")
        .order_by(PageEvent.id)
    ).all()
    status = session.exec(select(Shipment.status).where(Shipment.order_id == order_.id)).first()
    assert [tuple(x) for x in rows[-2:]] == [(status, "lookup"), (status, "link")]
